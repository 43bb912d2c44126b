#!/bin/bash
# The command line itself: version, help, exact matching, usage errors.
. "$(dirname "$0")/../lib/t.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}

run() { t_run "$X" "$@"; }

case_version() {
	run --version
	t_eq "$rc" 0 "exit status"
	t_match "$out" '^xfrmctl [0-9]+\.[0-9]+\.[0-9]+$' "--version"
	run version
	t_match "$out" '^xfrmctl [0-9]+\.[0-9]+\.[0-9]+$' "version command"
}

case_help_lists_commands() {
	run help
	t_eq "$rc" 0 "exit status"
	local c
	for c in state policy monitor version help; do
		t_match "$out" $'\n'"  $c +[a-z]" "command table entry '$c'"
	done
}

case_usage_errors() {
	run bogus
	t_eq "$rc" 2 "exit status, unknown command"
	t_eq "$err" "xfrmctl: unknown command 'bogus' (see 'xfrmctl help')" "message"
	run vers
	t_eq "$rc" 2 "exit status, command prefix (no prefix matching)"
	t_eq "$err" "xfrmctl: unknown command 'vers' (see 'xfrmctl help')" "message"
	run --js version
	t_eq "$rc" 2 "exit status, option prefix"
	t_eq "$err" "xfrmctl: unknown option '--js' (see 'xfrmctl help')" "message"
	run -n
	t_eq "$rc" 2 "exit status, missing argument"
	t_eq "$err" "xfrmctl: option '-n' needs an argument" "message"
	run
	t_eq "$rc" 2 "exit status, no command"
	t_match "$err" "^Usage: xfrmctl" "usage on stderr"
}

case_netns_absent() {
	[ "$(id -u)" = 0 ] || t_skip "needs root for /run/netns"
	run -n xfrmctl-absent-ns version
	t_eq "$rc" 1 "exit status"
	t_eq "$err" "xfrmctl: netns 'xfrmctl-absent-ns': No such file or directory" "message"
}

# plugin DIR SO ABI: DIR/plugins/SO.so, a table such as a plugin of another
# build has (its first field: 0.1.0's version string, or another ABI id).
plugin() {
	printf 'const struct { const char *abi; void *fn; } xfrmctl_plugin = { "%s", 0 };\n' "$3" \
		>"$1/p.c"
	"${CC:-cc}" -shared -fPIC -o "$1/plugins/$2.so" "$1/p.c"
}

# A copy of the binary with plugins/ beside it loads its plugins from there
# only, and never one of another build: one line naming the file, exit 1.
case_plugins() {
	command -v "${CC:-cc}" >/dev/null || t_skip "no C compiler to build a foreign plugin"
	local d
	d=$(mktemp -d)
	t_defer rm -rf "$d"
	cp "$X" "$d/xfrmctl"
	mkdir "$d/plugins"
	t_err 1 "xfrmctl: verify: cannot load its plugin: $d/plugins/verify.so: cannot open shared object file: No such file or directory" \
		"$d/xfrmctl" verify help
	plugin "$d" verify 0.1.0
	t_err 1 "xfrmctl: verify: plugin $d/plugins/verify.so is from another build (rebuild or reinstall)" \
		"$d/xfrmctl" verify help
	plugin "$d" verify 0123456789abcdef
	t_err 1 "xfrmctl: verify: plugin $d/plugins/verify.so is from another build (rebuild or reinstall)" \
		"$d/xfrmctl" verify help
	cp "$(dirname "$X")/plugins/verify.so" "$d/plugins/"
	t_run "$d/xfrmctl" verify help
	t_eq "$rc" 0 "exit status with the build's own plugin ($err)"
	t_match "$out" "--pcap" "verify's help"
}

# verify loads libpcap only when it needs it: where libpcap cannot be loaded
# (here every libpcap the loader knows is an empty file, in a mount
# namespace of the case's own), what needs it fails in one line that says
# so and why (exit 1), and a classic pcap file is still read without it.
case_verify_without_libpcap() {
	[ "$(id -u)" = 0 ] || t_skip "needs root (a mount namespace to hide libpcap)"
	command -v unshare >/dev/null || t_skip "no unshare (util-linux)"
	local d libs
	d=$(mktemp -d)
	t_defer rm -rf "$d"
	libs=$(ldconfig -p | awk '$1 ~ /^libpcap\.so/ { print $NF }' | xargs -r readlink -f | sort -u)
	[ -n "$libs" ] || t_skip "no libpcap installed to hide"
	# a pcap file without packets (raw IP), and an SA to verify against
	python3 -c 'import struct, sys; open(sys.argv[1], "wb").write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))' "$d/empty.pcap"
	echo "state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 aead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 128" >"$d/a.sa"
	cat >"$d/hidden.sh" <<-EOS
		for l in $libs; do mount --bind /dev/null "\$l" || exit 99; done
		exec "\$@"
	EOS
	t_run unshare -m bash "$d/hidden.sh" "$X" verify --pcap "$d/empty.pcap" --sa-file "$d/a.sa" --filter esp
	[ "$rc" != 99 ] || t_skip "cannot bind-mount in a mount namespace here: $err"
	t_eq "$rc" 1 "exit status, --filter without libpcap ($err)"
	t_eq "$(wc -l <<<"$err")" 1 "one line"
	t_match "$err" "^xfrmctl: verify: cannot compile filter 'esp': cannot load libpcap: .*libpcap[^ ]*: " \
		"the error names what needed libpcap, and why it did not load"
	t_run unshare -m bash "$d/hidden.sh" "$X" verify --pcap "$d/empty.pcap" --sa-file "$d/a.sa" --quiet
	t_eq "$rc" 0 "exit status, a classic pcap file without libpcap ($err)"
}

# A batch reads plain `state add|update` lines whole (xc_spec_sa_text) and
# every other line word by word, as the command line does: --dry-run shows
# the same SAs either way, -k and -j alike, for lines read whole and lines
# not (another keyword, a tab); errors are the command line's.
case_batch_lines_read_whole() {
	local f key=0x0102030405060708090a0b0c0d0e0f1011121314 l o each
	local k16=0x00112233445566778899aabbccddeeff
	local k32=0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
	local lines=(
		"add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 reqid 7 mode tunnel aead rfc4106(gcm(aes)) $key 128"
		"add src 10.0.0.1 dst 10.0.0.2 proto esp spi 257 mode transport enc cbc(aes) $k16 auth hmac(sha256) $k32"
		"add   proto esp  spi 0402 dst 10.0.0.2 src 10.0.0.1 enc aes $k16 auth-trunc sha256 $k32 128 replay-window 32  "
		"update src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x103 mode beet aead rfc4106(gcm(aes)) $key 64"
		"add src 10.0.0.1 dst 10.0.0.2 proto ah spi 0x104 auth hmac(sha256) $k32"
		"add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x105 aead rfc4106(gcm(aes)) $key 96 sel src 10.0.0.0/8"
		$'add src 10.0.0.1\tdst 10.0.0.2 proto esp spi 0x106 aead rfc4106(gcm(aes)) '"$key 128"
	)
	f=$(mktemp)
	t_defer rm -f "$f"
	printf 'state %s\n' "${lines[@]}" >"$f"
	for o in "" -j; do
		each=""
		for l in "${lines[@]}"; do
			# (word splitting of $l, at spaces and tabs: its words)
			each+=$("$X" --dry-run -k $o state $l)$'\n'
		done
		run --dry-run -k $o -b "$f"
		t_eq "$rc" 0 "--dry-run $o -b: exit status ($err)"
		t_eq "$out"$'\n' "$each" "--dry-run $o -b: the SAs the command line shows"
	done
	# errors: those of the command line, with the line's number
	printf 'state add %s\n' \
		"src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 aead rfc4106(gcm(aes)) $k16 128" \
		"src 10.0.0.1 dst 10.0.0.2 proto esp spi 0 aead rfc4106(gcm(aes)) $key 128" \
		"src 10.0.0.1 dst 10.0.0.2 proto esp spi 1 aead rfc4106(gcm(aes)) $key 128 reqid" >"$f"
	run --dry-run -b "$f" --force
	t_eq "$rc" 2 "errors: exit status"
	t_eq "$err" "xfrmctl: line 1: state add: key for 'rfc4106(gcm(aes))' must be 20, 28 or 36 bytes (salt included), got 16
xfrmctl: line 2: state add: SPI 0 is reserved (RFC 4303) and names no SA
xfrmctl: line 3: state add: missing NUMBER after 'reqid'
xfrmctl: batch: 3 commands failed (the first at line 1), 0 applied" "errors: messages"
}

t_case "--version and version" case_version
t_case "help lists the command table" case_help_lists_commands
t_case "usage errors: exact matching, exit 2, one line" case_usage_errors
t_case "-n with an absent namespace: exit 1" case_netns_absent
t_case "plugins: missing or of another build: one line, exit 1" case_plugins
t_case "batch: plain state add lines read whole, as the command line reads them" case_batch_lines_read_whole
t_case "verify where libpcap cannot be loaded: one line for what needs it, classic pcap still read" case_verify_without_libpcap
t_done
