/* The floors of the state benchmark: what any tool must at least do, so
 * that whatever a tool does beyond it is its own cost.
 *   dumpfloor sa|policy [NETNS]: dump the SAD (SPD) over NETLINK_XFRM and
 *     only count the bytes and messages, parsing nothing (the list floor).
 *   dumpfloor install N [NETNS]: install the N SAs of tests/bench/state.sh
 *     (dst 10.x.y.z, spi 0x1000+i, reqid i+1, tunnel, rfc4106(gcm(aes))),
 *     one request and its ACK each, from one message template patched in
 *     place: no text is parsed (the install floor; its user time is what
 *     the request/ACK round trips alone cost in user mode).
 *   dumpfloor install-queued N [NETNS]: the same requests sent 64 to a
 *     send(), only the last asking for an ACK, as xfrmctl -b sends plain
 *     adds (the floor of that way of sending). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static _Alignas(8) unsigned char buf[65536]; /* (holds requests too) */

static int enter_netns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		perror(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* A batch of the kernel's messages into buf: its length, or -1 after
 * saying why. */
static ssize_t recv_batch(int fd)
{
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n < 0)
		perror("dumpfloor: recv");
	return n;
}

static int dump(int fd, int type)
{
	struct nlmsghdr req = { .nlmsg_len = NLMSG_LENGTH(0), .nlmsg_type = (unsigned short)type,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 };
	unsigned long long bytes = 0, msgs = 0;

	if (send(fd, &req, req.nlmsg_len, 0) < 0) {
		perror("dumpfloor");
		return 1;
	}
	for (;;) {
		ssize_t n = recv_batch(fd);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		int rem = (int)n;

		if (n < 0)
			return 1;
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

/* The answers to requests first..last (sequence numbers): 0 once the
 * last has answered, 1 after saying what failed. */
static int answers(int fd, unsigned int first, unsigned int last)
{
	for (;;) {
		ssize_t n = recv_batch(fd);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		int rem = (int)n;

		if (n < 0)
			return 1;
		for (; NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
			int err;

			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first || h->nlmsg_seq > last ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
				continue;
			err = *(int *)NLMSG_DATA(h);
			if (err) {
				fprintf(stderr, "dumpfloor: SA %u: %s\n", h->nlmsg_seq - 1, strerror(-err));
				return 1;
			}
			if (h->nlmsg_seq == last)
				return 0;
		}
	}
}

/* Install count SAs, per requests to a send() (1: each with its ACK). */
static int install(int fd, unsigned long count, unsigned int per)
{
	static const unsigned char key[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
					     17, 18, 19, 20 };
	struct msg {
		struct nlmsghdr h;
		struct xfrm_usersa_info info;
		struct nlattr a;
		struct xfrm_algo_aead aead;
		unsigned char key[sizeof(key)];
	} m, *q = (struct msg *)buf; /* no padding: 16 + 224 + 4 + 72 + 20 bytes */
	struct msg *const many = q;
	struct xfrm_usersa_info *p = &m.info;
	unsigned int k = 0;

	memset(&m, 0, sizeof(m));
	m.h.nlmsg_len = (unsigned int)(offsetof(typeof(m), key) + sizeof(key));
	m.h.nlmsg_type = XFRM_MSG_NEWSA;
	m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	p->family = AF_INET;
	p->saddr.a4 = htonl(0x0a000001);
	p->id.proto = IPPROTO_ESP;
	p->mode = XFRM_MODE_TUNNEL;
	p->sel.family = AF_INET;
	p->lft.soft_byte_limit = p->lft.hard_byte_limit = XFRM_INF;
	p->lft.soft_packet_limit = p->lft.hard_packet_limit = XFRM_INF;
	m.a.nla_len = (unsigned short)(NLA_HDRLEN + sizeof(m.aead) + sizeof(key));
	m.a.nla_type = XFRMA_ALG_AEAD;
	strcpy(m.aead.alg_name, "rfc4106(gcm(aes))");
	m.aead.alg_key_len = sizeof(key) * 8;
	m.aead.alg_icv_len = 128;
	memcpy(m.key, key, sizeof(key));
	for (unsigned long i = 0; i < count; i++) {
		m.h.nlmsg_seq = (unsigned int)i + 1;
		p->id.daddr.a4 = htonl(0x0a000000 | (unsigned int)(1 + i / 65536) << 16 |
				       (unsigned int)(i % 65536));
		p->id.spi = htonl(0x1000 + (unsigned int)i);
		p->reqid = (unsigned int)i + 1;
		if (per == 1) { /* (sent from where it is built) */
			m.h.nlmsg_flags |= NLM_F_ACK;
			q = &m;
			k = 1;
		} else {
			q[k++] = m;
			if (k < per && i + 1 < count)
				continue;
			q[k - 1].h.nlmsg_flags |= NLM_F_ACK;
		}
		if (send(fd, q, k * sizeof(m), 0) < 0) {
			perror("dumpfloor: send");
			return 1;
		}
		if (answers(fd, (unsigned int)(i + 2 - k), (unsigned int)i + 1))
			return 1;
		k = 0;
		q = many;
	}
	printf("%lu SAs installed\n", count);
	return 0;
}

int main(int argc, char **argv)
{
	int queued = argc > 2 && !strcmp(argv[1], "install-queued");
	int inst = queued || (argc > 2 && !strcmp(argv[1], "install"));
	int ns = inst ? 3 : 2, fd;

	if (argc < 2) {
		fprintf(stderr, "usage: dumpfloor sa|policy [NETNS] | install|install-queued N [NETNS]\n");
		return 2;
	}
	/* enter the namespace as xfrmctl -n and ip -n do */
	if (argc > ns && enter_netns(argv[ns]) < 0)
		return 1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_XFRM);
	if (fd < 0) {
		perror("dumpfloor: socket");
		return 1;
	}
	if (inst)
		return install(fd, strtoul(argv[2], NULL, 10), queued ? 64 : 1);
	return dump(fd, !strcmp(argv[1], "policy") ? XFRM_MSG_GETPOLICY : XFRM_MSG_GETSA);
}
