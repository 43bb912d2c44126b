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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_parses_back),
		cmocka_unit_test(test_text_uses_formats),
		cmocka_unit_test(test_formats_match_libc),
		cmocka_unit_test(test_large_output),
	};
	return cmocka_run_group_tests_name("print", tests, NULL, NULL);
}
