/* Loading the plugins (cli/plugin.h). */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "plugin.h"

/* DIR/NAME.so into buf; false if it does not fit. */
static bool plugin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int w = snprintf(buf, len, "%s/%s.so", dir, name);

	return w > 0 && (size_t)w < len;
}

/* plugins/NAME.so in the directory of this binary, if it is there. */
static bool beside_binary(char *buf, size_t len, const char *name)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	memcpy(slash, "/plugins", sizeof("/plugins"));
	return plugin_path(buf, len, exe, name) && access(buf, F_OK) == 0;
}

int verify_main(int argc, char **argv)
{
	const struct verify_plugin *v = cli_plugin("verify", "verify");

	return v ? v->main(argc, argv) : EXIT_RUNTIME;
}

const void *cli_plugin(const char *name, const char *ctx)
{
	char path[PATH_MAX];
	const struct cli_plugin *p = NULL;
	void *h;

	if (!beside_binary(path, sizeof(path), name) &&
	    !plugin_path(path, sizeof(path), XFRMCTL_LIBDIR, name)) {
		err_msg("%s: cannot load its plugin %s.so: %s", ctx, name, strerror(ENAMETOOLONG));
		return NULL;
	}
	/* RTLD_NOW: a symbol missing from this binary fails here, in one line */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		err_msg("%s: cannot load its plugin: %s", ctx, dlerror());
		return NULL;
	}
	p = dlsym(h, CLI_PLUGIN_SYM);
	if (!p || !p->version || strcmp(p->version, XFRMCTL_VERSION)) {
		err_msg("%s: plugin '%s' is not of xfrmctl %s (%s): reinstall xfrmctl", ctx, path,
			XFRMCTL_VERSION, p && p->version ? p->version : "no xfrmctl table");
		dlclose(h);
		return NULL;
	}
	return p;
}
