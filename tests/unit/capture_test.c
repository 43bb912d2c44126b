/* Captures: classic pcap files are read in place (lib/capture.c maps
 * them); libpcap, reading the same files its own way, is the oracle for
 * every record: time stamp, lengths, link layer, and what a BPF filter
 * keeps. Files in both byte orders, micro- and nanosecond, Ethernet, raw
 * IP and Linux cooked captures; cut files; pcapng (through libpcap). */
#include <errno.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "capture.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/xfrmctl-capture-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/c.pcap", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void put(uint8_t *p, uint32_t v, bool be)
{
	for (int i = 0; i < 4; i++)
		p[be ? i : 3 - i] = (uint8_t)(v >> (8 * (3 - i)));
}

/* An IPv4/UDP packet to port (20 + 8 + n bytes). */
static size_t ip4_udp(uint8_t *p, uint16_t port, size_t n)
{
	memset(p, 0, 28 + n);
	p[0] = 0x45;
	p[2] = (uint8_t)((28 + n) >> 8), p[3] = (uint8_t)(28 + n);
	p[8] = 64, p[9] = 17;
	memcpy(p + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	p[22] = (uint8_t)(port >> 8), p[23] = (uint8_t)port;
	for (size_t i = 0; i < n; i++)
		p[28 + i] = (uint8_t)i;
	return 28 + n;
}

/* A file of count records over linktype, bytes cut off its end. */
static void write_file(uint32_t magic, bool be, uint32_t linktype, int count, size_t cut)
{
	static uint8_t buf[65536];
	size_t off = 24;
	FILE *f;

	put(buf, magic, be);
	buf[be ? 5 : 4] = 2, buf[be ? 4 : 5] = 0; /* version 2.4 */
	buf[be ? 7 : 6] = 4, buf[be ? 6 : 7] = 0;
	put(buf + 8, 0, be);
	put(buf + 12, 0, be);
	put(buf + 16, 262144, be);
	put(buf + 20, linktype, be);
	for (int i = 0; i < count; i++) {
		uint8_t *h = buf + off, *d = h + 16;
		size_t link = linktype == 1 ? 14 : linktype == 113 ? 16 : 0, n;

		memset(d, 0, link);
		if (linktype == 1)
			d[12] = 0x08;
		if (linktype == 113)
			d[14] = 0x08;
		n = link + ip4_udp(d + link, (uint16_t)(i % 3 ? 4500 : 53), (size_t)(i * 7 % 90));
		put(h, 1700000000u + (uint32_t)i, be);
		put(h + 4, magic == 0xa1b23c4d ? 999999000u - (uint32_t)i : 999000u + (uint32_t)i, be);
		put(h + 8, (uint32_t)(i == 3 ? n - 5 : n), be); /* one record snapped short */
		put(h + 12, (uint32_t)n, be);
		off += 16 + (i == 3 ? n - 5 : n);
	}
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, off - cut, f), off - cut);
	fclose(f);
}

/* The records as libpcap reads them, against ours. */
static void same_as_libpcap(const char *filter, int want)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct xc_capture *cap;
	struct xc_packet pkt;
	struct xc_err err = { "" };
	struct bpf_program prog;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path, ebuf);
	int n = 0;

	assert_non_null(p);
	if (filter) {
		assert_int_equal(pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN), 0);
		assert_int_equal(pcap_setfilter(p, &prog), 0);
		pcap_freecode(&prog);
	}
	assert_int_equal(xc_capture_open_file(&cap, path, filter, &err), 0);
	while (pcap_next_ex(p, &h, &data) == 1) {
		size_t off = 0;
		int link_ok = xc_link_ip_offset(pcap_datalink(p), data, h->caplen, &off) == 0;

		assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
		assert_int_equal(pkt.ts.tv_sec, h->ts.tv_sec);
		assert_int_equal(pkt.ts.tv_usec, h->ts.tv_usec);
		assert_int_equal(pkt.wire_len, h->len);
		assert_int_equal(pkt.link_ok, link_ok);
		assert_int_equal(pkt.ip_len, link_ok ? h->caplen - off : 0);
		assert_memory_equal(pkt.ip, data + (link_ok ? off : 0), pkt.ip_len);
		assert_int_equal(pkt.stable, 1);
		n++;
	}
	if (n)
		assert_int_equal(pkt.index, n);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 0);
	assert_int_equal(n, want);
	xc_capture_close(cap);
	pcap_close(p);
}

static void test_classic_files(void **state)
{
	static const uint32_t linktypes[] = { 1, 101, 113, 228 };

	(void)state;
	for (int be = 0; be < 2; be++)
		for (int ns = 0; ns < 2; ns++)
			for (size_t l = 0; l < 4; l++) {
				write_file(ns ? 0xa1b23c4d : 0xa1b2c3d4, be, linktypes[l], 12, 0);
				same_as_libpcap(NULL, 12);
				same_as_libpcap("udp port 4500", 8);
			}
	write_file(0xa1b2c3d4, false, 1, 0, 0);
	same_as_libpcap(NULL, 0);
}

static void test_cut_and_bad(void **state)
{
	struct xc_capture *cap;
	struct xc_packet pkt;
	struct xc_err err = { "" };
	FILE *f;

	(void)state;
	/* the last record cut: the others, then an error */
	write_file(0xa1b2c3d4, false, 1, 3, 9);
	assert_int_equal(xc_capture_open_file(&cap, path, NULL, &err), 0);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), -EIO);
	assert_non_null(strstr(err.msg, "truncated dump file"));
	/* an error stays: the same again, not the records after it */
	err.msg[0] = '\0';
	assert_int_equal(xc_capture_next(cap, &pkt, &err), -EIO);
	assert_non_null(strstr(err.msg, "truncated dump file"));
	xc_capture_close(cap);
	/* a record header cut */
	write_file(0xa1b2c3d4, true, 1, 2, 60);
	assert_int_equal(xc_capture_open_file(&cap, path, NULL, &err), 0);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), -EIO);
	xc_capture_close(cap);
	/* a bad filter */
	write_file(0xa1b2c3d4, false, 1, 2, 0);
	assert_int_equal(xc_capture_open_file(&cap, path, "udp port", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "bad filter 'udp port'"));
	/* not a capture, and none at all */
	f = fopen(path, "w");
	fputs("this is not a capture file, not even pcapng\n", f);
	fclose(f);
	assert_int_equal(xc_capture_open_file(&cap, path, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "cannot read capture"));
	assert_int_equal(xc_capture_open_file(&cap, "/nonexistent.pcap", NULL, &err), -ENOENT);
}

/* pcapng goes through libpcap: the same packets, not stable */
static void test_pcapng(void **state)
{
	static const uint8_t shb[28] = { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b,
					 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 28, 0, 0, 0 };
	static const uint8_t idb[20] = { 1, 0, 0, 0, 20, 0, 0, 0, 101, 0, 0, 0,
					 0, 0, 4, 0, 20, 0, 0, 0 };
	uint8_t epb[32 + 64], ip[64];
	struct xc_capture *cap;
	struct xc_packet pkt;
	struct xc_err err = { "" };
	size_t n = ip4_udp(ip, 4500, 8), len = 32 + ((n + 3) & ~3u) + 4;
	FILE *f;

	(void)state;
	memset(epb, 0, sizeof(epb));
	epb[0] = 6;
	epb[4] = (uint8_t)len;
	epb[20] = (uint8_t)n, epb[24] = (uint8_t)n;
	memcpy(epb + 28, ip, n);
	epb[len - 4] = (uint8_t)len;
	f = fopen(path, "w");
	fwrite(shb, 1, sizeof(shb), f);
	fwrite(idb, 1, sizeof(idb), f);
	fwrite(epb, 1, len, f);
	fclose(f);
	assert_int_equal(xc_capture_open_file(&cap, path, NULL, &err), 0);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
	assert_int_equal(pkt.ip_len, n);
	assert_memory_equal(pkt.ip, ip, n);
	assert_int_equal(pkt.stable, 0);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 0);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 0); /* the end stays */
	xc_capture_close(cap);
}

static void test_pcap_out(void **state)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct xc_pcap_out *w;
	struct xc_err err = { "" };
	struct timeval ts = { 1700000000, 42 };
	struct pcap_pkthdr *h;
	const u_char *data;
	struct stat st;
	uint8_t ip[64];
	size_t n = ip4_udp(ip, 7777, 11);
	pcap_t *p;
	mode_t old = umask(0);

	(void)state;
	assert_int_equal(xc_pcap_out_open(&w, path, &err), 0);
	assert_int_equal(xc_pcap_out_write(w, &ts, ip, n), 0);
	assert_int_equal(xc_pcap_out_close(w), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	p = pcap_open_offline(path, ebuf);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_RAW);
	assert_int_equal(pcap_next_ex(p, &h, &data), 1);
	assert_int_equal(h->caplen, n);
	assert_int_equal(h->ts.tv_usec, 42);
	assert_memory_equal(data, ip, n);
	pcap_close(p);
}

/* The Rss of this process's mapping of path, in bytes (smaps), or -1. */
static long mapped_rss(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	long kb = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '/') && strstr(line, path))
			in = true;
		else if (in && sscanf(line, "Rss: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* Pages let go behind the reader: gone from the mapping, and the packets
 * read before and after still hold the file's bytes. */
static void test_release(void **state)
{
	enum { N = 9000, LEN = 1400 };
	static uint8_t rec[16 + LEN];
	const uint8_t *at[N];
	struct xc_capture *cap;
	struct xc_packet pkt;
	struct xc_err err = { "" };
	uint8_t head[24] = { 0 };
	FILE *f;

	(void)state;
	put(head, 0xa1b2c3d4, false);
	head[4] = 2, head[6] = 4;
	put(head + 16, 262144, false);
	put(head + 20, 101, false); /* raw IP */
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(head, 1, 24, f), 24);
	for (int i = 0; i < N; i++) {
		put(rec, (uint32_t)i, false);
		put(rec + 4, 0, false);
		put(rec + 8, LEN, false);
		put(rec + 12, LEN, false);
		ip4_udp(rec + 16, 4500, LEN - 28);
		put(rec + 16 + 28, (uint32_t)i, true);
		assert_int_equal(fwrite(rec, 1, sizeof(rec), f), sizeof(rec));
	}
	fclose(f);

	assert_int_equal(xc_capture_open_file(&cap, path, NULL, &err), 0);
	xc_capture_release(cap, NULL, XC_CAPTURE_STEP); /* not the file's: nothing */
	xc_capture_release(cap, rec, XC_CAPTURE_STEP);
	for (int i = 0; i < N; i++) {
		assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
		assert_int_equal(pkt.stable, 1);
		assert_int_equal(pkt.ip_len, LEN);
		at[i] = pkt.ip;
		if (i % 500 == 499)
			xc_capture_release(cap, pkt.ip + pkt.ip_len, XC_CAPTURE_STEP);
	}
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 0);
	xc_capture_release(cap, pkt.ip + pkt.ip_len, XC_CAPTURE_STEP);
	xc_capture_release(cap, at[0], XC_CAPTURE_STEP); /* backwards: nothing */
	/* of some 12.7 MB, what is left is less than 4 MiB */
	assert_in_range(mapped_rss(), 0, 4 << 20);
	for (int i = 0; i < N; i++) {
		uint8_t want[LEN];

		ip4_udp(want, 4500, LEN - 28);
		put(want + 28, (uint32_t)i, true);
		assert_memory_equal(at[i], want, LEN);
	}
	xc_capture_close(cap);

	/* steps: only whole ones go, of a size that is a multiple of
	 * XC_CAPTURE_STEP */
	assert_int_equal(xc_capture_open_file(&cap, path, NULL, &err), 0);
	while (xc_capture_next(cap, &pkt, &err) == 1)
		at[0] = pkt.ip + pkt.ip_len;
	assert_in_range(mapped_rss(), 12 << 20, 13 << 20);
	xc_capture_release(cap, at[0], 4 * XC_CAPTURE_STEP); /* 16 MiB: none whole */
	xc_capture_release(cap, at[0], XC_CAPTURE_STEP + 4096);
	assert_in_range(mapped_rss(), 12 << 20, 13 << 20);
	xc_capture_release(cap, at[0], 2 * XC_CAPTURE_STEP); /* 8 MiB: one */
	assert_in_range(mapped_rss(), 4 << 20, 5 << 20);
	xc_capture_release(cap, at[0], XC_CAPTURE_STEP); /* and one more of 4 */
	assert_in_range(mapped_rss(), 0, 1 << 20);
	xc_capture_close(cap);
}

/* Parts (xc_capture_part_*), each a span of the file cut anywhere: read
 * one after the other, the first from the first record, every other from
 * a guess of where its first record starts, they hand on the records
 * xc_capture_next() reads (libpcap's, test_classic_files), each record
 * once; on these files (no packet bytes that look like headers) every
 * guess is where the part before ended. A file cut in a record, each part
 * started where the part before ended: the part it falls in stops there,
 * at that record, with the error. */
#define PART_RECORDS 300
static void test_parts(void **state)
{
	static const struct {
		uint32_t magic;
		bool be;
	} kinds[] = { { 0xa1b2c3d4, false }, { 0xa1b2c3d4, true }, { 0xa1b23c4d, false },
		      { 0xa1b23c4d, true } };
	static const size_t steps[] = { 7, 64, 1000, 4096, 1 << 20 };
	const uint8_t *ip[PART_RECORDS];
	size_t len[PART_RECORDS];
	struct xc_capture *cap;
	struct xc_capture_part pt;
	struct xc_packet pkt;
	struct xc_err err = { "" };
	struct stat st;

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (size_t cut = 0; cut <= 5; cut += 5) {
			size_t total = 0, first, size;
			const uint8_t *map;

			write_file(kinds[k].magic, kinds[k].be, 101, PART_RECORDS, cut);
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(xc_capture_open_file(&cap, path, NULL, &err), 0);
			while (xc_capture_next(cap, &pkt, &err) == 1) {
				ip[total] = pkt.ip;
				len[total++] = pkt.ip_len;
			}
			assert_int_equal(total, cut ? PART_RECORDS - 1 : PART_RECORDS);
			size = xc_capture_span(cap, &first);
			assert_int_equal(size, (size_t)st.st_size);
			assert_int_equal(first, 24);
			map = ip[0] - 24 - 16; /* raw IP: the packet follows its header */
			for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
				size_t n = 0, at = first;
				int r = 0;

				for (size_t from = first; from < size && r >= 0; from += steps[s]) {
					size_t to = size - from > steps[s] ? from + steps[s] : size;

					/* cut: from where the part before ended (a guess
					 * near the end may take a cut record's bytes for
					 * another's: the chain of headers it checks ends
					 * in the cut record) */
					if (cut)
						xc_capture_part_start(cap, &pt, at < to ? at : to, to, true);
					else
						xc_capture_part_start(cap, &pt, from, to, from == first);
					if (at >= to) { /* no record starts in it */
						assert_int_equal(pt.off, to);
						assert_int_equal(xc_capture_part_next(cap, &pt, &pkt, &err), 0);
						continue;
					}
					assert_int_equal(pt.off, at);
					while ((r = xc_capture_part_next(cap, &pt, &pkt, &err)) == 1) {
						assert_true(n < total);
						assert_ptr_equal(pkt.ip, ip[n]);
						assert_int_equal(pkt.ip_len, len[n]);
						assert_int_equal(pkt.stable, 1);
						assert_int_equal(pkt.index, pt.n);
						n++;
					}
					at = pt.off;
					if (r == 0)
						assert_true(at >= to);
				}
				assert_int_equal(n, total);
				if (cut) { /* stopped at the last record, cut */
					assert_int_equal(r, -EIO);
					assert_ptr_equal(map + at, ip[total - 1] + len[total - 1]);
					assert_non_null(strstr(err.msg, "truncated dump file"));
				} else {
					assert_int_equal(r, 0);
					assert_int_equal(at, size);
				}
			}
			xc_capture_close(cap);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_classic_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_and_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcapng, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcap_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parts, setup, teardown),
	};
	return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
