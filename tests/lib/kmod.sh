# tests/lib/kmod.sh: the test NIC tests/kmod/xfrmnic.ko in guest tests.
# Needs tests/lib/t.sh (and netns.sh for kmod_pair).
#
#   kmod_build [KVER]    at file level: make build/kmod/KVER/xfrmnic.ko unless it
#                        is up to date (KVER: the running kernel); a build
#                        made on the host before the guest boots
#                        (make -C tests/kmod KVER=...) is used as it is, else
#                        it builds here (100 s under TCG, into the
#                        guest's tmpfs overlay). Missing headers set
#                        $KMOD_SKIP, a failed build $KMOD_ERR
#   kmod_load            at file level: insmod it once (its dependencies first)
#   kmod_need            inside a case: t_skip with the reason when there are
#                        no headers, t_fail when the build or insmod failed
#   kmod_pair            like ns_pair, over an xfrmnic pair: namespaces A and B,
#                        xa in A and xb in B, 10.0.0.1/24 + fd00::1/64 on xa,
#                        10.0.0.2/24 + fd00::2/64 on xb; sets $A and $B
#   kmod_stat NS DEV NAME   one counter of `ethtool -S DEV` in NS
#   kmod_unload          rmmod (fails if it hangs 60 s: a leaked reference)
KMOD_SKIP="" KMOD_ERR="" KMOD_KO=""

kmod_build() {
	local kver=${1:-$(uname -r)} log
	KMOD_SKIP="" KMOD_ERR=""
	KMOD_KO=$T_TOP/build/kmod/$kver/xfrmnic.ko
	if [ ! -e "/lib/modules/$kver/build/Makefile" ] &&
		[ ! -e "/usr/src/linux-headers-$kver/Makefile" ]; then
		# a module built elsewhere for this kernel still does
		[ -f "$KMOD_KO" ] ||
			KMOD_SKIP="no kernel headers for $kver (apt-get install linux-headers-$kver)"
		return 0
	fi
	make -s -q -C "$T_TOP/tests/kmod" KVER="$kver" 2>/dev/null && return 0
	log=$T_LOGDIR/kmod-build.log
	echo "# building tests/kmod for $kver in the guest (make -C tests/kmod KVER=$kver on the host first saves this)"
	make -s -C "$T_TOP/tests/kmod" KVER="$kver" >"$log" 2>&1 ||
		KMOD_ERR="make -C tests/kmod KVER=$kver failed: $(tail -n 5 "$log")"
}

kmod_load() {
	[ -z "$KMOD_SKIP$KMOD_ERR" ] || return 0
	[ -d /sys/module/xfrmnic ] && return 0
	local deps
	deps=$(modinfo -F depends "$KMOD_KO" 2>/dev/null | tr ',' ' ')
	# shellcheck disable=SC2086
	[ -z "$deps" ] || modprobe -a $deps || { KMOD_ERR="modprobe $deps failed"; return 0; }
	insmod "$KMOD_KO" 2>"$T_LOGDIR/kmod-insmod.err" ||
		KMOD_ERR="insmod $KMOD_KO: $(cat "$T_LOGDIR/kmod-insmod.err")"
}

kmod_need() {
	[ -z "$KMOD_SKIP" ] || t_skip "$KMOD_SKIP"
	[ -z "$KMOD_ERR" ] || t_fail "$KMOD_ERR"
}

kmod_pair() {
	kmod_need
	A=$(ns_new a)
	B=$(ns_new b)
	"$T_TOP/tests/kmod/xfrmnic-link" add xa xb --netns "$A" --peer-netns "$B"
	ip -n "$A" addr add 10.0.0.1/24 dev xa
	ip -n "$B" addr add 10.0.0.2/24 dev xb
	ip -n "$A" addr add fd00::1/64 dev xa nodad
	ip -n "$B" addr add fd00::2/64 dev xb nodad
	ip -n "$A" link set xa up
	ip -n "$B" link set xb up
}

kmod_stat() {
	ip netns exec "$1" ethtool -S "$2" | awk -v c="$3:" '$1 == c { print $2 }'
}

kmod_unload() {
	[ -d /sys/module/xfrmnic ] || return 0
	timeout 60 rmmod xfrmnic
}
