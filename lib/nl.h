/* A NETLINK_XFRM socket on libnl-3: requests with their ACK, and streaming
 * dumps (one message at a time to a callback, nothing cached). Errors are
 * the kernel's own errno (never libnl's -NLE_* codes, which merge ENOENT and
 * ESRCH) plus the kernel's extended-ack text when it gives one.
 * libnl builds and sends the requests; replies are read here into one
 * buffer that is zeroed after each read, since SA replies carry keys (libnl
 * would copy each message into a heap block and free it unzeroed). */
#ifndef XFRMCTL_NL_H
#define XFRMCTL_NL_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct nl_msg;
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

/* Send msg (consumed in every case) and read replies until the kernel's ACK,
 * NLMSG_DONE or an error; data messages go to cb (may be NULL). Sets
 * NLM_F_ACK itself for requests that are not dumps. Returns 0 or -errno. */
int xc_nl_request(struct xc_nl *nl, struct nl_msg *msg, xc_msg_cb cb, void *arg,
		  struct xc_err *err);

/* A buffer that holds any one batch of the kernel's replies or events
 * (its dumps come in up to 32 KiB). */
#define XC_NL_RX_BUF 65536

/* Receive one batch on a netlink socket into buf: its length, 0 if it did
 * not come from the kernel (to be ignored), -EMSGSIZE if it was cut, or
 * -errno from recvmsg (-EINTR, -ENOBUFS… for the caller to judge). */
ssize_t xc_nl_recv_batch(int fd, void *buf, size_t len);

struct nlattr;
/* Copy attribute tb[type] into dst if present (and set *has, if given);
 * -EBADMSG if it is shorter than size. For parsers of kernel messages. */
int xc_nla_copy(struct nlattr **tb, int type, void *dst, size_t size, bool *has);

/* Convert a libnl -NLE_* code to -errno (the one place that does);
 * non-negative values pass through. */
int xc_nl_errno(int nle);

#endif
