/* xfrmctl: the command table, global options, dispatch. */
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "print.h"
#include "netns.h"

struct global_opts G;
size_t cli_err_line;
static const char *batch_file;
static bool batch_force;

static int help_main(int argc, char **argv);

static const struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "state", state_main, "manage SAs (security associations)" },
	{ "policy", policy_main, "manage SPs (security policies)" },
	{ "monitor", monitor_main, "print XFRM events as they happen" },
	{ "verify", verify_main, "verify ESP packets as the kernel's esp_input would" },
	{ "trace", trace_main, "trace the kernel's IPsec receive path (bpftrace)" },
	{ "version", version_main, "show the version" },
	{ "help", help_main, "show this help" },
};

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("xfrmctl: ", stderr);
	if (cli_err_line)
		fprintf(stderr, "line %zu: ", cli_err_line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fputs("Usage: xfrmctl [OPTIONS] COMMAND [ARGS...]\n"
	      "Manage and inspect Linux IPsec (XFRM) over NETLINK_XFRM.\n\n"
	      "       xfrmctl [OPTIONS] { -b | --batch } { FILE | - } [ --force ]\n"
	      "OPTIONS := { -j | --json | -k | --keys | -s | --stats | -o | --oneline |\n"
	      "             -n NETNS | --netns NETNS | --dry-run | -V | --version | -h | --help }\n\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fputs("\n'xfrmctl COMMAND help' shows a command's grammar; see xfrmctl(8).\n", f);
}

static int help_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return EXIT_OK;
}

int version_main(int argc, char **argv)
{
	if (argc > 1) {
		err_msg("version: unexpected '%s'", argv[1]);
		return EXIT_USAGE;
	}
	printf("xfrmctl %s\n", XFRMCTL_VERSION);
	return EXIT_OK;
}

int cli_run(int argc, char **argv)
{
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (argv[0][0] == commands[c].name[0] && !strcmp(argv[0], commands[c].name))
			return commands[c].main(argc, argv);
	err_msg("unknown command '%s' (see 'xfrmctl help')", argv[0]);
	return EXIT_USAGE;
}

/* Global options, matched exactly (no prefixes, no bundling). */
static const struct gopt {
	const char *shortname, *longname;
	bool *flag;          /* set to true, or */
	const char **value;  /* takes the next argument */
} gopts[] = {
	{ "-j", "--json", &G.json, NULL },
	{ "-k", "--keys", &G.keys, NULL },
	{ "-s", "--stats", &G.stats, NULL },
	{ "-o", "--oneline", &G.oneline, NULL },
	{ NULL, "--dry-run", &G.dry_run, NULL },
	{ "-n", "--netns", NULL, &G.netns },
	{ "-b", "--batch", NULL, &batch_file },
	{ NULL, "--force", &batch_force, NULL },
};

static const struct gopt *find_gopt(const char *arg)
{
	for (size_t i = 0; i < sizeof(gopts) / sizeof(gopts[0]); i++)
		if ((gopts[i].shortname && !strcmp(arg, gopts[i].shortname)) ||
		    !strcmp(arg, gopts[i].longname))
			return &gopts[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct gopt *o;
	int i, err;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version"))
			return version_main(0, NULL);
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return help_main(0, NULL);
		o = find_gopt(argv[i]);
		if (!o) {
			err_msg("unknown option '%s' (see 'xfrmctl help')", argv[i]);
			return EXIT_USAGE;
		}
		if (o->flag) {
			*o->flag = true;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			err_msg("option '%s' needs an argument", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (batch_file && i < argc) {
		err_msg("-b takes its commands from '%s', not the command line ('%s')", batch_file, argv[i]);
		return EXIT_USAGE;
	}
	if (!batch_file && i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (G.netns) {
		err = netns_enter(G.netns);
		if (err < 0) {
			err_msg("netns '%s': %s", G.netns, strerror(-err));
			return EXIT_RUNTIME;
		}
	}
	if (G.keys) {
		/* keys will be written: no copy of them is left in a buffer,
		 * the print layer's (zeroed after each write) or stdio's (none) */
		print_secret();
		setvbuf(stdout, NULL, _IONBF, 0);
	}
	cli_key_in = stdin;
	err = batch_file ? batch_main(batch_file, batch_force) : cli_run(argc - i, argv + i);
	cli_nl_close();
	return err;
}
