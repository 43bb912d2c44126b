/* Captures: classic pcap files are read in place (lib/capture.c maps
 * them); libpcap, reading the same files its own way, is the oracle for
 * every record: time stamp, lengths, link layer, and what a BPF filter
 * keeps. Files in both byte orders, micro- and nanosecond, Ethernet, raw
 * IP and Linux cooked captures; cut files; pcapng files, read in place too. */
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

/* Our packet pkt against libpcap's (h, data, from p): time stamp, lengths,
 * link layer, the IP bytes, read in place. */
static void same_packet(pcap_t *p, const struct pcap_pkthdr *h, const u_char *data,
			const struct xc_packet *pkt)
{
	size_t off = 0;
	int link_ok = xc_link_ip_offset(pcap_datalink(p), data, h->caplen, &off) == 0;

	assert_int_equal(pkt->ts.tv_sec, h->ts.tv_sec);
	assert_int_equal(pkt->ts.tv_usec, h->ts.tv_usec);
	assert_int_equal(pkt->wire_len, h->len);
	assert_int_equal(pkt->link_ok, link_ok);
	assert_int_equal(pkt->ip_len, link_ok ? h->caplen - off : 0);
	assert_memory_equal(pkt->ip, data + (link_ok ? off : 0), pkt->ip_len);
	assert_int_equal(pkt->stable, 1);
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
		assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
		same_packet(p, h, data, &pkt);
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

/* The smallest pcapng file, one packet: read in place (stable) */
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
	size_t n = ip4_udp(ip, 4500, 8), len = 32 + ((n + 3) & ~3u) + 4, first;
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
	assert_int_equal(xc_capture_span(cap, &first), 0); /* no parts: one reader */
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
	assert_int_equal(pkt.ip_len, n);
	assert_memory_equal(pkt.ip, ip, n);
	assert_int_equal(pkt.stable, 1);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 0);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 0); /* the end stays */
	xc_capture_close(cap);
}

/* ---- pcapng, read in place: files written here, block by block, and
 * libpcap as the oracle. libpcap takes one byte order and one link type
 * a file; the reader takes more (a byte order and interfaces a section),
 * so every packet is also compared with libpcap's reading of a file of
 * its own: its section's header, its interface's description and the
 * packet's block (the interface made 0). */

struct ng {
	uint8_t buf[16384];
	size_t n, blk, shb, idb[4], idb_len[4];
	int nidb;
	bool be;
	/* the packets' blocks, and the interface description each needs */
	size_t pkt[64], pkt_len[64], pkt_idb[64], pkt_idb_len[64];
	bool pkt_be[64];
	int npkt;
};

static void ng_u32(struct ng *w, uint32_t v)
{
	put(w->buf + w->n, v, w->be);
	w->n += 4;
}

static void ng_u16(struct ng *w, uint16_t v)
{
	w->buf[w->n + w->be] = (uint8_t)v;
	w->buf[w->n + !w->be] = (uint8_t)(v >> 8);
	w->n += 2;
}

static void ng_bytes(struct ng *w, const void *p, size_t n)
{
	if (n)
		memcpy(w->buf + w->n, p, n);
	w->n += n;
	while (w->n % 4)
		w->buf[w->n++] = 0;
}

static void ng_begin(struct ng *w, uint32_t type)
{
	w->blk = w->n;
	ng_u32(w, type);
	ng_u32(w, 0);
}

static void ng_end(struct ng *w)
{
	uint32_t len = (uint32_t)(w->n + 4 - w->blk);

	ng_u32(w, len);
	put(w->buf + w->blk + 4, len, w->be);
}

static void ng_opt(struct ng *w, uint16_t code, const void *p, uint16_t len)
{
	ng_u16(w, code);
	ng_u16(w, len);
	ng_bytes(w, p, len);
}

static void ng_shb(struct ng *w, bool be)
{
	w->be = be;
	w->shb = w->n;
	w->nidb = 0;
	ng_begin(w, 0x0a0d0d0a);
	ng_u32(w, 0x1a2b3c4d);
	ng_u16(w, 1);
	ng_u16(w, 0);
	ng_u32(w, 0xffffffff), ng_u32(w, 0xffffffff); /* section length unknown */
	ng_opt(w, 4, "xfrmctl test", 12); /* shb_userappl */
	ng_opt(w, 0, NULL, 0);
	ng_end(w);
}

/* tsresol: the option's byte, or -1 for none; tsoffset if not 0 */
static void ng_idb(struct ng *w, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
	uint8_t r = (uint8_t)tsresol, off[8];

	ng_begin(w, 1);
	ng_u16(w, linktype);
	ng_u16(w, 0);
	ng_u32(w, snaplen);
	ng_opt(w, 2, "eth0", 4); /* if_name */
	if (tsresol >= 0)
		ng_opt(w, 9, &r, 1);
	if (tsoffset) {
		for (int i = 0; i < 8; i++)
			off[w->be ? 7 - i : i] = (uint8_t)((uint64_t)tsoffset >> (8 * i));
		ng_opt(w, 14, off, 8);
	}
	ng_opt(w, 0, NULL, 0);
	ng_end(w);
	w->idb[w->nidb] = w->blk;
	w->idb_len[w->nidb++] = w->n - w->blk;
}

static void ng_note_packet(struct ng *w, uint32_t id)
{
	w->pkt[w->npkt] = w->blk;
	w->pkt_len[w->npkt] = w->n - w->blk;
	w->pkt_idb[w->npkt] = w->idb[id];
	w->pkt_idb_len[w->npkt] = w->idb_len[id];
	w->pkt_be[w->npkt++] = w->be;
}

/* type 6 (enhanced, options if opts) or 2 (the obsolete packet block) */
static void ng_epb(struct ng *w, uint32_t type, uint32_t id, uint64_t t, const uint8_t *d,
		   uint32_t caplen, uint32_t len, bool opts)
{
	ng_begin(w, type);
	if (type == 2)
		ng_u16(w, (uint16_t)id), ng_u16(w, 0);
	else
		ng_u32(w, id);
	ng_u32(w, (uint32_t)(t >> 32));
	ng_u32(w, (uint32_t)t);
	ng_u32(w, caplen);
	ng_u32(w, len);
	ng_bytes(w, d, caplen);
	if (opts) {
		uint8_t flags[4] = { 0 };

		ng_opt(w, 1, "a comment", 9);
		ng_opt(w, 2, flags, 4); /* epb_flags */
		ng_opt(w, 0, NULL, 0);
	}
	ng_end(w);
	ng_note_packet(w, id);
}

static void ng_spb(struct ng *w, const uint8_t *d, uint32_t len, uint32_t snaplen)
{
	ng_begin(w, 3);
	ng_u32(w, len);
	ng_bytes(w, d, snaplen && snaplen < len ? snaplen : len);
	ng_end(w);
	ng_note_packet(w, 0);
}

static void ng_other(struct ng *w, uint32_t type, size_t n)
{
	ng_begin(w, type);
	for (size_t i = 0; i < n; i++)
		w->buf[w->n++] = (uint8_t)(i * 37);
	while (w->n % 4)
		w->buf[w->n++] = 0;
	ng_end(w);
}

static void write_bytes(const char *to, const uint8_t *p, size_t n)
{
	FILE *f = fopen(to, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* An IPv4 frame of link type linktype, n UDP bytes (not IP for n == 999) */
static uint32_t ng_frame(uint8_t *d, uint16_t linktype, size_t n, uint16_t port)
{
	size_t link = linktype == 1 ? 14 : linktype == 113 ? 16 : linktype == 276 ? 20 : 0;

	memset(d, 0, link);
	if (n == 999) { /* ARP behind Ethernet, or not IP at all */
		memset(d, 0x11, 60);
		if (linktype == 1)
			d[12] = 0x08, d[13] = 0x06;
		return 60;
	}
	if (linktype == 1)
		d[12] = 0x08;
	if (linktype == 113)
		d[14] = 0x08;
	if (linktype == 276)
		d[0] = 0x08;
	return (uint32_t)(link + ip4_udp(d + link, port, n));
}

/* Each packet of the file written against libpcap's reading of a file of
 * its own; the end: 0. */
static void ng_same_per_packet(struct ng *w)
{
	char one[160], ebuf[PCAP_ERRBUF_SIZE];
	struct xc_capture *cap;
	struct xc_packet pkt;
	struct xc_err err = { "" };

	write_bytes(path, w->buf, w->n);
	assert_int_equal(xc_capture_open_file(&cap, path, NULL, &err), 0);
	snprintf(one, sizeof(one), "%s/one.pcapng", dir);
	for (int i = 0; i < w->npkt; i++) {
		static uint8_t f[4096];
		struct ng o = { .n = 0 };
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *p;

		ng_shb(&o, w->pkt_be[i]);
		memcpy(f, o.buf, o.n);
		memcpy(f + o.n, w->buf + w->pkt_idb[i], w->pkt_idb_len[i]);
		memcpy(f + o.n + w->pkt_idb_len[i], w->buf + w->pkt[i], w->pkt_len[i]);
		/* the interface: 0 (the block's type is in either byte order) */
		if (w->buf[w->pkt[i]] == 6 || w->buf[w->pkt[i] + 3] == 6)
			memset(f + o.n + w->pkt_idb_len[i] + 8, 0, 4);
		else if (w->buf[w->pkt[i]] == 2 || w->buf[w->pkt[i] + 3] == 2)
			memset(f + o.n + w->pkt_idb_len[i] + 8, 0, 2);
		write_bytes(one, f, o.n + w->pkt_idb_len[i] + w->pkt_len[i]);
		p = pcap_open_offline(one, ebuf);
		assert_non_null(p);
		assert_int_equal(pcap_next_ex(p, &h, &data), 1);
		assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
		assert_int_equal(pkt.index, i + 1);
		same_packet(p, h, data, &pkt);
		pcap_close(p);
	}
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 0);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 0); /* the end stays */
	xc_capture_close(cap);
}

/* Whether libpcap reads all of the file written */
static bool libpcap_takes(struct ng *w)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int r;

	write_bytes(path, w->buf, w->n);
	if (!(p = pcap_open_offline(path, ebuf)))
		return false;
	while ((r = pcap_next_ex(p, &h, &data)) == 1)
		;
	pcap_close(p);
	return r == PCAP_ERROR_BREAK;
}

static const uint64_t T0 = 1700000000;

/* One section: packets of a link type on two interfaces, EPB (with and
 * without options), PB, SPB, blocks to skip; time stamps in units of
 * res (the option's byte; -1: none, microseconds). */
static void ng_one_section(struct ng *w, bool be, uint16_t linktype, int res, uint64_t units,
			   int64_t tsoffset, uint32_t snaplen)
{
	static uint8_t d[2048];
	uint32_t n;

	w->n = 0, w->npkt = 0;
	ng_shb(w, be);
	ng_other(w, 0x0bad, 17);      /* custom, copiable */
	ng_idb(w, linktype, snaplen, res, tsoffset);
	ng_other(w, 4, 40);           /* name resolution */
	ng_idb(w, linktype, snaplen, res, tsoffset);
	for (int i = 0; i < 12; i++) {
		uint64_t t = (T0 + (uint64_t)i) * units + (units - 1 - (uint64_t)i * 7919 % units);

		n = ng_frame(d, linktype, i == 5 ? 999 : (size_t)(i * 37 % 200),
			     (uint16_t)(i % 3 ? 4500 : 53));
		if (i == 4 && snaplen)
			ng_spb(w, d, n, snaplen);
		else if (i == 7)
			ng_epb(w, 2, 1, t, d, n, n, false);
		else /* one cut short, each within the snap length */
			ng_epb(w, 6, (uint32_t)(i % 2), t, d,
			       snaplen && snaplen < n ? snaplen : i == 3 ? n - 5 : n, n, i % 3 == 0);
		if (i == 6)
			ng_other(w, 5, 24); /* interface statistics */
	}
	n = ng_frame(d, linktype, 700, 4500); /* an SPB cut to the snap length */
	if (snaplen && snaplen < n)
		ng_spb(w, d, n, snaplen);
}

static void test_pcapng_files(void **state)
{
	static const struct {
		uint16_t linktype;
		int res;        /* if_tsresol */
		uint64_t units; /* a second */
		int64_t tsoffset;
		uint32_t snaplen;
	} kinds[] = {
		{ 1, -1, 1000000, 0, 0 },
		{ 113, 9, 1000000000, 0, 262144 },
		{ 101, 0x80 | 20, 1 << 20, 0, 96 },
		{ 228, 3, 1000, 1000, 65535 },
		{ 276, 0x80 | 10, 1024, -5, 0 },
		{ 1, 0x80 | 30, 1u << 30, 0, 1500 },
		{ 1, 7, 10000000, 0, 0 },
	};
	static struct ng w, w2;

	(void)state;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (int be = 0; be < 2; be++) {
			ng_one_section(&w, be, kinds[k].linktype, kinds[k].res, kinds[k].units,
				       kinds[k].tsoffset, kinds[k].snaplen);
			ng_same_per_packet(&w);
			/* libpcap 1.10 refuses a second raw-IP interface (it
			 * compares LINKTYPE_RAW, 101, with DLT_RAW, 12) */
			if (kinds[k].linktype != 101) {
				assert_true(libpcap_takes(&w));
				same_as_libpcap(NULL, w.npkt);
				same_as_libpcap("udp port 4500", w.npkt == 13 ? 8 : 7);
			}
		}
	/* two sections, of either byte order, link type and resolution */
	ng_one_section(&w, false, 1, -1, 1000000, 0, 0);
	ng_one_section(&w2, true, 113, 9, 1000000000, 0, 0);
	memcpy(w.buf + w.n, w2.buf, w2.n);
	for (int i = 0; i < w2.npkt; i++) {
		w.pkt[w.npkt] = w.n + w2.pkt[i];
		w.pkt_len[w.npkt] = w2.pkt_len[i];
		w.pkt_idb[w.npkt] = w.n + w2.pkt_idb[i];
		w.pkt_idb_len[w.npkt] = w2.pkt_idb_len[i];
		w.pkt_be[w.npkt++] = true;
	}
	w.n += w2.n;
	ng_same_per_packet(&w);
	/* and a section of the same kind after one: libpcap's reading too */
	ng_one_section(&w, true, 113, 9, 1000000000, 0, 0);
	memcpy(w.buf + w.n, w2.buf, w2.n);
	w.n += w2.n;
	assert_true(libpcap_takes(&w));
	same_as_libpcap(NULL, 2 * w2.npkt);
}

/* Interfaces of two link types: read, each packet by its own; with a
 * filter (made for the first), refused at the second, in one line. */
static void test_pcapng_link_types(void **state)
{
	static struct ng w;
	static uint8_t d[256];
	struct xc_capture *cap;
	struct xc_packet pkt;
	struct xc_err err = { "" };
	uint32_t n;

	(void)state;
	ng_shb(&w, false);
	ng_idb(&w, 1, 0, -1, 0);
	n = ng_frame(d, 1, 20, 4500);
	ng_epb(&w, 6, 0, T0 * 1000000, d, n, n, false);
	ng_idb(&w, 101, 0, 6, 0);
	n = ng_frame(d, 101, 30, 4500);
	ng_epb(&w, 6, 1, T0 * 1000000 + 1, d, n, n, false);
	n = ng_frame(d, 1, 40, 4500);
	ng_epb(&w, 6, 0, T0 * 1000000 + 2, d, n, n, false);
	ng_same_per_packet(&w);
	assert_false(libpcap_takes(&w)); /* libpcap: one link type a file */
	assert_int_equal(xc_capture_open_file(&cap, path, "udp", &err), 0);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
	assert_int_equal(xc_capture_next(cap, &pkt, &err), -EIO);
	assert_non_null(strstr(err.msg, "reading packets: '"));
	assert_non_null(strstr(err.msg, "link type 101, not the first interface's 1"));
	xc_capture_close(cap);
}

/* The file at path read by both, to the end: the same packets, and both
 * end cleanly or both refuse (ours in one line naming the file). */
static void same_end_as_libpcap(void)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct xc_capture *cap;
	struct xc_packet pkt;
	struct xc_err err = { "" };
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p = pcap_open_offline(path, ebuf);
	int r, rp;

	r = xc_capture_open_file(&cap, path, NULL, &err);
	if (!p) {
		assert_int_equal(r, -EINVAL);
		assert_non_null(strstr(err.msg, "cannot read capture '"));
		assert_non_null(strstr(err.msg, path));
		return;
	}
	assert_int_equal(r, 0);
	while ((rp = pcap_next_ex(p, &h, &data)) == 1) {
		assert_int_equal(xc_capture_next(cap, &pkt, &err), 1);
		assert_int_equal(pkt.ts.tv_sec, h->ts.tv_sec);
		assert_int_equal(pkt.ts.tv_usec, h->ts.tv_usec);
		assert_int_equal(pkt.wire_len, h->len);
	}
	r = xc_capture_next(cap, &pkt, &err);
	if (rp == PCAP_ERROR_BREAK) {
		assert_int_equal(r, 0);
	} else {
		assert_int_equal(r, -EIO);
		assert_non_null(strstr(err.msg, "reading packets: "));
		assert_non_null(strstr(err.msg, path));
		assert_null(strchr(err.msg, '\n'));
	}
	xc_capture_close(cap);
	pcap_close(p);
}

static void patch32(struct ng *w, size_t at, uint32_t v)
{
	put(w->buf + at, v, w->be);
}

/* Bad lengths, one at a time; cut at every byte; packets of interfaces
 * not described; options cut short: as libpcap, no byte read outside the
 * file (the tests run under ASan). */
static void test_pcapng_bad(void **state)
{
	static struct ng w, b;
	static uint8_t d[256];
	uint32_t n;

	(void)state;
	ng_one_section(&w, false, 1, 9, 1000000000, 0, 300);
	for (size_t cut = 0; cut < w.n; cut++) {
		write_bytes(path, w.buf, cut);
		same_end_as_libpcap();
	}
	for (int k = 0; k < 9; k++) {
		size_t at = w.pkt[2], len = w.pkt_len[2];

		b = w;
		switch (k) {
		case 0: patch32(&b, at + 4, 8); break;             /* shorter than 12 */
		case 1: patch32(&b, at + 4, (uint32_t)len + 2); break; /* not of 4 */
		case 2: patch32(&b, at + len - 4, (uint32_t)len + 4); break; /* trailer */
		case 3: patch32(&b, at + 4, 1u << 30); break;      /* past the end */
		case 4: patch32(&b, at + 20, (uint32_t)len); break; /* caplen past the block */
		case 5: patch32(&b, at + 20, 301); break;          /* more than the snap length */
		case 6: patch32(&b, at + 8, 2); break;             /* interface 2 of 2 */
		case 7: b.buf[at + 8] = 7; break;                 /* a section header's magic */
		case 8: patch32(&b, at, 0x0a0d0d0a); break;        /* a section header, bad magic */
		}
		write_bytes(path, b.buf, b.n);
		same_end_as_libpcap();
	}
	/* no interface; a packet before any; an option cut short; if_tsresol
	 * of two bytes; a new section's packet on an interface of the last */
	for (int k = 0; k < 5; k++) {
		b.n = 0;
		ng_shb(&b, k % 2);
		n = ng_frame(d, 101, 10, 4500);
		if (k == 1)
			ng_epb(&b, 6, 0, 0, d, n, n, false);
		if (k == 2 || k == 3) {
			ng_begin(&b, 1);
			ng_u16(&b, 101), ng_u16(&b, 0), ng_u32(&b, 0);
			ng_opt(&b, 9, "\x06\x06", 2);
			if (k == 2) /* an option header of 4 with a length past the end */
				b.n -= 4, ng_u16(&b, 2), ng_u16(&b, 40);
			ng_end(&b);
		}
		if (k == 4) {
			ng_idb(&b, 101, 0, -1, 0);
			ng_epb(&b, 6, 0, 0, d, n, n, false);
			ng_shb(&b, true);
			ng_epb(&b, 6, 0, 0, d, n, n, false);
		}
		write_bytes(path, b.buf, b.n);
		same_end_as_libpcap();
	}
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
		cmocka_unit_test_setup_teardown(test_pcapng_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcapng_link_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcapng_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcap_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parts, setup, teardown),
	};
	return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
