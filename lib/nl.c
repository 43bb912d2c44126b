#include "nl.h"

#include <errno.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
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
	unsigned char *rx; /* replies, zeroed after each read: they carry keys */
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

int xc_nla_copy(struct nlattr **tb, int type, void *dst, size_t size, bool *has)
{
	if (!tb[type])
		return 0;
	if ((size_t)nla_len(tb[type]) < size)
		return -EBADMSG;
	memcpy(dst, nla_data(tb[type]), size);
	if (has)
		*has = true;
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
	nl->sk = nl_socket_alloc();
	if (!nl->sk || !nl->rx) {
		err = -ENOMEM;
		goto out;
	}
	err = xc_nl_errno(nl_connect(nl->sk, NETLINK_XFRM));
	if (err < 0)
		goto out;
	/* The kernel's error text, and errors without a copy of our request. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
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
	if (nl->rx)
		explicit_bzero(nl->rx, XC_NL_RX_BUF);
	free(nl->rx);
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

int xc_nl_request(struct xc_nl *nl, struct nl_msg *msg, xc_msg_cb cb, void *arg,
		  struct xc_err *err)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int fd = nl_socket_get_fd(nl->sk), ret;
	uint32_t seq, port = nl_socket_get_local_port(nl->sk);
	ssize_t n;

	if (err)
		err->msg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_DUMP))
		nlh->nlmsg_flags |= NLM_F_ACK;
	ret = xc_nl_errno(nl_send_auto(nl->sk, msg));
	seq = nlh->nlmsg_seq;
	explicit_bzero(nlh, nlh->nlmsg_len); /* it may hold keys */
	nlmsg_free(msg);
	while (ret >= 0) {
		n = xc_nl_recv_batch(fd, nl->rx, XC_NL_RX_BUF);
		if (n == -EINTR || n == 0)
			continue;
		if (n < 0) {
			ret = (int)n;
			break;
		}
		ret = handle_batch(nl->rx, (size_t)n, port, seq, cb, arg, err);
		explicit_bzero(nl->rx, (size_t)n);
		if (ret == 1)
			return 0; /* ACK or NLMSG_DONE */
	}
	return ret;
}
