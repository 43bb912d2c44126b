/* Shared by cli/trace.c (check, list), cli/trace_live.c (live: bpftrace,
 * the loop, line and JSON output) and cli/trace_tui.c (the ncurses view). */
#ifndef XFRMCTL_CLI_TRACE_H
#define XFRMCTL_CLI_TRACE_H

#include <arpa/inet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_events.h"

/* "bpftrace v0.17.0", or NULL if it cannot be run. */
const char *trace_bpftrace_version(void);
/* Where the scripts are: $XFRMCTL_TRACE_DIR, the source tree of this
 * binary, or the installed DATADIR. */
const char *trace_dir(void);

int trace_live_main(int argc, char **argv);

/* What the kernel's SAD says of an SPI (the trace sees only SPIs). */
struct live_sa_info {
	bool known;
	unsigned int n_sas; /* SAs with this SPI (in any direction) */
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char proto[8];
	char mode[12];
	char encap[16]; /* "espinudp", "espintcp", "" for none */
	uint16_t sport, dport;
	char offload_dev[IF_NAMESIZE];
	char offload_dir[4]; /* "in", "out", "" */
};

enum live_sort { SORT_SPI, SORT_PACKETS, SORT_DROPS, SORT_RATE, SORT_N };

#define LIVE_RING 256
#define LIVE_RING_LINE 160
#define LIVE_ERR 8192

struct live {
	struct xc_tr_model m;
	/* options */
	const char *script;
	unsigned int port;
	bool events;
	bool has_spi;
	uint32_t spi;
	uint64_t duration_ns; /* 0: until stopped */
	uint64_t count;	      /* 0: no limit */
	/* the view */
	bool paused;
	bool help;
	bool dirty; /* a key changed the view: draw now */
	enum live_sort sort;
	char filter[64];
	size_t selected; /* row index in the sorted, filtered list */
	/* recent events and drops, and bpftrace's stderr */
	char ring[LIVE_RING][LIVE_RING_LINE];
	size_t ring_head, ring_n;
	char err[LIVE_ERR];
	size_t err_len;
	const char *status; /* "starting bpftrace (compiling)", "tracing", … */
	uint64_t started_ns; /* our CLOCK_MONOTONIC at READY */
};

/* The row info of an SA of the model (NULL if never looked up). */
static inline struct live_sa_info *live_info(const struct xc_tr_sa *sa)
{
	return (struct live_sa_info *)sa->user;
}

/* Whether an SA passes --spi and the view's filter. */
bool live_shown(const struct live *lv, const struct xc_tr_sa *sa, bool use_filter);
/* Add a line to the events pane. */
void live_log(struct live *lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Our CLOCK_MONOTONIC in ns (bpftrace's nsecs is the same clock). */
uint64_t live_now(void);

#endif
