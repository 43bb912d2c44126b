/* libFuzzer: xc_sa_parse() on one netlink message from the kernel, whose
 * bytes are not to be trusted. The input's first byte picks the message
 * type; the rest is the payload, behind a header whose nlmsg_len is exactly
 * what was allocated, so any read past it is ASan's to report.
 * Sources: lib/sa.c lib/nl.c */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_msg.h"
#include "sa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static void check_alg(const struct xc_sa_alg *a)
{
	if (!a->set)
		return;
	if (a->key_len > XC_KEY_MAX || !memchr(a->name, '\0', sizeof(a->name)))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = { XFRM_MSG_NEWSA, XFRM_MSG_UPDSA, XFRM_MSG_DELSA,
					  XFRM_MSG_EXPIRE, XFRM_MSG_NEWPOLICY };
	static struct xc_sa sa;
	struct nlmsghdr *nlh;
	int r;

	if (size < 1 || size > 65536)
		return 0;
	nlh = fuzz_msg(data + 1, size - 1, types[data[0] % N_ELEM(types)]);
	if (!nlh)
		return 0;

	r = xc_sa_parse(nlh, &sa);
	if (r != 0 && r != -EBADMSG)
		__builtin_trap();
	if (r == 0) {
		check_alg(&sa.aead);
		check_alg(&sa.enc);
		check_alg(&sa.auth);
		check_alg(&sa.comp);
		if (sa.has_ctx && !memchr(sa.ctx.str, '\0', sizeof(sa.ctx.str)))
			__builtin_trap();
	}
	xc_sa_clear(&sa);
	free(nlh);
	return 0;
}
