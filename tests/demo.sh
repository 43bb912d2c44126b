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
