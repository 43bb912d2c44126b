# tests/lib/netns.sh: fresh network namespaces for one test case.
# Needs tests/lib/t.sh (t_defer, T_CASE_ID).
#
#   ns_new NAME           create namespace "$T_CASE_ID-NAME" with lo up;
#                         prints its full name; deleted at the end of the case
#   ns_pair               two namespaces A and B joined by veth (va in A,
#                         vb in B), 10.0.0.1/24 + fd00::1/64 in A,
#                         10.0.0.2/24 + fd00::2/64 in B; sets $A and $B
ns_new() {
	local ns=$T_CASE_ID-$1
	ip netns add "$ns"
	t_defer ip netns del "$ns"
	ip -n "$ns" link set lo up
	echo "$ns"
}

ns_pair() {
	A=$(ns_new a)
	B=$(ns_new b)
	ip link add va netns "$A" type veth peer vb netns "$B"
	ip -n "$A" addr add 10.0.0.1/24 dev va
	ip -n "$B" addr add 10.0.0.2/24 dev vb
	ip -n "$A" addr add fd00::1/64 dev va nodad
	ip -n "$B" addr add fd00::2/64 dev vb nodad
	ip -n "$A" link set va up
	ip -n "$B" link set vb up
}

# xfrm_stat NS COUNTER: one counter of /proc/net/xfrm_stat in NS.
xfrm_stat() {
	ip netns exec "$1" awk -v c="$2" '$1 == c { print $2 }' /proc/net/xfrm_stat
}
