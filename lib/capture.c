#include "capture.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAPLEN 262144
#define LIVE_TIMEOUT_MS 100
#define LIVE_BUFFER (32 << 20)
#define LINKTYPE_RAW 101 /* in files; DLT_RAW (12 on Linux) in memory */
#define MAX_RECORD SNAPLEN /* a record's captured bytes, at most: libpcap's limit */
#define NG_SHB 0x0a0d0d0a  /* pcapng's block types */
#define NG_IDB 1
#define NG_PB 2            /* obsolete */
#define NG_SPB 3
#define NG_EPB 6
#define NG_BOM 0x1a2b3c4d  /* the byte-order magic */

/* LINKTYPE_LINUX_SLL2 where libpcap's headers are older */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

/* A pcapng file's interface (Interface Description Block), in its section. */
struct ng_if {
	int dlt;
	uint32_t snap;   /* bytes captured at most: the snap length, MAX_RECORD if 0 or more */
	uint64_t res;    /* time stamp units a second */
	uint64_t factor; /* NG_UP, NG_DOWN: 10^6 / res or res / 10^6 */
	int scale;       /* NG_AS_IS, NG_UP, NG_DOWN, NG_BINARY (res a power of 2) */
	int64_t offset;  /* seconds added (if_tsoffset) */
};

/* Capture files are read in place (mapped, nothing copied: the verifier's
 * input is mostly the copy otherwise), classic pcap and pcapng alike;
 * interfaces, pipes and what is neither go through libpcap. */
struct xc_capture {
	pcap_t *p;          /* libpcap; for a mapped file, only to filter */
	int dlt;            /* pcapng: the first interface's (the filter's) */
	uint64_t index;
	/* a mapped file */
	const uint8_t *map;
	size_t size, off;
	bool swapped, nsec; /* pcapng: swapped is the section's byte order */
	/* pcapng: the interfaces of the section being read */
	bool ng, opening;
	struct ng_if *ifs;
	uint32_t nifs, ifs_size;
	bool filtering;
	bool live;          /* an interface */
	struct bpf_program prog;
	const char *path;
	/* once the end or an error is reached, every later call says it again */
	int end;            /* 1: not yet; else 0 or -errno */
	struct xc_err end_err;
	enum xc_prefetch prefetch;
	size_t pf;          /* asked for up to here (HEADERS: guessed) */
	size_t pf_rec;      /* HEADERS: the record size those guesses took */
	_Atomic size_t populated; /* page tables filled (or being filled) up to here */
	_Atomic size_t released;  /* pages let go up to here */
};

/* libpcap is loaded when first needed (a pcapng file, an interface, a
 * filter, a pcap written), not with the program: a classic pcap file is
 * read without it, and loading it, with what it links (D-Bus, systemd,
 * libgcrypt...), took half a millisecond of every run. Its functions are
 * called through these pointers (dl_NAME for NAME). XC_PCAP_SONAME: the
 * library the build found (Makefile); a program linked with libpcap
 * itself (the tests) uses its own. */
#ifndef XC_PCAP_SONAME
#define XC_PCAP_SONAME "libpcap.so"
#endif
#define PCAP_FNS(X) \
	X(pcap_activate) \
	X(pcap_breakloop) \
	X(pcap_close) \
	X(pcap_compile) \
	X(pcap_create) \
	X(pcap_datalink) \
	X(pcap_dump) \
	X(pcap_dump_close) \
	X(pcap_dump_file) \
	X(pcap_dump_flush) \
	X(pcap_dump_fopen) \
	X(pcap_freecode) \
	X(pcap_geterr) \
	X(pcap_next_ex) \
	X(pcap_offline_filter) \
	X(pcap_open_dead) \
	X(pcap_open_dead_with_tstamp_precision) \
	X(pcap_open_offline) \
	X(pcap_set_buffer_size) \
	X(pcap_set_immediate_mode) \
	X(pcap_set_promisc) \
	X(pcap_set_snaplen) \
	X(pcap_set_timeout) \
	X(pcap_setfilter) \
	X(pcap_setnonblock)
#define X(f) static __typeof__(f) *dl_##f;
PCAP_FNS(X)
#undef X
static pthread_once_t pcap_once = PTHREAD_ONCE_INIT;
static char pcap_why[256]; /* why it could not be loaded; "" once it is */

static void pcap_load(void)
{
	bool linked = dlsym(RTLD_DEFAULT, "pcap_open_offline");
	void *h = linked ? RTLD_DEFAULT : dlopen(XC_PCAP_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *e;

	if (!linked && !h) { /* (RTLD_DEFAULT is NULL) */
		e = dlerror();
		snprintf(pcap_why, sizeof(pcap_why), "%s", e ? e : XC_PCAP_SONAME);
		return;
	}
#define X(f) \
	if (!(dl_##f = (__typeof__(f) *)dlsym(h, #f))) { \
		snprintf(pcap_why, sizeof(pcap_why), "%s has no %s", XC_PCAP_SONAME, #f); \
		return; \
	}
	PCAP_FNS(X)
#undef X
	pcap_why[0] = '\0';
}

/* 0 once libpcap is there, or -ENOPKG, and in err why, after what (the
 * object that needs it: "cannot read capture 'x.pcapng'"). */
static int need_pcap(const char *what, struct xc_err *err)
{
	pthread_once(&pcap_once, pcap_load);
	if (pcap_why[0]) {
		xc_err_set(err, "%s: cannot load libpcap: %s", what, pcap_why);
		return -ENOPKG;
	}
	return 0;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int ip_by_ethertype(uint16_t type)
{
	return type == 0x0800 || type == 0x86dd ? 0 : -EPROTONOSUPPORT;
}

int xc_link_ip_offset(int dlt, const uint8_t *f, size_t len, size_t *off)
{
	size_t o;
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (len < 14)
			return -EBADMSG;
		o = 12;
		type = be16(f + o);
		/* 802.1Q / 802.1ad tags, any depth */
		while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
			o += 4;
			if (len < o + 2)
				return -EBADMSG;
			type = be16(f + o);
		}
		*off = o + 2;
		return ip_by_ethertype(type);
	case DLT_LINUX_SLL: /* 16 bytes, protocol at 14 */
		if (len < 16)
			return -EBADMSG;
		*off = 16;
		return ip_by_ethertype(be16(f + 14));
	case DLT_LINUX_SLL2: /* 20 bytes, protocol at 0 */
		if (len < 20)
			return -EBADMSG;
		*off = 20;
		return ip_by_ethertype(be16(f));
	case DLT_RAW:
	case 228: /* LINKTYPE_IPV4 */
	case 229: /* LINKTYPE_IPV6 */
		if (len < 1)
			return -EBADMSG;
		*off = 0;
		return (f[0] >> 4) == 4 || (f[0] >> 4) == 6 ? 0 : -EPROTONOSUPPORT;
	case DLT_NULL:
	case DLT_LOOP: /* 4-byte address family, host or network order */
		if (len < 5)
			return -EBADMSG;
		*off = 4;
		return (f[4] >> 4) == 4 || (f[4] >> 4) == 6 ? 0 : -EPROTONOSUPPORT;
	default:
		return -EPROTONOSUPPORT;
	}
}

static int finish_open(struct xc_capture **out, pcap_t *p, const char *what, const char *filter,
		       struct xc_err *err)
{
	struct bpf_program prog;
	struct xc_capture *cap;

	if (filter) {
		if (dl_pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			xc_err_set(err, "bad filter '%s': %s", filter, dl_pcap_geterr(p));
			dl_pcap_close(p);
			return -EINVAL;
		}
		if (dl_pcap_setfilter(p, &prog) < 0) {
			xc_err_set(err, "%s: cannot set the filter: %s", what, dl_pcap_geterr(p));
			dl_pcap_freecode(&prog);
			dl_pcap_close(p);
			return -EINVAL;
		}
		dl_pcap_freecode(&prog);
	}
	cap = calloc(1, sizeof(*cap));
	if (!cap) {
		dl_pcap_close(p);
		return -ENOMEM;
	}
	cap->p = p;
	cap->dlt = dl_pcap_datalink(p);
	cap->end = 1;
	*out = cap;
	return 0;
}

/* A mapped file's page tables are filled ahead of the reader, POPULATE
 * bytes at a time (as MAP_POPULATE would, all at once, before the first
 * packet), up to `ahead` beyond `at`: by the reader itself, a step ahead
 * (no more: what it fills before its first packet is everyone's wait), or
 * further ahead by other threads (xc_capture_populate), so that the
 * reader, on its own the slowest of them, does not. Each chunk is claimed
 * once. */
#define POPULATE (2u << 20)
#define POPULATE_AHEAD (8u << 20)
static void populate(struct xc_capture *c, size_t at, size_t ahead)
{
	size_t to = c->size - at > ahead ? at + ahead : c->size;
	size_t from = atomic_load_explicit(&c->populated, memory_order_relaxed);

	while (from < to) {
		if (!atomic_compare_exchange_weak_explicit(&c->populated, &from, from + POPULATE,
							   memory_order_relaxed,
							   memory_order_relaxed))
			continue; /* another thread took it: from is what it left */
		/* older kernels lack it: the pages then come as the reader faults */
		madvise((void *)(c->map + from), c->size - from < POPULATE ? c->size - from : POPULATE,
			MADV_POPULATE_READ);
		from += POPULATE;
	}
}

void xc_capture_populate(struct xc_capture *cap, const uint8_t *at)
{
	if (cap->map && at >= cap->map && at <= cap->map + cap->size)
		populate(cap, (size_t)(at - cap->map), POPULATE_AHEAD);
}

void xc_capture_release(struct xc_capture *cap, const uint8_t *at, size_t step)
{
	size_t to, from;

	if (!cap->map || at < cap->map || at > cap->map + cap->size || !step ||
	    step % XC_CAPTURE_STEP)
		return;
	to = (size_t)(at - cap->map) / step * step;
	from = atomic_load_explicit(&cap->released, memory_order_relaxed);
	while (from < to) {
		size_t n = to - from < step ? to - from : step;

		if (!atomic_compare_exchange_weak_explicit(&cap->released, &from, from + n,
							   memory_order_relaxed,
							   memory_order_relaxed))
			continue; /* another thread took it: from is where it left off */
		/* the pages of a private mapping, dropped: read again, they are
		 * the file's again (the mapping is never written) */
		madvise((void *)(cap->map + from), n, MADV_DONTNEED);
		from += n;
	}
}

static uint32_t file32(const struct xc_capture *c, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return c->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t file16(const struct xc_capture *c, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return c->swapped ? __builtin_bswap16(v) : v;
}

/* A file's link type (LINKTYPE_*) as libpcap's DLT_* */
static int dlt_of(uint32_t linktype)
{
	return linktype == LINKTYPE_RAW ? DLT_RAW : (int)linktype;
}

static int ng_first(struct xc_capture *c, struct xc_err *err);

/* A classic pcap or pcapng file, mapped: 1, or 0 if it is neither (then
 * libpcap reads it, and says what is wrong with it), or -errno. */
static int open_mapped(struct xc_capture **out, const char *path, const char *filter,
		       struct xc_err *err)
{
	struct xc_capture *c = NULL;
	uint8_t head[24];
	char what[256];
	struct stat st;
	uint32_t magic, bom;
	void *map = MAP_FAILED;
	ssize_t n = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		xc_err_set(err, "cannot read capture '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (n = pread(fd, head, 24, 0)) < 12)
		goto out; /* libpcap says what is wrong with it */
	memcpy(&magic, head, 4);
	memcpy(&bom, head + 8, 4);
	if (!(c = calloc(1, sizeof(*c)))) {
		r = -ENOMEM;
		goto out;
	}
	if (n == 24 && (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)) {
		c->nsec = magic == 0xa1b23c4d;
	} else if (n == 24 && (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)) {
		c->swapped = true;
		c->nsec = magic == 0x4d3cb2a1;
	} else if (magic == NG_SHB && (bom == NG_BOM || bom == __builtin_bswap32(NG_BOM))) {
		c->ng = true;
	} else {
		goto out; /* not a capture, or one libpcap reads */
	}
	if (!c->ng)
		c->dlt = dlt_of(file32(c, head + 20) & 0x03ffffff);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		xc_err_set(err, "cannot read capture '%s': %s", path, strerror(errno));
		goto out;
	}
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	c->map = map;
	c->size = (size_t)st.st_size;
	c->off = c->ng ? 0 : 24;
	atomic_init(&c->populated, 0);
	atomic_init(&c->released, 0);
	c->path = path;
	c->end = 1;
	c->prefetch = XC_PREFETCH_STREAM;
	if (c->ng && (r = ng_first(c, err)) < 0)
		goto out;
	if (filter) {
		snprintf(what, sizeof(what), "cannot compile filter '%.200s'", filter);
		if ((r = need_pcap(what, err)) < 0)
			goto out;
		c->p = dl_pcap_open_dead_with_tstamp_precision(c->dlt, SNAPLEN, c->nsec ?
			PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
		if (!c->p) {
			r = -ENOMEM;
			goto out;
		}
		if (dl_pcap_compile(c->p, &c->prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			xc_err_set(err, "bad filter '%s': %s", filter, dl_pcap_geterr(c->p));
			r = -EINVAL;
			goto out;
		}
		c->filtering = true;
	}
	*out = c;
	c = NULL;
	map = MAP_FAILED;
	r = 1;
out:
	if (c && c->map)
		map = (void *)c->map;
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (c && c->p)
		dl_pcap_close(c->p);
	if (c)
		free(c->ifs);
	free(c);
	if (fd >= 0)
		close(fd);
	return r;
}

int xc_capture_open_file(struct xc_capture **out, const char *path, const char *filter,
			 struct xc_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "", what[256];
	pcap_t *p;
	int r = open_mapped(out, path, filter, err);

	if (r != 0)
		return r < 0 ? r : 0;
	snprintf(what, sizeof(what), "cannot read capture '%.200s'", path);
	if ((r = need_pcap(what, err)) < 0)
		return r;
	p = dl_pcap_open_offline(path, ebuf);
	if (!p) {
		xc_err_set(err, "cannot read capture '%s': %s", path, ebuf);
		return access(path, R_OK) < 0 ? -errno : -EINVAL;
	}
	return finish_open(out, p, path, filter, err);
}

int xc_capture_open_live(struct xc_capture **out, const char *ifname, const char *filter,
			 struct xc_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "", what[256];
	pcap_t *p;
	int r;

	snprintf(what, sizeof(what), "cannot capture on '%.200s'", ifname);
	if ((r = need_pcap(what, err)) < 0)
		return r;
	if (!(p = dl_pcap_create(ifname, ebuf))) {
		xc_err_set(err, "cannot capture on '%s': %s", ifname, ebuf);
		return -ENODEV;
	}
	dl_pcap_set_snaplen(p, SNAPLEN);
	dl_pcap_set_promisc(p, 0);
	dl_pcap_set_immediate_mode(p, 1); /* verdicts as packets arrive */
	/* no packet for this long: xc_capture_next says -EAGAIN, so that its
	 * caller can look at why it might stop */
	dl_pcap_set_timeout(p, LIVE_TIMEOUT_MS);
	/* immediate mode is a ring of frames as long as the snap length (or
	 * the MTU allows): libpcap's 2 MiB default holds 32 of 64 KiB on lo,
	 * and a burst overflows it */
	dl_pcap_set_buffer_size(p, LIVE_BUFFER);
	r = dl_pcap_activate(p);
	if (r < 0) {
		xc_err_set(err, "cannot capture on '%s': %s", ifname, dl_pcap_geterr(p));
		dl_pcap_close(p);
		return r == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV :
		       r == PCAP_ERROR_PERM_DENIED ? -EPERM : -EIO;
	}
	r = finish_open(out, p, ifname, filter, err);
	if (r == 0)
		(*out)->live = true;
	return r;
}

void xc_capture_close(struct xc_capture *cap)
{
	if (!cap)
		return;
	if (cap->filtering)
		dl_pcap_freecode(&cap->prog);
	if (cap->p)
		dl_pcap_close(cap->p);
	if (cap->map)
		munmap((void *)cap->map, cap->size);
	free(cap->ifs);
	free(cap);
}

void xc_capture_set_prefetch(struct xc_capture *cap, enum xc_prefetch how)
{
	cap->prefetch = how;
}

int xc_capture_set_wait(struct xc_capture *cap, bool wait)
{
	char ebuf[PCAP_ERRBUF_SIZE];

	if (!cap->live)
		return 0;
	return dl_pcap_setnonblock(cap->p, !wait, ebuf) < 0 ? -EIO : 0;
}

void xc_capture_break(struct xc_capture *cap)
{
	if (!cap->map)
		dl_pcap_breakloop(cap->p);
}

static void fill(int dlt, uint64_t index, struct xc_packet *pkt, const struct timeval *ts,
		 const uint8_t *data, size_t caplen, size_t len)
{
	size_t off = 0;

	memset(pkt, 0, sizeof(*pkt));
	pkt->ts = *ts;
	pkt->index = index;
	pkt->wire_len = len;
	pkt->link_ok = xc_link_ip_offset(dlt, data, caplen, &off) == 0;
	pkt->ip = data + (pkt->link_ok ? off : 0);
	pkt->ip_len = pkt->link_ok ? caplen - off : 0;
}

/* Ask for the file's bytes ahead while the caller works on this record:
 * the hardware prefetchers stop at page boundaries, and packets read cold
 * from memory cost the verifier about a sixth of its time (the crypto
 * waits for them), a thread that only reads headers most of its time.
 * STREAM: a cursor runs PF_STREAM bytes ahead of the record handed on,
 * each line asked for once. HEADERS: the first two lines of the next
 * PF_RECORDS records, where they are if they are as long as this one
 * (rec bytes): the next one's position is known only once this one's
 * header is read, too late to wait for it. */
#define PF_STREAM 4096
#define PF_RECORDS 8
static void stream_ahead(const struct xc_capture *cap, size_t off, size_t *pf)
{
	size_t to = cap->size - off > PF_STREAM ? off + PF_STREAM : cap->size;

	if (*pf < off)
		*pf = off;
	for (; *pf < to; *pf += 64)
		__builtin_prefetch(cap->map + *pf);
}

static void prefetch_ahead(struct xc_capture *cap, size_t rec)
{
	if (cap->prefetch == XC_PREFETCH_HEADERS) {
		size_t o = cap->off, end = cap->off + PF_RECORDS * rec;

		/* the next record's header, whose place is known */
		if (cap->size - o >= 128) {
			__builtin_prefetch(cap->map + o);
			__builtin_prefetch(cap->map + o + 64);
		}
		/* then where the records after it are if they are of this
		 * one's size; not again where earlier guesses of that size
		 * went (as far as pf): with records of one size, one new
		 * guess a call, not PF_RECORDS */
		o += rec;
		if (rec != cap->pf_rec)
			cap->pf = 0;
		if (cap->pf > o)
			o += (cap->pf - o + rec - 1) / rec * rec;
		for (; o < end && o + 128 <= cap->size; o += rec) {
			__builtin_prefetch(cap->map + o);
			__builtin_prefetch(cap->map + o + 64);
		}
		cap->pf = o;
		cap->pf_rec = rec;
		return;
	}
	stream_ahead(cap, cap->off, &cap->pf);
}

/* The record at *off of a mapped file, *off moved past it: 1 (in pkt,
 * index as given), 2 (the filter drops it), or -EIO (a bad record).
 * Inlined into both its callers: called, it cost the parts' reading 0.5
 * ms of CPU time in 58 (the bench's capture, --jobs 2, medians of 25). */
static inline __attribute__((always_inline)) int
read_record(struct xc_capture *cap, size_t *off, uint64_t index, struct xc_packet *pkt,
	    struct xc_err *err)
{
	const uint8_t *h = cap->map + *off;
	struct pcap_pkthdr ph;
	uint32_t caplen, sub;

	if (cap->size - *off < 16) {
		xc_err_set(err, "reading packets: truncated dump file '%s'", cap->path);
		return -EIO;
	}
	caplen = file32(cap, h + 8);
	if (caplen > MAX_RECORD) {
		xc_err_set(err, "reading packets: '%s': a record of %u bytes, more than %u",
			   cap->path, caplen, MAX_RECORD);
		return -EIO;
	}
	if (caplen > cap->size - *off - 16) {
		xc_err_set(err, "reading packets: truncated dump file '%s'", cap->path);
		return -EIO;
	}
	*off += 16 + (size_t)caplen;
	if (atomic_load_explicit(&cap->populated, memory_order_relaxed) < *off + POPULATE / 2)
		populate(cap, *off, POPULATE / 2);
	sub = file32(cap, h + 4);
	ph.ts.tv_sec = file32(cap, h);
	ph.ts.tv_usec = cap->nsec ? sub / 1000 : sub;
	ph.caplen = caplen;
	ph.len = file32(cap, h + 12);
	if (cap->filtering && !dl_pcap_offline_filter(&cap->prog, &ph, h + 16))
		return 2;
	fill(cap->dlt, index, pkt, &ph.ts, h + 16, caplen, ph.len);
	pkt->stable = 1;
	return 1;
}

/* The next record of a mapped file that passes the filter. */
static int next_mapped(struct xc_capture *cap, struct xc_packet *pkt, struct xc_err *err)
{
	int r;

	do {
		size_t at = cap->off;

		if (cap->off == cap->size)
			return 0;
		if ((r = read_record(cap, &cap->off, cap->index + 1, pkt, err)) < 0)
			return r;
		prefetch_ahead(cap, cap->off - at); /* the record's size */
	} while (r == 2);
	cap->index++;
	return 1;
}

size_t xc_capture_span(const struct xc_capture *cap, size_t *first)
{
	*first = 24;
	return cap->map && !cap->ng ? cap->size : 0;
}

/* Whether a record may start at off: its header and those of the next
 * PART_CHECK records (or as many as there are up to the end) look like
 * records' headers: a fraction of a second, a length captured (at most
 * the length on the wire, at most PART_LEN) that ends in the file, and
 * seconds within PART_SECONDS of the first record's. Only a guess: a
 * packet's bytes can look like that. (Without the seconds, a header's
 * last 12 bytes and the packet's first 4, when the packets are of one
 * size and the fractions rise, look like a header as well.) */
#define PART_CHECK 4
#define PART_LEN (1u << 24)
#define PART_SECONDS (1u << 28)
static bool looks_like_record(const struct xc_capture *cap, size_t off)
{
	uint32_t first = cap->size >= 28 ? file32(cap, cap->map + 24) : 0;

	for (int k = 0; k < PART_CHECK && off != cap->size; k++) {
		const uint8_t *h = cap->map + off;
		uint32_t sec, sub, caplen, len;

		if (cap->size - off < 16)
			return false;
		sec = file32(cap, h);
		sub = file32(cap, h + 4);
		caplen = file32(cap, h + 8);
		len = file32(cap, h + 12);
		if ((sec > first ? sec - first : first - sec) > PART_SECONDS ||
		    sub >= (cap->nsec ? 1000000000u : 1000000u) || caplen > MAX_RECORD ||
		    caplen > len || len > PART_LEN || caplen > cap->size - off - 16)
			return false;
		off += 16 + (size_t)caplen;
	}
	return true;
}

void xc_capture_part_start(const struct xc_capture *cap, struct xc_capture_part *pt, size_t from,
			   size_t to, bool exact)
{
	/* the places tried are those where the length captured (at most
	 * MAX_RECORD) has its most significant byte 0: the last of the four
	 * of the four bytes in a little-endian file, the first in a big-endian
	 * one (swapped: of the other byte order than this host's) */
	bool little = cap->swapped != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
	size_t msb = little ? 11 : 8;

	while (!exact && from < to) {
		size_t last = cap->size - 16; /* where a record can start, at most */
		const uint8_t *z;

		if (cap->size < 16 || from > last ||
		    !(z = memchr(cap->map + from + msb, 0, (to <= last ? to : last + 1) - from))) {
			from = to;
			break;
		}
		from = (size_t)(z - cap->map) - msb;
		if (looks_like_record(cap, from))
			break;
		from++;
	}
	pt->off = from;
	pt->end = to;
	pt->pf = from;
	pt->n = 0;
}

int xc_capture_part_next(struct xc_capture *cap, struct xc_capture_part *pt,
			 struct xc_packet *pkt, struct xc_err *err)
{
	int r;

	do {
		if (pt->off >= pt->end || pt->off == cap->size)
			return 0;
		if ((r = read_record(cap, &pt->off, pt->n + 1, pkt, err)) < 0)
			return r;
		stream_ahead(cap, pt->off, &pt->pf);
	} while (r == 2);
	pt->n++;
	return 1;
}

/* ---- pcapng (draft-ietf-opsawg-pcapng), read in place, block by block:
 * sections (each with its byte order and its interfaces), interfaces,
 * packets (enhanced, simple, and the obsolete packet block); every other
 * block is skipped by its length. Time stamps are made microseconds as
 * libpcap makes them (pcap_open_offline's precision). */

enum { NG_AS_IS, NG_UP, NG_DOWN, NG_BINARY };

/* The one line of a bad file: -EIO, or -EINVAL while it is opened. */
static int __attribute__((format(printf, 3, 4)))
ng_bad(const struct xc_capture *c, struct xc_err *err, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (c->opening)
		xc_err_set(err, "cannot read capture '%s': %s", c->path, what);
	else
		xc_err_set(err, "reading packets: '%s': %s", c->path, what);
	return c->opening ? -EINVAL : -EIO;
}

static int ng_truncated(const struct xc_capture *c, struct xc_err *err)
{
	if (c->opening)
		return ng_bad(c, err, "truncated dump file");
	xc_err_set(err, "reading packets: truncated dump file '%s'", c->path);
	return -EIO;
}

/* A section header's body (n bytes): 2, or -errno. Its byte order is
 * already taken. */
static int ng_section(struct xc_capture *c, const uint8_t *b, size_t n, size_t at,
		      struct xc_err *err)
{
	uint16_t major, minor;

	if (n < 16)
		return ng_bad(c, err, "section header at byte %zu: too short", at);
	major = file16(c, b + 4);
	minor = file16(c, b + 6);
	/* libpcap reads 1.0 and 1.2, and in later sections any 1.x */
	if (major != 1 || (at == 0 && minor != 0 && minor != 2))
		return ng_bad(c, err, "section header at byte %zu: version %u.%u, not 1.0", at,
			      major, minor);
	c->nifs = 0;
	return 2;
}

/* An interface description's options: its time stamps' units and offset. */
static int ng_if_options(struct xc_capture *c, const uint8_t *o, size_t n, size_t at,
			 struct ng_if *f, struct xc_err *err)
{
	bool res = false, offset = false, binary = false;

	while (n) {
		uint16_t code, len;
		size_t padded;

		if (n < 4)
			return ng_bad(c, err, "interface description at byte %zu: options cut short",
				      at);
		code = file16(c, o);
		len = file16(c, o + 2);
		padded = ((size_t)len + 3) & ~(size_t)3;
		if (padded > n - 4)
			return ng_bad(c, err, "interface description at byte %zu: options cut short",
				      at);
		if (code == 0 && len)
			return ng_bad(c, err, "interface description at byte %zu: bad opt_endofopt",
				      at);
		if (code == 0)
			break;
		if (code == 9) { /* if_tsresol */
			unsigned v = len == 1 ? o[4] & 0x7f : 0;

			binary = len == 1 && o[4] & 0x80;
			if (len != 1 || res || v > (binary ? 63 : 19))
				return ng_bad(c, err,
					      "interface description at byte %zu: bad if_tsresol", at);
			res = true;
			f->res = 1;
			for (unsigned i = 0; i < v; i++)
				f->res = binary ? f->res << 1 : f->res * 10;
		} else if (code == 14) { /* if_tsoffset */
			uint64_t v;

			if (len != 8 || offset)
				return ng_bad(c, err,
					      "interface description at byte %zu: bad if_tsoffset", at);
			offset = true;
			memcpy(&v, o + 4, 8);
			f->offset = (int64_t)(c->swapped ? __builtin_bswap64(v) : v);
		}
		o += 4 + padded;
		n -= 4 + padded;
	}
	if (f->res == 1000000)
		f->scale = NG_AS_IS;
	else if (binary)
		f->scale = NG_BINARY;
	else if (f->res > 1000000)
		f->scale = NG_DOWN, f->factor = f->res / 1000000;
	else
		f->scale = NG_UP, f->factor = 1000000 / f->res;
	return 0;
}

/* An interface description's body (n bytes): 2, or -errno. */
static int ng_interface(struct xc_capture *c, const uint8_t *b, size_t n, size_t at,
			struct xc_err *err)
{
	struct ng_if f = { .res = 1000000 };
	uint32_t snaplen;
	int r;

	if (n < 8)
		return ng_bad(c, err, "interface description at byte %zu: too short", at);
	f.dlt = dlt_of(file16(c, b));
	snaplen = file32(c, b + 4);
	f.snap = snaplen && snaplen < MAX_RECORD ? snaplen : MAX_RECORD;
	if ((r = ng_if_options(c, b + 8, n - 8, at, &f, err)) < 0)
		return r;
	if (c->filtering && f.dlt != c->dlt)
		return ng_bad(c, err,
			      "interface description at byte %zu: link type %u, not the first "
			      "interface's %u, which the filter is for", at, file16(c, b),
			      (unsigned)c->dlt);
	if (c->nifs == c->ifs_size) {
		uint32_t size = c->ifs_size ? 2 * c->ifs_size : 4;
		struct ng_if *ifs = reallocarray(c->ifs, size, sizeof(*ifs));

		if (!ifs) {
			xc_err_set(err, "reading packets: '%s': out of memory", c->path);
			return -ENOMEM;
		}
		c->ifs = ifs;
		c->ifs_size = size;
	}
	c->ifs[c->nifs++] = f;
	return 2;
}

/* A packet block's body (n bytes) of type: 1 (in pkt), 2 (the filter drops
 * it), or -errno. */
static int ng_packet(struct xc_capture *c, uint32_t type, const uint8_t *b, size_t n, size_t at,
		     struct xc_packet *pkt, struct xc_err *err)
{
	const struct ng_if *f;
	struct pcap_pkthdr ph;
	uint64_t t = 0, sec, frac;
	uint32_t id = 0, caplen, len;
	size_t head = type == NG_SPB ? 4 : 20;

	if (n < head)
		return ng_bad(c, err, "packet block at byte %zu: too short", at);
	if (type == NG_SPB) {
		len = file32(c, b);
		caplen = c->nifs && len > c->ifs[0].snap ? c->ifs[0].snap : len;
	} else {
		id = type == NG_EPB ? file32(c, b) : file16(c, b);
		t = (uint64_t)file32(c, b + 4) << 32 | file32(c, b + 8);
		caplen = file32(c, b + 12);
		len = file32(c, b + 16);
	}
	if (id >= c->nifs)
		return ng_bad(c, err,
			      "packet block at byte %zu: interface %u, of %u in its section", at,
			      id, c->nifs);
	f = &c->ifs[id];
	if (caplen > f->snap)
		return ng_bad(c, err, "packet block at byte %zu: a record of %u bytes, more than %u",
			      at, caplen, f->snap);
	if (caplen > n - head)
		return ng_bad(c, err, "packet block at byte %zu: %u bytes captured, past its end",
			      at, caplen);
	/* the units and the offset (overflows wrap, as in libpcap) */
	sec = t / f->res + (uint64_t)f->offset;
	frac = t % f->res;
	if (f->scale == NG_UP)
		frac *= f->factor;
	else if (f->scale == NG_DOWN)
		frac /= f->factor;
	else if (f->scale == NG_BINARY)
		frac = frac * 1000000 / f->res;
	ph.ts.tv_sec = (time_t)sec;
	ph.ts.tv_usec = (int)frac;
	ph.caplen = caplen;
	ph.len = len;
	if (c->filtering && !dl_pcap_offline_filter(&c->prog, &ph, b + head))
		return 2;
	fill(f->dlt, c->index + 1, pkt, &ph.ts, b + head, caplen, len);
	pkt->stable = 1;
	return 1;
}

/* The block at c->off, c->off moved past it: 1 (a packet, in pkt), 2
 * (none: another block, or one the filter drops), 0 at the end, or
 * -errno. Every length is checked before anything is read. */
static int ng_block(struct xc_capture *c, struct xc_packet *pkt, struct xc_err *err)
{
	const uint8_t *b = c->map + c->off;
	size_t left = c->size - c->off, at = c->off;
	uint32_t type, len, bom;

	if (!left)
		return 0;
	if (left < 8)
		return ng_truncated(c, err);
	type = file32(c, b); /* a section's is the same in either byte order */
	if (type == NG_SHB) {
		if (left < 12)
			return ng_truncated(c, err);
		memcpy(&bom, b + 8, 4);
		if (bom != NG_BOM && bom != __builtin_bswap32(NG_BOM))
			return ng_bad(c, err, "section header at byte %zu: bad byte-order magic",
				      at);
		c->swapped = bom != NG_BOM;
	}
	len = file32(c, b + 4);
	if (len < 12 || len % 4)
		return ng_bad(c, err, "block at byte %zu: length %u, %s", at, len,
			      len < 12 ? "less than 12" : "not a multiple of 4");
	if (len > left)
		return ng_truncated(c, err);
	if (file32(c, b + len - 4) != len)
		return ng_bad(c, err, "block at byte %zu: length %u in its header, %u in its trailer",
			      at, len, file32(c, b + len - 4));
	c->off += len;
	if (atomic_load_explicit(&c->populated, memory_order_relaxed) < c->off + POPULATE / 2)
		populate(c, c->off, POPULATE / 2);
	switch (type) {
	case NG_SHB:
		return ng_section(c, b + 8, len - 12, at, err);
	case NG_IDB:
		return ng_interface(c, b + 8, len - 12, at, err);
	case NG_EPB:
	case NG_PB:
	case NG_SPB:
		return ng_packet(c, type, b + 8, len - 12, at, pkt, err);
	default:
		return 2;
	}
}

/* Opening: the blocks up to the file's first interface (what libpcap
 * checks before it takes a pcapng file), its link type the filter's. */
static int ng_first(struct xc_capture *c, struct xc_err *err)
{
	int r = 2;

	c->opening = true;
	while (!c->nifs && r == 2)
		r = ng_block(c, NULL, err); /* no packet: no interface yet */
	c->opening = false;
	if (r == 0) {
		xc_err_set(err, "cannot read capture '%s': no interface description", c->path);
		return -EINVAL;
	}
	if (r < 0)
		return r;
	c->dlt = c->ifs[0].dlt;
	return 0;
}

/* The next packet of a pcapng file that passes the filter. */
static int next_ng(struct xc_capture *cap, struct xc_packet *pkt, struct xc_err *err)
{
	int r;

	do {
		size_t at = cap->off;

		if ((r = ng_block(cap, pkt, err)) <= 0)
			return r;
		prefetch_ahead(cap, cap->off - at); /* the block's size */
	} while (r == 2);
	cap->index++;
	return 1;
}

static int next_libpcap(struct xc_capture *cap, struct xc_packet *pkt, struct xc_err *err)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r = dl_pcap_next_ex(cap->p, &h, &data);

	if (r == PCAP_ERROR_BREAK || r == PCAP_ERROR_NOT_ACTIVATED)
		return 0;
	if (r == PCAP_ERROR) {
		xc_err_set(err, "reading packets: %s", dl_pcap_geterr(cap->p));
		return -EIO;
	}
	if (r == 0) /* live timeout: nothing yet */
		return -EAGAIN;
	fill(cap->dlt, ++cap->index, pkt, &h->ts, data, h->caplen, h->len);
	return 1;
}

int xc_capture_next(struct xc_capture *cap, struct xc_packet *pkt, struct xc_err *err)
{
	int r;

	if (cap->end != 1) {
		*err = cap->end_err;
		return cap->end;
	}
	r = cap->ng ? next_ng(cap, pkt, err) : cap->map ? next_mapped(cap, pkt, err) :
	    next_libpcap(cap, pkt, err);
	if (r == 0 || (r < 0 && r != -EAGAIN)) {
		cap->end = r;
		cap->end_err = r ? *err : (struct xc_err){ "" };
	}
	return r;
}

struct xc_pcap_out {
	pcap_t *dead;
	pcap_dumper_t *d;
	int err;
};

int xc_pcap_out_open(struct xc_pcap_out **out, const char *path, struct xc_err *err)
{
	struct xc_pcap_out *w;
	char what[256];
	FILE *f;
	int fd, r;

	snprintf(what, sizeof(what), "cannot write '%.200s'", path);
	r = need_pcap(what, err);
	if (r < 0)
		return r;
	if (!(w = calloc(1, sizeof(*w))))
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		xc_err_set(err, "cannot write '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(w);
		return r;
	}
	w->dead = dl_pcap_open_dead(DLT_RAW, SNAPLEN);
	w->d = w->dead ? dl_pcap_dump_fopen(w->dead, f) : NULL;
	if (!w->d) {
		xc_err_set(err, "cannot write '%s': %s", path,
			   w->dead ? dl_pcap_geterr(w->dead) : "out of memory");
		fclose(f);
		if (w->dead)
			dl_pcap_close(w->dead);
		free(w);
		return -EIO;
	}
	*out = w;
	return 0;
}

int xc_pcap_out_write(struct xc_pcap_out *w, const struct timeval *ts, const uint8_t *ip,
		      size_t len)
{
	struct pcap_pkthdr h = { .ts = *ts, .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len };

	dl_pcap_dump((u_char *)w->d, &h, ip);
	return 0;
}

int xc_pcap_out_close(struct xc_pcap_out *w)
{
	FILE *f;
	int r = 0;

	if (!w)
		return 0;
	f = dl_pcap_dump_file(w->d);
	if (dl_pcap_dump_flush(w->d) < 0 || ferror(f))
		r = -EIO;
	dl_pcap_dump_close(w->d);
	dl_pcap_close(w->dead);
	free(w);
	return r;
}
