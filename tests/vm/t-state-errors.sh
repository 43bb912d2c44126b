#!/bin/bash
# Bad input to xfrmctl state: each is refused with the right exit status and
# exactly one line naming the object and the bad token, and the kernel's
# SAD is what it was before. Then batches that fail midway.
. "$(dirname "$0")/../lib/t.sh"
. "$T_TOP/tests/lib/vm.sh"
. "$T_TOP/tests/lib/netns.sh"
. "$T_TOP/tests/lib/ipsec.sh"
. "$T_TOP/tests/lib/json.sh"
X=${XFRMCTL_BIN:?XFRMCTL_BIN not set}
ID="src 10.0.0.1 dst 10.0.0.2 proto esp"
GCM=(aead 'rfc4106(gcm(aes))' $KEY_GCM128 128)
CBC=(enc 'cbc(aes)' $KEY_AES128)

# bad RC MESSAGE ARGS...: in a fresh namespace holding one SA (spi 0x10),
# `xfrmctl -n NS ARGS...` fails with RC and MESSAGE, and the SAD is unchanged.
bad() {
	local rc=$1 msg=$2 ns before
	shift 2
	ns=$(ns_new a)
	"$X" -n "$ns" state add $ID spi 0x10 "${GCM[@]}"
	before=$(ip -n "$ns" xfrm state)
	t_err "$rc" "$msg" "$X" -n "$ns" "$@"
	t_eq "$(ip -n "$ns" xfrm state)" "$before" "the SAD after the refusal"
}

n=0
# case MESSAGE-RC MESSAGE ARGS... : one t_case per bad input
bad_case() {
	n=$((n + 1))
	eval "case_bad_$n() { bad $(printf '%q ' "$@"); }"
	t_case "refused: xfrmctl ${*:3}" "case_bad_$n"
}

K16=$KEY_AES128
bad_case 2 "xfrmctl: state add: key for 'rfc4106(gcm(aes))' must be 20, 28 or 36 bytes (salt included), got 16" \
	state add $ID spi 0x100 aead 'rfc4106(gcm(aes))' $K16 128
bad_case 2 "xfrmctl: state add: unknown aead algorithm 'gcm(aes)' (did you mean 'rfc4106(gcm(aes))'?)" \
	state add $ID spi 0x100 aead 'gcm(aes)' $KEY_GCM128 128
bad_case 2 "xfrmctl: state add: unknown enc algorithm 'cbc(aes' (did you mean 'cbc(aes)'?)" \
	state add $ID spi 0x100 enc 'cbc(aes' $K16
bad_case 2 "xfrmctl: state add: key for 'hmac(sha256)' must be 32 bytes, got 16" \
	state add $ID spi 0x100 "${CBC[@]}" auth 'hmac(sha256)' $K16
bad_case 2 "xfrmctl: state add: truncation for 'hmac(sha256)' must be a multiple of 8 from 8 to 256 bits, got 300" \
	state add $ID spi 0x100 "${CBC[@]}" auth-trunc 'hmac(sha256)' $KEY_SHA256 300
bad_case 2 "xfrmctl: state add: ICV for 'rfc4106(gcm(aes))' must be 64, 96 or 128 bits, got 100" \
	state add $ID spi 0x100 aead 'rfc4106(gcm(aes))' $KEY_GCM128 100
bad_case 2 "xfrmctl: state add: bad address '10.0.0.999' after 'dst'" \
	state add src 10.0.0.1 dst 10.0.0.999 proto esp spi 0x100 "${GCM[@]}"
bad_case 2 "xfrmctl: state add: ID (src, dst) mixes IPv4 and IPv6 addresses" \
	state add src 10.0.0.1 dst fd00::2 proto esp spi 0x100 "${GCM[@]}"
bad_case 2 "xfrmctl: state add: missing 'dst ADDR'" \
	state add proto esp spi 0x100 "${GCM[@]}"
bad_case 2 "xfrmctl: state add: missing 'proto XFRM-PROTO'" \
	state add src 10.0.0.1 dst 10.0.0.2 spi 0x100 "${GCM[@]}"
bad_case 2 "xfrmctl: state add: missing 'spi SPI'" \
	state add $ID "${GCM[@]}"
bad_case 2 "xfrmctl: state add: SPI 0 is reserved (RFC 4303) and names no SA" \
	state add $ID spi 0 "${GCM[@]}"
bad_case 2 "xfrmctl: state add: bad SPI 'xyz' after 'spi'" \
	state add $ID spi xyz "${GCM[@]}"
bad_case 2 "xfrmctl: state add: bad SPI '0x100000000' after 'spi'" \
	state add $ID spi 0x100000000 "${GCM[@]}"
bad_case 2 "xfrmctl: state add: unknown keyword 'colour'" \
	state add $ID spi 0x100 "${GCM[@]}" colour blue
bad_case 2 "xfrmctl: state add: missing MODE after 'mode'" \
	state add $ID spi 0x100 "${GCM[@]}" mode
bad_case 2 "xfrmctl: state add: unknown mode 'tunel' (transport, tunnel, beet, ro, in_trigger)" \
	state add $ID spi 0x100 "${GCM[@]}" mode tunel
bad_case 2 "xfrmctl: state add: unknown flag 'esnn' after 'flag'" \
	state add $ID spi 0x100 "${GCM[@]}" flag esnn
bad_case 2 "xfrmctl: state add: an esp SA needs 'enc' or 'aead'" \
	state add $ID spi 0x100 auth 'hmac(sha256)' $KEY_SHA256
bad_case 2 "xfrmctl: state add: 'aead' excludes 'enc', 'auth' and 'auth-trunc'" \
	state add $ID spi 0x100 "${GCM[@]}" "${CBC[@]}"
bad_case 2 "xfrmctl: state add: an ah SA takes 'auth' or 'auth-trunc' and nothing else" \
	state add src 10.0.0.1 dst 10.0.0.2 proto ah spi 0x100 "${CBC[@]}"
bad_case 2 "xfrmctl: state add: SPI 0x00010000 of a comp SA is a CPI and must be below 0x10000" \
	state add src 10.0.0.1 dst 10.0.0.2 proto comp spi 0x10000 comp deflate
bad_case 2 "xfrmctl: state add: key for 'cbc(aes)' must be 0xHEX, @FILE or - (stdin)" \
	state add $ID spi 0x100 enc 'cbc(aes)' secretpassword
bad_case 2 "xfrmctl: state add: key for 'cbc(aes)' has an odd number of hex digits" \
	state add $ID spi 0x100 enc 'cbc(aes)' 0x123
bad_case 2 "xfrmctl: state add: key for 'cbc(aes)': not a hex digit at offset 4" \
	state add $ID spi 0x100 enc 'cbc(aes)' 0x00zz
bad_case 1 "xfrmctl: state add: key for 'cbc(aes)': cannot read key file '/nonexistent/key': No such file or directory" \
	state add $ID spi 0x100 enc 'cbc(aes)' @/nonexistent/key
bad_case 2 "xfrmctl: state add: replay window 5000 is over the kernel's 4096" \
	state add $ID spi 0x100 "${GCM[@]}" replay-window 5000
bad_case 2 "xfrmctl: state add: 'flag esn' needs 'replay-window N' (N > 0)" \
	state add $ID spi 0x100 "${GCM[@]}" flag esn
bad_case 2 "xfrmctl: state add: 'sport' needs 'proto tcp|udp|sctp|dccp' before it" \
	state add $ID spi 0x100 "${GCM[@]}" sel src 10.0.0.0/24 sport 53
bad_case 2 "xfrmctl: state add: unknown encap type 'espinudp4' (espinudp, espinudp-nonike, espintcp)" \
	state add $ID spi 0x100 "${GCM[@]}" encap espinudp4 4500 4500 0.0.0.0
bad_case 1 "xfrmctl: state add: unknown device 'nosuch0' after 'offload dev'" \
	state add $ID spi 0x100 "${GCM[@]}" offload dev nosuch0 dir in
bad_case 2 "xfrmctl: state add: unknown protocol 'esp6' after 'proto' (esp, ah, comp, route2, hao)" \
	state add src 10.0.0.1 dst 10.0.0.2 proto esp6 spi 0x100 "${GCM[@]}"
bad_case 1 "xfrmctl: state add: SA esp spi 0x00000010 dst 10.0.0.2: File exists" \
	state add $ID spi 0x10 "${GCM[@]}"
bad_case 1 "xfrmctl: state delete: SA esp spi 0x00000011 dst 10.0.0.2: no such SA" \
	state delete $ID spi 0x11
bad_case 1 "xfrmctl: state get: SA esp spi 0x00000011 dst 10.0.0.2: no such SA" \
	state get $ID spi 0x11
bad_case 2 "xfrmctl: state list: unknown keyword 'spi-range'" \
	state list spi-range 1
bad_case 2 "xfrmctl: state flush: only 'proto XFRM-PROTO' can narrow a flush" \
	state flush src 10.0.0.1
bad_case 2 "xfrmctl: state: unknown command 'ad' (see 'xfrmctl state help')" \
	state ad $ID spi 0x100 "${GCM[@]}"
bad_case 2 "xfrmctl: state count: unexpected 'all'" \
	state count all
bad_case 2 "xfrmctl: state allocspi: allocspi chooses the SPI: give 'min N max N', not 'spi'" \
	state allocspi $ID spi 0x100
bad_case 2 "xfrmctl: state allocspi: SPI range min 0x200 max 0x100 is empty or starts at 0" \
	state allocspi $ID min 0x200 max 0x100
bad_case 2 "xfrmctl: state update: missing 'spi SPI'" \
	state update $ID "${GCM[@]}"

# Kernels before 6.10 drop XFRMA_SA_DIR without a word: xfrmctl reads the
# SA back, removes it and says so, rather than leave an SA without its dir.
case_dir_needs_610() {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	if [ "$major" -gt 6 ] || { [ "$major" = 6 ] && [ "$minor" -ge 10 ]; }; then
		t_skip "kernel $(uname -r) has XFRMA_SA_DIR; this case is for older kernels"
	fi
	bad 1 "xfrmctl: state add: SA esp spi 0x00000100 dst 10.0.0.2: this kernel ignores 'dir' (XFRMA_SA_DIR needs Linux 6.10); SA not added" \
		state add $ID spi 0x100 "${GCM[@]}" dir in
}
t_case "dir on a kernel before 6.10: refused, SA removed again" case_dir_needs_610

# A batch: line 1 good, line 2 bad, line 3 good.
batch_file() {
	local f=$1
	{
		echo "# three SAs"
		echo "state add $ID spi 0x201 aead 'rfc4106(gcm(aes))' $KEY_GCM128 128"
		echo "state add $ID spi 0x202 aead 'rfc4106(gcm(aes))' $K16 128"
		echo "state add $ID spi 0x203 aead 'rfc4106(gcm(aes))' $KEY_GCM128 128"
	} >"$f"
}

case_batch_stops() {
	local ns f
	ns=$(ns_new a)
	f=$(mktemp)
	batch_file "$f"
	t_run "$X" -n "$ns" -b "$f"
	t_eq "$rc" 2 "exit status"
	t_eq "$err" "xfrmctl: line 3: state add: key for 'rfc4106(gcm(aes))' must be 20, 28 or 36 bytes (salt included), got 16
xfrmctl: batch: stopped at line 3; 1 command before it applied, nothing after it" "messages"
	t_json "$("$X" -n "$ns" -j state list)" '[s["spi"] for s in j]' '[513]'
}

case_batch_force() {
	local ns f
	ns=$(ns_new a)
	f=$(mktemp)
	batch_file "$f"
	t_run "$X" -n "$ns" -b "$f" --force
	t_eq "$rc" 2 "exit status"
	t_eq "$(echo "$err" | tail -n1)" "xfrmctl: batch: 1 command failed (the first at line 3), 2 applied" "summary"
	t_json "$("$X" -n "$ns" -j state list)" 'sorted(s["spi"] for s in j)' '[513, 515]'
}

case_batch_kernel_refusal() {
	local ns
	ns=$(ns_new a)
	t_run "$X" -n "$ns" -b - <<-EOF
		state add $ID spi 0x301 aead 'rfc4106(gcm(aes))' $KEY_GCM128 128
		state add $ID spi 0x301 aead 'rfc4106(gcm(aes))' $KEY_GCM128 128
	EOF
	t_eq "$rc" 1 "exit status"
	t_eq "$err" "xfrmctl: line 2: state add: SA esp spi 0x00000301 dst 10.0.0.2: File exists
xfrmctl: batch: stopped at line 2; 1 command before it applied, nothing after it" "messages"
	t_json "$("$X" -n "$ns" -j state count)" 'j["count"]' 1
}

# The same with plain lines, which a batch reads whole (xc_spec_sa_text):
# the same messages, counts and SAs.
case_batch_plain_lines() {
	local ns f
	f=$(mktemp)
	{
		echo "state add $ID spi 0x401 aead rfc4106(gcm(aes)) $KEY_GCM128 128"
		echo "state add $ID spi 0x401 aead rfc4106(gcm(aes)) $KEY_GCM128 128"
		echo "state update $ID spi 0x402 aead rfc4106(gcm(aes)) $KEY_GCM128 128"
		echo "state add $ID spi 0x403 aead rfc4106(gcm(aes)) $K16 128"
		echo "state add $ID spi 0x404 aead rfc4106(gcm(aes)) $KEY_GCM128 128"
	} >"$f"
	ns=$(ns_new a)
	t_run "$X" -n "$ns" -b "$f"
	t_eq "$rc" 1 "exit status"
	t_eq "$err" "xfrmctl: line 2: state add: SA esp spi 0x00000401 dst 10.0.0.2: File exists
xfrmctl: batch: stopped at line 2; 1 command before it applied, nothing after it" "messages"
	t_json "$("$X" -n "$ns" -j state list)" '[s["spi"] for s in j]' '[1025]'
	ns=$(ns_new b)
	t_run "$X" -n "$ns" -b "$f" --force
	t_eq "$rc" 2 "--force: exit status"
	t_eq "$err" "xfrmctl: line 2: state add: SA esp spi 0x00000401 dst 10.0.0.2: File exists
xfrmctl: line 3: state update: SA esp spi 0x00000402 dst 10.0.0.2: no such SA
xfrmctl: line 4: state add: key for 'rfc4106(gcm(aes))' must be 20, 28 or 36 bytes (salt included), got 16
xfrmctl: batch: 3 commands failed (the first at line 2), 2 applied" "--force: messages"
	t_json "$("$X" -n "$ns" -j state list)" 'sorted(s["spi"] for s in j)' '[1025, 1028]'
}

# Plain adds go to the kernel up to 64 in one message, which the kernel
# handles whole: lines 1-150 (SPI 0x1000 + line), line 100 a duplicate of
# line 10 and, with FORCE, line 140 of line 20.
queued_file() {
	local f=$1 force=${2:-} i spi
	for i in $(seq 1 150); do
		spi=$((0x1000 + i))
		[ "$i" = 100 ] && spi=$((0x1000 + 10))
		[ -n "$force" ] && [ "$i" = 140 ] && spi=$((0x1000 + 20))
		printf 'state add %s spi 0x%x aead rfc4106(gcm(aes)) %s 128\n' "$ID" "$spi" "$KEY_GCM128"
	done >"$f"
}

# Stopping at line 100 (the second message: lines 65-128) leaves exactly
# lines 1-99: lines 101-128, which the kernel added, are removed again.
case_batch_queued_stop() {
	local ns f want
	ns=$(ns_new a)
	f=$(mktemp)
	queued_file "$f"
	t_run "$X" -n "$ns" -b "$f"
	t_eq "$rc" 1 "exit status"
	t_eq "$err" "xfrmctl: line 100: state add: SA esp spi 0x0000100a dst 10.0.0.2: File exists
xfrmctl: batch: stopped at line 100; 99 commands before it applied, nothing after it" "messages"
	want=$(python3 -c 'print(list(range(0x1001, 0x1000 + 100)))')
	t_json "$("$X" -n "$ns" -j state list)" 'sorted(s["spi"] for s in j)' "$want"
	t_eq "$(ip -n "$ns" xfrm state count | awk '{ print $NF }')" 99 "ip's count"
}

case_batch_queued_force() {
	local ns f want
	ns=$(ns_new a)
	f=$(mktemp)
	queued_file "$f" force
	t_run "$X" -n "$ns" -b "$f" --force
	t_eq "$rc" 1 "exit status"
	t_eq "$err" "xfrmctl: line 100: state add: SA esp spi 0x0000100a dst 10.0.0.2: File exists
xfrmctl: line 140: state add: SA esp spi 0x00001014 dst 10.0.0.2: File exists
xfrmctl: batch: 2 commands failed (the first at line 100), 148 applied" "messages"
	want=$(python3 -c 'print([s for s in range(0x1001, 0x1000 + 151) if s not in (0x1000 + 100, 0x1000 + 140)])')
	t_json "$("$X" -n "$ns" -j state list)" 'sorted(s["spi"] for s in j)' "$want"
}

# A failure at the last line of a message (64) and at the first of the
# next (65): lines 1-63 and 1-64 stay, nothing after them.
case_batch_queued_edges() {
	local ns f at i want
	f=$(mktemp)
	for at in 64 65; do
		for i in $(seq 1 130); do
			printf 'state add %s spi 0x%x aead rfc4106(gcm(aes)) %s 128\n' "$ID" \
				$((0x1000 + (i == at ? 1 : i))) "$KEY_GCM128"
		done >"$f"
		ns=$(ns_new "l$at")
		t_run "$X" -n "$ns" -b "$f"
		t_eq "$rc" 1 "line $at: exit status"
		t_eq "$err" "xfrmctl: line $at: state add: SA esp spi 0x00001001 dst 10.0.0.2: File exists
xfrmctl: batch: stopped at line $at; $((at - 1)) commands before it applied, nothing after it" "line $at: messages"
		want=$(python3 -c "print(list(range(0x1001, 0x1000 + $at)))")
		t_json "$("$X" -n "$ns" -j state list)" 'sorted(s["spi"] for s in j)' "$want"
	done
}

# From a pipe, a queued line is sent before xfrmctl waits for more: a
# writer that waits for its SA before writing on sees it.
case_batch_queued_pipe() {
	local ns seen
	ns=$(ns_new a)
	seen=$(mktemp)
	t_run "$X" -n "$ns" -b - < <(
		echo "state add $ID spi 0x601 aead rfc4106(gcm(aes)) $KEY_GCM128 128"
		for _ in $(seq 50); do
			if ip -n "$ns" xfrm state get $ID spi 0x601 >/dev/null 2>&1; then
				echo seen >"$seen"
				break
			fi
			sleep 0.1
		done
		echo "state add $ID spi 0x602 aead rfc4106(gcm(aes)) $KEY_GCM128 128"
	)
	t_eq "$rc" 0 "exit status"
	t_eq "$(cat "$seen")" seen "the first SA in the kernel before the second line was written"
	t_json "$("$X" -n "$ns" -j state list)" 'sorted(s["spi"] for s in j)' '[1537, 1538]'
}

# A line of another kind waits for the adds queued before it: add, delete
# and add again the same SA, with another algorithm.
case_batch_queued_order() {
	local ns
	ns=$(ns_new a)
	t_run "$X" -n "$ns" -j -b - <<-EOF
		state add $ID spi 0x501 aead rfc4106(gcm(aes)) $KEY_GCM128 128
		state add $ID spi 0x502 aead rfc4106(gcm(aes)) $KEY_GCM128 128
		state delete $ID spi 0x501
		state add $ID spi 0x501 enc cbc(aes) $KEY_AES128 auth hmac(sha256) $KEY_SHA256
		state get $ID spi 0x502
	EOF
	t_eq "$rc" 0 "exit status"
	t_eq "$err" "" "no message"
	t_json "$out" '[j["spi"], j["aead"]["name"]]' '[1282, "rfc4106(gcm(aes))"]'
	t_json "$("$X" -n "$ns" -j state list)" \
		'sorted((s["spi"], "aead" in s, "enc" in s) for s in j)' '[[1281, false, true], [1282, true, false]]'
}

t_case "batch: stops at the first bad line, says what was applied" case_batch_stops
t_case "batch --force: goes on, counts failures" case_batch_force
t_case "batch: a kernel refusal names the line and the SA" case_batch_kernel_refusal
t_case "batch of plain lines (read whole): the same messages and counts" case_batch_plain_lines
t_case "batch of 150 queued adds stopping at line 100: lines 1-99 in the kernel, no more" case_batch_queued_stop
t_case "batch of 150 queued adds --force: two refusals said by line, 148 applied" case_batch_queued_force
t_case "batch: a delete waits for the adds queued before it" case_batch_queued_order
t_case "batch: a failure at the last line of a message and at the first of the next" case_batch_queued_edges
t_case "batch from a pipe: a queued line is sent before reading on" case_batch_queued_pipe
t_done
