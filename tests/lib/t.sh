# tests/lib/t.sh: a small framework for the shell-level tests (host and VM).
# Source it, define one function per case, run each with t_case, end with
# t_done. Each case runs in its own subshell with errexit; EXIT traps set there
# (t_defer) clean up whatever it created, however it ends.
#
#   t_case NAME FUNC     run FUNC; it passes unless it fails or calls t_skip
#   t_skip REASON        inside a case: stop it and count it as skipped
#   t_fail MSG           inside a case: stop it and count it as failed
#   t_defer CMD...       inside a case: run CMD at the end of the case
#   t_eq GOT WANT WHAT   assert equality (WHAT names the value)
#   t_match STR ERE WHAT assert STR matches the extended regex
#   t_run CMD...         run CMD; sets $out $err $rc
#   t_err RC MSG CMD...  CMD fails with status RC and exactly stderr MSG
#   t_done               print "# FILE: N passed, N failed, N skipped"; exit 1 on failure
T_FILE=$(basename "$0")
T_PASS=0 T_FAIL=0 T_SKIP=0
T_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T_LOGDIR=$(mktemp -d /tmp/xfrmctl-t.XXXXXX)
trap 'rm -rf "$T_LOGDIR"' EXIT
T_SEQ=0

t_skip() { echo "$*" >"$T_CASE_LOG.skip"; exit 77; }
t_fail() { echo "FAIL: $*" >&2; exit 1; }
t_defer() {
	T_DEFERRED=("$*" "${T_DEFERRED[@]}")
}
t_run_deferred() {
	local c
	for c in "${T_DEFERRED[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
}
t_eq() {
	[ "$1" = "$2" ] || t_fail "$3: got '$1', want '$2'"
}
t_match() {
	[[ $1 =~ $2 ]] || t_fail "$3: '$1' does not match /$2/"
}
# t_run CMD...: run CMD without stopping the case; sets $out, $err, $rc.
t_run() {
	local e
	e=$(mktemp)
	set +e
	out=$("$@" 2>"$e")
	rc=$?
	set -e
	err=$(cat "$e")
	rm -f "$e"
}
# t_err RC MESSAGE CMD...: CMD must fail with exit status RC and exactly
# the one-line message MESSAGE on stderr.
t_err() {
	local want_rc=$1 want=$2
	shift 2
	t_run "$@"
	[ "$rc" = "$want_rc" ] || t_fail "$*: exit status $rc, want $want_rc (stderr: $err)"
	[ "$err" = "$want" ] || t_fail "$*: stderr '$err', want '$want'"
}

# t_retry SECS CMD...: poll CMD every 0.2 s until it succeeds or SECS pass.
t_retry() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

t_case() {
	local name=$1 func=$2 rc start=$SECONDS
	T_SEQ=$((T_SEQ + 1))
	T_CASE_LOG=$T_LOGDIR/$T_SEQ
	(
		T_DEFERRED=()
		T_CASE_ID=t$$x$T_SEQ
		trap t_run_deferred EXIT
		set -eE -o pipefail
		"$func"
	) >"$T_CASE_LOG" 2>&1
	rc=$?
	local took=$((SECONDS - start))s
	case $rc in
	0) T_PASS=$((T_PASS + 1)); echo "ok   $name ($took)" ;;
	77) T_SKIP=$((T_SKIP + 1)); echo "SKIP $name: $(cat "$T_CASE_LOG.skip")" ;;
	*)
		T_FAIL=$((T_FAIL + 1))
		echo "FAIL $name ($took, status $rc)"
		sed 's/^/     | /' "$T_CASE_LOG" | tail -n 40
		;;
	esac
}

t_done() {
	echo "# $T_FILE: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	local res=${XFRMCTL_SUMMARY:-${XFRMCTL_VM_OUT:+$XFRMCTL_VM_OUT/summary}}
	[ -z "$res" ] || echo "$T_PASS $T_FAIL $T_SKIP" >"$res"
	[ "$T_FAIL" = 0 ]
}
