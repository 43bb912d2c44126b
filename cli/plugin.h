/* Parts of xfrmctl built as shared objects, loaded only by the commands that
 * use them, so that the others start without their libraries: verify
 * (libcrypto, libpcap) and trace live's terminal view (ncursesw). A plugin
 * takes the lib/ and cli/ functions it calls from the binary (which exports
 * those, by name, and nothing else: see the Makefile), so it is used only
 * with the binary of its own build: both compile in XFRMCTL_ABI, an id of
 * that build (the Makefile's ABI: a hash of the headers they share, the
 * version and the build flavour), and a plugin of another id is refused. It
 * exports one symbol, CLI_PLUGIN_SYM, a table that starts with a struct
 * cli_plugin. */
#ifndef XFRMCTL_CLI_PLUGIN_H
#define XFRMCTL_CLI_PLUGIN_H

#include <stddef.h>

#define CLI_PLUGIN_SYM "xfrmctl_plugin"
#define CLI_PLUGIN_EXPORT __attribute__((visibility("default")))

struct cli_plugin {
	/* XFRMCTL_ABI of its build (first, where 0.1.0's plugins had their
	 * version string, so that those are refused too) */
	const char *abi;
};

/* plugins/verify.so */
struct verify_plugin {
	struct cli_plugin head;
	int (*main)(int argc, char **argv);
};

/* plugins/trace-tui.so: the ncurses view of trace live. start: 0 or -errno
 * (nothing changed then); stop restores the terminal and may be called any
 * number of times; keys reads the pending keys and returns 1 if the user
 * asked to quit. */
struct live;
struct tui_plugin {
	struct cli_plugin head;
	int (*start)(void);
	void (*stop)(void);
	void (*draw)(struct live *lv);
	int (*keys)(struct live *lv);
};

/* The table of plugin NAME ("verify": plugins/verify.so if the directory
 * plugins/ is beside the binary, as in the build tree, else
 * XFRMCTL_LIBDIR/verify.so), dlopen()ed by each call and never closed (a
 * command loads a plugin once). NULL if it cannot be loaded or is of another
 * build, with why in WHY (no newline; "cannot load its plugin: …", "plugin
 * PATH is from another build (rebuild or reinstall)"), for the caller's one
 * line. */
const void *cli_plugin(const char *name, char *why, size_t len);

#endif
