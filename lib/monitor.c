#include "monitor.h"

#include <errno.h>
#include <linux/xfrm.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct xc_mon {
	struct nl_sock *sk;
	uint32_t port;
	uint64_t drops; /* the kernel's drop count at the last look */
	unsigned char *rx;
};

/* The Drops column of our socket's line in /proc/net/netlink. */
static int read_drops(uint32_t port, uint64_t *drops)
{
	char line[256];
	FILE *f = fopen("/proc/net/netlink", "re");
	int ret = -ENOENT;
	unsigned long long d;
	unsigned int proto, pid;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
		if (sscanf(line, "%*s %u %u %*s %*s %*s %*s %*s %llu", &proto, &pid, &d) != 3)
			continue;
		if (proto == NETLINK_XFRM && pid == port) {
			*drops = d;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

int xc_mon_open(struct xc_mon **out, unsigned int groups, int rcvbuf)
{
	static const struct {
		unsigned int bit;
		int group;
	} map[] = {
		{ XC_MON_ACQUIRE, XFRMNLGRP_ACQUIRE }, { XC_MON_EXPIRE, XFRMNLGRP_EXPIRE },
		{ XC_MON_STATE, XFRMNLGRP_SA },	       { XC_MON_POLICY, XFRMNLGRP_POLICY },
		{ XC_MON_AEVENT, XFRMNLGRP_AEVENTS },  { XC_MON_REPORT, XFRMNLGRP_REPORT },
		{ XC_MON_MIGRATE, XFRMNLGRP_MIGRATE }, { XC_MON_MAPPING, XFRMNLGRP_MAPPING },
	};
	struct xc_mon *mon = calloc(1, sizeof(*mon));
	int err;

	if (!mon)
		return -ENOMEM;
	mon->rx = malloc(XC_NL_RX_BUF);
	mon->sk = nl_socket_alloc();
	if (!mon->sk || !mon->rx) {
		err = -ENOMEM;
		goto out;
	}
	nl_socket_disable_seq_check(mon->sk);
	err = xc_nl_errno(nl_connect(mon->sk, NETLINK_XFRM));
	if (err < 0)
		goto out;
	rcvbuf = rcvbuf > 0 ? rcvbuf : 4 << 20;
	/* FORCE lets root go past net.core.rmem_max, as a monitor needs */
	if (setsockopt(nl_socket_get_fd(mon->sk), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0 &&
	    setsockopt(nl_socket_get_fd(mon->sk), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0) {
		err = -errno;
		goto out;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (!(groups & map[i].bit))
			continue;
		err = xc_nl_errno(nl_socket_add_membership(mon->sk, map[i].group));
		if (err < 0)
			goto out;
	}
	mon->port = nl_socket_get_local_port(mon->sk);
	read_drops(mon->port, &mon->drops);
	*out = mon;
	mon = NULL;
	err = 0;
out:
	xc_mon_close(mon);
	return err;
}

void xc_mon_close(struct xc_mon *mon)
{
	if (!mon)
		return;
	if (mon->sk)
		nl_socket_free(mon->sk);
	if (mon->rx)
		explicit_bzero(mon->rx, XC_NL_RX_BUF); /* SA events carry keys */
	free(mon->rx);
	free(mon);
}

int xc_mon_fd(const struct xc_mon *mon)
{
	return nl_socket_get_fd(mon->sk);
}

int xc_mon_read(struct xc_mon *mon, xc_msg_cb cb, void *arg, uint64_t *lost)
{
	const struct nlmsghdr *nlh;
	uint64_t drops;
	ssize_t n;
	int rem, r = 0;

	*lost = 0;
	n = xc_nl_recv_batch(nl_socket_get_fd(mon->sk), mon->rx, XC_NL_RX_BUF);
	if (n < 0) {
		if (n != -ENOBUFS)
			return (int)n;
		/* overrun: the queue was full and the kernel dropped events */
		if (read_drops(mon->port, &drops) == 0 && drops > mon->drops) {
			*lost = drops - mon->drops;
			mon->drops = drops;
		} else {
			*lost = 1;
		}
		return 0;
	}
	if (n == 0)
		return 0;
	nlh = (const struct nlmsghdr *)mon->rx;
	for (rem = (int)n; NLMSG_OK(nlh, rem); nlh = NLMSG_NEXT(nlh, rem)) {
		if (nlh->nlmsg_type < XFRM_MSG_BASE)
			continue;
		if ((r = cb(nlh, arg)) < 0)
			break;
	}
	explicit_bzero(mon->rx, (size_t)n);
	return r;
}
