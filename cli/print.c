#include "print.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define MAX_DEPTH 32

static struct {
	FILE *out;
	bool json;
	int depth;
	bool first[MAX_DEPTH]; /* no member written yet at this depth */
} P = { .out = NULL };

void print_init(FILE *out, bool json)
{
	P.out = out;
	P.json = json;
	P.depth = 0;
	P.first[0] = true;
}

bool print_is_json(void)
{
	return P.json;
}

static void json_string(const char *s)
{
	FILE *f = P.out;

	putc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				putc(*p, f);
		}
	}
	putc('"', f);
}

/* Separator and key before a JSON value. */
static void json_member(const char *key)
{
	if (!P.first[P.depth])
		putc(',', P.out);
	P.first[P.depth] = false;
	if (key) {
		json_string(key);
		putc(':', P.out);
	}
}

static void json_open(const char *key, char c)
{
	json_member(key);
	putc(c, P.out);
	if (P.depth + 1 < MAX_DEPTH)
		P.depth++;
	P.first[P.depth] = true;
}

static void json_close(char c)
{
	putc(c, P.out);
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
		fprintf(P.out, fmt, value);
	}
}

void print_uint(enum print_kind kind, const char *key, const char *fmt, uint64_t value)
{
	if (P.json && (kind & PRINT_JSON)) {
		json_member(key);
		fprintf(P.out, "%" PRIu64, value);
	} else if (!P.json && (kind & PRINT_TEXT)) {
		fprintf(P.out, fmt, value);
	}
}

void print_int(enum print_kind kind, const char *key, const char *fmt, int64_t value)
{
	if (P.json && (kind & PRINT_JSON)) {
		json_member(key);
		fprintf(P.out, "%" PRId64, value);
	} else if (!P.json && (kind & PRINT_TEXT)) {
		fprintf(P.out, fmt, value);
	}
}

void print_bool(enum print_kind kind, const char *key, const char *fmt, bool value)
{
	if (P.json && (kind & PRINT_JSON)) {
		json_member(key);
		fputs(value ? "true" : "false", P.out);
	} else if (!P.json && (kind & PRINT_TEXT)) {
		fprintf(P.out, fmt, value ? "yes" : "no");
	}
}

void print_null(const char *key)
{
	if (P.json) {
		json_member(key);
		fputs("null", P.out);
	}
}

void print_nl(void)
{
	if (!P.json)
		putc('\n', P.out);
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (P.json)
		return;
	va_start(ap, fmt);
	vfprintf(P.out, fmt, ap);
	va_end(ap);
}

int print_end(void)
{
	if (P.json && P.depth == 0 && !P.first[0]) {
		putc('\n', P.out);
		P.first[0] = true;
	}
	if (fflush(P.out) == EOF || ferror(P.out))
		return errno ? -errno : -EIO;
	return 0;
}
