/* Anti-replay as net/xfrm/xfrm_replay.c (Linux 6.1) does it; see replay.h.
 * All arithmetic on sequence numbers is u32 arithmetic, wrapping, as in the
 * kernel: the answers must match it also where it is surprising (a ring
 * window that is not a power of two, the first packet after seq 0). */
#include "replay.h"

#include <errno.h>
#include <linux/xfrm.h>
#include <string.h>

#include "sa.h"

int xc_replay_init(struct xc_replay *r, enum xc_replay_mode mode, uint32_t window)
{
	memset(r, 0, sizeof(*r));
	switch (mode) {
	case XC_REPLAY_LEGACY:
		/* the kernel clamps, it does not refuse */
		if (window > XC_REPLAY_LEGACY_MAX)
			window = XC_REPLAY_LEGACY_MAX;
		break;
	case XC_REPLAY_ESN:
		if (!window)
			return -EINVAL;
		/* fall through */
	case XC_REPLAY_BMP:
		if (window > XC_REPLAY_MAX_WINDOW)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	r->mode = mode;
	r->window = window;
	return 0;
}

int xc_replay_init_sa(struct xc_replay *r, const struct xc_sa *sa)
{
	bool esn = sa->info.flags & XFRM_STATE_ESN;

	if (!sa->has_replay_esn) {
		if (esn) /* "Missing required attribute for ESN" */
			return -EINVAL;
		return xc_replay_init(r, XC_REPLAY_LEGACY, sa->info.replay_window);
	}
	/* verify_replay(), xfrm_init_replay() */
	if (sa->info.replay_window || sa->esn.bmp_len > XC_REPLAY_WORDS ||
	    sa->esn.replay_window > sa->esn.bmp_len * 32u)
		return -EINVAL;
	return xc_replay_init(r, esn ? XC_REPLAY_ESN : XC_REPLAY_BMP, sa->esn.replay_window);
}

int xc_replay_set(struct xc_replay *r, uint32_t seq, uint32_t seq_hi, const uint32_t *bmp,
		  unsigned int nwords)
{
	unsigned int used;

	if (nwords > XC_REPLAY_WORDS)
		return -EINVAL;
	r->seq = seq;
	r->seq_hi = r->mode == XC_REPLAY_ESN ? seq_hi : 0;
	memset(r->bmp, 0, sizeof(r->bmp));
	if (nwords && bmp)
		memcpy(r->bmp, bmp, nwords * sizeof(*bmp));
	if (r->mode == XC_REPLAY_LEGACY) {
		/* bits past the window are never looked at: keep them, as the
		 * kernel's bitmap keeps them, but nothing past word 0 */
		memset(r->bmp + 1, 0, sizeof(r->bmp) - sizeof(r->bmp[0]));
		return 0;
	}
	used = (r->window + 31) / 32;
	memset(r->bmp + used, 0, (XC_REPLAY_WORDS - used) * sizeof(r->bmp[0]));
	if (r->window % 32)
		r->bmp[used - 1] &= (1u << (r->window % 32)) - 1;
	return 0;
}

/* v % window, without a division for a window that is a power of two
 * (most are; the turns of verify --jobs do this twice a packet) */
static uint32_t ring_mod(const struct xc_replay *r, uint32_t v)
{
	return r->window & (r->window - 1) ? v % r->window : v & (r->window - 1);
}

/* Ring position of the highest sequence number (BMP, ESN). For seq 0, the
 * state of a new SA, this is 0xffffffff % window: the window - 1 when the
 * window is a power of two, something else otherwise. */
static uint32_t ring_top(const struct xc_replay *r)
{
	return ring_mod(r, r->seq - 1);
}

/* Ring bit of the sequence number diff below the highest (diff < window). */
static uint32_t ring_bit(const struct xc_replay *r, uint32_t diff)
{
	uint32_t top = ring_top(r);

	return top >= diff ? top - diff : r->window - (diff - top);
}

static bool bit_get(const struct xc_replay *r, uint32_t bit)
{
	return bit < r->window && (r->bmp[bit / 32] >> (bit % 32) & 1);
}

static void bit_set(struct xc_replay *r, uint32_t bit)
{
	if (bit < r->window)
		r->bmp[bit / 32] |= 1u << (bit % 32);
}

static void bit_clear(struct xc_replay *r, uint32_t bit)
{
	if (bit < r->window)
		r->bmp[bit / 32] &= ~(1u << (bit % 32));
}

bool xc_replay_seen(const struct xc_replay *r, uint32_t diff)
{
	if (diff >= r->window)
		return false;
	if (r->mode == XC_REPLAY_LEGACY)
		return r->bmp[0] >> diff & 1;
	return bit_get(r, ring_bit(r, diff));
}

/* xfrm_replay_seqhi() for a window whose top is seq_hi:seq */
static uint32_t seqhi(const struct xc_replay *r, uint32_t seq, uint32_t seq_hi, uint32_t seq_lo)
{
	uint32_t low_end;

	if (r->mode != XC_REPLAY_ESN)
		return 0;
	low_end = seq - r->window + 1;
	if (seq >= r->window - 1) {
		/* the window lies within one 2^32 block: below it is the next */
		if (seq_lo < low_end)
			return seq_hi + 1;
	} else if (seq_lo >= low_end) {
		/* the window reaches back into the previous block */
		return seq_hi - 1;
	}
	return seq_hi;
}

uint32_t xc_replay_seqhi(const struct xc_replay *r, uint32_t seq_lo)
{
	return seqhi(r, r->seq, r->seq_hi, seq_lo);
}

uint32_t xc_replay_seqhi_at(const struct xc_replay *r, uint64_t top, uint32_t seq_lo)
{
	return seqhi(r, (uint32_t)top, (uint32_t)(top >> 32), seq_lo);
}

static enum xc_replay_verdict check_legacy_bmp(const struct xc_replay *r, uint32_t seq)
{
	uint32_t diff;

	if (!r->window)
		return XC_REPLAY_OK;
	if (seq == 0)
		return XC_REPLAY_ZERO;
	if (seq > r->seq)
		return XC_REPLAY_OK;
	diff = r->seq - seq;
	if (diff >= r->window)
		return XC_REPLAY_TOO_OLD;
	return xc_replay_seen(r, diff) ? XC_REPLAY_REPLAYED : XC_REPLAY_OK;
}

static enum xc_replay_verdict check_esn(const struct xc_replay *r, uint32_t seq)
{
	uint32_t low_end = r->seq - r->window + 1, diff = r->seq - seq;

	if (!r->window)
		return XC_REPLAY_OK;
	/* 0 is refused only before the window has moved once past 2^32 or
	 * filled: afterwards it is taken for 2^32 * (seq_hi + 1) */
	if (seq == 0 && r->seq_hi == 0 && r->seq < r->window - 1)
		return XC_REPLAY_ZERO;
	if (r->seq >= r->window - 1) {
		if (seq > r->seq || seq < low_end)
			return XC_REPLAY_OK; /* new, or the next 2^32 block */
	} else if (seq > r->seq && seq < low_end) {
		return XC_REPLAY_OK;
	}
	/* in the window (wrapping below 0 when it spans two blocks): diff is
	 * top - seq modulo 2^32 either way, so never "too old" here */
	if (diff >= r->window)
		return XC_REPLAY_TOO_OLD;
	return bit_get(r, ring_bit(r, diff)) ? XC_REPLAY_REPLAYED : XC_REPLAY_OK;
}

enum xc_replay_verdict xc_replay_check(const struct xc_replay *r, uint32_t seq_lo,
				       uint32_t *seq_hi_out)
{
	if (seq_hi_out)
		*seq_hi_out = xc_replay_seqhi(r, seq_lo);
	if (r->mode == XC_REPLAY_ESN)
		return check_esn(r, seq_lo);
	return check_legacy_bmp(r, seq_lo);
}

static void advance_legacy(struct xc_replay *r, uint32_t seq)
{
	uint32_t diff;

	if (seq > r->seq) {
		diff = seq - r->seq;
		r->bmp[0] = diff < r->window ? r->bmp[0] << diff | 1 : 1;
		r->seq = seq;
	} else {
		diff = r->seq - seq;
		if (diff < 32)
			r->bmp[0] |= 1u << diff;
	}
}

/* Move the ring's top forward by diff sequence numbers to seq. */
static void ring_forward(struct xc_replay *r, uint32_t seq, uint32_t diff)
{
	uint32_t top = ring_top(r);

	if (diff < r->window) {
		for (uint32_t i = 1; i < diff; i++)
			bit_clear(r, ring_mod(r, top + i));
	} else {
		memset(r->bmp, 0, ((r->window - 1) / 32 + 1) * sizeof(r->bmp[0]));
	}
	/* u32 sum, wrapping, as the kernel's: with seq 0 before and a window
	 * that is no power of two, this bit is not where ring_bit() will look
	 * for seq afterwards */
	bit_set(r, ring_mod(r, top + diff));
	r->seq = seq;
}

void xc_replay_advance(struct xc_replay *r, uint32_t seq_lo)
{
	int32_t wrap;

	if (!r->window)
		return;
	switch (r->mode) {
	case XC_REPLAY_LEGACY:
		advance_legacy(r, seq_lo);
		return;
	case XC_REPLAY_BMP:
		if (seq_lo > r->seq)
			ring_forward(r, seq_lo, seq_lo - r->seq);
		else if (r->seq - seq_lo < r->window)
			bit_set(r, ring_bit(r, r->seq - seq_lo));
		return;
	case XC_REPLAY_ESN:
		wrap = (int32_t)(xc_replay_seqhi(r, seq_lo) - r->seq_hi);
		if ((wrap == 0 && seq_lo > r->seq) || wrap > 0) {
			ring_forward(r, seq_lo, seq_lo - r->seq);
			if (wrap > 0)
				r->seq_hi++;
		} else if (r->seq - seq_lo < r->window) {
			bit_set(r, ring_bit(r, r->seq - seq_lo));
		}
		return;
	}
}

uint64_t xc_replay_top(const struct xc_replay *r)
{
	return (uint64_t)r->seq_hi << 32 | r->seq;
}

const char *xc_replay_verdict_name(enum xc_replay_verdict v)
{
	switch (v) {
	case XC_REPLAY_OK:
		return "ok";
	case XC_REPLAY_ZERO:
		return "sequence number 0";
	case XC_REPLAY_TOO_OLD:
		return "too old";
	case XC_REPLAY_REPLAYED:
		return "replayed";
	}
	return "?";
}
