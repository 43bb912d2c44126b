#include "print.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define MAX_DEPTH 32
#define BUF_SIZE 65536

/* Output goes to our own buffer and leaves in large writes: stdio's
 * per-call locking and vfprintf's generality cost more than listing SAs
 * itself (see make bench). Inside a call the buffer is written through a
 * cursor (o), with one check for room per piece, not per byte. */
static struct {
	FILE *out;
	bool json;
	int depth;
	bool first[MAX_DEPTH]; /* no member written yet at this depth */
	int err;	       /* first write error, negative errno */
	bool secret;	       /* zero what was written (print_secret()) */
	size_t len;
	char buf[BUF_SIZE];
} P = { .out = NULL };

#define BUF_END (P.buf + BUF_SIZE)

/* ---- the buffer ---- */

static void flush_buf(void)
{
	if (P.len && fwrite(P.buf, 1, P.len, P.out) != P.len && !P.err)
		P.err = errno ? -errno : -EIO;
	if (P.secret)
		explicit_bzero(P.buf, P.len);
	P.len = 0;
}

/* Write out what is before o; the cursor is then at the start. */
static char *flush_at(char *o)
{
	P.len = (size_t)(o - P.buf);
	flush_buf();
	return P.buf;
}

/* A cursor with at least n (<= BUF_SIZE) bytes of room after it. */
static inline char *room(char *o, size_t n)
{
	return (size_t)(BUF_END - o) >= n ? o : flush_at(o);
}

/* n bytes from s to o, which has room for them: short runs (most of
 * them: a value, a number) without a call. */
static inline char *copy_in(char *o, const char *s, size_t n)
{
	if (n >= 8) {
		if (n > 16)
			return (char *)memcpy(o, s, n) + n;
		memcpy(o, s, 8); /* two overlapping words */
		memcpy(o + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(o, s, 4);
		memcpy(o + n - 4, s + n - 4, 4);
	} else if (n) {
		o[0] = s[0];
		o[n - 1] = s[n - 1];
		o[n / 2] = s[n / 2];
	}
	return o + n;
}

static char *put_bytes(char *o, const char *s, size_t n)
{
	if ((size_t)(BUF_END - o) < n) {
		o = flush_at(o);
		if (n > BUF_SIZE) {
			if (fwrite(s, 1, n, P.out) != n && !P.err)
				P.err = errno ? -errno : -EIO;
			return o;
		}
	}
	return copy_in(o, s, n);
}

/* n copies of c. */
static char *put_pad(char *o, char c, size_t n)
{
	while (n) {
		size_t k = n < BUF_SIZE ? n : BUF_SIZE;

		o = room(o, k);
		memset(o, c, k);
		o += k;
		n -= k;
	}
	return o;
}

/* ---- numbers and strings ---- */

const char print_pairs[200] = "0001020304050607080910111213141516171819"
			     "2021222324252627282930313233343536373839"
			     "4041424344454647484950515253545556575859"
			     "6061626364656667686970717273747576777879"
			     "8081828384858687888990919293949596979899";

const char print_hex_pairs[512] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
				   "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
				   "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
				   "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
				   "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
				   "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
				   "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
				   "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

const uint64_t print_pow10[20] = {
	1ULL,
	10ULL,
	100ULL,
	1000ULL,
	10000ULL,
	100000ULL,
	1000000ULL,
	10000000ULL,
	100000000ULL,
	1000000000ULL,
	10000000000ULL,
	100000000000ULL,
	1000000000000ULL,
	10000000000000ULL,
	100000000000000ULL,
	1000000000000000ULL,
	10000000000000000ULL,
	100000000000000000ULL,
	1000000000000000000ULL,
	10000000000000000000ULL,
};

/* An unsigned number in base 10 or 16, at least width characters:
 * zero-padded if zero is set, else space-padded on the left (or on the
 * right if left is set). */
static char *put_num(char *o, uint64_t v, unsigned int base, bool upper, unsigned int width,
		     bool zero, bool neg, bool left)
{
	char tmp[24], *s = print_digits(tmp + sizeof(tmp), v, base, upper);
	size_t n = (size_t)(tmp + sizeof(tmp) - s), len = n + neg;
	size_t pad = width > len ? width - len : 0;

	if (pad && !left) {
		if (neg && zero) {
			o = room(o, 1);
			*o++ = '-';
			neg = false;
		}
		o = put_pad(o, zero ? '0' : ' ', pad);
	}
	o = room(o, len);
	if (neg)
		*o++ = '-';
	o = copy_in(o, s, n);
	if (pad && left)
		o = put_pad(o, ' ', pad);
	return o;
}

/* A string in at least width characters, space-padded on the left (or on
 * the right if left is set). */
static char *put_str(char *o, const char *str, unsigned int width, bool left)
{
	size_t n = strlen(str), pad = width > n ? width - n : 0;

	if (pad && !left)
		o = put_pad(o, ' ', pad);
	o = put_bytes(o, str, n);
	if (pad && left)
		o = put_pad(o, ' ', pad);
	return o;
}

/* The bytes a JSON string must escape (and its end). */
static const unsigned char json_esc[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

/* The escape of byte c (one json_esc marks, not the end) into o: 2 or 6
 * bytes. */
static char *json_escape_byte(char *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	*o++ = '\\';
	switch (c) {
	case '"': *o++ = '"'; break;
	case '\\': *o++ = '\\'; break;
	case '\n': *o++ = 'n'; break;
	case '\t': *o++ = 't'; break;
	case '\r': *o++ = 'r'; break;
	default:
		memcpy(o, "u00", 3);
		o[3] = hex[c >> 4];
		o[4] = hex[c & 15];
		o += 5;
	}
	return o;
}

/* s as a JSON string, quoted and escaped. */
static char *json_string(char *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;

	o = room(o, 1);
	*o++ = '"';
	for (;;) {
		for (run = p; !json_esc[*p]; p++)
			;
		o = put_bytes(o, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		o = json_escape_byte(room(o, 6), *p++);
	}
	o = room(o, 1);
	*o++ = '"';
	return o;
}

/* ---- formats ---- */

/* The values a format's one conversion can take. */
enum arg_kind { ARG_STR, ARG_UINT, ARG_INT };

/* Text of fmt with its one conversion (%s, %d, %i, %u, %x, %X, with flags
 * '0' or '-' and a width, any length modifier) replaced by the value:
 * reading the format as it goes (fmt_lookup() and emit_one() below are the
 * common way). */
static void emit_general(const char *fmt, enum arg_kind kind, const char *s, uint64_t u,
			 int64_t i)
{
	char *o = P.buf + P.len;
	const char *p = fmt, *q;

	for (;;) {
		unsigned int width = 0;
		bool zero = false, left = false;

		q = strchrnul(p, '%');
		o = put_bytes(o, p, (size_t)(q - p));
		if (!*q)
			break;
		p = q + 1;
		if (*p == '%') {
			p++;
			o = room(o, 1);
			*o++ = '%';
			continue;
		}
		for (; *p == '0' || *p == '-'; p++) {
			if (*p == '-')
				left = true;
			else
				zero = true;
		}
		if (left)
			zero = false; /* as printf: '-' overrides '0' */
		while (*p >= '0' && *p <= '9')
			width = width * 10 + (unsigned int)(*p++ - '0');
		while (*p == 'l' || *p == 'h' || *p == 'z' || *p == 'j' || *p == 't')
			p++;
		switch (*p) {
		case 's':
			o = put_str(o, kind == ARG_STR ? s : "?", width, left);
			break;
		case 'd':
		case 'i':
			if (kind == ARG_INT)
				o = put_num(o, i < 0 ? 0 - (uint64_t)i : (uint64_t)i, 10, false, width,
					    zero, i < 0, left);
			else
				o = put_num(o, u, 10, false, width, zero, false, left);
			break;
		case 'u':
		case 'x':
		case 'X':
			o = put_num(o, kind == ARG_INT ? (uint64_t)i : u, *p == 'u' ? 10 : 16, *p == 'X',
				    width, zero, false, left);
			break;
		default: /* not a conversion we know: show it as it is */
			o = room(o, 2);
			*o++ = '%';
			if (*p)
				*o++ = *p;
			else
				p--;
		}
		p++;
	}
	P.len = (size_t)(o - P.buf);
}

/* A format read once: its text before and after its one conversion, and
 * the conversion; or a JSON key's text ("key":). A literal's entry is found
 * through its call site (entry_of()); other formats are looked up by
 * address in a cache and checked against a copy of their text (a caller
 * may pass a buffer it rewrites); keys that are not literals are not kept.
 * Each print call then copies runs of known length instead of reading its
 * format byte by byte: that was most of the cost of `state list`. */
#define FMT_MAX 64	/* longer formats and keys go the general way */
#define FMT_CACHE 1024	/* entries, by address: two places for each */

enum fmt_shape {
	FMT_OTHER, /* several conversions, "%%", one we do not know: the general way */
	FMT_NONE,  /* no conversion: text as it is (and keys) */
	FMT_ONE,   /* one conversion we know */
};

struct fmt_entry {
	const char *addr; /* the format's (or key's) address (NULL: empty entry) */
	bool key;	  /* a JSON key */
	enum fmt_shape shape;
	char conv; /* FMT_ONE: 's', 'd', 'u', 'x' or 'X' ('i' is 'd') */
	bool zero, left;
	unsigned char pre;  /* text[0..pre) comes before the conversion */
	unsigned char post; /* text[post..len) after it */
	unsigned char len;
	unsigned short width;
	/* the format, NUL-terminated, with room to copy it in fixed blocks
	 * (what follows the NUL is never shown) */
	char text[2 * FMT_MAX];
};

static struct fmt_entry fmt_cache[FMT_CACHE];

/* Read fmt (len bytes, shorter than FMT_MAX) into e. */
static void fmt_parse(struct fmt_entry *e, const char *fmt, size_t len)
{
	const char *p = strchr(fmt, '%');
	unsigned int width = 0;

	memcpy(e->text, fmt, len + 1);
	e->len = (unsigned char)len;
	e->shape = p ? FMT_OTHER : FMT_NONE;
	if (!p)
		return;
	e->pre = (unsigned char)(p - fmt);
	e->zero = e->left = false;
	for (p++; *p == '0' || *p == '-'; p++) {
		if (*p == '-')
			e->left = true;
		else
			e->zero = true;
	}
	if (e->left)
		e->zero = false; /* as printf: '-' overrides '0' */
	while (*p >= '0' && *p <= '9' && width < 1000)
		width = width * 10 + (unsigned int)(*p++ - '0');
	if (*p >= '0' && *p <= '9')
		return; /* (a width of thousands: the general way) */
	while (*p == 'l' || *p == 'h' || *p == 'z' || *p == 'j' || *p == 't')
		p++;
	if (!*p || !strchr("sdiuxX", *p) || strchr(p + 1, '%'))
		return;
	e->conv = *p == 'i' ? 'd' : *p;
	e->width = (unsigned short)width;
	e->post = (unsigned char)(p + 1 - fmt);
	e->shape = FMT_ONE;
}

/* Read a key (shorter than FMT_MAX) into e as its JSON text "key":, if
 * that fits. */
static bool key_parse(struct fmt_entry *e, const char *key)
{
	const unsigned char *p = (const unsigned char *)key;
	char tmp[6 * FMT_MAX + 3], *o = tmp; /* (6 bytes for a byte escaped) */

	*o++ = '"';
	for (; *p; p++)
		o = json_esc[*p] ? json_escape_byte(o, *p) : (*o = (char)*p, o + 1);
	*o++ = '"';
	*o++ = ':';
	if (o - tmp >= FMT_MAX)
		return false;
	*o = '\0';
	memcpy(e->text, tmp, (size_t)(o + 1 - tmp));
	e->len = (unsigned char)(o - tmp);
	e->shape = FMT_NONE;
	return true;
}

/* Read fmt (or key) into a place for it, e or e2; NULL if it does not fit. */
static __attribute__((noinline)) const struct fmt_entry *
fmt_miss(const char *fmt, bool key, struct fmt_entry *e, struct fmt_entry *e2)
{
	size_t len = strlen(fmt);

	if (len >= FMT_MAX)
		return NULL;
	if (e->addr && !e2->addr) /* (else the first place is taken over) */
		e = e2;
	e->addr = NULL;
	if (key) {
		if (!key_parse(e, fmt))
			return NULL;
	} else {
		fmt_parse(e, fmt, len);
	}
	e->addr = fmt;
	e->key = key;
	return e;
}

/* The entry of format fmt, or of key fmt if key is set; NULL if it does
 * not fit. lit: fmt is a string literal (else a format is checked by its
 * text, and a key not kept). */
static inline const struct fmt_entry *fmt_lookup(const char *fmt, bool lit, bool key)
{
	size_t h = (size_t)(((uint64_t)(uintptr_t)fmt * 0x9e3779b97f4a7c15u) >> 40) % FMT_CACHE;
	struct fmt_entry *e = &fmt_cache[h], *e2 = &fmt_cache[h ^ 1];

	if (e->addr == fmt && e->key == key && (lit || !strcmp(e->text, fmt)))
		return e;
	if (e2->addr == fmt && e2->key == key && (lit || !strcmp(e2->text, fmt)))
		return e2;
	return key && !lit ? NULL : fmt_miss(fmt, key, e, e2);
}

/* Entries for call sites with a literal format or key (print.h's
 * PRINT_SITE): read once, kept for good, found through the site's pointer
 * without a lookup. Past SITE_MAX, the cache above. */
#define SITE_MAX 512
static struct fmt_entry site_pool[SITE_MAX];
static unsigned int site_used;

static __attribute__((noinline)) const struct fmt_entry *site_miss(const char *fmt,
								    const void **slot, bool key)
{
	struct fmt_entry *e = &site_pool[site_used];
	size_t len = strlen(fmt);

	if (site_used == SITE_MAX || len >= FMT_MAX || (key && !key_parse(e, fmt)))
		return fmt_lookup(fmt, true, key);
	if (!key)
		fmt_parse(e, fmt, len);
	e->addr = fmt;
	e->key = key;
	site_used++;
	*slot = e;
	return e;
}

/* The entry of format (or key) fmt: through slot, a call site's place
 * for it, if fmt is a literal; else NULL slot. NULL if it does not fit. */
static inline const struct fmt_entry *entry_of(const char *fmt, const void **slot, bool key)
{
	if (!slot)
		return fmt_lookup(fmt, false, key);
	if (*slot)
		return *slot;
	return site_miss(fmt, slot, key);
}

/* A call's slot for its format (bit 0 of lit) or key (bit 1). */
#define FMT_SLOT(site, lit) ((lit) & 1 ? &(site)->fmt : NULL)
#define KEY_SLOT(site, lit) ((lit) & 2 ? &(site)->key : NULL)

/* n (< FMT_MAX) bytes of an entry's text t to o, which has FMT_MAX bytes
 * of room: in one or two fixed blocks, without a branch per length. */
static inline char *copy_text(char *o, const char *t, size_t n)
{
	memcpy(o, t, FMT_MAX / 2);
	if (n > FMT_MAX / 2)
		memcpy(o + FMT_MAX / 2, t + FMT_MAX / 2, FMT_MAX / 2);
	return o + n;
}

/* The text of a format with one conversion (e) around the value's text
 * v (n bytes; neg: a minus sign before it), padded to the width. */
static inline __attribute__((always_inline)) void emit_one(const struct fmt_entry *e,
							   const char *v, size_t n, bool neg)
{
	size_t pad = e->width > n + neg ? e->width - n - neg : 0;
	char *o = room(P.buf + P.len, e->len + n + 1 + pad + FMT_MAX);

	if (!pad && !neg) { /* most: the text, the value, the text */
		o = copy_in(copy_text(o, e->text, e->pre), v, n);
		P.len = (size_t)(copy_text(o, e->text + e->post, (size_t)(e->len - e->post)) - P.buf);
		return;
	}
	o = copy_text(o, e->text, e->pre);
	if (pad && !e->left) {
		if (neg && e->zero) {
			*o++ = '-';
			neg = false;
		}
		memset(o, e->zero ? '0' : ' ', pad);
		o += pad;
	}
	if (neg)
		*o++ = '-';
	o = copy_in(o, v, n);
	if (pad && e->left) {
		memset(o, ' ', pad);
		o += pad;
	}
	o = copy_text(o, e->text + e->post, (size_t)(e->len - e->post));
	P.len = (size_t)(o - P.buf);
}

/* A string through fmt. */
static inline __attribute__((always_inline)) void emit_str(const char *fmt, const void **slot, const char *s)
{
	const struct fmt_entry *e = entry_of(fmt, slot, false);
	size_t n;

	if (e && e->shape == FMT_ONE && e->conv == 's' && (n = strlen(s)) <= BUF_SIZE / 2)
		emit_one(e, s, n, false);
	else /* (a huge string too) */
		emit_general(fmt, ARG_STR, s, 0, 0);
}

/* A number through fmt: unsigned u, or signed i if kind is ARG_INT. */
static inline __attribute__((always_inline)) void emit_num(const char *fmt, const void **slot, enum arg_kind kind, uint64_t u,
		     int64_t i)
{
	const struct fmt_entry *e = entry_of(fmt, slot, false);
	char tmp[24], *d;
	bool neg = false;
	uint64_t x;

	if (!e || e->shape != FMT_ONE || e->conv == 's') {
		emit_general(fmt, kind, NULL, u, i);
		return;
	}
	x = kind == ARG_INT ? (uint64_t)i : u;
	if (e->conv == 'd' && kind == ARG_INT && i < 0) {
		x = 0 - (uint64_t)i;
		neg = true;
	}
	d = print_digits(tmp + sizeof(tmp), x, e->conv == 'x' || e->conv == 'X' ? 16 : 10, e->conv == 'X');
	emit_one(e, d, (size_t)(tmp + sizeof(tmp) - d), neg);
}

/* ---- JSON ---- */

/* Separator and key before a JSON value (slot: the call's place for a
 * literal key, else NULL); leaves room for one more byte. */
static char *json_member(char *o, const char *key, const void **slot)
{
	const struct fmt_entry *e;

	o = room(o, FMT_MAX + 1);
	if (!P.first[P.depth])
		*o++ = ',';
	P.first[P.depth] = false;
	if (!key)
		return o;
	if (slot && (e = entry_of(key, slot, true)))
		return copy_text(o, e->text, e->len);
	o = json_string(o, key);
	o = room(o, 2);
	*o++ = ':';
	return o;
}

static void json_close(char c)
{
	char *o = room(P.buf + P.len, 1);

	*o++ = c;
	P.len = (size_t)(o - P.buf);
	if (P.depth > 0)
		P.depth--;
}

/* A JSON member whose value is a number. */
static void json_num(const char *key, const void **slot, uint64_t v, bool neg)
{
	char tmp[24], *d = print_digits(tmp + sizeof(tmp), v, 10, false);
	size_t n = (size_t)(tmp + sizeof(tmp) - d);
	char *o = room(json_member(P.buf + P.len, key, slot), n + 1);

	if (neg)
		*o++ = '-';
	P.len = (size_t)(copy_in(o, d, n) - P.buf);
}

/* A JSON member whose value is a literal (true, null…). */
static void json_lit(const char *key, const void **slot, const char *value)
{
	char *o = json_member(P.buf + P.len, key, slot);

	P.len = (size_t)(put_bytes(o, value, strlen(value)) - P.buf);
}

/* ---- the interface ---- */

void print_init(FILE *out, bool json)
{
	P.out = out;
	P.json = json;
	P.depth = 0;
	P.first[0] = true;
	P.err = 0;
	P.len = 0;
}

void print_secret(void)
{
	P.secret = true;
}

bool print_is_json(void)
{
	return P.json;
}

void print_open_f(const char *key, unsigned int lit, struct print_site *site, char c)
{
	char *o;

	if (!P.json)
		return;
	o = json_member(P.buf + P.len, key, KEY_SLOT(site, lit));
	*o++ = c;
	P.len = (size_t)(o - P.buf);
	if (P.depth + 1 < MAX_DEPTH)
		P.depth++;
	P.first[P.depth] = true;
}

void print_close_object(void)
{
	if (P.json)
		json_close('}');
}

void print_close_array(void)
{
	if (P.json)
		json_close(']');
}

void print_string_f(enum print_kind kind, const char *key, const char *fmt, unsigned int lit,
		    struct print_site *site, const char *value)
{
	if (P.json && (kind & PRINT_JSON)) {
		char *o = json_member(P.buf + P.len, key, KEY_SLOT(site, lit));

		P.len = (size_t)(json_string(o, value) - P.buf);
	} else if (!P.json && (kind & PRINT_TEXT)) {
		emit_str(fmt, FMT_SLOT(site, lit), value);
	}
}

void print_uint_f(enum print_kind kind, const char *key, const char *fmt, unsigned int lit,
		  struct print_site *site, uint64_t value)
{
	if (P.json && (kind & PRINT_JSON))
		json_num(key, KEY_SLOT(site, lit), value, false);
	else if (!P.json && (kind & PRINT_TEXT))
		emit_num(fmt, FMT_SLOT(site, lit), ARG_UINT, value, 0);
}

void print_int_f(enum print_kind kind, const char *key, const char *fmt, unsigned int lit,
		 struct print_site *site, int64_t value)
{
	if (P.json && (kind & PRINT_JSON))
		json_num(key, KEY_SLOT(site, lit), value < 0 ? 0 - (uint64_t)value : (uint64_t)value, value < 0);
	else if (!P.json && (kind & PRINT_TEXT))
		emit_num(fmt, FMT_SLOT(site, lit), ARG_INT, 0, value);
}

void print_bool_f(enum print_kind kind, const char *key, const char *fmt, unsigned int lit,
		  struct print_site *site, bool value)
{
	if (P.json && (kind & PRINT_JSON))
		json_lit(key, KEY_SLOT(site, lit), value ? "true" : "false");
	else if (!P.json && (kind & PRINT_TEXT))
		emit_str(fmt, FMT_SLOT(site, lit), value ? "yes" : "no");
}

void print_null_f(const char *key, unsigned int lit, struct print_site *site)
{
	if (P.json)
		json_lit(key, KEY_SLOT(site, lit), "null");
}

char *print_raw(size_t n)
{
	return room(P.buf + P.len, n);
}

void print_raw_done(char *end)
{
	P.len = (size_t)(end - P.buf);
}

void print_nl(void)
{
	char *o;

	if (P.json)
		return;
	o = room(P.buf + P.len, 1);
	*o++ = '\n';
	P.len = (size_t)(o - P.buf);
}

void print_plain_f(struct print_site *site, const char *text)
{
	const struct fmt_entry *e;

	if (P.json)
		return;
	e = entry_of(text, &site->fmt, false);
	if (e && e->shape == FMT_NONE)
		P.len = (size_t)(copy_text(room(P.buf + P.len, FMT_MAX), e->text, e->len) - P.buf);
	else /* (too long to keep) */
		P.len = (size_t)(put_bytes(P.buf + P.len, text, strlen(text)) - P.buf);
}

void print_text_f(unsigned int lit, struct print_site *site, const char *fmt, ...)
{
	const struct fmt_entry *e;
	char tmp[1024], *start;
	const char *p;
	va_list ap;
	int n;

	if (P.json)
		return;
	if (fmt[0] == '%' && fmt[1] == 's' && !fmt[2]) {
		va_start(ap, fmt);
		p = va_arg(ap, const char *);
		va_end(ap);
		P.len = (size_t)(put_bytes(P.buf + P.len, p, strlen(p)) - P.buf);
		return;
	}
	start = P.buf + P.len;
	/* text without a conversion is copied as it is */
	e = entry_of(fmt, FMT_SLOT(site, lit), false);
	if (e && e->shape == FMT_NONE) {
		P.len = (size_t)(copy_text(room(start, FMT_MAX), e->text, e->len) - P.buf);
		return;
	}
	if (!e) {
		p = strchrnul(fmt, '%');
		if (!*p) {
			P.len = (size_t)(put_bytes(start, fmt, (size_t)(p - fmt)) - P.buf);
			return;
		}
	}
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		P.len = (size_t)(put_bytes(start, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1) -
				 P.buf);
}

int print_end(void)
{
	if (P.json && P.depth == 0 && !P.first[0]) {
		char *o = room(P.buf + P.len, 1);

		*o++ = '\n';
		P.len = (size_t)(o - P.buf);
		P.first[0] = true;
	}
	flush_buf();
	if ((fflush(P.out) == EOF || ferror(P.out)) && !P.err)
		P.err = errno ? -errno : -EIO;
	return P.err;
}
