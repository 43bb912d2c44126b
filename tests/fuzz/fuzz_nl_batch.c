/* libFuzzer: handle_batch() in lib/nl.c, the reader of one recvmsg()'s
 * worth of netlink replies (ACKs, errors with extended-ack text, NLMSG_DONE,
 * data messages), with every data message handed to xc_sa_parse() as an SA
 * dump would; and queue_answers(), the reader of the answers to queued
 * requests, on the same bytes. Both are static: nl.c is compiled into this
 * file.
 * The input is the batch, copied to a buffer of exactly its size.
 * Sources: lib/sa.c */
#include "../../lib/nl.c"

#include "sa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The port and sequence number of "our" request. */
#define PORT 0x1234
#define SEQ 1

static int parse_sa(const struct nlmsghdr *nlh, void *arg)
{
	struct xc_sa *sa = arg;
	int r = xc_sa_parse(nlh, sa);

	xc_sa_clear(sa);
	/* stop at a bad SA as a dump does, else go on */
	return r;
}

/* A refusal of queued request i (of XC_NL_QUEUE_MAX numbered from SEQ). */
static void refused(unsigned int i, int err, const struct xc_err *xe, void *arg)
{
	(void)arg;
	if (i >= XC_NL_QUEUE_MAX || err >= 0 || !memchr(xe->msg, '\0', sizeof(xe->msg)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xc_sa sa;
	struct xc_err err = { "" };
	unsigned char *buf;
	int r;

	if (size > XC_NL_RX_BUF)
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	r = handle_batch(buf, size, PORT, SEQ, parse_sa, &sa, &err);
	if (r > 1 || !memchr(err.msg, '\0', sizeof(err.msg)) || strchr(err.msg, '\n'))
		__builtin_trap();
	r = queue_answers(buf, size, PORT, SEQ, XC_NL_QUEUE_MAX, refused, NULL);
	if (r > 1)
		__builtin_trap();
	free(buf);
	return 0;
}
