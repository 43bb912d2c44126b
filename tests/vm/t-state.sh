#!/bin/bash
# xfrmctl state against the kernel: what it adds is what the kernel holds
# (read back by ip xfrm and by xfrmctl -j), keys stay hidden, the
# rtnetlink.sh kci_test_ipsec sequence, and kernel refusals.
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/ipsec.sh"
. "$T_TOP/tests/lib/json.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}
ID="src 10.0.0.1 dst 10.0.0.2 proto esp"

case_add_gcm_roundtrip() {
	ns_pair
	"$X" -n "$A" state add $ID spi 0x100 mode transport reqid 7 \
		aead 'rfc4106(gcm(aes))' $KEY_GCM128 128
	# the kernel holds exactly that (ip's own view)
	local ipout
	ipout=$(ip -n "$A" xfrm state get $ID spi 0x100)
	t_match "$ipout" "proto esp spi 0x00000100 reqid 7 mode transport" "ip: header"
	t_match "$ipout" "aead rfc4106\(gcm\(aes\)\) $KEY_GCM128 128" "ip: aead"
	# and xfrmctl reads it back
	t_run "$X" -n "$A" -j -k state get $ID spi 0x100
	t_eq "$rc" 0 "get exit status"
	t_json "$out" 'j["spi"]' 256
	t_json "$out" 'j["reqid"]' 7
	t_json "$out" 'j["mode"]' transport
	t_json "$out" 'j["aead"]["name"]' 'rfc4106(gcm(aes))'
	t_json "$out" 'j["aead"]["key"]' "$KEY_GCM128"
	t_json "$out" 'j["aead"]["key-bits"]' 160
	t_json "$out" 'j["aead"]["icv-bits"]' 128
}

case_add_cbc_hmac_roundtrip() {
	ns_pair
	"$X" -n "$A" state add $ID spi 0xffffffff mode tunnel \
		enc 'cbc(aes)' $KEY_AES128 auth-trunc 'hmac(sha256)' $KEY_SHA256 128 \
		sel src 10.1.0.0/16 dst 10.2.0.0/24 proto udp sport 53 dport 5353
	local ipout
	ipout=$(ip -n "$A" xfrm state get $ID spi 0xffffffff)
	t_match "$ipout" "spi 0xffffffff reqid 0 mode tunnel" "ip: header (SPI 0xffffffff is valid)"
	t_match "$ipout" "enc cbc\(aes\) $KEY_AES128" "ip: enc"
	t_match "$ipout" "auth-trunc hmac\(sha256\) $KEY_SHA256 128" "ip: auth-trunc"
	t_match "$ipout" "sel src 10.1.0.0/16 dst 10.2.0.0/24 proto udp sport 53 dport 5353" "ip: sel"
	t_run "$X" -n "$A" -j state list
	t_json "$out" 'len(j)' 1
	t_json "$out" 'j[0]["spi"]' 4294967295
	t_json "$out" 'j[0]["enc"]["name"]' 'cbc(aes)'
	t_json "$out" 'j[0]["auth-trunc"]["trunc-bits"]' 128
	t_json "$out" 'j[0]["sel"]' '{"src": "10.1.0.0/16", "dst": "10.2.0.0/24", "proto": "udp", "sport": 53, "dport": 5353}'
}

case_options_roundtrip() {
	ns_pair
	"$X" -n "$A" state add $ID spi 0x200 mode tunnel reqid 3 \
		aead 'rfc7539esp(chacha20,poly1305)' 0x$(printf '%072d' 7) 128 \
		flag esn replay-window 256 extra-flag dont-encap-dscp \
		encap espinudp 4500 4501 0.0.0.0 mark 0x10/0xf0 output-mark 0x20 if_id 9 tfcpad 64 \
		limit time-soft 100 limit time-hard 200 limit byte-hard 1000000 limit packet-soft 500
	local ipout
	ipout=$(ip -n "$A" -s xfrm state get $ID spi 0x200 mark 0x10 mask 0xf0)
	echo "$ipout"
	t_match "$ipout" "replay-window 0 seq 0x00000000 flag esn" "ip: esn flag (the window is in the ESN state)"
	t_match "$ipout" "replay_window 256, bitmap-length 8" "ip: ESN replay window"
	t_match "$ipout" "extra_flag dont-encap-dscp" "ip: extra flag"
	t_match "$ipout" "encap type espinudp sport 4500 dport 4501 addr 0.0.0.0" "ip: encap"
	t_match "$ipout" "mark 0x10/0xf0" "ip: mark"
	t_match "$ipout" "output-mark 0x20" "ip: output mark"
	t_match "$ipout" "if_id 0x9" "ip: if_id"
	t_match "$ipout" "tfcpad 64" "ip: tfcpad"
	t_match "$ipout" "expire add: soft 100\(sec\), hard 200\(sec\)" "ip: time limits"
	t_match "$ipout" "limit: soft 500\(packets\)" "ip: packet limit"
	t_match "$ipout" "hard 1000000\(bytes\)" "ip: byte limit"
	t_run "$X" -n "$A" -j -s state get $ID spi 0x200 mark 0x10/0xf0
	t_eq "$rc" 0 "get status ($err)"
	t_json "$out" 'j["flags"]' '["esn"]'
	t_json "$out" 'j["extra-flags"]' '["dont-encap-dscp"]'
	t_json "$out" 'j["replay-window"]' 256
	t_json "$out" 'j["replay-esn"]["window"]' 256
	t_json "$out" 'j["encap"]' '{"type": "espinudp", "sport": 4500, "dport": 4501, "oaddr": "0.0.0.0"}'
	t_json "$out" 'j["mark"]' '{"value": 16, "mask": 240}'
	t_json "$out" 'j["output-mark"]["value"]' 32
	t_json "$out" 'j["if_id"]' 9
	t_json "$out" 'j["tfcpad"]' 64
	t_json "$out" 'j["lifetime"]["time-soft"]' 100
	t_json "$out" 'j["lifetime"]["byte-hard"]' 1000000
	t_json "$out" 'j["lifetime"]["byte-soft"]' null
	t_json "$out" 'j["lifetime"]["packet-soft"]' 500
}

case_keys_from_file_and_stdin() {
	ns_pair
	local kf
	kf=$(mktemp)
	echo "$KEY_GCM128" >"$kf"
	"$X" -n "$A" state add $ID spi 0x300 aead 'rfc4106(gcm(aes))' "@$kf" 128
	# a file key of the wrong length is refused like any other
	t_run bash -c "echo '$KEY_AES128' | '$X' -n '$A' state add $ID spi 0x301 enc 'cbc(aes)' - auth-trunc 'hmac(sha256)' '@$kf' 96"
	t_eq "$rc" 2 "status, wrong key length from a file"
	t_eq "$err" "xfrmctl: state add: key for 'hmac(sha256)' must be 32 bytes, got 20" "message"
	printf '%s\n%s\n' "$KEY_AES128" "$KEY_SHA256" | "$X" -n "$A" state add $ID spi 0x301 \
		enc 'cbc(aes)' - auth-trunc 'hmac(sha256)' - 128
	t_match "$(ip -n "$A" xfrm state get $ID spi 0x300)" "aead rfc4106\(gcm\(aes\)\) $KEY_GCM128 128" "key from @FILE"
	local ipout
	ipout=$(ip -n "$A" xfrm state get $ID spi 0x301)
	t_match "$ipout" "enc cbc\(aes\) $KEY_AES128" "first key from stdin"
	t_match "$ipout" "auth-trunc hmac\(sha256\) $KEY_SHA256 128" "second key from stdin"
}

case_keys_hidden() {
	ns_pair
	"$X" -n "$A" state add $ID spi 0x400 aead 'rfc4106(gcm(aes))' $KEY_GCM128 128
	local hex=${KEY_GCM128#0x} f
	for f in "" "-j" "-s" "-j -s" "-o"; do
		t_run "$X" -n "$A" $f state list
		t_eq "$rc" 0 "list $f"
		[[ $out != *"$hex"* ]] || t_fail "key shown by 'state list' with '$f': $out"
		t_run "$X" -n "$A" $f state get $ID spi 0x400
		[[ $out != *"$hex"* ]] || t_fail "key shown by 'state get' with '$f'"
	done
	t_match "$("$X" -n "$A" state list)" "aead rfc4106\(gcm\(aes\)\) <redacted> 128" "text says redacted"
	t_json "$("$X" -n "$A" -j state list)" '"key" in j[0]["aead"]' false
	t_match "$("$X" -n "$A" -k state list)" "$hex" "-k shows the key"
}

# tools/testing/selftests/net/rtnetlink.sh, kci_test_ipsec, with xfrmctl
case_kci_sequence() {
	ns_pair
	local algo="aead rfc4106(gcm(aes)) $KEY_GCM128 128"
	"$X" -n "$A" state add $ID spi 0x07 mode transport reqid 0x07 replay-window 32 $algo sel src 10.0.0.1/24 dst 10.0.0.2/24
	t_json "$("$X" -n "$A" -j state count)" 'j["count"]' 1
	t_eq "$("$X" -n "$A" state count)" "SAD count 1" "count text"
	t_json "$("$X" -n "$A" -j state list)" 'len(j)' 1
	t_json "$("$X" -n "$A" -j state get $ID spi 0x07)" 'j["reqid"]' 7
	"$X" -n "$A" state delete $ID spi 0x07
	t_json "$("$X" -n "$A" -j state count)" 'j["count"]' 0
	"$X" -n "$A" state add $ID spi 0x07 mode transport reqid 0x07 replay-window 32 $algo
	"$X" -n "$A" state add $ID spi 0x08 mode transport reqid 0x08 replay-window 32 $algo
	"$X" -n "$A" state flush
	t_json "$("$X" -n "$A" -j state list)" 'len(j)' 0
	t_eq "$(ip -n "$A" xfrm state count)" $'\t SAD count 0' "ip agrees the SAD is empty"
}

case_update_and_filters() {
	ns_pair
	"$X" -n "$A" state add $ID spi 0x500 reqid 1 aead 'rfc4106(gcm(aes))' $KEY_GCM128 128
	"$X" -n "$A" state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x501 reqid 2 mode tunnel aead 'rfc4106(gcm(aes))' $KEY_GCM128 128
	"$X" -n "$A" state update $ID spi 0x500 reqid 1 aead 'rfc4106(gcm(aes))' $KEY_GCM128 128 limit time-hard 600
	t_json "$("$X" -n "$A" -j -s state get $ID spi 0x500)" 'j["lifetime"]["time-hard"]' 600
	t_json "$("$X" -n "$A" -j state list reqid 2)" '[s["spi"] for s in j]' '[1281]'
	t_json "$("$X" -n "$A" -j state list mode transport)" '[s["spi"] for s in j]' '[1280]'
	t_json "$("$X" -n "$A" -j state list dst 10.0.0.1)" '[s["spi"] for s in j]' '[1281]'
}

case_allocspi() {
	ns_pair
	t_run "$X" -n "$A" -j state allocspi $ID min 0x1000 max 0x1fff
	t_eq "$rc" 0 "allocspi status ($err)"
	local spi
	spi=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["spi"])')
	[ "$spi" -ge 4096 ] && [ "$spi" -le 8191 ] || t_fail "SPI $spi outside 0x1000-0x1fff"
	# the larval SA is in the kernel (ip shows it), with the SPI given
	t_match "$(ip -n "$A" xfrm state)" "spi $(printf '0x%08x' "$spi")" "ip sees the reserved SPI"
}

case_kernel_refusals() {
	ns_pair
	local algo=(aead 'rfc4106(gcm(aes))' $KEY_GCM128 128)
	"$X" -n "$A" state add $ID spi 0x600 "${algo[@]}"
	t_err 1 "xfrmctl: state add: SA esp spi 0x00000600 dst 10.0.0.2: File exists" \
		"$X" -n "$A" state add $ID spi 0x600 "${algo[@]}"
	t_err 1 "xfrmctl: state delete: SA esp spi 0x00000601 dst 10.0.0.2: no such SA" \
		"$X" -n "$A" state delete $ID spi 0x601
	t_err 1 "xfrmctl: state get: SA esp spi 0x00000601 dst 10.0.0.2: no such SA" \
		"$X" -n "$A" state get $ID spi 0x601
	t_err 1 "xfrmctl: state add: SA esp spi 0x00000602 dst 10.0.0.2: Operation not permitted" \
		ip netns exec "$A" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$X" state add $ID spi 0x602 "${algo[@]}"
	# nothing changed: the one SA is still there, and only it
	t_json "$("$X" -n "$A" -j state list)" '[s["spi"] for s in j]' '[1536]'
}

# state list writes the text of common SAs at once (cli/state.c); the
# print calls write every SA (XFRMCTL_PRINT_CALLS=1): the two must agree,
# byte for byte, for SAs of each shape, with and without -k and -o.
case_list_text_at_once() {
	ns_pair
	"$X" -n "$A" state add $ID spi 0x100 mode tunnel reqid 7 aead 'rfc4106(gcm(aes))' $KEY_GCM128 128
	"$X" -n "$A" state add $ID spi 0x101 seq 5 replay-window 32 enc 'cbc(aes)' $KEY_AES128 \
		auth-trunc 'hmac(sha256)' $KEY_SHA256 128 sel src 10.1.0.0/16 dst 10.2.0.0/24
	"$X" -n "$A" state add $ID spi 0x102 enc 'cbc(aes)' $KEY_AES128 auth 'hmac(sha256)' $KEY_SHA256
	"$X" -n "$A" state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x103 mode tunnel \
		aead 'rfc4106(gcm(aes))' $KEY_GCM128 64 sel src 2001:db8::/32 dst ::/0
	"$X" -n "$A" state add src 10.0.0.1 dst 10.0.0.2 proto comp spi 0x107 comp deflate
	# and some the print calls write in any case
	"$X" -n "$A" state add $ID spi 0x104 enc 'cbc(aes)' $KEY_AES128 flag esn replay-window 64
	"$X" -n "$A" state add $ID spi 0x105 enc 'cbc(aes)' $KEY_AES128 mark 5 if_id 3 flag noecn
	"$X" -n "$A" state add $ID spi 0x106 enc 'cbc(aes)' $KEY_AES128 encap espinudp 4500 4500 0.0.0.0 \
		sel src 10.0.0.0/8 dst 10.0.0.0/8 proto udp sport 53
	local o fast calls
	for o in "" -k -o "-k -o"; do
		# (word splitting of $o: its options)
		fast=$("$X" -n "$A" $o state list)
		calls=$(XFRMCTL_PRINT_CALLS=1 "$X" -n "$A" $o state list)
		t_eq "$(grep -c '^src ' <<<"$fast")" 8 "state list $o: eight SAs"
		t_eq "$fast" "$calls" "state list $o: at once as by the print calls"
	done
	# one of them as written by hand, from ip-xfrm's grammar
	t_run "$X" -n "$A" state list spi 0x100
	t_eq "$out" "$(printf 'src 10.0.0.1 dst 10.0.0.2\n\tproto esp spi 0x00000100 reqid 7 mode tunnel\n\treplay-window 0\n\taead rfc4106(gcm(aes)) <redacted> 128\n\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000\n\tsel src 0.0.0.0/0 dst 0.0.0.0/0')" \
		"state list spi 0x100: its text"
}

# A batch reads plain `state add|update` lines whole (xc_spec_sa_text), not
# word by word as the command line does: the kernel must hold the same SAs
# either way, as ip and xfrmctl -k show them.
case_batch_lines_read_whole() {
	ns_pair
	local f l lines=(
		"add $ID spi 0x100 reqid 7 mode tunnel aead rfc4106(gcm(aes)) $KEY_GCM128 128"
		"add $ID spi 257 mode transport enc cbc(aes) $KEY_AES128 auth hmac(sha256) $KEY_SHA256"
		"add   proto esp  spi 0402 dst 10.0.0.2 src 10.0.0.1 enc aes $KEY_AES128 auth-trunc sha256 $KEY_SHA256 128 replay-window 32  "
		"add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x103 mode beet aead rfc4106(gcm(aes)) $KEY_GCM128 64"
		"add src 10.0.0.1 dst 10.0.0.2 proto ah spi 0x104 reqid 0xffffffff auth hmac(sha256) $KEY_SHA256"
		"update $ID spi 0x100 reqid 8 mode tunnel aead rfc4106(gcm(aes)) $KEY_GCM128 96"
	)
	f=$(mktemp)
	t_defer rm -f "$f"
	printf 'state %s\n' "${lines[@]}" >"$f"
	t_run "$X" -n "$A" -b "$f"
	t_eq "$rc" 0 "batch: exit status ($err)"
	for l in "${lines[@]}"; do
		# (word splitting of $l: its words)
		"$X" -n "$B" state $l
	done
	t_eq "$(grep -c '^src ' <<<"$(ip -n "$A" xfrm state)")" 5 "five SAs"
	t_eq "$(ip -n "$A" xfrm state)" "$(ip -n "$B" xfrm state)" "ip: the same SAs"
	t_eq "$("$X" -n "$A" -k state list)" "$("$X" -n "$B" -k state list)" "xfrmctl -k: the same SAs"
}

t_case "add rfc4106(gcm(aes)): ip and xfrmctl -j read back what was asked" case_add_gcm_roundtrip
t_case "add cbc(aes)+hmac(sha256) tunnel with selector, SPI 0xffffffff" case_add_cbc_hmac_roundtrip
t_case "ESN, encap, marks, if_id, tfcpad, limits round-trip" case_options_roundtrip
t_case "keys from @FILE and from stdin" case_keys_from_file_and_stdin
t_case "keys hidden in every output form unless -k" case_keys_hidden
t_case "kci_test_ipsec sequence: add, count, list, get, delete, flush" case_kci_sequence
t_case "update, and list filters" case_update_and_filters
t_case "allocspi reserves an SPI in the range" case_allocspi
t_case "kernel refusals: exists, absent, no CAP_NET_ADMIN; state unchanged" case_kernel_refusals
t_case "state list: the text of common SAs at once, as the print calls write it" case_list_text_at_once
t_case "batch: plain state add lines read whole make the command line's SAs" case_batch_lines_read_whole
t_done
