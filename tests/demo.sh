#!/bin/bash
# make demo: runs inside the test guest (Debian's kernel): two namespaces,
# an ESP-in-UDP SA between them managed with xfrmctl, traffic, and the
# kernel's receive path followed by xfrmctl trace live.
set -euo pipefail
T_CASE_ID=demo
t_defer() { :; }
t_fail() { echo "demo: $*" >&2; exit 1; }
T_TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$T_TOP/tests/lib/t.sh" 2>/dev/null || true
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/ipsec.sh"
X=${XFRMCTL_BIN:-$T_TOP/xfrmctl}
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

echo "kernel $(uname -r) in a throw-away guest; $("$X" --version)"
ns_pair
natt_transport 0x1000
keyfile=$(mktemp)
echo "$KEY_GCM128" >"$keyfile"
say "xfrmctl -n B state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x2000 reqid 2 aead 'rfc4106(gcm(aes))' @$keyfile 128 (key from a file)"
"$X" -n "$B" state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x2000 reqid 2 aead 'rfc4106(gcm(aes))' "@$keyfile" 128
say "xfrmctl -n B state list    (keys hidden unless -k)"
"$X" -n "$B" state list
say "xfrmctl -n B -j state get src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1000"
"$X" -n "$B" -j state get src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1000
say "xfrmctl -n B state add … aead 'gcm(aes)' …   (a mistake)"
"$X" -n "$B" state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x2001 aead 'gcm(aes)' "@$keyfile" 128 || echo "(exit status $?)"
d=$(mktemp -d)
say "xfrmctl -n B trace live --spi 0x1000 --count 5 &   (bpftrace compiles its script first: ~30 s here)"
"$X" -n "$B" trace live --spi 0x1000 --count 5 >"$d/trace" 2>&1 &
tpid=$!
t_retry 300 grep -q '^ready' "$d/trace" || t_fail "trace live did not start: $(cat "$d/trace")"
say "5 UDP datagrams A -> B through ESP-in-UDP"
udp_flow 5 "$d"
echo "B received: $(tr '\n' ' ' <"$d/recv")"
wait $tpid || true
say "what trace live saw on B's receive path: every hop, the path taken"
cat "$d/trace"
say "xfrmctl -n B -s state get src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1000   (the SA counted them)"
"$X" -n "$B" -s state get src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1000

# ---- receive offload, side by side with software ----
. "$T_TOP/tests/lib/kmod.sh"
T_CASE_ID=demo2
T_LOGDIR=$(mktemp -d)
kmod_build >/dev/null
kmod_load
if [ -n "$KMOD_SKIP$KMOD_ERR" ]; then
	echo "(no receive-offload demo: $KMOD_SKIP$KMOD_ERR)"
	exit 0
fi
say "Receive crypto offload without hardware: tests/kmod/xfrmnic.ko, a veth-like pair xa (A) - xb (B)"
kmod_pair
key=$(mktemp)
echo "$KEY_GCM128" >"$key"
for spi in 0x3100 0x3200; do
	port=$((spi == 0x3100 ? 7777 : 7778)) reqid=$((spi >> 8)) off=()
	[ "$spi" = 0x3100 ] && off=(offload dev xb dir in)
	"$X" -n "$A" state add src 10.0.0.1 dst 10.0.0.2 proto esp spi $spi reqid $reqid mode transport \
		aead 'rfc4106(gcm(aes))' "@$key" 128
	"$X" -n "$B" state add src 10.0.0.1 dst 10.0.0.2 proto esp spi $spi reqid $reqid mode transport \
		aead 'rfc4106(gcm(aes))' "@$key" 128 "${off[@]}"
	for ns in "$A" "$B"; do
		dir=out
		[ "$ns" = "$B" ] && dir=in
		"$X" -n "$ns" policy add src 10.0.0.1/32 dst 10.0.0.2/32 proto udp dport $port dir $dir \
			tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid $reqid mode transport
	done
done
say "xfrmctl -n B state list   (0x3100 offloaded to xb, 0x3200 in software)"
"$X" -n "$B" state list
d=$(mktemp -d)
say "xfrmctl -n B trace live &   (both SAs; compiling again)"
"$X" -n "$B" trace live >"$d/trace" 2>&1 &
tpid=$!
t_retry 300 grep -q '^ready' "$d/trace" || t_fail "trace live did not start: $(cat "$d/trace")"
say "5 datagrams to port 7777 (SA 0x3100) and 5 to port 7778 (SA 0x3200)"
for port in 7777 7778; do
	ip netns exec "$B" "$T_TOP/tests/lib/udp.py" recv 10.0.0.2 $port 5 20 >"$d/recv.$port" 2>"$d/err.$port" &
	t_retry 10 grep -q listening "$d/err.$port" || t_fail "receiver on $port did not start"
	ip netns exec "$A" "$T_TOP/tests/lib/udp.py" send 10.0.0.1 10.0.0.2 $port 5
	wait $!
done
sleep 2
kill -INT $tpid
wait $tpid || true
say "trace live: 0x3100 decrypted by the device (esp_input_tail, no esp_input), 0x3200 by esp_input"
sed -n '/^traced/,$p' "$d/trace"
say "ethtool -S xb   (what the device did)"
ip netns exec "$B" ethtool -S xb
