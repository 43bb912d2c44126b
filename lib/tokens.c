#include "tokens.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

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

int xc_split_line(char *line, char **argv, int max, struct xc_err *err)
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
