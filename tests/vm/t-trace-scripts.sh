#!/bin/bash
# The bpftrace scripts in trace/, run in the guest against real traffic.
# Every script attaches (BEGIN prints READY) and exits cleanly on SIGINT;
# xfrm-rx.bt follows each packet through the receive chain in events mode
# and counts the same in aggregate mode, for NAT-T (IPv4, IPv6), plain ESP,
# ESP through GRO, and drops.
#
# bpftrace needs 30-40 s under TCG to compile xfrm-rx.bt (about 0.3 s on
# real hardware), so one tracer per mode runs for the whole file and the
# cases share it: each case has its own namespaces and its own SPI, and
# reads only its SPI's lines.
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/ipsec.sh"

RX=$T_TOP/trace/xfrm-rx.bt
TR=$T_LOGDIR/tracers
mkdir -p "$TR"
N=20 # datagrams per traffic case

# ---- tracers shared by the cases ----

# tracer_start NAME ARGS...: bpftrace ARGS in the background; its stdout in
# $TR/NAME.out, stderr in $TR/NAME.err, pid in $TR/NAME.pid.
tracer_start() {
	local name=$1
	shift
	bpftrace "$@" >"$TR/$name.out" 2>"$TR/$name.err" &
	echo $! >"$TR/$name.pid"
}

# tracer_ready NAME: wait until it printed READY (fail if it died first).
tracer_ready() {
	local pid end=$((SECONDS + 300))
	pid=$(cat "$TR/$1.pid")
	until grep -q '^READY' "$TR/$1.out"; do
		kill -0 "$pid" 2>/dev/null || t_fail "tracer $1 died: $(cat "$TR/$1.err")"
		[ $SECONDS -lt $end ] || t_fail "tracer $1: no READY after 300 s: $(cat "$TR/$1.err")"
		sleep 0.5
	done
}

# tracer_stop NAME: SIGINT, wait; its exit status goes to $TR/NAME.rc.
tracer_stop() {
	local pid rc=0
	pid=$(cat "$TR/$1.pid" 2>/dev/null) || return 0
	kill -INT "$pid" 2>/dev/null
	wait "$pid" || rc=$?
	echo "$rc" >"$TR/$1.rc"
	rm -f "$TR/$1.pid"
}

tracers_kill() {
	local f
	for f in "$TR"/*.pid; do
		[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	rm -rf "$T_LOGDIR"
}
trap tracers_kill EXIT

# The two modes of xfrm-rx.bt, attached for the whole file.
tracer_start ev "$RX" 1
tracer_start agg "$RX"

# A Python module for the readers below: what the hops= masks say.
cat >"$TR/hops.py" <<'EOF'
"""The hops of a packet, as trace/xfrm-rx.bt's header documents its hops=
mask: bit N for the Nth of NAMES; no other bit is set."""
NAMES = """udp_rcv udpv6_rcv __udp4_lib_rcv __udp6_lib_rcv udp_queue_rcv_skb
udpv6_queue_rcv_skb xfrm4_udp_encap_rcv xfrm6_udp_encap_rcv xfrm4_rcv_encap
xfrm6_rcv_encap xfrm4_rcv xfrm6_rcv esp4_gro_receive esp6_gro_receive xfrm_input
xfrm_input_resume esp_input esp6_input esp_input_tail esp6_input_tail
esp_input_done2 esp6_input_done2 xfrm_rcv_cb""".split()


def hops(mask):
    """the hops of a mask, in bit order"""
    out = [NAMES[i] for i in range(len(NAMES)) if mask >> i & 1]
    rest = mask & ~((1 << len(NAMES)) - 1)
    assert not rest, "unknown bits %#x" % rest
    return out


def lines(path, kind):
    """(fields, {key: value}, hops) of the PKT or DROP lines of a file"""
    for line in open(path):
        f = line.split()
        if f and f[0] == kind:
            kv = dict(x.split("=", 1) for x in f[2:])
            yield f, kv, hops(int(kv["hops"], 16))


def agg(path, spi):
    """the last complete aggregate block's counts for SPI: {HOP: n}"""
    last, cur = {}, {}
    for line in open(path):
        if line.startswith("TICK"):
            last, cur = cur, {}
        elif line.startswith("@pkt["):
            k, n = line[5:].rstrip().split("]: ")
            s, _, m = (int(x) for x in k.split(", "))
            if s == spi:
                for h in hops(m):
                    cur[h] = cur.get(h, 0) + int(n)
    return last
EOF

# ---- reading their output ----

# kprobe patterns of a script, one a line (a probe line may have several)
patterns() {
	grep -E '^kprobe:' "$1" | grep -oE 'kprobe:[^ ,{]+' | sed 's/^kprobe://'
}

# functions of the running kernel matching a bpftrace pattern (* = anything)
matches() {
	local re
	[ -s "$TR/functions" ] ||
		cut -d' ' -f1 /sys/kernel/tracing/available_filter_functions | sort -u >"$TR/functions"
	re="^$(printf '%s' "$1" | sed 's/\*/.*/g')\$"
	grep -E "$re" "$TR/functions" || true
}

# agg_n SPI HOP: the count at HOP of SPI in the last aggregate block: the
# counts of its @pkt lines whose mask has that hop, summed ("" if none)
agg_n() {
	PYTHONPATH=$TR python3 -c 'import sys, hops
print(hops.agg(sys.argv[1], int(sys.argv[3], 0)).get(sys.argv[2], ""))' "$TR/agg.out" "$2" "$1"
}

# agg_line PATTERN: the latest aggregate line starting with PATTERN
agg_line() {
	grep -F "$1" "$TR/agg.out" | tail -n1
}

# ev_count ERE: events lines matching ERE
ev_count() {
	grep -cE "$1" "$TR/ev.out" || true
}

# chain SPI COUNT HOP...: in events mode, sequence numbers 1..COUNT were seen
# for SPI (0x%08x), each once, as a PKT line with exactly these hops (in
# the order of the path).
chain() {
	PYTHONPATH=$TR python3 - "$TR/ev.out" "$@" <<'EOF'
import sys, hops
path, spi, n, want = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
pkts = {}
for f, kv, hs in hops.lines(path, "PKT"):
    if kv["spi"] == spi:
        pkts.setdefault(int(kv["seq"]), []).append(hs)
errs = []
if sorted(pkts) != list(range(1, n + 1)):
    errs.append("sequence numbers seen: %s, want 1..%d" % (sorted(pkts), n))
for seq, evs in sorted(pkts.items()):
    if len(evs) != 1:
        errs.append("seq %d: %d PKT lines" % (seq, len(evs)))
    if evs[0] != want:
        errs.append("seq %d: hops %s" % (seq, " ".join(evs[0])))
if errs:
    print("want: " + " ".join(want))
    print("\n".join(errs[:8]))
    sys.exit(1)
EOF
}

# hops_agg SPI COUNT HOP...: the aggregate mode counted COUNT at each HOP
hops_agg() {
	local spi=$1 n=$2 h
	shift 2
	for h in "$@"; do
		t_eq "$(agg_n "$spi" "$h")" "$n" "aggregate count of $h"
	done
}

# ev_atleast N ERE: at least N events lines match ERE; agg_is SPI HOP N
# (for t_retry, which runs them again and again)
ev_atleast() {
	[ "$(ev_count "$2")" -ge "$1" ]
}
agg_is() {
	[ "$(agg_n "$1" "$2")" = "$3" ]
}

# wait_last SPI COUNT: the packets have been through the last hop,
# xfrm_rcv_cb (so they are reported), in both tracers (their output is
# asynchronous)
wait_last() {
	local spi=$1 n=$2 s
	s=$(printf 'spi=0x%08x' "$spi")
	t_retry 30 ev_atleast "$n" "^PKT [0-9]+ .*$s " ||
		t_fail "events: $(ev_count "^PKT [0-9]+ .*$s ") of $n packets"
	t_retry 30 agg_is "$spi" xfrm_rcv_cb "$n" ||
		t_fail "aggregate: $(agg_n "$spi" xfrm_rcv_cb) of $n packets at xfrm_rcv_cb"
}

# tracers_up: both tracers are running (else the case fails at once)
tracers_up() {
	tracer_ready ev
	tracer_ready agg
}

# ---- set-ups this file needs besides tests/lib/ipsec.sh ----

# esp_transport SPI: natt_transport without the encapsulation: plain ESP,
# whole-host policies.
esp_transport() {
	local spi=$1 ns
	for ns in "$A" "$B"; do
		ip -n "$ns" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi "$spi" reqid 3 \
			mode transport aead 'rfc4106(gcm(aes))' $KEY_GCM128 128
	done
	ip -n "$A" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 dir out priority 100 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 3 mode transport
	ip -n "$B" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 dir in priority 100 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 3 mode transport
}

# esp_tunnel SPI: esp_transport in tunnel mode (host to host)
esp_tunnel() {
	local spi=$1 ns
	for ns in "$A" "$B"; do
		ip -n "$ns" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi "$spi" reqid 4 \
			mode tunnel aead 'rfc4106(gcm(aes))' $KEY_GCM128 128
	done
	ip -n "$A" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 dir out priority 100 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 4 mode tunnel
	ip -n "$B" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 dir in priority 100 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 4 mode tunnel
}

# natt6_transport SPI: natt_transport over IPv6 (fd00::1 -> fd00::2); the ESP
# policy covers UDP to 7777 only, so neighbour discovery stays in the clear.
natt6_transport() {
	local spi=$1 ns dir
	for ns in "$A" "$B"; do
		ip -n "$ns" xfrm state add src fd00::1 dst fd00::2 proto esp spi "$spi" reqid 2 \
			mode transport aead 'rfc4106(gcm(aes))' $KEY_GCM128 128 \
			encap espinudp 4500 4500 ::
	done
	for dir in out in; do
		ns=$A
		[ $dir = in ] && ns=$B
		ip -n "$ns" xfrm policy add src fd00::1/128 dst fd00::2/128 proto udp dport 7777 \
			dir $dir priority 100 \
			tmpl src fd00::1 dst fd00::2 proto esp reqid 2 mode transport
		ip -n "$ns" xfrm policy add src fd00::1/128 dst fd00::2/128 proto udp \
			sport 4500 dport 4500 dir $dir priority 10
	done
}

# udp6_flow COUNT DIR: udp_flow over IPv6
udp6_flow() {
	local count=$1 dir=$2
	ip netns exec "$B" "$T_TOP/tests/lib/udp.py" recv fd00::2 7777 "$count" 20 --encap 4500 \
		>"$dir/recv" 2>"$dir/recv.err" &
	local rpid=$!
	t_retry 10 grep -q listening "$dir/recv.err" || t_fail "receiver did not start: $(cat "$dir/recv.err")"
	ip netns exec "$A" "$T_TOP/tests/lib/udp.py" send fd00::1 fd00::2 7777 "$count"
	wait $rpid
}

# send_only COUNT DIR: COUNT datagrams A -> B:7777 through the SA, B holding
# the encap socket but no receiver (for drops)
send_only() {
	encap_hold "$2"
	ip netns exec "$A" "$T_TOP/tests/lib/udp.py" send 10.0.0.1 10.0.0.2 7777 "$1"
}

NATT4=(udp_rcv __udp4_lib_rcv udp_queue_rcv_skb xfrm4_udp_encap_rcv xfrm4_rcv_encap
	xfrm_input esp_input esp_input_done2 xfrm_rcv_cb)
NATT6=(udpv6_rcv __udp6_lib_rcv udpv6_queue_rcv_skb xfrm6_udp_encap_rcv xfrm6_rcv_encap
	xfrm_input esp6_input esp6_input_done2 xfrm_rcv_cb)
PLAIN4=(xfrm4_rcv xfrm_input esp_input esp_input_done2 xfrm_rcv_cb)
GRO4=(esp4_gro_receive xfrm_input esp_input esp_input_done2 xfrm_rcv_cb)

# ---- cases ----

# Which functions each probe of each script matched on this kernel (the
# report of what is missing); the exact names must all exist, patterns
# (with *, for functions that are static or in modules) may match nothing
# elsewhere but do match here on 6.1 and 6.12.
case_probes() {
	local f p m missing=
	for f in "$T_TOP"/trace/*.bt; do
		echo "# $(basename "$f") on $(uname -r):"
		for p in $(patterns "$f"); do
			m=$(matches "$p" | tr '\n' ' ')
			printf '  %-30s %s\n' "$p" "${m:-MISSING}"
			[ -n "$m" ] || missing="$missing $p"
		done
	done
	[ -z "$missing" ] || t_fail "no function for:$missing"
}

# Attach + BEGIN + exit: both modes of xfrm-rx.bt print READY with every
# probe attached ("Attaching N probes": the kprobes' functions, BEGIN, END,
# interval, 2 tracepoints; where bpftrace uses kprobe_multi, as on 6.12, a
# pattern matching several functions is one probe); any other script
# attaches and exits on SIGINT.
case_attach() {
	local lo=5 hi=5 p f name n
	for p in $(patterns "$RX"); do
		lo=$((lo + 1))
		hi=$((hi + $(matches "$p" | wc -l)))
	done
	tracer_ready ev
	tracer_ready agg
	# bpftrace's own line, then BEGIN's
	t_eq "$(sed -n 2p "$TR/ev.out")" "READY xfrm-rx mode=events port=4500" "events mode READY"
	t_eq "$(sed -n 2p "$TR/agg.out")" "READY xfrm-rx mode=aggregate port=4500" "aggregate mode READY"
	for name in ev agg; do
		n=$(sed -n '1s/^Attaching \([0-9]*\) probes\.\.\.$/\1/p' "$TR/$name.out")
		echo "$name: $(head -n1 "$TR/$name.out") (want $lo..$hi)"
		[ -n "$n" ] && [ "$n" -ge $lo ] && [ "$n" -le $hi ] ||
			t_fail "$name: '$(head -n1 "$TR/$name.out")', want $lo..$hi probes"
	done
	for f in "$T_TOP"/trace/*.bt; do
		[ "$f" != "$RX" ] || continue
		name=other-$(basename "$f" .bt)
		tracer_start "$name" "$f"
		tracer_ready "$name"
		tracer_stop "$name"
		t_eq "$(cat "$TR/$name.rc")" 0 "$(basename "$f"): exit status after SIGINT"
	done
}

# NAT-T, IPv4: each of N datagrams at all the hops in order, SPI 0x1000
# (natt_transport), sequence numbers 1..N, encap_type 2, one skb throughout,
# reported at xfrm_rcv_cb. The decrypted packet re-enters the UDP stack as
# the same skb (udp_rcv, __udp4_lib_rcv and udp_queue_rcv_skb run twice per
# packet), which is not followed: those hops count N, not 2N.
case_natt4() {
	tracers_up
	ns_pair
	natt_transport 0x1000
	local d
	d=$(mktemp -d)
	udp_flow $N "$d"
	t_eq "$(wc -l <"$d/recv")" $N "datagrams received"
	wait_last 0x1000 $N
	chain 0x00001000 $N "${NATT4[@]}"
	t_eq "$(ev_count '^PKT [0-9]+ skb=0x[0-9a-f]+ spi=0x00001000 seq=[0-9]+ encap=2 hops=0x[0-9a-f]+ err=0 spiarg=0x00000000$')" $N \
		"xfrm_input: encap_type 2, spi argument 0; esp_input_done2: err 0"
	hops_agg 0x1000 $N "${NATT4[@]}"
	t_eq "$(agg_line '@pkt[4096, ')" "@pkt[4096, 2, $((0x514155))]: $N" \
		"aggregate: encap 2, every packet through the same hops"
	t_eq "$(grep -c '^@drop\[4096,' "$TR/agg.out" || true)" 0 "aggregate drops"
	t_eq "$(grep -c '^DROP .*spi=0x00001000' "$TR/ev.out" || true)" 0 "DROP lines"
}

# Plain ESP (no encapsulation): xfrm4_rcv instead of the UDP hops, encap 0.
case_plain4() {
	tracers_up
	ns_pair
	esp_transport 0x2000
	local d
	d=$(mktemp -d)
	udp_flow $N "$d"
	t_eq "$(wc -l <"$d/recv")" $N "datagrams received"
	wait_last 0x2000 $N
	chain 0x00002000 $N "${PLAIN4[@]}"
	t_eq "$(ev_count '^PKT [0-9]+ .*spi=0x00002000 .*encap=0 .*err=0 spiarg=0x00000000$')" $N \
		"xfrm_input: encap_type 0, spi argument 0"
	hops_agg 0x2000 $N "${PLAIN4[@]}"
	t_eq "$(agg_n 0x2000 udp_rcv)" "" "no UDP hops"
}

# Plain ESP in tunnel mode: the same hops as transport mode, xfrm_rcv_cb
# the last (the inner packet, the same skb through gro_cells, is not
# followed).
case_tunnel4() {
	tracers_up
	ns_pair
	esp_tunnel 0x8000
	local d
	d=$(mktemp -d)
	udp_flow $N "$d"
	t_eq "$(wc -l <"$d/recv")" $N "datagrams received"
	wait_last 0x8000 $N
	chain 0x00008000 $N "${PLAIN4[@]}"
	hops_agg 0x8000 $N "${PLAIN4[@]}"
}

# NAT-T over IPv6: the udpv6/xfrm6/esp6 chain, xfrm_input shared.
case_natt6() {
	tracers_up
	ns_pair
	natt6_transport 0x3000
	local d
	d=$(mktemp -d)
	udp6_flow $N "$d"
	t_eq "$(wc -l <"$d/recv")" $N "datagrams received"
	wait_last 0x3000 $N
	chain 0x00003000 $N "${NATT6[@]}"
	t_eq "$(ev_count '^PKT [0-9]+ .*spi=0x00003000 .*encap=2 ')" $N \
		"xfrm_input: encap_type 2"
	hops_agg 0x3000 $N "${NATT6[@]}"
}

# Plain ESP through GRO (veth: GRO on at the receiver, TSO off at the
# sender): esp4_gro_receive calls xfrm_input with the SPI it parsed and
# encap_type 0; xfrm4_rcv is skipped; decryption is still esp_input.
case_gro4() {
	command -v ethtool >/dev/null || t_skip "no ethtool"
	tracers_up
	ns_pair
	ip netns exec "$A" ethtool -K va tso off
	ip netns exec "$B" ethtool -K vb gro on
	esp_transport 0x4000
	local d
	d=$(mktemp -d)
	udp_flow $N "$d"
	t_eq "$(wc -l <"$d/recv")" $N "datagrams received"
	wait_last 0x4000 $N
	chain 0x00004000 $N "${GRO4[@]}"
	t_eq "$(ev_count '^PKT [0-9]+ .*spi=0x00004000 .*encap=0 .*err=0 spiarg=0x00004000$')" $N \
		"xfrm_input: encap_type 0, the SPI as argument"
	hops_agg 0x4000 $N "${GRO4[@]}"
}

# drop_check SPI COUNTER STAGE LAST-HOP BEFORE: after the set-up, 5
# datagrams are dropped in xfrm_input: each is a DROP line naming the stage
# and the counter, with the hops it went through up to LAST-HOP (not
# xfrm_rcv_cb: on the drop path its err is -1, not a hop); the counter in
# /proc/net/xfrm_stat moved by 5 (BEFORE: its value before), and the
# aggregate mode counted them under the same names.
drop_check() {
	local spi=$1 counter=$2 stage=$3 last=$4 before=$5 s
	s=$(printf 'spi=0x%08x' "$spi")
	t_retry 30 ev_atleast 5 "^DROP .*$s " ||
		t_fail "$(ev_count "^DROP .*$s ") DROP lines of 5"
	grep "^DROP .*$s " "$TR/ev.out" | head -n2
	t_eq "$(ev_count "^DROP [0-9]+ skb=0x[0-9a-f]+ $s seq=[1-5] encap=2 stage=$stage where=xfrm_input reason=[0-9]+ counter=$counter hops=0x[0-9a-f]+ err=-?[0-9]+\$")" 5 \
		"DROP lines: stage $stage, counter $counter"
	PYTHONPATH=$TR python3 - "$TR/ev.out" "$s" "$last" <<'EOF' || t_fail "DROP lines' hops: see above"
import sys, hops
want = ["udp_rcv", "__udp4_lib_rcv", "udp_queue_rcv_skb", "xfrm4_udp_encap_rcv",
        "xfrm4_rcv_encap", "xfrm_input", "esp_input", "esp_input_done2"]
want = want[:want.index(sys.argv[3]) + 1]
bad = [hs for f, kv, hs in hops.lines(sys.argv[1], "DROP")
       if f[3] == sys.argv[2] and hs != want]
print("\n".join("hops %s, want %s" % (" ".join(b), " ".join(want)) for b in bad))
sys.exit(1 if bad else 0)
EOF
	t_eq "$(ev_count "^PKT [0-9]+ .*$s ")" 0 "no PKT lines (none delivered)"
	t_eq "$(xfrm_stat "$B" "$counter")" $((before + 5)) "$counter in /proc/net/xfrm_stat"
	t_retry 30 grep -qE "^@drop\[$((spi)), $stage, $counter, [0-9]+\]: 5\$" "$TR/agg.out" ||
		t_fail "aggregate: $(agg_line "@drop[$((spi)), ")"
	t_retry 30 agg_is "$spi" "$last" 5 ||
		t_fail "aggregate: $(agg_n "$spi" "$last") of 5 packets at $last"
}

# No SA at the receiver: XfrmInNoStates, seen at stage xfrm_input.
case_drop_nostate() {
	tracers_up
	ns_pair
	natt_transport 0x5000
	ip -n "$B" xfrm state del src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x5000
	local d before
	d=$(mktemp -d)
	before=$(xfrm_stat "$B" XfrmInNoStates)
	send_only 5 "$d"
	drop_check 0x5000 XfrmInNoStates xfrm_input xfrm_input "$before"
}

# The receiver's SA has another key: the ICV fails in esp_input
# (esp_input_done2 gets -EBADMSG), XfrmInStateProtoError, stage crypto.
case_drop_icv() {
	tracers_up
	ns_pair
	natt_transport 0x6000
	ip -n "$B" xfrm state del src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x6000
	ip -n "$B" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x6000 reqid 1 \
		mode transport aead 'rfc4106(gcm(aes))' 0x1112131415161718191a1b1c1d1e1f2021222324 128 \
		encap espinudp 4500 4500 0.0.0.0
	local d before
	d=$(mktemp -d)
	before=$(xfrm_stat "$B" XfrmInStateProtoError)
	send_only 5 "$d"
	drop_check 0x6000 XfrmInStateProtoError crypto esp_input_done2 "$before"
	t_eq "$(ev_count '^DROP [0-9]+ .*spi=0x00006000 .*err=-74$')" 5 \
		"esp_input_done2 with -EBADMSG"
}

# Packets sent again (a replay, injected from a capture) to an SA with a
# replay window (without one, the kernel takes them again): XfrmInStateSeqError
# at the replay check, before any decryption.
case_drop_replay() {
	[ -x "$T_TOP/tests/lib/inject.py" ] || [ -f "$T_TOP/tests/lib/inject.py" ] || t_skip "no tests/lib/inject.py"
	tracers_up
	ns_pair
	natt_transport 0x7000 replay-window 32
	local d before i
	d=$(mktemp -d)
	ip netns exec "$B" tcpdump -Z root --immediate-mode -i vb -n -U -w "$d/esp.pcap" \
		udp port 4500 2>"$d/tcpdump.err" &
	local tpid=$!
	t_defer kill $tpid
	t_retry 10 grep -q listening "$d/tcpdump.err" || t_fail "tcpdump did not start"
	udp_flow 5 "$d"
	t_eq "$(wc -l <"$d/recv")" 5 "datagrams received"
	kill -INT $tpid
	wait $tpid || true
	wait_last 0x7000 5
	before=$(xfrm_stat "$B" XfrmInStateSeqError)
	encap_hold "$d"
	for i in 1 2 3 4 5; do
		ip netns exec "$A" python3 "$T_TOP/tests/lib/inject.py" "$d/esp.pcap" $i va
	done
	# each seq now twice: once delivered, once dropped
	t_retry 30 ev_atleast 5 '^DROP .*spi=0x00007000 ' ||
		t_fail "$(ev_count '^DROP .*spi=0x00007000 ') DROP lines of 5"
	t_eq "$(ev_count "^DROP [0-9]+ skb=0x[0-9a-f]+ spi=0x00007000 seq=[1-5] encap=2 stage=replay_check where=xfrm_input reason=[0-9]+ counter=XfrmInStateSeqError hops=0x$(printf %x $((0x4155))) err=0\$")" 5 \
		"DROP lines: stage replay_check, XfrmInStateSeqError, hops up to xfrm_input"
	t_eq "$(xfrm_stat "$B" XfrmInStateSeqError)" $((before + 5)) "XfrmInStateSeqError"
	t_eq "$(ev_count '^PKT [0-9]+ .*spi=0x00007000 ')" 5 "PKT lines (through xfrm_rcv_cb) for the originals only"
}

# inner_drop_check SPI COUNTER: after the set-up (NAT-T, SPI, B's inbound
# policy for 10.0.0.1 -> 10.0.0.2 changed so that it refuses the decrypted
# packet), 5 datagrams to a receiver on B's 7777: none arrives, COUNTER in
# /proc/net/xfrm_stat moves by 5, each packet is reported at xfrm_rcv_cb
# (decrypted fine) and then as a DROP line at stage inner with the SPI
# (from the sec_path: the skb is no longer followed), seq 0 (not known),
# no hops, freed in udp_queue_rcv_one_skb (or udp_queue_rcv_skb, if
# inlined), as many as COUNTER moved; aggregate mode counts as many in
# @drop under the same names.
inner_drop_check() {
	local spi=$1 c=$2 d before n s re
	s=$(printf 'spi=0x%08x' "$spi")
	d=$(mktemp -d)
	before=$(xfrm_stat "$B" "$c")
	udp_flow 5 "$d" 8
	t_eq "$(wc -l <"$d/recv")" 0 "datagrams received"
	n=$(($(xfrm_stat "$B" "$c") - before))
	t_eq "$n" 5 "$c in /proc/net/xfrm_stat moved by the datagrams sent"
	wait_last "$spi" 5
	t_retry 30 ev_atleast "$n" "^DROP .*$s " ||
		t_fail "$(ev_count "^DROP .*$s ") DROP lines of $n"
	grep "^DROP .*$s " "$TR/ev.out" | head -n2
	re="^DROP [0-9]+ skb=0x[0-9a-f]+ $s seq=0 encap=2 stage=inner where=udp_queue_rcv[a-z_]* reason=[0-9]+"
	t_eq "$(ev_count "$re counter=[^ ]*$c[^ ]* hops=0x0 err=0\$")" "$n" \
		"DROP lines: stage inner, the SPI, counter with $c, freed in udp_queue_rcv*"
	t_eq "$(ev_count "^DROP .*$s ")" "$n" "no other DROP lines"
	t_retry 30 grep -qE "^@drop\[$((spi)), inner, [^,]*$c[^,]*, [0-9]+\]: $n\$" "$TR/agg.out" ||
		t_fail "aggregate: $(agg_line "@drop[$((spi)), ")"
	agg_line "@drop[$((spi)), "
	t_eq "$(agg_n "$spi" xfrm_rcv_cb)" 5 "aggregate: the packets counted once, at xfrm_rcv_cb"
}

# The decrypted packet dropped by the receiver's policy check, which the
# script no longer follows (it stops at xfrm_rcv_cb): B's inbound policy
# wants an SA of reqid 9 (the SA has reqid 1): XfrmInTmplMismatch.
case_drop_inner_tmpl() {
	tracers_up
	ns_pair
	natt_transport 0x9000
	ip -n "$B" xfrm policy update src 10.0.0.1/32 dst 10.0.0.2/32 dir in priority 100 \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 9 mode transport
	inner_drop_check 0x9000 XfrmInTmplMismatch
}

# The same with B's inbound policy blocking: XfrmInPolBlock.
case_drop_inner_block() {
	tracers_up
	ns_pair
	natt_transport 0x9100
	ip -n "$B" xfrm policy update src 10.0.0.1/32 dst 10.0.0.2/32 dir in priority 100 \
		action block
	inner_drop_check 0x9100 XfrmInPolBlock
}

# After SIGINT: exit status 0, END's last block and TICK, no lost events,
# no errors.
case_stop() {
	local name
	for name in ev agg; do
		t_eq "$(cat "$TR/$name.rc")" 0 "$name: exit status"
		t_eq "$(grep . "$TR/$name.out" | tail -n1 | cut -d' ' -f1)" TICK "$name: last line"
		t_eq "$(grep -c '^Lost' "$TR/$name.out" || true)" 0 "$name: lost events"
		if grep -q . "$TR/$name.err"; then
			t_fail "$name: stderr: $(cat "$TR/$name.err")"
		fi
	done
	t_eq "$(grep -c '^@' "$TR/ev.out" || true)" 0 "events mode: no map lines"
	t_eq "$(grep -cE '^(PKT|DROP) ' "$TR/agg.out" || true)" 0 "aggregate mode: no event lines"
	# the last aggregate block (between the last two TICKs) holds every SPI
	t_match "$(grep . "$TR/agg.out" | tac | sed -n '2,/^TICK/p' | grep -c '^@pkt\[')" '^[1-9][0-9]*$' "final block"
}

t_case "every probe's function exists in $(uname -r)" case_probes
t_case "xfrm-rx.bt attaches in both modes (and any other script)" case_attach
t_case "NAT-T IPv4: $N packets through the 9 hops, in order" case_natt4
t_case "plain ESP IPv4: xfrm4_rcv path" case_plain4
t_case "plain ESP IPv4, tunnel mode: xfrm_rcv_cb the last hop" case_tunnel4
t_case "NAT-T IPv6: udpv6 -> xfrm6 -> esp6 chain" case_natt6
t_case "ESP through GRO: esp4_gro_receive path" case_gro4
t_case "drop: no SA -> XfrmInNoStates" case_drop_nostate
t_case "drop: bad ICV -> XfrmInStateProtoError" case_drop_icv
t_case "drop: replayed packets -> XfrmInStateSeqError" case_drop_replay
t_case "drop after decryption: inbound policy's template -> XfrmInTmplMismatch" case_drop_inner_tmpl
t_case "drop after decryption: inbound policy blocks -> XfrmInPolBlock" case_drop_inner_block
tracer_stop ev
tracer_stop agg
t_case "tracers exit cleanly on SIGINT" case_stop
# kept for a look when the guest runs with -o DIR
[ -z "${XFRMCTL_VM_OUT:-}" ] || cp "$TR"/*.out "$TR"/*.err "$XFRMCTL_VM_OUT/" 2>/dev/null
for name in ev agg; do
	echo "# $name: $(grep -c . "$TR/$name.out") lines; first ones:"
	grep -m 12 -E '^(PKT|DROP|@)' "$TR/$name.out" | sed 's/^/#   /'
done
echo "# drops after decryption (stage inner):"
grep -m 2 -E '^DROP .* stage=inner ' "$TR/ev.out" | sed 's/^/#   /'
grep -E '^@drop\[[0-9]+, inner, ' "$TR/agg.out" | tail -n2 | sed 's/^/#   /'
t_done
