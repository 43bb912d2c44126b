/* SA files: the SAs `xfrmctl verify --sa-file` judges packets against,
 * read without asking the kernel. Two formats, told apart by the first
 * byte that is not white space:
 *
 *   '[' or '{'  the JSON of `xfrmctl state list -j -k` (an array of SAs) or
 *               `state get -j -k` (one SA). A listing shows the SAs as they
 *               are now: their replay counters are not taken (the SA starts
 *               with an empty window, as one dumped from the kernel does);
 *               the window size, the ESN flag and everything else are.
 *               Members that do not describe the SA itself (lifetime
 *               "current", "stats", "lastused", "offload", the selector's
 *               "dev") are skipped; an unknown member is an error.
 *   otherwise   the `state add` grammar, one SA a line, as in a batch file:
 *               "state add ID …", "add ID …" or "ID …"; blank lines and
 *               # comments are skipped, and so are the lines of policy
 *               commands. replay-seq and the like are the SA's state when
 *               it was added, and are taken.
 *
 * Keys: JSON keys must be 0xHEX (never @FILE or '-'); every buffer that
 * held a key is zeroed once the SA is made. Errors name the file, the line
 * and the bad token, and never quote a key. */
#ifndef XFRMCTL_SAFILE_H
#define XFRMCTL_SAFILE_H

#include <stddef.h>

#include "nl.h"

struct xc_sa;

enum xc_safile_format {
	XC_SAFILE_ADD,  /* state add lines */
	XC_SAFILE_JSON, /* state list|get -j -k */
};

/* Where an SA was read. */
struct xc_safile_at {
	const char *file;
	size_t line;  /* of the SA's line, or of its opening brace */
	size_t index; /* 1 for the file's first SA */
	enum xc_safile_format format;
};

/* Gets each SA (in memory reused and cleared after the call) and where it
 * was read; returns 0 to go on, or -errno to stop (with a message in err). */
typedef int (*xc_safile_cb)(const struct xc_sa *sa, const struct xc_safile_at *at, void *arg,
			    struct xc_err *err);

/* Read the SA file path. Returns 0, the callback's error, -EINVAL for a
 * bad file ("FILE line N: …" in err), or -errno when it cannot be read. */
int xc_safile_read(const char *path, xc_safile_cb cb, void *arg, struct xc_err *err);

/* The same over the bytes of a file already read; name is used in
 * messages. buf need not end in a NUL. */
int xc_safile_parse(const char *name, const char *buf, size_t len, xc_safile_cb cb, void *arg,
		    struct xc_err *err);

/* "FILE line N", or for JSON "FILE line N (SA K)"; as snprintf. */
int xc_safile_where(const struct xc_safile_at *at, char *buf, size_t len);

#endif
