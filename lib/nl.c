#include "nl.h"

#include <errno.h>
#include <netlink/attr.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdint.h>
#include <sys/uio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct xc_nl {
	struct nl_sock *sk;
	int fd;
	uint32_t port;
	uint32_t seq;      /* the next request's number (libnl's first one) */
	unsigned char *rx; /* replies, zeroed once read (wait_replies()): they carry keys */
	/* tx: the queued requests (q_len bytes), then the request being
	 * built (tx_len bytes); all zero past them */
	unsigned char *tx;
	size_t q_len, tx_len;
	size_t q_last;     /* where the last queued request starts */
	unsigned int q_n;  /* requests queued */
	uint32_t q_seq;    /* the first one's number; the others follow it */
	bool tx_full;      /* a put did not fit: the request is not sent */
};

/* The request being built. */
static inline unsigned char *req_at(const struct xc_nl *nl)
{
	return nl->tx + nl->q_len;
}

void xc_err_set(struct xc_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

int xc_nl_errno(int nle)
{
	if (nle >= 0)
		return nle; /* not an error: a count or 0 */
	switch (-nle) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_INTR: return -EINTR;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_EXIST: return -EEXIST;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_MSGSIZE: return -EMSGSIZE;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NOATTR: return -ENODATA;
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_BUSY: return -EBUSY;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_NODEV: return -ENODEV;
	case NLE_IMMUTABLE: return -EROFS;
	case NLE_DUMP_INTR: return -EINTR;
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_TRUNC:
	case NLE_MSG_OVERFLOW:
	case NLE_MSG_TOOSHORT:
	case NLE_MSGTYPE_NOSUPPORT:
	case NLE_PARSE_ERR:
		return -EBADMSG;
	default: return -EIO;
	}
}

void xc_wipe(void *p, size_t n)
{
	unsigned char *b = p;

	/* in pieces small enough for memset's vector stores */
	for (size_t k; n; b += k, n -= k) {
		k = n < XC_WIPE_PIECE ? n : XC_WIPE_PIECE;
		explicit_bzero(b, k);
	}
}

/* xc_nl_recv_batch() with recvmsg's flags. */
static ssize_t recv_batch(int fd, void *buf, size_t len, int flags)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct sockaddr_nl from;
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			     .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &mh, flags);

	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return from.nl_pid == 0 ? n : 0; /* only the kernel's count */
}

ssize_t xc_nl_recv_batch(int fd, void *buf, size_t len)
{
	return recv_batch(fd, buf, len, 0);
}

int xc_nl_attrs_again(const struct nlmsghdr *nlh, size_t hdr, const struct nlattr **tb, int max,
		      uint64_t *present)
{
	const struct nlattr *a;
	uint64_t found = 0;
	long rem;

	if (max < 0 || max > 63)
		return -EINVAL;
	for (uint64_t p = *present; p; p &= p - 1)
		tb[__builtin_ctzll(p)] = NULL;
	*present = 0;
	if (nlh->nlmsg_len < NLMSG_LENGTH(hdr))
		return -EBADMSG;
	a = (const struct nlattr *)((const char *)NLMSG_DATA(nlh) + NLMSG_ALIGN(hdr));
	rem = (long)nlh->nlmsg_len - (long)NLMSG_LENGTH(NLMSG_ALIGN(hdr));
	while (rem >= (long)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem) {
		int type = a->nla_type & NLA_TYPE_MASK;

		if (type <= max) {
			tb[type] = a;
			found |= 1ULL << type;
		}
		rem -= NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	*present = found;
	return 0;
}

int xc_nl_attrs(const struct nlmsghdr *nlh, size_t hdr, const struct nlattr **tb, int max)
{
	uint64_t present = 0;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	return xc_nl_attrs_again(nlh, hdr, tb, max, &present);
}

int xc_nl_open(struct xc_nl **out)
{
	struct xc_nl *nl;
	int one = 1, rcvbuf = XC_NL_QUEUE_MAX * 4096, err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->rx = malloc(XC_NL_RX_BUF);
	nl->tx = calloc(1, XC_NL_QUEUE_BYTES + XC_NL_TX_BUF);
	nl->sk = nl_socket_alloc();
	if (!nl->sk || !nl->rx || !nl->tx) {
		err = -ENOMEM;
		goto out;
	}
	err = xc_nl_errno(nl_connect(nl->sk, NETLINK_XFRM));
	if (err < 0)
		goto out;
	nl->fd = nl_socket_get_fd(nl->sk);
	nl->port = nl_socket_get_local_port(nl->sk);
	nl->seq = nl_socket_use_seq(nl->sk);
	/* The kernel's error text, and errors without a copy of our request
	 * (best effort: a kernel without them sends longer errors). */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* room for the answers to a whole queue refused (each answer takes
	 * about 1 KiB of the buffer, however short), past libnl's 32 KiB; the
	 * kernel caps it at net.core.rmem_max */
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	*out = nl;
	nl = NULL;
out:
	xc_nl_close(nl);
	return err;
}

void xc_nl_close(struct xc_nl *nl)
{
	if (!nl)
		return;
	if (nl->sk)
		nl_socket_free(nl->sk);
	/* each read's bytes and each request were zeroed after use; an
	 * interrupted dump leaves nothing behind either */
	if (nl->rx)
		xc_wipe(nl->rx, XC_NL_RX_BUF);
	if (nl->tx) /* requests queued or built, never sent */
		explicit_bzero(nl->tx, nl->q_len + nl->tx_len);
	free(nl->rx);
	free(nl->tx);
	free(nl);
}

/* The extended ack's message attribute, if the kernel sent one. */
static void ext_ack_text(const struct nlmsghdr *nlh, const struct nlmsgerr *e, struct xc_err *xerr)
{
	size_t off = sizeof(*e);
	const struct nlattr *a;
	int rem;

	if (!xerr || !(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		/* the whole request is echoed: the TLVs follow it, aligned */
		if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return;
		off = offsetof(struct nlmsgerr, msg) + NLMSG_ALIGN(e->msg.nlmsg_len);
	}
	if (NLMSG_HDRLEN + off > nlh->nlmsg_len)
		return;
	a = (const struct nlattr *)((const char *)e + off);
	rem = (int)(nlh->nlmsg_len - NLMSG_HDRLEN - off);
	for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
		if (nla_type(a) != NLMSGERR_ATTR_MSG || nla_len(a) < 1)
			continue;
		snprintf(xerr->msg, sizeof(xerr->msg), "%.*s", nla_len(a),
			 (const char *)nla_data(a));
		xerr->msg[strcspn(xerr->msg, "\n")] = '\0';
	}
}

/* One batch of replies; returns 1 when the request is complete, 0 to read
 * on, negative errno on an error. */
static int handle_batch(const unsigned char *buf, size_t len, uint32_t port, uint32_t seq,
			xc_msg_cb cb, void *arg, struct xc_err *xerr)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nlmsgerr *e;
	int rem = (int)len, r;

	for (; NLMSG_OK(nlh, rem); nlh = NLMSG_NEXT(nlh, rem)) {
		if (nlh->nlmsg_pid != port || nlh->nlmsg_seq != seq)
			continue; /* not ours: a late reply to an earlier request */
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_ERROR:
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			e = NLMSG_DATA(nlh);
			if (e->error)
				ext_ack_text(nlh, e, xerr);
			return e->error ? (e->error < 0 ? e->error : -e->error) : 1;
		case NLMSG_DONE:
			/* a dump may end with an error in NLMSG_DONE's payload */
			if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) && *(const int *)NLMSG_DATA(nlh) < 0)
				return *(const int *)NLMSG_DATA(nlh);
			return 1;
		default:
			if (cb && (r = cb(nlh, arg)) < 0)
				return r;
		}
	}
	return 0;
}

/* One batch into buf (XC_NL_RX_BUF bytes), with recvmsg's flags: its
 * length, or -errno (never -EINTR or 0). */
static ssize_t recv_one(int fd, unsigned char *buf, int flags)
{
	ssize_t n;

	do
		n = recv_batch(fd, buf, XC_NL_RX_BUF, flags);
	while (n == -EINTR || n == 0);
	return n;
}

/* Read the replies to request seq until its ACK, NLMSG_DONE or an error.
 * The receive buffer (SAs carry their keys) is wiped once, at the end, as
 * far as any batch filled it: each batch is read over the last, so wiping
 * after each (a dump of 100k SAs is 33 MB) left nothing less behind, and
 * cost 3 % of listing them (5 ms of 0.19 s for 50k SAs in the test guest). */
static int wait_replies(struct xc_nl *nl, uint32_t seq, xc_msg_cb cb, void *arg,
			struct xc_err *err)
{
	size_t used = 0;
	ssize_t n;
	int ret;

	do {
		n = recv_one(nl->fd, nl->rx, 0);
		if (n < 0) {
			ret = (int)n;
			break;
		}
		if ((size_t)n > used)
			used = (size_t)n;
		ret = handle_batch(nl->rx, (size_t)n, nl->port, seq, cb, arg, err);
	} while (ret == 0);
	xc_wipe(nl->rx, used);
	return ret == 1 ? 0 : ret; /* 1: ACK or NLMSG_DONE */
}

void xc_nl_req(struct xc_nl *nl, uint16_t type, uint16_t flags, const void *hdr, size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)req_at(nl);

	if (nl->tx_len) /* one built and never sent */
		explicit_bzero(nlh, nl->tx_len);
	nl->tx_len = 0;
	/* (past a full queue there may be no room left) */
	nl->tx_full = len > XC_NL_TX_BUF - NLMSG_HDRLEN || nl->q_len > XC_NL_QUEUE_BYTES;
	if (nl->tx_full)
		return;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
	if (hdr)
		memcpy((unsigned char *)nlh + NLMSG_HDRLEN, hdr, len);
	nl->tx_len = NLMSG_HDRLEN + NLMSG_ALIGN(len);
}

void *xc_nl_reserve(struct xc_nl *nl, uint16_t type, size_t len)
{
	struct nlattr *a = (struct nlattr *)(req_at(nl) + nl->tx_len);

	/* tx_len and the buffer's size are multiples of 4: what fits aligned */
	if (nl->tx_full || len > XC_NL_TX_BUF || NLA_HDRLEN + len > XC_NL_TX_BUF - nl->tx_len) {
		nl->tx_full = true;
		return NULL;
	}
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	nl->tx_len += NLA_ALIGN(NLA_HDRLEN + len);
	return (unsigned char *)a + NLA_HDRLEN;
}

void *xc_nl_put(struct xc_nl *nl, uint16_t type, const void *data, size_t len)
{
	void *p = xc_nl_reserve(nl, type, len);

	if (p && len)
		memcpy(p, data, len);
	return p;
}

void *xc_nl_put_u32(struct xc_nl *nl, uint16_t type, uint32_t v)
{
	return xc_nl_put(nl, type, &v, sizeof(v));
}

void *xc_nl_put_u8(struct xc_nl *nl, uint16_t type, uint8_t v)
{
	return xc_nl_put(nl, type, &v, sizeof(v));
}

/* Finish the request built since xc_nl_req() (its length, number and
 * port, as libnl's nl_complete_msg() does: the next number, counted here
 * from libnl's first, since no other request goes through libnl) and
 * return its number; *len gets its length. */
static uint32_t req_finish(struct xc_nl *nl, size_t *len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)req_at(nl);

	*len = nl->tx_len;
	nlh->nlmsg_len = (uint32_t)nl->tx_len;
	nlh->nlmsg_seq = nl->seq;
	nlh->nlmsg_pid = nl->port;
	nl->tx_len = 0;
	return nl->seq++;
}

/* Send len bytes of tx to the kernel, then zero them (they may hold keys;
 * xc_wipe: a queue's are many KiB). Returns 0 or -errno. */
static int send_tx(struct xc_nl *nl, size_t len)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do
		n = sendto(nl->fd, nl->tx, len, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : 0;
	xc_wipe(nl->tx, len);
	return (int)n;
}

/* A request that cannot be sent (it did not fit, or requests are queued
 * before it): zeroed and dropped; returns err. */
static int req_drop(struct xc_nl *nl, int err)
{
	explicit_bzero(req_at(nl), nl->tx_len);
	nl->tx_len = 0;
	return err;
}

int xc_nl_req_send(struct xc_nl *nl, xc_msg_cb cb, void *arg, struct xc_err *err)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)req_at(nl);
	size_t len;
	uint32_t seq;
	int r;

	if (err)
		err->msg[0] = '\0';
	if (nl->q_n) /* it would overtake them */
		return req_drop(nl, -EBUSY);
	if (nl->tx_full)
		return req_drop(nl, -EMSGSIZE);
	/* an ACK asked for, as libnl does (a dump that starts sends none;
	 * NLM_F_DUMP cannot be tested for here, its bits are NLM_F_EXCL's
	 * and NLM_F_REPLACE's) */
	nlh->nlmsg_flags |= NLM_F_ACK;
	seq = req_finish(nl, &len);
	r = send_tx(nl, len);
	return r < 0 ? r : wait_replies(nl, seq, cb, arg, err);
}

int xc_nl_queue(struct xc_nl *nl)
{
	size_t len;
	uint32_t seq;

	if (nl->tx_full)
		return req_drop(nl, -EMSGSIZE);
	nl->q_last = nl->q_len;
	seq = req_finish(nl, &len); /* no ACK asked for: the kernel answers failures only */
	if (!nl->q_n++)
		nl->q_seq = seq;
	nl->q_len += len;
	return nl->q_n >= XC_NL_QUEUE_MAX || nl->q_len > XC_NL_QUEUE_BYTES;
}

/* The answers to the queued requests q_seq… (n of them) in one batch:
 * fail() for each refusal; returns 1 once the last one has answered, 0 to
 * read on, -EBADMSG. */
static int queue_answers(const unsigned char *buf, size_t len, uint32_t port, uint32_t seq0,
			 unsigned int n, xc_fail_cb fail, void *arg)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nlmsgerr *e;
	struct xc_err xe;
	int rem = (int)len;
	uint32_t i;

	for (; NLMSG_OK(nlh, rem); nlh = NLMSG_NEXT(nlh, rem)) {
		i = nlh->nlmsg_seq - seq0; /* (wraps past n for earlier numbers) */
		if (nlh->nlmsg_pid != port || i >= n || nlh->nlmsg_type != NLMSG_ERROR)
			continue; /* not an answer to these */
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return -EBADMSG;
		e = NLMSG_DATA(nlh);
		if (e->error) {
			xe.msg[0] = '\0';
			ext_ack_text(nlh, e, &xe);
			fail(i, e->error < 0 ? e->error : -e->error, &xe, arg);
		}
		if (i == n - 1)
			return 1;
	}
	return 0;
}

int xc_nl_flush(struct xc_nl *nl, xc_fail_cb fail, void *arg, bool *sent)
{
	unsigned int n = nl->q_n;
	size_t len = nl->q_len;
	ssize_t got;
	int r;

	*sent = false;
	if (!n)
		return 0;
	if (nl->tx_len) /* built and not queued: dropped (see nl.h) */
		req_drop(nl, 0);
	((struct nlmsghdr *)(nl->tx + nl->q_last))->nlmsg_flags |= NLM_F_ACK;
	nl->q_n = 0;
	nl->q_len = 0;
	r = send_tx(nl, len);
	if (r < 0) /* refused before the kernel read any of them */
		return r;
	*sent = true;
	/* The kernel has handled every request before sendto() returns,
	 * queueing its answers on the socket: whatever is not there now will
	 * not come. */
	for (;;) {
		got = recv_one(nl->fd, nl->rx, MSG_DONTWAIT);
		if (got < 0)
			return got == -EAGAIN ? -EPROTO : (int)got;
		r = queue_answers(nl->rx, (size_t)got, nl->port, nl->q_seq, n, fail, arg);
		xc_wipe(nl->rx, (size_t)got);
		if (r != 0)
			return r < 0 ? r : 0;
	}
}
