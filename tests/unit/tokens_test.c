/* The batch-line splitter (xc_split_line), against an oracle written here:
 * words are the runs of bytes between blanks, and a word that starts with
 * '#' ends the line. The splitter has a fast path for lines of words
 * between spaces (16 bytes at a time) and a byte-wise one for any other
 * line; the lines below put words, blanks and special bytes at every
 * offset around the 16-byte steps, so that both paths and the hand-over
 * between them (a special byte found after spaces were already cut) are
 * compared with the oracle. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tokens.h"

#define MAX_WORDS 64
#define LINE_MAX_LEN 80

/* The words of a line without quotes or backslashes, into w (copies). */
static int oracle(const char *line, char w[][LINE_MAX_LEN + 1], int max)
{
	const char *p = line;
	int n = 0;

	for (;;) {
		size_t k;

		p += strspn(p, " \t\n\r\v\f");
		if (!*p || *p == '#')
			return n;
		if (n == max)
			return -E2BIG;
		k = strcspn(p, " \t\n\r\v\f");
		memcpy(w[n], p, k);
		w[n++][k] = '\0';
		p += k;
	}
}

static void expect_split(const char *text, int max)
{
	char line[LINE_MAX_LEN + 1], want[MAX_WORDS][LINE_MAX_LEN + 1], *argv[MAX_WORDS];
	struct xc_err err = { 0 };
	int n, r;

	assert_true(strlen(text) <= LINE_MAX_LEN && max <= MAX_WORDS);
	strcpy(line, text);
	n = oracle(text, want, max);
	r = xc_split_line(line, argv, max, &err);
	if (r != n)
		fail_msg("line '%s' (max %d): %d words, the oracle says %d", text, max, r, n);
	if (r < 0) {
		assert_true(err.msg[0] != '\0');
		return;
	}
	for (int i = 0; i < r; i++) {
		assert_true(argv[i] >= line && argv[i] < line + sizeof(line));
		if (strcmp(argv[i], want[i]))
			fail_msg("line '%s': word %d is '%s', the oracle says '%s'", text, i, argv[i],
				 want[i]);
	}
}

/* Every line of length 0..LEN over a few bytes, from a fixed generator:
 * runs of one to five word bytes and one to three spaces. */
static void test_plain_lines(void **state)
{
	uint32_t x = 12345;
	char line[LINE_MAX_LEN + 1];

	(void)state;
	for (int round = 0; round < 4000; round++) {
		size_t len = 0, want = (size_t)(round % (LINE_MAX_LEN - 8));

		while (len < want) {
			x = x * 1103515245u + 12345u;
			unsigned int run = 1 + (x >> 16) % 5;
			char c = (x >> 24) & 1 ? ' ' : (char)('a' + (x >> 20) % 26);

			if (c == ' ')
				run = 1 + run % 3;
			for (; run && len < want; run--)
				line[len++] = c;
		}
		line[len] = '\0';
		expect_split(line, MAX_WORDS);
	}
}

/* A special byte at each offset of a plain line: the byte-wise path must
 * give the words, whatever the fast path cut before it found the byte. */
static void test_special_at_every_offset(void **state)
{
	static const char base[] = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj";
	static const char specials[] = "\t#\n\r";

	(void)state;
	for (const char *s = specials; *s; s++) {
		for (size_t at = 0; at < sizeof(base) - 1; at++) {
			char line[sizeof(base)];

			memcpy(line, base, sizeof(base));
			line[at] = *s;
			expect_split(line, MAX_WORDS);
		}
	}
}

/* Quotes found after the fast path cut the first 16 bytes: the words
 * before them come back whole, and the quoted word is one word. */
static void test_quote_after_first_step(void **state)
{
	char line[] = "aaaa bbbb cccc dddd 'ee ff' \"g h\" i\\ j";
	char *argv[MAX_WORDS];
	struct xc_err err = { 0 };
	static const char *const want[] = { "aaaa", "bbbb", "cccc", "dddd", "ee ff", "g h", "i j" };

	(void)state;
	assert_int_equal(xc_split_line(line, argv, MAX_WORDS, &err), 7);
	for (int i = 0; i < 7; i++)
		assert_string_equal(argv[i], want[i]);
}

/* The word limit, at and past it, with one and with many spaces between. */
static void test_word_limit(void **state)
{
	(void)state;
	expect_split("a b c d", 4);
	expect_split("a b c d e", 4);
	expect_split("a    b    c    d    e", 4);
	expect_split("a    b    c    d", 4);
	expect_split("abcdefghijklmnopqrstuvwxyz abcdefghijklmnopqrstuvwxyz x", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lines),
		cmocka_unit_test(test_special_at_every_offset),
		cmocka_unit_test(test_quote_after_first_step),
		cmocka_unit_test(test_word_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
