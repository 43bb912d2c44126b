/*
 * udpblast: send UDP datagrams as fast as one thread can for a while
 * (tests/bench/trace.sh).
 *
 * usage: udpblast SRC DST PORT SECS [SIZE [BATCH]]
 *   binds SRC:PORT, connects to DST:PORT and sends SIZE-byte datagrams
 *   (default 64) with sendmmsg, BATCH per call (default 32), for SECS
 *   seconds; each payload starts with its number (8 bytes, host order).
 *   Then prints one JSON line:
 *     {"sent":N,"errors":N,"secs":S,"calls":N}
 *   errors: datagrams refused (ENOBUFS, EAGAIN, ...): the loop goes on.
 *
 * A blocking socket: when the socket's send buffer is full the call waits,
 * so nothing is dropped in the sender.  On veth the receiving namespace's
 * whole receive path (decryption included) runs in the sender's softirq on
 * the same CPU, so what this loop reaches is the rate of the whole path.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024
#define MAX_SIZE 65000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int addr(const char *s, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	return -1;
}

static long num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "udpblast: bad %s '%s' (%ld..%ld)\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static char bufs[MAX_BATCH][64];
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH][2];
	struct sockaddr_storage src, dst;
	socklen_t slen, dlen;
	unsigned long long sent = 0, errors = 0, calls = 0, n = 0;
	double start, end, t;
	char *pad;
	long port, size = 64, batch = 32, secs;
	int fd, fam, one = 1;

	if (argc < 5 || argc > 7) {
		fprintf(stderr, "usage: udpblast SRC DST PORT SECS [SIZE [BATCH]]\n");
		return 2;
	}
	port = num(argv[3], 1, 65535, "port");
	secs = num(argv[4], 1, 3600, "seconds");
	if (argc > 5)
		size = num(argv[5], 8, MAX_SIZE, "size");
	if (argc > 6)
		batch = num(argv[6], 1, MAX_BATCH, "batch");
	fam = addr(argv[1], port, &src, &slen);
	if (fam < 0 || addr(argv[2], port, &dst, &dlen) != fam) {
		fprintf(stderr, "udpblast: bad addresses '%s' '%s'\n", argv[1], argv[2]);
		return 2;
	}
	fd = socket(fam, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&src, slen) || connect(fd, (struct sockaddr *)&dst, dlen)) {
		perror("udpblast: socket");
		return 1;
	}
	/* the number in the first 8 bytes of each datagram, the rest padding */
	pad = calloc(1, size);
	if (!pad) {
		perror("udpblast");
		return 1;
	}
	memset(pad, '.', size);
	for (long i = 0; i < batch; i++) {
		iov[i][0].iov_base = bufs[i];
		iov[i][0].iov_len = 8;
		iov[i][1].iov_base = pad;
		iov[i][1].iov_len = size - 8;
		msgs[i].msg_hdr.msg_iov = iov[i];
		msgs[i].msg_hdr.msg_iovlen = 2;
	}

	start = now();
	end = start + secs;
	t = start;
	while (t < end) {
		for (long i = 0; i < batch; i++) {
			uint64_t k = n + i;

			memcpy(bufs[i], &k, sizeof(k));
		}
		int r = sendmmsg(fd, msgs, batch, 0);

		calls++;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* the datagram at the head of the batch was refused: skip it */
			errors++;
			n++;
			if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED &&
			    errno != EPERM && errno != EHOSTUNREACH && errno != ENETUNREACH) {
				perror("udpblast: sendmmsg");
				return 1;
			}
		} else {
			sent += r;
			n += r;
		}
		t = now();
	}
	printf("{\"sent\":%llu,\"errors\":%llu,\"secs\":%.3f,\"calls\":%llu,\"size\":%ld,\"batch\":%ld}\n",
	       sent, errors, t - start, calls, size, batch);
	return 0;
}
