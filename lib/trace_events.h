/* The output of trace/xfrm-rx.bt, parsed line by line, and what it adds up
 * to per SA: packets seen at each hop, the decryption path, drops with the
 * XfrmIn* counter, the last sequence number, the rate. Pure: no I/O. The
 * line format is documented in the script's header. */
#ifndef XFRMCTL_TRACE_EVENTS_H
#define XFRMCTL_TRACE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The functions the script reports, in the order a packet meets them
 * (IPv4 and IPv6 side by side; one packet meets only one family's). The
 * script's hops= mask has bit N for hop N on the outer pass and bit 32 + N
 * on the inner pass (the UDP hops only: N < XC_HOP_INNER_N). The script as
 * it is now ends a packet at xfrm_rcv_cb: it sets neither the
 * transport_finish bits nor the inner pass's, which earlier versions set
 * (their output still parses). */
enum xc_tr_hop {
	XC_HOP_UDP_RCV,
	XC_HOP_UDPV6_RCV,
	XC_HOP_UDP4_LIB_RCV,
	XC_HOP_UDP6_LIB_RCV,
	XC_HOP_UDP_QUEUE_RCV_SKB,
	XC_HOP_UDPV6_QUEUE_RCV_SKB,
	XC_HOP_XFRM4_UDP_ENCAP_RCV,
	XC_HOP_XFRM6_UDP_ENCAP_RCV,
	XC_HOP_XFRM4_RCV_ENCAP,
	XC_HOP_XFRM6_RCV_ENCAP,
	XC_HOP_XFRM4_RCV,
	XC_HOP_XFRM6_RCV,
	XC_HOP_ESP4_GRO_RECEIVE,
	XC_HOP_ESP6_GRO_RECEIVE,
	XC_HOP_XFRM_INPUT,
	XC_HOP_XFRM_INPUT_RESUME,
	XC_HOP_ESP_INPUT,
	XC_HOP_ESP6_INPUT,
	XC_HOP_ESP_INPUT_TAIL,
	XC_HOP_ESP6_INPUT_TAIL,
	XC_HOP_ESP_INPUT_DONE2,
	XC_HOP_ESP6_INPUT_DONE2,
	XC_HOP_XFRM_RCV_CB,
	XC_HOP_XFRM4_TRANSPORT_FINISH,
	XC_HOP_XFRM6_TRANSPORT_FINISH,
	XC_HOP_N,
};
#define XC_HOP_INNER_N (XC_HOP_UDPV6_QUEUE_RCV_SKB + 1)
#define XC_HOP_INNER_BIT 32

/* The function's name; NULL for an out-of-range hop. */
const char *xc_tr_hop_name(enum xc_tr_hop hop);
/* The hop of a function name, or -ENOENT. */
int xc_tr_hop_lookup(const char *name);

enum xc_tr_kind {
	XC_TR_IGNORE,	/* blank, bpftrace's "Attaching N probes...", an unknown map */
	XC_TR_READY,	/* READY xfrm-rx mode=… port=… */
	XC_TR_TICK,	/* TICK ns: the end of a block of map lines */
	XC_TR_LOST,	/* bpftrace's "Lost N events" */
	XC_TR_PACKET,	/* PKT: a packet at the end of its path, with its hops */
	XC_TR_DROP,	/* DROP: a followed packet freed, with its hops */
	XC_TR_AGG_PKT,	/* @pkt[spi, encap, hops]: n */
	XC_TR_AGG_DROP, /* @drop[spi, stage, counter, reason]: n */
	XC_TR_AGG_SEQ,	/* @seq[spi]: n */
};

#define XC_TR_NAME 32
#define XC_TR_COUNTER 64

struct xc_tr_line {
	enum xc_tr_kind kind;
	uint64_t ns;	/* EV, DROP, TICK: CLOCK_MONOTONIC */
	uint64_t count; /* LOST, AGG_*: the number */
	uint64_t skb;
	uint32_t spi, seq;
	int encap;
	uint64_t hops;	/* PKT, DROP, AGG_PKT: the mask of hops (see enum xc_tr_hop) */
	uint32_t spiarg; /* PKT: xfrm_input's spi argument */
	int err;	/* PKT, DROP: the crypto result */
	int reason;	/* DROP, AGG_DROP: enum skb_drop_reason of this kernel */
	bool events;	/* READY: events mode */
	unsigned int port; /* READY */
	char stage[XC_TR_NAME];	      /* DROP, AGG_DROP */
	char where[XC_TR_NAME];	      /* DROP: the function that freed it */
	char counter[XC_TR_COUNTER];  /* DROP, AGG_DROP: "XfrmIn…", "A|B" or "-" */
};

/* Parse one line (no newline needed). 0, or -EINVAL if it is not what the
 * script prints (out->kind is then XC_TR_IGNORE). */
int xc_tr_parse_line(const char *line, struct xc_tr_line *out);

/* A PKT or DROP line's packet as a whole (events mode prints one object
 * per packet): its hops in the order of the path (enum xc_tr_hop), the
 * outer pass then the inner; the path that decrypted it (that of
 * esp_input_done2, else of the esp_input* hop it reached; none if it
 * reached neither) and whether through GRO; the crypto result, known once
 * it reached esp_input_done2 or xfrm_rcv_cb (which runs only on success). */
struct xc_tr_packet {
	unsigned int n_outer, n_inner;
	uint8_t outer[XC_HOP_N];       /* enum xc_tr_hop */
	uint8_t inner[XC_HOP_INNER_N];
	bool decrypted; /* it reached esp_input_done2 */
	bool has_path, offload, gro;
	bool has_err;
	int err;
};
void xc_tr_packet(const struct xc_tr_line *l, struct xc_tr_packet *out);

#define XC_TR_MAX_DROP_KINDS 8

struct xc_tr_drop {
	char stage[XC_TR_NAME];
	char counter[XC_TR_COUNTER];
	char where[XC_TR_NAME]; /* events mode only; "" in aggregate mode */
	int reason;
	uint64_t n;
};

/* What has been seen of one SPI since the start. */
struct xc_tr_counts {
	uint64_t hop[XC_HOP_N][2]; /* [hop][0 outer, 1 inner] */
	uint64_t software, offload, gro; /* decryptions by path; gro: of these via GRO */
	uint64_t drops;			 /* all drops, including those in 'other' */
	unsigned int n_drop_kinds;
	struct xc_tr_drop drop[XC_TR_MAX_DROP_KINDS]; /* beyond these: counted only */
	uint32_t last_seq;
	bool has_seq;
};

struct xc_tr_sa {
	uint32_t spi;
	struct xc_tr_counts c;	    /* as of the last complete block or event */
	struct xc_tr_counts next;   /* aggregate mode: the block being read */
	int encap;		    /* last seen: 2 ESP-in-UDP, 0 plain, -1 unknown */
	double rate;		    /* packets/s at xfrm_input over the last interval */
	uint64_t rate_packets;	    /* packets at the start of that interval */
	uint64_t rate_ns;	    /* and its time */
	uint64_t changed_ns;	    /* last time its counts changed */
	uint64_t prev_drops;	    /* aggregate mode: drops before the last block */
	void *user;		    /* for the caller (what it knows of the SA) */
};

struct xc_tr_model {
	bool ready, events;
	unsigned int port;
	uint64_t ready_ns; /* the first TICK or event after READY, 0 before */
	uint64_t now_ns;   /* the newest time seen */
	uint64_t lost;	   /* events bpftrace said it lost */
	uint64_t ticks;
	uint64_t malformed; /* lines that did not parse */
	size_t n, cap;
	struct xc_tr_sa **sa; /* in order of first sight */
};

void xc_tr_model_init(struct xc_tr_model *m);
/* Frees the SAs (not what their 'user' points to). */
void xc_tr_model_clear(struct xc_tr_model *m);

/* Fold one parsed line in. Returns 1 if what a viewer shows changed (an
 * event, a drop, a complete block), 0 if not, -ENOMEM. */
int xc_tr_model_apply(struct xc_tr_model *m, const struct xc_tr_line *l);

/* The SA of spi, or NULL. */
struct xc_tr_sa *xc_tr_model_find(const struct xc_tr_model *m, uint32_t spi);

/* Packets of an SA: those that reached xfrm_input (every ESP packet for
 * the SPI does, whether or not the kernel has the SA). */
uint64_t xc_tr_packets(const struct xc_tr_counts *c);

/* The path an SA's packets took: "software", "offload", "mixed", "none". */
const char *xc_tr_path(const struct xc_tr_counts *c);

#endif
