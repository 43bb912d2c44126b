#!/bin/bash
# xfrmctl monitor against the kernel's notifications: SA events in order,
# keys redacted, expiry and acquire from the kernel itself, policy events,
# and an overrun whose lost events are counted exactly.
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/ipsec.sh"
. "$T_TOP/tests/lib/json.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}
ID="src 10.0.0.1 dst 10.0.0.2 proto esp"
GCM="aead rfc4106(gcm(aes)) $KEY_GCM128 128" # word-split on purpose: no globs in it

# mon_start NS OUT ARGS...: xfrmctl -n NS -j monitor ARGS > OUT in the
# background ($MON); returns once its socket has joined its groups (a
# NETLINK_XFRM socket with groups in the namespace's /proc/net/netlink).
mon_start() {
	local ns=$1 out=$2
	shift 2
	"$X" -n "$ns" -j monitor "$@" >"$out" 2>"$out.err" &
	MON=$!
	t_defer kill $MON
	t_retry 10 mon_joined "$ns" || t_fail "monitor did not start: $(cat "$out.err")"
}
mon_joined() {
	ip netns exec "$1" awk '$2 == 6 && $4 != "00000000" { found = 1 } END { exit !found }' /proc/net/netlink
}

# events OUT: the event names, space-separated
events() {
	python3 -c 'import json,sys; print(" ".join(json.loads(l)["event"] for l in open(sys.argv[1])))' "$1"
}

case_sa_events() {
	local ns out
	ns=$(ns_new a)
	out=$(mktemp)
	mon_start "$ns" "$out" state
	"$X" -n "$ns" state add $ID spi 0x100 reqid 1 $GCM
	"$X" -n "$ns" state update $ID spi 0x100 reqid 1 $GCM limit time-hard 600
	"$X" -n "$ns" state delete $ID spi 0x100
	"$X" -n "$ns" state add $ID spi 0x101 $GCM
	"$X" -n "$ns" state flush
	t_retry 10 grep -q flushsa "$out" || t_fail "no flush event: $(cat "$out")"
	kill -INT $MON
	wait $MON || t_fail "monitor exit status $?"
	cat "$out"
	t_eq "$(events "$out")" "newsa updsa delsa newsa flushsa" "event sequence"
	local first
	first=$(head -n1 "$out")
	t_json "$first" 'j["sa"]["spi"]' 256
	t_json "$first" 'j["sa"]["aead"]["name"]' 'rfc4106(gcm(aes))'
	t_json "$first" '"key" in j["sa"]["aead"]' false
	grep -q "${KEY_GCM128#0x}" "$out" && t_fail "a key in the monitor's output"
	t_json "$(sed -n 5p "$out")" 'j["proto"]' any
}

case_text_one_line_per_event() {
	local ns out
	ns=$(ns_new a)
	out=$(mktemp)
	"$X" -n "$ns" monitor state >"$out" &
	local pid=$!
	t_defer kill $pid
	t_retry 10 mon_joined "$ns" || t_fail "monitor did not start"
	"$X" -n "$ns" state add $ID spi 0x200 $GCM
	t_retry 10 grep -q 0x00000200 "$out" || t_fail "no text event"
	kill -INT $pid
	wait $pid || true
	t_eq "$(wc -l <"$out")" 1 "lines for one event"
	t_match "$(cat "$out")" '^newsa: src 10.0.0.1 dst 10.0.0.2 \\ proto esp spi 0x00000200 .*<redacted>' "text event"
}

case_expire_soft_then_hard() {
	local ns out
	ns=$(ns_new a)
	out=$(mktemp)
	mon_start "$ns" "$out" expire
	"$X" -n "$ns" state add $ID spi 0x300 $GCM limit time-soft 1 limit time-hard 2
	t_retry 15 grep -q '"hard"' "$out" || t_fail "no hard expire: $(cat "$out")"
	t_eq "$(events "$out")" "expire expire" "events"
	t_json "$(sed -n 1p "$out")" 'j["limit"]' soft
	t_json "$(sed -n 2p "$out")" '[j["limit"], j["sa"]["spi"]]' '["hard", 768]'
	t_json "$("$X" -n "$ns" -j state list)" 'len(j)' 0
}

case_acquire_from_traffic() {
	ns_pair
	local out
	out=$(mktemp)
	mon_start "$A" "$out" acquire
	ip -n "$A" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 proto udp dport 7777 dir out \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 5 mode transport
	ip netns exec "$A" "$T_TOP/tests/lib/udp.py" send 10.0.0.1 10.0.0.2 7777 1 || true
	t_retry 10 grep -q acquire "$out" || t_fail "no acquire event"
	local ev
	ev=$(head -n1 "$out")
	t_json "$ev" '[j["proto"], j["src"], j["dst"]]' '["esp", "10.0.0.1", "10.0.0.2"]'
	t_json "$ev" '[j["policy"]["dir"], j["policy"]["dst"], j["policy"]["dport"]]' '["out", "10.0.0.2/32", 7777]'
}

case_policy_events() {
	local ns out
	ns=$(ns_new a)
	out=$(mktemp)
	mon_start "$ns" "$out" policy
	ip -n "$ns" xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir fwd priority 7 action block
	ip -n "$ns" xfrm policy add src 10.3.0.0/16 dst 10.4.0.0/16 dir out
	ip -n "$ns" xfrm policy delete src 10.1.0.0/16 dst 10.2.0.0/16 dir fwd
	ip -n "$ns" xfrm policy flush # (the kernel is silent when there is nothing to flush)
	t_retry 10 grep -q flushpolicy "$out" || t_fail "no flush event: $(cat "$out")"
	t_eq "$(events "$out")" "newpolicy newpolicy delpolicy flushpolicy" "events"
	# the same shape as policy list -j: the deleted policy in full
	t_json "$(sed -n 3p "$out")" '[j["policy"]["src"], j["policy"]["dir"], j["policy"]["priority"]]' '["10.1.0.0/16", "fwd", 7]'
	local listed
	listed=$(ip -n "$ns" xfrm policy add src 10.5.0.0/16 dst 10.6.0.0/16 dir in priority 3 && "$X" -n "$ns" -j policy list)
	t_retry 10 grep -q 10.5.0.0 "$out" || t_fail "no event for the last policy"
	t_json "$(tail -n1 "$out")" 'j["policy"]' "$(printf '%s' "$listed" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0]))')"
	t_json "$(head -n1 "$out")" '[j["policy"]["src"], j["policy"]["dir"], j["policy"]["priority"], j["policy"]["action"]]' \
		'["10.1.0.0/16", "fwd", 7, "block"]'
}

case_overrun_counted() {
	local ns out f n=400
	ns=$(ns_new a)
	out=$(mktemp)
	mon_start "$ns" "$out" rcvbuf 4096 state
	kill -STOP $MON
	f=$(mktemp)
	for i in $(seq 1 $n); do echo "state add src 10.0.0.1 dst 10.0.0.2 proto esp spi $((0x1000 + i)) $GCM"; done >"$f"
	"$X" -n "$ns" -b "$f"
	kill -CONT $MON
	t_retry 10 grep -q '"lost"' "$out" || t_fail "no lost event: $(cat "$out.err")"
	sleep 1
	kill -INT $MON
	wait $MON || true
	local seen lost
	seen=$(grep -c '"newsa"' "$out")
	lost=$(python3 -c 'import json,sys; print(sum(json.loads(l).get("count",0) for l in open(sys.argv[1]) if "lost" in l))' "$out")
	echo "seen $seen, lost $lost of $n"
	[ "$lost" -gt 0 ] || t_fail "nothing lost"
	t_eq "$((seen + lost))" "$n" "events seen + events counted lost"
	t_match "$(cat "$out.err")" "xfrmctl: monitor: socket overrun: [0-9]+ events? lost" "stderr says so"
}

t_case "state events: add, update, delete, flush, in order, keys redacted" case_sa_events
t_case "text: one line per event" case_text_one_line_per_event
t_case "expire: soft then hard, from the kernel's timers" case_expire_soft_then_hard
t_case "acquire: a packet with no SA for its policy" case_acquire_from_traffic
t_case "policy events" case_policy_events
t_case "overrun: lost events counted exactly (seen + lost = sent)" case_overrun_counted
t_done
