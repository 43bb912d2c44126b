/* xfrmctl trace: the kernel's IPsec receive path, live, with bpftrace. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "print.h"
#include "trace.h"
#include "trace_env.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static void usage(FILE *f)
{
	fputs("Usage: xfrmctl trace live [ --duration SECS ] [ --count N ] [ --spi SPI ] [ --events ]\n"
	      "        [ --port PORT ] [ --expect-path { software | offload } ] [ --no-modprobe ]\n"
	      "       xfrmctl trace check\n"
	      "       xfrmctl trace list\n"
	      "live:  follow packets through the kernel's IPsec receive path with bpftrace\n"
	      "       (trace/xfrm-rx.bt): an ncurses view on a terminal, lines without one,\n"
	      "       JSON lines with -j. --expect-path with --spi exits 3 if that SA's\n"
	      "       packets took the other path (or none was seen).\n"
	      "check: what this kernel and machine offer for tracing, and what to do about\n"
	      "       what is missing; exit 1 if 'trace live' cannot work here.\n"
	      "list:  the bpftrace scripts and what each traces.\n", f);
}

const char *trace_bpftrace_version(void)
{
	static char line[128];
	FILE *p = popen("bpftrace --version 2>/dev/null", "r");
	bool got;

	if (!p)
		return NULL;
	got = fgets(line, sizeof(line), p) != NULL;
	if (pclose(p) != 0 || !got)
		return NULL;
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static int cmd_check(int argc, char **argv)
{
	struct xc_trace_env *env;
	const struct xc_trace_check *first = NULL;
	int r, ret;

	if (argc > 1) {
		err_msg("trace check: unexpected '%s'", argv[1]);
		return EXIT_USAGE;
	}
	env = malloc(sizeof(*env));
	if (!env) {
		err_msg("trace check: out of memory");
		return EXIT_RUNTIME;
	}
	r = xc_trace_env_check(env, trace_bpftrace_version());
	if (r < 0) {
		err_msg("trace check: %s", strerror(-r));
		free(env);
		return EXIT_RUNTIME;
	}
	print_init(stdout, G.json);
	print_open_object(NULL);
	print_bool(PRINT_JSON, "usable", NULL, env->usable);
	print_open_array("checks");
	for (unsigned int i = 0; i < env->n; i++) {
		const struct xc_trace_check *c = &env->checks[i];

		if (!c->ok && c->required && !first)
			first = c;
		print_open_object(NULL);
		print_string(PRINT_TEXT, NULL, "%s", c->ok ? "ok   " : c->required ? "FAIL " : "warn ");
		print_string(PRINT_ANY, "name", "%s", c->name);
		print_bool(PRINT_JSON, "ok", NULL, c->ok);
		print_bool(PRINT_JSON, "required", NULL, c->required);
		print_string(PRINT_ANY, "detail", ": %s", c->detail);
		if (!c->ok)
			print_string(PRINT_ANY, "fix", " (fix: %s)", c->fix);
		print_close_object();
		print_nl();
	}
	print_close_array();
	print_close_object();
	ret = cli_finish_output("trace check");
	if (first) {
		/* the one line that says why, after the details */
		err_msg("trace check: trace live cannot work here: %s: %s", first->name, first->detail);
		ret = EXIT_RUNTIME;
	}
	free(env);
	return ret;
}

const char *trace_dir(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("XFRMCTL_TRACE_DIR");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* build/rel/xfrmctl → ../../trace */
			int w = snprintf(buf, sizeof(buf), "%s/../../trace", exe);

			if (w > 0 && (size_t)w < sizeof(buf) && access(buf, R_OK | X_OK) == 0)
				return buf;
		}
	}
	return XFRMCTL_DATADIR;
}

/* The first line of a script's header comment: what it traces. */
static void script_summary(const char *path, char *out, size_t len)
{
	char line[256], *p;
	FILE *f = fopen(path, "re");

	snprintf(out, len, "-");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "#!", 2))
			continue;
		p = line + strspn(line, " \t");
		if (!strncmp(p, "//", 2) || !strncmp(p, "/*", 2) || *p == '*')
			p += strspn(p, "/* \t");
		else
			break;
		p[strcspn(p, "\n")] = '\0';
		if (*p) {
			snprintf(out, len, "%s", p);
			break;
		}
	}
	fclose(f);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_script(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 3 && !strcmp(d->d_name + n - 3, ".bt");
}

static int cmd_list(int argc, char **argv)
{
	const char *dir = trace_dir();
	struct dirent **names;
	char path[PATH_MAX], summary[256];
	int n;

	if (argc > 1) {
		err_msg("trace list: unexpected '%s'", argv[1]);
		return EXIT_USAGE;
	}
	n = scandir(dir, &names, is_script, by_name);
	if (n < 0) {
		err_msg("trace list: cannot read the scripts in '%s': %s", dir, strerror(errno));
		return EXIT_RUNTIME;
	}
	print_init(stdout, G.json);
	print_open_array(NULL);
	for (int i = 0; i < n; i++) {
		int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);

		if (w < 0 || (size_t)w >= sizeof(path)) {
			free(names[i]);
			continue;
		}
		script_summary(path, summary, sizeof(summary));
		print_open_object(NULL);
		print_string(PRINT_ANY, "name", "%-22s", names[i]->d_name);
		print_string(PRINT_ANY, "summary", " %s", summary);
		print_string(PRINT_JSON, "path", NULL, path);
		print_close_object();
		print_nl();
		free(names[i]);
	}
	free(names);
	print_close_array();
	return cli_finish_output("trace list");
}

int trace_main(int argc, char **argv)
{
	static const struct subcmd cmds[] = {
		{ "live", trace_live_main },
		{ "check", cmd_check },
		{ "list", cmd_list },
	};

	return cli_dispatch("trace", cmds, N_ELEM(cmds), argc, argv, usage);
}
