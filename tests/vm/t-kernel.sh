#!/bin/bash
# The kernel under test does ESP: SAs with ip xfrm, real ESP-in-UDP between
# two namespaces, and a kprobe that sees it. These prove the harness; the
# xfrmctl features have their own files.
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/ipsec.sh"

# ip xfrm state get SPI in NS, one line per attribute line
sa_get() {
	ip -n "$1" xfrm state get src 10.0.0.1 dst 10.0.0.2 proto esp spi "$2"
}

case_sa_gcm() {
	ns_pair
	ip -n "$A" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 mode transport \
		aead 'rfc4106(gcm(aes))' $KEY_GCM128 128
	local out
	out=$(sa_get "$A" 0x100)
	t_match "$out" "proto esp spi 0x00000100 reqid 0 mode transport" "SA header"
	t_match "$out" "aead rfc4106\(gcm\(aes\)\) $KEY_GCM128 128" "aead line"
	t_eq "$(ip -n "$A" xfrm state count)" $'\t SAD count 1' "SAD count"
}

case_sa_cbc_hmac() {
	ns_pair
	ip -n "$A" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x101 mode tunnel \
		enc 'cbc(aes)' $KEY_AES128 auth-trunc 'hmac(sha256)' $KEY_SHA256 128
	local out
	out=$(sa_get "$A" 0x101)
	t_match "$out" "mode tunnel" "mode"
	t_match "$out" "auth-trunc hmac\(sha256\) $KEY_SHA256 128" "auth line"
	t_match "$out" "enc cbc\(aes\) $KEY_AES128" "enc line"
}

case_natt_traffic() {
	ns_pair
	natt_transport 0x1000
	local d
	d=$(mktemp -d)
	ip netns exec "$B" tcpdump -Z root --immediate-mode -i vb -n -U -w "$d/esp.pcap" udp port 4500 2>"$d/tcpdump.err" &
	local tpid=$!
	t_defer kill $tpid
	t_retry 10 grep -q listening "$d/tcpdump.err" || t_fail "tcpdump did not start"
	local err0
	err0=$(xfrm_stat "$B" XfrmInTmplMismatch)
	udp_flow 20 "$d"
	# every one, in any order: veth queues a frame on the backlog of the
	# CPU that sent it, and the sender can move between CPUs
	t_eq "$(sort "$d/recv" | tr '\n' ' ')" "$(seq -f %08g -s ' ' 0 19) " "datagrams received through ESP"
	kill -INT $tpid
	wait $tpid || true
	tcpdump -r "$d/esp.pcap" -n | head -3
	t_eq "$(tcpdump -r "$d/esp.pcap" -n 2>/dev/null | grep -c 'UDP-encap: ESP(spi=0x00001000')" 20 \
		"ESP-in-UDP packets on the wire"
	t_eq "$(xfrm_stat "$B" XfrmInTmplMismatch)" "$err0" "XfrmInTmplMismatch"
	t_match "$(ip -n "$B" -s xfrm state)" "[0-9]+\(bytes\), 20\(packets\)" "packets counted by the SA"
}

case_kprobe_xfrm_input() {
	ns_pair
	natt_transport 0x1001
	local d
	d=$(mktemp -d)
	bpftrace -e 'BEGIN { printf("ready\n"); }
		kprobe:xfrm_input { @encap_type[arg3] = count(); }
		kprobe:esp_input { @esp_input = count(); }' >"$d/bt" 2>&1 &
	local bpid=$!
	t_defer kill $bpid
	t_retry 30 grep -q '^ready' "$d/bt" || t_fail "bpftrace did not attach: $(cat "$d/bt")"
	udp_flow 10 "$d"
	t_eq "$(wc -l <"$d/recv")" 10 "datagrams received"
	kill -INT $bpid
	wait $bpid || true
	cat "$d/bt"
	# NAT-T: xfrm_input is entered with encap_type 2 (UDP_ENCAP_ESPINUDP)
	t_eq "$(sed -n 's/^@encap_type\[2\]: //p' "$d/bt")" 10 "xfrm_input calls with encap_type 2"
	t_eq "$(sed -n 's/^@esp_input: //p' "$d/bt")" 10 "esp_input calls"
}

t_case "ip xfrm: add and read back an rfc4106(gcm(aes)) SA" case_sa_gcm
t_case "ip xfrm: add and read back a cbc(aes)+hmac(sha256) SA" case_sa_cbc_hmac
t_case "ESP-in-UDP traffic between two namespaces" case_natt_traffic
t_case "kprobe on xfrm_input sees the NAT-T traffic" case_kprobe_xfrm_input
t_done
