# tests/lib/live.sh: xfrmctl trace live in the background of a test case.
# Needs t.sh, $X (the binary) and $D (a directory of the case).
READY_SECS=600 # bpftrace compiling, several at once, under TCG on a loaded host

# live_start NAME ARGS...: xfrmctl ARGS in the background; stdout, stderr
# and exit status in $D/NAME.out, .err, .rc; stopped (SIGINT) at the end
# of the case if still running.
live_start() {
	local n=$1
	shift
	(
		set +e
		"$X" "$@" >"$D/$n.out" 2>"$D/$n.err"
		echo $? >"$D/$n.rc"
	) &
	echo $! >"$D/$n.pid"
	t_defer "pkill -INT -P $! xfrmctl"
}

# live_ready NAME: its ready line came (fail if it ended first)
is_ready() {
	grep -qE '^(\{"event":"ready"|ready mode)' "$D/$1.out" && return 0
	[ ! -e "$D/$1.rc" ] || t_fail "$1 ended before tracing (status $(cat "$D/$1.rc")): $(cat "$D/$1.err")"
	return 1
}
live_ready() {
	t_retry $READY_SECS is_ready "$1" || t_fail "$1: not tracing after $READY_SECS s: $(cat "$D/$1.err")"
}

# live_stop NAME: SIGINT to xfrmctl (as ^C), then its exit status
live_stop() {
	pkill -INT -P "$(cat "$D/$1.pid")" xfrmctl || true
	live_wait "$1"
}
# live_wait NAME: until it ended by itself (--count, --duration)
live_wait() {
	t_retry 120 test -e "$D/$1.rc" || t_fail "$1 did not end: $(cat "$D/$1.err")"
	cat "$D/$1.rc"
}

# summary NAME: its closing JSON object
summary() {
	grep '^{"event":"summary"' "$D/$1.out" | tail -n1
}


# sa_seen NAME SPI KEY VALUE: an aggregate "sa" line showed SPI with KEY = VALUE
sa_seen() {
	python3 - "$D/$1.out" "$2" "$3" "$4" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["event"] == "sa" and j["spi"] == int(sys.argv[2], 0) and str(j.get(sys.argv[3])) == sys.argv[4]:
        sys.exit(0)
sys.exit(1)
PY
}

# events NAME EXPR: in events mode (-j --events), the value of the Python
# expression EXPR over P, the "packet" objects of NAME's output (one per
# packet, in order), and DR, its "drop" objects; printed as JSON
events() {
	python3 - "$D/$1.out" "$2" <<'PY'
import json, sys
P, DR = [], []
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j["event"] == "packet":
        P.append(j)
    elif j["event"] == "drop":
        DR.append(j)
print(json.dumps(eval(sys.argv[2])))
PY
}
# events_is NAME EXPR VALUE: events NAME EXPR prints VALUE (for t_retry)
events_is() {
	[ "$(events "$1" "$2")" = "$3" ]
}
