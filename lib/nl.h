/* A NETLINK_XFRM socket on libnl-3: requests with their ACK, and streaming
 * dumps (one message at a time to a callback, nothing cached). Errors are
 * the kernel's own errno (never libnl's -NLE_* codes, which merge ENOENT and
 * ESRCH) plus the kernel's extended-ack text when it gives one.
 * libnl opens the socket and numbers the requests. Requests are built in
 * the handle's own buffer (xc_nl_req… below: no allocation per request,
 * which was most of the cost of installing SAs besides the kernel's) and
 * zeroed once sent, since they may carry keys. Replies are read into one
 * buffer, and the bytes of each read are zeroed after it, since SA replies
 * carry keys (libnl would copy each message into a heap block and free it
 * unzeroed). */
#ifndef XFRMCTL_NL_H
#define XFRMCTL_NL_H

#include <errno.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

struct xc_nl;

/* What went wrong, in words, beside the negative errno a function returns:
 * the kernel's extended ack ("Kernel was unable to initialize cryptographic
 * operations") or a parse error ("unknown algorithm 'x'"). Empty if none. */
struct xc_err {
	char msg[256];
};

void xc_err_set(struct xc_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int xc_nl_open(struct xc_nl **out);
void xc_nl_close(struct xc_nl *nl);

/* Called for each reply message; return 0 to go on, negative errno to stop
 * (the request then returns that errno). */
typedef int (*xc_msg_cb)(const struct nlmsghdr *nlh, void *arg);

/* A request, built in the handle's buffer, which is all zero between
 * requests (so reserved bytes start zeroed):
 *	xc_nl_req(nl, XFRM_MSG_NEWSA, NLM_F_CREATE | NLM_F_EXCL, &info, sizeof(info));
 *	xc_nl_put(nl, XFRMA_MARK, &mark, sizeof(mark));
 *	r = xc_nl_req_send(nl, cb, arg, err);
 * A request that does not fit (more than XC_NL_TX_BUF bytes) is not sent:
 * the puts past the end return NULL and xc_nl_req_send() -EMSGSIZE. */
#define XC_NL_TX_BUF 16384

/* Start a request of type with flags (NLM_F_REQUEST is added, and NLM_F_ACK
 * when it is sent alone, as libnl does: a dump that starts sends no ACK)
 * and the fixed header hdr of len bytes (NULL: zeroes). */
void xc_nl_req(struct xc_nl *nl, uint16_t type, uint16_t flags, const void *hdr, size_t len);
/* Append attribute type with len bytes of payload, left zero for the
 * caller to fill; returns the payload, or NULL if the request is full. */
void *xc_nl_reserve(struct xc_nl *nl, uint16_t type, size_t len);
/* Append attribute type with a copy of data (len bytes); returns the
 * payload, or NULL if the request is full. */
void *xc_nl_put(struct xc_nl *nl, uint16_t type, const void *data, size_t len);
void *xc_nl_put_u32(struct xc_nl *nl, uint16_t type, uint32_t v);
void *xc_nl_put_u8(struct xc_nl *nl, uint16_t type, uint8_t v);
/* Send the request built since xc_nl_req() (its bytes are zeroed in every
 * case) and read replies until the kernel's ACK, NLMSG_DONE or an error;
 * data messages go to cb (may be NULL). Returns 0 or -errno. */
int xc_nl_req_send(struct xc_nl *nl, xc_msg_cb cb, void *arg, struct xc_err *err);

/* Requests sent many at once, for batches: fewer system calls, and a
 * system call under the test guest's emulated CPU costs more user time
 * than building a request. xc_nl_queue() ends the request built since
 * xc_nl_req() and keeps it; xc_nl_flush() sends all those kept in one
 * sendto(). The kernel handles them in order, each whatever became of the
 * ones before it, answering only those it refuses and then the last one.
 * A caller that must not go on past a refusal has to undo what the kernel
 * did with the requests after it. xc_nl_req_send() refuses to overtake
 * queued requests (-EBUSY): flush them first. */
#define XC_NL_QUEUE_MAX 64	   /* requests */
#define XC_NL_QUEUE_BYTES 32768 /* of requests; one of XC_NL_TX_BUF more always fits */
/* A queue is sent in one sendto(), which the kernel takes up to the
 * socket's send buffer less 32 bytes: libnl's 32 KiB, which it doubles. */
_Static_assert(XC_NL_QUEUE_BYTES + XC_NL_TX_BUF <= 2 * 32768 - 32, "a queue fits one sendto()");

/* Queue the request built: 1 if the queue is now full (flush before
 * queueing another), 0 if not, -EMSGSIZE if the request did not fit (it is
 * dropped). */
int xc_nl_queue(struct xc_nl *nl);

/* Called by xc_nl_flush() for each queued request the kernel refused, in
 * order: i is its place in the queue (0: the first), err the -errno, xe
 * the kernel's text if any. */
typedef void (*xc_fail_cb)(unsigned int i, int err, const struct xc_err *xe, void *arg);

/* Send the queued requests (their bytes are zeroed) and read the answers.
 * A request built and not queued is dropped. Returns 0 once every request
 * is accounted for: those not given to fail were done. Else -errno, and
 * *sent says which failed: the send (false: the kernel did none of them),
 * or reading the answers (true: -ENOBUFS, the socket overran; -EPROTO, the
 * kernel did not answer the last; -EBADMSG): which were done is unknown. */
int xc_nl_flush(struct xc_nl *nl, xc_fail_cb fail, void *arg, bool *sent);

/* A buffer that holds any one batch of the kernel's replies or events
 * (its dumps come in up to 32 KiB). */
#define XC_NL_RX_BUF 65536

/* Zero n bytes at p (not optimised away), as explicit_bzero() does, but
 * in pieces of XC_WIPE_PIECE: above 2 KiB glibc's memset uses `rep stosb`,
 * which an emulated CPU (qemu TCG, the test guest) runs a byte per step:
 * 35 us for a 32 KiB dump batch there, against 3 us for vector stores.
 * For buffers that held kernel replies. */
#define XC_WIPE_PIECE 1024
void xc_wipe(void *p, size_t n);

/* Receive one batch on a netlink socket into buf: its length, 0 if it did
 * not come from the kernel (to be ignored), -EMSGSIZE if it was cut, or
 * -errno from recvmsg (-EINTR, -ENOBUFS… for the caller to judge). */
ssize_t xc_nl_recv_batch(int fd, void *buf, size_t len);

/* The attributes of a message after its netlink header and a fixed header
 * of hdr bytes, by type, as libnl's nlmsg_parse() without a policy finds
 * them (the last of a type wins, types past max are left out), but without
 * its calls per attribute: listing 100k SAs parses 100k messages. Fills
 * tb[0..max] (max at most 63); returns 0, or -EBADMSG if the message is
 * shorter than its headers. For parsers of kernel messages. */
int xc_nl_attrs(const struct nlmsghdr *nlh, size_t hdr, const struct nlattr **tb, int max);
/* The same for the next of many messages, into the tb of the last: only
 * the entries in *present (bit T: tb[T] was set) are cleared, not all of
 * tb, and *present gets the types found. tb starts all NULL, *present 0. */
int xc_nl_attrs_again(const struct nlmsghdr *nlh, size_t hdr, const struct nlattr **tb, int max,
		      uint64_t *present);

/* An attribute's payload and its length (for attributes xc_nl_attrs found). */
static inline const void *xc_nla_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static inline size_t xc_nla_len(const struct nlattr *a)
{
	return (size_t)a->nla_len - NLA_HDRLEN;
}

/* Copy attribute tb[type]'s payload into dst if present (and set *has, if
 * given); -EBADMSG if it is shorter than size. */
static inline int xc_nla_copy(const struct nlattr *const *tb, int type, void *dst, size_t size,
			      bool *has)
{
	const struct nlattr *a = tb[type];

	if (!a)
		return 0;
	if (a->nla_len < NLA_HDRLEN + size)
		return -EBADMSG;
	memcpy(dst, (const char *)a + NLA_HDRLEN, size);
	if (has)
		*has = true;
	return 0;
}

/* Convert a libnl -NLE_* code to -errno (the one place that does);
 * non-negative values pass through. */
int xc_nl_errno(int nle);

#endif
