/* The grammar's building blocks, for the parsers in lib/ (spec.c for SAs,
 * and those for policies). Each reads from a cursor over the tokens and on
 * error returns negative errno with a message naming the bad token. */
#ifndef XFRMCTL_SPEC_INT_H
#define XFRMCTL_SPEC_INT_H

#include <linux/xfrm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nl.h"

/* strcmp(a, b) == 0, inline: the grammar tests each word against a chain
 * of short keywords, most of which differ at the first byte (a call to
 * strcmp each was a tenth of a batch line's cost). */
static inline bool spec_eq(const char *a, const char *b)
{
	while (*a == *b) {
		if (!*a)
			return true;
		a++;
		b++;
	}
	return false;
}

struct spec_cur {
	int argc, i;
	char **argv;
	struct xc_err *err;
};

/* The next token, not consumed; NULL at the end. */
const char *spec_peek(const struct spec_cur *c);
/* The token after keyword kw (consumed), or NULL with "missing WHAT after 'kw'". */
const char *spec_value(struct spec_cur *c, const char *kw, const char *what);
/* -EINVAL with "bad WHAT 'tok' after 'kw'". */
int spec_bad(struct spec_cur *c, const char *what, const char *tok, const char *kw);
/* Decimal, 0x hex or 0 octal (as ip reads numbers), starting with a digit
 * (no sign, no white space), at most max. 0 or -EINVAL; sets no message. */
int spec_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* A number after kw (consumed). */
int spec_num(struct spec_cur *c, const char *kw, uint64_t max, uint64_t *out);
int spec_num32(struct spec_cur *c, const char *kw, uint32_t *out);
/* MODE after 'mode': transport | tunnel | beet | ro | in_trigger. */
int spec_mode(struct spec_cur *c, uint8_t *mode);
/* XFRM-PROTO after kw: esp | ah | comp | route2 | hao. */
int spec_xfrm_proto(struct spec_cur *c, const char *kw, uint8_t *proto);
/* FLAG-LIST after kw: one or more of names (names[i] sets bit i of *flags);
 * stops at the first token that is not one. */
int spec_flag_list(struct spec_cur *c, const char *kw, const char *const *names, size_t n,
		   uint32_t *flags);
/* ADDR, or ADDR[/PLEN] when plen is not NULL (no /PLEN: the full length). */
int spec_addr(struct spec_cur *c, const char *kw, xfrm_address_t *a, uint16_t *family,
	      uint8_t *plen);
/* Record family f in *have; -EINVAL "WHAT mixes IPv4 and IPv6 addresses". */
int spec_same_family(struct spec_cur *c, uint16_t *have, uint16_t f, const char *what);
/* MARK[/MASK] or MARK [mask MASK]; no mask: 0xffffffff. */
int spec_mark(struct spec_cur *c, const char *kw, uint32_t *v, uint32_t *m);
/* A port (network order). */
int spec_port(struct spec_cur *c, const char *kw, uint16_t *out);
/* SELECTOR (see xfrmctl(8)); stops at the first token not of a selector;
 * what names it in messages ("sel"). */
int spec_selector(struct spec_cur *c, struct xfrm_selector *sel, const char *what);
/* LIMIT after 'limit', into lft. */
int spec_limit(struct spec_cur *c, struct xfrm_lifetime_cfg *lft);

#endif
