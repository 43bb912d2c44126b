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
	unsigned char *rx; /* replies, zeroed after each read: they carry keys */
	unsigned char *tx; /* the request being built; all zero between requests */
	size_t tx_len;     /* bytes of tx written since xc_nl_req() */
	bool tx_full;      /* a put did not fit: the request is not sent */
};

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

ssize_t xc_nl_recv_batch(int fd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct sockaddr_nl from;
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			     .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &mh, 0);

	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return from.nl_pid == 0 ? n : 0; /* only the kernel's count */
}

int xc_nl_attrs(const struct nlmsghdr *nlh, size_t hdr, const struct nlattr **tb, int max)
{
	const struct nlattr *a;
	long rem;

	if (nlh->nlmsg_len < NLMSG_LENGTH(hdr))
		return -EBADMSG;
	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	a = (const struct nlattr *)((const char *)NLMSG_DATA(nlh) + NLMSG_ALIGN(hdr));
	rem = (long)nlh->nlmsg_len - (long)NLMSG_LENGTH(NLMSG_ALIGN(hdr));
	while (rem >= (long)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem) {
		int type = a->nla_type & NLA_TYPE_MASK;

		if (type <= max)
			tb[type] = a;
		rem -= NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	return 0;
}

int xc_nl_open(struct xc_nl **out)
{
	struct xc_nl *nl;
	int one = 1, err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->rx = malloc(XC_NL_RX_BUF);
	nl->tx = calloc(1, XC_NL_TX_BUF);
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
	/* The kernel's error text, and errors without a copy of our request. */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
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
	if (nl->tx)
		explicit_bzero(nl->tx, nl->tx_len);
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

/* One batch into buf: its length, or -errno (never -EINTR or 0). */
static ssize_t recv_one(int fd, unsigned char *buf)
{
	ssize_t n;

	do
		n = xc_nl_recv_batch(fd, buf, XC_NL_RX_BUF);
	while (n == -EINTR || n == 0);
	return n;
}

/* Read the replies to request seq until its ACK, NLMSG_DONE or an error. */
static int wait_replies(struct xc_nl *nl, uint32_t seq, xc_msg_cb cb, void *arg,
			struct xc_err *err)
{
	ssize_t n;
	int ret;

	for (;;) {
		n = recv_one(nl->fd, nl->rx);
		if (n < 0)
			return (int)n;
		ret = handle_batch(nl->rx, (size_t)n, nl->port, seq, cb, arg, err);
		xc_wipe(nl->rx, (size_t)n);
		if (ret != 0)
			return ret == 1 ? 0 : ret; /* 1: ACK or NLMSG_DONE */
	}
}

struct nlmsghdr *xc_nl_req(struct xc_nl *nl, uint16_t type, uint16_t flags, const void *hdr,
			   size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)nl->tx;

	if (nl->tx_len) /* one built and never sent */
		explicit_bzero(nl->tx, nl->tx_len);
	nl->tx_full = false;
	nl->tx_len = NLMSG_HDRLEN;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
	if (len > XC_NL_TX_BUF - NLMSG_HDRLEN) {
		nl->tx_full = true;
		return nlh;
	}
	if (hdr)
		memcpy(nl->tx + NLMSG_HDRLEN, hdr, len);
	nl->tx_len += NLMSG_ALIGN(len);
	return nlh;
}

void *xc_nl_reserve(struct xc_nl *nl, uint16_t type, size_t len)
{
	struct nlattr *a = (struct nlattr *)(nl->tx + nl->tx_len);

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

int xc_nl_req_send(struct xc_nl *nl, xc_msg_cb cb, void *arg, struct xc_err *err)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = (struct nlmsghdr *)nl->tx;
	size_t len = nl->tx_len;
	uint32_t seq;
	ssize_t n;

	if (err)
		err->msg[0] = '\0';
	if (nl->tx_full) {
		explicit_bzero(nl->tx, len);
		nl->tx_len = 0;
		return -EMSGSIZE;
	}
	/* as libnl's nl_complete_msg() does: its port, the next number (from
	 * libnl's first, counted here: no other request goes through libnl),
	 * and an ACK asked for (a dump that starts sends none; NLM_F_DUMP
	 * cannot be tested for here, its bits are NLM_F_EXCL's and
	 * NLM_F_REPLACE's) */
	seq = nl->seq++;
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = nl->port;
	nlh->nlmsg_flags |= NLM_F_ACK;
	do
		n = sendto(nl->fd, nl->tx, len, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	n = n < 0 ? -errno : 0;
	explicit_bzero(nl->tx, len); /* it may hold keys */
	nl->tx_len = 0;
	return n < 0 ? (int)n : wait_replies(nl, seq, cb, arg, err);
}
