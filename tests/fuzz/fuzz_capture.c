/* libFuzzer: the capture reader (xc_capture_open_file, xc_capture_next:
 * classic pcap and pcapng files read in place), the link
 * layers (xc_link_ip_offset) and the packet parser (xc_esp_parse_ip) on
 * what it hands on, as `xfrmctl verify --pcap` runs them.
 *
 * Input: byte 0 picks the file (bits 0-1: the magic, micro- or nanosecond,
 * in this host's byte order or swapped; bits 2-4: the link type; bit 5: the
 * BPF filter "esp or udp port 4500"; bit 6: the input after byte 0 is the
 * whole file, as it is (pcapng, odd headers: whatever the reader makes of
 * it); bit 7: the parser takes UDP_ENCAP_ESPINUDP_NON_IKE), the rest the
 * records after a 24-byte file header written here (or, bit 6, the file).
 *
 * Checked against a walk of the records done here (bit 6 clear): each
 * record the reader returns is the next one the filter keeps, with its time
 * stamp, lengths and index; the IP packet is the record's tail and its
 * bytes are the record's; a cut record or an oversized one is -EIO exactly
 * where the walk finds it, and nothing is returned after it. For every
 * packet: the parser's offsets stay inside the IP packet, its SPI and
 * sequence number are the bytes at the ESP offset, its family is the IP
 * version's. A whole file that is pcapng (bit 6) is read by libpcap too:
 * each packet libpcap returns, the reader returns the same (time stamp,
 * lengths, bytes), and where libpcap ends cleanly, so does the reader
 * (libpcap refuses more: other byte orders and link types in a file; the
 * reader, at the start, some blocks libpcap does not look at).
 * The file is a memfd, reopened by its /proc/self/fd path.
 * Sources: lib/capture.c lib/esp.c lib/replay.c lib/algo.c lib/nl.c */
#include <errno.h>
#include <linux/udp.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "esp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SNAPLEN 262144
#define FILTER "esp or udp port 4500"

static const uint32_t linktypes[8] = { 1, 101, 113, 276, 228, 229, 0, 108 };

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_capture: %s\n", what);
		abort();
	}
}

static uint32_t rd32(const uint8_t *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The parser on one packet: offsets inside it, SPI and sequence number. */
static void parse(const struct xc_packet *pkt, uint16_t encap_type)
{
	struct xc_frame f;

	check(xc_esp_parse_ip(pkt->ip, pkt->ip_len, 4500, encap_type, &f) == 0,
	      "xc_esp_parse_ip failed");
	if (pkt->ip_len && (pkt->ip[0] >> 4 == 4 || pkt->ip[0] >> 4 == 6))
		check(f.family == (pkt->ip[0] >> 4 == 4 ? AF_INET : AF_INET6), "family");
	if (f.kind != XC_FRAME_ESP)
		return;
	check(f.esp_off >= 20 && f.esp_off <= pkt->ip_len &&
	      f.esp_len <= pkt->ip_len - f.esp_off, "ESP outside the packet");
	check(f.proto == IPPROTO_ESP || f.proto == IPPROTO_UDP, "ESP frame's protocol");
	check((f.encap_type != 0) == (f.proto == IPPROTO_UDP), "encap type");
	if (f.esp_len >= 8) {
		check(f.spi == be32(pkt->ip + f.esp_off), "SPI");
		check(f.seq == be32(pkt->ip + f.esp_off + 4), "sequence number");
	}
}

/* A packet as a record's tail. */
static void tail_of(const struct xc_packet *pkt, const uint8_t *rec, size_t caplen)
{
	check(pkt->ip_len <= caplen, "IP packet longer than its record");
	if (pkt->link_ok)
		check(!memcmp(pkt->ip, rec + (caplen - pkt->ip_len), pkt->ip_len),
		      "IP packet is not the record's tail");
	else
		check(pkt->ip_len == 0, "no IP, yet bytes");
}

static int memfd(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz_capture", 0);
	check(fd >= 0, "memfd_create");
	return fd;
}

static void put_file(int fd, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	check(ftruncate(fd, 0) == 0, "ftruncate");
	check(pwrite(fd, a, an, 0) == (ssize_t)an, "pwrite");
	check(!bn || pwrite(fd, b, bn, (off_t)an) == (ssize_t)bn, "pwrite");
}

/* Bit 6: the input is the file; the parser's and the tail's rules, and
 * for pcapng, libpcap's reading. */
static void raw_file(const char *path, const uint8_t *body, size_t n, uint16_t encap_type)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct xc_capture *cap;
	struct xc_packet pkt;
	struct xc_err err;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = NULL;
	uint64_t count = 0;
	int r, rp = 1;

	put_file(memfd(), body, n, NULL, 0);
	/* (the reader may refuse at the start what libpcap takes: libpcap
	 * looks neither at the first block's trailer nor at the section
	 * headers before the first interface) */
	if (xc_capture_open_file(&cap, path, NULL, &err) < 0)
		return;
	if (n >= 4 && !memcmp(body, "\x0a\x0d\x0d\x0a", 4))
		p = pcap_open_offline(path, ebuf);
	while ((r = xc_capture_next(cap, &pkt, &err)) == 1) {
		check(pkt.index == ++count, "index");
		if (!pkt.link_ok)
			check(pkt.ip_len == 0, "no IP, yet bytes");
		if (p && rp == 1 && (rp = pcap_next_ex(p, &h, &data)) == 1) {
			size_t off = 0;

			check(pkt.ts.tv_sec == h->ts.tv_sec && pkt.ts.tv_usec == h->ts.tv_usec,
			      "time stamp, not libpcap's");
			check(pkt.wire_len == h->len, "wire length, not libpcap's");
			check(pkt.stable == 1, "a pcapng packet is not stable");
			if (pkt.link_ok) {
				check(xc_link_ip_offset(pcap_datalink(p), data, h->caplen, &off) == 0,
				      "link layer, not libpcap's");
				check(pkt.ip_len == h->caplen - off &&
				      !memcmp(pkt.ip, data + off, pkt.ip_len), "bytes, not libpcap's");
			}
		}
		parse(&pkt, encap_type);
	}
	check(r == 0 || r == -EIO, "end of a file: 0 or -EIO");
	if (p && rp == 1)
		rp = pcap_next_ex(p, &h, &data);
	check(!p || rp != 1, "a packet libpcap reads was not returned");
	check(!p || rp != PCAP_ERROR_BREAK || r == 0, "libpcap ends cleanly, the reader not");
	if (p)
		pcap_close(p);
	check(xc_capture_next(cap, &pkt, &err) == r, "after the end, the same end");
	xc_capture_close(cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t magics[2] = { 0xa1b2c3d4, 0xa1b23c4d };
	static uint8_t file[24 + 65536];
	char path[64];
	uint8_t sel;
	bool swapped, nsec, filtering;
	uint32_t linktype;
	uint16_t encap_type;
	struct bpf_program prog;
	pcap_t *dead = NULL;
	struct xc_capture *cap;
	struct xc_packet pkt;
	struct xc_err err;
	size_t off = 24, total;
	uint64_t count = 0;
	int r;

	if (size < 1 || size > sizeof(file) - 24 + 1)
		return 0;
	sel = data[0];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd());
	encap_type = sel & 0x80 ? UDP_ENCAP_ESPINUDP_NON_IKE : UDP_ENCAP_ESPINUDP;
	if (sel & 0x40) {
		raw_file(path, data + 1, size - 1, encap_type);
		return 0;
	}
	nsec = sel & 1;
	swapped = sel & 2;
	linktype = linktypes[(sel >> 2) & 7];
	filtering = sel & 0x20;

	/* the file header: magic, version 2.4, snap length, link type */
	memset(file, 0, 24);
	memcpy(file, &magics[nsec], 4);
	if (swapped)
		for (int i = 0; i < 2; i++) {
			uint8_t t = file[i];

			file[i] = file[3 - i];
			file[3 - i] = t;
		}
	{
		/* version, time zone, accuracy, snap length, link type */
		uint32_t v[5] = { swapped ? 0x04000200u : 0x00040002u, 0, 0, SNAPLEN, linktype };

		for (int i = 0; i < 5; i++)
			v[i] = swapped && i ? __builtin_bswap32(v[i]) : v[i];
		memcpy(file + 4, v, 20);
	}
	memcpy(file + 24, data + 1, size - 1);
	total = 24 + size - 1;
	put_file(memfd(), file, total, NULL, 0);

	if (filtering) {
		dead = pcap_open_dead(linktype == 101 ? DLT_RAW : (int)linktype, SNAPLEN);
		check(dead != NULL, "pcap_open_dead");
		if (pcap_compile(dead, &prog, FILTER, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			/* a link type libpcap cannot filter: the reader refuses too */
			check(xc_capture_open_file(&cap, path, FILTER, &err) == -EINVAL,
			      "a filter libpcap cannot compile was taken");
			pcap_close(dead);
			return 0;
		}
	}
	check(xc_capture_open_file(&cap, path, filtering ? FILTER : NULL, &err) == 0,
	      "a classic pcap file was refused");

	/* the walk: each record, kept or not, against what the reader says */
	for (;;) {
		const uint8_t *h = file + off;
		struct pcap_pkthdr ph;
		uint32_t caplen;
		int want = 1;

		if (off == total)
			want = 0;
		else if (total - off < 16)
			want = -EIO;
		else if ((caplen = rd32(h + 8, swapped)) > SNAPLEN || caplen > total - off - 16)
			want = -EIO;
		if (want <= 0) {
			check(xc_capture_next(cap, &pkt, &err) == want, "end of the records");
			check(xc_capture_next(cap, &pkt, &err) == want, "after the end, the same end");
			break;
		}
		off += 16 + (size_t)caplen;
		ph.caplen = caplen;
		ph.len = rd32(h + 12, swapped);
		ph.ts.tv_sec = rd32(h, swapped);
		ph.ts.tv_usec = nsec ? rd32(h + 4, swapped) / 1000 : rd32(h + 4, swapped);
		if (filtering && !pcap_offline_filter(&prog, &ph, h + 16))
			continue;
		r = xc_capture_next(cap, &pkt, &err);
		check(r == 1, "a record the walk keeps was not returned");
		check(pkt.index == ++count, "index");
		check(pkt.stable == 1, "a mapped record is stable");
		check(pkt.wire_len == ph.len, "wire length");
		check(pkt.ts.tv_sec == ph.ts.tv_sec && pkt.ts.tv_usec == ph.ts.tv_usec,
		      "time stamp");
		tail_of(&pkt, h + 16, caplen);
		parse(&pkt, encap_type);
	}
	xc_capture_close(cap);
	if (dead) {
		pcap_freecode(&prog);
		pcap_close(dead);
	}
	return 0;
}
