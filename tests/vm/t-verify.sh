#!/bin/bash
# xfrmctl verify with the kernel as the oracle: it decrypts the kernel's own
# ESP (every algorithm of issue 5, plain and NAT-T, IPv4 and IPv6, transport
# and tunnel, ESN across the 32-bit wrap) to exactly what was sent and what
# the receiving kernel delivered; for crafted packets injected into the
# receiver its verdict is the XfrmIn* counter the kernel moved; and tshark,
# given `state export --wireshark`, decrypts the same captures to the same
# bytes.
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/ipsec.sh"
. "$T_TOP/tests/lib/json.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}
PY=$T_LOGDIR/py
mkdir -p "$PY"

# flows.py: UDP datagrams on many ports at once, each port its own SA.
cat >"$PY/flows.py" <<'EOF'
"""flows.py send SRC DST COUNT PORT...          COUNT datagrams to each port
flows.py recv ADDR COUNT SECS ENCAP OUT PORT...  receive them (ENCAP 1: hold a
    UDP_ENCAP_ESPINUDP socket on 4500 meanwhile); OUT gets {port: [hex…]};
    prints 'listening' on stderr once bound"""
import json, select, socket, sys, time

SIZES = [13, 64, 100, 255, 333, 1000]


def payload(port, i):
    n = SIZES[port % len(SIZES)]
    return (b"p%05d-i%03d-" % (port, i) * (n // 11 + 1))[:n]


def family(a):
    return socket.AF_INET6 if ":" in a else socket.AF_INET


def main(a):
    if a[1] == "send":
        src, dst, count, ports = a[2], a[3], int(a[4]), [int(p) for p in a[5:]]
        s = socket.socket(family(dst), socket.SOCK_DGRAM)
        s.bind((src, 0))
        for i in range(count):
            for p in ports:
                s.sendto(payload(p, i), (dst, p))
            time.sleep(0.02)
        return
    addr, count, secs, encap, out = a[2], int(a[3]), float(a[4]), a[5] == "1", a[6]
    ports = [int(p) for p in a[7:]]
    keep = None
    if encap:
        keep = socket.socket(family(addr), socket.SOCK_DGRAM)
        keep.setsockopt(socket.IPPROTO_UDP, 100, 2)
        keep.bind((addr, 4500))
    socks = {}
    for p in ports:
        s = socket.socket(family(addr), socket.SOCK_DGRAM)
        s.bind((addr, p))
        socks[s] = p
    print("listening", file=sys.stderr, flush=True)
    got = {p: [] for p in ports}
    end = time.time() + secs
    while any(len(v) < count for v in got.values()) and time.time() < end:
        r, _, _ = select.select(list(socks), [], [], max(0.01, end - time.time()))
        for s in r:
            got[socks[s]].append(s.recv(65536).hex())
    json.dump({str(p): v for p, v in got.items()}, open(out, "w"))


if __name__ == "__main__":
    main(sys.argv)
EOF

# check.py: what verify said and wrote against what was sent and received,
# and against what tshark decrypted.
cat >"$PY/check.py" <<'EOF'
"""check.py matrix SAS COUNT VERIFY-JSONL INNER-PCAP RECV-JSON
check.py tshark SAS VERIFY-JSONL INNER-PCAP ESP-SA TSHARK-TSV"""
import json, struct, sys

sys.path.insert(0, sys.argv[0].rsplit("/", 1)[0])
from flows import payload

fails = []


def fail(msg):
    fails.append(msg)


def sas(path):  # spi port name esn
    out = {}
    for line in open(path):
        spi, port, name, esn = line.rstrip("\n").split("\t")
        out[int(spi)] = (int(port), name, esn == "1")
    return out


def pcap(path):
    data = open(path, "rb").read()
    off, pkts = 24, []
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        pkts.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return pkts


def ip_payload(pkt):  # (udp dport, udp payload, ip header length)
    hl = (pkt[0] & 15) * 4 if pkt[0] >> 4 == 4 else 40
    udp = pkt[hl:]
    return struct.unpack(">H", udp[2:4])[0], udp[8:], hl


def verdicts(path):
    lines = [json.loads(l) for l in open(path)]
    return [l for l in lines if "index" in l], lines[-1]


def matrix(a):
    table, count = sas(a[2]), int(a[3])
    pkts, summary = verdicts(a[4])
    inner, recv = pcap(a[5]), json.load(open(a[6]))
    for p in pkts:
        if p["verdict"] != "ok":
            fail("#%d spi 0x%x seq %d: %s, %s" % (p["index"], p["spi"], p["seq"], p["verdict"],
                                                 p.get("detail")))
    seen = {}
    for p in pkts:
        seen[p["spi"]] = seen.get(p["spi"], 0) + 1
    for spi, (port, name, esn) in table.items():
        if seen.get(spi) != count:
            fail("%s (spi 0x%x): %s packets verified, want %d" % (name, spi, seen.get(spi), count))
    got = {}
    for pkt in inner:
        port, data, _ = ip_payload(pkt)
        got.setdefault(port, []).append(data)
    for spi, (port, name, esn) in table.items():
        want = [payload(port, i) for i in range(count)]
        kernel = [bytes.fromhex(h) for h in recv[str(port)]]
        if kernel != want:
            fail("%s: the kernel delivered %d of %d datagrams" % (name, len(kernel), count))
        if got.get(port) != want:
            fail("%s: xfrmctl decrypted %s, want %s" % (name, got.get(port, [])[:1], want[:1]))
    esn_seen = [p for p in pkts if p["seq"] >> 32]
    if not esn_seen and any(e for _, _, e in table.values()):
        fail("no packet past the 32-bit wrap: the ESN cases did not wrap")
    print("%d SAs, %d packets, %d past the ESN wrap: all as sent" %
          (len(table), len(pkts), len(esn_seen)))


def tshark(a):
    table = sas(a[2])
    pkts, _ = verdicts(a[3])
    inner = pcap(a[4])
    exported = {int(l.split(",")[3].strip('"'), 16) for l in open(a[5]) if l.startswith('"')}
    # xfrmctl's ESP payload per frame: the inner packet (tunnel), or what
    # follows the IP header it put back (transport)
    ours = {}
    for p, pkt in zip([p for p in pkts if p["verdict"] == "ok"], inner):
        ours[p["index"]] = pkt if mode == "tunnel" else pkt[ip_payload(pkt)[2]:]
    compared = 0
    for line in open(a[6]):
        f = line.rstrip("\n").split("\t")
        if len(f) < 4 or not f[1]:
            continue
        frame, spi, pad, data = int(f[0]), int(f[1], 16), f[2], f[3]
        if spi not in exported:
            if data:
                fail("tshark decrypted frame %d of spi 0x%x, which was not exported" % (frame, spi))
            continue
        if not data or not pad:
            fail("tshark did not decrypt frame %d (spi 0x%x, %s)" % (frame, spi, table[spi][1]))
            continue
        plain = bytes.fromhex(data)
        theirs = plain[:len(plain) - 2 - int(pad)]
        if ours.get(frame) != theirs:
            fail("frame %d (%s): tshark %s…, xfrmctl %s…" %
                 (frame, table[spi][1], theirs[:24].hex(), (ours.get(frame) or b"")[:24].hex()))
        compared += 1
    want = sum(1 for p in pkts if p["spi"] in exported)
    if compared != want:
        fail("tshark compared %d frames, want %d" % (compared, want))
    print("%d SAs exported, %d frames: tshark and xfrmctl agree" % (len(exported), compared))


mode = sys.argv[7] if len(sys.argv) > 7 else "transport"
{"matrix": matrix, "tshark": tshark}[sys.argv[1]](sys.argv)
for f in fails:
    print("FAIL:", f)
sys.exit(1 if fails else 0)
EOF

# craft.py: ESP for a NULL-encryption HMAC-SHA-256-128 SA, built here (the
# oracle owes nothing to lib/esp.c), sent one frame at a time from the
# sender's veth; after each, the receiver's XfrmIn* counters that moved.
cat >"$PY/craft.py" <<'EOF'
"""craft.py IFACE DSTMAC NS KEYHEX SPI STEP...   (run in the sender's namespace)
STEP := KIND:SEQ with KIND good | seq0 | flip | trunc | trunc6 | badpad | dummy | spi+1
Prints, for each step, the XfrmIn* counters of namespace NS that moved ('ok' if none)."""
import hashlib, hmac, socket, struct, subprocess, sys, time


def csum(b):
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def stats(ns):
    out = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/net/xfrm_stat"],
                         capture_output=True, text=True, check=True).stdout
    return dict(l.split() for l in out.splitlines() if l.startswith("XfrmIn"))


def esp(kind, seq, key, spi):
    data = b"crafted %s %d " % (kind.encode(), seq) + b"." * 20
    udp = struct.pack(">HHHH", 7777, 7777, 8 + len(data), 0) + data
    pad = (4 - (len(udp) + 2) % 4) % 4
    padlen, nh = pad, 17
    if kind == "badpad":
        padlen = 200
    if kind == "dummy":
        nh = 59
    plain = udp + bytes(range(1, pad + 1)) + bytes([padlen, nh])
    hdr = struct.pack(">II", spi, seq)
    e = hdr + plain + hmac.new(key, hdr + plain, hashlib.sha256).digest()[:16]
    if kind == "flip":
        e = e[:-1] + bytes([e[-1] ^ 1])
    elif kind == "trunc":
        e = e[:18]
    elif kind == "trunc6":
        e = e[:6]
    elif kind == "spi+1":
        e = struct.pack(">I", spi + 1) + e[4:]
    return e


def main(a):
    iface, dmac, ns, key, spi = a[1], bytes.fromhex(a[2].replace(":", "")), a[3], \
        bytes.fromhex(a[4][2:]), int(a[5], 0)
    smac = bytes.fromhex(open("/sys/class/net/%s/address" % iface).read().strip().replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for step in a[6:]:
        kind, seq = step.split(":")
        body = esp(kind, int(seq), key, spi)
        ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(body), int(seq) & 0xffff,
                                   0, 64, 50, 0, socket.inet_aton("10.0.0.1"),
                                   socket.inet_aton("10.0.0.2")))
        ip[10:12] = struct.pack(">H", csum(bytes(ip)))
        before = stats(ns)
        s.send(dmac + smac + b"\x08\x00" + bytes(ip) + body)
        time.sleep(0.4)
        after = stats(ns)
        moved = [k for k in after if after[k] != before.get(k)]
        print(step, " ".join(moved) or "ok", flush=True)


main(sys.argv)
EOF

# capture_start DIR: tcpdump on B's vb into DIR/cap.pcap ($CAP), with room
# for bursts (-B, KiB)
capture_start() {
	ip netns exec "$B" tcpdump -Z root --immediate-mode -U -B 8192 -i vb -n -w "$1/cap.pcap" \
		'udp port 4500 or esp' 2>"$1/tcpdump.err" &
	CAP=$!
	t_defer kill $CAP
	t_retry 10 grep -q listening "$1/tcpdump.err" || t_fail "tcpdump did not start"
}
capture_frames() { "$T_TOP/tests/lib/inject.py" --count "$1"; }
# capture_wait DIR N: until DIR/cap.pcap holds N frames (else tcpdump's
# own count of what it got and dropped)
capture_wait() {
	t_retry 30 bash -c "[ \$('$T_TOP/tests/lib/inject.py' --count '$1/cap.pcap') -ge $2 ]" || {
		kill -INT $CAP
		wait $CAP || true
		t_fail "capture incomplete: $(capture_frames "$1/cap.pcap") of $2 frames;" \
			"tcpdump: $(tail -n3 "$1/tcpdump.err" | tr '\n' ' ')"
	}
}

# xfrm_stat_all NS: the XfrmIn* counters, "name value" lines
xfrm_stat_all() { ip netns exec "$1" grep '^XfrmIn' /proc/net/xfrm_stat; }
# moved BEFORE AFTER: the counters that changed, space-separated ("ok" if none)
moved() {
	local m
	m=$(diff <(echo "$1") <(echo "$2") | awk '/^>/ {print $2}' | tr '\n' ' ')
	echo "${m:-ok}" | sed 's/ $//'
}

# key BYTES SEED: a test key, 0xHEX
key() {
	local i out=0x
	for ((i = 0; i < $1; i++)); do out+=$(printf %02x $((($2 * 37 + i * 11 + 5) & 255))); done
	echo "$out"
}

# The algorithms of issue 5: name | the SA's algorithm words | ESN (across
# the wrap of the low 32 bits: the sender starts at 0xffffffff, the
# receiver's window just below it). "" is the null cipher's empty key.
ALGS=()
n=0
for kb in 16 24 32; do
	for h in "sha1 20 96" "sha256 32 128" "sha384 48 192" "sha512 64 256"; do
		read -r hn hk hb <<<"$h"
		ALGS+=("cbc(aes)$((kb * 8))+hmac($hn)$hb|enc cbc(aes) $(key "$kb" $n) auth-trunc hmac($hn) $(key "$hk" $((n + 50))) $hb|$((n % 3 == 1))")
		n=$((n + 1))
	done
done
for g in "64 20" "96 28" "128 36"; do # AES-128, -192, -256 with their salts
	read -r icv kb <<<"$g"
	ALGS+=("rfc4106($((kb * 8 - 32)))-$icv|aead rfc4106(gcm(aes)) $(key "$kb" $n) $icv|$((n % 3 == 1))")
	n=$((n + 1))
done
ALGS+=("rfc4543|aead rfc4543(gcm(aes)) $(key 20 $n) 128|1")
ALGS+=("rfc7539esp|aead rfc7539esp(chacha20,poly1305) $(key 36 $((n + 1))) 128|1")
ALGS+=("null+hmac(sha256)128|enc ecb(cipher_null) \"\" auth-trunc hmac(sha256) $(key 32 $((n + 2))) 128|0")
COUNT=3

# matrix ID FAMILY MODE: every algorithm, plain and NAT-T, one SA each,
# between A and B; the kernel sends COUNT datagrams through each, B
# receives them; verify (SAs from the 'state add' lines B's SAs were made
# from) must decrypt every packet of the capture to the bytes sent. What it
# used goes to $T_LOGDIR/mx-ID for the tshark case.
matrix() {
	local id=$1 fam=$2 mode=$3 src dst plen any d encap i name words esn spi port base
	local arep brep how ports=()
	ns_pair
	if [ "$fam" = 4 ]; then src=10.0.0.1 dst=10.0.0.2 plen=32 any=0.0.0.0
	else src=fd00::1 dst=fd00::2 plen=128 any=::; fi
	d=$T_LOGDIR/mx-$id
	rm -rf "$d" && mkdir -p "$d"
	echo "$mode" >"$d/mode"
	for encap in 0 1; do
		for i in "${!ALGS[@]}"; do
			IFS='|' read -r name words esn <<<"${ALGS[$i]}"
			spi=$(((id << 16) | (encap << 8) | (i + 1)))
			port=$((7000 + encap * 100 + i))
			ports+=("$port")
			base="src $src dst $dst proto esp spi $spi reqid $spi mode $mode $words"
			[ "$encap" = 0 ] || base+=" encap espinudp 4500 4500 $any"
			arep="replay-window 32" brep="replay-window 32"
			if [ "$esn" = 1 ]; then
				arep="flag esn replay-window 32 replay-oseq 0xfffffffe"
				brep="flag esn replay-window 32 replay-seq 0xfffffffd"
			fi
			echo "xfrm state add $base $arep" >>"$d/a.batch"
			echo "xfrm state add $base $brep" >>"$d/b.batch"
			echo "state add ${base//\"\"/0x} $brep" >>"$d/sa.lines" # xfrmctl's empty key
			echo "xfrm policy add src $src/$plen dst $dst/$plen proto udp dport $port dir out" \
				"priority 100 tmpl src $src dst $dst proto esp reqid $spi mode $mode" >>"$d/a.batch"
			echo "xfrm policy add src $src/$plen dst $dst/$plen proto udp dport $port dir in" \
				"priority 100 tmpl src $src dst $dst proto esp reqid $spi mode $mode" >>"$d/b.batch"
			how=plain
			[ "$encap" = 0 ] || how=natt
			printf '%s\t%s\t%s\t%s\n' "$spi" "$port" "$name $how" "$esn" >>"$d/sas.tsv"
		done
	done
	# the ESP-in-UDP carrier itself goes unencrypted (checked before ESP)
	echo "xfrm policy add src $src/$plen dst $dst/$plen proto udp sport 4500 dport 4500 dir out priority 10" >>"$d/a.batch"
	echo "xfrm policy add src $src/$plen dst $dst/$plen proto udp sport 4500 dport 4500 dir in priority 10" >>"$d/b.batch"
	ip -n "$A" -batch "$d/a.batch" || t_fail "the sender's SAs were refused"
	ip -n "$B" -batch "$d/b.batch" || t_fail "the receiver's SAs were refused"

	capture_start "$d"
	ip netns exec "$B" python3 "$PY/flows.py" recv "$dst" $COUNT 60 1 "$d/recv.json" "${ports[@]}" \
		2>"$d/recv.err" &
	local rpid=$!
	t_retry 10 grep -q listening "$d/recv.err" || t_fail "receiver: $(cat "$d/recv.err")"
	ip netns exec "$A" python3 "$PY/flows.py" send "$src" "$dst" $COUNT "${ports[@]}"
	wait $rpid || t_fail "receiver: $(cat "$d/recv.err")"
	capture_wait "$d" $((COUNT * ${#ports[@]}))

	t_run "$X" -j verify --sa-file "$d/sa.lines" --pcap "$d/cap.pcap" --write-decrypted "$d/inner.pcap"
	printf '%s\n' "$out" >"$d/verify.jsonl"
	python3 "$PY/check.py" matrix "$d/sas.tsv" $COUNT "$d/verify.jsonl" "$d/inner.pcap" \
		"$d/recv.json" || t_fail "verify and the kernel disagree"
	t_eq "$rc" 0 "exit status ($err)"
	# in parallel, the same verdicts, lines and bytes
	t_run "$X" -j verify --sa-file "$d/sa.lines" --pcap "$d/cap.pcap" --jobs 3 \
		--write-decrypted "$d/inner3.pcap"
	t_eq "$rc" 0 "exit status with --jobs 3 ($err)"
	t_eq "$out" "$(cat "$d/verify.jsonl")" "--jobs 3 output"
	cmp "$d/inner.pcap" "$d/inner3.pcap" || t_fail "--jobs 3 wrote other bytes"

	# the export tshark will use, from B's kernel
	t_run "$X" -n "$B" state export --wireshark "$d/esp_sa"
	t_eq "$rc" 0 "export exit status ($err)"
	printf '%s\n' "$err" >"$d/export.err"
	t_eq "$(stat -c %a "$d/esp_sa")" 600 "the export's mode"
	local skipped
	skipped=$(grep -c "skipped SA esp" "$d/export.err" || true)
	t_eq "$skipped" 4 "SAs skipped (rfc4543 and rfc7539esp, plain and NAT-T): $err"
	t_match "$err" "skipped SA esp spi 0x[0-9a-f]{8} dst $dst: Wireshark 4.0 cannot decrypt 'rfc7539esp\(chacha20,poly1305\)'" "the skip warning"
	t_eq "$(grep -c '^"IPv' "$d/esp_sa")" $((${#ports[@]} - 4)) "SAs exported"
}

case_matrix_v4_transport() { matrix 1 4 transport; }
case_matrix_v4_tunnel() { matrix 2 4 tunnel; }
case_matrix_v6_transport() { matrix 3 6 transport; }
case_matrix_v6_tunnel() { matrix 4 6 tunnel; }

# tshark (Wireshark 4.0's dissector, libgcrypt) on the matrix's captures,
# with the SAs `state export --wireshark` wrote: the same bytes as xfrmctl
# for every SA it exported.
case_tshark_agrees() {
	command -v tshark >/dev/null || t_skip "tshark is not installed (apt-get install tshark)"
	local d n=0
	for d in "$T_LOGDIR"/mx-*; do
		[ -s "$d/esp_sa" ] || continue
		mkdir -p "$d/ws"
		cp "$d/esp_sa" "$d/ws/esp_sa"
		WIRESHARK_CONFIG_DIR=$d/ws tshark -r "$d/cap.pcap" -o esp.enable_encryption_decode:TRUE \
			-T fields -E separator=/t -e frame.number -e esp.spi -e esp.pad_len \
			-e esp.decrypted_data >"$d/tshark.tsv" 2>"$d/tshark.err" ||
			t_fail "tshark: $(cat "$d/tshark.err")"
		echo "$(basename "$d") ($(cat "$d/mode")):"
		python3 "$PY/check.py" tshark "$d/sas.tsv" "$d/verify.jsonl" "$d/inner.pcap" \
			"$d/esp_sa" "$d/tshark.tsv" "$(cat "$d/mode")" || t_fail "tshark and xfrmctl disagree"
		n=$((n + 1))
	done
	t_eq "$n" 4 "captures compared (one per matrix case)"
}

case_kernel_traffic_decrypts() {
	ns_pair
	natt_transport 0x1000 replay-window 32
	local d
	d=$(mktemp -d)
	capture_start "$d"
	udp_flow 20 "$d"
	capture_wait "$d" 20
	t_run "$X" -n "$B" -j verify --pcap "$d/cap.pcap" --write-decrypted "$d/inner.pcap"
	t_eq "$rc" 0 "exit status ($err)"
	printf '%s\n' "$out" | head -n 20 >"$d/lines"
	t_eq "$(python3 -c 'import json,sys; print(sum(json.loads(l)["verdict"] == "ok" for l in open(sys.argv[1])))' "$d/lines")" 20 "packets ok"
	t_json "$(sed -n 1p "$d/lines")" '[j["spi"], j["seq"], j["encap-dport"], j["inner"]["proto"], j["inner"]["sport"], j["inner"]["dport"]]' '[4096, 1, 4500, "udp", 7777, 7777]'
	t_json "$(sed -n 20p "$d/lines")" 'j["seq"]' 20
	t_json "$(printf '%s\n' "$out" | tail -n1)" 'j["summary"][0]["verdicts"]' '{"ok": 20}'
	# the decrypted packets are what the sender sent, byte for byte
	python3 - "$d/inner.pcap" <<-'PY' || t_fail "decrypted payloads differ"
	import struct, sys
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
	# the same SAs from a listing, and from one SA's get: the same verdicts
	"$X" -n "$B" -j -k state list >"$d/list.json"
	"$X" -n "$B" -j -k state get src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1000 >"$d/get.json"
	local f
	for f in list get; do
		t_run "$X" -j verify --sa-file "$d/$f.json" --pcap "$d/cap.pcap"
		t_eq "$rc" 0 "exit status, SAs from '$f -j -k' ($err)"
		t_eq "$(printf '%s\n' "$out" | md5sum)" "$(printf '%s\n' "$(
			"$X" -n "$B" -j verify --pcap "$d/cap.pcap")" | md5sum)" "verdicts with SAs from '$f'"
	done
}

case_injected_verdicts_match_kernel() {
	ns_pair
	natt_transport 0x1000 replay-window 32
	local d
	d=$(mktemp -d)
	capture_start "$d"
	udp_flow 10 "$d"
	capture_wait "$d" 10
	cp "$d/cap.pcap" "$d/orig.pcap"
	encap_hold "$d"
	local mutation want n before after kernel got
	# frame 5 again: a replay; with a bit of its ICV flipped (a replay
	# still: the window comes first); to another SPI
	for step in "5 none XfrmInStateSeqError" "5 flip-last XfrmInStateSeqError" \
		"5 spi+1 XfrmInNoStates"; do
		read -r n mutation want <<<"$step"
		before=$(xfrm_stat_all "$B")
		local frames_before
		frames_before=$(capture_frames "$d/cap.pcap")
		ip netns exec "$A" "$T_TOP/tests/lib/inject.py" "$d/orig.pcap" "$n" va "$mutation"
		capture_wait "$d" $((frames_before + 1))
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

# Packets the kernel never sends, made with a good ICV (NULL encryption,
# HMAC-SHA-256-128, built by craft.py), injected one at a time into B: for
# each, xfrmctl's verdict must be the XfrmIn* counter the kernel moved.
case_crafted_verdicts_match_kernel() {
	local k spi=0x2000 d steps want
	k=$(key 32 99)
	ns_pair
	ip -n "$B" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi $spi reqid 2 mode transport \
		enc 'ecb(cipher_null)' "" auth-trunc 'hmac(sha256)' "$k" 128 replay-window 4
	ip -n "$B" xfrm policy add src 10.0.0.1/32 dst 10.0.0.2/32 proto udp dport 7777 dir in \
		tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 2 mode transport
	d=$(mktemp -d)
	capture_start "$d"
	# step, and the counter it is meant to move (the kernel has the last word)
	steps=(
		"good:1 ok" "good:2 ok"
		"seq0:0 XfrmInStateSeqError"            # sequence number 0
		"good:10 ok"
		"good:5 XfrmInStateSeqError"            # reordered past the window of 4
		"good:8 ok"                             # late, inside the window
		"flip:11 XfrmInStateProtoError"         # ICV bit flipped
		"good:11 ok"                            # the ICV failure left the window alone
		"trunc:12 XfrmInStateProtoError"        # cut short of the ICV
		"trunc6:12 XfrmInHdrError"              # cut short of the ESP header
		"badpad:12 XfrmInStateProtoError"       # pad length 200, good ICV
		"dummy:13 XfrmInStateProtoError"        # next header 59
		"spi+1:14 XfrmInNoStates"               # another SPI
		"good:11 XfrmInStateSeqError"           # replayed
		"good:12 ok"
	)
	ip netns exec "$A" python3 "$PY/craft.py" va "$(ip -n "$B" -br link show vb | awk '{print $3}')" \
		"$B" "$k" $spi "${steps[@]%% *}" >"$d/kernel" 2>"$d/craft.err" ||
		t_fail "craft.py: $(cat "$d/craft.err")"
	capture_wait "$d" ${#steps[@]}
	t_run "$X" -n "$B" -j verify --pcap "$d/cap.pcap"
	t_eq "$rc" 3 "exit status with drops ($err)"
	printf '%s\n' "$out" | grep -v summary |
		python3 -c 'import json,sys; [print(json.loads(l)["verdict"]) for l in sys.stdin]' \
		>"$d/xfrmctl"
	# the turns of several threads: the same lines
	local one=$out
	t_run "$X" -n "$B" -j verify --pcap "$d/cap.pcap" --jobs 2
	t_eq "$rc" 3 "exit status with drops, --jobs 2 ($err)"
	t_eq "$out" "$one" "--jobs 2 output"
	local i=0 s kernel got
	while read -r s kernel; do
		got=$(sed -n "$((i + 1))p" "$d/xfrmctl")
		want=${steps[$i]#* }
		echo "$s: kernel $kernel, xfrmctl $got"
		t_eq "$kernel" "$want" "the kernel's counter for $s"
		t_eq "$got" "$kernel" "xfrmctl's verdict for $s"
		i=$((i + 1))
	done <"$d/kernel"
	t_eq "$i" ${#steps[@]} "steps the kernel judged"
}

case_no_replay_window() {
	ns_pair
	natt_transport 0x1000 # replay-window 0: the kernel checks no sequence number
	local d before after
	d=$(mktemp -d)
	capture_start "$d"
	udp_flow 3 "$d"
	capture_wait "$d" 3
	cp "$d/cap.pcap" "$d/orig.pcap"
	encap_hold "$d"
	before=$(xfrm_stat_all "$B")
	ip netns exec "$A" "$T_TOP/tests/lib/inject.py" "$d/orig.pcap" 2 va none
	capture_wait "$d" 4
	sleep 0.5
	after=$(xfrm_stat_all "$B")
	t_eq "$(moved "$before" "$after")" ok "no XfrmIn counter moved"
	t_json "$("$X" -n "$B" -j -s state get src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1000)" \
		'j["current"]["packets"]' 4
	t_run "$X" -n "$B" -j verify --pcap "$d/cap.pcap"
	t_eq "$rc" 0 "exit status"
	t_json "$(printf '%s\n' "$out" | sed -n 4p)" '[j["verdict"], j["seq"]]' '["ok", 2]'
}

# state export: where the keys may go, the file's mode, and the same lines
# on standard output with -k.
case_export_file() {
	local d
	ns_pair
	natt_transport 0x1000 replay-window 32
	ip -n "$B" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x3000 \
		enc 'cbc(aes)' "$(key 16 7)" auth 'hmac(sha256)' "$(key 32 8)" flag esn replay-window 64
	d=$(mktemp -d)
	t_err 2 "xfrmctl: state export: the export holds the SAs' keys: give a FILE (written 0600), or -k to write them to standard output" \
		"$X" -n "$B" state export --wireshark
	t_err 2 "xfrmctl: state export: give the format: --wireshark" "$X" -n "$B" state export "$d/x"
	t_err 2 "xfrmctl: state export: unknown option '--pcap' (see 'xfrmctl state export help')" \
		"$X" -n "$B" state export --pcap "$d/x"
	# an existing file, world-readable: replaced, 0600
	echo old >"$d/esp_sa"
	chmod 644 "$d/esp_sa"
	ln -s "$d/esp_sa" "$d/link"
	t_run "$X" -n "$B" state export --wireshark "$d/esp_sa"
	t_eq "$rc" 0 "exit status ($err)"
	t_eq "$(stat -c %a "$d/esp_sa")" 600 "mode of the replaced file"
	t_eq "$err" "xfrmctl: state export: SA esp spi 0x00003000 dst 10.0.0.2: ESN: Wireshark 4.0 decrypts it, but its ICV check fails (the high sequence bits are left out)" "ESN note"
	t_eq "$(grep -c '^"IPv4' "$d/esp_sa")" 2 "lines"
	# plain auth hmac(sha256): the kernel truncates it to 96 bits
	grep -q '"0x00003000","AES-CBC \[RFC3602\]","0x[0-9a-f]\{32\}","HMAC-SHA-256-96 \[draft-ietf-ipsec-ciph-sha-256-00\]","0x[0-9a-f]\{64\}"$' "$d/esp_sa" ||
		t_fail "the cbc(aes) line: $(grep 0x00003000 "$d/esp_sa")"
	t_run "$X" -n "$B" -k state export --wireshark
	t_eq "$out" "$(cat "$d/esp_sa")" "-k to standard output"
	# a symbolic link is replaced, not followed
	t_run "$X" -n "$B" state export --wireshark "$d/link"
	t_eq "$(stat -c %F "$d/link")" "regular file" "the link replaced"
	t_eq "$(ls -A "$d" | grep -c '^\.')" 0 "no temporary file left"
	t_err 1 "xfrmctl: state export: cannot write '$d/nodir/esp_sa': No such file or directory" \
		"$X" -n "$B" state export --wireshark "$d/nodir/esp_sa"
}

case_errors() {
	local f j
	ns_pair
	t_err 2 "xfrmctl: verify: give one of '--pcap FILE' and '--live IFACE'" "$X" -n "$A" verify
	t_err 2 "xfrmctl: verify: unknown option '--pcapfile' (see 'xfrmctl verify help')" "$X" verify --pcapfile x
	t_err 2 "xfrmctl: verify: bad number '0' after '--jobs' (1 to 64)" "$X" verify --pcap x --jobs 0
	t_err 1 "xfrmctl: verify: no ESP SA to verify against (the kernel has none here; -n NETNS?)" \
		"$X" -n "$A" verify --pcap /nonexistent
	f=$(mktemp)
	echo "src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x10 aead 'rfc4106(gcm(aes))' 0x00 128" >"$f"
	t_err 2 "xfrmctl: verify: $f line 1: key for 'rfc4106(gcm(aes))' must be 20, 28 or 36 bytes (salt included), got 1" \
		"$X" verify --sa-file "$f" --pcap /nonexistent
	printf '# SAs\n\nstate add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x10 aead rfc4106(gcm(aes)) %s 128\npolicy add src 10.0.0.1 dst 10.0.0.2 dir out\nadd src 10.0.0.1 dst 10.0.0.x proto esp spi 0x11 aead rfc4106(gcm(aes)) %s 128\n' \
		"$(key 20 1)" "$(key 20 2)" >"$f"
	t_err 2 "xfrmctl: verify: $f line 5: bad address '10.0.0.x' after 'dst'" \
		"$X" verify --sa-file "$f" --pcap /nonexistent
	printf 'state get dst 10.0.0.2 proto esp spi 0x10\n' >"$f"
	t_err 2 "xfrmctl: verify: $f line 1: not an SA: 'state get' (one 'state add' a line)" \
		"$X" verify --sa-file "$f" --pcap /nonexistent
	t_err 1 "xfrmctl: verify: cannot read SA file '/nonexistent': No such file or directory" \
		"$X" verify --sa-file /nonexistent --pcap /nonexistent
	# JSON: the line, the SA, the member
	j=$(mktemp)
	printf '[\n {"src": "10.0.0.1", "dst": "10.0.0.2", "proto": "esp", "spi": 16,\n  "aead": {"name": "rfc4106(gcm(aes))", "key-bits": 160, "icv-bits": 128}}\n]\n' >"$j"
	t_err 2 "xfrmctl: verify: $j line 3 (SA 1): 'aead' has no key (list the SAs with -k)" \
		"$X" verify --sa-file "$j" --pcap /nonexistent
	printf '[{"src": "10.0.0.1", "dst": "10.0.0.2", "proto": "esp", "spi": 16, "enc": {"name": "cbc(aes)", "key": "%s"}},\n {"src": "10.0.0.1",\n  "spi": "16"}]' "$(key 16 4)" >"$j"
	t_err 2 "xfrmctl: verify: $j line 3 (SA 2): 'spi' wants a whole number, got '\"16\"'" \
		"$X" verify --sa-file "$j" --pcap /nonexistent
	printf '{"src": "10.0.0.1", "dst": "10.0.0.2", "colour": "red"}' >"$j"
	t_err 2 "xfrmctl: verify: $j line 1 (SA 1): unknown member 'colour'" \
		"$X" verify --sa-file "$j" --pcap /nonexistent
	printf '{"src": "10.0.0.x", "dst": "10.0.0.2", "proto": "esp", "spi": 16,\n "enc": {"name": "cbc(aes)", "key": "%s"}}' "$(key 16 3)" >"$j"
	t_err 2 "xfrmctl: verify: $j line 1 (SA 1): bad address '10.0.0.x' after 'src'" \
		"$X" verify --sa-file "$j" --pcap /nonexistent
	printf '[\n{"src" "10.0.0.1"}]' >"$j"
	t_err 2 "xfrmctl: verify: $j line 2 (SA 1): expected ':', got '\"10.0.0.1\"'" \
		"$X" verify --sa-file "$j" --pcap /nonexistent
	printf '{"src": "10.0.0.1", "dst": "10.0.0.2", "proto": "esp", "spi": 16, "enc": {"name": "cbc(aes)", "key": "@/etc/passwd"}}' >"$j"
	t_err 2 "xfrmctl: verify: $j line 1 (SA 1): the key of 'enc' must be 0xHEX" \
		"$X" verify --sa-file "$j" --pcap /nonexistent
}

t_case "v4 transport: every algorithm, plain and NAT-T, ESN wrap: as sent" case_matrix_v4_transport
t_case "v4 tunnel: every algorithm, plain and NAT-T, ESN wrap: as sent" case_matrix_v4_tunnel
t_case "v6 transport: every algorithm, plain and NAT-T, ESN wrap: as sent" case_matrix_v6_transport
t_case "v6 tunnel: every algorithm, plain and NAT-T, ESN wrap: as sent" case_matrix_v6_tunnel
t_case "tshark with the exported esp_sa decrypts the same bytes" case_tshark_agrees
t_case "the kernel's ESP-in-UDP decrypts to exactly what was sent (kernel, list, get SAs)" case_kernel_traffic_decrypts
t_case "injected replay, ICV flip, wrong SPI: verdict = the kernel's counter" case_injected_verdicts_match_kernel
t_case "crafted seq 0, too old, flip, truncated, bad pad, dummy: verdict = counter" case_crafted_verdicts_match_kernel
t_case "window 0: the kernel accepts a replay, and so does verify" case_no_replay_window
t_case "state export: keys only to a 0600 file or with -k" case_export_file
t_case "usage and SA file errors name the file, line and token" case_errors
t_done
