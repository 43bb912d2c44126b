/* For the fuzz targets that read one netlink message: the input's bytes as
 * the payload of a message of type type, behind a header whose nlmsg_len
 * is exactly what was allocated, so that any read past it is ASan's to
 * report. NULL if out of memory; free() it. */
#ifndef XFRMCTL_FUZZ_MSG_H
#define XFRMCTL_FUZZ_MSG_H

#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline struct nlmsghdr *fuzz_msg(const uint8_t *payload, size_t len, uint16_t type)
{
	struct nlmsghdr *nlh = malloc(NLMSG_HDRLEN + len);

	if (!nlh)
		return NULL;
	memset(nlh, 0, NLMSG_HDRLEN);
	nlh->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + len);
	nlh->nlmsg_type = type;
	memcpy(NLMSG_DATA(nlh), payload, len);
	return nlh;
}

#endif
