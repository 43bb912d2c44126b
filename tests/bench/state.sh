#!/bin/bash
# Benchmark of xfrmctl state against ip xfrm, inside the test guest (make
# bench). Every ratio is of figures measured in this same run.
#   install N SAs (a distinct dst each): xfrmctl -b vs ip -batch, beside
#     the floors: the same SAs sent as prebuilt requests, each with its ACK
#     as ip sends them (dumpfloor install), and 64 to a send() as xfrmctl -b
#     sends plain adds (dumpfloor install-queued)
#   list M SAs: xfrmctl state list (text, -j) vs ip xfrm state list vs the
#     floor (a raw dump that only counts bytes)
#   instructions (callgrind, when valgrind is there): user-mode instructions
#     per SA installed and listed, the one figure the guest's load does not
#     move
#   the kernel's own costs: N SAs sharing one src/dst pair and reqid, N /24
#     policies, each at N/2 and N to show how they grow
# Timed runs go in rounds: a round runs each command being compared once,
# one after the other, so that they meet the same load (the guest is
# emulated, TCG, on a machine others share); a ratio is the median over the
# rounds of the ratio within each round, a time the median over rounds.
# CPU times and peak RSS are the child's own (wait4, tests/bench/runstat.c).
# How the kernel splits CPU time into user and system: by default it charges
# each whole tick to the mode the tick interrupts, a sample that under TCG
# charged the floor program (61 user-mode instructions an SA, two syscalls)
# 0.05-0.12 s of "user" time for 10,000 SAs. On a nohz_full CPU the kernel
# accounts the time exactly, at every entry to and exit from the kernel
# (VIRT_CPU_ACCOUNTING_GEN, in Debian's kernels): make bench boots the guest
# with nohz_full=1, and the timed commands then run on CPU 1. The bench says
# which accounting its figures come from.
# Sizes: XFRMCTL_BENCH_INSTALL (10000), XFRMCTL_BENCH_LIST (100000),
# XFRMCTL_BENCH_RUNS (5 rounds).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/vm.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}
FLOOR=${XFRMCTL_DUMPFLOOR:?XFRMCTL_DUMPFLOOR not set}
N=${XFRMCTL_BENCH_INSTALL:-10000}
M=${XFRMCTL_BENCH_LIST:-100000}
R=${XFRMCTL_BENCH_RUNS:-5}
MP=$top/tests/bench/measure.py
work=$(mktemp -d)
trap 'rm -rf "$work"; for n in $(ip netns list | awk "/^bench-/ {print \$1}"); do ip netns del $n; done' EXIT

cc -O2 -Wall -Wextra -Werror -o "$work/runstat" "$top/tests/bench/runstat.c"
pin=() acct="sampled per tick (no nohz_full CPU; tests/vm/run -a nohz_full=1 for exact)"
if [ "$(cat /sys/devices/system/cpu/nohz_full 2>/dev/null)" = 1 ]; then
	pin=(taskset -c 1) acct="exact (timed commands on CPU 1, nohz_full: accounted at each kernel entry and exit)"
fi
# (runstat pinned, not taskset inside it: the child inherits the CPU, and
# runstat's wait4 figures are the command's alone)
measure() { "${pin[@]}" "$work/runstat" -- "$@"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
# rec FILE ROUND LABEL CMD...: measure CMD, which must succeed, into FILE
rec() {
	local f=$1 r=$2 l=$3 out
	shift 3
	out=$(measure "$@")
	[ "$(field "$out" status)" = 0 ] || { echo "failed: $*" >&2; exit 1; }
	echo "$r $l $out" >>"$f"
}
med() { "$MP" median "$1" "$2" "$3"; }
ratio() { "$MP" ratio "$1" "$2" "$3" "$4"; }
row() { # FILE LABEL TEXT: medians over the rounds
	printf '  %-36s %8.2f %8.2f %8.2f %9.0f KB\n' "$3" "$(med "$1" "$2" wall)" "$(med "$1" "$2" user)" \
		"$(med "$1" "$2" sys)" "$(med "$1" "$2" maxrss_kb)"
}
row1() { # TEXT JSON: one run
	printf '  %-36s %8.2f %8.2f %8.2f %9d KB\n' "$1" "$(field "$2" wall)" "$(field "$2" user)" \
		"$(field "$2" sys)" "$(field "$2" maxrss_kb)"
}
header() { printf '\n%s\n  %-36s %8s %8s %8s %12s\n' "$1" "" wall user sys "peak RSS"; }
verdict() { # what value goal [ge]
	local op='<=' cmp='<='
	[ "${4:-}" = ge ] && op='>=' cmp='>='
	if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) $cmp float(sys.argv[2]) else 1)" "$2" "$3"; then
		echo "  $1 = $2 (goal $op $3): met"
	else
		echo "  $1 = $2 (goal $op $3): MISSED"
	fi
}
fresh_ns() { ip netns del "$1" 2>/dev/null || true; ip netns add "$1"; }
count_sas() { "$X" -n "$1" -j state count | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
check_sas() { # NS WANT WHO
	local n
	n=$(count_sas "$1")
	[ "$n" = "$2" ] || { echo "$3 installed $n of $2 SAs" >&2; exit 1; }
}
# instructions CMD...: user-mode instructions of CMD (callgrind's count)
instructions() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# gen FILE COUNT PREFIX PAIR: state add lines, PREFIX "" (xfrmctl) or "xfrm" (ip);
# PAIR=distinct: dst 10.x.y.z and reqid per SA (the SAs dumpfloor install
# makes); PAIR=same: one src/dst pair and one reqid (the SAs of one tunnel),
# SPIs differ: the kernel keeps those in one hash chain, which it walks at
# each insert (__find_acq_core, __xfrm_state_bump_genids)
gen() {
	python3 - "$@" <<-'PY'
	import sys
	path, count, prefix, pair = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
	key = "0x0102030405060708090a0b0c0d0e0f1011121314"
	with open(path, "w") as f:
	    for i in range(count):
	        same = pair == "same"
	        dst = "10.0.0.2" if same else "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256)
	        f.write("%s state add src 10.0.0.1 dst %s proto esp spi %d reqid %d mode tunnel "
	                "aead rfc4106(gcm(aes)) %s 128\n" % (prefix, dst, 0x1000 + i, 1 if same else i + 1, key))
	PY
	sed -i 's/^ //' "$1"
}

echo "xfrmctl $("$X" --version | cut -d' ' -f2), iproute2 $(ip -V | sed 's/.*iproute2-//'), kernel $(uname -r), $(nproc) vCPUs (TCG); $R rounds, medians"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (guest)"
echo "user/system CPU time: $acct"

# ---- install ----
# first, what the first SA of a boot costs once (modules, crypto
# templates), out of the way of the first round
gen "$work/warm.batch" 10 "" distinct
fresh_ns bench-w
"$X" -n bench-w -b "$work/warm.batch"
sed 's/^/xfrm /' "$work/warm.batch" >"$work/ipwarm.batch"
ip -n bench-w xfrm state flush
ip -n bench-w -batch "$work/ipwarm.batch"
ip netns del bench-w
gen "$work/x.batch" "$N" "" distinct
gen "$work/ip.batch" "$N" "xfrm" distinct
gen "$work/x1k.batch" 1000 "" distinct
I=$work/install.res
for r in $(seq "$R"); do
	fresh_ns bench-ip
	rec "$I" "$r" ip ip -n bench-ip -batch "$work/ip.batch"
	check_sas bench-ip "$N" ip
	ip netns del bench-ip
	fresh_ns bench-x
	rec "$I" "$r" x "$X" -n bench-x -b "$work/x.batch"
	check_sas bench-x "$N" xfrmctl
	[ "$r" = "$R" ] || ip netns del bench-x # the last stays: listed below
	fresh_ns bench-f
	rec "$I" "$r" floor "$FLOOR" install "$N" bench-f
	check_sas bench-f "$N" "dumpfloor install"
	ip netns del bench-f
	fresh_ns bench-f
	rec "$I" "$r" floorq "$FLOOR" install-queued "$N" bench-f
	check_sas bench-f "$N" "dumpfloor install-queued"
	ip netns del bench-f
done
fresh_ns bench-1k
x_1k=$(measure "$X" -n bench-1k -b "$work/x1k.batch")
ip netns del bench-1k
header "install $N SAs, a distinct dst each"
row "$I" ip "ip -batch"
row "$I" x "xfrmctl -b"
row "$I" floor "floor: prebuilt requests"
row "$I" floorq "floor: the same, 64 a send()"
row1 "xfrmctl -b (1000 SAs, for RSS)" "$x_1k"
verdict "wall xfrmctl/ip" "$(ratio "$I" x ip wall)" 0.90
verdict "user CPU xfrmctl/ip" "$(ratio "$I" x ip user)" 0.25
echo "  (by round: wall $("$MP" ratios "$I" x ip wall); user $("$MP" ratios "$I" x ip user))"
echo "  (user CPU floor/ip: $(ratio "$I" floor ip user), 64 a send() $(ratio "$I" floorq ip user): what sending the requests alone costs in user mode)"
verdict "xfrmctl peak RSS at $N (MB)" "$(python3 -c "print(round($(med "$I" x maxrss_kb)/1024, 1))")" 8
echo "  xfrmctl peak RSS: $(field "$x_1k" maxrss_kb) KB at 1000 SAs, $(med "$I" x maxrss_kb | cut -d. -f1) KB at $N"
echo "  ip peak RSS: $(med "$I" ip maxrss_kb | cut -d. -f1) KB at $N"

# ---- list ----
L=$work/list.res
fresh_ns bench-l
gen "$work/l.batch" "$M" "" distinct
fill=$(measure "$X" -n bench-l -b "$work/l.batch")
check_sas bench-l "$M" xfrmctl
for r in $(seq "$R"); do
	rec "$L" "$r" floor "$FLOOR" sa bench-l
	rec "$L" "$r" text "$X" -n bench-l state list
	rec "$L" "$r" json "$X" -n bench-l -j state list
	rec "$L" "$r" ip ip -n bench-l xfrm state list
done
x_10k=$(measure "$X" -n bench-x state list)
ip netns del bench-x
header "list $M SAs (output to /dev/null)"
echo "  (installed $M SAs with xfrmctl -b in $(field "$fill" wall) s, peak RSS $(field "$fill" maxrss_kb) KB)"
row "$L" floor "floor: raw dump, bytes counted"
row "$L" text "xfrmctl state list"
row "$L" json "xfrmctl -j state list"
row "$L" ip "ip xfrm state list"
echo "  floor measured: $(med "$L" floor wall) s"
verdict "text list / floor" "$(ratio "$L" text floor wall)" 2
verdict "JSON list / floor" "$(ratio "$L" json floor wall)" 3
echo "  (by round: text $("$MP" ratios "$L" text floor wall); JSON $("$MP" ratios "$L" json floor wall))"
verdict "ip / xfrmctl text" "$(ratio "$L" ip text wall)" 10 ge
echo "  (by round: $("$MP" ratios "$L" ip text wall); ip/floor $(ratio "$L" ip floor wall))"
echo "  peak RSS: xfrmctl text $(med "$L" text maxrss_kb | cut -d. -f1) KB ($(field "$x_10k" maxrss_kb) KB at $N SAs), JSON $(med "$L" json maxrss_kb | cut -d. -f1) KB, ip $(med "$L" ip maxrss_kb | cut -d. -f1) KB"
ip netns del bench-l

# ---- instructions ----
if command -v valgrind >/dev/null; then
	printf '\ninstructions in user mode (callgrind), per SA: the start of each program\n'
	printf 'left out (a run over an empty batch or an empty SAD taken off)\n'
	: >"$work/empty.batch"
	fresh_ns bench-c0
	x0=$(instructions "$X" -n bench-c0 -b "$work/empty.batch")
	ip0=$(instructions ip -n bench-c0 -batch "$work/empty.batch")
	f0=$(instructions "$FLOOR" install 0 bench-c0)
	xl0=$(instructions "$X" -n bench-c0 state list)
	xj0=$(instructions "$X" -n bench-c0 -j state list)
	fl0=$(instructions "$FLOOR" sa bench-c0)
	ipl0=$(instructions ip -n bench-c0 xfrm state list)
	sed 's/^/xfrm /' "$work/x1k.batch" >"$work/ip1k.batch"
	fresh_ns bench-c
	xi=$(instructions "$X" -n bench-c -b "$work/x1k.batch")
	xl=$(instructions "$X" -n bench-c state list) # (these 1000 SAs)
	xj=$(instructions "$X" -n bench-c -j state list)
	fl=$(instructions "$FLOOR" sa bench-c)
	ipl=$(instructions ip -n bench-c xfrm state list)
	fresh_ns bench-c
	ipi=$(instructions ip -n bench-c -batch "$work/ip1k.batch")
	fresh_ns bench-c
	fli=$(instructions "$FLOOR" install 1000 bench-c)
	ip netns del bench-c
	per() { python3 -c "import sys; print(round((int(sys.argv[1]) - int(sys.argv[2])) / int(sys.argv[3])))" "$@"; }
	div() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$@"; }
	xi=$(per "$xi" "$x0" 1000) ipi=$(per "$ipi" "$ip0" 1000) fli=$(per "$fli" "$f0" 1000)
	xl=$(per "$xl" "$xl0" 1000) xj=$(per "$xj" "$xj0" 1000) ipl=$(per "$ipl" "$ipl0" 1000)
	fl=$(per "$fl" "$fl0" 1000)
	echo "  install (1000 SAs): ip $ipi, xfrmctl -b $xi, floor $fli; xfrmctl/ip $(div "$xi" "$ipi")"
	echo "  list (1000 SAs): ip $ipl, xfrmctl text $xl, JSON $xj, floor $fl; ip/xfrmctl text $(div "$ipl" "$xl")"
	echo "  start and end of each program: xfrmctl $x0, ip $ip0, floor $f0"
	ip netns del bench-c0
fi

# ---- the kernel's own costs ----
header "the kernel's costs (not xfrmctl's), each at $((N / 2)) and $N"
gen "$work/same.batch" "$N" "" same
head -n $((N / 2)) "$work/same.batch" >"$work/same2.batch"
fresh_ns bench-k
same2=$(measure "$X" -n bench-k -b "$work/same2.batch")
ip netns del bench-k
fresh_ns bench-k
same=$(measure "$X" -n bench-k -b "$work/same.batch")
ip netns del bench-k
row1 "xfrmctl -b, one pair+reqid, $((N / 2))" "$same2"
row1 "xfrmctl -b, one pair+reqid, $N" "$same"
echo "  ($N SAs of distinct pairs: $(med "$I" x wall) s above)"
python3 - "$work/pol.batch" "$N" <<-'PY'
	import sys
	with open(sys.argv[1], "w") as f:
	    for i in range(int(sys.argv[2])):
	        f.write("xfrm policy add src 10.%d.%d.0/24 dst 10.200.0.0/16 dir out priority %d "
	                "tmpl src 10.0.0.1 dst 10.0.0.2 proto esp mode tunnel\n" % (i // 256, i % 256, i))
	PY
head -n $((N / 2)) "$work/pol.batch" >"$work/pol2.batch"
fresh_ns bench-k
pol2=$(measure ip -n bench-k -batch "$work/pol2.batch")
ip netns del bench-k
fresh_ns bench-k
pol=$(measure ip -n bench-k -batch "$work/pol.batch")
ip netns del bench-k
row1 "ip -batch, /24 policies, $((N / 2))" "$pol2"
row1 "ip -batch, /24 policies, $N" "$pol"
growth() { python3 -c "import json,sys; print('%.1f' % (json.loads(sys.argv[1])['wall'] / json.loads(sys.argv[2])['wall']))" "$1" "$2"; }
echo "  time for $N / time for $((N / 2)) (2 if linear, 4 if quadratic): one pair+reqid $(growth "$same" "$same2"), /24 policies $(growth "$pol" "$pol2")"
