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

/* plugins/NAME.so in the directory of this binary, if plugins/ is there:
 * a binary of the build tree never takes an installed plugin. */
static bool beside_binary(char *buf, size_t len, const char *name)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash || (size_t)(slash - exe) + sizeof("/plugins") > sizeof(exe))
		return false;
	memcpy(slash, "/plugins", sizeof("/plugins"));
	return access(exe, F_OK) == 0 && plugin_path(buf, len, exe, name);
}

int verify_main(int argc, char **argv)
{
	char why[PATH_MAX + 128];
	const struct verify_plugin *v = cli_plugin("verify", why, sizeof(why));

	if (!v) {
		err_msg("verify: %s", why);
		return EXIT_RUNTIME;
	}
	return v->main(argc, argv);
}

const void *cli_plugin(const char *name, char *why, size_t len)
{
	char path[PATH_MAX];
	const struct cli_plugin *p = NULL;
	void *h;

	if (!beside_binary(path, sizeof(path), name) &&
	    !plugin_path(path, sizeof(path), XFRMCTL_LIBDIR, name)) {
		snprintf(why, len, "cannot load its plugin %s.so: %s", name, strerror(ENAMETOOLONG));
		return NULL;
	}
	/* RTLD_NOW: a symbol missing from this binary fails here, in one line */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, len, "cannot load its plugin: %s", dlerror());
		return NULL;
	}
	p = dlsym(h, CLI_PLUGIN_SYM);
	if (!p || !p->abi || strcmp(p->abi, XFRMCTL_ABI)) {
		snprintf(why, len, "plugin %s is from another build (rebuild or reinstall)", path);
		dlclose(h);
		return NULL;
	}
	return p;
}
