# tests/lib/vm.sh: what every test file that runs inside the test guest needs.
# Refuses to run outside the guest (these tests change the kernel's state),
# loads the modules and raises the memlock limit for bpftrace.
if [ -z "${XFRMCTL_VM:-}" ]; then
	echo "$(basename "$0"): runs inside the test guest: tests/vm/run -- bash $0" >&2
	exit 2
fi
modprobe -a esp4 esp4_offload esp6 esp6_offload xfrm_user veth || {
	echo "$(basename "$0"): modprobe failed" >&2
	exit 1
}
ulimit -l unlimited
