#!/bin/bash
# The command line itself: version, help, exact matching, usage errors.
. "$(dirname "$0")/../lib/t.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}

run() { t_run "$X" "$@"; }

case_version() {
	run --version
	t_eq "$rc" 0 "exit status"
	t_match "$out" '^xfrmctl [0-9]+\.[0-9]+\.[0-9]+$' "--version"
	run version
	t_match "$out" '^xfrmctl [0-9]+\.[0-9]+\.[0-9]+$' "version command"
}

case_help_lists_commands() {
	run help
	t_eq "$rc" 0 "exit status"
	local c
	for c in state policy monitor version help; do
		t_match "$out" $'\n'"  $c +[a-z]" "command table entry '$c'"
	done
}

case_usage_errors() {
	run bogus
	t_eq "$rc" 2 "exit status, unknown command"
	t_eq "$err" "xfrmctl: unknown command 'bogus' (see 'xfrmctl help')" "message"
	run vers
	t_eq "$rc" 2 "exit status, command prefix (no prefix matching)"
	t_eq "$err" "xfrmctl: unknown command 'vers' (see 'xfrmctl help')" "message"
	run --js version
	t_eq "$rc" 2 "exit status, option prefix"
	t_eq "$err" "xfrmctl: unknown option '--js' (see 'xfrmctl help')" "message"
	run -n
	t_eq "$rc" 2 "exit status, missing argument"
	t_eq "$err" "xfrmctl: option '-n' needs an argument" "message"
	run
	t_eq "$rc" 2 "exit status, no command"
	t_match "$err" "^Usage: xfrmctl" "usage on stderr"
}

case_netns_absent() {
	[ "$(id -u)" = 0 ] || t_skip "needs root for /run/netns"
	run -n xfrmctl-absent-ns version
	t_eq "$rc" 1 "exit status"
	t_eq "$err" "xfrmctl: netns 'xfrmctl-absent-ns': No such file or directory" "message"
}

# plugin DIR SO ABI: DIR/plugins/SO.so, a table such as a plugin of another
# build has (its first field: 0.1.0's version string, or another ABI id).
plugin() {
	printf 'const struct { const char *abi; void *fn; } xfrmctl_plugin = { "%s", 0 };\n' "$3" \
		>"$1/p.c"
	"${CC:-cc}" -shared -fPIC -o "$1/plugins/$2.so" "$1/p.c"
}

# A copy of the binary with plugins/ beside it loads its plugins from there
# only, and never one of another build: one line naming the file, exit 1.
case_plugins() {
	command -v "${CC:-cc}" >/dev/null || t_skip "no C compiler to build a foreign plugin"
	local d
	d=$(mktemp -d)
	t_defer rm -rf "$d"
	cp "$X" "$d/xfrmctl"
	mkdir "$d/plugins"
	t_err 1 "xfrmctl: verify: cannot load its plugin: $d/plugins/verify.so: cannot open shared object file: No such file or directory" \
		"$d/xfrmctl" verify help
	plugin "$d" verify 0.1.0
	t_err 1 "xfrmctl: verify: plugin $d/plugins/verify.so is from another build (rebuild or reinstall)" \
		"$d/xfrmctl" verify help
	plugin "$d" verify 0123456789abcdef
	t_err 1 "xfrmctl: verify: plugin $d/plugins/verify.so is from another build (rebuild or reinstall)" \
		"$d/xfrmctl" verify help
	cp "$(dirname "$X")/plugins/verify.so" "$d/plugins/"
	t_run "$d/xfrmctl" verify help
	t_eq "$rc" 0 "exit status with the build's own plugin ($err)"
	t_match "$out" "--pcap" "verify's help"
}

t_case "--version and version" case_version
t_case "help lists the command table" case_help_lists_commands
t_case "usage errors: exact matching, exit 2, one line" case_usage_errors
t_case "-n with an absent namespace: exit 1" case_netns_absent
t_case "plugins: missing or of another build: one line, exit 1" case_plugins
t_done
