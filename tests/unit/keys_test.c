/* Keys: xc_hex_decode, and xc_key_read from 0xHEX, @FILE and '-' (a
 * stream). Every error names the key ("key for 'cbc(aes)'") and never
 * quotes key material. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "keys.h"

#define WHAT "key for 'cbc(aes)'"
/* A key whose digits appear in no message: "0x5ec7e75ec7e7…" */
#define SECRET_HEX "5ec7e7"

static char dir[] = "/tmp/xfrmctl-keys-test.XXXXXX";

static int make_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	(void)state;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	return rmdir(dir);
}

/* A file of n bytes (text repeated) in the test directory, mode 0600. */
static const char *key_file(const char *name, const char *text, size_t n)
{
	static char path[PATH_MAX];
	size_t tlen = strlen(text), done = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	while (done < n) {
		size_t chunk = n - done < tlen ? n - done : tlen;

		assert_int_equal(write(fd, text, chunk), (ssize_t)chunk);
		done += chunk;
	}
	assert_int_equal(close(fd), 0);
	return path;
}

static void assert_no_secret(const char *msg)
{
	assert_null(strstr(msg, SECRET_HEX));
	assert_null(strstr(msg, "5EC7E7"));
}

/* ---- xc_hex_decode ---- */

static long decode(const char *s, unsigned char *out, size_t cap, size_t *bad)
{
	return xc_hex_decode(s, strlen(s), out, cap, bad);
}

static void test_hex_plain(void **state)
{
	static const unsigned char want[] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
					      0xcd, 0xef, 0xab, 0xcd, 0xef };
	unsigned char out[32];
	size_t bad = 0;

	(void)state;
	assert_int_equal(decode("0123456789abcdefABCDEF", out, sizeof(out), &bad), 11);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(decode("0x0123456789abcdefABCDEF", out, sizeof(out), &bad), 11);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(decode("0X0123456789ABCDEFabcdef", out, sizeof(out), &bad), 11);
	assert_memory_equal(out, want, sizeof(want));
}

static void test_hex_empty(void **state)
{
	unsigned char out[4] = { 0xaa, 0xaa, 0xaa, 0xaa };
	size_t bad = 0;

	(void)state;
	assert_int_equal(decode("", out, sizeof(out), &bad), 0);
	assert_int_equal(decode("0x", out, sizeof(out), &bad), 0);
	assert_int_equal(decode(" \t\n", out, sizeof(out), &bad), 0);
	assert_int_equal(decode("  0X  \n", out, sizeof(out), &bad), 0);
	assert_int_equal(out[0], 0xaa); /* nothing written */
}

static void test_hex_whitespace(void **state)
{
	static const unsigned char want[] = { 0x00, 0x11, 0x22, 0x33 };
	unsigned char out[8];
	size_t bad = 0;

	(void)state;
	/* before the prefix, between digits, inside a byte, at the end */
	assert_int_equal(decode(" \t0x00 11\n2\t2 33 \r\n", out, sizeof(out), &bad), 4);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(decode("\v\f00112233\n", out, sizeof(out), &bad), 4);
	assert_memory_equal(out, want, sizeof(want));
}

static void test_hex_odd(void **state)
{
	unsigned char out[8];
	size_t bad = 0;

	(void)state;
	/* an odd count is reported at the end of the text: bad_pos == n */
	assert_int_equal(decode("0xabc", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 5);
	bad = 0;
	assert_int_equal(decode("a", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 1);
	bad = 0;
	assert_int_equal(decode("ab c \n", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 6);
}

static void test_hex_bad_digit(void **state)
{
	unsigned char out[8];
	size_t bad = 99;

	(void)state;
	/* bad_pos is an index into the text, prefix and blanks counted */
	assert_int_equal(decode("0x12g4", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 4);
	assert_int_equal(decode("g0", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 0);
	assert_int_equal(decode(" 12 zz", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 4);
	/* only one prefix; "0 x" is no prefix */
	assert_int_equal(decode("0x0x12", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 3);
	assert_int_equal(decode("0 x12", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 2);
	/* a sign or a separator is no digit */
	assert_int_equal(decode("-12", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 0);
	assert_int_equal(decode("00:11", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 2);
	/* a bad digit wins over an odd count */
	assert_int_equal(decode("0x1z", out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 3);
}

static void test_hex_bounded_by_n(void **state)
{
	const char text[] = "0x1234\0" "56";
	unsigned char out[8];
	size_t bad = 0;

	(void)state;
	/* n limits what is read, not a NUL */
	assert_int_equal(xc_hex_decode(text, 4, out, sizeof(out), &bad), 1);
	assert_int_equal(out[0], 0x12);
	/* a NUL inside n is a bad digit */
	assert_int_equal(xc_hex_decode(text, sizeof(text) - 1, out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 6);
	/* n of 1: no room for a prefix; '0' alone is odd */
	assert_int_equal(xc_hex_decode("0x", 1, out, sizeof(out), &bad), -EINVAL);
	assert_int_equal(bad, 1);
}

static void test_hex_overflow(void **state)
{
	unsigned char out[4] = { 0 }, big[8], guard[4];
	size_t bad = 0;

	(void)state;
	memset(guard, 0x5a, sizeof(guard));
	memset(big, 0x5a, sizeof(big));
	/* exactly cap bytes fit */
	assert_int_equal(decode("0x00112233", out, 4, &bad), 4);
	/* one more byte does not, and nothing is written past cap */
	assert_int_equal(decode("0x0011223344", big, 4, &bad), -ENOSPC);
	assert_memory_equal(big + 4, guard, 4);
	assert_int_equal(decode("00", out, 0, &bad), -ENOSPC);
	/* an odd digit past cap is still odd, not overflow */
	assert_int_equal(decode("0x001122334", out, 4, &bad), -EINVAL);
}

/* Runs of every length from 0 to 100 digits (decoded sixteen, eight, two
 * or one at a time as their length allows): random bytes, written in hex
 * of mixed case, come back; then one bad byte at each place of a long run. */
static void test_hex_runs(void **state)
{
	static const char bad_bytes[] = { 'g', 'G', 'x', '/', ':', '@', '`', ' ' - 1, (char)0x80,
					  (char)0xc1, (char)0xe1, '.' };
	unsigned char out[64], want[64];
	char text[2 + 128 + 1];
	unsigned int seed = 7;
	size_t bad = 0;

	(void)state;
	for (size_t n = 0; n <= 100; n += 2) {
		memcpy(text, "0x", 2);
		for (size_t i = 0; i < n; i++) {
			/* (the digits of want[i / 2], high first, either case) */
			seed = seed * 1103515245 + 12345;
			if (i % 2 == 0)
				want[i / 2] = (unsigned char)(seed >> 16);
			text[2 + i] = ((seed >> 24) & 1 ? "0123456789ABCDEF" : "0123456789abcdef")
				[i % 2 ? want[i / 2] & 15 : want[i / 2] >> 4];
		}
		text[2 + n] = '\0';
		assert_int_equal(decode(text, out, sizeof(out), &bad), (long)(n / 2));
		assert_memory_equal(out, want, n / 2);
	}
	/* (text: 0x and 100 digits, want their 50 bytes) a blank anywhere
	 * in the run is skipped */
	for (size_t at = 2; at <= 102; at++) {
		char spaced[2 + 100 + 1 + 1];

		memcpy(spaced, text, at);
		spaced[at] = at % 3 ? ' ' : '\n';
		memcpy(spaced + at + 1, text + at, 102 - at + 1);
		assert_int_equal(decode(spaced, out, sizeof(out), &bad), 50);
		assert_memory_equal(out, want, 50);
	}
	for (size_t at = 2; at < 102; at++) {
		for (size_t k = 0; k < sizeof(bad_bytes); k++) {
			char was = text[at];

			text[at] = bad_bytes[k];
			bad = 0;
			if (decode(text, out, sizeof(out), &bad) != -EINVAL || bad != at)
				fail_msg("byte 0x%02x at %zu: not refused there (bad_pos %zu)",
					 (unsigned char)bad_bytes[k], at, bad);
			text[at] = was;
		}
	}
}

/* ---- xc_key_read: 0xHEX on the command line ---- */

static void test_key_hex_token(void **state)
{
	static const unsigned char want[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
						0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	unsigned char out[64];
	size_t len = 0;
	struct xc_err err = { "" };

	(void)state;
	assert_int_equal(xc_key_read("0x00112233445566778899aabbccddeeff", out, sizeof(out), &len,
				     NULL, WHAT, &err), 0);
	assert_int_equal(len, 16);
	assert_memory_equal(out, want, 16);
	assert_int_equal(xc_key_read("0X00112233445566778899AABBCCDDEEFF", out, sizeof(out), &len,
				     NULL, WHAT, &err), 0);
	assert_memory_equal(out, want, 16);
	/* "0x" alone is an empty key (e.g. for ecb(cipher_null)) */
	assert_int_equal(xc_key_read("0x", out, sizeof(out), &len, NULL, WHAT, &err), 0);
	assert_int_equal(len, 0);
}

static void key_err(const char *tok, size_t cap, FILE *in, int rc, const char *msg)
{
	unsigned char out[512];
	size_t len = 0;
	struct xc_err err = { "" };

	assert_true(cap <= sizeof(out));
	assert_int_equal(xc_key_read(tok, out, cap, &len, in, WHAT, &err), rc);
	assert_string_equal(err.msg, msg);
	assert_no_secret(err.msg);
}

static void test_key_token_errors(void **state)
{
	(void)state;
	/* not 0x, @FILE or -: hex without its prefix is refused too */
	key_err("5ec7e75ec7e7", 64, NULL, -EINVAL,
		WHAT " must be 0xHEX, @FILE or - (stdin)");
	key_err("secretpassword", 64, NULL, -EINVAL, WHAT " must be 0xHEX, @FILE or - (stdin)");
	key_err("", 64, NULL, -EINVAL, WHAT " must be 0xHEX, @FILE or - (stdin)");
	key_err("@", 64, NULL, -EINVAL, WHAT " must be 0xHEX, @FILE or - (stdin)");
	key_err("--", 64, NULL, -EINVAL, WHAT " must be 0xHEX, @FILE or - (stdin)");
	key_err(" 0x5ec7e7", 64, NULL, -EINVAL, WHAT " must be 0xHEX, @FILE or - (stdin)");
	key_err("0x5ec7e75", 64, NULL, -EINVAL, WHAT " has an odd number of hex digits");
	key_err("0x5ec7e7zz", 64, NULL, -EINVAL, WHAT ": not a hex digit at offset 8");
	key_err("0x5ec7e7" "5ec7e7" "5ec7e7", 8, NULL, -EINVAL, WHAT " is longer than 8 bytes");
	/* '-' without a stream: stdin is taken (the commands come from it) */
	key_err("-", 64, NULL, -EINVAL,
		WHAT ": '-' reads the key from stdin, which is taken here");
}

/* ---- @FILE ---- */

static void test_key_file(void **state)
{
	static const unsigned char want[] = { 0x5e, 0xc7, 0xe7, 0x00, 0x01 };
	unsigned char out[64];
	size_t len = 0;
	struct xc_err err = { "" };
	char tok[PATH_MAX + 1];
	struct stat st;
	const char *p;

	(void)state;
	p = key_file("k1", "0x5ec7e70001\n", 13);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(tok, sizeof(tok), "@%s", p);
	assert_int_equal(xc_key_read(tok, out, sizeof(out), &len, NULL, WHAT, &err), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(out, want, 5);

	/* no prefix, blanks and lines, as `xxd -p` writes */
	p = key_file("k2", "  5e c7\ne7\t00\r\n01\n\n", 19);
	snprintf(tok, sizeof(tok), "@%s", p);
	assert_int_equal(xc_key_read(tok, out, sizeof(out), &len, NULL, WHAT, &err), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(out, want, 5);
}

static void file_err(const char *name, const char *text, size_t n, size_t cap, int rc,
		     const char *fmt)
{
	unsigned char out[512];
	size_t len = 0;
	struct xc_err err = { "" };
	char tok[PATH_MAX + 1], msg[PATH_MAX + 256];
	const char *p = text ? key_file(name, text, n) : name;

	snprintf(tok, sizeof(tok), "@%s", p);
	snprintf(msg, sizeof(msg), fmt, p);
	assert_int_equal(xc_key_read(tok, out, cap, &len, NULL, WHAT, &err), rc);
	assert_string_equal(err.msg, msg);
	assert_no_secret(err.msg);
}

static void test_key_file_errors(void **state)
{
	char missing[PATH_MAX];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no-such-key", dir);
	file_err(missing, NULL, 0, 64, -ENOENT,
		 WHAT ": cannot read key file '%s': No such file or directory");
	file_err(dir, NULL, 0, 64, -EISDIR, WHAT ": cannot read key file '%s': Is a directory");
	file_err("empty", "", 0, 64, -EINVAL, WHAT ": key file '%s' holds no key");
	file_err("blank", " \n\n", 3, 64, -EINVAL, WHAT ": key file '%s' holds no key");
	file_err("prefix", "0x\n", 3, 64, -EINVAL, WHAT ": key file '%s' holds no key");
	file_err("odd", "0x5ec7e75\n", 10, 64, -EINVAL,
		 WHAT " (from file) has an odd number of hex digits");
	/* offsets count from the file's first byte */
	file_err("bad", "\n0x5ec7e7\nzz\n", 13, 64, -EINVAL,
		 WHAT " (from file): not a hex digit at offset 10");
	file_err("long", "5ec7e7", 18, 8, -EINVAL, WHAT " (from file) is longer than 8 bytes");
	/* the text limit: 4096 bytes of blanks and digits are read, 4097 are not */
	file_err("huge", "5ec7e7", 4098, 512, -EINVAL,
		 WHAT ": key file '%s' is longer than 4096 bytes");
	file_err("huge2", "                ", 4097, 512, -EINVAL,
		 WHAT ": key file '%s' is longer than 4096 bytes");
}

static void test_key_file_limit(void **state)
{
	unsigned char out[512];
	size_t len = 0;
	struct xc_err err = { "" };
	char tok[PATH_MAX + 1], text[4097];
	const char *p;

	(void)state;
	/* 4094 blanks and one byte: exactly 4096 bytes of text */
	memset(text, ' ', 4094);
	memcpy(text + 4094, "5e", 2);
	text[4096] = '\0';
	p = key_file("edge", text, 4096);
	snprintf(tok, sizeof(tok), "@%s", p);
	assert_int_equal(xc_key_read(tok, out, sizeof(out), &len, NULL, WHAT, &err), 0);
	assert_int_equal(len, 1);
	assert_int_equal(out[0], 0x5e);
}

/* ---- '-': one line of a stream per key ---- */

static FILE *stream(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(f);
	return f;
}

static void test_key_stream(void **state)
{
	FILE *in = stream("0x5ec7e7\n  00 01 \n abcd");
	unsigned char out[64];
	size_t len = 0;
	struct xc_err err = { "" };

	(void)state;
	assert_int_equal(xc_key_read("-", out, sizeof(out), &len, in, WHAT, &err), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(out, "\x5e\xc7\xe7", 3);
	assert_int_equal(xc_key_read("-", out, sizeof(out), &len, in, WHAT, &err), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "\x00\x01", 2);
	/* the last line needs no newline */
	assert_int_equal(xc_key_read("-", out, sizeof(out), &len, in, WHAT, &err), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(out, "\xab\xcd", 2);
	/* then the stream is dry */
	assert_int_equal(xc_key_read("-", out, sizeof(out), &len, in, WHAT, &err), -EINVAL);
	assert_string_equal(err.msg, WHAT ": no key on stdin");
	fclose(in);
}

static void test_key_stream_errors(void **state)
{
	FILE *in;

	(void)state;
	in = stream("");
	key_err("-", 64, in, -EINVAL, WHAT ": no key on stdin");
	fclose(in);
	in = stream("\n0x5ec7e7\n");
	key_err("-", 64, in, -EINVAL, WHAT ": empty key line on stdin");
	fclose(in);
	in = stream(" 0x \n");
	key_err("-", 64, in, -EINVAL, WHAT ": empty key line on stdin");
	fclose(in);
	in = stream("5ec7e75\n");
	key_err("-", 64, in, -EINVAL, WHAT " (from stdin) has an odd number of hex digits");
	fclose(in);
	in = stream("5ec7e7 xx\n");
	key_err("-", 64, in, -EINVAL, WHAT " (from stdin): not a hex digit at offset 7");
	fclose(in);
	in = stream("5ec7e75ec7e75ec7e7\n");
	key_err("-", 8, in, -EINVAL, WHAT " (from stdin) is longer than 8 bytes");
	fclose(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_plain),
		cmocka_unit_test(test_hex_empty),
		cmocka_unit_test(test_hex_whitespace),
		cmocka_unit_test(test_hex_odd),
		cmocka_unit_test(test_hex_bad_digit),
		cmocka_unit_test(test_hex_runs),
		cmocka_unit_test(test_hex_bounded_by_n),
		cmocka_unit_test(test_hex_overflow),
		cmocka_unit_test(test_key_hex_token),
		cmocka_unit_test(test_key_token_errors),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_key_file_errors),
		cmocka_unit_test(test_key_file_limit),
		cmocka_unit_test(test_key_stream),
		cmocka_unit_test(test_key_stream_errors),
	};
	return cmocka_run_group_tests_name("keys", tests, make_dir, remove_dir);
}
