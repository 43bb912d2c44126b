/* libFuzzer: SA files (xc_safile_parse), the `state add` lines and the
 * JSON of `state list -j -k`, on any bytes.
 * Checked: a refusal says where it is ("f line N…"); an SA handed out has
 * terminated strings and keys no longer than their buffers; nothing is
 * read past the input (ASan). Inputs with an '@' are skipped: an '@FILE'
 * key in a state add line would make the parser read that file.
 * Sources: lib/safile.c lib/spec.c lib/algo.c lib/keys.c lib/sa.c lib/nl.c lib/tokens.c */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "safile.h"
#include "sa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_alg(const struct xc_sa_alg *a)
{
	if (a->set && (a->key_len > XC_KEY_MAX || !memchr(a->name, '\0', sizeof(a->name))))
		__builtin_trap();
}

static int check_sa(const struct xc_sa *sa, const struct xc_safile_at *at, void *arg,
		    struct xc_err *err)
{
	(void)arg;
	(void)err;
	if (at->index == 0 || at->line == 0 || strcmp(at->file, "f"))
		__builtin_trap();
	check_alg(&sa->aead);
	check_alg(&sa->enc);
	check_alg(&sa->auth);
	check_alg(&sa->comp);
	if (!memchr(sa->ctx.str, '\0', sizeof(sa->ctx.str)))
		__builtin_trap();
	if (at->format == XC_SAFILE_JSON && (sa->esn.seq || sa->esn.seq_hi || sa->has_replay))
		__builtin_trap(); /* a listing's counters are never taken */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xc_err err = { "" };
	int r;

	if (memchr(data, '@', size))
		return 0;
	r = xc_safile_parse("f", (const char *)data, size, check_sa, NULL, &err);
	if (!memchr(err.msg, '\0', sizeof(err.msg)))
		__builtin_trap();
	if (r < 0 && r != -ENOMEM && strncmp(err.msg, "f line ", 7))
		__builtin_trap();
	return 0;
}
