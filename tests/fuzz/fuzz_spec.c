/* libFuzzer: the `ip xfrm state` grammar (xc_spec_sa, xc_spec_sa_id,
 * xc_spec_sa_allocspi, xc_spec_sa_filter) and the batch-line splitter
 * (xc_split_line) on any words.
 * Input: WORDS [ '|' KEY-LINES ]. WORDS are split at NULs and blanks into
 * argv; KEY-LINES are the stream '-' keys are read from (none: '-' is
 * refused as when stdin is taken). A word that starts with '@' would make
 * the parser read that file, so such inputs are skipped.
 * Every refusal must come with a message. The bytes as one batch line
 * after "state add": what xc_spec_sa_text reads of them must be what
 * xc_spec_sa makes of the words the splitter gives, byte for byte, and a
 * line it declines must leave its SA all zero.
 * Sources: lib/spec.c lib/algo.c lib/keys.c lib/sa.c lib/nl.c lib/tokens.c */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORDS 128
#define BLANKS " \t\n\r\v\f"

static struct xc_sa sa;
static struct xc_sa_filter filter;

static void check_alg(const struct xc_sa_alg *a)
{
	if (a->set && (a->key_len > XC_KEY_MAX || !memchr(a->name, '\0', sizeof(a->name))))
		__builtin_trap();
}

/* A refusal says why; an acceptance holds sane strings. */
static void check(int r, const struct xc_err *err)
{
	if (!memchr(err->msg, '\0', sizeof(err->msg)))
		__builtin_trap();
	if (r < 0 && !err->msg[0])
		__builtin_trap();
	if (r == 0) {
		check_alg(&sa.aead);
		check_alg(&sa.enc);
		check_alg(&sa.auth);
		check_alg(&sa.comp);
		if (!memchr(sa.ctx.str, '\0', sizeof(sa.ctx.str)) ||
		    !memchr(sa.offload_dev, '\0', sizeof(sa.offload_dev)))
			__builtin_trap();
	}
}

/* Without quotes or backslashes, a line's words are its runs of bytes
 * between blanks, up to a word that starts with '#': what the splitter
 * gave (fast path or byte-wise) must be exactly those. */
static void check_plain_split(const char *text, char **got, int n)
{
	const char *p = text;
	int i = 0;

	if (!text || strpbrk(text, "'\"\\"))
		return;
	for (;; i++) {
		size_t k;

		p += strspn(p, BLANKS);
		if (!*p || *p == '#')
			break;
		k = strcspn(p, BLANKS);
		if (i >= n || strlen(got[i]) != k || memcmp(got[i], p, k))
			__builtin_trap();
		p += k;
	}
	if (i != n)
		__builtin_trap();
}

static struct xc_sa sa_text;
static const struct xc_sa zero_sa;

/* xc_spec_sa_text on text against xc_spec_sa on its split words (split
 * destroys text). */
static void check_text(const char *text, char *split)
{
	char *argv[MAX_WORDS];
	struct xc_spec_opts o = { NULL };
	struct xc_err err = { "" };
	int argc, r;

	memset(&sa, 0, sizeof(sa));
	memset(&sa_text, 0, sizeof(sa_text));
	if (!xc_spec_sa_text(text, &sa_text)) {
		if (memcmp(&sa_text, &zero_sa, sizeof(zero_sa)))
			__builtin_trap();
		return;
	}
	argc = xc_split_line(split, argv, MAX_WORDS, &err);
	if (argc < 0)
		__builtin_trap();
	r = xc_spec_sa(argc, argv, &sa, &o, &err);
	if (r != 0 || memcmp(&sa, &sa_text, sizeof(sa)))
		__builtin_trap();
	xc_sa_clear(&sa_text);
	xc_sa_clear(&sa);
}

static FILE *key_stream(const char *keys, size_t n)
{
	return n ? fmemopen((void *)keys, n, "r") : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *words, *line, *line_text = NULL, *argv[MAX_WORDS], *split_argv[MAX_WORDS];
	const char *bar;
	size_t wlen, klen;
	struct xc_spec_opts o = { NULL };
	struct xc_err err;
	uint32_t min, max;
	int argc = 0, r;

	if (!size || size > 8192)
		return 0;
	bar = memchr(data, '|', size);
	wlen = bar ? (size_t)(bar - (const char *)data) : size;
	klen = bar ? size - wlen - 1 : 0;
	words = malloc(wlen + 1);
	line = malloc(wlen + 1);
	if (!words || !line)
		goto out;
	memcpy(words, data, wlen);
	words[wlen] = '\0';
	memcpy(line, data, wlen);
	line[wlen] = '\0';
	line_text = strdup(line);

	/* the words: split at NUL and blanks, in place */
	for (size_t i = 0; i < wlen;) {
		while (i < wlen && (!words[i] || isspace((unsigned char)words[i])))
			words[i++] = '\0';
		if (i == wlen)
			break;
		if (words[i] == '@' || argc == MAX_WORDS)
			goto out; /* a key file; too many words */
		argv[argc++] = &words[i];
		while (i < wlen && words[i] && !isspace((unsigned char)words[i]))
			i++;
	}

	memset(&err, 0, sizeof(err));
	o.key_in = key_stream(bar ? bar + 1 : NULL, klen);
	r = xc_spec_sa(argc, argv, &sa, &o, &err);
	check(r, &err);
	if (o.key_in)
		fclose(o.key_in);

	memset(&err, 0, sizeof(err));
	check(xc_spec_sa_id(argc, argv, &sa, &err), &err);
	memset(&err, 0, sizeof(err));
	check(xc_spec_sa_allocspi(argc, argv, &sa, &min, &max, &err), &err);
	memset(&err, 0, sizeof(err));
	r = xc_spec_sa_filter(argc, argv, &filter, &err);
	check(r, &err);
	if (r == 0)
		xc_sa_filter_match(&filter, &filter.sa.info);

	/* the same bytes as one line of a batch file (up to a NUL) */
	memset(&err, 0, sizeof(err));
	r = xc_split_line(line, split_argv, MAX_WORDS, &err);
	if (r > MAX_WORDS || (r < 0 && !err.msg[0]))
		__builtin_trap();
	for (int i = 0; i < r; i++)
		if (split_argv[i] < line || split_argv[i] + strlen(split_argv[i]) > line + wlen)
			__builtin_trap();
	if (r >= 0)
		check_plain_split(line_text, split_argv, r);

	/* the same line read unsplit, as a batch's state add */
	if (line_text) {
		memcpy(line, line_text, strlen(line_text) + 1);
		check_text(line_text, line);
	}
out:
	xc_sa_clear(&sa);
	free(words);
	free(line);
	free(line_text);
	return 0;
}
