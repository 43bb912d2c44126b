#!/bin/bash
# xfrmctl verify with the kernel as the oracle: it decrypts the kernel's own
# ESP to exactly what was sent, and for crafted packets injected into the
# receiver its verdict is the XfrmIn* counter the kernel moved.
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/ipsec.sh"
. "$T_TOP/tests/lib/json.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}

# capture_start DIR: tcpdump on B's vb into DIR/cap.pcap ($CAP)
capture_start() {
	ip netns exec "$B" tcpdump -Z root --immediate-mode -U -i vb -n -w "$1/cap.pcap" \
		'udp port 4500 or esp' 2>"$1/tcpdump.err" &
	CAP=$!
	t_defer kill $CAP
	t_retry 10 grep -q listening "$1/tcpdump.err" || t_fail "tcpdump did not start"
}
capture_frames() { "$T_TOP/tests/lib/inject.py" --count "$1"; }

# xfrm_stat_all NS: the XfrmIn* counters, "name value" lines
xfrm_stat_all() { ip netns exec "$1" grep '^XfrmIn' /proc/net/xfrm_stat; }
# moved BEFORE AFTER: the counters that changed, space-separated ("ok" if none)
moved() {
	local m
	m=$(diff <(echo "$1") <(echo "$2") | awk '/^>/ {print $2}' | tr '\n' ' ')
	echo "${m:-ok}" | sed 's/ $//'
}

case_kernel_traffic_decrypts() {
	ns_pair
	natt_transport 0x1000 replay-window 32
	local d
	d=$(mktemp -d)
	capture_start "$d"
	udp_flow 20 "$d"
	t_retry 10 bash -c "[ \$('$T_TOP/tests/lib/inject.py' --count '$d/cap.pcap') -ge 20 ]" || t_fail "capture incomplete"
	t_run "$X" -n "$B" -j verify --pcap "$d/cap.pcap" --write-decrypted "$d/inner.pcap"
	t_eq "$rc" 0 "exit status ($err)"
	printf '%s\n' "$out" | head -n 20 >"$d/lines"
	t_eq "$(python3 -c 'import json,sys; print(sum(json.loads(l)["verdict"] == "ok" for l in open(sys.argv[1])))' "$d/lines")" 20 "packets ok"
	t_json "$(sed -n 1p "$d/lines")" '[j["spi"], j["seq"], j["encap-dport"], j["inner"]["proto"], j["inner"]["sport"], j["inner"]["dport"]]' '[4096, 1, 4500, "udp", 7777, 7777]'
	t_json "$(sed -n 20p "$d/lines")" 'j["seq"]' 20
	t_json "$(printf '%s\n' "$out" | tail -n1)" 'j["summary"][0]["verdicts"]' '{"ok": 20}'
	# the decrypted packets are what the sender sent, byte for byte
	python3 - "$d/inner.pcap" "$T_TOP/tests/lib" <<-'PY' || t_fail "decrypted payloads differ"
	import struct, sys
	sys.path.insert(0, sys.argv[2])
	import importlib.util
	spec = importlib.util.spec_from_file_location("udp", sys.argv[2] + "/udp.py")
	data = open(sys.argv[1], "rb").read()
	off, got = 24, []
	while off < len(data):
	    caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
	    pkt = data[off + 16:off + 16 + caplen]
	    ihl = (pkt[0] & 15) * 4
	    got.append(pkt[ihl + 8:])
	    off += 16 + caplen
	want = [(b"xfrmctl-test %08d " % i + b"." * 64)[:64] for i in range(20)]
	assert got == want, (len(got), got[:1], want[:1])
	PY
}

case_injected_verdicts_match_kernel() {
	ns_pair
	natt_transport 0x1000 replay-window 32
	local d
	d=$(mktemp -d)
	capture_start "$d"
	udp_flow 10 "$d"
	t_retry 10 bash -c "[ \$('$T_TOP/tests/lib/inject.py' --count '$d/cap.pcap') -ge 10 ]" || t_fail "capture incomplete"
	cp "$d/cap.pcap" "$d/orig.pcap"
	encap_hold "$d"
	local mutation want n before after kernel got
	# frame 5 again: a replay; with a bit of its ICV flipped; to another SPI;
	# and a fresh frame flipped, then the same frame intact (ICV failure does
	# not advance the window, so the kernel accepts it afterwards)
	for step in "5 none XfrmInStateSeqError" "5 flip-last XfrmInStateSeqError" \
		"5 spi+1 XfrmInNoStates"; do
		read -r n mutation want <<<"$step"
		before=$(xfrm_stat_all "$B")
		local frames_before
		frames_before=$(capture_frames "$d/cap.pcap")
		ip netns exec "$A" "$T_TOP/tests/lib/inject.py" "$d/orig.pcap" "$n" va "$mutation"
		t_retry 10 bash -c "[ \$('$T_TOP/tests/lib/inject.py' --count '$d/cap.pcap') -gt $frames_before ]" ||
			t_fail "injected frame not captured"
		sleep 0.5
		after=$(xfrm_stat_all "$B")
		kernel=$(moved "$before" "$after")
		t_run "$X" -n "$B" -j verify --pcap "$d/cap.pcap"
		got=$(printf '%s\n' "$out" | grep -v summary | tail -n1 |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["verdict"])')
		echo "frame $n $mutation: kernel $kernel, xfrmctl $got"
		t_eq "$kernel" "$want" "the kernel's counter for frame $n $mutation"
		t_eq "$got" "$kernel" "xfrmctl's verdict for frame $n $mutation"
		t_eq "$rc" 3 "exit status with a drop"
	done
}

case_no_replay_window() {
	ns_pair
	natt_transport 0x1000 # replay-window 0: the kernel checks no sequence number
	local d before after
	d=$(mktemp -d)
	capture_start "$d"
	udp_flow 3 "$d"
	t_retry 10 bash -c "[ \$('$T_TOP/tests/lib/inject.py' --count '$d/cap.pcap') -ge 3 ]" || t_fail "capture incomplete"
	cp "$d/cap.pcap" "$d/orig.pcap"
	encap_hold "$d"
	before=$(xfrm_stat_all "$B")
	ip netns exec "$A" "$T_TOP/tests/lib/inject.py" "$d/orig.pcap" 2 va none
	t_retry 10 bash -c "[ \$('$T_TOP/tests/lib/inject.py' --count '$d/cap.pcap') -ge 4 ]" || t_fail "not captured"
	sleep 0.5
	after=$(xfrm_stat_all "$B")
	t_eq "$(moved "$before" "$after")" ok "no XfrmIn counter moved"
	t_json "$("$X" -n "$B" -j -s state get src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1000)" \
		'j["current"]["packets"]' 4
	t_run "$X" -n "$B" -j verify --pcap "$d/cap.pcap"
	t_eq "$rc" 0 "exit status"
	t_json "$(printf '%s\n' "$out" | sed -n 4p)" '[j["verdict"], j["seq"]]' '["ok", 2]'
}

case_errors() {
	ns_pair
	t_err 2 "xfrmctl: verify: give one of '--pcap FILE' and '--live IFACE'" "$X" -n "$A" verify
	t_err 2 "xfrmctl: verify: unknown option '--pcapfile' (see 'xfrmctl verify help')" "$X" verify --pcapfile x
	t_err 1 "xfrmctl: verify: no ESP SA to verify against (the kernel has none here; -n NETNS?)" \
		"$X" -n "$A" verify --pcap /nonexistent
	local f
	f=$(mktemp)
	echo "src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x10 aead 'rfc4106(gcm(aes))' 0x00 128" >"$f"
	t_err 2 "xfrmctl: verify: $f line 1: key for 'rfc4106(gcm(aes))' must be 20, 28 or 36 bytes (salt included), got 1" \
		"$X" verify --sa-file "$f" --pcap /nonexistent
}

t_case "the kernel's ESP-in-UDP decrypts to exactly what was sent" case_kernel_traffic_decrypts
t_case "injected replay, ICV flip, wrong SPI: verdict = the kernel's counter" case_injected_verdicts_match_kernel
t_case "window 0: the kernel accepts a replay, and so does verify" case_no_replay_window
t_case "usage and SA errors" case_errors
t_done
