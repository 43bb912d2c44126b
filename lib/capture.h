/* Packets from captures (classic pcap and pcapng files, read in place;
 * interfaces and pipes through libpcap), handed on as IP
 * packets, and decrypted packets written back as a pcap. */
#ifndef XFRMCTL_CAPTURE_H
#define XFRMCTL_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "nl.h"

struct xc_capture;

/* A capture file, or a live interface (snaplen 262144, promiscuous off).
 * filter: a BPF expression (tcpdump's syntax) or NULL. Errors in err. */
int xc_capture_open_file(struct xc_capture **out, const char *path, const char *filter,
			 struct xc_err *err);
int xc_capture_open_live(struct xc_capture **out, const char *ifname, const char *filter,
			 struct xc_err *err);
void xc_capture_close(struct xc_capture *cap);
/* A capture file (classic pcap or pcapng) is read in place, and while the caller works on a
 * record, the bytes that follow are asked for (prefetched into this CPU's
 * caches): STREAM (the default), all of them, some KiB ahead, for a caller
 * that reads each packet through; HEADERS, the first 128 bytes of the next
 * records, for one that reads only headers and hands the packets to other
 * threads (which prefetch the rest themselves). Nothing for libpcap's. */
enum xc_prefetch { XC_PREFETCH_STREAM, XC_PREFETCH_HEADERS };
void xc_capture_set_prefetch(struct xc_capture *cap, enum xc_prefetch how);
/* A capture file's pages are made readable ahead of the reader, in
 * steps, by xc_capture_next() itself; another thread that handles the
 * packets at `at` (a pointer into the file's bytes, as handed on) can do
 * it for the reader, to spare it the time: up to some MiB beyond `at`.
 * Safe from any thread while the capture is open. Nothing for libpcap's. */
void xc_capture_populate(struct xc_capture *cap, const uint8_t *at);
/* The caller is done with the bytes of a capture file before `at` (a
 * pointer into them, as handed on, or the end of one): their pages are let
 * go, whole steps of `step` bytes (a multiple of XC_CAPTURE_STEP) at a
 * time, while the reading goes on, not all at xc_capture_close() (where
 * it is the one part of closing that takes time) or at the exit. Each
 * step flushes the TLBs of the CPUs the process runs on: a process of one
 * thread can take small steps, threads running at once large ones. The
 * steps are taken one by one, so that threads that call this at once
 * share the work. Bytes let go still read the same if read again (they
 * come from the file again). Safe from any thread while the capture is
 * open. Nothing for libpcap's. */
#define XC_CAPTURE_STEP (4u << 20)
void xc_capture_release(struct xc_capture *cap, const uint8_t *at, size_t step);
/* Live: whether xc_capture_next waits for a packet (at most a tenth of a
 * second, then -EAGAIN) or says -EAGAIN at once when none is there; a file
 * never waits. 0 or -EIO. */
int xc_capture_set_wait(struct xc_capture *cap, bool wait);
/* Stop a blocking xc_capture_next (from a signal handler, or another
 * thread, too); the capture has ended then. */
void xc_capture_break(struct xc_capture *cap);

struct xc_packet {
	struct timeval ts;
	const uint8_t *ip; /* the IP packet (link layer stripped) */
	size_t ip_len;     /* captured bytes from there */
	size_t wire_len;   /* the frame's length on the wire */
	uint64_t index;    /* 1 for the first packet read */
	int link_ok;       /* 0: not IPv4/IPv6 behind a link layer we know */
	int stable;        /* 1: the bytes stay until xc_capture_close() (a classic
			    * pcap or pcapng file, read in place), not only until the next call;
			    * see xc_capture_release() */
};

/* The next packet (valid until the next call, or longer if pkt->stable):
 * 1, 0 at the end, or -errno (-EAGAIN: live, nothing yet); once 0 or an
 * error (not -EAGAIN), every later call returns it again. A classic pcap
 * or pcapng file is read in place (mapped); interfaces and pipes through
 * libpcap. */
int xc_capture_next(struct xc_capture *cap, struct xc_packet *pkt, struct xc_err *err);

/* A classic pcap file read in place can be read in parts, by several
 * threads at once, each part the records that start in a span of the
 * file's bytes. xc_capture_span: the file's size, and in *first where its
 * first record starts; 0 if the capture is not such a file (a pcapng
 * file, read in place, is read by one reader only). */
size_t xc_capture_span(const struct xc_capture *cap, size_t *first);
struct xc_capture_part {
	size_t off; /* the next record's offset; where the part ended, at the end */
	size_t end; /* the part is the records that start before this */
	size_t pf;  /* prefetched up to */
	uint64_t n; /* records handed on (their index: 1, 2...) */
};
/* A part of the records that start in [from, to): at from if exact (a
 * record starts there, or from is to), else at the first offset from
 * there that looks like a record's start (the headers that follow from
 * there look like headers), or at to if none does. A guess can be
 * wrong: it is right if pt->off is where the part before ended. */
void xc_capture_part_start(const struct xc_capture *cap, struct xc_capture_part *pt, size_t from,
			   size_t to, bool exact);
/* The part's next record that passes the filter (stable, its index
 * counted in the part), as xc_capture_next(): 1, 0 once the next record
 * starts at or past the part's end (pt->off is there) or the file ends,
 * or -EIO at a bad record (pt->off is at it). Safe from any thread, each
 * with parts of its own. */
int xc_capture_part_next(struct xc_capture *cap, struct xc_capture_part *pt,
			 struct xc_packet *pkt, struct xc_err *err);

/* Where the IP packet starts in a frame of link type dlt (DLT_* of pcap):
 * Ethernet with VLAN tags, Linux cooked v1/v2 (tcpdump -i any), raw IP,
 * BSD loopback. Pure. Returns 0 and sets *off, or -EPROTONOSUPPORT (not
 * IP, or a link type not known) or -EBADMSG (too short). */
int xc_link_ip_offset(int dlt, const uint8_t *frame, size_t len, size_t *off);

/* A pcap of raw IP packets (LINKTYPE_RAW), created 0600. */
struct xc_pcap_out;
int xc_pcap_out_open(struct xc_pcap_out **out, const char *path, struct xc_err *err);
int xc_pcap_out_write(struct xc_pcap_out *w, const struct timeval *ts, const uint8_t *ip,
		      size_t len);
/* Flushes and closes; -errno if writing failed at any point. */
int xc_pcap_out_close(struct xc_pcap_out *w);

#endif
