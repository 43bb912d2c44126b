/* xfrmctl verify: ESP packets judged as the kernel's esp_input would.
 *
 * One packet after another: read, classify (ESP? which SA?), verify
 * (lib/esp.c), then count, print and write it. With --jobs N the work
 * runs in N threads (see "several threads" below): the capture is cut into
 * batches, each classified and opened ahead of its turn by one thread with
 * clones of the SAs, and the batches take their turns in capture order for
 * the replay check, the verdict and the output (xc_esp_verify_opened: the
 * verdicts are exactly those of one thread). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cli.h"
#include "esp.h"
#include "nl.h"
#include "plugin.h"
#include "print.h"
#include "replay.h"
#include "sa.h"
#include "safile.h"
#include "spec.h"

#define EXIT_DROPS 3
#define PKT_MAX 262144  /* the capture's snap length: no packet is longer */
#define INNER_MAX (PKT_MAX + 64)
#define BATCH 256       /* packets a batch */
#define ARENA (1u << 20) /* their bytes: any one packet fits an empty batch */
/* bytes of a mapped file a batch (see "several threads"): their records
 * start there, and their packets, the last one past it too, fit ARENA */
#define PART (256u << 10)
_Static_assert(PART + 16 + PKT_MAX <= ARENA, "a part's packets fit an arena");
#define MAX_JOBS 64
#define HEAD 64         /* plaintext bytes an output line reads, at most */

static void usage(FILE *f)
{
	fputs("Usage: xfrmctl verify { --pcap FILE | --live IFACE } [ --sa-file FILE ]\n"
	      "        [ --filter BPF-EXPR ] [ --write-decrypted FILE ] [ --encap-port PORT ]\n"
	      "        [ --count N ] [ --jobs N ] [ --quiet ]\n"
	      "SAs come from the kernel (-n NETNS for another namespace), dumped with their\n"
	      "keys, or from --sa-file: 'state add' lines, or 'state list -j -k' JSON.\n"
	      "Each SA's replay window starts as when the SA was added.\n"
	      "One line per ESP packet (-j: JSON lines), then a summary per SA.\n"
	      "Exit: 0 if every packet would be accepted, 3 if any would be dropped.\n", f);
}

/* With --jobs, every packet's turn writes some fields here and in vstate
 * while other threads read others to classify and open packets: the two
 * kinds are kept a cache line apart (CACHE_LINE bytes), else the line
 * goes back and forth between the CPUs at every packet. */
#define CACHE_LINE 64

/* An SA the packets are judged against. */
struct vsa {
	/* read by the threads that open packets */
	struct xc_sa sa; /* the key bytes wiped once esa holds them */
	struct xc_esp_sa *esa;
	bool esn;        /* replay.mode is XC_REPLAY_ESN */
	/* ESN: the window as set up, for xc_replay_seqhi_at(), which reads
	 * only its mode and size (the turns change neither) */
	struct xc_replay shape;
	char apart[CACHE_LINE];
	/* ESN: the window's top (xc_replay_top) as the turns leave it, for
	 * the threads that guess the high bits of the packets they open:
	 * written once a batch, read at every packet opened, so on a line of
	 * its own, not beside what the turns write at every packet */
	_Atomic uint64_t top;
	char apart_top[CACHE_LINE];
	/* written in the turns */
	struct xc_replay replay;
	uint64_t verdicts[XC_V_COUNT];
	uint64_t packets;
	char apart_next[CACHE_LINE]; /* from the next SA's sa */
};

struct vstate {
	struct vsa *sas;
	size_t n, cap;
	struct vsa **by_spi; /* sas sorted by SPI, for the lookup */
	bool quiet;
	bool live; /* an interface: the lines go out once no packet is waiting */
	uint16_t port;
	struct xc_pcap_out *w;
	uint8_t *inner; /* INNER_MAX bytes, for --write-decrypted */
	/* written in the turns (see struct vsa) */
	_Alignas(CACHE_LINE) uint64_t no_sa;
	uint64_t hdr_error, not_esp, esp;
	bool any_drop;
	struct xc_err xe;
};

/* What a packet is, before any SA state is used. */
enum kind {
	K_NOT_ESP, /* counted, not shown */
	K_HDR,     /* ESP shorter than its header: XfrmInHdrError */
	K_NO_SA,   /* XfrmInNoStates */
	K_ESP,     /* for v */
};

/* One packet on its way. */
struct item {
	enum kind kind;
	struct xc_frame fr;
	struct vsa *v;
	struct timeval ts;
	uint64_t index;
	const uint8_t *ip;  /* the IP packet */
	size_t ip_len;
	bool link_ok;
	uint8_t *plain;     /* room for its plaintext (fr.esp_len bytes) */
	uint8_t head[HEAD]; /* --jobs, no --write-decrypted: the plaintext's start */
	struct xc_esp_result res; /* opened ahead, then the verdict */
	int err;
};

/* Set by the signal handler, which runs in any of the threads: atomic
 * (lock-free, so safe in a handler), not only volatile, which orders
 * nothing between threads. */
static _Atomic int stop;
static struct xc_capture *_Atomic live_cap;

static void on_signal(int sig)
{
	struct xc_capture *cap = atomic_load_explicit(&live_cap, memory_order_acquire);
	int e = errno; /* (libpcap's break may set it) */

	(void)sig;
	atomic_store_explicit(&stop, 1, memory_order_relaxed);
	if (cap)
		xc_capture_break(cap);
	errno = e;
}

/* ---- the SAs ---- */

static void wipe_keys(struct xc_sa *sa)
{
	struct xc_sa_alg *algs[] = { &sa->aead, &sa->enc, &sa->auth, &sa->comp };

	for (size_t i = 0; i < 4; i++)
		explicit_bzero(algs[i]->key, algs[i]->key_len);
}

/* Take sa (ESP only) into the set; its keys go into the verifier's contexts.
 * added: sa is as it was added (an SA file's line), so its replay counters
 * are the window's start; else (a dump, a listing) the window starts empty. */
static int add_sa(struct vstate *st, const struct xc_sa *sa, bool added, const char *where)
{
	struct vsa *v;
	int r;

	if (sa->info.id.proto != IPPROTO_ESP)
		return 0;
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct vsa *n = realloc(st->sas, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		st->sas = n;
		st->cap = cap;
	}
	v = &st->sas[st->n];
	memset(v, 0, sizeof(*v));
	memcpy(&v->sa, sa, sizeof(*sa));
	r = xc_esp_sa_new(&v->sa, &v->esa, &st->xe);
	if (r == 0)
		r = xc_replay_init_sa(&v->replay, &v->sa);
	if (r == 0 && added && (sa->has_replay_esn || sa->has_replay))
		r = sa->has_replay_esn ? xc_replay_set(&v->replay, sa->esn.seq, sa->esn.seq_hi, NULL, 0)
				       : xc_replay_set(&v->replay, sa->replay.seq, 0, NULL, 0);
	atomic_init(&v->top, xc_replay_top(&v->replay));
	v->esn = v->replay.mode == XC_REPLAY_ESN;
	v->shape = v->replay;
	wipe_keys(&v->sa);
	if (r < 0) {
		char msg[sizeof(st->xe.msg)];

		snprintf(msg, sizeof(msg), "%s", st->xe.msg[0] ? st->xe.msg : strerror(-r));
		xc_err_set(&st->xe, "%sSA esp spi 0x%08x dst %s: %s", where, ntohl(sa->info.id.spi),
			   cli_addr(sa->info.family, &sa->info.id.daddr), msg);
		xc_esp_sa_free(v->esa);
		return r;
	}
	st->n++;
	return 0;
}

static int dump_one(const struct xc_sa *sa, void *arg)
{
	return add_sa(arg, sa, false, "");
}

static int file_one(const struct xc_sa *sa, const struct xc_safile_at *at, void *arg,
		    struct xc_err *err)
{
	struct vstate *st = arg;
	char at_text[180], where[184];
	int r;

	xc_safile_where(at, at_text, sizeof(at_text));
	snprintf(where, sizeof(where), "%s: ", at_text);
	st->xe.msg[0] = '\0';
	r = add_sa(st, sa, at->format == XC_SAFILE_ADD, where);
	if (r < 0)
		*err = st->xe;
	return r;
}

/* By SPI, then in the order the SAs came (the first one matching wins). */
static int by_spi_cmp(const void *a, const void *b)
{
	const struct vsa *v = *(struct vsa *const *)a, *w = *(struct vsa *const *)b;
	uint32_t x = ntohl(v->sa.info.id.spi), y = ntohl(w->sa.info.id.spi);

	if (x != y)
		return x < y ? -1 : 1;
	return v < w ? -1 : v > w;
}

static int index_sas(struct vstate *st)
{
	if (!(st->by_spi = malloc(st->n * sizeof(*st->by_spi))))
		return -ENOMEM;
	for (size_t i = 0; i < st->n; i++)
		st->by_spi[i] = &st->sas[i];
	qsort(st->by_spi, st->n, sizeof(*st->by_spi), by_spi_cmp);
	return 0;
}

/* The SA of an ESP frame (SPI, destination, family), as xfrm_state_lookup. */
static struct vsa *find_sa(const struct vstate *st, const struct xc_frame *fr)
{
	size_t lo = 0, hi = st->n;

	while (lo < hi) { /* the first with an SPI >= the frame's */
		size_t mid = lo + (hi - lo) / 2;

		if (ntohl(st->by_spi[mid]->sa.info.id.spi) < fr->spi)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < st->n && ntohl(st->by_spi[lo]->sa.info.id.spi) == fr->spi; lo++)
		if (xc_esp_frame_matches(&st->by_spi[lo]->sa, fr))
			return st->by_spi[lo];
	return NULL;
}

/* ---- output ---- */

static const char *ipproto(uint8_t p, char *buf)
{
	const char *n = xc_ipproto_name(p);

	if (n)
		return n;
	sprintf(buf, "%u", p);
	return buf;
}

/* The inner packet of a decrypted ESP payload: tunnel (IPv4/IPv6 inside)
 * or transport (the outer addresses, next_header's protocol). */
static void print_inner(const struct xc_frame *fr, const struct xc_esp_result *res,
			const uint8_t *p, size_t n)
{
	char pbuf[8];
	uint16_t fam = fr->family;
	const void *src = &fr->saddr, *dst = &fr->daddr;
	uint8_t proto = res->next_header;
	size_t hl = 0;

	if (proto == IPPROTO_IPIP && n >= 20 && (p[0] >> 4) == 4) {
		fam = AF_INET;
		hl = (size_t)(p[0] & 15) * 4;
		proto = p[9];
		src = p + 12;
		dst = p + 16;
	} else if (proto == IPPROTO_IPV6 && n >= 40 && (p[0] >> 4) == 6) {
		fam = AF_INET6;
		hl = 40;
		proto = p[6];
		src = p + 8;
		dst = p + 24;
	}
	print_open_object("inner");
	print_string(PRINT_ANY, "proto", ", inner %s", ipproto(proto, pbuf));
	print_string(PRINT_ANY, "src", " %s", cli_addr(fam, src));
	if ((proto == IPPROTO_UDP || proto == IPPROTO_TCP) && n >= hl + 4) {
		print_uint(PRINT_ANY, "sport", ".%" PRIu64, (uint64_t)(p[hl] << 8 | p[hl + 1]));
		print_string(PRINT_ANY, "dst", " > %s", cli_addr(fam, dst));
		print_uint(PRINT_ANY, "dport", ".%" PRIu64, (uint64_t)(p[hl + 2] << 8 | p[hl + 3]));
	} else {
		print_string(PRINT_ANY, "dst", " > %s", cli_addr(fam, dst));
	}
	print_uint(PRINT_ANY, "len", " len %" PRIu64, (uint64_t)n);
	print_close_object();
}

/* The inner IP packet, for --write-decrypted: tunnel mode carries it
 * whole; transport mode gets the outer header back with the inner protocol
 * and length (as the kernel's transport finish does). */
static size_t inner_packet(const uint8_t *ip, const struct xc_frame *fr,
			   const struct xc_esp_result *res, const uint8_t *plain, uint8_t *out,
			   size_t cap)
{
	size_t n = res->payload_len, hl;

	if (res->next_header == IPPROTO_IPIP || res->next_header == IPPROTO_IPV6) {
		if (n > cap)
			return 0;
		memcpy(out, plain + res->payload_off, n);
		return n;
	}
	if (fr->family == AF_INET) {
		uint32_t sum = 0;

		hl = 20;
		if (hl + n > cap || hl + n > 65535)
			return 0;
		memcpy(out, ip, hl);
		out[0] = 0x45;
		out[2] = (uint8_t)((hl + n) >> 8);
		out[3] = (uint8_t)(hl + n);
		out[6] = out[7] = 0;
		out[9] = res->next_header;
		out[10] = out[11] = 0;
		memcpy(out + 12, &fr->saddr, 4);
		memcpy(out + 16, &fr->daddr, 4);
		for (size_t i = 0; i < hl; i += 2)
			sum += (uint32_t)(out[i] << 8 | out[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		out[10] = (uint8_t)(~sum >> 8);
		out[11] = (uint8_t)~sum;
	} else {
		hl = 40;
		if (hl + n > cap || n > 65535)
			return 0;
		memset(out, 0, hl);
		out[0] = 0x60;
		out[4] = (uint8_t)(n >> 8);
		out[5] = (uint8_t)n;
		out[6] = res->next_header;
		out[7] = 64;
		memcpy(out + 8, &fr->saddr, 16);
		memcpy(out + 24, &fr->daddr, 16);
	}
	memcpy(out + hl, plain + res->payload_off, n);
	return hl + n;
}

static void print_verdict(const struct item *it)
{
	const struct xc_esp_result *res = &it->res;
	const struct xc_frame *fr = &it->fr;
	char warn[256];

	print_open_object(NULL);
	print_uint(PRINT_ANY, "index", "#%" PRIu64, it->index);
	print_string(PRINT_ANY, "src", " %s", cli_addr(fr->family, &fr->saddr));
	print_string(PRINT_ANY, "dst", " > %s", cli_addr(fr->family, &fr->daddr));
	if (fr->encap_type)
		print_uint(PRINT_ANY, "encap-dport", " udp/%" PRIu64, fr->dport);
	print_uint(PRINT_ANY, "spi", " esp spi 0x%08" PRIx64, fr->spi);
	if (it->kind == K_HDR) {
		print_uint(PRINT_ANY, "seq", " seq %" PRIu64, fr->seq);
		print_string(PRINT_ANY, "verdict", ": %s", "XfrmInHdrError");
		print_string(PRINT_ANY, "detail", ", %s", "shorter than an ESP header");
	} else if (it->kind == K_NO_SA) {
		print_uint(PRINT_ANY, "seq", " seq %" PRIu64, fr->seq);
		print_string(PRINT_ANY, "verdict", ": %s", "XfrmInNoStates");
		print_string(PRINT_ANY, "detail", ", %s", "no SA for this SPI and destination");
	} else {
		print_uint(PRINT_ANY, "seq", " seq %" PRIu64, res->seq);
		print_string(PRINT_ANY, "verdict", ": %s", xc_verdict_counter(res->verdict));
		if (res->verdict != XC_V_OK)
			print_string(PRINT_ANY, "detail", ", %s", res->detail);
		else
			print_inner(fr, res, it->plain + res->payload_off, res->payload_len);
		if (xc_esp_warnings(res, warn, sizeof(warn)) > 0)
			print_string(PRINT_ANY, "warnings", " (warning: %s)", warn);
	}
	print_close_object();
	print_nl();
	print_end();
}

static void print_summary(const struct vstate *st)
{
	print_open_object(NULL);
	print_open_array("summary");
	for (size_t i = 0; i < st->n; i++) {
		const struct vsa *v = &st->sas[i];

		if (!v->packets)
			continue;
		print_open_object(NULL);
		print_uint(PRINT_ANY, "spi", "SA esp spi 0x%08" PRIx64, ntohl(v->sa.info.id.spi));
		print_string(PRINT_ANY, "dst", " dst %s", cli_addr(v->sa.info.family, &v->sa.info.id.daddr));
		print_uint(PRINT_ANY, "packets", ": %" PRIu64 " packets", v->packets);
		print_open_object("verdicts");
		for (int k = 0; k < XC_V_COUNT; k++) {
			if (!v->verdicts[k])
				continue;
			print_uint(PRINT_ANY, xc_verdict_counter(k), ", %" PRIu64, v->verdicts[k]);
			print_string(PRINT_TEXT, NULL, " %s", xc_verdict_counter(k));
		}
		print_close_object();
		print_close_object();
		print_nl();
	}
	print_close_array();
	print_uint(PRINT_ANY, "no-sa", "no SA: %" PRIu64, st->no_sa);
	print_uint(PRINT_ANY, "hdr-error", ", too short: %" PRIu64, st->hdr_error);
	print_uint(PRINT_ANY, "not-esp", ", not ESP: %" PRIu64 " packets", st->not_esp);
	print_close_object();
	print_nl();
}

/* ---- one packet ---- */

/* The packet as read (its bytes stay where pkt has them). */
static void take_packet(struct item *it, const struct xc_packet *pkt)
{
	it->index = pkt->index;
	it->ts = pkt->ts;
	it->ip = pkt->ip;
	it->ip_len = pkt->ip_len;
	it->link_ok = pkt->link_ok;
}

/* What the packet is, and for ESP its SA (before any SA state is used):
 * reads only what does not change once the packets flow, so that any
 * thread may classify. */
static void classify(const struct vstate *st, struct item *it)
{
	it->v = NULL;
	if (!it->link_ok ||
	    xc_esp_parse_ip(it->ip, it->ip_len, st->port, UDP_ENCAP_ESPINUDP, &it->fr) < 0 ||
	    it->fr.kind != XC_FRAME_ESP) {
		it->kind = K_NOT_ESP;
		return;
	}
	if (it->fr.esp_len < 8) /* xfrm_input cannot read SPI and sequence number */
		it->kind = K_HDR;
	else if (!(it->v = find_sa(st, &it->fr)))
		it->kind = K_NO_SA;
	else
		it->kind = K_ESP;
}

/* n packets of a kind with no SA to judge them (not K_ESP), counted. */
static void count_kind(struct vstate *st, enum kind kind, uint64_t n)
{
	if (!n)
		return;
	if (kind == K_NOT_ESP) {
		st->not_esp += n;
		return;
	}
	st->esp += n;
	if (kind == K_HDR)
		st->hdr_error += n;
	else
		st->no_sa += n;
	st->any_drop = true;
}

/* In the packet's turn, after its verdict: count, print, write. */
static void finish(struct vstate *st, struct item *it)
{
	switch (it->kind) {
	case K_NOT_ESP:
		count_kind(st, it->kind, 1);
		return;
	case K_HDR:
	case K_NO_SA:
		count_kind(st, it->kind, 1);
		break;
	case K_ESP:
		st->esp++;
		it->v->packets++;
		it->v->verdicts[it->res.verdict]++;
		if (it->res.verdict != XC_V_OK)
			st->any_drop = true;
		else if (st->w) {
			size_t n = inner_packet(it->ip, &it->fr, &it->res, it->plain, st->inner,
						INNER_MAX);

			if (n)
				xc_pcap_out_write(st->w, &it->ts, st->inner, n);
		}
		break;
	}
	if (!st->quiet)
		print_verdict(it);
}

/* ---- the capture ---- */

struct reader {
	struct xc_capture *cap;
	struct xc_packet pkt;
	bool pending; /* pkt read, not yet taken */
	bool eof;
	_Atomic bool halt; /* --jobs: the turns need no more (--count, an error) */
	unsigned long long count; /* ESP packets to read; 0: all */
	struct xc_err xe; /* why reading failed */
};

/* The next packet: 1 (in rd->pkt), 0 at the end, -EAGAIN (live: none yet),
 * or -errno (message in rd->xe). */
static int next_packet(struct reader *rd, const struct vstate *st)
{
	int r;

	if (rd->pending)
		return 1;
	if (rd->eof || atomic_load_explicit(&stop, memory_order_relaxed) ||
	    atomic_load_explicit(&rd->halt, memory_order_relaxed) ||
	    (rd->count && st->esp >= rd->count)) {
		rd->eof = true;
		return 0;
	}
	r = xc_capture_next(rd->cap, &rd->pkt, &rd->xe);
	if (r == 0)
		rd->eof = true;
	if (r > 0)
		rd->pending = true;
	return r;
}

/* One thread: each packet verified as it is read. */
static int run_serial(struct vstate *st, struct reader *rd)
{
	uint8_t *plain = malloc(PKT_MAX);
	size_t dirty = 0; /* bytes of plain ever written */
	struct item it;
	bool waiting = true; /* the capture waits for a packet */
	int r;

	if (!plain)
		return -ENOMEM;
	while ((r = next_packet(rd, st)) != 0) {
		if (r == -EAGAIN) {
			/* live, none waiting: the lines so far go out, then the
			 * capture waits for the next packet */
			if (!waiting) {
				print_end();
				(void)xc_capture_set_wait(rd->cap, true);
				waiting = true;
			}
			continue;
		}
		if (waiting && st->live) {
			(void)xc_capture_set_wait(rd->cap, false);
			waiting = false;
		}
		if (r < 0) {
			st->xe = rd->xe;
			break;
		}
		rd->pending = false;
		take_packet(&it, &rd->pkt);
		classify(st, &it);
		it.plain = plain;
		if (it.kind == K_ESP) {
			r = xc_esp_verify(it.v->esa, &it.v->replay, &it.fr, it.ip + it.fr.esp_off,
					  it.fr.esp_len, plain, PKT_MAX, &it.res);
			if (r < 0) {
				xc_err_set(&st->xe, "packet %" PRIu64 ": %s", it.index, strerror(-r));
				break;
			}
		}
		finish(st, &it);
		if (rd->pkt.stable)
			xc_capture_release(rd->cap, it.ip + it.ip_len, XC_CAPTURE_STEP);
		/* the next packet overwrites the plaintext; wiped at the end */
		if (it.kind == K_ESP && dirty < it.fr.esp_len)
			dirty = it.fr.esp_len;
	}
	explicit_bzero(plain, dirty);
	free(plain);
	return r;
}

/* ---- several threads ----
 *
 * The capture is cut into batches of packets, kept in a ring, each batch
 * in three steps: cut (its packets read: for a mapped file, only where
 * each one is), opened (classified, decrypted ahead of its turn), turned
 * (the replay check and the verdict, counted, printed, written). Every
 * thread does all three, one thread at a time cuts, one at a time turns,
 * in capture order; the opening runs in parallel. A thread opens the batch
 * it cut and, once the batches before it have had their turns, gives it
 * its turn, so that what a batch was read and opened into stays in the
 * cache of one thread; it takes the turn of another's batch only when it
 * has nothing else to do.
 *
 * A classic pcap file, mapped, is cut otherwise: a batch is a part of the
 * file's bytes (PART of them), the records that start there, and any
 * number of threads cut at once, each reading its part through (cut and
 * opened in one pass, as one thread reads: its own pages, its own cache;
 * a single cutting thread that read every header ahead of the others cost
 * them a second pass over the bytes, 7 ms of CPU time in 50 with the
 * bench's capture). Where a part's first record starts is known only once
 * the part before it is read: it is guessed (xc_capture_part_start()),
 * and checked in the part's turn, after the part before it, which reads
 * the part again from the right place if the guess was wrong. */

enum bstate { B_FREE, B_OPENING, B_OPENED };

/* The items of a batch: a set is taken by the thread that cuts the batch
 * and given back to it after the batch's turn (see work()). BATCH items,
 * more for a part of a mapped file with more records. */
struct item_set {
	struct item *it;
	size_t cap;               /* items at it */
	size_t used;              /* items ever written (their heads wiped at the end) */
	struct item_set *next;    /* in its thread's free list */
	struct item_set *all;     /* every set of the pool, to free */
};

/* (a ring place, or a thread's, on cache lines of its own: each is
 * written by one thread while the others work on theirs) */
struct batch {
	_Alignas(CACHE_LINE) struct item *items; /* set's */
	struct item_set *set;
	size_t n, used; /* items, and bytes of in */
	/* a part of a mapped file (pool->parts): the records that start in
	 * [from, to), read from start (a guess, checked in the batch's turn)
	 * to end; rerr: reading stopped at a bad record there (its message
	 * in rxe), an error once the packets before it have had their turns */
	size_t from, to, start, end;
	int rerr;
	struct xc_err rxe;
	const uint8_t *lo, *hi; /* the items' packets lie in [lo, hi), in order */
	uint8_t *in;    /* the packets, ARENA bytes (those not read in place) */
	uint8_t *out;   /* --write-decrypted: their plaintexts, at the same offsets */
	size_t dirty;   /* bytes of out ever written, wiped at the end */
	/* pool->runs: whether the batch's turn can be taken in one step
	 * (run_turn()), as its packets are opened: its ESP packets one clean
	 * run of one SA (xc_esp_opened_clean(), consecutive sequence
	 * numbers), the others counted by kind */
	bool run;
	struct vsa *run_v;
	uint64_t run_first, run_bytes;
	uint32_t run_n;
	uint32_t run_kinds[K_ESP];
	enum bstate state;
	struct worker *opener;
};

struct worker {
	_Alignas(CACHE_LINE) pthread_t thread;
	bool started;
	struct pool *pool;
	struct xc_esp_sa **esa; /* a clone of each SA, by index */
	uint8_t *plain;  /* PKT_MAX bytes: the plaintexts it opens (see cut()) */
	size_t dirty;    /* bytes of plain ever written */
	struct item_set *free_sets; /* item sets it cut into, turned since */
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct vstate *st;
	struct reader *rd;
	unsigned long long count; /* --count: the turns stop there */
	struct batch *ring;
	size_t nb;
	uint64_t cut, turned; /* batches, in capture order */
	bool cutting, turning; /* a thread is at it */
	bool eof;   /* nothing more to cut */
	bool enough; /* --count reached */
	bool quit;  /* every thread leaves */
	int err;    /* the error that ends it (reading: in rd->xe, else st->xe) */
	int read_err; /* reading failed: the error once the packets before have had their turns */
	bool err_read;
	bool err_setup; /* err: a thread could not set up */
	bool go;    /* the threads started early may set up (pool_go()) */
	/* the threads are started each on a CPU of its own (pool_start()),
	 * then run on any of these */
	bool placed;
	cpu_set_t allowed;
	/* clones of the SAs made before any turn, which the threads clone
	 * (worker_setup()): the turns write the SAs (their counters, and
	 * their contexts when an ESN guess was wrong), never these, so that
	 * no turn waits for a thread that is late to start */
	struct xc_esp_sa **tmpl;
	/* a mapped file is cut in parts of PART bytes, not read in order by
	 * one thread at a time: [first, size) its records' bytes, next_off
	 * where the records of the batches turned so far end */
	bool parts;
	size_t first, size, next_off;
	uint64_t index; /* packets turned */
	const uint8_t *done; /* the end of the last batch turned */
	struct worker *w; /* w[0]: the main thread's */
	size_t nw;
	struct item_set *sets; /* all of them (->all) */
	/* --quiet, no --write-decrypted, no --count: no turn needs more than
	 * its packets' verdicts counted, so a clean run is turned at once */
	bool runs;
	uint8_t *plain;   /* PKT_MAX bytes: a packet's plaintext in its turn */
	size_t dirty;
};

/* n zeroed elements of size bytes (a multiple of CACHE_LINE), on cache
 * lines of their own (calloc() aligns to 16 bytes); free() them. */
static void *aligned_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	if (!(p = aligned_alloc(CACHE_LINE, n * size)))
		return NULL;
	return memset(p, 0, n * size);
}

/* Whether the start of a packet's plaintext is read after its opening: by
 * its output line, or by the turn's check of a BEET pseudo header. */
static bool head_read(const struct vstate *st, const struct vsa *v)
{
	return !st->quiet || v->sa.info.mode == XFRM_MODE_BEET;
}

/* Classify a packet and open it, if ESP, ahead of its turn with the
 * thread's clones of the SAs. ESN: the high bits are guessed from the
 * window's top as the turns have left it so far (a wrong guess costs the
 * packet a second opening in its turn, nothing more). */
#define PREFETCH 4096
#define RELEASE_STEP (16 * XC_CAPTURE_STEP) /* see work() */
static void run_note(struct batch *b, const struct item *it, const struct xc_esp_sa *clone,
		     const uint8_t *plain);

static void open_item(const struct vstate *st, struct batch *b, struct item *it, struct worker *w)
{
	struct xc_esp_sa *clone;
	uint32_t seq_hi = 0;
	uint8_t *out;

	classify(st, it);
	if (it->kind != K_ESP) {
		run_note(b, it, NULL, NULL);
		return;
	}
	if (it->v->esn)
		seq_hi = xc_replay_seqhi_at(&it->v->shape,
					    atomic_load_explicit(&it->v->top, memory_order_relaxed),
					    it->fr.seq);
	clone = w->esa[it->v - st->sas];
	out = it->plain ? it->plain : w->plain;
	it->err = xc_esp_open_ahead(clone, &it->fr, it->ip + it->fr.esp_off, it->fr.esp_len, seq_hi,
				    out, it->fr.esp_len, &it->res);
	run_note(b, it, clone, out);
	if (it->plain)
		return;
	if (w->dirty < it->fr.esp_len)
		w->dirty = it->fr.esp_len;
	if (head_read(st, it->v))
		memcpy(it->head, w->plain, it->res.plain_len < HEAD ? it->res.plain_len : HEAD);
}

/* A batch's packets, cut (cut()): they lie one after the other (in the
 * mapped file, or copied so), the bytes up to PREFETCH ahead of the one
 * opened asked for as it goes (cutting brought only the record headers
 * into the cache). */
static void open_batch(const struct vstate *st, struct batch *b, struct worker *w)
{
	const uint8_t *pf = b->lo;

	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		const uint8_t *to = b->hi - it->ip > PREFETCH ? it->ip + PREFETCH : b->hi;

		if (pf < it->ip)
			pf = it->ip;
		for (; pf < to; pf += 64)
			__builtin_prefetch(pf);
		open_item(st, b, it, w);
	}
}

/* Item it, its packet at it->ip, the next of b: its room for the
 * plaintext (--write-decrypted), and b's bytes and span grown by it. */
static void batch_place(struct batch *b, struct item *it, const struct vstate *st)
{
	it->plain = st->w ? b->out + b->used : NULL;
	b->used += it->ip_len;
	if (b->dirty < b->used)
		b->dirty = b->used;
	if (!b->lo)
		b->lo = it->ip;
	b->hi = it->ip + it->ip_len;
}

/* b's run (see struct batch) begun again, empty: possible if runs. */
static void run_reset(struct batch *b, bool runs)
{
	b->run = runs;
	b->run_v = NULL;
	b->run_first = b->run_bytes = 0;
	b->run_n = 0;
	memset(b->run_kinds, 0, sizeof(b->run_kinds));
}

/* Item it of b classified and, if ESP, opened (with clone, its plaintext
 * at plain): b's run goes on with it, or ends. */
static void run_note(struct batch *b, const struct item *it, const struct xc_esp_sa *clone,
		     const uint8_t *plain)
{
	uint64_t seq;

	if (!b->run)
		return;
	if (it->kind != K_ESP) {
		b->run_kinds[it->kind]++;
		return;
	}
	seq = (uint64_t)it->res.seq_hi << 32 | it->res.seq_lo;
	if (it->err || !xc_esp_opened_clean(clone, &it->fr, plain, &it->res) ||
	    (b->run_n && (it->v != b->run_v || seq != b->run_first + b->run_n))) {
		b->run = false;
		return;
	}
	if (!b->run_n++) {
		b->run_v = it->v;
		b->run_first = seq;
	}
	b->run_bytes += it->res.payload_len;
}

/* Read packets into b until it is full, the input ends, or (live) none is
 * waiting; with none at all, wait for one (a tenth of a second at a time,
 * so that a halt is seen even when nothing comes). Only read: what they are is for
 * the thread that opens them. The plaintexts go to the batch's arena for
 * --write-decrypted; else each thread opens into a buffer of its own, and
 * keeps the start of each packet's plaintext (all that an output line
 * shows) in head. 0 or -errno (rd->xe says why). */
static int cut(struct vstate *st, struct reader *rd, struct batch *b)
{
	int r = 0;

	b->n = 0;
	b->used = 0;
	b->lo = b->hi = NULL;
	while (b->n < BATCH) {
		struct item *it = &b->items[b->n];

		r = next_packet(rd, st);
		if (r == -EAGAIN && b->n == 0)
			continue;
		if (r <= 0)
			break;
		if (rd->pkt.ip_len > ARENA - b->used)
			break; /* for the next batch */
		rd->pending = false;
		take_packet(it, &rd->pkt);
		/* a mapped file's packets stay where they are */
		if (!rd->pkt.stable)
			it->ip = memcpy(b->in + b->used, rd->pkt.ip, rd->pkt.ip_len);
		batch_place(b, it, st);
		if (!b->n++)
			/* live: the batch goes when no more is waiting (if this
			 * fails, when none came for a tenth of a second) */
			(void)xc_capture_set_wait(rd->cap, false);
	}
	if (b->n)
		(void)xc_capture_set_wait(rd->cap, true);
	return r == -EAGAIN ? 0 : r < 0 ? r : 0;
}

/* A set's items moved to an array of cap (the first of them kept), the
 * old array wiped (the heads of plaintexts) and freed. 0 or -ENOMEM (the
 * set unchanged). */
static int set_resize(struct item_set *s, size_t cap)
{
	struct item *it = malloc(cap * sizeof(*it));
	size_t keep = s->used < cap ? s->used : cap;

	if (!it)
		return -ENOMEM;
	memcpy(it, s->it, keep * sizeof(*it));
	explicit_bzero(s->it, s->used * sizeof(*it));
	free(s->it);
	s->it = it;
	s->cap = cap;
	s->used = keep;
	return 0;
}

/* A part of a mapped file into b, from `from` (exact: a record starts
 * there; else a guess is made from there), each packet opened as it is
 * read: one pass over the bytes, by one thread, in the order of the file
 * (the capture asks for the bytes ahead). 0 or -ENOMEM; a bad record ends
 * the part (b->rerr). */
static int read_part(struct pool *p, struct batch *b, struct worker *w, size_t from, bool exact)
{
	const struct vstate *st = p->st;
	struct xc_capture_part pt;
	struct xc_packet pkt;
	int r;

	xc_capture_part_start(p->rd->cap, &pt, from, b->to, exact);
	run_reset(b, p->runs);
	b->start = pt.off;
	b->n = 0;
	b->used = 0;
	b->lo = b->hi = NULL;
	while ((r = xc_capture_part_next(p->rd->cap, &pt, &pkt, &b->rxe)) > 0) {
		struct item_set *set = b->set;
		struct item *it;

		if (b->n == set->cap) {
			if (set_resize(set, 2 * set->cap) < 0)
				return -ENOMEM;
			b->items = set->it;
		}
		it = &b->items[b->n++];
		if (set->used < b->n)
			set->used = b->n;
		take_packet(it, &pkt);
		batch_place(b, it, st);
		open_item(st, b, it, w);
	}
	b->rerr = r;
	b->end = pt.off;
	return 0;
}

/* ESN: the window's top as the turns left it, for the threads that open
 * packets (see open_batch()). */
static void publish_top(struct vsa *v)
{
	if (v)
		atomic_store_explicit(&v->top, xc_replay_top(&v->replay), memory_order_relaxed);
}

/* b's turn in one step, if its packets are a run (b->run) that the SA's
 * window and lifetime take as one: what finish() would count, packet by
 * packet. false: nothing done. */
static bool run_turn(struct pool *p, struct batch *b)
{
	struct vstate *st = p->st;
	struct vsa *v = b->run_v;

	if (!b->run || (v && !xc_esp_accept_run(v->esa, &v->replay, b->run_first, b->run_n,
						 b->run_bytes)))
		return false;
	if (v) {
		st->esp += b->run_n;
		v->packets += b->run_n;
		v->verdicts[XC_V_OK] += b->run_n;
		if (v->esn)
			publish_top(v);
	}
	for (enum kind k = K_NOT_ESP; k < K_ESP; k++)
		count_kind(st, k, b->run_kinds[k]);
	p->index += b->n;
	return true;
}

/* A batch in its turn: the verdicts, in capture order. The reading goes
 * ahead of --count: the turns stop where one thread would have stopped
 * reading (*enough then). An ESN SA's top is published when the turns
 * move on to another SA and at the end of the batch, not at every packet
 * (where it would take the cache line from the threads reading it): a
 * guess from a top a batch behind is wrong only where the latest would
 * be nearly so, and a wrong guess costs a second opening, nothing more. */
static int turn(struct pool *p, struct batch *b, struct worker *w, bool *enough)
{
	struct vstate *st = p->st;
	unsigned long long count = p->count;
	struct vsa *esn = NULL; /* the ESN SA whose top is not yet published */
	int r = 0;

	/* a part read from a wrong guess of where its first record starts
	 * (a packet's bytes looked like records): read again, from where the
	 * batch before ended (a part cut in order has none before it) */
	if (p->parts && b->start != p->next_off && (r = read_part(p, b, w, p->next_off, true)) < 0)
		return r;
	if (run_turn(p, b)) {
		if (st->live)
			print_end();
		return 0;
	}
	for (size_t i = 0; i < b->n && r == 0; i++) {
		struct item *it = &b->items[i];

		if (count && st->esp >= count) {
			*enough = true;
			break;
		}
		it->index = ++p->index;
		if (it->kind == K_ESP) {
			if (!it->plain) { /* as it was opened, as far as it is read */
				if (head_read(st, it->v))
					memcpy(p->plain, it->head, HEAD);
				it->plain = p->plain;
				if (p->dirty < it->fr.esp_len)
					p->dirty = it->fr.esp_len;
			}
			r = it->err ? it->err :
			    xc_esp_verify_opened(it->v->esa, &it->v->replay, &it->fr,
						 it->ip + it->fr.esp_off, it->fr.esp_len, &it->res,
						 it->plain, it->fr.esp_len, &it->res);
			if (r < 0) {
				xc_err_set(&st->xe, "packet %" PRIu64 ": %s", it->index, strerror(-r));
				break;
			}
			if (it->v->esn && it->v != esn) {
				publish_top(esn);
				esn = it->v;
			}
		}
		finish(st, it);
	}
	publish_top(esn);
	if (count && st->esp >= count)
		*enough = true;
	/* live: a batch is what was waiting (cut()); its lines go out now */
	if (st->live)
		print_end();
	/* the plaintexts stay until the batch is cut again, and pool_free()
	 * wipes the arenas */
	return r;
}

/* No more packets are needed: a thread reading (or waiting on an
 * interface) stops. Called with p->mu held. */
static void halt_reading(struct pool *p)
{
	atomic_store_explicit(&p->rd->halt, true, memory_order_relaxed);
	if (p->cutting)
		xc_capture_break(p->rd->cap);
}

/* An item set for w to cut into (under p->mu): one it cut into before if
 * it has one (what it writes next, cutting and opening, and most often
 * reads, in the turn, is then in its own cache, not in another thread's,
 * to be fetched line by line), else another thread's, else a new one: so
 * there are never more sets than places in the ring.
 * NULL if out of memory. */
static struct item_set *take_set(struct pool *p, struct worker *w)
{
	struct item_set **from = &w->free_sets, *s;

	for (size_t i = 0; !*from && i < p->nw; i++)
		from = &p->w[i].free_sets;
	if ((s = *from)) {
		*from = s->next;
		return s;
	}
	if (!(s = malloc(sizeof(*s))))
		return NULL;
	if (!(s->it = malloc(BATCH * sizeof(*s->it)))) {
		free(s);
		return NULL;
	}
	s->cap = BATCH;
	s->used = 0;
	s->all = p->sets;
	p->sets = s;
	return s;
}

/* A batch's items back to the thread that cut it, w (under p->mu). */
static void give_set(struct batch *b, struct worker *w)
{
	/* a set grown for a part of many small records goes back to its
	 * size (each ring place may hold one; if it cannot, it stays) */
	if (b->set->cap > 4 * BATCH)
		(void)set_resize(b->set, BATCH);
	b->set->next = w->free_sets;
	w->free_sets = b->set;
	b->set = NULL;
	b->items = NULL;
}

/* The next part of a mapped file into b (taken, its set too; called with
 * p->mu held, which it lets go while it reads). The first part starts at
 * the first record; any other from a guess, even when the part before has
 * been read (which it is not, most often, when several threads read):
 * one way, tried by every run. */
static void cut_part(struct pool *p, struct batch *b, struct worker *w)
{
	bool first = p->cut == 0;
	const uint8_t *hi;
	int r;

	b->from = p->first + p->cut * (size_t)PART;
	b->to = p->size - b->from > PART ? b->from + PART : p->size;
	if (b->to == p->size)
		p->eof = true;
	b->state = B_OPENING;
	b->opener = w;
	p->cut++;
	pthread_mutex_unlock(&p->mu);
	r = read_part(p, b, w, b->from, first);
	hi = b->hi; /* (b is another thread's once it is opened) */
	pthread_mutex_lock(&p->mu);
	if (r < 0) {
		p->err = p->err ? p->err : r;
		p->quit = true;
	}
	b->state = B_OPENED;
	pthread_cond_broadcast(&p->cv);
	/* the pages ahead, once the batch can have its turn: filling them
	 * takes up to a millisecond, which the other threads, their ring
	 * full, would wait out */
	pthread_mutex_unlock(&p->mu);
	xc_capture_populate(p->rd->cap, hi);
	pthread_mutex_lock(&p->mu);
}

/* Each thread, the main one too, until the end or an error: the turns
 * first (they free the ring's places), else the cutting of the next batch
 * and its opening, else a wait. */
static void work(struct worker *w)
{
	struct pool *p = w->pool;
	const uint8_t *done;
	struct batch *b;
	bool enough;
	int r;

	pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		/* parts are cut by any number of threads at once */
		bool can_cut = (p->parts || !p->cutting) && !p->eof && p->cut - p->turned < p->nb;

		b = &p->ring[p->turned % p->nb];
		if (!p->turning && p->turned < p->cut &&
		    b->state == B_OPENED && (b->opener == w || !can_cut)) {
			p->turning = true;
			enough = false;
			do {
				pthread_mutex_unlock(&p->mu);
				r = turn(p, b, w, &enough);
				pthread_mutex_lock(&p->mu);
				if (r == 0 && p->parts) {
					p->next_off = b->end;
					if (b->rerr < 0 && !enough) { /* a bad record */
						r = b->rerr;
						if (!p->err) { /* (else another error is told) */
							p->rd->xe = b->rxe;
							p->err_read = true;
						}
					}
				}
				if (b->hi)
					p->done = b->hi;
				give_set(b, b->opener);
				b->state = B_FREE;
				p->turned++;
				b = &p->ring[p->turned % p->nb];
			} while (r == 0 && p->turned < p->cut && b->state == B_OPENED &&
				 b->opener == w);
			p->turning = false;
			if (enough) { /* what is cut from now on, the turns pass over */
				p->eof = true;
				p->enough = true;
				halt_reading(p);
			}
			if (r < 0) {
				p->err = p->err ? p->err : r;
				p->quit = true;
				halt_reading(p);
			}
			/* the capture's bytes up to the last batch's end are
			 * done with: let go in large steps (each one stops the
			 * other threads for a flush of their TLBs), after the
			 * turns, which another thread may take meanwhile (a
			 * step takes the better part of a millisecond) */
			done = p->done;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			xc_capture_release(p->rd->cap, done, RELEASE_STEP);
			pthread_mutex_lock(&p->mu);
			continue;
		} else if (can_cut) {
			size_t at = p->cut % p->nb;

			b = &p->ring[at];
			if (!(b->set = take_set(p, w))) {
				p->err = p->err ? p->err : -ENOMEM;
				p->quit = true;
				halt_reading(p);
				pthread_cond_broadcast(&p->cv);
				continue;
			}
			b->items = b->set->it;
			if (p->parts) {
				cut_part(p, b, w);
				continue;
			}
			p->cutting = true;
			pthread_mutex_unlock(&p->mu);
			run_reset(b, p->runs);
			r = cut(p->st, p->rd, b);
			if (b->set->used < b->n)
				b->set->used = b->n;
			pthread_mutex_lock(&p->mu);
			p->cutting = false;
			if (r < 0)
				p->read_err = r;
			if (r < 0 || p->rd->eof)
				p->eof = true;
			if (b->n) { /* the packets read before an error, too */
				b->state = B_OPENING;
				b->opener = w;
				p->cut++;
			}
			pthread_cond_broadcast(&p->cv); /* the next batch can be cut */
			if (!b->n) {
				give_set(b, w);
				continue;
			}
			pthread_mutex_unlock(&p->mu);
			/* the file's pages are made readable ahead of the cutting */
			xc_capture_populate(p->rd->cap, b->hi);
			open_batch(p->st, b, w);
			pthread_mutex_lock(&p->mu);
			b->state = B_OPENED;
			continue;
		} else if (p->eof && !p->cutting && p->turned == p->cut) {
			/* all done; one thread would not have read as far as an
			 * error past --count */
			if (!p->err && p->read_err && !p->enough) {
				p->err = p->read_err;
				p->err_read = true;
			}
			p->quit = true;
		} else {
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		pthread_cond_broadcast(&p->cv);
	}
	done = p->done;
	pthread_mutex_unlock(&p->mu);
	/* the rest of what the turns are done with goes now, every thread
	 * letting go a part, not the main thread alone at the close */
	xc_capture_release(p->rd->cap, done, XC_CAPTURE_STEP);
}

/* A thread's clones of the SAs and its plaintext buffer, made by the
 * thread itself: in its own malloc arena, not beside another thread's,
 * whose contexts are written at every packet as well. 0 or -ENOMEM. */
static int worker_setup(struct worker *w)
{
	const struct vstate *st = w->pool->st;
	int r;

	if (!(w->esa = calloc(st->n, sizeof(*w->esa))) || !(w->plain = malloc(PKT_MAX)))
		return -ENOMEM;
	for (size_t k = 0; k < st->n; k++)
		if ((r = xc_esp_sa_clone(w->pool->tmpl[k], &w->esa[k])) < 0)
			return r;
	return 0;
}

/* Started before the SAs are read (pool_start()): waits for them and the
 * capture (pool_go()), or for the end. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pool *p = w->pool;
	bool go;
	int r;

	if (p->placed && pthread_setaffinity_np(pthread_self(), sizeof(p->allowed), &p->allowed)) {
		/* the CPUs allowed changed since (a cpuset shrunk): the ones
		 * allowed now, else this thread stays on its one CPU, which
		 * costs speed, not results */
		cpu_set_t now;

		if (sched_getaffinity(0, sizeof(now), &now) == 0)
			pthread_setaffinity_np(pthread_self(), sizeof(now), &now);
	}
	pthread_mutex_lock(&p->mu);
	while (!p->go && !p->quit)
		pthread_cond_wait(&p->cv, &p->mu);
	go = p->go && !p->quit; /* (a thread late to start may find all done) */
	pthread_mutex_unlock(&p->mu);
	if (!go)
		return NULL;
	if ((r = worker_setup(w)) < 0) {
		pthread_mutex_lock(&p->mu);
		if (!p->err && !p->quit) { /* (once all is done, nothing failed) */
			p->err = r;
			p->err_setup = true;
		}
		p->quit = true;
		halt_reading(p);
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	work(w);
	return NULL;
}

/* Every thread but the caller's has left when this returns. */
static void pool_join(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	halt_reading(p);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->nw; i++) {
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
		p->w[i].started = false;
	}
}

static void pool_free(struct pool *p)
{
	if (!p)
		return;
	pool_join(p);
	for (size_t k = 0; p->tmpl && k < p->st->n; k++)
		xc_esp_sa_free(p->tmpl[k]);
	free(p->tmpl);
	for (size_t i = 0; i < p->nw; i++) {
		for (size_t k = 0; p->w[i].esa && k < p->st->n; k++)
			xc_esp_sa_free(p->w[i].esa[k]);
		free(p->w[i].esa);
		if (p->w[i].plain)
			explicit_bzero(p->w[i].plain, p->w[i].dirty);
		free(p->w[i].plain);
	}
	for (struct item_set *s = p->sets, *next; s; s = next) {
		next = s->all;
		for (size_t k = 0; k < s->used; k++)
			explicit_bzero(s->it[k].head, HEAD);
		free(s->it);
		free(s);
	}
	for (size_t i = 0; p->ring && i < p->nb; i++) {
		if (p->ring[i].out)
			explicit_bzero(p->ring[i].out, p->ring[i].dirty);
		free(p->ring[i].in);
		free(p->ring[i].out);
	}
	if (p->plain)
		explicit_bzero(p->plain, p->dirty);
	free(p->plain);
	free(p->ring);
	free(p->w);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* jobs threads in all: the caller's (w[0], run by it) and jobs - 1 more,
 * started here, before the SAs are read: they wait for pool_go(). Each is
 * started on a CPU other than the caller's and the others' (when there
 * are CPUs enough), then let run anywhere again (worker_main()): as
 * measured (2 virtual CPUs, Linux 6.18), a thread created without that
 * was put on its creator's CPU, busy, and ran only 1 to 3 ms later, when
 * it was moved to the idle one. */
static int pool_start(struct vstate *st, struct reader *rd, unsigned int jobs, struct pool **out)
{
	struct pool *p = calloc(1, sizeof(*p));
	int r = -ENOMEM, cpu;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->st = st;
	p->rd = rd;
	p->nb = 2 * (size_t)jobs + 2;
	if (!(p->w = aligned_calloc(jobs, sizeof(*p->w))))
		goto out;
	p->nw = jobs; /* (pool_free() goes over nw workers) */
	for (size_t i = 0; i < p->nw; i++)
		p->w[i].pool = p;
	cpu = sched_getcpu();
	p->placed = cpu >= 0 && sched_getaffinity(0, sizeof(p->allowed), &p->allowed) == 0 &&
		    CPU_ISSET(cpu, &p->allowed) && CPU_COUNT(&p->allowed) >= (int)jobs;
	for (size_t i = 1; i < p->nw; i++) {
		pthread_attr_t attr;
		cpu_set_t one;

		pthread_attr_init(&attr);
		if (p->placed) {
			do /* the next allowed CPU */
				cpu = (cpu + 1) % CPU_SETSIZE;
			while (!CPU_ISSET(cpu, &p->allowed));
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
		}
		r = -pthread_create(&p->w[i].thread, &attr, worker_main, &p->w[i]);
		pthread_attr_destroy(&attr);
		if (r < 0 && p->placed) /* (the CPU went offline?) anywhere then */
			r = -pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]);
		if (r < 0)
			goto out;
		p->w[i].started = true;
	}
	*out = p;
	p = NULL;
	r = 0;
out:
	pool_free(p);
	return r;
}

/* The SAs are read and the capture open: the ring, and the threads go.
 * 0 or -errno. */
static int pool_go(struct pool *p)
{
	struct vstate *st = p->st;
	int r;

	/* the turns count ESP packets; reading goes on until they stop it */
	p->count = p->rd->count;
	p->rd->count = 0;
	p->runs = st->quiet && !st->w && !p->count;
	p->size = xc_capture_span(p->rd->cap, &p->first);
	p->parts = p->size > 0;
	p->next_off = p->first;
	if (!(p->ring = aligned_calloc(p->nb, sizeof(*p->ring))) || !(p->plain = malloc(PKT_MAX)))
		return -ENOMEM;
	for (size_t i = 0; i < p->nb; i++)
		if ((!p->parts && !(p->ring[i].in = malloc(ARENA))) ||
		    (st->w && !(p->ring[i].out = malloc(ARENA))))
			return -ENOMEM;
	if (!(p->tmpl = calloc(st->n, sizeof(*p->tmpl))))
		return -ENOMEM;
	for (size_t k = 0; k < st->n; k++)
		if ((r = xc_esp_sa_clone(st->sas[k].esa, &p->tmpl[k])) < 0)
			return r;
	if ((r = worker_setup(&p->w[0])) < 0)
		return r;
	pthread_mutex_lock(&p->mu);
	p->go = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Several threads: see "several threads" above. */
static int run_parallel(struct vstate *st, struct reader *rd, struct pool *p)
{
	int r;

	/* the cutting thread reads headers; open_batch() fetches the rest
	 * (parts are read through) */
	xc_capture_set_prefetch(rd->cap, XC_PREFETCH_HEADERS);
	r = pool_go(p);
	if (r == 0)
		work(&p->w[0]);
	pool_join(p);
	if (r == 0 && p->err_setup)
		r = p->err;
	if (r < 0) {
		xc_err_set(&st->xe, "starting %zu threads: %s", p->nw, strerror(-r));
		return r;
	}
	if (p->err_read)
		st->xe = rd->xe;
	return p->err;
}

/* ---- the command ---- */

static int verify_run(int argc, char **argv)
{
	const char *pcap = NULL, *live = NULL, *sa_file = NULL, *filter = NULL, *out_path = NULL;
	unsigned long long port = 4500, jobs = 1;
	struct vstate st = { 0 };
	struct reader rd = { 0 };
	struct pool *pool = NULL;
	int r, ret = EXIT_USAGE;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], **dst = NULL;
		unsigned long long *num = NULL;
		char *end;

		if (!strcmp(a, "help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(a, "--quiet")) {
			st.quiet = true;
			continue;
		}
		if (!strcmp(a, "--pcap")) dst = &pcap;
		else if (!strcmp(a, "--live")) dst = &live;
		else if (!strcmp(a, "--sa-file")) dst = &sa_file;
		else if (!strcmp(a, "--filter")) dst = &filter;
		else if (!strcmp(a, "--write-decrypted")) dst = &out_path;
		else if (!strcmp(a, "--count")) num = &rd.count;
		else if (!strcmp(a, "--encap-port")) num = &port;
		else if (!strcmp(a, "--jobs")) num = &jobs;
		else {
			err_msg("verify: unknown option '%s' (see 'xfrmctl verify help')", a);
			return EXIT_USAGE;
		}
		if (++i >= argc) {
			err_msg("verify: '%s' needs a value", a);
			return EXIT_USAGE;
		}
		if (dst) {
			*dst = argv[i];
			continue;
		}
		errno = 0;
		*num = strtoull(argv[i], &end, 0);
		if (errno || *end || argv[i][0] < '0' || argv[i][0] > '9' ||
		    (num == &port && (port == 0 || port > 65535)) ||
		    (num == &jobs && (jobs == 0 || jobs > MAX_JOBS))) {
			if (num == &jobs)
				err_msg("verify: bad number '%s' after '%s' (1 to %d)", argv[i], a,
					MAX_JOBS);
			else
				err_msg("verify: bad number '%s' after '%s'", argv[i], a);
			return EXIT_USAGE;
		}
	}
	if (!pcap == !live) {
		err_msg("verify: give one of '--pcap FILE' and '--live IFACE'");
		return EXIT_USAGE;
	}
	st.port = (uint16_t)port;

	ret = EXIT_RUNTIME;
	if (jobs > 1 && (r = pool_start(&st, &rd, (unsigned int)jobs, &pool)) < 0) {
		err_msg("verify: starting %llu threads: %s", jobs, strerror(-r));
		goto out;
	}
	if (sa_file) {
		r = xc_safile_read(sa_file, file_one, &st, &st.xe);
		if (r < 0) {
			err_msg("verify: %s", st.xe.msg);
			ret = r == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
			goto out;
		}
	} else {
		struct xc_nl *nl = cli_nl("verify");

		if (!nl)
			goto out;
		r = xc_sa_dump(nl, dump_one, &st, &st.xe);
		if (r < 0) {
			err_msg("verify: SAs from the kernel: %s", st.xe.msg[0] ? st.xe.msg : strerror(-r));
			cli_nl_close();
			goto out;
		}
	}
	if (!st.n) {
		err_msg("verify: no ESP SA to verify against (%s)",
			sa_file ? "the SA file has none" : "the kernel has none here; -n NETNS?");
		goto out;
	}
	if (index_sas(&st) < 0) {
		err_msg("verify: out of memory");
		goto out;
	}
	r = pcap ? xc_capture_open_file(&rd.cap, pcap, filter, &st.xe)
		 : xc_capture_open_live(&rd.cap, live, filter, &st.xe);
	if (r < 0) {
		err_msg("verify: %s", st.xe.msg);
		ret = r == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	if (out_path && ((r = xc_pcap_out_open(&st.w, out_path, &st.xe)) < 0 ||
			 !(st.inner = malloc(INNER_MAX)))) {
		err_msg("verify: %s", r < 0 ? st.xe.msg : "out of memory");
		goto out;
	}
	if (live) {
		struct sigaction sa = { .sa_handler = on_signal };

		live_cap = rd.cap;
		st.live = true;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	print_init(stdout, G.json);
	r = pool ? run_parallel(&st, &rd, pool) : run_serial(&st, &rd);
	if (r < 0) {
		err_msg("verify: %s", st.xe.msg[0] ? st.xe.msg : strerror(-r));
		goto out;
	}
	print_summary(&st);
	ret = cli_finish_output("verify");
	if (ret == EXIT_OK && st.w) {
		r = xc_pcap_out_close(st.w);
		st.w = NULL;
		if (r < 0) {
			err_msg("verify: writing '%s': %s", out_path, strerror(-r));
			ret = EXIT_RUNTIME;
		}
	}
	if (ret == EXIT_OK && st.any_drop)
		ret = EXIT_DROPS;
out:
	pool_free(pool);
	live_cap = NULL;
	xc_pcap_out_close(st.w);
	xc_capture_close(rd.cap);
	for (size_t i = 0; i < st.n; i++) {
		xc_esp_sa_free(st.sas[i].esa);
		xc_sa_clear(&st.sas[i].sa);
	}
	free(st.sas);
	free(st.by_spi);
	if (st.inner)
		explicit_bzero(st.inner, INNER_MAX);
	free(st.inner);
	return ret;
}

/* The plugin's table (cli/plugin.h): verify_main in the binary runs it. */
CLI_PLUGIN_EXPORT const struct verify_plugin xfrmctl_plugin = {
	.head = { .abi = XFRMCTL_ABI },
	.main = verify_run,
};
