# tests/lib/ipsec.sh: IPsec set-ups between the namespaces of ns_pair.
# Keys here are test keys, not secrets.
KEY_GCM128=0x0102030405060708090a0b0c0d0e0f1011121314     # 16 B key + 4 B salt
KEY_AES128=0x00112233445566778899aabbccddeeff
KEY_SHA256=0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

# natt_transport SPI [WORDS...]: one SA A -> B (10.0.0.1 -> 10.0.0.2), ESP-in-UDP on 4500,
# rfc4106(gcm(aes)) 128, transport mode, installed in both namespaces, with
# whole-host policies as an IKE daemon would set them: ESP for everything
# between the two addresses, and a bypass for the UDP 4500 carrier at a
# higher precedence (the outer packet is policy-checked first). WORDS are
# added to the SA (e.g. replay-window 32).
natt_transport() {
	local spi=$1 ns
	shift
	for ns in "$A" "$B"; do
		ip -n "$ns" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi "$spi" reqid 1 \
			mode transport aead 'rfc4106(gcm(aes))' $KEY_GCM128 128 \
			encap espinudp 4500 4500 0.0.0.0 "$@"
	done
	ip -n "$A" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 dir out priority 100 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 1 mode transport
	ip -n "$B" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 dir in priority 100 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 1 mode transport
	ip -n "$A" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 proto udp sport 4500 dport 4500 \
		dir out priority 10
	ip -n "$B" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 proto udp sport 4500 dport 4500 \
		dir in priority 10
}

# udp_flow COUNT OUTDIR [SECS]: COUNT datagrams A:7777 -> B:7777 while B
# holds an ESP-in-UDP socket on 4500; B's received numbers go to
# OUTDIR/recv. B's receiver waits SECS (default 20) at most: less when
# none is meant to arrive.
udp_flow() {
	local count=$1 dir=$2 secs=${3:-20}
	ip netns exec "$B" "$T_TOP/tests/lib/udp.py" recv 10.0.0.2 7777 "$count" "$secs" --encap 4500 \
		>"$dir/recv" 2>"$dir/recv.err" &
	local rpid=$!
	t_retry 10 grep -q listening "$dir/recv.err" || t_fail "receiver did not start: $(cat "$dir/recv.err")"
	ip netns exec "$A" "$T_TOP/tests/lib/udp.py" send 10.0.0.1 10.0.0.2 7777 "$count"
	wait $rpid
}

# encap_hold DIR: keep a UDP_ENCAP socket on B's port 4500 open for the rest
# of the case, so ESP-in-UDP injected later reaches xfrm_input (without it
# the kernel never decapsulates: no XfrmIn counter moves at all).
encap_hold() {
	ip netns exec "$B" "$T_TOP/tests/lib/udp.py" hold 10.0.0.2 4500 600 2>"$1/hold.err" &
	t_defer kill $!
	t_retry 10 grep -q listening "$1/hold.err" || t_fail "encap socket not held"
}
