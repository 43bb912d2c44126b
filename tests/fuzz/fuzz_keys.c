/* libFuzzer: xc_hex_decode() and xc_key_read() on any text. The first byte
 * is the output capacity (0 to 255); the rest is the text. What decodes is
 * checked against the digits themselves; tokens that start with '@' (a key
 * file) are left alone so that nothing is read from the disk.
 * Sources: lib/keys.c lib/nl.c */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A decoded key is the text's digits, two by two, after an optional 0x. */
static void check_decoded(const char *s, size_t n, const unsigned char *out, long len)
{
	size_t i = 0, got = 0;
	int hi = -1;

	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
		i += 2;
	for (; i < n; i++) {
		if (isspace((unsigned char)s[i]))
			continue;
		if (digit(s[i]) < 0)
			__builtin_trap();
		if (hi < 0) {
			hi = digit(s[i]);
			continue;
		}
		if ((long)got >= len || out[got] != (hi << 4 | digit(s[i])))
			__builtin_trap();
		got++;
		hi = -1;
	}
	if (hi >= 0 || (long)got != len)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out;
	size_t cap, n, bad = SIZE_MAX, len = 0;
	struct xc_err err = { "" };
	char *text;
	FILE *in;
	long r;

	if (size < 1)
		return 0;
	cap = data[0];
	n = size - 1;
	text = malloc(n + 1);
	out = malloc(cap ? cap : 1);
	if (!text || !out)
		goto out;
	memcpy(text, data + 1, n);
	text[n] = '\0';

	r = xc_hex_decode(text, n, out, cap, &bad);
	if (r >= 0) {
		if ((size_t)r > cap)
			__builtin_trap();
		check_decoded(text, n, out, r);
	} else if (r == -EINVAL) {
		/* the end (odd count) or a character that is no digit nor blank */
		if (bad > n ||
		    (bad < n && (digit(text[bad]) >= 0 || isspace((unsigned char)text[bad]))))
			__builtin_trap();
	} else if (r != -ENOSPC) {
		__builtin_trap();
	}

	/* the same text as a command-line token (up to its first NUL) */
	if (text[0] != '@' && xc_key_read(text, out, cap, &len, NULL, "key", &err) == 0 &&
	    len > cap)
		__builtin_trap();
	/* and as the lines of a stream for '-' */
	if (n && (in = fmemopen(text, n, "r"))) {
		while (xc_key_read("-", out, cap, &len, in, "key", &err) == 0)
			if (len > cap || len == 0)
				__builtin_trap();
		fclose(in);
	}
	if (!memchr(err.msg, '\0', sizeof(err.msg)))
		__builtin_trap();
out:
	free(text);
	free(out);
	return 0;
}
