/* libFuzzer: state list's text of an SA read straight from the kernel's
 * message (text_sa_at_once(), cli/state.c) against the print calls
 * (cli_print_sa() of the SA xc_sa_msg_parse() makes of the same message):
 * for a message the first writes, the second must write the same bytes;
 * a message it leaves to the print calls, it must leave unwritten. One
 * struct xc_sa_msg is kept from input to input, as a dump keeps it from
 * message to message. The input's first byte sets -k (bit 0) and -o
 * (bit 1); the rest is a NEWSA's payload (fuzz_msg.h). cli/state.c is compiled into
 * this file; main.c's globals are defined here.
 * Sources: cli/print.c cli/common.c lib/sa.c lib/nl.c lib/spec.c lib/spec_sp.c lib/algo.c lib/keys.c lib/tokens.c */
#include "../../cli/state.c"
#include "fuzz_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct global_opts G;
size_t cli_err_line;

void err_msg(const char *fmt, ...)
{
	(void)fmt;
}

/* (state export is not reached from here) */
int state_export_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	__builtin_trap();
}

/* What one way writes: its bytes, allocated, and their count. */
static char *written(const struct xc_sa_msg *m, const struct xc_sa *sa, size_t *len, bool *at_once)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		__builtin_trap();
	print_init(f, false);
	if (m)
		*at_once = text_sa_at_once(m);
	else
		cli_print_sa(NULL, sa);
	if (print_end() < 0 || fclose(f))
		__builtin_trap();
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xc_sa_msg m;
	static struct xc_sa sa;
	struct nlmsghdr *nlh;
	char *fast, *calls;
	size_t nf, nc;
	bool at_once = false;
	int r;

	if (size < 1 || size > 65536)
		return 0;
	nlh = fuzz_msg(data + 1, size - 1, XFRM_MSG_NEWSA);
	if (!nlh)
		return 0;
	G.keys = data[0] & 1;
	G.oneline = data[0] >> 1 & 1;

	if (xc_sa_msg_read(nlh, &m) == 0) {
		fast = written(&m, NULL, &nf, &at_once);
		r = xc_sa_msg_parse(&m, &sa);
		if (at_once) {
			if (r < 0)
				__builtin_trap(); /* written, but refused by the parser */
			calls = written(NULL, &sa, &nc, NULL);
			if (nc != nf || memcmp(fast, calls, nf))
				__builtin_trap();
			free(calls);
		} else if (nf) {
			__builtin_trap(); /* left to the print calls, but written */
		}
		free(fast);
		xc_sa_clear(&sa);
	}
	free(nlh);
	return 0;
}
