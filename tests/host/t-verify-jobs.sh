#!/bin/bash
# verify --jobs: the same lines, summary, exit status and decrypted bytes
# as one thread, packet by packet, on captures made to try the order of
# the turns: replays inside and past the window, packets late and
# reordered across batches, ICV failures next to their good copies, other
# SPIs, packets that are not ESP, an ESN wrap of the low 32 bits, and
# --count stopping in the middle. The packets come from tests/bench/espgen
# (its own OpenSSL code, not lib/esp.c); the mutations are made here.
. "$(dirname "$0")/../lib/t.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}

# mutate IN OUT [pcapng]: the records of IN, rearranged (see below) into
# OUT, a classic pcap, or pcapng (read in place too, by one cutter).
# Prints how many of each mutation went in.
mutate() {
	python3 - "$@" <<-'PY'
	import random, struct, sys
	src, dst = sys.argv[1], sys.argv[2]
	ng = len(sys.argv) > 3
	data = open(src, "rb").read()
	head, off, recs = data[:24], 24, []
	while off < len(data):
	    ts, us, cap, ln = struct.unpack_from("<IIII", data, off)
	    recs.append(bytearray(data[off + 16:off + 16 + cap]))
	    off += 16 + cap
	rnd = random.Random(5)
	out, n = [], dict(replay=0, old=0, flip=0, spi=0, other=0, swap=0)
	orig = []                       # out[j] is a record as it was
	for i, r in enumerate(recs):
	    out.append(r)
	    orig.append(True)
	    m = len(out)
	    k = rnd.randrange(40)
	    if k == 0 and i > 3:        # a replay, inside the window of 64
	        out.append(recs[i - rnd.randrange(1, 4)]); n["replay"] += 1
	    elif k == 1 and i > 300:    # far behind: past the window
	        out.append(recs[i - 300]); n["old"] += 1
	    elif k == 2:                # the next one with its ICV hit first
	        if i + 1 < len(recs):
	            b = bytearray(recs[i + 1]); b[-1] ^= 1; out.append(b); n["flip"] += 1
	    elif k == 3:                # another SPI (no SA)
	        b = bytearray(r); b[20] ^= 0x40; out.append(b); n["spi"] += 1
	    elif k == 4:                # not ESP: UDP 10.0.0.1.7 > 10.0.0.2.9
	        u = bytearray(b"\x45\x00\x00\x1e\x00\x00\x00\x00\x40\x11\x00\x00"
	                      b"\x0a\x00\x00\x01\x0a\x00\x00\x02\x00\x07\x00\x09\x00\x0a\x00\x00hi")
	        s = sum(struct.unpack("!10H", bytes(u[:20])))
	        s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
	        u[10:12] = struct.pack("!H", ~s & 0xffff)
	        out.append(u); n["other"] += 1
	    elif k == 5 and m > 2 and orig[m - 2]:  # this one before the one ahead
	        out[m - 1], out[m - 2] = out[m - 2], out[m - 1]; n["swap"] += 1
	    orig += [False] * (len(out) - len(orig))
	with open(dst, "wb") as f:
	    if not ng:
	        f.write(head)
	        for i, r in enumerate(out):
	            f.write(struct.pack("<IIII", i // 1000, i % 1000, len(r), len(r)) + bytes(r))
	    else:
	        blk = lambda t, b: struct.pack("<II", t, 12 + len(b)) + b + struct.pack("<I", 12 + len(b))
	        f.write(blk(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
	        f.write(blk(1, struct.pack("<HHI", 101, 0, 262144)))
	        for i, r in enumerate(out):
	            pad = bytes(r) + b"\0" * (-len(r) % 4)
	            f.write(blk(6, struct.pack("<IIIII", 0, 0, i, len(r), len(r)) + pad))
	print(" ".join("%s %d" % kv for kv in sorted(n.items())))
	PY
}

setup() {
	command -v cc >/dev/null || t_skip "no C compiler for espgen"
	d=$(mktemp -d)
	t_defer rm -rf "$d"
	cc -O2 -o "$d/espgen" "$T_TOP/tests/bench/espgen.c" -lcrypto -lpcap 2>"$d/cc.err" ||
		t_skip "espgen does not build here: $(head -n1 "$d/cc.err")"
}

# same CAP SA [ARGS...]: verify with 1 thread and with 2, 3 and 5: the
# same stdout, stderr, status and --write-decrypted bytes. With --quiet,
# the same again without --write-decrypted: the threads then take the
# turns of a batch whose packets are one clean run in one step
# (xc_esp_accept_run()), the others packet by packet.
same() {
	local cap=$1 sa=$2 j o1 e1 r1 w
	local -a wr
	shift 2
	for w in write plain; do
		[ "$w" = write ] || [[ " $* " == *" --quiet "* ]] || continue
		wr=()
		[ "$w" = plain ] || wr=(--write-decrypted "$d/in1.pcap")
		t_run "$X" verify --pcap "$cap" --sa-file "$sa" "${wr[@]}" "$@"
		o1=$out e1=$err r1=$rc
		for j in 2 3 5; do
			[ "$w" = plain ] || wr=(--write-decrypted "$d/in$j.pcap")
			t_run "$X" verify --pcap "$cap" --sa-file "$sa" "${wr[@]}" --jobs $j "$@"
			t_eq "$rc" "$r1" "exit status with --jobs $j ($w $*)"
			t_eq "$err" "$e1" "stderr with --jobs $j ($w $*)"
			[ "$out" = "$o1" ] || t_fail "--jobs $j ($w $*): other lines: $(diff <(echo "$o1") \
				<(echo "$out") | head -n 5)"
			[ "$w" = plain ] || cmp "$d/in1.pcap" "$d/in$j.pcap" ||
				t_fail "--jobs $j ($*) wrote other bytes"
		done
	done
	out=$o1 err=$e1 rc=$r1
}

# the verdicts the mutations must have given, in one thread's output
check_counts() { # counts-line esn
	local -A n
	local k v old_seq old_icv=0
	while read -r k v; do n[$k]=$v; done < <(echo "$1" | xargs -n2)
	[ "${n[replay]}" -gt 0 ] && [ "${n[old]}" -gt 0 ] && [ "${n[flip]}" -gt 0 ] &&
		[ "${n[spi]}" -gt 0 ] && [ "${n[other]}" -gt 0 ] && [ "${n[swap]}" -gt 0 ] ||
		t_fail "a mutation missing: $1"
	t_match "$out" "not ESP: ${n[other]} packets" "packets not ESP"
	t_match "$out" "no SA: ${n[spi]}," "packets of no SA"
	# a replay is SeqError, and so is a packet past the window, but with
	# ESN: that one is taken for the next 2^32 (xfrm_replay_seqhi), and
	# fails its ICV. An ICV hit first is ProtoError, its good copy ok.
	old_seq=${n[old]}
	if [ "$2" = esn ]; then
		old_icv=$old_seq old_seq=0
	fi
	t_eq "$(grep -c ': XfrmInStateSeqError, ' <<<"$out")" $((n[replay] + old_seq)) \
		"SeqError lines"
	t_eq "$(grep -c ': XfrmInStateProtoError, ICV mismatch' <<<"$out")" $((n[flip] + old_icv)) \
		"ICV mismatch lines"
	t_eq "$rc" 3 "exit status with drops"
}

case_gcm_esn_wrap() {
	setup
	# 3000 packets across the wrap of the low 32 bits, some 12 batches
	"$d/espgen" gcm 3000 120 "$d/a.pcap" "$d/a.sa" 0xfffffa00 >/dev/null
	local counts
	counts=$(mutate "$d/a.pcap" "$d/m.pcap")
	same "$d/m.pcap" "$d/a.sa"
	check_counts "$counts" esn
	t_match "$out" "seq 4294967296: ok" "the first packet past the wrap"
	same "$d/m.pcap" "$d/a.sa" -j
	same "$d/m.pcap" "$d/a.sa" --quiet
	same "$d/m.pcap" "$d/a.sa" --count 1500
	t_match "$out" "SA esp spi 0x00001000 dst 10.0.0.2: 1[0-9]{3} packets" "--count"
	# cut off in a record: the lines up to it, then the error
	head -c $(($(stat -c %s "$d/m.pcap") * 2 / 3)) "$d/m.pcap" >"$d/cut.pcap"
	same "$d/cut.pcap" "$d/a.sa"
	t_eq "$rc" 1 "exit status, a truncated capture"
	t_eq "$err" "xfrmctl: verify: reading packets: truncated dump file '$d/cut.pcap'" "the error"
	t_match "$out" "^#1 .*"$'\n'"#2 " "the lines before it"
	same "$d/cut.pcap" "$d/a.sa" --count 300 # done before the error
	t_eq "$err" "" "no error before --count"
}

# A capture of some 20 MB: its pages are let go behind the turns, some MiB
# at a time, while the threads read on (xc_capture_release), and a read
# of the bytes, again, of a packet whose pages went would still see the
# file's bytes; the verdicts and the decrypted bytes must not move.
case_gcm_large() {
	setup
	"$d/espgen" gcm 14000 1400 "$d/g.pcap" "$d/g.sa" >/dev/null
	local counts
	counts=$(mutate "$d/g.pcap" "$d/m.pcap")
	[ "$(stat -c %s "$d/m.pcap")" -gt $((16 << 20)) ] || t_fail "the capture is too small"
	same "$d/m.pcap" "$d/g.sa"
	check_counts "$counts" no-esn
	same "$d/m.pcap" "$d/g.sa" --quiet
	t_match "$out" "SA esp spi 0x00001000 dst 10.0.0.2: [0-9]+ packets, 14000 ok," "every packet of the capture ok"
}

# A part of many small records (here 16-byte empty ones: 16384 in a part)
# holds many more items than a batch: their arrays grow, and shrink again
# when the part is done; the ESP packets after them are read as by one
# thread.
case_small_records() {
	setup
	"$d/espgen" gcm 3000 64 "$d/g.pcap" "$d/g.sa" >/dev/null
	python3 - "$d/g.pcap" "$d/s.pcap" <<-'PY'
	import struct, sys
	data = open(sys.argv[1], "rb").read()
	with open(sys.argv[2], "wb") as f:
	    f.write(data[:24])
	    f.write(struct.pack("<IIII", 1, 0, 0, 0) * 300000)
	    f.write(data[24:])
	PY
	same "$d/s.pcap" "$d/g.sa" --quiet
	t_match "$out" "not ESP: 300000 packets" "the empty records, each a packet not ESP"
	t_match "$out" "SA esp spi 0x00001000 dst 10.0.0.2: 3000 packets, 3000 ok"$'\n' "every ESP packet ok"
}

# Several threads read a classic pcap file in parts of some hundred KiB,
# each from where its first record seems to start (the part before it is
# still being read): here, between the ESP packets, UDP packets whose
# bytes are pcap records, some 16-byte empty ones in a row, then one too
# long; a part whose start falls in them is read from a wrong place (and
# may end at that bad record), and must be read again in its turn from
# where the part before it ended. Then a bad record in the middle.
case_records_in_packets() {
	setup
	"$d/espgen" gcm 3000 1400 "$d/g.pcap" "$d/g.sa" >/dev/null
	local before esp
	read -r before esp < <(python3 - "$d/g.pcap" "$d/f.pcap" "$d/bad.pcap" <<-'PY'
	import struct, sys
	data = open(sys.argv[1], "rb").read()
	sec = struct.unpack_from("<I", data, 24)[0]
	fake = (struct.pack("<IIII", sec, 0, 0, 0) * 5 + struct.pack("<IIII", sec, 0, 300000, 300000)) * 300
	udp = struct.pack("!HHHH", 7, 9, 8 + len(fake), 0) + fake
	ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
	                           bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
	s = sum(struct.unpack("!10H", bytes(ip)))
	s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
	ip[10:12] = struct.pack("!H", ~s & 0xffff)
	pkt = bytes(ip) + udp
	out, off, i, bad = [data[:24]], 24, 0, 0
	while off < len(data):
	    cap = struct.unpack_from("<I", data, off + 8)[0]
	    out.append(data[off:off + 16 + cap])
	    off += 16 + cap
	    i += 1
	    if i % 10 == 0:
	        out.append(struct.pack("<IIII", sec, i, len(pkt), len(pkt)) + pkt)
	f = b"".join(out)
	open(sys.argv[2], "wb").write(f)
	# a record of 300000 bytes (more than libpcap's 262144) at 60 %
	at = len(out) * 3 // 5
	lead = sum(len(r) for r in out[:at])
	b = bytearray(f)
	b[lead + 8:lead + 16] = struct.pack("<II", 300000, 300000)
	open(sys.argv[3], "wb").write(b)
	# the records before it: their number, and the ESP packets among them
	print(at - 1, sum(1 for r in out[1:at] if len(r) != 16 + len(pkt)))
	PY
	)
	[ "$(stat -c %s "$d/f.pcap")" -gt $((8 << 20)) ] || t_fail "the capture is too small"
	same "$d/f.pcap" "$d/g.sa"
	t_eq "$rc" 0 "exit status"
	t_match "$out" "SA esp spi 0x00001000 dst 10.0.0.2: 3000 packets, 3000 ok" "every ESP packet ok"
	t_match "$out" "not ESP: 300 packets" "the UDP packets, and no record in them"
	same "$d/f.pcap" "$d/g.sa" --quiet
	same "$d/bad.pcap" "$d/g.sa"
	t_eq "$rc" 1 "exit status, a bad record"
	t_eq "$err" "xfrmctl: verify: reading packets: '$d/bad.pcap': a record of 300000 bytes, more than 262144" "the error"
	t_eq "$(grep -c '^#' <<<"$out")" "$esp" "the lines of the ESP packets before it"
	t_match "$(grep '^#' <<<"$out" | tail -n 1)" "^#$before " "the last line, the record before it"
}

# --quiet without --write-decrypted: a batch whose ESP packets are one clean
# run has its turns in one step, any other batch one by one; either way
# what one thread gives. Runs refused by a limit (hard packet limits put
# just before, at and after where the parts of the file end, so that one
# counted too many or too few shows), the ESN wrap and gaps; and packets
# that keep a run from being clean though their numbers follow: a NAT-T
# encapsulation the SA has not, a tunnel SA's inner header, or only
# counted (no SA, too short: then the exit status is 3).
case_runs() {
	setup
	"$d/espgen" gcm 3000 200 "$d/l.pcap" "$d/l.sa" 0xfffffa00 >/dev/null
	"$d/espgen" gcm 3000 200 "$d/n.pcap" "$d/n.sa" >/dev/null # no ESN, no wrap
	local per lim
	# the records that start in the first part (PART, 256 KiB, in cli/verify.c)
	per=$(python3 -c 'import os, sys; n = (os.path.getsize(sys.argv[1]) - 24) // 3000; print(-(-262144 // n))' "$d/n.pcap")
	for lim in $((per - 1)) $per $((per + 1)) $((2 * per - 1)) $((2 * per)); do
		sed "s/\$/ limit packet-hard $lim/" "$d/n.sa" >"$d/lim.sa"
		same "$d/n.pcap" "$d/lim.sa" --quiet
		t_match "$out" "SA esp spi 0x00001000 dst 10.0.0.2: 3000 packets, $lim ok, $((2999 - lim)) XfrmInNoStates, 1 XfrmInStateExpired"$'\n' \
			"hard limit $lim, where one thread meets it"
	done
	python3 - "$d" <<-'PY'
	import struct, sys
	d = sys.argv[1]
	def records(name):
	    data, recs, off = open(d + "/" + name, "rb").read(), [], 24
	    while off < len(data):
	        cap = struct.unpack_from("<I", data, off + 8)[0]
	        recs.append(data[off + 16:off + 16 + cap])
	        off += 16 + cap
	    return data[:24], recs
	def cksum(ip):
	    s = sum(struct.unpack("!10H", bytes(ip[:20])))
	    s = (s & 0xffff) + (s >> 16); s = (s & 0xffff) + (s >> 16)
	    ip[10:12] = struct.pack("!H", ~s & 0xffff)
	    return bytes(ip)
	def ip4(proto, payload):
	    return cksum(bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64,
	                                       proto, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + payload))
	def write(name, head, rs):
	    with open(d + "/" + name, "wb") as f:
	        f.write(head)
	        for i, r in enumerate(rs):
	            f.write(struct.pack("<IIII", 1 + i // 1000, i % 1000, len(r), len(r)) + r)
	head, recs = records("l.pcap")
	write("gap.pcap", head, [r for i, r in enumerate(recs) if i % 97 != 50])
	# without the wrap, where every part's run is taken (if clean)
	head, recs = records("n.pcap")
	kinds, encap = [], []
	for i, r in enumerate(recs):
	    if i % 50 == 25:      # another SPI (no SA), then ESP of 4 bytes (too short)
	        kinds += [bytes(r[:20]) + bytes([r[20] ^ 0x40]) + r[21:], ip4(50, b"\x00\x00\x10\x00")]
	    kinds.append(r)
	    if i % 100 == 60:     # ESP in UDP to 4500: the SA has no encapsulation
	        r = ip4(17, struct.pack("!HHHH", 4500, 4500, 8 + len(r) - 20, 0) + r[20:])
	    encap.append(r)
	write("kinds.pcap", head, kinds)
	write("encap.pcap", head, encap)
	PY
	sed 's/$/ limit packet-soft 1500 limit packet-hard 2900/' "$d/l.sa" >"$d/lim.sa"
	same "$d/gap.pcap" "$d/lim.sa" --quiet
	t_match "$out" "SA esp spi 0x00001000 dst 10.0.0.2: 2969 packets, 2900 ok, 68 XfrmInNoStates, 1 XfrmInStateExpired"$'\n' \
		"the hard limit, packets missing"
	same "$d/gap.pcap" "$d/lim.sa"
	t_eq "$(grep -c '(warning: 1 sequence number skipped)' <<<"$out")" 30 \
		"the gaps before the hard limit (packets 50, 147, ... 2863)"
	t_eq "$(grep -c 'soft lifetime limit reached' <<<"$out")" 1 "the soft limit"
	t_match "$out" "seq 4294967296: ok" "the first packet past the wrap"
	same "$d/kinds.pcap" "$d/n.sa" --quiet
	t_eq "$rc" 3 "exit status, drops of no SA and too short only"
	t_match "$out" "SA esp spi 0x00001000 dst 10.0.0.2: 3000 packets, 3000 ok"$'\n'"no SA: 60, too short: 60, not ESP: 0 packets" \
		"the packets of no SA and too short counted"
	same "$d/encap.pcap" "$d/n.sa" --quiet
	t_match "$out" "SA esp spi 0x00001000 dst 10.0.0.2: 3000 packets, 2970 ok, 30 XfrmInStateMismatch"$'\n' \
		"the encapsulated packets refused"
	sed 's/ mode transport / mode tunnel /' "$d/n.sa" >"$d/tun.sa"
	same "$d/n.pcap" "$d/tun.sa" --quiet
	t_match "$out" "SA esp spi 0x00001000 dst 10.0.0.2: 3000 packets, 3000 XfrmInStateModeError"$'\n' \
		"a tunnel SA: every inner header refused"
}

case_cbc_sha256_pcapng() {
	setup
	"$d/espgen" cbc-sha256 2500 96 "$d/b.pcap" "$d/b.sa" >/dev/null
	local counts
	counts=$(mutate "$d/b.pcap" "$d/m.pcapng" ng)
	same "$d/m.pcapng" "$d/b.sa"
	check_counts "$counts" no-esn
	same "$d/m.pcapng" "$d/b.sa" --quiet
	same "$d/m.pcapng" "$d/b.sa" --count 777 -j
}

# On one CPU (taskset), the threads are not placed each on a CPU of its
# own: the same output all the same. And libpcap is loaded neither for a
# classic pcap file nor for a pcapng file, which verify reads itself, but
# for --filter.
case_one_cpu_and_libpcap() {
	setup
	"$d/espgen" gcm 3000 200 "$d/a.pcap" "$d/a.sa" >/dev/null
	mutate "$d/a.pcap" "$d/m.pcap" >/dev/null
	mutate "$d/a.pcap" "$d/m.pcapng" ng >/dev/null
	t_run "$X" verify --pcap "$d/m.pcap" --sa-file "$d/a.sa"
	local o1=$out r1=$rc
	t_run taskset -c 0 "$X" verify --pcap "$d/m.pcap" --sa-file "$d/a.sa" --jobs 4
	t_eq "$rc" "$r1" "exit status, --jobs 4 on one CPU"
	[ "$out" = "$o1" ] || t_fail "--jobs 4 on one CPU: other lines"
	t_eq "$(LD_DEBUG=files "$X" verify --pcap "$d/m.pcap" --sa-file "$d/a.sa" --quiet 2>&1 >/dev/null |
		grep -c 'file=libpcap')" 0 "libpcap loaded for a classic pcap file"
	t_eq "$(LD_DEBUG=files "$X" verify --pcap "$d/m.pcapng" --sa-file "$d/a.sa" --quiet 2>&1 >/dev/null |
		grep -c 'file=libpcap')" 0 "libpcap loaded for a pcapng file"
	[ "$(LD_DEBUG=files "$X" verify --pcap "$d/m.pcapng" --sa-file "$d/a.sa" --quiet --filter esp \
		2>&1 >/dev/null | grep -c 'file=libpcap')" -gt 0 ] || t_fail "libpcap not loaded for --filter"
}

# inject PCAP: its packets (raw IP, as espgen writes them) sent on lo, in
# the netns this runs in, through a packet socket; a pause every 64 so that
# the capture keeps up
inject() {
	python3 - "$1" <<-'PY'
	import socket, struct, sys, time
	data = open(sys.argv[1], "rb").read()
	s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
	s.bind(("lo", 0))
	off, i = 24, 0
	while off < len(data):
	    cap = struct.unpack_from("<I", data, off + 8)[0]
	    ip = data[off + 16:off + 16 + cap]
	    s.send(b"\0" * 12 + (b"\x86\xdd" if ip[0] >> 4 == 6 else b"\x08\x00") + ip)
	    off += 16 + cap
	    i += 1
	    if i % 64 == 0:
	        time.sleep(0.01)
	PY
}

# live OUT ARGS...: verify --live lo in netns $ns, in the background (its
# pid in live_pid), returning once its capture is open: its packet socket
# is then in the netns's /proc/net/packet, where nothing else has one
live() {
	local o=$1 end=$((SECONDS + 10))
	shift
	ip netns exec "$ns" "$X" verify --live lo "$@" >"$o" 2>"$o.err" &
	live_pid=$!
	until [ "$(ip netns exec "$ns" cat /proc/net/packet | wc -l)" -gt 1 ]; do
		kill -0 "$live_pid" 2>/dev/null || t_fail "verify --live $*: ended: $(cat "$o.err")"
		[ $SECONDS -lt $end ] || t_fail "verify --live $*: no capture open after 10 s"
		sleep 0.1
	done
	sleep 0.3
}

lines_at_least() { [ "$(grep -c '^#' "$1")" -ge "$2" ]; }

case_live() {
	[ "$(id -u)" = 0 ] || t_skip "needs root for a netns and a packet socket"
	setup
	ns=xfrmctl-$T_CASE_ID
	ip netns add "$ns"
	t_defer ip netns del "$ns"
	ip netns exec "$ns" ip link set lo up
	"$d/espgen" gcm 600 120 "$d/l.pcap" "$d/l.sa" >/dev/null
	# --count: 500 of the 600 sent, and the run ends by itself there (it
	# once waited for the rest of a batch of 256 that never came)
	for j in 1 2; do
		live "$d/c$j" --sa-file "$d/l.sa" --count 500 --jobs $j
		ip netns exec "$ns" bash -c "$(declare -f inject); inject '$d/l.pcap'"
		timeout 10 tail --pid="$live_pid" -f /dev/null ||
			t_fail "--jobs $j --count 500: still running 10 s after the packets"
		wait "$live_pid" && rc=0 || rc=$?
		t_eq "$rc" 0 "--jobs $j --count 500: exit status ($(cat "$d/c$j.err"))"
		t_run "$X" verify --pcap "$d/l.pcap" --sa-file "$d/l.sa" --count 500
		[ "$(cat "$d/c$j")" = "$out" ] ||
			t_fail "--jobs $j: live lines other than the capture's: $(diff <(echo "$out") "$d/c$j" | head -n 5)"
	done
	# no --count: each packet's line comes while the capture goes on, not
	# once a batch is full; then SIGINT ends it, with the summary
	python3 - "$d/l.pcap" "$d/h.pcap" <<-'PY'
	import struct, sys
	d, o = open(sys.argv[1], "rb").read(), 24
	for _ in range(100):
	    o += 16 + struct.unpack_from("<I", d, o + 8)[0]
	open(sys.argv[2], "wb").write(d[:o])
	PY
	t_run "$X" verify --pcap "$d/h.pcap" --sa-file "$d/l.sa"
	t_eq "$(grep -c '^#' <<<"$out")" 100 "100 packets in the head of the capture"
	live "$d/s" --sa-file "$d/l.sa" --jobs 2
	ip netns exec "$ns" bash -c "$(declare -f inject); inject '$d/h.pcap'"
	t_retry 10 lines_at_least "$d/s" 100 ||
		t_fail "--jobs 2: $(grep -c '^#' "$d/s") of 100 lines while the capture goes on"
	kill -INT "$live_pid"
	wait "$live_pid" && rc=0 || rc=$?
	t_eq "$rc" 0 "exit status after SIGINT ($(cat "$d/s.err"))"
	[ "$(cat "$d/s")" = "$out" ] ||
		t_fail "--jobs 2: live lines other than the capture's: $(diff <(echo "$out") "$d/s" | head -n 5)"
}

t_case "GCM, ESN across the wrap, reordered, replayed, hit: --jobs N = one thread" case_gcm_esn_wrap
t_case "GCM, 20 MB, mutated: --jobs N = one thread while the pages are let go" case_gcm_large
t_case "many small records in a part: --jobs N = one thread" case_small_records
t_case "pcap records inside packets, a bad record: --jobs N = one thread" case_records_in_packets
t_case "lifetime limits, the ESN wrap, gaps: runs of turns taken at once or refused = one thread" case_runs
t_case "CBC+HMAC from pcapng (one cutter), mutated: --jobs N = one thread" case_cbc_sha256_pcapng
t_case "--jobs 4 on one CPU = one thread; libpcap loaded for --filter, not for pcap or pcapng" case_one_cpu_and_libpcap
t_case "--live lo, 1 and 2 threads: --count ends it, lines as packets come, SIGINT" case_live
t_done
