#include "print.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define MAX_DEPTH 32
#define BUF_SIZE 65536

/* Output goes to our own buffer and leaves in large writes: stdio's
 * per-call locking and vfprintf's generality cost more than listing SAs
 * itself (see make bench). */
static struct {
	FILE *out;
	bool json;
	int depth;
	bool first[MAX_DEPTH]; /* no member written yet at this depth */
	int err;	       /* first write error, negative errno */
	size_t len;
	char buf[BUF_SIZE];
} P = { .out = NULL };

static void flush_buf(void)
{
	if (P.len && fwrite(P.buf, 1, P.len, P.out) != P.len && !P.err)
		P.err = errno ? -errno : -EIO;
	P.len = 0;
}

static void put(const char *s, size_t n)
{
	if (n > BUF_SIZE - P.len) {
		flush_buf();
		if (n > BUF_SIZE) {
			if (fwrite(s, 1, n, P.out) != n && !P.err)
				P.err = errno ? -errno : -EIO;
			return;
		}
	}
	memcpy(P.buf + P.len, s, n);
	P.len += n;
}

static void putch(char c)
{
	if (P.len == BUF_SIZE)
		flush_buf();
	P.buf[P.len++] = c;
}

static void puts_(const char *s)
{
	put(s, strlen(s));
}

/* An unsigned number in base 10 or 16, at least width characters:
 * zero-padded if zero is set, else space-padded on the left (or on the
 * right if left is set). */
static void put_num(uint64_t v, unsigned int base, bool upper, unsigned int width, bool zero,
		    bool neg, bool left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	unsigned int n = 0, len;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	len = n + neg;
	if (neg && zero)
		putch('-');
	for (unsigned int i = len; !left && i < width; i++)
		putch(zero ? '0' : ' ');
	if (neg && !zero)
		putch('-');
	while (n)
		putch(tmp[--n]);
	for (unsigned int i = len; left && i < width; i++)
		putch(' ');
}

/* A string in at least width characters, space-padded on the left (or on
 * the right if left is set). */
static void put_str(const char *str, unsigned int width, bool left)
{
	size_t n = strlen(str);

	for (size_t i = n; !left && i < width; i++)
		putch(' ');
	put(str, n);
	for (size_t i = n; left && i < width; i++)
		putch(' ');
}

/* The values a format's one conversion can take. */
enum arg_kind { ARG_STR, ARG_UINT, ARG_INT };

/* Text of fmt with its one conversion (%s, %d, %i, %u, %x, %X, with flags
 * '0' or '-' and a width, any length modifier) replaced by the value. */
static void emit(const char *fmt, enum arg_kind kind, const char *s, uint64_t u, int64_t i)
{
	for (const char *p = fmt; *p; p++) {
		unsigned int width = 0;
		bool zero = false, left = false;

		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);

			put(p, n);
			p += n - 1;
			continue;
		}
		p++;
		if (*p == '%') {
			putch('%');
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
			put_str(kind == ARG_STR ? s : "?", width, left);
			break;
		case 'd':
		case 'i':
			if (kind == ARG_INT)
				put_num(i < 0 ? 0 - (uint64_t)i : (uint64_t)i, 10, false, width, zero,
					i < 0, left);
			else
				put_num(u, 10, false, width, zero, false, left);
			break;
		case 'u':
		case 'x':
		case 'X':
			put_num(kind == ARG_INT ? (uint64_t)i : u, *p == 'u' ? 10 : 16, *p == 'X', width,
				zero, false, left);
			break;
		default: /* not a conversion we know: show it as it is */
			putch('%');
			if (*p)
				putch(*p);
			else
				p--;
		}
	}
}

void print_init(FILE *out, bool json)
{
	P.out = out;
	P.json = json;
	P.depth = 0;
	P.first[0] = true;
	P.err = 0;
	P.len = 0;
}

bool print_is_json(void)
{
	return P.json;
}

static void json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	putch('"');
	for (; *p; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		put((const char *)run, (size_t)(p - run));
		run = p + 1;
		switch (*p) {
		case '"': puts_("\\\""); break;
		case '\\': puts_("\\\\"); break;
		case '\n': puts_("\\n"); break;
		case '\t': puts_("\\t"); break;
		case '\r': puts_("\\r"); break;
		default:
			puts_("\\u00");
			put_num(*p, 16, false, 2, true, false, false);
		}
	}
	put((const char *)run, (size_t)(p - run));
	putch('"');
}

/* Separator and key before a JSON value. */
static void json_member(const char *key)
{
	if (!P.first[P.depth])
		putch(',');
	P.first[P.depth] = false;
	if (key) {
		json_string(key);
		putch(':');
	}
}

static void json_open(const char *key, char c)
{
	json_member(key);
	putch(c);
	if (P.depth + 1 < MAX_DEPTH)
		P.depth++;
	P.first[P.depth] = true;
}

static void json_close(char c)
{
	putch(c);
	if (P.depth > 0)
		P.depth--;
}

void print_open_object(const char *key)
{
	if (P.json)
		json_open(key, '{');
}

void print_close_object(void)
{
	if (P.json)
		json_close('}');
}

void print_open_array(const char *key)
{
	if (P.json)
		json_open(key, '[');
}

void print_close_array(void)
{
	if (P.json)
		json_close(']');
}

void print_string(enum print_kind kind, const char *key, const char *fmt, const char *value)
{
	if (P.json && (kind & PRINT_JSON)) {
		json_member(key);
		json_string(value);
	} else if (!P.json && (kind & PRINT_TEXT)) {
		emit(fmt, ARG_STR, value, 0, 0);
	}
}

void print_uint(enum print_kind kind, const char *key, const char *fmt, uint64_t value)
{
	if (P.json && (kind & PRINT_JSON)) {
		json_member(key);
		put_num(value, 10, false, 0, false, false, false);
	} else if (!P.json && (kind & PRINT_TEXT)) {
		emit(fmt, ARG_UINT, NULL, value, 0);
	}
}

void print_int(enum print_kind kind, const char *key, const char *fmt, int64_t value)
{
	if (P.json && (kind & PRINT_JSON)) {
		json_member(key);
		put_num(value < 0 ? 0 - (uint64_t)value : (uint64_t)value, 10, false, 0, false,
			value < 0, false);
	} else if (!P.json && (kind & PRINT_TEXT)) {
		emit(fmt, ARG_INT, NULL, 0, value);
	}
}

void print_bool(enum print_kind kind, const char *key, const char *fmt, bool value)
{
	if (P.json && (kind & PRINT_JSON)) {
		json_member(key);
		puts_(value ? "true" : "false");
	} else if (!P.json && (kind & PRINT_TEXT)) {
		emit(fmt, ARG_STR, value ? "yes" : "no", 0, 0);
	}
}

void print_null(const char *key)
{
	if (P.json) {
		json_member(key);
		puts_("null");
	}
}

void print_nl(void)
{
	if (!P.json)
		putch('\n');
}

void print_text(const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	if (P.json)
		return;
	if (!strchr(fmt, '%')) {
		puts_(fmt);
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

int print_end(void)
{
	if (P.json && P.depth == 0 && !P.first[0]) {
		putch('\n');
		P.first[0] = true;
	}
	flush_buf();
	if ((fflush(P.out) == EOF || ferror(P.out)) && !P.err)
		P.err = errno ? -errno : -EIO;
	return P.err;
}
