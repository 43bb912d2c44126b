/* One print path for text and JSON: every field is printed with one call
 * that knows both its text format and its JSON key, as iproute2's print_*
 * helpers do. JSON is written as it goes (no document is built), so listing
 * 100k SAs takes no more memory than listing one. */
#ifndef XFRMCTL_PRINT_H
#define XFRMCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum print_kind {
	PRINT_TEXT = 1, /* only in text output */
	PRINT_JSON = 2, /* only in JSON output */
	PRINT_ANY = 3,  /* both */
};

void print_init(FILE *out, bool json);
bool print_is_json(void);

/* Containers. In text mode these print nothing; key is NULL inside arrays
 * and at the top level. */
void print_open_object(const char *key);
void print_close_object(void);
void print_open_array(const char *key);
void print_close_array(void);

/* Fields: fmt is the text format (one conversion), key the JSON name. */
void print_string(enum print_kind kind, const char *key, const char *fmt, const char *value);
void print_uint(enum print_kind kind, const char *key, const char *fmt, uint64_t value);
void print_int(enum print_kind kind, const char *key, const char *fmt, int64_t value);
void print_bool(enum print_kind kind, const char *key, const char *fmt, bool value);
/* JSON null where the value is absent; nothing in text. */
void print_null(const char *key);
/* Text only: a newline, or a free-form piece of text. */
void print_nl(void);
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Finish the output (flushes; a newline after top-level JSON). Returns
 * -errno if writing failed (e.g. EPIPE, ENOSPC). */
int print_end(void);

#endif
