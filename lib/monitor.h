/* Listening to the kernel's XFRM notifications (the multicast groups of
 * NETLINK_XFRM). A socket that overruns loses events; this says how many,
 * from the kernel's own drop counter for the socket (/proc/net/netlink). */
#ifndef XFRMCTL_MONITOR_H
#define XFRMCTL_MONITOR_H

#include <stdint.h>

#include "nl.h"

enum {
	XC_MON_ACQUIRE = 1 << 0,
	XC_MON_EXPIRE = 1 << 1,  /* SA and policy expiry */
	XC_MON_STATE = 1 << 2,   /* SAs added, updated, deleted, flushed */
	XC_MON_POLICY = 1 << 3,  /* policies, and default policy changes */
	XC_MON_AEVENT = 1 << 4,  /* replay and lifetime events */
	XC_MON_REPORT = 1 << 5,
	XC_MON_MIGRATE = 1 << 6,
	XC_MON_MAPPING = 1 << 7, /* NAT-T address/port changes */
	XC_MON_ALL = (1 << 8) - 1,
};

struct xc_mon;

/* rcvbuf: socket receive buffer in bytes (0: 4 MiB). */
int xc_mon_open(struct xc_mon **out, unsigned int groups, int rcvbuf);
void xc_mon_close(struct xc_mon *mon);
int xc_mon_fd(const struct xc_mon *mon);

/* Read what is queued (blocks until something is) and pass each message to
 * cb. If the socket overran, *lost is set to the number of events the
 * kernel dropped since the last call (at least 1), else 0. Returns 0,
 * -EINTR, a callback's error, or another -errno. */
int xc_mon_read(struct xc_mon *mon, xc_msg_cb cb, void *arg, uint64_t *lost);

#endif
