#include "tokens.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* What each byte is to the splitter: a word's plain characters are 0. */
enum { PLAIN = 0, BLANK = 1, SPECIAL = 2 /* NUL, quotes, backslash */ };

static const unsigned char cls[256] = {
	[0] = SPECIAL,	 ['\''] = SPECIAL, ['"'] = SPECIAL, ['\\'] = SPECIAL,
	[' '] = BLANK,	 ['\t'] = BLANK,	 ['\n'] = BLANK, ['\r'] = BLANK,
	['\v'] = BLANK, ['\f'] = BLANK,
};

static bool blank(char c)
{
	return cls[(unsigned char)c] == BLANK;
}

/* A line without quotes, backslashes or blanks but spaces (and a newline
 * at its end): words between spaces, found a word at a time. Most lines
 * of a batch are such, and this is the most of what splitting costs. */
static int split_plain(char *line, char **argv, int max, struct xc_err *err)
{
	char *p = line;
	int n = 0;

	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '#')
			return n;
		if (n == max) {
			xc_err_set(err, "more than %d words on one line", max);
			return -E2BIG;
		}
		argv[n++] = p;
		p = strchrnul(p, ' ');
		if (*p)
			*p++ = '\0';
	}
}

#ifdef __SSE2__
/* A line whose words are between spaces, with no quote, backslash, '#' or
 * blank but space (a batch line, as a rule), split sixteen bytes at a time:
 * every space becomes a NUL, and each byte after one that is not a space
 * starts a word. Returns the number of words, or -EAGAIN with the line as
 * it was when the line is not such a line, or might have more than max
 * words (the splitter below then says what is wrong). A byte at a time, splitting was
 * a fifth of the cost of a batch line of state add. */
static int split_spaces(char *line, char **argv, int max)
{
	size_t len = strlen(line), base, q;
	const __m128i space = _mm_set1_epi8(' '), nine = _mm_set1_epi8(9), four = _mm_set1_epi8(4);
	int n = 0;

	if ((len + 1) / 2 > (size_t)max)
		return -EAGAIN; /* it might have more words than that */
	if (len && line[0] != ' ')
		argv[n++] = line; /* (a '#' there: found below) */
	for (base = 0; base < len; base += 16) {
		size_t left = len - base;
		unsigned int valid = left >= 16 ? 0xffff : (1u << left) - 1, spaces;
		__m128i v, bad, c;

		if (left >= 16) {
			v = _mm_loadu_si128((const __m128i *)(line + base));
		} else {
			char tail[16] = { 0 };

			memcpy(tail, line + base, left);
			v = _mm_loadu_si128((const __m128i *)tail);
			explicit_bzero(tail, sizeof(tail)); /* a key's digits, maybe */
		}
		bad = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\'')),
						_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
				   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
						_mm_cmpeq_epi8(v, _mm_set1_epi8('#'))));
		c = _mm_sub_epi8(v, nine); /* \t \n \v \f \r: 0 to 4 (unsigned) */
		bad = _mm_or_si128(bad, _mm_cmpeq_epi8(_mm_min_epu8(c, four), c));
		if ((unsigned int)_mm_movemask_epi8(bad) & valid)
			goto not_plain;
		spaces = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(v, space)) & valid;
		for (; spaces; spaces &= spaces - 1) {
			char *p = line + base + __builtin_ctz(spaces);

			*p++ = '\0';
			if (*p != ' ' && *p) /* (line[len] is the NUL) */
				argv[n++] = p;
		}
	}
	return n;
not_plain:
	/* every NUL before len was a space */
	for (q = 0; q < len; q++)
		if (!line[q])
			line[q] = ' ';
	return -EAGAIN;
}
#endif

/* Any line. */
static int split_any(char *line, char **argv, int max, struct xc_err *err)
{
	char *r = line, *w = line, quote;
	size_t k = strcspn(line, "'\"\\\t\n\r\v\f");
	int n = 0;

	if (!line[k] || (line[k] == '\n' && !line[k + 1])) {
		line[k] = '\0'; /* (a newline ends the last word as a blank would) */
		return split_plain(line, argv, max, err);
	}

	for (;;) {
		while (blank(*r))
			r++;
		if (!*r || *r == '#')
			break;
		if (n == max) {
			xc_err_set(err, "more than %d words on one line", max);
			return -E2BIG;
		}
		argv[n++] = w;
		if (w == r) { /* nothing to copy down (yet): most words of most lines */
			while (cls[(unsigned char)*r] == PLAIN)
				r++;
			w = r;
			if (cls[(unsigned char)*r] == BLANK || !*r) {
				if (*r)
					r++;
				*w++ = '\0';
				continue;
			}
		}
		/* one word: copy it down over the quotes and escapes */
		while (*r && !blank(*r)) {
			/* a run of plain characters: moved only once quotes or
			 * escapes have made the word shorter than its text */
			char *run = r;

			while (cls[(unsigned char)*r] == PLAIN)
				r++;
			if (r != run) {
				if (w != run)
					memmove(w, run, (size_t)(r - run));
				w += r - run;
				continue;
			}
			if (*r == '\'' || *r == '"') {
				quote = *r++;
				while (*r && *r != quote) {
					if (quote == '"' && *r == '\\' && (r[1] == '"' || r[1] == '\\'))
						r++;
					*w++ = *r++;
				}
				if (!*r) {
					xc_err_set(err, "unterminated %c quote", quote);
					return -EINVAL;
				}
				r++;
			} else if (*r == '\\' && r[1]) {
				r++;
				*w++ = *r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r)
			r++;
		*w++ = '\0';
	}
	return n;
}

int xc_split_line(char *line, char **argv, int max, struct xc_err *err)
{
#ifdef __SSE2__
	int n = split_spaces(line, argv, max);

	if (n != -EAGAIN)
		return n;
#endif
	return split_any(line, argv, max, err);
}
