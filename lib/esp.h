/* ESP inbound processing in userspace, as the kernel's xfrm_input() and
 * esp_input()/esp6_input() (Linux 6.1) do it for one packet, with their
 * verdicts named after the /proc/net/xfrm_stat counters they would bump.
 * Pure: no I/O; the crypto is OpenSSL 3 EVP, one set of contexts per SA,
 * made once (xc_esp_sa_new) and reused for every packet.
 *
 * The order of the checks is the kernel's:
 *   header (8 bytes) → SPI → encapsulation → replay check → hard lifetime →
 *   IV/length → ICV and decryption → trailer (pad length, next header 59) →
 *   replay advance → lifetime counters → inner mode (tunnel, BEET)
 * so a packet that is both replayed and corrupted is a replay, and a tunnel
 * packet with a bad inner header still moves the replay window. */
#ifndef XFRMCTL_ESP_H
#define XFRMCTL_ESP_H

#include <linux/xfrm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"
#include "replay.h"

struct xc_sa;
struct xc_esp_sa;

/* Named after the XfrmIn* counter the kernel bumps for the packet. */
enum xc_verdict {
	XC_V_OK,
	XC_V_IN_ERROR,             /* XfrmInError (not given by xc_esp_verify) */
	XC_V_IN_HDR_ERROR,         /* XfrmInHdrError: shorter than an ESP header */
	XC_V_IN_NO_STATES,         /* XfrmInNoStates: no SA (SPI, address, expired) */
	XC_V_IN_STATE_PROTO_ERROR, /* XfrmInStateProtoError: ICV, length, trailer */
	XC_V_IN_STATE_MODE_ERROR,  /* XfrmInStateModeError: inner header (tunnel, BEET) */
	XC_V_IN_STATE_SEQ_ERROR,   /* XfrmInStateSeqError: replay window */
	XC_V_IN_STATE_EXPIRED,     /* XfrmInStateExpired: hard byte/packet limit */
	XC_V_IN_STATE_MISMATCH,    /* XfrmInStateMismatch: UDP encapsulation differs */
	XC_V_IN_STATE_INVALID,     /* XfrmInStateInvalid (not given by xc_esp_verify) */
	XC_V_COUNT
};

/* "XfrmInStateSeqError"; "ok" for XC_V_OK. */
const char *xc_verdict_counter(enum xc_verdict v);

/* Warnings: the kernel accepts (or does not look), but something is off. */
enum {
	XC_ESP_W_PAD_CONTENT = 1 << 0, /* padding is not 1, 2, 3, … (RFC 4303 §2.4) */
	XC_ESP_W_UNALIGNED = 1 << 1,   /* payload + trailer not a multiple of 4 */
	XC_ESP_W_SEQ_GAP = 1 << 2,     /* sequence numbers skipped before this one */
	XC_ESP_W_LATE = 1 << 3,        /* older than the highest seen, inside the window */
	XC_ESP_W_SEQ_HI = 1 << 4,      /* ESN: high bits inferred other than the current */
	XC_ESP_W_NO_REPLAY = 1 << 5,   /* window 0: the kernel checks no sequence number */
	XC_ESP_W_NAT_MAPPING = 1 << 6, /* NAT-T source differs: the kernel reports a new mapping */
	XC_ESP_W_NESTED = 1 << 7,      /* transport mode, inner ESP/AH/IPcomp: another SA next */
	XC_ESP_W_SOFT_EXPIRED = 1 << 8,/* soft byte/packet limit reached (an expire event) */
};

/* x->stats counters (ip -s xfrm state) the packet moves. */
enum {
	XC_ESP_STAT_REPLAY_WINDOW = 1 << 0, /* "replay-window": too old */
	XC_ESP_STAT_REPLAY = 1 << 1,        /* "replay": seen before */
	XC_ESP_STAT_INTEGRITY = 1 << 2,     /* "failed": ICV (-EBADMSG) */
};

struct xc_esp_result {
	enum xc_verdict verdict;
	int err;      /* esp_input's error for PROTO_ERROR: -EBADMSG (ICV) or -EINVAL */
	enum xc_replay_verdict replay;
	unsigned int stats; /* XC_ESP_STAT_* */
	char detail[112];   /* why, for a drop: "replayed seq 5", "ICV mismatch" */

	uint32_t spi;       /* host order */
	uint32_t seq_lo;    /* on the wire */
	uint32_t seq_hi;    /* inferred (ESN), else 0 */
	uint64_t seq;       /* seq_hi:seq_lo */

	/* after decryption (verdicts from the trailer check on) */
	size_t plain_len;   /* decrypted bytes, trailer included, at out[0] */
	size_t payload_off; /* the payload in out[]: always 0 */
	size_t payload_len; /* without padding, pad length and next header */
	uint8_t pad_len;
	uint8_t next_header;

	unsigned int warn;  /* XC_ESP_W_* */
	uint64_t gap;       /* XC_ESP_W_SEQ_GAP: how many were skipped */
	uint64_t behind;    /* XC_ESP_W_LATE: how far below the highest */
	unsigned int bad_pad_at; /* XC_ESP_W_PAD_CONTENT: first bad byte (0-based) */
	uint8_t bad_pad_val;

	bool opened;        /* xc_esp_open_ahead() opened the packet (see there) */
};

/* The verifier's own copy of an inbound ESP SA: algorithms, keys (inside
 * the EVP contexts), mode, encapsulation, lifetime limits and counters.
 * Refused as the kernel refuses the SA (-EINVAL: no ESP, AEAD with auth or
 * crypt, an ICV or key size the kernel's crypto rejects, ESN state
 * missing), -EOPNOTSUPP for an algorithm OpenSSL lacks here (serpent,
 * twofish, xcbc(aes), cbc(des), cbc(cast5), cbc(blowfish)), -ENOMEM.
 * err says which. Plain `auth` is truncated as the kernel does (96 bits but
 * for SHA-384/512: 192/256), `auth-trunc` to its icv_bits (0: the same
 * default); HMAC keys may be of any length, as in the kernel.
 * The xc_sa can be cleared afterwards: nothing points into it. */
int xc_esp_sa_new(const struct xc_sa *sa, struct xc_esp_sa **out, struct xc_err *err);
/* Frees the contexts; every key byte and the salt are zeroed. NULL is fine. */
void xc_esp_sa_free(struct xc_esp_sa *esa);

/* Lifetime counters of the SA (curlft): 0 when made; set them from a live
 * SA's to continue from there. Clears the "expired" state. */
void xc_esp_sa_set_lifetime(struct xc_esp_sa *esa, uint64_t bytes, uint64_t packets);
void xc_esp_sa_get_lifetime(const struct xc_esp_sa *esa, uint64_t *bytes, uint64_t *packets);

/* ICV and IV bytes on the wire, for callers that size buffers. */
unsigned int xc_esp_sa_icv_len(const struct xc_esp_sa *esa);
unsigned int xc_esp_sa_iv_len(const struct xc_esp_sa *esa);

/* Where a packet came from, beyond its ESP bytes (from xc_esp_parse_ip()). */
enum xc_frame_kind {
	XC_FRAME_ESP,       /* esp_off/esp_len hold ESP for xfrm_input */
	XC_FRAME_IKE,       /* UDP to the encap port, non-ESP marker or <= 8 bytes: IKE's */
	XC_FRAME_KEEPALIVE, /* NAT-T keepalive (one byte 0xff): dropped, no counter */
	XC_FRAME_FRAGMENT,  /* an IP fragment: reassemble first */
	XC_FRAME_TRUNCATED, /* the capture holds less than the IP length says */
	XC_FRAME_MALFORMED, /* not a well-formed IPv4/IPv6 packet */
	XC_FRAME_OTHER,     /* neither ESP nor on the encap port */
};

struct xc_frame {
	enum xc_frame_kind kind;
	const char *why;        /* MALFORMED, OTHER…: a static phrase */
	uint16_t family;        /* AF_INET, AF_INET6 */
	xfrm_address_t saddr, daddr;
	uint8_t proto;          /* IPPROTO_ESP or IPPROTO_UDP; OTHER: the last next header */
	uint16_t sport, dport;  /* UDP, host order */
	uint16_t encap_type;    /* 0, UDP_ENCAP_ESPINUDP or _NON_IKE: xfrm_input's encap_type */
	size_t esp_off, esp_len;/* ESP header onward, up to the IP length */
	uint32_t spi, seq;      /* host order (ESP with at least 8 bytes) */
};

/* Classify an IPv4 or IPv6 packet (from its IP header; the caller strips
 * the link layer) as the kernel's receive path would before xfrm_input:
 * ESP (protocol 50, after IPv6 extension headers), or ESP in UDP to
 * encap_port (0: 4500) as xfrm4_udp_encap_rcv / xfrm6_udp_encap_rcv judge
 * it for a socket of encap_type (0: UDP_ENCAP_ESPINUDP; or
 * UDP_ENCAP_ESPINUDP_NON_IKE). Bytes past the IP length (link padding) are
 * ignored. Always fills f; returns 0, or -EINVAL for a bad encap_type. */
int xc_esp_parse_ip(const uint8_t *pkt, size_t len, uint16_t encap_port, uint16_t encap_type,
		    struct xc_frame *f);

/* Does this frame go to this SA: ESP, same family, destination and SPI. */
bool xc_esp_frame_matches(const struct xc_sa *sa, const struct xc_frame *f);

/* Verify one ESP packet (pkt: ESP header onward, as esp_input sees it) for
 * esa with replay state r (NULL: none, as with window 0), and record it in r
 * and the lifetime counters as the kernel would. frame (may be NULL) gives
 * the encapsulation (checked against the SA's, XfrmInStateMismatch) and the
 * outer source (XC_ESP_W_NAT_MAPPING); without it both are taken as the
 * SA's. The plaintext goes to out, which must hold len bytes; pkt is not
 * written. Returns 0 with res filled (the verdict is in res), or a negative
 * errno: -EINVAL (a NULL argument, r's mode not matching the SA's esn
 * flag), -ENOSPC (out too small), -E2BIG (len over 1 GiB), -EIO (OpenSSL
 * failed). A frame of kind ESP with esp_len < 8 has no SPI to look up: the
 * kernel counts it XfrmInHdrError before any SA (xc_esp_frame_matches()
 * is false for it). No allocation per packet but OpenSSL 3.0's own for
 * HMAC: each packet starts from copies of the two keyed digest states, and
 * every EVP_MD_CTX_copy_ex makes a new context (the AEADs, CMAC and the
 * ciphers allocate nothing). */
int xc_esp_verify(struct xc_esp_sa *esa, struct xc_replay *r, const struct xc_frame *frame,
		  const uint8_t *pkt, size_t len, uint8_t *out, size_t out_len,
		  struct xc_esp_result *res);

/* Verification in parallel. xc_esp_verify() is three steps: the header,
 * the replay check and the lifetime (which depend on every earlier packet
 * of the SA); the ICV, the decryption and the trailer (which depend only on
 * the packet and on the high sequence bits the replay check infers); then,
 * for a good packet, the replay advance, the lifetime counters and the
 * inner mode. The middle step can run ahead of the packet's turn, in other
 * threads, each with a clone of the SA, on high bits guessed from the
 * window as it was (xc_replay_seqhi()); the packet's turn, in capture order
 * on the SA itself, takes that outcome when the guess was right and opens
 * the packet again when it was not (ESN near a wrap of the low 32 bits).
 * The verdicts are those xc_esp_verify() gives, packet by packet. */

/* A copy of esa with crypto contexts of its own, for another thread: the
 * same keys and algorithms. Free it with xc_esp_sa_free(). 0 or -ENOMEM. */
int xc_esp_sa_clone(const struct xc_esp_sa *esa, struct xc_esp_sa **out);

/* The middle step for pkt (ESP header onward) with high sequence bits
 * seq_hi (ignored without ESN), on clone, from any thread (one clone per
 * thread): the plaintext to out (len bytes at least), the outcome to pre,
 * pre->opened set unless pkt is shorter than an ESP header. Changes
 * nothing but the clone's contexts. Returns 0 or -errno as xc_esp_verify(). */
int xc_esp_open_ahead(struct xc_esp_sa *clone, const struct xc_frame *frame, const uint8_t *pkt,
		      size_t len, uint32_t seq_hi, uint8_t *out, size_t out_len,
		      struct xc_esp_result *pre);

/* The packet's turn: as xc_esp_verify() on esa and r, taking pre (from
 * xc_esp_open_ahead() on this pkt, with this out) when its high bits are
 * those the replay check infers now; the SPI and sequence number are
 * pre's (pkt is read again only to open it again). res may be pre. */
int xc_esp_verify_opened(struct xc_esp_sa *esa, struct xc_replay *r, const struct xc_frame *frame,
			 const uint8_t *pkt, size_t len, const struct xc_esp_result *pre,
			 uint8_t *out, size_t out_len, struct xc_esp_result *res);

/* Runs of turns. A packet opened ahead is clean when its turn could only
 * check and move the window and the lifetime counters: pre (from
 * xc_esp_open_ahead() on a clone of the SA, plaintext in out) says opened,
 * authentic, trailer good, no warning, the SA's SPI, and frame (as for
 * xc_esp_verify()) the SA's encapsulation; the inner mode's check passes. */
bool xc_esp_opened_clean(const struct xc_esp_sa *clone, const struct xc_frame *frame,
			 const uint8_t *out, const struct xc_esp_result *pre);

/* The turns of n clean packets of esa, in capture order, whose sequence
 * numbers (pre->seq: ESN's 64 bits, else the low 32) are first, first + 1,
 * ... first + n - 1, with bytes of payload (payload_len) in all, taken in
 * one step: true when xc_esp_verify_opened() would accept every one of
 * them with no warning, esa and r then as those turns would leave them;
 * else false, nothing changed (take the turns one by one). That is: r has
 * a window, first is next after its top, none crosses into other high
 * bits (or, without ESN, past 2^32 - 1), no lifetime limit is reached on
 * the way (tested against bytes and n, a little short of the exact
 * limit), esa not expired. */
bool xc_esp_accept_run(struct xc_esp_sa *esa, struct xc_replay *r, uint64_t first, uint32_t n,
		       uint64_t bytes);

/* The warnings of res in words, "; "-separated, e.g. "padding byte 3 is
 * 0x00, not 0x04; 4 sequence numbers skipped". Returns the length (as
 * snprintf), "" if none. */
int xc_esp_warnings(const struct xc_esp_result *res, char *buf, size_t len);

#endif
