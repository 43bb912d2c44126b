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

t_case "--version and version" case_version
t_case "help lists the command table" case_help_lists_commands
t_case "usage errors: exact matching, exit 2, one line" case_usage_errors
t_case "-n with an absent namespace: exit 1" case_netns_absent
t_done
