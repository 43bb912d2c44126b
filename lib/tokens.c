#include "tokens.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int xc_split_line(char *line, char **argv, int max, struct xc_err *err)
{
	char *r = line, *w = line, quote;
	int n = 0;

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
		/* one word: copy it down over the quotes and escapes */
		while (*r && !blank(*r)) {
			/* a run of plain characters: moved only once quotes or
			 * escapes have made the word shorter than its text */
			size_t run = strcspn(r, " \t\n\r\v\f'\"\\");

			if (run) {
				if (w != r)
					memmove(w, r, run);
				w += run;
				r += run;
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
