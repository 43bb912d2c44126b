/* Shared by the cli/ files: global options, exit codes, error output. */
#ifndef XFRMCTL_CLI_H
#define XFRMCTL_CLI_H

#include <stdbool.h>

enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1, /* the kernel or the system refused */
	EXIT_USAGE = 2,   /* bad command line or input */
};

struct global_opts {
	bool json;    /* -j: JSON output */
	bool keys;    /* -k: show keys in output */
	bool stats;   /* -s: statistics */
	bool oneline; /* -o: one line per entry */
	bool dry_run; /* --dry-run: parse, show, apply nothing */
	const char *netns; /* -n NETNS */
};

extern struct global_opts G;

/* "xfrmctl: " + message + newline on stderr. */
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Each command: argv[0] is its own name. Returns an exit code. */
int version_main(int argc, char **argv);

#endif
