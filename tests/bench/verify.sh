#!/bin/bash
# Benchmark of xfrmctl verify on the host (make bench), every ratio of
# figures measured in this same run:
#   a 100,000-packet ESP capture (tests/bench/espgen.c), 1400 bytes
#   decrypted per packet with rfc4106(gcm(aes)) 128-bit key (1408 with
#   cbc(aes) 128 + hmac(sha256)-128, CBC's block), verified by
#     xfrmctl verify --quiet (one thread, and --jobs 2)
#     openssl speed on the same sizes: AES-128-GCM decryption; AES-128-CBC
#       decryption and HMAC-SHA256 over what ESP authenticates (header, IV,
#       ciphertext), combined as one packet's work: 1 / (1/a + 1/b)
#     tshark with ESP decryption, the SAs from an esp_sa table
# Each timed command runs XFRMCTL_BENCH_RUNS times (default 5); the best run
# counts (the machine is shared: the others measure the neighbours). Rates
# are given by CPU time and by wall-clock time; the one-thread ratios are
# of CPU-time rates, --jobs 2's speedup of wall-clock times (and says the
# load average it ran under: on a busy machine there is no second CPU).
# What openssl speed measures (apps/speed.c, 3.0): user CPU time (times(),
# unless -elapsed) of a loop over one buffer of -bytes, hot in the cache;
# -decrypt -evp aes-128-cbc is EVP_DecryptUpdate over that buffer again and
# again, one CBC stream (no IV set per buffer); -hmac sha256 is
# EVP_MAC_init (the key kept) + update + final per buffer, as lib/esp.c
# does per packet; aes-128-gcm with -decrypt sets the IV, the tag and 13
# bytes of AAD per buffer. xfrmctl's CPU time is user + system of the whole
# run: start, SAs, reading the capture (mapped), every packet's parse and
# replay check besides the crypto. So the ratio is, if anything, strict.
# --jobs 2's speedup is also split: the start and exit, which no thread
# shares (measured as runs that stop after one packet), and the rest; and
# measured again on four times the packets, where the start weighs less.
# Environment: XFRMCTL_BIN, XFRMCTL_BENCH_PACKETS (100000), CC.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}
N=${XFRMCTL_BENCH_PACKETS:-100000}
RUNS=${XFRMCTL_BENCH_RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# espgen, built here against libcrypto and libpcap
gen=$top/build/bench/espgen
mkdir -p "$(dirname "$gen")"
if [ ! -x "$gen" ] || [ "$top/tests/bench/espgen.c" -nt "$gen" ]; then
	${CC:-cc} -O2 -Wall -Wextra -Werror -o "$gen" "$top/tests/bench/espgen.c" -lcrypto -lpcap
fi

# best CMD...: "WALL CPU", the best of RUNS runs of each, in seconds (CPU:
# user + system, of the command and its threads); its output dropped. Fails
# if CMD does.
best() {
	python3 - "$RUNS" "$@" <<-'PY'
	import resource, subprocess, sys, time
	runs, cmd = int(sys.argv[1]), sys.argv[2:]
	wall = cpu = None
	for _ in range(runs):
	    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
	    t = time.perf_counter()
	    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
	    t = time.perf_counter() - t
	    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
	    if r.returncode:
	        sys.exit("%s: exit status %d: %s" % (cmd[0], r.returncode, r.stderr.decode()[:300]))
	    c = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
	    wall = t if wall is None else min(wall, t)
	    cpu = c if cpu is None else min(cpu, c)
	print("%.6f %.6f" % (wall, cpu))
	PY
}
calc() { python3 -c "import sys; print($1)"; }
# openssl_bps ARGS...: bytes/s from openssl speed's last column (in 1000s of bytes)
openssl_bps() {
	openssl speed -seconds 3 "$@" 2>/dev/null | awk 'END { v = $NF; sub(/k$/, "", v); printf "%.0f\n", v * 1000 }'
}
goal() { # what value op goal
	if python3 -c "import sys; sys.exit(0 if $2 $3 $4 else 1)"; then
		printf '  %-34s %8.2f (goal %s %s): met\n' "$1" "$2" "$3" "$4"
	else
		printf '  %-34s %8.2f (goal %s %s): MISSED\n' "$1" "$2" "$3" "$4"
	fi
}
row() { # label packets "WALL CPU" bytes-per-packet
	local wall cpu
	read -r wall cpu <<<"$3"
	printf '  %-30s %9.0f packets/s %6.2f Gbit/s by CPU time (%.3f s); %9.0f packets/s by wall (%.3f s)\n' \
		"$1" "$(calc "$2 / $cpu")" "$(calc "$2 * $4 * 8 / $cpu / 1e9")" "$cpu" \
		"$(calc "$2 / $wall")" "$wall"
}
# uat FILE: the espgen SA file as one esp_sa line, through state export's
# format (xfrmctl verify reads the SA file; tshark the table)
tshark_uat() {
	python3 - "$1" <<-'PY'
	import re, sys
	w = open(sys.argv[1]).read().split()
	spi = int(w[w.index("spi") + 1], 0)
	if "aead" in w:
	    k = w[w.index("aead") + 2]
	    print('"IPv4","10.0.0.1","10.0.0.2","0x%08x","AES-GCM with 16 octet ICV [RFC4106]","%s","NULL",""' % (spi, k))
	else:
	    e, a = w[w.index("enc") + 2], w[w.index("auth-trunc") + 2]
	    print('"IPv4","10.0.0.1","10.0.0.2","0x%08x","AES-CBC [RFC3602]","%s","HMAC-SHA-256-128 [RFC4868]","%s"' % (spi, e, a))
	PY
}

echo "xfrmctl verify benchmark: $N packets, best of $RUNS runs, $(nproc) CPUs ($(uname -r))"
echo "  xfrmctl: $X"
echo "  $(openssl version)"
command -v tshark >/dev/null && echo "  $(tshark -v 2>/dev/null | head -n1)"

bench() { # name espgen-alg plaintext-bytes
	local name=$1 alg=$2 size=$3 pcap=$work/$1.pcap sa=$work/$1.sa t1 t2 tt=
	local x1 x2 ossl oss_pps uat ts ts_n

	"$gen" "$alg" "$N" "$size" "$pcap" "$sa"
	printf '\n%s: %d packets of %d bytes on the wire, %d decrypted each (%s)\n' "$name" "$N" \
		"$(( $(stat -c %s "$pcap") / N - 16 ))" "$size" "$(du -h "$pcap" | cut -f1)"
	# every packet verified, and good
	"$X" verify --pcap "$pcap" --sa-file "$sa" --quiet >"$work/summary" ||
		{ echo "xfrmctl verify failed on $pcap" >&2; exit 1; }
	grep -q ": $N packets, $N ok" "$work/summary" || { cat "$work/summary" >&2; exit 1; }
	t1=$(best "$X" verify --pcap "$pcap" --sa-file "$sa" --quiet)
	t2=$(best "$X" verify --pcap "$pcap" --sa-file "$sa" --quiet --jobs 2)
	row "xfrmctl verify" "$N" "$t1" "$size"
	row "xfrmctl verify --jobs 2" "$N" "$t2" "$size"
	if [ "$alg" = gcm ]; then
		ossl=$(openssl_bps -decrypt -evp aes-128-gcm -bytes "$size")
		oss_pps=$(calc "$ossl / $size")
		printf '  %-34s %10.0f packets/s %7.2f Gbit/s (aes-128-gcm decrypt, %d bytes)\n' \
			"openssl speed" "$oss_pps" "$(calc "$ossl * 8 / 1e9")" "$size"
	else
		local a b
		a=$(openssl_bps -decrypt -evp aes-128-cbc -bytes "$size")
		b=$(openssl_bps -hmac sha256 -bytes $((size + 24)))
		oss_pps=$(calc "1 / ($size / $a + ($size + 24) / $b)")
		printf '  %-34s %10.0f packets/s %7.2f Gbit/s (aes-128-cbc decrypt %.2f Gbit/s, %d bytes;\n' \
			"openssl speed, combined" "$oss_pps" "$(calc "$oss_pps * $size * 8 / 1e9")" \
			"$(calc "$a * 8 / 1e9")" "$size"
		printf '  %-34s %33s hmac(sha256) %.2f Gbit/s, %d bytes)\n' "" "" \
			"$(calc "$b * 8 / 1e9")" $((size + 24))
	fi
	if command -v tshark >/dev/null; then
		uat=$(tshark_uat "$sa")
		# decryption on: it must show every packet's pad length (decrypted)
		ts_n=$(tshark -r "$pcap" -o esp.enable_encryption_decode:TRUE -o "uat:esp_sa:$uat" \
			-T fields -e esp.pad_len 2>/dev/null | grep -c '^0$' || true)
		[ "$ts_n" = "$N" ] || { echo "tshark decrypted $ts_n of $N packets" >&2; exit 1; }
		ts=$(RUNS=1 best tshark -r "$pcap" -o esp.enable_encryption_decode:TRUE \
			-o "uat:esp_sa:$uat" -T fields -e esp.pad_len)
		row "tshark (decrypting; one run)" "$N" "$ts" "$size"
	fi
	local w1 c1 w2 c2 tsc
	read -r w1 c1 <<<"$t1"
	read -r w2 c2 <<<"$t2"
	goal "xfrmctl / openssl (CPU time)" "$(calc "$N / $c1 / $oss_pps")" ">=" 0.80
	if [ -n "${ts:-}" ]; then
		read -r _ tsc <<<"$ts"
		# the issue's 35x is GCM's 80 % of openssl against tshark as
		# measured there; for CBC+HMAC its goal is "the same against
		# openssl's figures": 80 % of openssl / tshark, measured here
		if [ "$alg" = gcm ]; then
			goal "xfrmctl / tshark (CPU time)" "$(calc "$tsc / $c1")" ">=" 35
		else
			goal "xfrmctl / tshark (CPU time)" "$(calc "$tsc / $c1")" ">=" \
				"$(calc "round(0.8 * $oss_pps * $tsc / $N, 2)")"
		fi
		printf '  %-34s %8.2f (packets/s of openssl speed against tshark)\n' \
			"openssl / tshark" "$(calc "$oss_pps * $tsc / $N")"
	fi
	goal "--jobs 2 speedup (wall)" "$(calc "$w1 / $w2")" ">=" 1.8
	jobs_split "$pcap" "$sa" "$w1" "$w2"
	printf '  %-30s %s\n' "load average" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# jobs_split CAP SA WALL1 WALL2: where --jobs 2 stops short of 2x. A run
# that stops after its first packet (--count 1) is the cost no thread
# shares (exec, libcrypto's start, the SAs, mapping the file, the exit;
# with --jobs 2 the second thread's start and the first parts it read
# too): f1 and f2. What the packets take beyond it splits over the
# threads; one run with perfect threads would take f1 + (wall1 - f1) / 2.
jobs_split() {
	local f1 f2 cpu
	read -r f1 cpu <<<"$(best "$X" verify --pcap "$1" --sa-file "$2" --quiet --count 1)"
	read -r f2 cpu <<<"$(best "$X" verify --pcap "$1" --sa-file "$2" --quiet --count 1 --jobs 2)"
	printf '  %-34s %8.2f ms; --jobs 2: %.2f ms (runs with --count 1, best of %d)\n' \
		"start and exit, no thread shares" "$(calc "$f1 * 1e3")" "$(calc "$f2 * 1e3")" "$RUNS"
	printf '  %-34s %8.2f (wall1 / (f1 + (wall1 - f1) / 2): the most 2 threads can give)\n' \
		"--jobs 2 ceiling, this capture" "$(calc "$3 / ($f1 + ($3 - $f1) / 2)")"
	printf '  %-34s %8.2f ((wall1 - f1) / (wall2 - f2))\n' \
		"--jobs 2 past start and exit" "$(calc "($3 - $f1) / ($4 - $f2)")"
}

bench "AES-128-GCM (rfc4106, 16-byte ICV)" gcm 1400
bench "AES-128-CBC + HMAC-SHA256-128" cbc-sha256 1408

# --jobs 2 where the start and exit weigh less: the same GCM packets, four
# times as many (not a goal of its own; the goal is on the capture above)
big=$((4 * N))
rm -f "$work"/*.pcap
"$gen" gcm "$big" 1400 "$work/big.pcap" "$work/big.sa"
printf '\nAES-128-GCM, %d packets of 1400 bytes (%s): --jobs 2 against one thread\n' "$big" \
	"$(du -h "$work/big.pcap" | cut -f1)"
"$X" verify --pcap "$work/big.pcap" --sa-file "$work/big.sa" --quiet >"$work/summary" ||
	{ echo "xfrmctl verify failed on $work/big.pcap" >&2; exit 1; }
grep -q ": $big packets, $big ok" "$work/summary" || { cat "$work/summary" >&2; exit 1; }
t1=$(best "$X" verify --pcap "$work/big.pcap" --sa-file "$work/big.sa" --quiet)
t2=$(best "$X" verify --pcap "$work/big.pcap" --sa-file "$work/big.sa" --quiet --jobs 2)
row "xfrmctl verify" "$big" "$t1" 1400
row "xfrmctl verify --jobs 2" "$big" "$t2" 1400
read -r w1 _ <<<"$t1"
read -r w2 _ <<<"$t2"
printf '  %-34s %8.2f\n' "--jobs 2 speedup (wall)" "$(calc "$w1 / $w2")"
jobs_split "$work/big.pcap" "$work/big.sa" "$w1" "$w2"
printf '  %-30s %s\n' "load average" "$(cut -d' ' -f1-3 /proc/loadavg)"
