/* xfrmctl -b FILE|-: one command per line, on one netlink socket. Stops at
 * the first failing line unless --force, and always says which lines
 * failed and how many commands were applied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tokens.h"

#define MAX_WORDS 512

int batch_main(const char *path, bool force)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char *line = NULL, *argv[MAX_WORDS + 1];
	size_t cap = 0, lineno = 0, applied = 0, failed = 0, first_failed = 0;
	struct xc_err xe;
	ssize_t len;
	int ret = EXIT_OK, rc, argc;

	if (!in) {
		err_msg("batch: cannot open '%s': %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	/* '-' keys read stdin, unless the commands come from there */
	cli_key_in = in == stdin ? NULL : stdin;
	while ((len = getline(&line, &cap, in)) >= 0) {
		lineno++;
		cli_err_line = lineno;
		argc = xc_split_line(line, argv, MAX_WORDS, &xe);
		if (argc == 0)
			continue;
		if (argc < 0) {
			err_msg("%s", xe.msg);
			rc = EXIT_USAGE;
		} else {
			argv[argc] = NULL;
			rc = cli_run(argc, argv);
		}
		explicit_bzero(line, (size_t)len); /* lines may hold keys */
		if (rc == EXIT_OK) {
			applied++;
			continue;
		}
		failed++;
		if (!first_failed)
			first_failed = lineno;
		if (rc > ret)
			ret = rc;
		if (!force)
			break;
	}
	cli_err_line = 0;
	if (ferror(in)) {
		err_msg("batch: reading '%s': %s", path, strerror(errno));
		ret = EXIT_RUNTIME;
	}
	if (failed && !force)
		err_msg("batch: stopped at line %zu; %zu command%s before it applied, nothing after it",
			first_failed, applied, applied == 1 ? "" : "s");
	else if (failed)
		err_msg("batch: %zu command%s failed (the first at line %zu), %zu applied", failed,
			failed == 1 ? "" : "s", first_failed, applied);
	if (line)
		explicit_bzero(line, cap);
	free(line);
	if (in != stdin)
		fclose(in);
	return ret;
}
