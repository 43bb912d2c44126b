/* One print path for text and JSON: every field is printed with one call
 * that knows both its text format and its JSON key, as iproute2's print_*
 * helpers do. JSON is written as it goes (no document is built), so listing
 * 100k SAs takes no more memory than listing one. */
#ifndef XFRMCTL_PRINT_H
#define XFRMCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum print_kind {
	PRINT_TEXT = 1, /* only in text output */
	PRINT_JSON = 2, /* only in JSON output */
	PRINT_ANY = 3,  /* both */
};

void print_init(FILE *out, bool json);
/* What is printed from now on may hold secrets (keys, with -k): the
 * buffer is zeroed once written out. For the process (print_init() keeps
 * it). */
void print_secret(void);
bool print_is_json(void);

/* Containers. In text mode these print nothing; key is NULL inside arrays
 * and at the top level. */
#define print_open_object(key) print_open_f(key, PRINT_LIT(key) << 1, PRINT_SITE, '{')
void print_close_object(void);
#define print_open_array(key) print_open_f(key, PRINT_LIT(key) << 1, PRINT_SITE, '[')
void print_close_array(void);

/* Fields: fmt is the text format (one conversion), key the JSON name. */
#define print_string(kind, key, fmt, value)                                                        \
	print_string_f(kind, key, fmt, PRINT_LITS(key, fmt), PRINT_SITE, value)
#define print_uint(kind, key, fmt, value)                                                          \
	print_uint_f(kind, key, fmt, PRINT_LITS(key, fmt), PRINT_SITE, value)
#define print_int(kind, key, fmt, value)                                                           \
	print_int_f(kind, key, fmt, PRINT_LITS(key, fmt), PRINT_SITE, value)
#define print_bool(kind, key, fmt, value)                                                          \
	print_bool_f(kind, key, fmt, PRINT_LITS(key, fmt), PRINT_SITE, value)
/* JSON null where the value is absent; nothing in text. */
#define print_null(key) print_null_f(key, PRINT_LIT(key) << 1, PRINT_SITE)
/* Text only, for an emitter that writes a whole entry itself (state
 * list's common SAs, cli/state.c): a cursor with room for n (at most 16384)
 * bytes, and, once they are written, where they end. */
char *print_raw(size_t n);
void print_raw_done(char *end);
/* v in base 10 or 16 (lower case), zero-padded to width, written at o;
 * returns its end. It may write up to 8 bytes past the end (which the
 * caller then writes over): have room for width + 20. Inline, so that the
 * constant base and width of each call choose its code. */
static inline __attribute__((always_inline)) char *print_put_uint(char *o, uint64_t v, unsigned int base,
								  unsigned int width);

/* Text only: a newline, or a free-form piece of text. */
void print_nl(void);
#define print_text(...)                                                                            \
	(PRINT_LIT(PRINT_FIRST(__VA_ARGS__, 0)) && !__builtin_strchr(PRINT_FIRST(__VA_ARGS__, 0), '%') \
		 ? print_plain_f(PRINT_SITE, PRINT_FIRST(__VA_ARGS__, 0))                          \
		 : print_text_f(PRINT_LIT(PRINT_FIRST(__VA_ARGS__, 0)), PRINT_SITE, __VA_ARGS__))

/* The functions behind the macros above, which add lit: whether fmt (bit
 * 0) and key (bit 1) are string literals (GNU C: constant arrays of char;
 * NULL and pointers are not), whose text cannot change; and site: a place
 * of the call's own (a static per call in the source) where the print
 * layer keeps what it read of the call's literal format and key, so that
 * it reads them once, not at each call (see print.c). Any other format or
 * key works as well, read each time. */
#define PRINT_LIT(s)                                                                               \
	(__builtin_constant_p(s) && __builtin_types_compatible_p(__typeof__(s), char[sizeof(s)]))
#define PRINT_LITS(key, fmt) (PRINT_LIT(fmt) | PRINT_LIT(key) << 1)
#define PRINT_FIRST(a, ...) a
struct print_site {
	const void *fmt, *key; /* (print.c's entries; NULL until read) */
};
#define PRINT_SITE                                                                                 \
	({                                                                                         \
		static struct print_site print_site_;                                              \
		&print_site_;                                                                      \
	})
void print_open_f(const char *key, unsigned int lit, struct print_site *site, char c);
void print_string_f(enum print_kind kind, const char *key, const char *fmt, unsigned int lit,
		    struct print_site *site, const char *value);
void print_uint_f(enum print_kind kind, const char *key, const char *fmt, unsigned int lit,
		  struct print_site *site, uint64_t value);
void print_int_f(enum print_kind kind, const char *key, const char *fmt, unsigned int lit,
		 struct print_site *site, int64_t value);
void print_bool_f(enum print_kind kind, const char *key, const char *fmt, unsigned int lit,
		  struct print_site *site, bool value);
void print_null_f(const char *key, unsigned int lit, struct print_site *site);
void print_text_f(unsigned int lit, struct print_site *site, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* print_text() of a literal without a conversion (the compiler tells):
 * not through the variadic call. */
void print_plain_f(struct print_site *site, const char *text);

/* Finish the output (flushes; a newline after top-level JSON). Returns
 * -errno if writing failed (e.g. EPIPE, ENOSPC). */
int print_end(void);

/* ---- numbers, for print.c and print_put_uint() ---- */

extern const char print_pairs[200];     /* "00" "01" … "99" */
extern const char print_hex_pairs[512]; /* "00" "01" … "ff" */
extern const uint64_t print_pow10[20];  /* 10^0 … 10^19 */

/* The digits of v in base 10 or 16, written backwards ending at end;
 * returns where they start. */
static inline __attribute__((always_inline)) char *print_digits(char *end, uint64_t v, unsigned int base,
								bool upper)
{
	if (base == 10) {
		uint32_t w;

		for (; v > UINT32_MAX; v /= 100) {
			end -= 2;
			memcpy(end, print_pairs + 2 * (v % 100), 2);
		}
		/* (then in 32 bits, cheaper: most numbers written are) */
		for (w = (uint32_t)v; w >= 100; w /= 100) {
			end -= 2;
			memcpy(end, print_pairs + 2 * (w % 100), 2);
		}
		if (w >= 10) {
			end -= 2;
			memcpy(end, print_pairs + 2 * w, 2);
		} else {
			*--end = (char)('0' + w);
		}
	} else {
		const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";

		do {
			*--end = d[v & 15];
			v >>= 4;
		} while (v);
	}
	return end;
}

/* The 8 hex digits (lower case) of v as the bytes of a word, the first
 * digit first in memory: a byte's two digits at a time from a table. */
static inline __attribute__((always_inline)) uint64_t print_hex8(uint32_t v)
{
	char t[8];
	uint64_t x;

	memcpy(t, print_hex_pairs + 2 * (v >> 24), 2);
	memcpy(t + 2, print_hex_pairs + 2 * (v >> 16 & 255), 2);
	memcpy(t + 4, print_hex_pairs + 2 * (v >> 8 & 255), 2);
	memcpy(t + 6, print_hex_pairs + 2 * (v & 255), 2);
	memcpy(&x, t, sizeof(x));
	return x;
}

static inline __attribute__((always_inline)) char *print_put_uint(char *o, uint64_t v, unsigned int base,
								  unsigned int width)
{
	/* (v | 1 has as many digits as v, and at least one) */
	unsigned int bits = 64 - (unsigned int)__builtin_clzll(v | 1), n;

	if (base == 16) {
		unsigned int nibbles = (bits + 3) / 4;

		n = nibbles < width ? width : nibbles;
		if (n <= 8) { /* all eight digits, less the leading zeros not wanted */
			uint64_t x = print_hex8((uint32_t)v);

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			x >>= 8 * (8 - n);
#else
			x <<= 8 * (8 - n);
#endif
			memcpy(o, &x, 8);
			return o + n;
		}
		for (unsigned int i = nibbles; i < n; i++)
			*o++ = '0';
		print_digits(o + nibbles, v, 16, false);
		return o + nibbles;
	}
	n = bits * 1233 >> 12; /* bits * log10(2): the digits, or one fewer */
	n += (v | 1) >= print_pow10[n];
	for (; n < width; width--)
		*o++ = '0';
	print_digits(o + n, v, 10, false);
	return o + n;
}

#endif
