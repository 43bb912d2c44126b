#!/bin/bash
# xfrmctl trace in the guest (Debian's kernel, with kprobes): trace check,
# and trace live in its three outputs (JSON lines, text lines, the ncurses
# view driven in tmux) against real traffic between two namespaces.
# bpftrace compiles xfrm-rx.bt in 30-40 s under TCG, so each case starts
# the instances it needs at once and sends its traffic once they are all
# tracing; several compiling at once need more than the default memory.
# vm-options: -m 1G
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/json.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/ipsec.sh"
. "$T_TOP/tests/lib/live.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}

# has_sa_line NAME SPI PACKETS: an aggregate line showed SPI with PACKETS
has_sa_line() {
	python3 - "$D/$1.out" "$2" "$3" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["event"] == "sa" and j["spi"] == int(sys.argv[2], 0) and j["packets"] == int(sys.argv[3]):
        sys.exit(0)
sys.exit(1)
EOF
}

# capture_start DIR: tcpdump on B's veth into DIR/esp.pcap
capture_start() {
	ip netns exec "$B" tcpdump -Z root --immediate-mode -i vb -n -U -w "$1/esp.pcap" \
		udp port 4500 2>"$1/tcpdump.err" &
	echo $! >"$1/tcpdump.pid"
	t_defer kill $!
	t_retry 10 grep -q listening "$1/tcpdump.err" || t_fail "tcpdump did not start"
}
capture_stop() {
	kill -INT "$(cat "$1/tcpdump.pid")"
	wait "$(cat "$1/tcpdump.pid")" || true
}

CHAIN="udp_rcv __udp4_lib_rcv udp_queue_rcv_skb xfrm4_udp_encap_rcv xfrm4_rcv_encap xfrm_input"

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


# Aggregate and events mode side by side on one NAT-T SA with a replay
# window: 10 datagrams, then 3 of them replayed from a capture. The kernel
# is the oracle: its SA counters and XfrmInStateSeqError.
case_live_json() {
	D=$(mktemp -d)
	t_defer rm -rf "$D"
	ns_pair
	natt_transport 0x1000 replay-window 32
	live_start agg -n "$B" -j trace live
	live_start ev -n "$B" -j trace live --events --spi 0x1000
	live_start evt -n "$B" trace live --events --spi 0x1000
	live_ready agg
	live_ready ev
	live_ready evt
	capture_start "$D"
	udp_flow 10 "$D"
	t_eq "$(wc -l <"$D/recv")" 10 "datagrams received"
	capture_stop "$D"
	local before i
	before=$(xfrm_stat "$B" XfrmInStateSeqError)
	encap_hold "$D"
	for i in 1 2 3; do
		ip netns exec "$A" python3 "$T_TOP/tests/lib/inject.py" "$D/esp.pcap" $i va
	done
	t_eq "$(xfrm_stat "$B" XfrmInStateSeqError)" $((before + 3)) "the kernel dropped the replays"
	t_retry 60 has_sa_line agg 0x1000 13 || t_fail "no aggregate line with 13 packets: $(tail -n3 "$D/agg.out")"
	t_eq "$(live_stop agg)" 0 "aggregate: exit status after SIGINT ($(cat "$D/agg.err"))"
	t_eq "$(live_stop ev)" 0 "events: exit status after SIGINT ($(cat "$D/ev.err"))"
	t_eq "$(live_stop evt)" 0 "events, text: exit status after SIGINT ($(cat "$D/evt.err"))"
	t_eq "$(cat "$D/agg.err" "$D/ev.err" "$D/evt.err")" "" "nothing on stderr"
	# the text of events mode: a line per packet, a drop line after each replay
	t_eq "$(grep -cE "^[0-9]+\.[0-9]+ spi 0x00001000 seq ([1-9]|10) encap 2 path software err 0 hops $CHAIN esp_input esp_input_done2 xfrm_rcv_cb\$" "$D/evt.out")" 10 \
		"events, text: a line per decrypted packet"
	t_eq "$(grep -E ' seq [0-9]+ (encap|drop) ' "$D/evt.out" | sed -n '11,$p' | sed -E 's/^[0-9.]+ //; s/ reason [0-9]+$//')" \
		"$(for i in 1 2 3; do
			echo "spi 0x00001000 seq $i encap 2 hops $CHAIN"
			echo "spi 0x00001000 seq $i drop XfrmInStateSeqError stage replay_check where xfrm_input"
		done)" "events, text: each replay's line, then its drop"

	local s kstat
	s=$(summary agg)
	t_json "$s" '[x["spi"] for x in j["sas"]]' '[4096]'
	t_json "$s" 'j["lost"]' 0
	t_json "$s" 'j["malformed"]' 0
	# what the kernel's SAD says of the SPI
	t_json "$s" '[j["sas"][0][k] for k in ("known", "src", "dst", "mode")]' \
		'[true, "10.0.0.1", "10.0.0.2", "transport"]'
	t_json "$s" 'j["sas"][0]["encap"]' '{"type": "espinudp", "sport": 4500, "dport": 4500}'
	# 13 packets reached xfrm_input; the 10 originals were decrypted in
	# software, as many as the kernel's SA counted; the 3 replays dropped
	kstat=$(ip -n "$B" -s xfrm state get src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1000 |
		sed -n 's/^[[:space:]]*\([0-9]*\)(bytes), \([0-9]*\)(packets).*/\2/p' | head -n1)
	t_eq "$kstat" 10 "the kernel's SA packet count"
	t_json "$s" '[j["sas"][0][k] for k in ("packets", "path", "drops", "encap_type")]' \
		'[13, "software", 3, 2]'
	t_json "$s" 'j["sas"][0]["decrypted"]' '{"software": 10, "offload": 0, "gro": 0}'
	t_json "$s" '[j["sas"][0]["hops"]["outer"][h] for h in "'"$CHAIN"'".split()]' \
		'[13, 13, 13, 13, 13, 13]'
	t_json "$s" '[j["sas"][0]["hops"]["outer"].get(h) for h in ("esp_input", "esp_input_done2", "xfrm_rcv_cb", "xfrm4_transport_finish", "esp_input_tail")]' \
		'[10, 10, 10, null, null]'
	# the decrypted packet is not followed
	t_json "$s" 'j["sas"][0]["hops"]["inner"]' '{}'
	t_json "$s" '[(d["counter"], d["stage"], d["count"]) for d in j["sas"][0]["drop_kinds"]]' \
		'[["XfrmInStateSeqError", "replay_check", 3]]'
	# the events mode: one object per packet, with every hop in order;
	# the 3 replays as a packet that got as far as xfrm_input, then a drop
	python3 - "$D/ev.out" "$CHAIN" <<'EOF' || t_fail "events mode: see above"
import json, sys
chain = sys.argv[2].split() + ["esp_input", "esp_input_done2", "xfrm_rcv_cb"]
pkts, drops, bad = [], [], []
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["event"] == "drop":
        drops.append(j)
        if not pkts or (pkts[-1]["seq"], pkts[-1]["skb"], pkts[-1]["ns"]) != (j["seq"], j["skb"], j["ns"]):
            bad.append("drop seq %d: not right after its packet" % j["seq"])
    if j["event"] == "hop":
        bad.append("a hop object: %s" % line)
    if j["event"] != "packet":
        continue
    assert j["spi"] == 0x1000, j
    pkts.append(j)
ok = [p for p in pkts if "path" in p]
if [p["seq"] for p in ok] != list(range(1, 11)):
    bad.append("decrypted: sequence numbers %s" % [p["seq"] for p in ok])
for p in ok:
    got = [p[k] for k in ("encap_type", "path", "gro", "err", "hops", "inner_hops")]
    if got != [2, "software", False, 0, chain, []]:
        bad.append("seq %d: %s" % (p["seq"], got))
    if not p["skb"].startswith("0x") or not isinstance(p["ns"], int) or not p["t"]:
        bad.append("seq %d: skb, ns, t: %s" % (p["seq"], p))
rep = [p for p in pkts if "path" not in p]
if [(p["seq"], p["hops"], p["inner_hops"], "err" in p) for p in rep] != \
        [(i, chain[:chain.index("xfrm_input") + 1], [], False) for i in (1, 2, 3)]:
    bad.append("replayed: %s" % rep)
if [(d["seq"], d["counter"], d["stage"]) for d in drops] != \
        [(i, "XfrmInStateSeqError", "replay_check") for i in (1, 2, 3)]:
    bad.append("drops: %s" % drops)
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
	t_json "$(summary ev)" '[j["sas"][0][k] for k in ("packets", "drops", "path")]' '[13, 3, "software"]'
}

# A decrypted packet dropped by the receiver's policy check (its inbound
# policy wants reqid 9, the SA has reqid 1: XfrmInTmplMismatch), which the
# script reports from kfree_skb without following the packet past
# xfrm_rcv_cb: in -j events mode one packet object per datagram (none for
# the drop) and a drop object at stage inner, seq 0; in aggregate mode the
# drops under the same names. The kernel's counter is the oracle.
case_live_inner_drop() {
	D=$(mktemp -d)
	t_defer rm -rf "$D"
	ns_pair
	natt_transport 0x3000
	ip -n "$B" xfrm policy update src 10.0.0.1/32 dst 10.0.0.2/32 dir in priority 100 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 9 mode transport
	live_start agg -n "$B" -j trace live --spi 0x3000
	live_start ev -n "$B" -j trace live --events --spi 0x3000
	live_ready agg
	live_ready ev
	local before n c=XfrmInTmplMismatch
	before=$(xfrm_stat "$B" $c)
	udp_flow 5 "$D" 8
	t_eq "$(wc -l <"$D/recv")" 0 "datagrams received"
	n=$(($(xfrm_stat "$B" $c) - before))
	t_eq "$n" 5 "$c moved once per datagram"
	t_retry 60 events_is ev 'len(DR)' "$n" || t_fail "events: $(events ev 'len(DR)') drops of $n"
	t_retry 60 sa_seen agg 0x3000 drops "$n" || t_fail "aggregate: no line with $n drops: $(tail -n2 "$D/agg.out")"
	t_eq "$(live_stop agg)" 0 "aggregate: exit status after SIGINT ($(cat "$D/agg.err"))"
	t_eq "$(live_stop ev)" 0 "events: exit status after SIGINT ($(cat "$D/ev.err"))"
	t_eq "$(events ev '[p["seq"] for p in P]')" '[1, 2, 3, 4, 5]' "a packet object per datagram, none for the drops"
	t_eq "$(events ev '[[d["seq"], d["stage"], "'$c'" in d["counter"].split("|"), d["where"].startswith("udp_queue_rcv")] for d in DR]')" \
		"$(python3 -c 'import json; print(json.dumps([[0, "inner", True, True]] * 5))')" \
		"drop objects: seq 0, stage inner, the counter, freed in udp_queue_rcv*"
	local name
	for name in agg ev; do
		t_json "$(summary $name)" '[j["sas"][0][k] for k in ("spi", "packets", "drops", "path")]' \
			"[$((0x3000)), 5, $n, \"software\"]"
		t_json "$(summary $name)" '[(d["stage"], "'$c'" in d["counter"], d["count"]) for d in j["sas"][0]["drop_kinds"]]' \
			'[["inner", true, '"$n"']]'
	done
}

# --expect-path for CI: met (exit 0), the other path (exit 3 and why), no
# packet at all (exit 3); --count and --duration end the runs by themselves;
# without a tty and without -j the output is lines of text.
case_live_expect() {
	D=$(mktemp -d)
	t_defer rm -rf "$D"
	ns_pair
	natt_transport 0x2000
	live_start ok -n "$B" -j trace live --spi 0x2000 --expect-path software --count 5
	live_start bad -n "$B" trace live --spi 0x2000 --expect-path offload --count 5
	live_start none -n "$B" -j trace live --spi 0x2001 --expect-path software --duration 15
	live_ready ok
	live_ready bad
	live_ready none
	udp_flow 5 "$D"
	t_eq "$(live_wait ok)" 0 "software as expected: exit status ($(cat "$D/ok.err"))"
	t_json "$(summary ok)" 'j["expect"]' \
		'{"spi": 8192, "path": "software", "ok": true, "detail": "spi 0x00002000: all 5 decryptions took the software path"}'
	t_eq "$(live_wait bad)" 3 "offload expected: exit status"
	t_eq "$(tail -n1 "$D/bad.err")" \
		"xfrmctl: trace live: spi 0x00002000: 5 of 5 decryptions took the software path (esp_input), expected offload" \
		"offload expected: the reason"
	t_eq "$(head -n1 "$D/bad.out")" "ready mode aggregate port 4500" "text: the ready line"
	t_match "$(cat "$D/bad.out")" "spi 0x00002000 10\.0\.0\.1 > 10\.0\.0\.2 transport espinudp 4500:4500 packets 5 " \
		"text: a line for the SA"
	t_match "$(cat "$D/bad.out")" $'\n    outer: udp_rcv 5 __udp4_lib_rcv 5 udp_queue_rcv_skb 5 xfrm4_udp_encap_rcv 5 xfrm4_rcv_encap 5 xfrm_input 5 esp_input 5 ' \
		"text: the hops in the summary"
	t_eq "$(live_wait none)" 3 "no packets: exit status"
	t_eq "$(tail -n1 "$D/none.err")" \
		"xfrmctl: trace live: spi 0x00002001: no packets seen (expected path software)" "no packets: the reason"
	t_json "$(summary none)" '[j["expect"]["ok"], j["sas"]]' '[false, []]'
}

# tmux_text SESSION: what its pane shows
tmux_text() {
	tmux capture-pane -p -t "$1"
}
pane_has() {
	tmux_text "$1" | grep -qE "$2"
}

# The ncurses view, driven in tmux: the SA row with its counts, the keys
# (help, sort, filter, pause, quit), a resize, the terminal given back; and
# a second view whose bpftrace is killed: it ends, says so, and gives the
# terminal back too.
case_live_tui() {
	command -v tmux >/dev/null || t_skip "tmux is not installed (.ci/install-deps installs it)"
	D=$(mktemp -d)
	t_defer rm -rf "$D"
	t_defer tmux kill-server
	ns_pair
	natt_transport 0x3000
	local cmd="TERM=xterm-256color $X -n $B trace live"
	tmux new-session -d -s tui -x 200 -y 40 "bash -c '$cmd 2>$D/tui.err; echo rc=\$? >$D/tui.rc; sleep 600'"
	tmux new-session -d -s die -x 120 -y 30 "bash -c '$cmd 2>$D/die.err; echo rc=\$? >$D/die.rc; sleep 600'"
	t_retry $READY_SECS pane_has tui ' tracing' || t_fail "view not tracing: $(tmux_text tui) $(cat "$D/tui.err")"
	t_retry $READY_SECS pane_has die ' tracing' || t_fail "second view not tracing: $(tmux_text die)"
	t_eq "$(tmux display -p -t tui '#{alternate_on}')" 1 "the view is on the alternate screen"
	udp_flow 7 "$D"
	# the row: SPI, addresses, encap, packets, the hops, the path, drops, last seq
	t_retry 30 pane_has tui '^0x00003000 10\.0\.0\.1 > 10\.0\.0\.2  espinudp +7 +7 +7 +7 +7 +0 +7 +7 software +0 +7 ' ||
		t_fail "no row for the SA: $(tmux_text tui)"
	t_retry 10 pane_has tui 'outer: udp_rcv 7 > __udp4_lib_rcv 7 > udp_queue_rcv_skb 7 > xfrm4_udp_encap_rcv 7 > xfrm4_rcv_encap 7 > xfrm_input 7 > esp_input 7' ||
		t_fail "no hops of the selected SA: $(tmux_text tui)"
	t_eq "$(tmux_text tui | grep -c '^inner:' || true)" 0 "no inner pass in the detail (not followed)"
	tmux send-keys -t tui '?'
	t_retry 10 pane_has tui 'p +pause: freeze the view' || t_fail "no help: $(tmux_text tui)"
	tmux send-keys -t tui x
	t_retry 10 eval '! pane_has tui "pause: freeze the view"' || t_fail "help not closed"
	tmux send-keys -t tui s
	t_retry 10 pane_has tui 'sort packets' || t_fail "sort unchanged: $(tmux_text tui | head -n1)"
	tmux send-keys -t tui / 0x0000dead Enter
	t_retry 10 pane_has tui "filter '0x0000dead'" || t_fail "no filter: $(tmux_text tui | head -n1)"
	t_retry 10 eval '! pane_has tui "^0x00003000 "' || t_fail "the row is not filtered out"
	tmux send-keys -t tui / BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace Enter
	t_retry 10 pane_has tui '^0x00003000 ' || t_fail "the row is not back: $(tmux_text tui)"
	tmux send-keys -t tui p
	t_retry 10 pane_has tui 'PAUSED' || t_fail "not paused"
	tmux send-keys -t tui p
	# narrower: the hop columns go, the row stays
	tmux resize-window -t tui -x 90 -y 30
	t_retry 10 pane_has tui '^0x00003000 10\.0\.0\.1 > 10\.0\.0\.2 .* +7 software +0 +7 ' ||
		t_fail "after resizing: $(tmux_text tui)"
	t_eq "$(tmux_text tui | awk '{ if (length($0) > m) m = length($0) } END { print m }')" 90 "lines fit the new width"
	tmux send-keys -t tui q
	t_retry 60 test -e "$D/tui.rc" || t_fail "q did not end it"
	t_eq "$(cat "$D/tui.rc")" rc=0 "exit status after q"
	t_eq "$(tmux display -p -t tui '#{alternate_on}')" 0 "the terminal is back from the alternate screen"
	t_eq "$(tmux display -p -t tui '#{cursor_flag}')" 1 "the cursor is visible again"
	t_match "$(tmux_text tui)" "spi 0x00003000 10\.0\.0\.1 > 10\.0\.0\.2 transport espinudp 4500:4500" \
		"the summary, printed after the view"
	t_eq "$(cat "$D/tui.err")" "" "nothing on stderr"

	# bpftrace dies under the second view
	local xpid bpid
	xpid=$(pgrep -f "^$X -n $B trace live" | head -n1)
	bpid=$(pgrep -P "$xpid" bpftrace)
	[ -n "$bpid" ] || t_fail "no bpftrace under the second view"
	kill -KILL "$bpid"
	t_retry 60 test -e "$D/die.rc" || t_fail "the view did not end with its bpftrace"
	t_eq "$(cat "$D/die.rc")" rc=1 "exit status when bpftrace died"
	t_eq "$(tail -n1 "$D/die.err")" "xfrmctl: trace live: bpftrace was killed (signal 9)" "the reason"
	t_eq "$(tmux display -p -t die '#{alternate_on}')" 0 "the terminal is back"
}

t_case "trace check: usable on Debian's kernel, every symbol present" case_check_usable
t_case "trace live -j: aggregate and events, NAT-T, replays dropped" case_live_json
t_case "trace live -j: a drop by the policy check after decryption (stage inner)" case_live_inner_drop
t_case "trace live --expect-path, --count, --duration, text lines" case_live_expect
t_case "trace live on a terminal (tmux): row, keys, resize, restore; bpftrace dying" case_live_tui
t_done
