/* Split one line of a batch (or SA) file into words, in place: words are
 * separated by blanks; '…' and "…" quote (no escapes inside '…'; \\ and \"
 * inside "…"); a backslash outside quotes escapes the next character; a
 * word starting with # begins a comment to the end of the line. */
#ifndef XFRMCTL_TOKENS_H
#define XFRMCTL_TOKENS_H

#include "nl.h"

/* Returns the number of words (0 for a blank or comment line), -E2BIG if
 * more than max, -EINVAL for an unterminated quote (message in err). */
int xc_split_line(char *line, char **argv, int max, struct xc_err *err);

#endif
