#!/bin/bash
# IPsec receive crypto offload, for real: the test NIC tests/kmod/xfrmnic.ko
# decrypts ESP for the SAs offloaded to it and hands the kernel skbs marked
# CRYPTO_DONE, as a NIC driver does; xfrm_input then runs esp_input_tail
# instead of esp_input. The sender encrypts in software. Each case has its
# own namespaces and xfrmnic pair (xa in A, xb in B) and its own SPIs.
#
# The module is built from tests/kmod before the first case, unless
# build/kmod/$(uname -r)/xfrmnic.ko is already up to date (make -C tests/kmod
# KVER=... on the host before the guest boots saves 100 s of TCG).
# One bpftrace for the whole file prints a line per esp_input,
# esp_input_tail, esp6_input and esp6_input_tail with the SA's SPI and the
# packet's sequence number; one case runs xfrmctl trace live (five at once).
# vm-options: -m 1G
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/ipsec.sh"
. "$T_TOP/tests/lib/json.sh"
. "$T_TOP/tests/lib/kmod.sh"
. "$T_TOP/tests/lib/live.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}
N=20 # datagrams per flow
GCM=(aead 'rfc4106(gcm(aes))' "$KEY_GCM128" 128)
ID4=(src 10.0.0.1 dst 10.0.0.2 proto esp)

kmod_build
kmod_load
# stat_is NS DEV NAME VALUE: an xfrmnic counter has that value (for t_retry)
stat_is() { [ "$(kmod_stat "$1" "$2" "$3")" = "$4" ]; }
DMESG_START=$(dmesg | wc -l)

# ---- the tracer, shared by the cases ----

TR=$T_LOGDIR/esp.trace
tracer_prog() {
	local f
	echo 'BEGIN { printf("READY\n"); }'
	for f in esp_input esp_input_tail esp6_input esp6_input_tail; do
		# (struct xfrm_state *x, struct sk_buff *skb), skb->data at the ESP header
		printf 'kprobe:%s { printf("%s spi=0x%%08x seq=%%u\\n", bswap(((struct xfrm_state *)arg0)->id.spi), bswap(*(uint32 *)(((struct sk_buff *)arg1)->data + 4))); }\n' "$f" "$f"
	done
}
bpftrace -e "$(tracer_prog)" >"$TR" 2>"$TR.err" &
TRACER=$!
trap 'kill $TRACER 2>/dev/null; rm -rf "$T_LOGDIR"' EXIT

tracer_ready() {
	local end=$((SECONDS + 300))
	until grep -q '^READY' "$TR"; do
		kill -0 $TRACER 2>/dev/null || t_fail "bpftrace died: $(cat "$TR.err")"
		[ $SECONDS -lt $end ] || t_fail "bpftrace: no READY after 300 s"
		sleep 0.5
	done
}

# traced FUNC SPI: the sequence numbers FUNC saw for SPI, sorted, one line
traced() {
	grep -E "^$1 spi=$(printf '0x%08x' "$2") " "$TR" | sed 's/.* seq=//' | sort -n | tr '\n' ' ' |
		sed 's/ $//'
}
traced_n() { traced "$1" "$2" | wc -w; }
traced_ge() { [ "$(traced_n "$1" "$2")" -ge "$3" ]; }
# path_is SPI COUNT software|offload [6]: the tracer saw sequence numbers
# 1..COUNT for SPI in esp_input (software) or esp_input_tail (offload), and
# none in the other. Where the lead's `xfrmctl trace live -j` assertions on
# the same traffic go next to this.
path_is() {
	local spi=$1 n=$2 path=$3 v=${4:-} want other
	want=esp${v}_input_tail other=esp${v}_input
	[ "$path" = software ] && { want=esp${v}_input other=esp${v}_input_tail; }
	t_retry 30 traced_ge "$want" "$spi" "$n" ||
		t_fail "$want saw $(traced_n "$want" "$spi") packets of SPI $spi, want $n"
	t_eq "$(traced "$want" "$spi")" "$(seq -s ' ' 1 "$n")" "$want: sequence numbers of SPI $spi"
	t_eq "$(traced "$other" "$spi")" "" "$other: sequence numbers of SPI $spi"
}

# ---- set-ups ----

# flow SPI REQID PORT software|offload [WORDS...]: an SA A -> B in both
# namespaces (B's offloaded to xb when asked), and policies sending UDP to
# PORT through it; WORDS are added to both SAs.
flow() {
	local spi=$1 reqid=$2 port=$3 how=$4 off=()
	shift 4
	[ "$how" = offload ] && off=(offload dev xb dir in)
	"$X" -n "$A" state add "${ID4[@]}" spi "$spi" reqid "$reqid" mode transport "${GCM[@]}" "$@"
	"$X" -n "$B" state add "${ID4[@]}" spi "$spi" reqid "$reqid" mode transport "${GCM[@]}" "$@" "${off[@]}"
	ip -n "$A" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 proto udp dport "$port" dir out \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid "$reqid" mode transport
	ip -n "$B" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 proto udp dport "$port" dir in \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid "$reqid" mode transport
}

# traffic DIR ADDR-A ADDR-B PORT...: N datagrams from A to each PORT of B;
# all of them must arrive (B's receivers write them to DIR/recv.PORT), in
# any order: like veth, xfrmnic hands frames to the backlog of the CPU that
# sends them, and the sender can move. ESP-in-UDP needs encap_hold first.
traffic() {
	local dir=$1 src=$2 dst=$3 port pids=()
	shift 3
	for port in "$@"; do
		ip netns exec "$B" "$T_TOP/tests/lib/udp.py" recv "$dst" "$port" $N 30 \
			>"$dir/recv.$port" 2>"$dir/recv.$port.err" &
		pids+=($!)
		t_retry 10 grep -q listening "$dir/recv.$port.err" ||
			t_fail "receiver on $port: $(cat "$dir/recv.$port.err")"
	done
	for port in "$@"; do
		ip netns exec "$A" "$T_TOP/tests/lib/udp.py" send "$src" "$dst" "$port" $N
	done
	wait "${pids[@]}"
	for port in "$@"; do
		t_eq "$(sort "$dir/recv.$port" | tr '\n' ' ')" "$(seq -f '%08g' -s ' ' 0 $((N - 1))) " \
			"datagrams received on $port"
	done
}

# nic NS DEV: the device's offload counters on one line, "name=value ..."
nic() {
	ip netns exec "$1" ethtool -S "$2" | awk 'NR > 1 { sub(":", "=", $1); printf "%s%s%s", sep, $1, $2; sep = " " }'
}

# rx_esp_is NS N: xb in NS decrypted or passed through N ESP packets in all
rx_esp_is() {
	[ $(($(kmod_stat "$1" xb rx_decrypted) + $(kmod_stat "$1" xb rx_passthrough))) = "$2" ]
}

# sa_packets NS SPI: the kernel's packet counter of that SA (xfrmctl -s)
sa_packets() {
	"$X" -n "$1" -j -s state get "${ID4[@]}" spi "$2" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["current"]["packets"])'
}

xfrm_in() { ip netns exec "$1" grep '^XfrmIn' /proc/net/xfrm_stat; }
# moved BEFORE AFTER: the counters that changed ("name+delta", or "none")
moved() {
	python3 - "$1" "$2" <<-'PY'
	import sys
	a = dict(l.split() for l in sys.argv[1].splitlines())
	b = dict(l.split() for l in sys.argv[2].splitlines())
	m = ["%s+%d" % (k, int(b[k]) - int(a[k])) for k in a if a[k] != b[k]]
	print(" ".join(m) or "none")
	PY
}

kver_ge() { # MAJOR MINOR: the running kernel is at least that
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	[ "$major" -gt "$1" ] || { [ "$major" = "$1" ] && [ "$minor" -ge "$2" ]; }
}

# capture NS DEV FILE: tcpdump of ESP and ESP-in-UDP on DEV into FILE
capture() {
	ip netns exec "$1" tcpdump -Z root --immediate-mode -U -i "$2" -n -w "$3" \
		'esp or udp port 4500' 2>"$3.err" &
	t_defer kill $!
	t_retry 10 grep -q listening "$3.err" || t_fail "tcpdump on $2: $(cat "$3.err")"
}
frames() { "$T_TOP/tests/lib/inject.py" --count "$1"; }
frames_ge() { [ "$(frames "$1")" -ge "$2" ]; }

# ---- cases ----

# refused SPI WHY ARGS...: `xfrmctl state add ID spi SPI ARGS` in B is
# refused by the device, which logged WHY, and from 6.2 on put it in the
# extack (6.1 passes the driver none and says it in its own words)
refused() {
	local spi=$1 why=$2 shown
	shift 2
	shown="xfrmnic: $why"
	kver_ge 6 2 || shown="Device failed to offload this state"
	t_err 1 "xfrmctl: state add: SA esp spi $(printf '0x%08x' "$spi") dst 10.0.0.2: Invalid argument ($shown)" \
		"$X" -n "$B" state add "${ID4[@]}" spi "$spi" "$@"
	dmesg | tail -n 20 | grep -qF "xb: SA not offloaded: $why" || t_fail "no '$why' in the kernel log"
}

# SAs offloaded to xfrmnic: what the kernel and xfrmctl say, and what the
# device refuses (the kernel's and the device's own reasons).
case_state_offload() {
	kmod_pair
	t_run "$X" -n "$B" state add "${ID4[@]}" spi 0x100 reqid 1 mode transport "${GCM[@]}" offload dev xb dir in
	t_eq "$rc" 0 "state add ... offload dev xb dir in (stderr: $err)"
	t_json "$("$X" -n "$B" -j state list)" '[(s["spi"], s["offload"]) for s in j]' \
		'[[256, {"type": "crypto", "dev": "xb", "dir": "in"}]]'
	t_match "$(ip -n "$B" xfrm state)" "crypto offload parameters: dev xb dir in" "ip xfrm state"
	t_eq "$(kmod_stat "$B" xb sa_added)" 1 "sa_added"

	# refused by the device, which says why in the kernel log, and from
	# 6.2 on in the extack (6.1 passes the driver none: the kernel then
	# says it in its own words)
	refused 0x101 "only AEAD rfc4106(gcm(aes)) is supported" \
		mode transport enc 'cbc(aes)' "$KEY_AES128" auth 'hmac(sha256)' "$KEY_SHA256" \
		offload dev xb dir in
	refused 0x101 "only receive (dir in) offload is supported" \
		mode transport "${GCM[@]}" offload dev xb dir out
	# packet offload: the device refuses it; 6.1 does not know it at all
	if kver_ge 6 2; then
		refused 0x102 "only crypto offload is supported" \
			mode transport "${GCM[@]}" offload packet dev xb dir in
	else
		t_err 1 "xfrmctl: state add: SA esp spi 0x00000102 dst 10.0.0.2: Invalid argument (Unrecognized flags in offload request)" \
			"$X" -n "$B" state add "${ID4[@]}" spi 0x102 mode transport "${GCM[@]}" offload packet dev xb dir in
	fi
	t_json "$("$X" -n "$B" -j state list)" '[s["spi"] for s in j]' '[256]'
	t_eq "$(kmod_stat "$B" xb sa_added)" 1 "sa_added after the refusals"

	# ESP offload cannot be switched off under an offloaded SA
	ip netns exec "$B" ethtool -K xb esp-hw-offload off 2>/dev/null || true
	t_match "$(ip netns exec "$B" ethtool -k xb | grep '^esp-hw-offload:')" '^esp-hw-offload: on' "esp-hw-offload with an SA"

	t_run "$X" -n "$B" state delete "${ID4[@]}" spi 0x100
	t_eq "$rc" 0 "state delete ($err)"
	t_eq "$(kmod_stat "$B" xb sa_deleted)" 1 "sa_deleted"
	# with no SA it can, and then the device takes none (the refused
	# request is still the wanted state: the kernel only looks at it again
	# on the next change, so withdraw it first)
	ip netns exec "$B" ethtool -K xb esp-hw-offload on
	ip netns exec "$B" ethtool -K xb esp-hw-offload off
	t_match "$(ip netns exec "$B" ethtool -k xb | grep '^esp-hw-offload:')" '^esp-hw-offload: off' "esp-hw-offload, no SA"
	refused 0x105 "ESP offload (esp-hw-offload) is off" mode transport "${GCM[@]}" offload dev xb dir in
	ip netns exec "$B" ethtool -K xb esp-hw-offload on

	# the device going away takes its offloaded SAs with it, not the others
	"$X" -n "$B" state add "${ID4[@]}" spi 0x103 mode transport "${GCM[@]}" offload dev xb dir in
	"$X" -n "$B" state add "${ID4[@]}" spi 0x104 mode transport "${GCM[@]}"
	ip -n "$B" link del xb
	t_json "$("$X" -n "$B" -j state list)" '[s["spi"] for s in j]' '[260]'
	! ip -n "$A" link show xa >/dev/null 2>&1 || t_fail "xa is still there after xb was deleted"
}

# Two SAs between the same namespaces, one offloaded, one not: each packet
# takes its SA's path, and every counter agrees.
case_offload_beside_software() {
	kmod_pair
	tracer_ready
	flow 0x1100 1 7777 offload
	flow 0x1200 2 7778 software
	local d before
	d=$(mktemp -d)
	before=$(xfrm_in "$B")
	traffic "$d" 10.0.0.1 10.0.0.2 7777 7778
	t_eq "$(nic "$B" xb)" \
		"rx_decrypted=$N rx_auth_failed=0 rx_errors=0 rx_passthrough=$N rx_fallback=0 sa_added=1 sa_deleted=0" \
		"xb's counters"
	t_eq "$(nic "$A" xa)" \
		"rx_decrypted=0 rx_auth_failed=0 rx_errors=0 rx_passthrough=0 rx_fallback=0 sa_added=0 sa_deleted=0" \
		"xa's counters"
	t_eq "$(sa_packets "$B" 0x1100)/$(sa_packets "$B" 0x1200)" "$N/$N" "B's SA packet counters"
	t_eq "$(sa_packets "$A" 0x1100)/$(sa_packets "$A" 0x1200)" "$N/$N" "A's SA packet counters"
	t_eq "$(moved "$before" "$(xfrm_in "$B")")" none "XfrmIn counters"
	path_is 0x1100 $N offload
	path_is 0x1200 $N software
}

# ESP-in-UDP and plain ESP at once. Linux allows crypto offload of an SA
# with encapsulation only since 6.12 (Mike Yu's series of July 2024; before,
# xfrm_dev_state_add refuses it), where xfrm_input also takes CRYPTO_DONE
# with encap_type ESPINUDP (on 6.1 only with encap_type 0 or GRO). On
# older kernels the NAT-T SA stays in software and xfrmnic passes its
# packets through. IKE (a zero non-ESP marker) and NAT-T keepalives to 4500
# are not ESP to the device either way.
case_natt_and_plain() {
	kmod_pair
	tracer_ready
	flow 0x2100 1 7777 offload
	local natt=(encap espinudp 4500 4500 0.0.0.0) natt_path=offload d
	if kver_ge 6 12; then
		flow 0x2200 2 7778 offload "${natt[@]}"
	else
		natt_path=software
		t_err 1 "xfrmctl: state add: SA esp spi 0x00002200 dst 10.0.0.2: Invalid argument (Encapsulation and TFC padding can't be offloaded)" \
			"$X" -n "$B" state add "${ID4[@]}" spi 0x2200 reqid 2 mode transport "${GCM[@]}" "${natt[@]}" \
			offload dev xb dir in
		t_json "$("$X" -n "$B" -j state list)" '[s["spi"] for s in j]' '[8448]'
		flow 0x2200 2 7778 software "${natt[@]}"
	fi
	d=$(mktemp -d)
	encap_hold "$d"
	ip netns exec "$A" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.1", 4500))
s.sendto(b"\0\0\0\0IKE", ("10.0.0.2", 4500))
s.sendto(b"\xff", ("10.0.0.2", 4500))'
	traffic "$d" 10.0.0.1 10.0.0.2 7777 7778
	if [ $natt_path = offload ]; then
		t_eq "$(nic "$B" xb)" \
			"rx_decrypted=$((2 * N)) rx_auth_failed=0 rx_errors=0 rx_passthrough=0 rx_fallback=0 sa_added=2 sa_deleted=0" \
			"xb's counters"
	else
		t_eq "$(nic "$B" xb)" \
			"rx_decrypted=$N rx_auth_failed=0 rx_errors=0 rx_passthrough=$N rx_fallback=0 sa_added=1 sa_deleted=0" \
			"xb's counters"
	fi
	t_eq "$(sa_packets "$B" 0x2100)/$(sa_packets "$B" 0x2200)" "$N/$N" "B's SA packet counters"
	path_is 0x2100 $N offload
	path_is 0x2200 $N $natt_path
}

# Plain ESP over IPv6: esp6_input_tail.
case_ipv6() {
	kmod_pair
	tracer_ready
	local ns off=() d
	for ns in "$A" "$B"; do
		[ "$ns" = "$B" ] && off=(offload dev xb dir in)
		"$X" -n "$ns" state add src fd00::1 dst fd00::2 proto esp spi 0x5100 reqid 5 mode transport \
			"${GCM[@]}" "${off[@]}"
	done
	ip -n "$A" xfrm policy add src fd00::1/128 dst fd00::2/128 proto udp dport 7777 dir out \
		tmpl src fd00::1 dst fd00::2 proto esp reqid 5 mode transport
	ip -n "$B" xfrm policy add src fd00::1/128 dst fd00::2/128 proto udp dport 7777 dir in \
		tmpl src fd00::1 dst fd00::2 proto esp reqid 5 mode transport
	d=$(mktemp -d)
	traffic "$d" fd00::1 fd00::2 7777
	t_eq "$(kmod_stat "$B" xb rx_decrypted)" $N "rx_decrypted"
	path_is 0x5100 $N offload 6
}

# A frame of the offloaded SA with its ICV flipped, sent again: the device
# reports the authentication failure and xfrm_input drops the packet as
# XfrmInStateProtoError before anything else, even though the frame is
# also a replay (software ESP checks the replay window first and counts
# XfrmInStateSeqError: tests/vm/t-verify.sh). The same frame intact is a
# replay: XfrmInStateSeqError, after the device decrypted it.
case_icv_failure() {
	kmod_pair
	tracer_ready
	flow 0x3100 1 7777 offload replay-window 32
	local d before
	d=$(mktemp -d)
	capture "$A" xa "$d/tx.pcap"
	traffic "$d" 10.0.0.1 10.0.0.2 7777
	t_retry 10 frames_ge "$d/tx.pcap" $N || t_fail "capture: $(frames "$d/tx.pcap") of $N frames"
	cp "$d/tx.pcap" "$d/orig.pcap"
	path_is 0x3100 $N offload

	before=$(xfrm_in "$B")
	ip netns exec "$A" "$T_TOP/tests/lib/inject.py" "$d/orig.pcap" 3 xa flip-last
	t_retry 10 stat_is "$B" xb rx_auth_failed 1 ||
		t_fail "rx_auth_failed: $(kmod_stat "$B" xb rx_auth_failed)"
	sleep 0.5
	t_eq "$(moved "$before" "$(xfrm_in "$B")")" "XfrmInStateProtoError+1" "XfrmIn counters, ICV flipped"
	t_json "$("$X" -n "$B" -j -s state get "${ID4[@]}" spi 0x3100)" '[j["stats"]["failed"], j["current"]["packets"]]' \
		"[1, $N]"
	t_eq "$(traced_n esp_input_tail 0x3100)/$(traced_n esp_input 0x3100)" "$N/0" \
		"esp_input_tail/esp_input calls: the failed frame reached neither"

	before=$(xfrm_in "$B")
	ip netns exec "$A" "$T_TOP/tests/lib/inject.py" "$d/orig.pcap" 3 xa none
	t_retry 10 stat_is "$B" xb rx_decrypted $((N + 1)) ||
		t_fail "rx_decrypted: $(kmod_stat "$B" xb rx_decrypted)"
	sleep 0.5
	t_eq "$(moved "$before" "$(xfrm_in "$B")")" "XfrmInStateSeqError+1" "XfrmIn counters, replay"
	t_eq "$(nic "$B" xb)" \
		"rx_decrypted=$((N + 1)) rx_auth_failed=1 rx_errors=0 rx_passthrough=0 rx_fallback=0 sa_added=1 sa_deleted=0" \
		"xb's counters"
	echo "esp_input_tail calls after the replay: $(traced_n esp_input_tail 0x3100) (6.1 checks the window before, later kernels after)"
}

# What went on the wire is real ESP: the capture at the sender verifies
# against B's SA. The capture at the receiving device shows what a NIC with
# receive offload hands up: the ESP header, then the payload in clear.
case_capture_verifies() {
	kmod_pair
	flow 0x4100 1 7777 offload
	local d
	d=$(mktemp -d)
	capture "$A" xa "$d/tx.pcap"
	capture "$B" xb "$d/rx.pcap"
	traffic "$d" 10.0.0.1 10.0.0.2 7777
	t_retry 10 frames_ge "$d/tx.pcap" $N || t_fail "tx capture: $(frames "$d/tx.pcap") of $N frames"
	t_retry 10 frames_ge "$d/rx.pcap" $N || t_fail "rx capture: $(frames "$d/rx.pcap") of $N frames"
	t_eq "$(kmod_stat "$B" xb rx_decrypted)" $N "rx_decrypted"

	t_run "$X" -n "$B" -j verify --pcap "$d/tx.pcap"
	t_eq "$rc" 0 "verify the sender's capture: exit status ($err)"
	t_json "$(printf '%s\n' "$out" | tail -n1)" 'j["summary"][0]["verdicts"]' "{\"ok\": $N}"
	t_json "$(printf '%s\n' "$out" | head -n1)" '[j["spi"], j["seq"], j["verdict"]]' '[16640, 1, "ok"]'

	python3 - "$d/tx.pcap" "$d/rx.pcap" $N <<-'PY' || t_fail "payloads"
	import struct, sys
	def frames(path):
	    data, off = open(path, "rb").read(), 24
	    while off < len(data):
	        n = struct.unpack("<I", data[off + 8:off + 12])[0]
	        yield data[off + 16:off + 16 + n]
	        off += 16 + n
	n = int(sys.argv[3])
	# Ethernet 14, IPv4 20, ESP 8 (sequence number at 38), IV 8, then the
	# inner UDP header 8 and the payload at 58; frames by sequence number
	seq = lambda f: struct.unpack(">I", f[38:42])[0]
	tx = {seq(f): f for f in frames(sys.argv[1])}
	rx = {seq(f): f for f in frames(sys.argv[2])}
	assert sorted(tx) == sorted(rx) == list(range(1, n + 1)), (sorted(tx), sorted(rx))
	for i in range(1, n + 1):
	    want = b"xfrmctl-test %08d " % (i - 1)
	    assert rx[i][58:58 + len(want)] == want, (i, rx[i][:80].hex())
	    assert b"xfrmctl-test" not in tx[i], "plaintext in the sender's capture"
	    assert tx[i][:50] == rx[i][:50], "headers or IVs differ"
	PY
	# verify, as software ESP, finds the clear payload's "ICV" wrong
	t_run "$X" -n "$B" -j verify --pcap "$d/rx.pcap"
	t_eq "$rc" 3 "verify the receiver's capture: exit status"
	t_json "$(printf '%s\n' "$out" | tail -n1)" 'j["summary"][0]["verdicts"]' \
		"{\"XfrmInStateProtoError\": $N}"
}

# ESN: the associated data holds the high 32 bits of the sequence number,
# which are not on the wire; the device gets them from the SA's replay
# state (xfrm_replay_seqhi). The flow starts 10 packets before the low 32
# bits wrap, so its second half is authenticated with the next high bits.
case_esn_wrap() {
	kmod_pair
	tracer_ready
	flow 0x7100 1 7777 offload flag esn replay-window 32 \
		replay-seq-hi 1 replay-seq 0xfffffff5 replay-oseq-hi 1 replay-oseq 0xfffffff5
	local d
	d=$(mktemp -d)
	traffic "$d" 10.0.0.1 10.0.0.2 7777
	t_eq "$(nic "$B" xb)" \
		"rx_decrypted=$N rx_auth_failed=0 rx_errors=0 rx_passthrough=0 rx_fallback=0 sa_added=1 sa_deleted=0" \
		"xb's counters"
	t_json "$("$X" -n "$B" -j state get "${ID4[@]}" spi 0x7100)" \
		'[j["replay-esn"]["seq-hi"], j["replay-esn"]["seq"]]' "[2, $((N / 2 - 1))]"
	t_retry 30 traced_ge esp_input_tail 0x7100 $N || t_fail "esp_input_tail: $(traced esp_input_tail 0x7100)"
	t_eq "$(traced esp_input_tail 0x7100)" \
		"$(seq -s ' ' 0 $((N / 2 - 1))) $(seq -s ' ' $((0x100000000 - N / 2)) 4294967295)" \
		"esp_input_tail: low sequence numbers"
	t_eq "$(traced esp_input 0x7100)" "" "esp_input"
}

# The SA goes and comes back while its packets arrive: every ESP packet is
# either decrypted (SA offloaded) or passed through (SA gone; the kernel
# drops it for want of an SA), nothing else, and nothing breaks.
case_sa_churn() {
	kmod_pair
	flow 0x6100 1 7777 offload
	local n=300
	ip netns exec "$A" "$T_TOP/tests/lib/udp.py" send 10.0.0.1 10.0.0.2 7777 $n &
	local sender=$!
	for _ in $(seq 10); do
		sleep 0.2
		"$X" -n "$B" state delete "${ID4[@]}" spi 0x6100
		"$X" -n "$B" state add "${ID4[@]}" spi 0x6100 reqid 1 mode transport "${GCM[@]}" offload dev xb dir in
	done
	wait $sender
	t_eq "$(sa_packets "$A" 0x6100)" $n "ESP packets sent"
	t_retry 10 rx_esp_is "$B" $n || t_fail "decrypted + passed through: $(nic "$B" xb)"
	t_eq "$(nic "$B" xb | sed 's/rx_decrypted=[0-9]* //; s/rx_passthrough=[0-9]* //')" \
		"rx_auth_failed=0 rx_errors=0 rx_fallback=0 sa_added=11 sa_deleted=10" "the other counters"
	nic "$B" xb
}

# rmmod while an SA is offloaded and its traffic has just passed: the
# devices go, the kernel takes the SA back (deletes it), nothing is left
# holding the module or a device, and the kernel said nothing alarming
# while the module was in.
case_unload() {
	kmod_pair
	flow 0x8100 1 7777 offload
	local d log
	d=$(mktemp -d)
	traffic "$d" 10.0.0.1 10.0.0.2 7777
	t_eq "$(kmod_stat "$B" xb rx_decrypted)" $N "rx_decrypted"
	t_run kmod_unload
	t_eq "$rc" 0 "rmmod xfrmnic ($err)"
	t_eq "$(ip -n "$B" -o link show | grep -c xb || true)" 0 "xb after rmmod"
	t_json "$("$X" -n "$B" -j state list)" '[s["spi"] for s in j]' '[]'
	log=$(dmesg | tail -n +"$((DMESG_START + 1))")
	echo "$log" | tail -n 20
	if echo "$log" | grep -E 'WARNING|BUG|Oops|refcount_t|leak|unregister_netdevice: waiting|general protection'; then
		t_fail "kernel log"
	fi
}

# xfrmctl trace live on the two paths side by side: the offloaded SA's
# packets through esp_input_tail and never esp_input, the other SA's
# through esp_input; --expect-path passes for the offloaded one and fails
# (exit 3, with the reason) when the wrong path is expected (software as
# expected is in t-trace.sh); an ICV-corrupted packet on
# the offloaded SA is a drop with the counter the kernel moved. The events
# mode says the same of each packet: path offload, esp_input_tail.
case_trace_live() {
	D=$(mktemp -d)
	t_defer rm -rf "$D"
	kmod_pair
	flow 0x4100 1 7777 offload replay-window 32
	flow 0x4200 2 7778 software
	live_start agg -n "$B" -j trace live
	live_start off -n "$B" -j trace live --spi 0x4100 --expect-path offload --count $N
	live_start wrong -n "$B" trace live --spi 0x4100 --expect-path software --count $N
	live_start ev -n "$B" -j trace live --events --spi 0x4100
	local n before s
	for n in agg off wrong ev; do
		live_ready $n
	done
	capture "$A" xa "$D/tx.pcap"
	traffic "$D" 10.0.0.1 10.0.0.2 7777 7778
	t_eq "$(live_wait off)" 0 "offload expected for 0x4100: exit status ($(cat "$D/off.err"))"
	t_json "$(summary off)" '[j["expect"]["ok"], j["expect"]["detail"]]' \
		"[true, \"spi 0x00004100: all $N decryptions took the offload path\"]"
	t_eq "$(live_wait wrong)" 3 "software expected for 0x4100: exit status"
	t_eq "$(tail -n1 "$D/wrong.err")" \
		"xfrmctl: trace live: spi 0x00004100: $N of $N decryptions took the offload path (esp_input_tail), expected software" \
		"software expected for 0x4100: the reason"

	t_retry 10 frames_ge "$D/tx.pcap" $N || t_fail "capture: $(frames "$D/tx.pcap") of $N frames"
	cp "$D/tx.pcap" "$D/orig.pcap"
	before=$(xfrm_in "$B")
	ip netns exec "$A" "$T_TOP/tests/lib/inject.py" "$D/orig.pcap" 3 xa flip-last
	t_retry 10 stat_is "$B" xb rx_auth_failed 1 || t_fail "rx_auth_failed: $(kmod_stat "$B" xb rx_auth_failed)"
	sleep 0.5
	t_eq "$(moved "$before" "$(xfrm_in "$B")")" "XfrmInStateProtoError+1" "XfrmIn counters, ICV flipped"
	t_retry 60 sa_seen agg 0x4100 drops 1 || t_fail "no drop for 0x4100: $(tail -n2 "$D/agg.out")"
	t_eq "$(live_stop agg)" 0 "aggregate: exit status after SIGINT ($(cat "$D/agg.err"))"
	t_retry 60 events_is ev 'len(DR)' 1 || t_fail "events: no drop: $(tail -n2 "$D/ev.out")"
	t_eq "$(live_stop ev)" 0 "events: exit status after SIGINT ($(cat "$D/ev.err"))"

	# events: N packets decrypted by the device (esp_input_tail, never
	# esp_input), then the corrupted one (a frame sent again), which got
	# as far as xfrm_input, and its drop
	t_eq "$(events ev '[p["seq"] for p in P[:-1]]')" "$(python3 -c "import json; print(json.dumps(list(range(1, $N + 1))))")" \
		"events: a packet object per decrypted packet"
	t_eq "$(events ev 'sorted({(p["spi"], p["encap_type"], p["path"], p["gro"], p["err"], p["hops"][:2] == ["xfrm4_rcv", "xfrm_input"], "esp_input_tail" in p["hops"], "esp_input" in p["hops"], p["hops"].index("esp_input_tail") < p["hops"].index("esp_input_done2"), tuple(p["inner_hops"])) for p in P[:-1]})')" \
		'[[16640, 0, "offload", false, 0, true, true, false, true, []]]' \
		"events: every decrypted packet offloaded, through esp_input_tail, in path order"
	t_eq "$(events ev '[P[-1]["hops"], "path" in P[-1], "err" in P[-1]]')" '[["xfrm4_rcv", "xfrm_input"], false, false]' \
		"events: the corrupted packet's hops"
	t_eq "$(events ev '[[d[k] for k in ("seq", "counter", "stage", "skb", "ns")] == [P[-1]["seq"], "XfrmInStateProtoError", "xfrm_input", P[-1]["skb"], P[-1]["ns"]] and 1 <= d["seq"] <= len(P) - 1 for d in DR]')" '[true]' \
		"events: its drop"

	s=$(summary agg)
	t_json "$s" 'sorted(x["spi"] for x in j["sas"])' '[16640, 16896]'
	t_json "$s" '[[x[k] for k in ("packets", "path", "decrypted", "drops", "offload")] for x in sorted(j["sas"], key=lambda x: x["spi"])]' \
		"[[$((N + 1)), \"offload\", {\"software\": 0, \"offload\": $N, \"gro\": 0}, 1, {\"dev\": \"xb\", \"dir\": \"in\"}], [$N, \"software\", {\"software\": $N, \"offload\": 0, \"gro\": 0}, 0, null]]"
	t_json "$s" '[[x["hops"]["outer"].get(h) for h in ("xfrm4_rcv", "xfrm_input", "esp_input", "esp_input_tail", "esp_input_done2")] for x in sorted(j["sas"], key=lambda x: x["spi"])]' \
		"[[$((N + 1)), $((N + 1)), null, $N, $N], [$N, $N, $N, null, $N]]"
	t_json "$s" '[(d["counter"], d["stage"], d["count"]) for x in j["sas"] for d in x["drop_kinds"]]' \
		'[["XfrmInStateProtoError", "xfrm_input", 1]]'
}

t_case "state add ... offload dev xb dir in: listed, counted, refusals explained" case_state_offload
t_case "offloaded SA beside a software SA: esp_input_tail vs esp_input, counters agree" case_offload_beside_software
t_case "NAT-T and plain ESP (NAT-T offloaded from 6.12 on)" case_natt_and_plain
t_case "IPv6 plain ESP offloaded: esp6_input_tail" case_ipv6
t_case "ICV flipped on the offloaded SA: XfrmInStateProtoError, even as a replay" case_icv_failure
t_case "the sender's capture verifies; the receiver's shows the device's clear text" case_capture_verifies
t_case "ESN across the 2^32 wrap: the device authenticates with the right high bits" case_esn_wrap
t_case "SA deleted and re-added 10 times under traffic: every packet accounted for" case_sa_churn
t_case "trace live: esp_input_tail for the offloaded SA, esp_input for the other, drops" case_trace_live
t_case "rmmod with an offloaded SA: the SA goes, nothing left, nothing in the kernel log" case_unload
kill $TRACER 2>/dev/null
wait $TRACER 2>/dev/null
# kept for a look when the guest runs with -o DIR
[ -z "${XFRMCTL_VM_OUT:-}" ] || cp "$TR" "$XFRMCTL_VM_OUT/offload-esp.trace" 2>/dev/null
t_done
