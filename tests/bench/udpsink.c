/*
 * udpsink: count the UDP datagrams that reach a socket (tests/bench/trace.sh).
 *
 * usage: udpsink ADDR PORT [ENCAP_PORT [MAXSECS]]
 *   binds ADDR:PORT (receive buffer raised to 32 MB) and receives with
 *   recvmmsg until SIGINT or SIGTERM, or MAXSECS (default 600) pass, then
 *   takes what is still queued on the socket (it got there) and ends; with
 *   ENCAP_PORT, holds a UDP_ENCAP_ESPINUDP socket on ADDR:ENCAP_PORT
 *   meanwhile, as IKE daemons do, without which the kernel does not
 *   decapsulate ESP-in-UDP arriving there.  Prints "listening" on stderr
 *   once both are bound, then at the end one JSON line:
 *     {"received":N,"bytes":N,"span":S,"highest":N,"per_sec":[N,...]}
 *   span: seconds from the first datagram to the last; highest: the largest
 *   number found in the first 8 bytes of a payload (udpblast numbers them
 *   from 0), so highest + 1 - received were sent and not received;
 *   per_sec: datagrams received in each second from the first one (the
 *   last, partial, second included).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_ENCAP
#define UDP_ENCAP 100
#endif
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif
#define BATCH 64
#define BUFSZ 2048
#define MAX_SECS 4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bound(const char *s, long port, int encap)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, big = 32 << 20, type = UDP_ENCAP_ESPINUDP;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "udpsink: bad address '%s'\n", s);
		exit(2);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpsink: socket");
		exit(1);
	}
	if (encap && setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type))) {
		perror("udpsink: UDP_ENCAP");
		exit(1);
	}
	/* root in the guest: past rmem_max; else as much as allowed */
	if (!encap && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		perror("udpsink: bind");
		exit(1);
	}
	return fd;
}

static long num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "udpsink: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static char bufs[BATCH][BUFSZ];
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	static unsigned long long per_sec[MAX_SECS];
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART */
	struct timeval tick = { .tv_usec = 200000 };
	unsigned long long received = 0, bytes = 0, highest = 0;
	double first = 0, last = 0;
	long port, maxsecs = 600;
	int fd;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: udpsink ADDR PORT [ENCAP_PORT [MAXSECS]]\n");
		return 2;
	}
	port = num(argv[2], 1, 65535, "port");
	if (argc > 4)
		maxsecs = num(argv[4], 1, 86400, "seconds");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (argc > 3)
		bound(argv[1], num(argv[3], 1, 65535, "encap port"), 1); /* held till exit */
	fd = bound(argv[1], port, 0);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick))) {
		perror("udpsink: SO_RCVTIMEO");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = BUFSZ;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	fprintf(stderr, "listening\n");
	alarm(maxsecs);
	for (;;) {
		/* once stopped, what is queued still counts: it reached the socket */
		int r = recvmmsg(fd, msgs, BATCH, stop ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);

		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (stop)
					break;
				continue; /* SO_RCVTIMEO: a signal may have come just before the call */
			}
			if (errno == EINTR)
				continue; /* SIGINT, SIGTERM, SIGALRM (MAXSECS): stop is set */
			perror("udpsink: recvmmsg");
			return 1;
		}
		last = now();
		if (!received)
			first = last;
		received += r;
		if (last - first < MAX_SECS)
			per_sec[(int)(last - first)] += r;
		for (int i = 0; i < r; i++) {
			uint64_t k = 0;

			bytes += msgs[i].msg_len;
			if (msgs[i].msg_len >= sizeof(k)) {
				memcpy(&k, bufs[i], sizeof(k));
				if (k > highest)
					highest = k;
			}
		}
	}
	printf("{\"received\":%llu,\"bytes\":%llu,\"span\":%.3f,\"highest\":%llu,\"per_sec\":[", received,
	       bytes, last - first, highest);
	for (int i = 0; received && i < MAX_SECS && i <= (int)(last - first); i++)
		printf("%s%llu", i ? "," : "", per_sec[i]);
	printf("]}\n");
	return 0;
}
