#include "keys.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define KEY_TEXT_MAX 4096

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A hex digit's value plus one, by byte; 0 for any other byte. */
static const unsigned char hex1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Eight hex digits at s into four bytes at out, a byte lane each (SWAR);
 * false, nothing written, if one of them is not a hex digit. A key of a
 * batch line was a tenth of its cost a pair of digits at a time. */
static bool hex8(const char *s, unsigned char *out)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = ones * 0x80, low4 = ones * 0x0f;
	const uint64_t lanes = 0x000f000f000f000fULL;
	uint64_t x, y, digit, letter, v;

	memcpy(&x, s, 8);
	if (x & highs)
		return false;
	/* for a byte b below 0x80: b + (0x80 - lo) has its high bit iff
	 * b >= lo, and b + (0x7f - hi) iff b > hi (no carry between lanes) */
	digit = (x + ones * (0x80 - '0')) & ~(x + ones * (0x7f - '9'));
	y = x | ones * 0x20; /* 'A'-'F' as 'a'-'f' */
	letter = (y + ones * (0x80 - 'a')) & ~(y + ones * (0x7f - 'f'));
	if (((digit | letter) & highs) != highs)
		return false;
	v = (x & low4) + ((letter & highs) >> 7) * 9; /* each digit's value */
	/* the first digit of a pair is its lower byte: the high nibble */
	v = ((v & lanes) << 4) | ((v >> 8) & lanes);
	v = (v | (v >> 8)) & 0x0000ffff0000ffffULL;
	v = (v | (v >> 16)) & 0xffffffffULL;
	memcpy(out, &v, 4);
	return true;
}
#endif

#ifdef __SSE2__
/* Sixteen hex digits at s into eight bytes at out, as hex8 does eight;
 * false, nothing written, if one of them is not a hex digit. */
static bool hex16(const char *s, unsigned char *out)
{
	const __m128i x = _mm_loadu_si128((const __m128i *)s);
	const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	const __m128i l = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
	/* (unsigned) d <= 9: a digit; l <= 5: a letter, either case */
	const __m128i is_d = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
	const __m128i is_l = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l);
	__m128i v;

	if (_mm_movemask_epi8(_mm_or_si128(is_d, is_l)) != 0xffff)
		return false;
	v = _mm_or_si128(_mm_and_si128(is_d, d),
			 _mm_and_si128(is_l, _mm_add_epi8(l, _mm_set1_epi8(10))));
	/* each 16-bit lane holds a pair: the high nibble in its lower byte */
	v = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0xff)), 4),
			 _mm_srli_epi16(v, 8));
	_mm_storel_epi64((__m128i *)out, _mm_packus_epi16(v, v));
	return true;
}
#endif

long xc_hex_decode(const char *s, size_t n, unsigned char *out, size_t cap, size_t *bad_pos)
{
	size_t i = 0, len = 0;
	int hi = -1, v;

	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
		i += 2;
#ifdef __SSE2__
	/* sixteen digits at a time while there are (most keys are one run; a
	 * batch of SAs decodes one a line), then eight, then pairs of digits
	 * by table, then the rest a byte at a time */
	for (; n - i >= 16 && cap - len >= 8 && hex16(s + i, out + len); i += 16)
		len += 8;
	/* fewer than sixteen left after a run of them: the last sixteen,
	 * in part again (what is decoded twice comes out the same) */
	if (len >= 8 && n - i < 16 && !((n - i) & 1) && cap - len >= (n - i) / 2 &&
	    hex16(s + n - 16, out + len - (16 - (n - i)) / 2)) {
		len += (n - i) / 2;
		i = n;
	}
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; n - i >= 8 && cap - len >= 4 && hex8(s + i, out + len); i += 8)
		len += 4;
#endif
	for (; i + 1 < n && hex1[(unsigned char)s[i]] && hex1[(unsigned char)s[i + 1]]; i += 2) {
		if (len >= cap)
			return -ENOSPC;
		out[len++] = (unsigned char)((hex1[(unsigned char)s[i]] - 1) << 4 |
					     (hex1[(unsigned char)s[i + 1]] - 1));
	}
	for (; i < n; i++) {
		if (isspace((unsigned char)s[i]))
			continue;
		v = hexval((unsigned char)s[i]);
		if (v < 0) {
			*bad_pos = i;
			return -EINVAL;
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (len >= cap)
			return -ENOSPC;
		out[len++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0) {
		*bad_pos = n;
		return -EINVAL;
	}
	return (long)len;
}

static int decode(const char *text, size_t n, unsigned char *out, size_t cap, size_t *len,
		  const char *what, const char *src, struct xc_err *err)
{
	size_t bad = 0;
	long r = xc_hex_decode(text, n, out, cap, &bad);

	if (r == -ENOSPC) {
		xc_err_set(err, "%s%s is longer than %zu bytes", what, src, cap);
		return -EINVAL;
	}
	if (r < 0) {
		if (bad >= n)
			xc_err_set(err, "%s%s has an odd number of hex digits", what, src);
		else
			xc_err_set(err, "%s%s: not a hex digit at offset %zu", what, src, bad);
		return -EINVAL;
	}
	*len = (size_t)r;
	return 0;
}

static int read_file(const char *path, unsigned char *out, size_t cap, size_t *len,
		     const char *what, struct xc_err *err)
{
	char text[KEY_TEXT_MAX + 1];
	ssize_t n;
	size_t total = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		xc_err_set(err, "%s: cannot read key file '%s': %s", what, path, strerror(errno));
		return ret;
	}
	while (total < sizeof(text) && (n = read(fd, text + total, sizeof(text) - total)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			xc_err_set(err, "%s: cannot read key file '%s': %s", what, path,
				   strerror(errno));
			goto out;
		}
		total += (size_t)n;
	}
	if (total > KEY_TEXT_MAX) {
		xc_err_set(err, "%s: key file '%s' is longer than %d bytes", what, path,
			   KEY_TEXT_MAX);
		ret = -EINVAL;
		goto out;
	}
	ret = decode(text, total, out, cap, len, what, " (from file)", err);
	if (ret == 0 && *len == 0) {
		xc_err_set(err, "%s: key file '%s' holds no key", what, path);
		ret = -EINVAL;
	}
out:
	explicit_bzero(text, sizeof(text));
	close(fd);
	return ret;
}

static int read_stream(FILE *in, unsigned char *out, size_t cap, size_t *len, const char *what,
		       struct xc_err *err)
{
	char line[KEY_TEXT_MAX + 2];
	int ret;

	if (!in) {
		xc_err_set(err, "%s: '-' reads the key from stdin, which is taken here", what);
		return -EINVAL;
	}
	if (!fgets(line, sizeof(line), in)) {
		xc_err_set(err, "%s: no key on stdin", what);
		return -EINVAL;
	}
	if (!strchr(line, '\n') && !feof(in)) {
		/* the rest would be taken for the next key */
		explicit_bzero(line, sizeof(line));
		xc_err_set(err, "%s: key line on stdin is longer than %d bytes", what, KEY_TEXT_MAX);
		return -EINVAL;
	}
	ret = decode(line, strlen(line), out, cap, len, what, " (from stdin)", err);
	if (ret == 0 && *len == 0) {
		xc_err_set(err, "%s: empty key line on stdin", what);
		ret = -EINVAL;
	}
	explicit_bzero(line, sizeof(line));
	return ret;
}

int xc_key_read(const char *tok, unsigned char *out, size_t cap, size_t *len, FILE *key_in,
		const char *what, struct xc_err *err)
{
	if (tok[0] == '@' && tok[1])
		return read_file(tok + 1, out, cap, len, what, err);
	if (!strcmp(tok, "-"))
		return read_stream(key_in, out, cap, len, what, err);
	if (tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X'))
		return decode(tok, strlen(tok), out, cap, len, what, "", err);
	xc_err_set(err, "%s must be 0xHEX, @FILE or - (stdin)", what);
	return -EINVAL;
}
