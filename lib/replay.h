/* Anti-replay for one inbound SA, with the semantics of the kernel's
 * net/xfrm/xfrm_replay.c (Linux 6.1), bit for bit: the same state, the same
 * answers, the same quirks. Three modes, chosen as the kernel chooses them
 * when the SA is added (xfrm_init_replay):
 *
 *   LEGACY  no XFRMA_REPLAY_ESN_VAL: a 32-bit bitmap, the window clamped to
 *           32 (copy_from_user_state); bit i is sequence number seq - i.
 *   BMP     XFRMA_REPLAY_ESN_VAL without the esn flag: up to 4096 bits, kept
 *           as a ring: sequence number s sits at bit (s - 1) % window, with
 *           the kernel's u32 arithmetic (see xc_replay_set()).
 *   ESN     the same ring, plus seq_hi: the high 32 bits of the 64-bit
 *           sequence number, inferred from the low 32 bits on the wire
 *           (RFC 4303 Appendix A, as xfrm_replay_seqhi does it).
 *
 * Use: xc_replay_check() before the ICV is verified (a packet both replayed
 * and corrupted is a replay), xc_replay_advance() only after it was good.
 * Pure: no I/O, no allocation. */
#ifndef XFRMCTL_REPLAY_H
#define XFRMCTL_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

struct xc_sa;

#define XC_REPLAY_MAX_WINDOW 4096 /* XFRMA_REPLAY_ESN_MAX: bmp_len <= 128 */
#define XC_REPLAY_LEGACY_MAX 32   /* sizeof(xfrm_replay_state.bitmap) * 8 */
#define XC_REPLAY_WORDS (XC_REPLAY_MAX_WINDOW / 32)

enum xc_replay_mode {
	XC_REPLAY_LEGACY,
	XC_REPLAY_BMP,
	XC_REPLAY_ESN,
};

/* What xc_replay_check() says; every refusal is XfrmInStateSeqError. */
enum xc_replay_verdict {
	XC_REPLAY_OK = 0,
	XC_REPLAY_ZERO,     /* sequence number 0 (no x->stats counter moves) */
	XC_REPLAY_TOO_OLD,  /* below the window: x->stats.replay_window++ */
	XC_REPLAY_REPLAYED, /* seen before: x->stats.replay++ */
};

struct xc_replay {
	enum xc_replay_mode mode;
	uint32_t window; /* packets; 0: no check at all (not with ESN) */
	uint32_t seq;    /* highest accepted sequence number, low 32 bits */
	uint32_t seq_hi; /* ESN: its high 32 bits */
	uint32_t bmp[XC_REPLAY_WORDS]; /* the kernel's layout (see above) */
};

/* An empty window, as the kernel's when the SA is added without replay
 * state: seq 0, seq_hi 0, no bit set. LEGACY clamps window to 32 as the
 * kernel does; BMP and ESN take up to 4096. -EINVAL for a larger window, an
 * unknown mode, or ESN with window 0 (the kernel refuses that SA). */
int xc_replay_init(struct xc_replay *r, enum xc_replay_mode mode, uint32_t window);

/* The mode and window the kernel gives this SA: BMP or ESN (by the esn flag)
 * from sa->esn.replay_window when has_replay_esn, else LEGACY from
 * info.replay_window. -EINVAL where the kernel refuses the SA (esn flag
 * without replay-esn state, replay-esn with a legacy window too, window over
 * 4096 or over its bmp_len). The window starts empty. */
int xc_replay_init_sa(struct xc_replay *r, const struct xc_sa *sa);

/* Load the kernel's current state (a live SA, XFRMA_REPLAY_VAL or
 * XFRMA_REPLAY_ESN_VAL): seq, seq_hi (ESN) and the bitmap words in the
 * kernel's layout (LEGACY: bmp[0] is xfrm_replay_state.bitmap). Words past
 * nwords, and bits at or past the window, are cleared. -EINVAL if nwords is
 * over 128. */
int xc_replay_set(struct xc_replay *r, uint32_t seq, uint32_t seq_hi, const uint32_t *bmp,
		  unsigned int nwords);

/* The kernel's verdict on a packet's (low) sequence number; *seq_hi_out (may
 * be NULL) gets the high 32 bits the kernel infers for it (0 unless ESN),
 * which go into the ICV. Does not change r. */
enum xc_replay_verdict xc_replay_check(const struct xc_replay *r, uint32_t seq_lo,
				       uint32_t *seq_hi_out);

/* xfrm_replay_seqhi(): the inferred high 32 bits (0 unless ESN). */
uint32_t xc_replay_seqhi(const struct xc_replay *r, uint32_t seq_lo);
/* The same as if the window's top were top (seq_hi:seq, as xc_replay_top()
 * gives): a guess from a copy of the top, by a thread other than the one
 * that moves r. Reads only r's mode and window, which never change. */
uint32_t xc_replay_seqhi_at(const struct xc_replay *r, uint64_t top, uint32_t seq_lo);

/* Record seq_lo as received (its high bits inferred again, as the kernel
 * does). Call only for a packet xc_replay_check() accepted; for one it did
 * not, bits outside the window are never written. */
void xc_replay_advance(struct xc_replay *r, uint32_t seq_lo);

/* The highest accepted sequence number: seq_hi:seq with ESN, else seq. */
uint64_t xc_replay_top(const struct xc_replay *r);

/* Whether the bit for top - diff is set (diff < window); false otherwise. */
bool xc_replay_seen(const struct xc_replay *r, uint32_t diff);

const char *xc_replay_verdict_name(enum xc_replay_verdict v);

#endif
