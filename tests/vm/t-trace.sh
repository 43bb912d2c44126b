#!/bin/bash
# xfrmctl trace in the guest (Debian's kernel, with kprobes).
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/json.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}

case_check_usable() {
	t_run "$X" -j trace check
	t_eq "$rc" 0 "exit status ($err)"
	t_json "$out" 'j["usable"]' true
	# with esp4, esp4_offload and esp6 loaded, every probed function is there
	t_json "$out" '[c["name"] for c in j["checks"] if not c["ok"]]' '[]'
	t_json "$out" '[c["ok"] for c in j["checks"] if c["name"] == "symbol esp_input_tail"]' '[true]'
	t_run "$X" trace check
	t_eq "$err" "" "nothing on stderr when usable"
}

t_case "trace check: usable on Debian's kernel, every symbol present" case_check_usable
t_done
