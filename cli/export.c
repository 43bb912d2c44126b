/* xfrmctl state export --wireshark [FILE]: the kernel's ESP SAs, keys and
 * all, as Wireshark's esp_sa table (lib/export.c). The keys are the point
 * of it, so they go to a FILE (replaced whole, mode 0600) or, with -k
 * only, to standard output. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "export.h"
#include "nl.h"
#include "sa.h"

struct export {
	struct xc_secret_file *file; /* NULL: stdout */
	size_t written, skipped;
	int err;
	char line[XC_EXPORT_LINE_MAX];
};

static void usage(FILE *f)
{
	fputs("Usage: xfrmctl state export --wireshark [ FILE ]\n"
	      "Writes the kernel's ESP SAs with their keys as Wireshark's esp_sa table\n"
	      "(FILE is replaced, mode 0600; standard output needs -k).\n", f);
}

static const char *sa_name(const struct xc_sa *sa)
{
	static char b[96];

	snprintf(b, sizeof(b), "SA esp spi 0x%08x dst %s", ntohl(sa->info.id.spi),
		 cli_addr(sa->info.family, &sa->info.id.daddr));
	return b;
}

static int export_one(const struct xc_sa *sa, void *arg)
{
	struct export *x = arg;
	struct xc_err xe = { "" };
	unsigned int notes;
	int n;

	if (sa->info.id.proto != IPPROTO_ESP)
		return 0; /* Wireshark's table is for ESP */
	n = xc_export_wireshark(sa, x->line, sizeof(x->line), &notes, &xe);
	if (n == -EOPNOTSUPP) {
		err_msg("state export: skipped %s: %s", sa_name(sa), xe.msg);
		x->skipped++;
		return 0;
	}
	if (n < 0)
		return n;
	if (notes & XC_EXPORT_ICV_UNCHECKED)
		err_msg("state export: %s: Wireshark decrypts it but does not check its ICV",
			sa_name(sa));
	if (notes & XC_EXPORT_ESN)
		err_msg("state export: %s: ESN: Wireshark 4.0 decrypts it, but its ICV check "
			"fails (the high sequence bits are left out)", sa_name(sa));
	if (x->file)
		x->err = xc_secret_file_write(x->file, x->line, (size_t)n);
	else if (fwrite(x->line, 1, (size_t)n, stdout) != (size_t)n)
		x->err = -EIO;
	explicit_bzero(x->line, (size_t)n);
	x->written++;
	return x->err;
}

int state_export_main(int argc, char **argv)
{
	static const char head[] = "# Wireshark ESP SAs (esp_sa), written by xfrmctl state export\n";
	struct export x = { .file = NULL };
	const char *path = NULL;
	struct xc_err xe = { "" };
	struct xc_nl *nl;
	bool wireshark = false;
	int r, ret = EXIT_USAGE;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--wireshark"))
			wireshark = true;
		else if (argv[i][0] == '-' && argv[i][1]) {
			err_msg("state export: unknown option '%s' (see 'xfrmctl state export help')",
				argv[i]);
			return EXIT_USAGE;
		} else if (path) {
			err_msg("state export: one FILE only, got '%s' after '%s'", argv[i], path);
			return EXIT_USAGE;
		} else {
			path = argv[i];
		}
	}
	if (!wireshark) {
		err_msg("state export: give the format: --wireshark");
		return EXIT_USAGE;
	}
	if (!path && !G.keys) {
		err_msg("state export: the export holds the SAs' keys: give a FILE (written 0600), "
			"or -k to write them to standard output");
		return EXIT_USAGE;
	}

	ret = EXIT_RUNTIME;
	if (!(nl = cli_nl("state export")))
		goto out;
	if (path && xc_secret_file_open(path, &x.file, &xe) < 0) {
		err_msg("state export: %s", xe.msg);
		goto out;
	}
	if (x.file)
		x.err = xc_secret_file_write(x.file, head, sizeof(head) - 1);
	else
		fputs(head, stdout);
	r = x.err ? x.err : xc_sa_dump(nl, export_one, &x, &xe);
	if (r < 0) {
		if (x.err)
			err_msg("state export: writing '%s': %s", path ? path : "standard output",
				strerror(-x.err));
		else
			err_msg("state export: SAs from the kernel: %s",
				xe.msg[0] ? xe.msg : strerror(-r));
		goto out;
	}
	if (x.file) {
		r = xc_secret_file_commit(x.file, &xe);
		x.file = NULL;
		if (r < 0) {
			err_msg("state export: %s", xe.msg);
			goto out;
		}
		ret = EXIT_OK;
	} else if (fflush(stdout) == EOF || ferror(stdout)) {
		err_msg("state export: writing output: %s", strerror(errno ? errno : EIO));
		goto out;
	} else {
		ret = EXIT_OK;
	}
	if (!x.written && !x.skipped)
		err_msg("state export: no ESP SA here%s", G.netns ? "" : " (-n NETNS?)");
out:
	xc_secret_file_abort(x.file);
	explicit_bzero(x.line, sizeof(x.line));
	return ret;
}
