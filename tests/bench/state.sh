#!/bin/bash
# Benchmark of xfrmctl state against ip xfrm, inside the test guest (make
# bench). Every ratio is of figures measured in this same run.
#   install N SAs (a distinct dst each): xfrmctl -b vs ip -batch
#   list M SAs: xfrmctl state list (text, -j) vs ip xfrm state list vs the
#               floor (a raw dump that only counts bytes)
#   the kernel's own costs: N SAs sharing one src/dst pair, N /24 policies
# Sizes: XFRMCTL_BENCH_INSTALL (10000), XFRMCTL_BENCH_LIST (100000).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/vm.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}
FLOOR=${XFRMCTL_DUMPFLOOR:?XFRMCTL_DUMPFLOOR not set}
N=${XFRMCTL_BENCH_INSTALL:-10000}
M=${XFRMCTL_BENCH_LIST:-100000}
KEY=0x0102030405060708090a0b0c0d0e0f1011121314
work=$(mktemp -d)
trap 'rm -rf "$work"; for n in $(ip netns list | awk "/^bench-/ {print \$1}"); do ip netns del $n; done' EXIT

measure() { "$top/tests/bench/measure.py" -- "$@"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
ratio() { python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print("%.2f" % (a / b) if b else "inf")' "$1" "$2"; }
row() { # label json
	printf '  %-34s %8.2f %8.2f %8.2f %9d KB\n' "$1" "$(field "$2" wall)" "$(field "$2" user)" \
		"$(field "$2" sys)" "$(field "$2" maxrss_kb)"
}
header() { printf '\n%s\n  %-34s %8s %8s %8s %12s\n' "$1" "" wall user sys "peak RSS"; }
verdict() { # what value goal
	if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$2" "$3"; then
		echo "  $1 = $2 (goal <= $3): met"
	else
		echo "  $1 = $2 (goal <= $3): MISSED"
	fi
}
fresh_ns() { ip netns del "$1" 2>/dev/null || true; ip netns add "$1"; }
count_sas() { "$X" -n "$1" -j state count | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }

# gen FILE COUNT PREFIX PAIR: state add lines, PREFIX "" (xfrmctl) or "xfrm" (ip);
# PAIR=distinct: dst 10.x.y.z per SA; PAIR=same: one src/dst pair, SPIs differ
gen() {
	python3 - "$@" <<-'PY'
	import sys
	path, count, prefix, pair = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
	key = "0x0102030405060708090a0b0c0d0e0f1011121314"
	with open(path, "w") as f:
	    for i in range(count):
	        dst = "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256) if pair == "distinct" else "10.0.0.2"
	        f.write("%s state add src 10.0.0.1 dst %s proto esp spi %d reqid %d mode tunnel "
	                "aead rfc4106(gcm(aes)) %s 128\n" % (prefix, dst, 0x1000 + i, i + 1, key))
	PY
	sed -i 's/^ //' "$1"
}

echo "xfrmctl $("$X" --version | cut -d' ' -f2), iproute2 $(ip -V | sed 's/.*iproute2-//'), kernel $(uname -r), $(nproc) vCPUs (TCG)"

# ---- install ----
gen "$work/x.batch" "$N" "" distinct
gen "$work/ip.batch" "$N" "xfrm" distinct
gen "$work/x1k.batch" 1000 "" distinct
header "install $N SAs, a distinct dst each"
fresh_ns bench-ip
ip_inst=$(measure ip -n bench-ip -batch "$work/ip.batch")
row "ip -batch" "$ip_inst"
[ "$(count_sas bench-ip)" = "$N" ] || { echo "ip installed $(count_sas bench-ip) of $N"; exit 1; }
ip netns del bench-ip
fresh_ns bench-x
x_inst=$(measure "$X" -n bench-x -b "$work/x.batch")
row "xfrmctl -b" "$x_inst"
[ "$(count_sas bench-x)" = "$N" ] || { echo "xfrmctl installed $(count_sas bench-x) of $N"; exit 1; }
ip netns del bench-x
fresh_ns bench-x
x_1k=$(measure "$X" -n bench-x -b "$work/x1k.batch")
row "xfrmctl -b (1000 SAs, for RSS)" "$x_1k"
ip netns del bench-x
verdict "wall xfrmctl/ip" "$(ratio "$(field "$x_inst" wall)" "$(field "$ip_inst" wall)")" 0.90
verdict "user CPU xfrmctl/ip" "$(ratio "$(field "$x_inst" user)" "$(field "$ip_inst" user)")" 0.25
verdict "xfrmctl peak RSS at $N (MB)" "$(python3 -c "print(round($(field "$x_inst" maxrss_kb)/1024, 1))")" 8
echo "  xfrmctl peak RSS: $(field "$x_1k" maxrss_kb) KB at 1000 SAs, $(field "$x_inst" maxrss_kb) KB at $N"
echo "  ip peak RSS: $(field "$ip_inst" maxrss_kb) KB at $N"

# ---- list ----
header "list $M SAs (output to /dev/null; best of 3, ip once)"
fresh_ns bench-l
gen "$work/l.batch" "$M" "" distinct
fill=$(measure "$X" -n bench-l -b "$work/l.batch")
echo "  (installed $M SAs with xfrmctl -b in $(field "$fill" wall) s)"
[ "$(count_sas bench-l)" = "$M" ] || { echo "installed $(count_sas bench-l) of $M"; exit 1; }
best() { # label CMD...: best wall of 3
	local b="" r
	for _ in 1 2 3; do
		r=$(measure "$@")
		[ "$(field "$r" status)" = 0 ] || { echo "failed: $*" >&2; exit 1; }
		if [ -z "$b" ] || python3 -c "import sys; sys.exit(0 if $(field "$r" wall) < $(field "$b" wall) else 1)"; then b=$r; fi
	done
	echo "$b"
}
floor=$(best "$FLOOR" sa bench-l)
row "floor: raw dump, bytes counted" "$floor"
x_txt=$(best "$X" -n bench-l state list)
row "xfrmctl state list" "$x_txt"
x_json=$(best "$X" -n bench-l -j state list)
row "xfrmctl -j state list" "$x_json"
ip_list=$(measure ip -n bench-l xfrm state list)
row "ip xfrm state list" "$ip_list"
fw=$(field "$floor" wall)
echo "  floor measured: $fw s"
verdict "text list / floor" "$(ratio "$(field "$x_txt" wall)" "$fw")" 2
verdict "JSON list / floor" "$(ratio "$(field "$x_json" wall)" "$fw")" 3
echo "  ip / xfrmctl text: $(ratio "$(field "$ip_list" wall)" "$(field "$x_txt" wall)")x (goal >= 10x)"
echo "  peak RSS: xfrmctl text $(field "$x_txt" maxrss_kb) KB, JSON $(field "$x_json" maxrss_kb) KB, ip $(field "$ip_list" maxrss_kb) KB"
ip netns del bench-l

# ---- the kernel's own costs ----
header "the kernel's costs (not xfrmctl's): $N SAs on one src/dst pair, $N /24 policies"
gen "$work/same.batch" "$N" "" same
fresh_ns bench-k
row "xfrmctl -b, one src/dst pair" "$(measure "$X" -n bench-k -b "$work/same.batch")"
ip netns del bench-k
python3 - "$work/pol.batch" "$N" <<-'PY'
	import sys
	with open(sys.argv[1], "w") as f:
	    for i in range(int(sys.argv[2])):
	        f.write("xfrm policy add src 10.%d.%d.0/24 dst 10.200.0.0/16 dir out priority %d "
	                "tmpl src 10.0.0.1 dst 10.0.0.2 proto esp mode tunnel\n" % (i // 256, i % 256, i))
	PY
fresh_ns bench-k
row "ip -batch, /24 policies" "$(measure ip -n bench-k -batch "$work/pol.batch")"
ip netns del bench-k
