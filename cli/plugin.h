/* Parts of xfrmctl built as shared objects, loaded only by the commands that
 * use them, so that the others start without their libraries: verify
 * (libcrypto, libpcap) and trace live's terminal view (ncursesw). A plugin
 * takes the lib/ and cli/ functions it calls from the binary (which exports
 * those, by name, and nothing else: see the Makefile), so it is used only
 * with the binary of its own build. It exports one symbol, CLI_PLUGIN_SYM, a
 * table that starts with a struct cli_plugin. */
#ifndef XFRMCTL_CLI_PLUGIN_H
#define XFRMCTL_CLI_PLUGIN_H

#define CLI_PLUGIN_SYM "xfrmctl_plugin"
#define CLI_PLUGIN_EXPORT __attribute__((visibility("default")))

struct cli_plugin {
	const char *version; /* XFRMCTL_VERSION of its build */
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

/* The table of plugin NAME ("verify": plugins/verify.so beside the binary, as
 * in the build tree, else XFRMCTL_LIBDIR/verify.so), loaded once and kept.
 * NULL after a line "CTX: …" on stderr saying which file and why. */
const void *cli_plugin(const char *name, const char *ctx);

#endif
