#ifndef XFRMCTL_NETNS_H
#define XFRMCTL_NETNS_H

/* Move the calling thread into the named network namespace (/run/netns/NAME,
 * as made by `ip netns add`). Returns 0 or -errno. */
int netns_enter(const char *name);

#endif
