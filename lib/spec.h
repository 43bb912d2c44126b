/* The `ip xfrm` grammar, parsed into structs; shared by the command line,
 * batch files and SA files. Keywords match exactly. Every error names the
 * bad token; none quotes key material. */
#ifndef XFRMCTL_SPEC_H
#define XFRMCTL_SPEC_H

#include <stdio.h>

#include "nl.h"
#include "sa.h"

struct xc_spec_opts {
	FILE *key_in; /* where '-' keys come from; NULL if stdin is taken */
};

/* The parsers below fill sa from nothing: it must be fresh or cleared
 * memory (xc_sa_clear), not an SA still holding keys. */

/* state add|update: ID ALGO-LIST [options…] (the whole SA). */
int xc_spec_sa(int argc, char **argv, struct xc_sa *sa, const struct xc_spec_opts *o,
	       struct xc_err *err);

/* The same words as one line of text, unsplit (a batch line's after
 * "state add"), when they are of the plain common kind: words between
 * spaces (no quote, escape, tab or comment), only the keywords src, dst,
 * proto, spi, reqid, mode, replay-window (up to 32), aead, enc, auth and
 * auth-trunc, each once, keys as 0xHEX. sa must be cleared memory
 * (xc_sa_clear, or zeroed), not merely fresh. Returns 1 with sa filled
 * exactly as xc_spec_sa fills it from those words, or 0 (sa cleared) for
 * any other text, good or bad: xc_spec_sa reads that, and says what is
 * wrong.
 * Splitting such a line and matching its words was over half of what
 * installing an SA from a batch cost in user mode. */
int xc_spec_sa_text(const char *text, struct xc_sa *sa);

/* For readers of unsplit text: if the word at s (up to a space or the
 * end) is the n bytes of name, its end, else NULL. Inline, so that a
 * literal's bytes are compared as constants. */
static inline const char *xc_word_is(const char *s, const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != name[i]) /* (a NUL differs: nothing past it is read) */
			return NULL;
	return s[n] == ' ' || !s[n] ? s + n : NULL;
}

#define XC_WORD_IS(s, lit) xc_word_is(s, lit, sizeof(lit) - 1)

/* state get|del: ID [mark MARK [mask MASK]] — dst, proto and spi required. */
int xc_spec_sa_id(int argc, char **argv, struct xc_sa *sa, struct xc_err *err);

/* state allocspi: ID [mode M] [reqid N] [mark…] [min N max N]; spi not allowed. */
int xc_spec_sa_allocspi(int argc, char **argv, struct xc_sa *sa, uint32_t *min, uint32_t *max,
			struct xc_err *err);

/* state list|flush filters. */
struct xc_sa_filter {
	bool src, dst, proto, spi, mode, reqid;
	struct xc_sa sa; /* the values (no keys) */
};
int xc_spec_sa_filter(int argc, char **argv, struct xc_sa_filter *f, struct xc_err *err);
/* Whether an SA (its xfrm_usersa_info: all the filters look at) passes. */
bool xc_sa_filter_match(const struct xc_sa_filter *f, const struct xfrm_usersa_info *sa);

/* Names of values, for output and for the parser alike. NULL if unknown. */
const char *xc_proto_name(uint8_t proto);   /* "esp", "ah", "comp", … */
const char *xc_mode_name(uint8_t mode);     /* "transport", … */
const char *xc_encap_name(uint16_t type);   /* "espinudp", … */
const char *xc_ipproto_name(uint8_t proto); /* selector upper protocol: "udp", … */
/* SA flags, bit by bit: name of bit i of flags (XFRM_STATE_*) or NULL. */
const char *xc_sa_flag_name(unsigned int bit);
const char *xc_sa_xflag_name(unsigned int bit);

#endif
