/* Keys from the command line (0xHEX), a file (@FILE) or a stream ('-', one
 * line each), so that they can stay out of argv and ps. Messages never
 * quote key material. */
#ifndef XFRMCTL_KEYS_H
#define XFRMCTL_KEYS_H

#include <stddef.h>
#include <stdio.h>

#include "nl.h"

/* Decode tok into out (cap bytes). key_in serves '-' (NULL: not allowed,
 * e.g. when the commands themselves come from stdin). what names the key in
 * messages ("key for 'cbc(aes)'"). Returns 0 or -errno (message in err). */
int xc_key_read(const char *tok, unsigned char *out, size_t cap, size_t *len, FILE *key_in,
		const char *what, struct xc_err *err);

/* Hex text to bytes: optional 0x, white space ignored. Returns the byte
 * count, or -EINVAL (odd length, bad digit: *bad_pos is its index) or
 * -ENOSPC. */
long xc_hex_decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *bad_pos);

#endif
