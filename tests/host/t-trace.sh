#!/bin/bash
# xfrmctl trace on the host, whose kernel (the development machines') has
# no kprobes: trace check says so in one line and exits 1.
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/json.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}

case_check_without_kprobes() {
	[ -e /sys/bus/event_source/devices/kprobe ] && t_skip "this host has kprobes"
	[ -e /sys/kernel/tracing/kprobe_events ] && t_skip "this host has kprobe_events"
	t_run "$X" trace check
	t_eq "$rc" 1 "exit status"
	t_eq "$err" "xfrmctl: trace check: trace live cannot work here: kprobes: this kernel has no kprobes (no kprobe PMU, no kprobe_events)" "the one line"
	t_match "$out" "FAIL kprobes: .*fix: boot a kernel built with CONFIG_KPROBES" "the detail says what to do"
	t_run "$X" -j trace check
	t_json "$out" 'j["usable"]' false
	t_json "$out" '[c["ok"] for c in j["checks"] if c["name"] == "kprobes"]' '[false]'
}

case_list_finds_scripts() {
	t_run "$X" -j trace list
	t_eq "$rc" 0 "exit status ($err)"
	local want
	want=$(cd "$T_TOP/trace" && ls -1 *.bt | python3 -c 'import sys, json; print(json.dumps([l.strip() for l in sys.stdin]))')
	t_json "$out" '[s["name"] for s in j]' "$want"
	t_run env XFRMCTL_TRACE_DIR=/nonexistent "$X" trace list
	t_eq "$rc" 1 "exit status without scripts"
	t_eq "$err" "xfrmctl: trace list: cannot read the scripts in '/nonexistent': No such file or directory" "message"
}

case_live_without_kprobes() {
	[ -e /sys/bus/event_source/devices/kprobe ] && t_skip "this host has kprobes"
	[ -e /sys/kernel/tracing/kprobe_events ] && t_skip "this host has kprobe_events"
	t_err 1 "xfrmctl: trace live: cannot trace here: kprobes: this kernel has no kprobes (no kprobe PMU, no kprobe_events) (fix: boot a kernel built with CONFIG_KPROBES and CONFIG_KPROBE_EVENTS (Debian's has them; tests/vm/shell boots it))" \
		"$X" trace live --no-modprobe
	t_err 1 "xfrmctl: trace live: cannot trace here: kprobes: this kernel has no kprobes (no kprobe PMU, no kprobe_events) (fix: boot a kernel built with CONFIG_KPROBES and CONFIG_KPROBE_EVENTS (Debian's has them; tests/vm/shell boots it))" \
		"$X" -j trace live --duration 1
}

case_live_usage() {
	t_err 2 "xfrmctl: trace live: --expect-path needs --spi" "$X" trace live --expect-path software
	t_err 2 "xfrmctl: trace live: bad path 'hardware' for --expect-path (software or offload)" \
		"$X" trace live --spi 1 --expect-path hardware
	t_err 2 "xfrmctl: trace live: unknown option '--spy'" "$X" trace live --spy 1
	t_err 2 "xfrmctl: trace live: bad value '0x100000000' for --spi" "$X" trace live --spi 0x100000000
	t_err 2 "xfrmctl: trace live: bad value '-1' for --count" "$X" trace live --count -1
	t_err 2 "xfrmctl: trace live: bad value '0' for --duration (1 or more seconds)" "$X" trace live --duration 0
	t_err 2 "xfrmctl: trace live: bad value '5s' for --duration" "$X" trace live --duration 5s
	t_err 2 "xfrmctl: trace live: bad value '70000' for --port" "$X" trace live --port 70000
	t_err 2 "xfrmctl: trace live: --duration needs a value" "$X" trace live --duration
	t_run "$X" trace live help
	t_eq "$rc" 0 "help: exit status"
	t_match "$out" "PATH := software \| offload" "help: the grammar"
}

t_case "trace check without kprobes: one clear line, exit 1" case_check_without_kprobes
t_case "trace live without kprobes: the same line, exit 1" case_live_without_kprobes
t_case "trace live: bad options, exit 2" case_live_usage
t_case "trace list: the scripts in trace/" case_list_finds_scripts
t_done
