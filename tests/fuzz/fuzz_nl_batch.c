/* libFuzzer: handle_batch() in lib/nl.c, the reader of one recvmsg()'s
 * worth of netlink replies (ACKs, errors with extended-ack text, NLMSG_DONE,
 * data messages), with every data message handed to xc_sa_parse() as an SA
 * dump would, and read again into one struct xc_sa_msg kept from message to
 * message, as state list reads them (the two must agree); and queue_answers(), the reader of the answers to queued
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

/* What a dump keeps from one message to the next: the message read
 * (reused, as xc_sa_dump_msgs() does), and SAs to compare. */
struct dump {
	struct xc_sa_msg m;
	struct xc_sa sa, again;
};

static bool same_alg(const struct xc_sa_alg *a, const struct xc_sa_alg *b)
{
	return !memcmp(a, b, offsetof(struct xc_sa_alg, key)) && !memcmp(a->key, b->key, a->key_len);
}

static int parse_sa(const struct nlmsghdr *nlh, void *arg)
{
	struct dump *d = arg;
	int r = xc_sa_parse(nlh, &d->sa), r2 = xc_sa_msg_read(nlh, &d->m);

	/* the message read into a reused m: its present mask is exactly its
	 * attributes found, and it parses to the same SA as a fresh read */
	for (int t = 0; t <= XC_XFRMA_SA_DIR; t++)
		if (!(d->m.present >> t & 1) != !d->m.tb[t])
			__builtin_trap();
	if (r2 == 0) {
		xc_sa_clear(&d->again);
		r2 = xc_sa_msg_parse(&d->m, &d->again);
	}
	if (r2 != r || (r == 0 && (memcmp(&d->sa, &d->again, offsetof(struct xc_sa, aead)) ||
				   !same_alg(&d->sa.aead, &d->again.aead) ||
				   !same_alg(&d->sa.enc, &d->again.enc) ||
				   !same_alg(&d->sa.auth, &d->again.auth) ||
				   !same_alg(&d->sa.comp, &d->again.comp))))
		__builtin_trap();
	xc_sa_clear(&d->sa);
	xc_sa_clear(&d->again);
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
	static struct dump d;
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
	r = handle_batch(buf, size, PORT, SEQ, parse_sa, &d, &err);
	if (r > 1 || !memchr(err.msg, '\0', sizeof(err.msg)) || strchr(err.msg, '\n'))
		__builtin_trap();
	r = queue_answers(buf, size, PORT, SEQ, XC_NL_QUEUE_MAX, refused, NULL);
	if (r > 1)
		__builtin_trap();
	free(buf);
	return 0;
}
