/* The floor for listing SAs: dump the SAD over NETLINK_XFRM and only count
 * the bytes and messages, parsing nothing. Whatever a lister does beyond
 * this is its own cost.  usage: dumpfloor sa|policy [NETNS] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static unsigned char buf[65536];
	struct {
		struct nlmsghdr h;
	} req = { .h = { .nlmsg_len = NLMSG_LENGTH(0),
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 } };
	unsigned long long bytes = 0, msgs = 0;
	char path[256];
	int fd;

	if (argc > 2) { /* enter the namespace as xfrmctl -n and ip -n do */
		snprintf(path, sizeof(path), "/run/netns/%s", argv[2]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			perror(path);
			return 1;
		}
		close(fd);
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);

	req.h.nlmsg_type = argc > 1 && !strcmp(argv[1], "policy") ? XFRM_MSG_GETPOLICY : XFRM_MSG_GETSA;
	if (fd < 0 || send(fd, &req, req.h.nlmsg_len, 0) < 0) {
		perror("dumpfloor");
		return 1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		int rem = (int)n;

		if (n < 0) {
			perror("dumpfloor: recv");
			return 1;
		}
		bytes += (unsigned long long)n;
		for (; NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				printf("%llu messages, %llu bytes\n", msgs, bytes);
				return h->nlmsg_type == NLMSG_ERROR;
			}
			msgs++;
		}
	}
}
