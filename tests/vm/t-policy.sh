#!/bin/bash
# xfrmctl policy against the kernel: what it adds is what the kernel holds
# (read back by ip xfrm and by xfrmctl -j), the policy part of rtnetlink.sh
# kci_test_ipsec, priorities and index lookups proved with real traffic,
# default policies, socket policies in the count, kernel refusals, and bad
# input refused before anything is sent.
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/json.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}
SEL="src 10.0.0.0/24 dst 10.0.1.0/24"

# ping NS: one ICMP echo A -> B (10.0.0.2), succeeding or not
ping_b() {
	ip netns exec "$1" busybox ping -c1 -W1 10.0.0.2 >/dev/null 2>&1
}

# json_get JSON EXPR: print the value of a Python expression over `j`
json_get() {
	printf '%s' "$1" | python3 -c 'import json, sys; j = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

case_add_roundtrip() {
	local ns ipout out
	ns=$(ns_new a)
	"$X" -n "$ns" policy add $SEL proto udp dport 53 dir out priority 100 \
		mark 0x10/0xf0 if_id 9 flag localok icmp \
		limit time-soft 100 limit time-hard 200 limit byte-hard 1000000 limit packet-soft 500 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 1 mode transport \
		tmpl src 192.168.1.1 dst 192.168.1.2 proto ah spi 0x10 reqid 2 mode tunnel
	# the kernel holds exactly that (ip's own view)
	ipout=$(ip -n "$ns" -s xfrm policy get $SEL proto udp dport 53 dir out mark 0x10 mask 0xf0 if_id 9)
	echo "$ipout"
	t_match "$ipout" "^src 10.0.0.0/24 dst 10.0.1.0/24 proto udp dport 53 " "ip: selector"
	t_match "$ipout" "dir out action allow index [0-9]+ priority 100 ptype main share any flag localok icmp" "ip: header"
	t_match "$ipout" "mark 0x10/0xf0" "ip: mark"
	t_match "$ipout" "if_id 0x9" "ip: if_id"
	t_match "$ipout" "limit: soft \(INF\)\(bytes\), hard 1000000\(bytes\)" "ip: byte limits (soft INF by default)"
	t_match "$ipout" "limit: soft 500\(packets\), hard \(INF\)\(packets\)" "ip: packet limits"
	t_match "$ipout" "expire add: soft 100\(sec\), hard 200\(sec\)" "ip: time limits"
	t_match "$ipout" "tmpl src 10.0.0.1 dst 10.0.0.2"$'\n\t\t'"proto esp spi 0x00000000\(0\) reqid 1\(0x00000001\) mode transport"$'\n\t\t'"level required share any "$'\n\t\t'"enc-mask ffffffff auth-mask ffffffff comp-mask ffffffff" "ip: first template"
	t_match "$ipout" "tmpl src 192.168.1.1 dst 192.168.1.2"$'\n\t\t'"proto ah spi 0x00000010\(16\) reqid 2\(0x00000002\) mode tunnel" "ip: second template"
	# and xfrmctl reads it back
	t_run "$X" -n "$ns" -j -s policy get $SEL proto udp dport 53 dir out mark 0x10/0xf0 if_id 9
	t_eq "$rc" 0 "get status ($err)"
	t_json "$out" '[j[k] for k in ("src", "dst", "family", "proto", "dport")]' '["10.0.0.0/24", "10.0.1.0/24", "inet", "udp", 53]'
	t_json "$out" '[j[k] for k in ("dir", "action", "priority", "ptype", "share")]' '["out", "allow", 100, "main", "any"]'
	t_json "$out" 'j["flags"]' '["localok", "icmp"]'
	t_json "$out" 'j["mark"]' '{"value": 16, "mask": 240}'
	t_json "$out" 'j["if_id"]' 9
	t_json "$out" 'j["lifetime"]' '{"byte-soft": null, "byte-hard": 1000000, "packet-soft": 500, "packet-hard": null, "time-soft": 100, "time-hard": 200, "time-use-soft": 0, "time-use-hard": 0}'
	t_json "$out" 'sorted(j["current"])' '["add-time", "bytes", "packets", "use-time"]'
	t_json "$out" 'len(j["tmpl"])' 2
	t_json "$out" '{k: j["tmpl"][0][k] for k in ("src", "dst", "proto", "spi", "reqid", "mode", "level")}' \
		'{"src": "10.0.0.1", "dst": "10.0.0.2", "proto": "esp", "spi": 0, "reqid": 1, "mode": "transport", "level": "required"}'
	t_json "$out" '{k: j["tmpl"][1][k] for k in ("src", "dst", "proto", "spi", "reqid", "mode", "level")}' \
		'{"src": "192.168.1.1", "dst": "192.168.1.2", "proto": "ah", "spi": 16, "reqid": 2, "mode": "tunnel", "level": "required"}'
	t_json "$out" '[j["tmpl"][0][k] for k in ("enc-mask", "auth-mask", "comp-mask")]' '[4294967295, 4294967295, 4294967295]'
	# the index ip shows is the one xfrmctl shows
	t_match "$ipout" "index $(json_get "$out" 'j["index"]') " "same index"
}

case_ipv6_upspec_roundtrip() {
	local ns out ipout
	ns=$(ns_new a)
	"$X" -n "$ns" policy add src fd00::/64 dst fd01::1 proto ipv6-icmp type 128 code 0 dir in \
		action block priority 7 tmpl src fd00::1 dst fd01::1 proto esp mode beet reqid 4 level use
	"$X" -n "$ns" policy add src 10.1.0.0/16 dst 10.2.0.0/16 proto gre key 10.0.0.1 dir fwd \
		tmpl src fd00::1 dst fd00::2 proto esp mode tunnel
	"$X" -n "$ns" policy add proto tcp sport 22 dev lo dir out ptype main
	ipout=$(ip -n "$ns" xfrm policy list)
	echo "$ipout"
	t_match "$ipout" "src fd00::/64 dst fd01::1/128 proto ipv6-icmp type 128 code 0 "$'\n\t'"dir in action block priority 7 ptype main "$'\n\t'"tmpl src fd00::1 dst fd01::1"$'\n\t\t'"proto esp reqid 4 mode beet"$'\n\t\t'"level use" "ip: IPv6 ICMP policy"
	t_match "$ipout" "src 10.1.0.0/16 dst 10.2.0.0/16 proto gre key 167772161 "$'\n\t'"dir fwd priority 0 ptype main "$'\n\t'"tmpl src fd00::1 dst fd00::2"$'\n\t\t'"proto esp reqid 0 mode tunnel" "ip: GRE policy with a 4-in-6 template"
	t_match "$ipout" "src 0.0.0.0/0 dst 0.0.0.0/0 proto tcp sport 22 dev lo " "ip: TCP policy on a device"
	out=$("$X" -n "$ns" -j policy list)
	t_json "$out" 'len(j)' 3
	t_json "$out" '[p for p in j if p["family"] == "inet6"][0]["tmpl"][0]["level"]' use
	t_json "$out" '{k: v for k, v in [p for p in j if p["family"] == "inet6"][0].items() if k not in ("tmpl", "index")}' \
		'{"src": "fd00::/64", "dst": "fd01::1/128", "family": "inet6", "proto": "ipv6-icmp", "type": 128, "code": 0, "dir": "in", "action": "block", "priority": 7, "ptype": "main"}'
	t_json "$out" '[p for p in j if p.get("proto") == "gre"][0]["key"]' 167772161
	t_json "$out" '[p for p in j if p.get("proto") == "gre"][0]["tmpl"][0]["family"]' inet6
	t_json "$out" '[(p["sport"], p["dev"]) for p in j if p.get("proto") == "tcp"]' '[[22, "lo"]]'
	# xfrmctl's text is ip's, plus the index
	t_eq "$("$X" -n "$ns" policy list | sed 's/ index [0-9]*//')" "$(ip -n "$ns" xfrm policy list | sed 's/ *$//')" "text as ip's"
	# -o: one line per policy
	t_eq "$("$X" -n "$ns" -o policy list | wc -l)" 3 "-o lines"
}

# tools/testing/selftests/net/rtnetlink.sh, kci_test_ipsec (policy part), with xfrmctl
case_kci_sequence() {
	local ns srcip=192.168.123.1 dstip=192.168.123.2
	ns=$(ns_new a)
	local ipsecsel="dir out src $srcip/24 dst $dstip/24"
	"$X" -n "$ns" policy add $ipsecsel tmpl proto esp src $srcip dst $dstip spi 0x07 mode transport reqid 0x07
	t_eq "$("$X" -n "$ns" policy list | grep $srcip | grep -c $dstip)" 2 "list lines with both addresses"
	t_match "$("$X" -n "$ns" policy count)" "SPD IN  0 OUT 1 FWD 0" "count text (ip's)"
	t_json "$("$X" -n "$ns" -j policy count)" '[j["in"], j["out"], j["fwd"]]' '[0, 1, 0]'
	t_match "$(ip -n "$ns" xfrm policy count)" "SPD IN  0 OUT 1 FWD 0" "ip agrees"
	t_eq "$("$X" -n "$ns" policy get $ipsecsel | grep $srcip | grep -c $dstip)" 2 "get lines with both addresses"
	t_json "$("$X" -n "$ns" -j policy get $ipsecsel)" 'j["tmpl"][0]["spi"]' 7
	"$X" -n "$ns" policy delete $ipsecsel
	t_eq "$("$X" -n "$ns" policy list | wc -l)" 0 "list after delete"
	t_eq "$(ip -n "$ns" xfrm policy list | wc -l)" 0 "ip list after delete"
	"$X" -n "$ns" policy add $ipsecsel tmpl proto esp src $srcip dst $dstip mode transport reqid 7
	"$X" -n "$ns" policy add dir in src $dstip/24 dst $srcip/24 tmpl proto esp src $dstip dst $srcip mode transport reqid 8
	t_json "$("$X" -n "$ns" -j policy count)" '[j["in"], j["out"], j["fwd"]]' '[1, 1, 0]'
	"$X" -n "$ns" policy flush
	t_json "$("$X" -n "$ns" -j policy list)" 'len(j)' 0
	t_match "$(ip -n "$ns" xfrm policy count)" "SPD IN  0 OUT 0 FWD 0" "ip agrees the SPD is empty"
}

case_update_keeps_index() {
	local ns before after
	ns=$(ns_new a)
	"$X" -n "$ns" policy add $SEL dir out priority 5 tmpl proto esp reqid 1
	before=$("$X" -n "$ns" -j policy get $SEL dir out)
	"$X" -n "$ns" policy update $SEL dir out priority 6 action block
	after=$("$X" -n "$ns" -j policy get $SEL dir out)
	t_json "$after" '[j["priority"], j["action"], "tmpl" in j]' '[6, "block", false]'
	t_eq "$(json_get "$after" 'j["index"]')" "$(json_get "$before" 'j["index"]')" "index kept by update"
	t_match "$(ip -n "$ns" xfrm policy get $SEL dir out)" "dir out action block priority 6" "ip sees the update"
	# update adds what is not there
	"$X" -n "$ns" policy update $SEL dir in
	t_json "$("$X" -n "$ns" -j policy count)" '[j["in"], j["out"]]' '[1, 1]'
	# an index given is the one the kernel takes
	"$X" -n "$ns" policy add src 10.5.0.0/16 dir fwd index 0x1002
	t_match "$(ip -n "$ns" xfrm policy get index 4098 dir fwd)" "^src 10.5.0.0/16 dst 0.0.0.0/0" "ip: by the index given"
	t_json "$("$X" -n "$ns" -j policy get src 10.5.0.0/16 dir fwd)" 'j["index"]' 4098
}

# As tools/testing/selftests/net/xfrm_policy.sh: of two matching policies
# the lower priority number wins, seen by real traffic A -> B.
case_priority_traffic() {
	ns_pair
	local blk="src 10.0.0.1/32 dst 10.0.0.2/32 proto icmp dir out" n0 n1
	ping_b "$A" || t_fail "no ping without policies"
	"$X" -n "$A" policy add src 10.0.0.0/24 dst 10.0.0.0/24 dir out priority 20 action allow
	"$X" -n "$A" policy add $blk priority 10 action block
	n0=$(xfrm_stat "$A" XfrmOutPolBlock)
	! ping_b "$A" || t_fail "block at priority 10 should win over allow at 20"
	n1=$(xfrm_stat "$A" XfrmOutPolBlock)
	[ "$n1" -gt "$n0" ] || t_fail "XfrmOutPolBlock did not count the blocked echo ($n0 -> $n1)"
	"$X" -n "$A" policy update $blk priority 30 action block
	ping_b "$A" || t_fail "allow at priority 20 should win over block at 30"
	"$X" -n "$A" policy update $blk priority 10 action block
	! ping_b "$A" || t_fail "block back at priority 10 should win again"
	# ip sees both, with their priorities
	t_match "$(ip -n "$A" xfrm policy list)" "dir out action block priority 10" "ip: block policy"
	t_match "$(ip -n "$A" xfrm policy list)" "dir out priority 20" "ip: allow policy"
}

# get and delete by index: the block policy found by its index, deleted by
# it, and traffic flows again.
case_index_get_delete() {
	ns_pair
	local out idx
	"$X" -n "$A" policy add src 10.0.0.0/24 dst 10.0.0.0/24 dir out priority 20
	"$X" -n "$A" policy add src 10.0.0.1/32 dst 10.0.0.2/32 proto icmp dir out priority 10 action block
	! ping_b "$A" || t_fail "the block policy does not block"
	idx=$(json_get "$("$X" -n "$A" -j policy list action block)" 'j[0]["index"]')
	[ $((idx & 7)) = 1 ] || t_fail "index $idx of an out policy"
	out=$("$X" -n "$A" -j policy get index "$idx" dir out)
	t_json "$out" '[j["index"], j["action"], j["priority"], j["proto"]]' "[$idx, \"block\", 10, \"icmp\"]"
	t_match "$(ip -n "$A" xfrm policy get index "$idx" dir out)" "proto icmp" "ip gets it by index too"
	"$X" -n "$A" policy delete index "$idx" dir out
	ping_b "$A" || t_fail "traffic blocked after deleting the block policy"
	t_json "$("$X" -n "$A" -j policy list)" '[(p["priority"], p["action"]) for p in j]' '[[20, "allow"]]'
	t_err 1 "xfrmctl: policy get: policy index $idx dir out: no such policy" \
		"$X" -n "$A" policy get index "$idx" dir out
}

case_list_filters() {
	local ns
	ns=$(ns_new a)
	"$X" -n "$ns" policy add src 10.1.1.0/24 dst 10.2.0.0/16 dir out priority 1
	"$X" -n "$ns" policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir in priority 2 action block
	"$X" -n "$ns" policy add src 10.3.0.0/16 dst 10.2.0.0/16 proto udp dport 53 dir fwd priority 3
	"$X" -n "$ns" policy add src fd00::/64 dst fd01::/64 dir out priority 4 ptype sub
	f() { "$X" -n "$ns" -j policy list "$@"; }
	t_json "$(f)" 'sorted(p["priority"] for p in j)' '[1, 2, 3, 4]'
	t_json "$(f dir in)" '[p["priority"] for p in j]' '[2]'
	t_json "$(f action block)" '[p["priority"] for p in j]' '[2]'
	t_json "$(f priority 3)" '[p["proto"] for p in j]' '["udp"]'
	t_json "$(f ptype sub)" '[p["priority"] for p in j]' '[4]'
	t_json "$(f ptype main dir out)" '[p["priority"] for p in j]' '[1]'
	# a selector prefix matches the policies whose prefix lies inside it
	t_json "$(f src 10.1.0.0/16)" 'sorted(p["priority"] for p in j)' '[1, 2]'
	t_json "$(f src 10.1.1.0/24)" '[p["priority"] for p in j]' '[1]'
	t_json "$(f dst 10.2.0.0/16 proto udp)" '[p["priority"] for p in j]' '[3]'
	t_json "$(f src fd00::/16)" '[p["priority"] for p in j]' '[4]'
	local idx
	idx=$(json_get "$(f dir in)" 'j[0]["index"]')
	t_json "$(f index "$idx")" '[p["priority"] for p in j]' '[2]'
}

case_sub_policies_and_flush() {
	local ns
	ns=$(ns_new a)
	"$X" -n "$ns" policy add $SEL dir out ptype sub action block
	"$X" -n "$ns" policy add $SEL dir out
	t_match "$(ip -n "$ns" xfrm policy list)" "dir out action block priority 0 ptype sub" "ip: sub policy"
	t_json "$("$X" -n "$ns" -j policy get $SEL dir out ptype sub)" '[j["ptype"], j["action"]]' '["sub", "block"]'
	t_json "$("$X" -n "$ns" -j policy get $SEL dir out)" '[j["ptype"], j["action"]]' '["main", "allow"]'
	"$X" -n "$ns" policy flush
	t_json "$("$X" -n "$ns" -j policy list)" '[p["ptype"] for p in j]' '["sub"]'
	"$X" -n "$ns" policy flush ptype sub
	t_eq "$(ip -n "$ns" xfrm policy list)" "" "ip: empty after both flushes"
}

case_setdefault_roundtrip() {
	ns_pair
	t_json "$("$X" -n "$A" -j policy getdefault)" 'j' '{"in": "accept", "fwd": "accept", "out": "accept"}'
	t_defer ip -n "$A" xfrm policy setdefault in accept fwd accept out accept
	"$X" -n "$A" policy setdefault in block fwd block out block
	t_json "$("$X" -n "$A" -j policy getdefault)" 'j' '{"in": "block", "fwd": "block", "out": "block"}'
	t_eq "$(ip -n "$A" xfrm policy getdefault)" $'Default policies:\n in:  block\n fwd: block\n out: block' "ip's view"
	t_eq "$("$X" -n "$A" policy getdefault)" "$(ip -n "$A" xfrm policy getdefault)" "text as ip's"
	# the kernel acts on it: with no policy, out block drops the echo
	! ping_b "$A" || t_fail "ping passed with default out block"
	"$X" -n "$A" policy setdefault in accept out accept
	t_json "$("$X" -n "$A" -j policy getdefault)" 'j' '{"in": "accept", "fwd": "block", "out": "accept"}'
	ping_b "$A" || t_fail "ping blocked after restoring the defaults"
	"$X" -n "$A" policy setdefault fwd allow
	t_eq "$(ip -n "$A" xfrm policy getdefault)" $'Default policies:\n in:  accept\n fwd: accept\n out: accept' "restored"
}

# A socket policy (setsockopt IP_XFRM_POLICY) is counted and listed apart.
SOCKPOL='
import socket, struct, sys, time
INF = (1 << 64) - 1
sel = struct.pack("=16s16sHHHHHBBB3xiI", socket.inet_aton("10.9.9.9") + bytes(12), bytes(16),
                  0, 0, 0, 0, socket.AF_INET, 32, 0, 0, 0, 0)
lft = struct.pack("=8Q", INF, INF, INF, INF, 0, 0, 0, 0) + bytes(32)
info = sel + lft + struct.pack("=IIBBBB", 0, 0, 1, 0, 0, 0)
info += bytes(-len(info) % 8)  # struct xfrm_userpolicy_info is 8-aligned
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 17, info)  # IP_XFRM_POLICY
print("ready", flush=True)
time.sleep(60)
'
no_socket_policy() {
	[ "$(json_get "$("$X" -n "$1" -j policy count)" 'j["socket"]["out"]')" = 0 ]
}
case_socket_policy_count() {
	local ns d pid out
	ns=$(ns_new a)
	d=$(mktemp -d)
	"$X" -n "$ns" policy add $SEL dir out
	ip netns exec "$ns" python3 -c "$SOCKPOL" >"$d/out" 2>&1 &
	pid=$!
	t_defer kill $pid
	t_retry 10 grep -q ready "$d/out" || t_fail "socket policy not set: $(cat "$d/out")"
	out=$("$X" -n "$ns" -j policy count)
	t_json "$out" '[j["in"], j["out"], j["fwd"], j["socket"]]' '[0, 1, 0, {"in": 0, "out": 1, "fwd": 0}]'
	t_eq "$("$X" -n "$ns" -s policy count | head -n1)" "SPD IN  0 OUT 1 FWD 0 (Sock: IN 0 OUT 1 FWD 0)" "-s text"
	t_eq "$("$X" -n "$ns" -s policy count | head -n1)" "$(ip -n "$ns" -s xfrm policy count | head -n1 | sed 's/^\t //')" "as ip -s"
	t_match "$("$X" -n "$ns" -s policy count)" $'\nSPD buckets: count [0-9]+ Max [0-9]+\nSPD IPv4 thresholds: local 32 remote 32\nSPD IPv6 thresholds: local 128 remote 128' "-s hash info"
	out=$("$X" -n "$ns" -j policy list)
	t_json "$out" '[(p["dir"], p.get("socket", False), p["dst"]) for p in j]' '[["out", true, "10.9.9.9/32"], ["out", false, "10.0.1.0/24"]]'
	t_match "$("$X" -n "$ns" policy list)" $'src 0.0.0.0/0 dst 10.9.9.9/32\n\tsocket out' "text: socket out"
	# flush leaves socket policies; they go with their socket
	"$X" -n "$ns" policy flush
	t_json "$("$X" -n "$ns" -j policy count)" '[j["out"], j["socket"]["out"]]' '[0, 1]'
	kill $pid
	wait $pid 2>/dev/null || true
	t_retry 5 no_socket_policy "$ns" || t_fail "socket policy still counted after its socket closed"
}

# As xfrm_policy.sh's hundreds of policies through ip -batch: 500 from one
# xfrmctl batch, listed back in one streamed dump of many parts.
case_many_policies_batch() {
	local ns f i
	ns=$(ns_new a)
	f=$(mktemp)
	for i in $(seq 1 500); do
		echo "policy add src 10.$((i / 256)).$((i % 256)).0/24 dst 10.200.0.0/16 dir out priority $i tmpl proto esp reqid $i"
	done >"$f"
	"$X" -n "$ns" -b "$f"
	t_json "$("$X" -n "$ns" -j policy count)" 'j["out"]' 500
	t_json "$("$X" -n "$ns" -j policy list)" 'sorted(p["priority"] for p in j) == list(range(1, 501))' true
	t_json "$("$X" -n "$ns" -j policy list priority 300)" '[(p["src"], p["tmpl"][0]["reqid"]) for p in j]' '[["10.1.44.0/24", 300]]'
	t_eq "$("$X" -n "$ns" -o policy list | wc -l)" 500 "-o lines"
	t_eq "$(ip -n "$ns" xfrm policy list | grep -c '^src')" 500 "ip counts 500"
	"$X" -n "$ns" policy flush
	t_json "$("$X" -n "$ns" -j policy count)" 'j["out"]' 0
}

# A security context reaches the kernel; whether it is kept depends on the
# kernel's LSM: xfrmctl shows what ip shows.
case_ctx_as_ip() {
	local ns ipout out
	ns=$(ns_new a)
	"$X" -n "$ns" policy add $SEL dir out ctx "system_u:object_r:ipsec_spd_t:s0"
	ipout=$(ip -n "$ns" xfrm policy get $SEL dir out)
	out=$("$X" -n "$ns" -j policy get $SEL dir out ctx "system_u:object_r:ipsec_spd_t:s0")
	if [[ $ipout == *"security context"* ]]; then
		t_json "$out" 'j["ctx"]' "system_u:object_r:ipsec_spd_t:s0"
	else
		t_json "$out" '"ctx" in j' false
	fi
	t_eq "$("$X" -n "$ns" policy list | sed 's/ index [0-9]*//')" "$(ip -n "$ns" xfrm policy list | sed 's/ *$//')" "text as ip's"
}

case_kernel_refusals() {
	local ns before
	ns=$(ns_new a)
	"$X" -n "$ns" policy add $SEL dir out priority 1 tmpl proto esp reqid 1
	before=$(ip -n "$ns" -s xfrm policy list)
	t_err 1 "xfrmctl: policy add: policy src 10.0.0.0/24 dst 10.0.1.0/24 dir out: File exists" \
		"$X" -n "$ns" policy add $SEL dir out priority 2
	t_err 1 "xfrmctl: policy delete: policy src 10.0.0.0/24 dst 10.0.1.0/24 dir in: no such policy" \
		"$X" -n "$ns" policy delete $SEL dir in
	t_err 1 "xfrmctl: policy delete: policy src 10.0.0.0/24 dst 10.0.1.0/24 dir out: no such policy" \
		"$X" -n "$ns" policy delete $SEL dir out mark 1
	t_err 1 "xfrmctl: policy get: policy src 10.0.0.0/24 dst 10.0.1.0/24 dir out: no such policy" \
		"$X" -n "$ns" policy get $SEL dir out if_id 3
	t_err 1 "xfrmctl: policy get: policy index 4097 dir out: no such policy" \
		"$X" -n "$ns" policy get index 4097 dir out
	t_err 1 "xfrmctl: policy add: policy src 10.0.0.0/24 dst 10.0.2.0/24 dir out: Operation not permitted" \
		ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$X" policy add src 10.0.0.0/24 dst 10.0.2.0/24 dir out
	t_err 1 "xfrmctl: policy setdefault: default policy: Operation not permitted" \
		ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$X" policy setdefault out block
	# nothing changed
	t_eq "$(ip -n "$ns" -s xfrm policy list)" "$before" "the SPD after the refusals"
	t_json "$("$X" -n "$ns" -j policy getdefault)" 'j["out"]' accept
}

# spd NS: the default policies and the policies of NS, as ip shows them
# (list last: ip exits after a list, even in a batch)
spd() {
	printf 'xfrm policy getdefault\nxfrm policy list\n' | ip -n "$1" -b -
}

# bad RC MESSAGE ARGS...: in a fresh namespace holding one policy,
# `xfrmctl -n NS ARGS...` fails with RC and MESSAGE, and the SPD is unchanged.
bad() {
	local rc=$1 msg=$2 ns before
	shift 2
	ns=$(ns_new a)
	"$X" -n "$ns" policy add $SEL dir out tmpl proto esp reqid 1
	before=$(spd "$ns")
	t_err "$rc" "$msg" "$X" -n "$ns" "$@"
	t_eq "$(spd "$ns")" "$before" "the SPD after the refusal"
}

n=0
# bad_case RC MESSAGE ARGS... : one t_case per bad input
bad_case() {
	n=$((n + 1))
	eval "case_bad_$n() { bad $(printf '%q ' "$@"); }"
	t_case "refused: xfrmctl ${*:3}" "case_bad_$n"
}

t_case "add: ip and xfrmctl -j read back every attribute" case_add_roundtrip
t_case "IPv6, ICMP type/code, GRE key, dev, 4-in-6 and optional templates" case_ipv6_upspec_roundtrip
t_case "kci_test_ipsec sequence: add, list, count, get, delete, flush" case_kci_sequence
t_case "update changes a policy in place (index kept) or adds it" case_update_keeps_index
t_case "priority: the lower number wins, proved by ping both ways" case_priority_traffic
t_case "get and delete by index" case_index_get_delete
t_case "list filters: dir, action, priority, ptype, index, selector prefixes" case_list_filters
t_case "sub policies: get by ptype, flush per type" case_sub_policies_and_flush
t_case "setdefault / getdefault round-trip, enforced, restored" case_setdefault_roundtrip
t_case "count and list show socket policies apart" case_socket_policy_count
t_case "500 policies from a batch, listed by one streamed dump" case_many_policies_batch
t_case "security context: shown as the kernel keeps it" case_ctx_as_ip
t_case "kernel refusals: exists, absent, no CAP_NET_ADMIN; SPD unchanged" case_kernel_refusals

bad_case 2 "xfrmctl: policy add: missing 'dir DIR'" \
	policy add $SEL
bad_case 2 "xfrmctl: policy add: bad direction 'sideways' after 'dir' (in, out, fwd)" \
	policy add $SEL dir sideways
bad_case 2 "xfrmctl: policy add: missing DIR after 'dir'" \
	policy add $SEL dir
bad_case 2 "xfrmctl: policy add: 'dir' given twice" \
	policy add $SEL dir out dir in
bad_case 2 "xfrmctl: policy add: bad action 'deny' after 'action' (allow, block)" \
	policy add $SEL dir out action deny
bad_case 2 "xfrmctl: policy add: bad policy type 'minor' after 'ptype' (main, sub)" \
	policy add $SEL dir out ptype minor
bad_case 2 "xfrmctl: policy add: bad number '4294967296' after 'priority' (0 to 4294967295)" \
	policy add $SEL dir out priority 4294967296
bad_case 2 "xfrmctl: policy add: unknown flag 'localOK' after 'flag'" \
	policy add $SEL dir out flag localOK
bad_case 2 "xfrmctl: policy add: unknown keyword 'colour'" \
	policy add $SEL dir out colour blue
bad_case 2 "xfrmctl: policy add: the SELECTOR must be given in one piece: 'proto' comes after other keywords" \
	policy add $SEL dir out proto udp
bad_case 2 "xfrmctl: policy add: SELECTOR mixes IPv4 and IPv6 addresses" \
	policy add src 10.0.0.0/24 dst fd00::/64 dir out
bad_case 2 "xfrmctl: policy add: bad prefix length '10.0.0.0/33' after 'src'" \
	policy add src 10.0.0.0/33 dir out
bad_case 2 "xfrmctl: policy add: 'dport' needs 'proto tcp|udp|sctp|dccp' before it" \
	policy add $SEL proto icmp dport 53 dir out
bad_case 2 "xfrmctl: policy add: index 8 does not match 'dir out' (index & 7 must be 1)" \
	policy add $SEL dir out index 8
bad_case 2 "xfrmctl: policy add: missing TMPL after 'tmpl'" \
	policy add $SEL dir out tmpl
bad_case 2 "xfrmctl: policy add: missing 'proto XFRM-PROTO' in tmpl 1" \
	policy add $SEL dir out tmpl src 10.0.0.1 dst 10.0.0.2 mode tunnel
bad_case 2 "xfrmctl: policy add: unknown protocol 'ipsec-any' after 'proto' (esp, ah, comp, route2, hao)" \
	policy add $SEL dir out tmpl proto ipsec-any
bad_case 2 "xfrmctl: policy add: bad level 'optional' after 'level' (required, use)" \
	policy add $SEL dir in tmpl proto esp level optional
bad_case 2 "xfrmctl: policy add: tmpl 1: 'level use' is not allowed with mode tunnel in a 'dir out' policy" \
	policy add $SEL dir out tmpl proto esp mode tunnel level use
bad_case 2 "xfrmctl: policy add: tmpl 1 is IPv6 but the SELECTOR is IPv4: only a tunnel or beet template can change the address family" \
	policy add $SEL dir out tmpl src fd00::1 dst fd00::2 proto esp
bad_case 2 "xfrmctl: policy add: tmpl 2 is IPv4 but tmpl 1 is IPv6: only a tunnel or beet template can change the address family" \
	policy add $SEL dir out tmpl src fd00::1 dst fd00::2 proto esp mode tunnel tmpl proto ah
bad_case 2 "xfrmctl: policy add: tmpl 1 mixes IPv4 and IPv6 addresses" \
	policy add $SEL dir out tmpl src 10.0.0.1 dst fd00::2 proto esp mode tunnel
bad_case 2 "xfrmctl: policy add: 'reqid' given twice in tmpl 1" \
	policy add $SEL dir out tmpl proto esp reqid 1 reqid 2
bad_case 2 "xfrmctl: policy add: more than 6 templates (the kernel's XFRM_MAX_DEPTH)" \
	policy add $SEL dir out tmpl proto esp tmpl proto esp tmpl proto esp tmpl proto esp \
	tmpl proto esp tmpl proto esp tmpl proto esp
bad_case 2 "xfrmctl: policy add: tmpl 1: SPI 0x00010000 of comp is a CPI and must be below 0x10000" \
	policy add $SEL dir out tmpl proto comp spi 0x10000
bad_case 2 "xfrmctl: policy add: unknown limit 'time-expire' after 'limit'" \
	policy add $SEL dir out limit time-expire 10
bad_case 2 "xfrmctl: policy add: bad mark mask '0x10/0xgg' after 'mark'" \
	policy add $SEL dir out mark 0x10/0xgg
bad_case 1 "xfrmctl: policy add: unknown device 'nosuch0' after 'dev'" \
	policy add $SEL dev nosuch0 dir out
bad_case 2 "xfrmctl: policy get: missing SELECTOR or 'index INDEX'" \
	policy get dir out
bad_case 2 "xfrmctl: policy get: 'index' and a SELECTOR exclude each other" \
	policy get $SEL index 9 dir out
bad_case 2 "xfrmctl: policy delete: index 9 does not match 'dir in' (index & 7 must be 0)" \
	policy delete index 9 dir in
bad_case 2 "xfrmctl: policy delete: unknown keyword 'priority'" \
	policy delete $SEL dir out priority 1
bad_case 2 "xfrmctl: policy list: unknown keyword 'tmpl'" \
	policy list tmpl proto esp
bad_case 2 "xfrmctl: policy flush: only 'ptype PTYPE' can narrow a flush, got 'dir'" \
	policy flush dir out
bad_case 2 "xfrmctl: policy count: unexpected 'all'" \
	policy count all
bad_case 2 "xfrmctl: policy setdefault: missing DIR ACTION (e.g. 'out block')" \
	policy setdefault
bad_case 2 "xfrmctl: policy setdefault: bad action 'drop' after 'out' (accept, block)" \
	policy setdefault in block out drop
bad_case 2 "xfrmctl: policy setdefault: bad direction 'forward' (in, out, fwd)" \
	policy setdefault forward block
bad_case 2 "xfrmctl: policy setdefault: 'in' given twice" \
	policy setdefault in block in accept
bad_case 2 "xfrmctl: policy: unknown command 'ad' (see 'xfrmctl policy help')" \
	policy ad $SEL dir out
t_done
