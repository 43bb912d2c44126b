/* The print layer: the JSON it writes parses (with json-c, an independent
 * parser) to the values given, and text mode uses the formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json.h>

#include "../../cli/print.h"

static char *buf;
static size_t len;
static FILE *mem;

static void begin(bool json)
{
	mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	print_init(mem, json);
}

static char *end(void)
{
	assert_int_equal(print_end(), 0);
	fclose(mem);
	return buf;
}

static void emit_sa(void)
{
	print_open_object(NULL);
	print_string(PRINT_ANY, "src", "src %s", "10.0.0.1");
	print_uint(PRINT_ANY, "spi", " spi 0x%08" PRIx64, 0xffffffffu);
	print_string(PRINT_ANY, "ctx", " ctx %s", "a\"b\\c\n\x01");
	print_bool(PRINT_JSON, "esn", "%s", true);
	print_null("mark");
	print_open_array("algos");
	print_open_object(NULL);
	print_string(PRINT_ANY, "name", " %s", "rfc4106(gcm(aes))");
	print_close_object();
	print_close_array();
	print_nl();
	print_close_object();
}

static void test_json_parses_back(void **state)
{
	(void)state;
	begin(true);
	print_open_array(NULL);
	emit_sa();
	emit_sa();
	print_close_array();
	char *out = end();

	json_object *root = json_tokener_parse(out), *sa, *v;
	assert_non_null(root);
	assert_true(json_object_is_type(root, json_type_array));
	assert_int_equal(json_object_array_length(root), 2);
	sa = json_object_array_get_idx(root, 1);
	assert_true(json_object_object_get_ex(sa, "spi", &v));
	assert_int_equal(json_object_get_int64(v), 0xffffffffLL);
	assert_true(json_object_object_get_ex(sa, "ctx", &v));
	assert_string_equal(json_object_get_string(v), "a\"b\\c\n\x01");
	assert_true(json_object_object_get_ex(sa, "esn", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(sa, "mark", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(sa, "algos", &v));
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_array_get_idx(v, 0), "name")),
			    "rfc4106(gcm(aes))");
	json_object_put(root);
	free(out);
}

static void test_text_uses_formats(void **state)
{
	(void)state;
	begin(false);
	emit_sa();
	char *out = end();
	assert_string_equal(out, "src 10.0.0.1 spi 0xffffffff ctx a\"b\\c\n\x01 rfc4106(gcm(aes))\n");
	free(out);
}

/* The text formatter agrees with the C library's for every conversion the
 * commands use (the library is the oracle). */
static void test_formats_match_libc(void **state)
{
	static const uint64_t uvals[] = { 0, 1, 9, 10, 255, 256, 4096, 0xffffffffu,
					  0x100000000ull, UINT64_MAX };
	static const int64_t ivals[] = { 0, 1, -1, 42, -42, INT64_MAX, INT64_MIN };
	static const char *const ufmts[] = { "%" PRIu64, " spi 0x%08" PRIx64, "0x%" PRIx64,
					     "[%5" PRIu64 "]", "%" PRIX64 "!", "%%%" PRIu64 "%%",
					     "[%-6" PRIu64 "]", "[%-08" PRIx64 "]" };
	static const char *const ifmts[] = { "%" PRId64, " dev if%" PRId64, "%08" PRId64,
					     "[%-5" PRId64 "]", "[%6" PRId64 "]" };
	static const char *const sfmts[] = { "%s", "[%-6s]", "[%6s]", "%-2s|", "x%sy" };
	static const char *const svals[] = { "", "ab", "abcdefgh" };
	char want[128];

	(void)state;
	for (size_t f = 0; f < sizeof(ufmts) / sizeof(ufmts[0]); f++) {
		for (size_t v = 0; v < sizeof(uvals) / sizeof(uvals[0]); v++) {
			begin(false);
			print_uint(PRINT_ANY, "k", ufmts[f], uvals[v]);
			char *out = end();
			snprintf(want, sizeof(want), ufmts[f], uvals[v]);
			assert_string_equal(out, want);
			free(out);
		}
	}
	for (size_t f = 0; f < sizeof(ifmts) / sizeof(ifmts[0]); f++) {
		for (size_t v = 0; v < sizeof(ivals) / sizeof(ivals[0]); v++) {
			begin(false);
			print_int(PRINT_ANY, "k", ifmts[f], ivals[v]);
			char *out = end();
			snprintf(want, sizeof(want), ifmts[f], ivals[v]);
			assert_string_equal(out, want);
			free(out);
		}
	}
	for (size_t f = 0; f < sizeof(sfmts) / sizeof(sfmts[0]); f++) {
		for (size_t v = 0; v < sizeof(svals) / sizeof(svals[0]); v++) {
			begin(false);
			print_string(PRINT_ANY, "k", sfmts[f], svals[v]);
			char *out = end();
			snprintf(want, sizeof(want), sfmts[f], svals[v]);
			assert_string_equal(out, want);
			free(out);
		}
	}
	begin(false);
	print_string(PRINT_ANY, "k", "<%s> %% done", "x y");
	char *out = end();
	assert_string_equal(out, "<x y> % done");
	free(out);
}

/* print_put_uint(), the raw writer state list's text uses, against
 * snprintf() at every change of length: powers of 2, 10 and 16 and their
 * neighbours, zero-padded to widths below, at and above the length. */
static void test_put_uint_matches_libc(void **state)
{
	static const unsigned int widths[] = { 0, 1, 8, 21 };
	uint64_t vals[3 * (64 + 20 + 16) + 2];
	size_t nv = 0;
	char got[64], want[64];

	(void)state;
	for (unsigned int i = 0; i < 64; i++) {
		uint64_t b = 1ULL << i;

		vals[nv++] = b - 1;
		vals[nv++] = b;
		vals[nv++] = b + 1;
	}
	for (uint64_t p = 1, i = 0; i < 20; i++, p *= 10) {
		vals[nv++] = p - 1;
		vals[nv++] = p;
		vals[nv++] = p + 1;
	}
	for (uint64_t p = 16, i = 1; i < 16; i++, p *= 16) {
		vals[nv++] = p - 1;
		vals[nv++] = p;
		vals[nv++] = p + 1;
	}
	vals[nv++] = UINT64_MAX;
	vals[nv++] = UINT64_MAX - 1;
	for (size_t v = 0; v < nv; v++) {
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			*print_put_uint(got, vals[v], 10, widths[w]) = '\0';
			snprintf(want, sizeof(want), "%0*" PRIu64, (int)widths[w], vals[v]);
			assert_string_equal(got, want);
			*print_put_uint(got, vals[v], 16, widths[w]) = '\0';
			snprintf(want, sizeof(want), "%0*" PRIx64, (int)widths[w], vals[v]);
			assert_string_equal(got, want);
		}
	}
}

/* More output than the internal buffer holds arrives whole and in order. */
static void test_large_output(void **state)
{
	char want[32];

	(void)state;
	begin(true);
	print_open_array(NULL);
	for (uint64_t i = 0; i < 20000; i++)
		print_uint(PRINT_ANY, NULL, "%" PRIu64, i);
	print_close_array();
	char *out = end();
	json_object *root = json_tokener_parse(out);
	assert_non_null(root);
	assert_int_equal(json_object_array_length(root), 20000);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(root, 19999)), 19999);
	json_object_put(root);
	snprintf(want, sizeof(want), "%d]\n", 19999);
	assert_string_equal(out + strlen(out) - strlen(want), want);
	free(out);
}

/* The print layer keeps what it read of each format by its address: a
 * buffer rewritten between calls (as a caller building its format with
 * snprintf does) is read again each time its text changes. */
static void test_format_buffer_rewritten(void **state)
{
	static const char *const texts[] = { " a %" PRIu64, " bb 0x%08" PRIx64 "!", "%" PRIu64,
					     " a %" PRIu64, "[%-5" PRIu64 "]", "no conversion" };
	char fmt[48], want[96];

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			snprintf(fmt, sizeof(fmt), "%s", texts[i]);
			begin(false);
			print_uint(PRINT_ANY, "k", fmt, 4242 + i);
			char *out = end();
			snprintf(want, sizeof(want), fmt, (uint64_t)(4242 + i));
			assert_string_equal(out, want);
			free(out);
		}
	}
}

/* Many formats at many addresses (more than the layer keeps), each read
 * again and again, and formats too long to keep. */
static void test_many_formats(void **state)
{
	enum { NFMT = 3000 };
	static char fmts[NFMT][40];
	char want[256], *all = malloc(NFMT * 2 * 64), *w = all;

	(void)state;
	assert_non_null(all);
	for (int i = 0; i < NFMT; i++)
		snprintf(fmts[i], sizeof(fmts[i]), "%d:%%0%du|", i, i % 12);
	begin(false);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < NFMT; i++) {
			print_uint(PRINT_ANY, "k", fmts[i], (uint64_t)i * 7919);
			w += sprintf(w, fmts[i], (unsigned int)(i * 7919));
		}
	}
	char *out = end();
	assert_string_equal(out, all);
	free(out);
	begin(false);
	print_string(PRINT_ANY, "k",
		     "a format longer than the sixty-four bytes that are kept: %s, ok", "x");
	print_text("a text longer than the sixty-four bytes that are kept, without a conversion.");
	print_text("%d%% and %s", 50, "more");
	print_text(" \\ ");
	out = end();
	snprintf(want, sizeof(want), "%s%s%s",
		 "a format longer than the sixty-four bytes that are kept: x, ok",
		 "a text longer than the sixty-four bytes that are kept, without a conversion.",
		 "50% and more \\ ");
	assert_string_equal(out, want);
	free(out);
	free(all);
}

/* JSON keys that need escaping, literal or not, short or long. */
static void test_json_keys(void **state)
{
	char key[80];
	json_object *root, *v;

	(void)state;
	snprintf(key, sizeof(key), "%s", "built \"key\"");
	begin(true);
	print_open_object(NULL);
	print_uint(PRINT_ANY, "q\"uote", "%" PRIu64, 1);
	print_uint(PRINT_ANY, "tab\there", "%" PRIu64, 2);
	print_uint(PRINT_ANY, key, "%" PRIu64, 3);
	print_uint(PRINT_ANY, "a key that is longer than the sixty-four bytes kept for one, surely",
		   "%" PRIu64, 4);
	print_open_array("ctl\x01");
	print_close_array();
	print_null("plain");
	print_close_object();
	char *out = end();
	root = json_tokener_parse(out);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "q\"uote", &v));
	assert_int_equal(json_object_get_int64(v), 1);
	assert_true(json_object_object_get_ex(root, "tab\there", &v));
	assert_int_equal(json_object_get_int64(v), 2);
	assert_true(json_object_object_get_ex(root, "built \"key\"", &v));
	assert_int_equal(json_object_get_int64(v), 3);
	assert_true(json_object_object_get_ex(
		root, "a key that is longer than the sixty-four bytes kept for one, surely", &v));
	assert_int_equal(json_object_get_int64(v), 4);
	assert_true(json_object_object_get_ex(root, "ctl\x01", &v));
	assert_true(json_object_object_get_ex(root, "plain", &v));
	assert_null(v);
	json_object_put(root);
	free(out);
}

/* Output that fills the internal buffer many times over, in pieces of every
 * length, so that its end falls at every place in them. */
static void test_buffer_ends(void **state)
{
	static const char *const strs[] = { "", "a", "bc", "def", "0123456789abcdef0123",
					    "a string of some forty-odd bytes to be copied" };
	size_t cap = 4u << 20, n = 0;
	char *want = malloc(cap);

	(void)state;
	assert_non_null(want);
	begin(false);
	for (unsigned int i = 0; n < cap - 4096; i++) {
		const char *s = strs[i % 6];

		switch (i % 4) {
		case 0:
			print_uint(PRINT_ANY, "k", " u %" PRIu64, (uint64_t)i * i);
			n += (size_t)sprintf(want + n, " u %llu", (unsigned long long)i * i);
			break;
		case 1:
			print_string(PRINT_ANY, "k", "[%s]", s);
			n += (size_t)sprintf(want + n, "[%s]", s);
			break;
		case 2:
			print_int(PRINT_ANY, "k", "%08" PRId64 ";", -(int64_t)i);
			n += (size_t)sprintf(want + n, "%08lld;", -(long long)i);
			break;
		default:
			print_text("\n\t");
			n += (size_t)sprintf(want + n, "\n\t");
		}
	}
	char *out = end();
	assert_int_equal(strlen(out), n);
	assert_memory_equal(out, want, n);
	free(out);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_parses_back),
		cmocka_unit_test(test_text_uses_formats),
		cmocka_unit_test(test_formats_match_libc),
		cmocka_unit_test(test_put_uint_matches_libc),
		cmocka_unit_test(test_large_output),
		cmocka_unit_test(test_format_buffer_rewritten),
		cmocka_unit_test(test_many_formats),
		cmocka_unit_test(test_json_keys),
		cmocka_unit_test(test_buffer_ends),
	};
	return cmocka_run_group_tests_name("print", tests, NULL, NULL);
}
