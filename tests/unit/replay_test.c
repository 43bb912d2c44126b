/* Anti-replay against the rules of net/xfrm/xfrm_replay.c (Linux 6.1). Each
 * expected value is worked out by hand from those rules (the comments show
 * the arithmetic): legacy (xfrm_replay_check_legacy / xfrm_replay_advance),
 * bmp (xfrm_replay_check_bmp / _advance_bmp), ESN (xfrm_replay_check_esn,
 * xfrm_replay_seqhi, xfrm_replay_advance_esn), window 0, sequence number 0,
 * the wrap of the low 32 bits with windows of 32, 64 and 4096 (ESN) and
 * their top without ESN, and what the kernel does with a ring window that
 * is no power of two. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "replay.h"
#include "sa.h"

static struct xc_replay mk(enum xc_replay_mode mode, uint32_t window)
{
	struct xc_replay r;

	assert_int_equal(xc_replay_init(&r, mode, window), 0);
	return r;
}

/* check, then (if accepted) advance, as xfrm_input does for a good ICV */
static enum xc_replay_verdict take(struct xc_replay *r, uint32_t seq)
{
	enum xc_replay_verdict v = xc_replay_check(r, seq, NULL);

	if (v == XC_REPLAY_OK)
		xc_replay_advance(r, seq);
	return v;
}

static void expect(const struct xc_replay *r, uint32_t seq, enum xc_replay_verdict v,
		   uint32_t seq_hi)
{
	uint32_t hi = 0xdeadbeef;

	assert_int_equal(xc_replay_check(r, seq, &hi), v);
	assert_int_equal(hi, seq_hi);
}

static void test_init(void **state)
{
	struct xc_replay r;

	(void)state;
	/* copy_from_user_state: min(replay_window, 32) */
	assert_int_equal(xc_replay_init(&r, XC_REPLAY_LEGACY, 64), 0);
	assert_int_equal(r.window, 32);
	assert_int_equal(xc_replay_init(&r, XC_REPLAY_LEGACY, 255), 0);
	assert_int_equal(r.window, 32);
	/* bmp_len <= XFRMA_REPLAY_ESN_MAX / 32 */
	assert_int_equal(xc_replay_init(&r, XC_REPLAY_BMP, 4096), 0);
	assert_int_equal(xc_replay_init(&r, XC_REPLAY_BMP, 4097), -EINVAL);
	assert_int_equal(xc_replay_init(&r, XC_REPLAY_ESN, 4097), -EINVAL);
	/* xfrm_init_replay: "ESN replay window must be > 0" */
	assert_int_equal(xc_replay_init(&r, XC_REPLAY_ESN, 0), -EINVAL);
	assert_int_equal(xc_replay_init(&r, XC_REPLAY_BMP, 0), 0);
	assert_int_equal(xc_replay_init(&r, (enum xc_replay_mode)7, 32), -EINVAL);
}

static void test_init_sa(void **state)
{
	struct xc_sa sa;
	struct xc_replay r;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.info.replay_window = 200;
	assert_int_equal(xc_replay_init_sa(&r, &sa), 0);
	assert_int_equal(r.mode, XC_REPLAY_LEGACY);
	assert_int_equal(r.window, 32);

	sa.info.flags = XFRM_STATE_ESN; /* "Missing required attribute for ESN" */
	assert_int_equal(xc_replay_init_sa(&r, &sa), -EINVAL);

	sa.has_replay_esn = true;
	sa.esn.bmp_len = 4;
	sa.esn.replay_window = 128;
	/* "ESN not compatible with legacy replay_window" */
	assert_int_equal(xc_replay_init_sa(&r, &sa), -EINVAL);
	sa.info.replay_window = 0;
	assert_int_equal(xc_replay_init_sa(&r, &sa), 0);
	assert_int_equal(r.mode, XC_REPLAY_ESN);
	assert_int_equal(r.window, 128);

	sa.info.flags = 0;
	assert_int_equal(xc_replay_init_sa(&r, &sa), 0);
	assert_int_equal(r.mode, XC_REPLAY_BMP);

	sa.esn.replay_window = 129; /* over bmp_len * 32 */
	assert_int_equal(xc_replay_init_sa(&r, &sa), -EINVAL);
	sa.esn.bmp_len = 129; /* "ESN bitmap length must be <= 128" */
	sa.esn.replay_window = 64;
	assert_int_equal(xc_replay_init_sa(&r, &sa), -EINVAL);
	sa.esn.bmp_len = 2;
	sa.esn.replay_window = 0;
	sa.info.flags = XFRM_STATE_ESN; /* "ESN replay window must be > 0" */
	assert_int_equal(xc_replay_init_sa(&r, &sa), -EINVAL);
}

static void test_legacy(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_LEGACY, 32);

	(void)state;
	assert_int_equal(take(&r, 0), XC_REPLAY_ZERO); /* seq 0 is never valid */
	for (uint32_t s = 1; s <= 5; s++)
		assert_int_equal(take(&r, s), XC_REPLAY_OK);
	/* bitmap: bit i is 5 - i */
	assert_int_equal(r.seq, 5);
	assert_int_equal(r.bmp[0], 0x1f);
	assert_int_equal(take(&r, 3), XC_REPLAY_REPLAYED);
	assert_int_equal(take(&r, 5), XC_REPLAY_REPLAYED);
	assert_int_equal(take(&r, 7), XC_REPLAY_OK); /* 6 skipped */
	assert_int_equal(r.bmp[0], 0x7d);           /* 1111101: 7, 5..1 */
	assert_int_equal(take(&r, 6), XC_REPLAY_OK); /* late, in the window */
	assert_int_equal(r.bmp[0], 0x7f);
	/* to 40: diff 33 >= 32, the bitmap restarts at 1 */
	assert_int_equal(take(&r, 40), XC_REPLAY_OK);
	assert_int_equal(r.bmp[0], 1);
	assert_int_equal(xc_replay_check(&r, 8, NULL), XC_REPLAY_TOO_OLD);  /* diff 32 */
	assert_int_equal(xc_replay_check(&r, 9, NULL), XC_REPLAY_OK);       /* diff 31 */
	assert_int_equal(xc_replay_check(&r, 40, NULL), XC_REPLAY_REPLAYED);
	assert_int_equal(xc_replay_check(&r, 41, NULL), XC_REPLAY_OK);
	/* no ESN: the high bits are always 0 */
	expect(&r, 1, XC_REPLAY_TOO_OLD, 0);
	assert_int_equal(xc_replay_top(&r), 40);
}

/* Without ESN the low 32 bits are all there is: at the top they do not
 * wrap, sequence number 1 after 0xffffffff is far too old (the sender must
 * rekey). Windows 32 (legacy), 64 and 4096 (bmp). */
static void test_no_esn_top(void **state)
{
	static const struct {
		enum xc_replay_mode mode;
		uint32_t window;
	} cases[] = { { XC_REPLAY_LEGACY, 32 }, { XC_REPLAY_BMP, 64 }, { XC_REPLAY_BMP, 4096 } };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct xc_replay r = mk(cases[i].mode, cases[i].window);
		uint32_t w = cases[i].window;

		assert_int_equal(take(&r, 0xfffffffe), XC_REPLAY_OK);
		assert_int_equal(take(&r, 0xffffffff), XC_REPLAY_OK);
		assert_int_equal(xc_replay_top(&r), 0xffffffffu);
		expect(&r, 1, XC_REPLAY_TOO_OLD, 0);          /* diff 0xfffffffe */
		expect(&r, 0, XC_REPLAY_ZERO, 0);
		expect(&r, 0xffffffff, XC_REPLAY_REPLAYED, 0); /* diff 0 */
		expect(&r, 0xfffffffe, XC_REPLAY_REPLAYED, 0); /* diff 1 */
		expect(&r, 0xfffffffd, XC_REPLAY_OK, 0);       /* diff 2, never seen */
		expect(&r, 0xffffffff - (w - 1), XC_REPLAY_OK, 0); /* diff w - 1 */
		expect(&r, 0xffffffff - w, XC_REPLAY_TOO_OLD, 0);  /* diff w */
		assert_int_equal(take(&r, 0xffffffff - (w - 1)), XC_REPLAY_OK);
		expect(&r, 0xffffffff - (w - 1), XC_REPLAY_REPLAYED, 0);
	}
}

static void test_legacy_small_window(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_LEGACY, 4);

	(void)state;
	assert_int_equal(take(&r, 10), XC_REPLAY_OK);
	assert_int_equal(xc_replay_check(&r, 7, NULL), XC_REPLAY_OK);      /* diff 3 */
	assert_int_equal(xc_replay_check(&r, 6, NULL), XC_REPLAY_TOO_OLD); /* diff 4 */
	assert_int_equal(take(&r, 12), XC_REPLAY_OK); /* bitmap 1 << 2 | 1 */
	assert_int_equal(r.bmp[0], 5);
	assert_int_equal(take(&r, 10), XC_REPLAY_REPLAYED);
	assert_int_equal(take(&r, 11), XC_REPLAY_OK);
	assert_int_equal(take(&r, 11), XC_REPLAY_REPLAYED);
}

static void test_window_zero(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_LEGACY, 0), b = mk(XC_REPLAY_BMP, 0);

	(void)state;
	/* no window: everything passes, 0 included, and nothing is recorded */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(take(&r, 0), XC_REPLAY_OK);
		assert_int_equal(take(&r, 7), XC_REPLAY_OK);
		assert_int_equal(take(&b, 0), XC_REPLAY_OK);
		assert_int_equal(take(&b, 7), XC_REPLAY_OK);
	}
	assert_int_equal(r.seq, 0);
	assert_int_equal(b.seq, 0);
}

static void test_bmp_64(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_BMP, 64);

	(void)state;
	assert_int_equal(take(&r, 0), XC_REPLAY_ZERO);
	/* pos of seq 0 is 0xffffffff % 64 = 63, so seq 1 goes to bit 0 */
	assert_int_equal(take(&r, 1), XC_REPLAY_OK);
	assert_int_equal(r.bmp[0], 1);
	assert_int_equal(take(&r, 2), XC_REPLAY_OK);
	assert_int_equal(take(&r, 3), XC_REPLAY_OK);
	assert_int_equal(take(&r, 2), XC_REPLAY_REPLAYED);
	assert_int_equal(r.bmp[0], 7);
	/* to 100: diff 97 >= 64 clears both words; bit (2 + 97) % 64 = 35 */
	assert_int_equal(take(&r, 100), XC_REPLAY_OK);
	assert_int_equal(r.bmp[0], 0);
	assert_int_equal(r.bmp[1], 1u << 3);
	assert_int_equal(xc_replay_check(&r, 36, NULL), XC_REPLAY_TOO_OLD); /* diff 64 */
	assert_int_equal(take(&r, 37), XC_REPLAY_OK);                       /* diff 63 */
	assert_int_equal(take(&r, 37), XC_REPLAY_REPLAYED);
	assert_int_equal(take(&r, 100), XC_REPLAY_REPLAYED);
	/* forward by 3: seqs 101, 102 are cleared, 103 set */
	assert_int_equal(take(&r, 103), XC_REPLAY_OK);
	assert_int_equal(take(&r, 102), XC_REPLAY_OK);
	assert_int_equal(take(&r, 101), XC_REPLAY_OK);
	assert_int_equal(take(&r, 101), XC_REPLAY_REPLAYED);
	assert_int_equal(take(&r, 40), XC_REPLAY_OK); /* diff 63 */
	assert_int_equal(take(&r, 39), XC_REPLAY_TOO_OLD);
}

static void test_bmp_4096(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_BMP, 4096);

	(void)state;
	assert_int_equal(take(&r, 1), XC_REPLAY_OK);
	assert_int_equal(take(&r, 5000), XC_REPLAY_OK);
	assert_int_equal(xc_replay_check(&r, 904, NULL), XC_REPLAY_TOO_OLD); /* diff 4096 */
	assert_int_equal(take(&r, 905), XC_REPLAY_OK);                       /* diff 4095 */
	assert_int_equal(take(&r, 905), XC_REPLAY_REPLAYED);
	assert_int_equal(take(&r, 1), XC_REPLAY_TOO_OLD);
	/* a step of 4095 clears every bit but the old top's (5000) */
	assert_int_equal(take(&r, 5000 + 4095), XC_REPLAY_OK);
	assert_int_equal(take(&r, 5000), XC_REPLAY_REPLAYED); /* diff 4095 */
	assert_int_equal(take(&r, 5001), XC_REPLAY_OK);       /* cleared on the way */
}

/* A ring whose size is no power of two: the kernel's position of seq 0 is
 * (0 - 1) % window, 0xffffffff % 100 = 95, so the first packet is marked
 * at bit (95 + 1) % 100 = 96, while later it is looked for at (1 - 1) % 100
 * = 0. The kernel therefore takes the first packet again once. */
static void test_bmp_odd_window(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_BMP, 100), p = mk(XC_REPLAY_BMP, 128);

	(void)state;
	assert_int_equal(take(&r, 1), XC_REPLAY_OK);
	assert_int_equal(r.bmp[3], 1u << 0); /* bit 96 */
	assert_int_equal(take(&r, 1), XC_REPLAY_OK); /* sic */
	assert_int_equal(r.bmp[0], 1u << 0); /* now bit 0 */
	assert_int_equal(take(&r, 1), XC_REPLAY_REPLAYED);
	assert_int_equal(take(&r, 2), XC_REPLAY_OK);
	assert_int_equal(take(&r, 2), XC_REPLAY_REPLAYED);
	/* a power of two has no such hole */
	assert_int_equal(take(&p, 1), XC_REPLAY_OK);
	assert_int_equal(take(&p, 1), XC_REPLAY_REPLAYED);
}

static void test_esn_start(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_ESN, 32);

	(void)state;
	/* seq 0 refused while seq_hi is 0 and top < window - 1 */
	expect(&r, 0, XC_REPLAY_ZERO, 0);
	/* top 0 < 31: the window spans two blocks; bottom = 0 - 32 + 1 =
	 * 0xffffffe1. 1 is above top and below bottom: new, same block */
	expect(&r, 1, XC_REPLAY_OK, 0);
	/* 0xfffffff0 >= bottom: the previous block, 2^64 - 16: seq_hi - 1;
	 * diff = 0 - 0xfffffff0 = 16, bit (31 - 16) = 15, clear: accepted */
	expect(&r, 0xfffffff0, XC_REPLAY_OK, 0xffffffff);
	assert_int_equal(take(&r, 1), XC_REPLAY_OK);
	assert_int_equal(r.bmp[0], 1);
	expect(&r, 1, XC_REPLAY_REPLAYED, 0);
	for (uint32_t s = 2; s <= 31; s++)
		assert_int_equal(take(&r, s), XC_REPLAY_OK);
	/* top 31 = window - 1: one block, the window is [0, 31], and 0 is no
	 * longer refused: ESN 0 itself, at diff 31, bit 32 - (31 - 30) = 31,
	 * never set (seqs 1..31 sit at bits 0..30): accepted */
	expect(&r, 0, XC_REPLAY_OK, 0);
	assert_int_equal(take(&r, 32), XC_REPLAY_OK);
	expect(&r, 0, XC_REPLAY_OK, 1); /* bottom 1: 0 < 1, next block */
}

/* Low 32 bits wrapping with window 32: top 0xfffffff0, seq_hi 5. */
static void test_esn_wrap_32(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_ESN, 32);
	/* ring bit of 0xfffffff0: (0xfffffff0 - 1) % 32 = 15 */
	uint32_t bmp[1] = { 1u << 15 };

	(void)state;
	assert_int_equal(xc_replay_set(&r, 0xfffffff0, 5, bmp, 1), 0);
	/* one block: bottom = 0xfffffff0 - 31 = 0xffffffd1 */
	expect(&r, 0xfffffff0, XC_REPLAY_REPLAYED, 5);
	expect(&r, 0xfffffff1, XC_REPLAY_OK, 5);
	expect(&r, 0xffffffd1, XC_REPLAY_OK, 5); /* diff 31, bit 16 clear */
	/* below bottom: not "too old" but the next block */
	expect(&r, 0xffffffd0, XC_REPLAY_OK, 6);
	expect(&r, 3, XC_REPLAY_OK, 6);
	expect(&r, 0, XC_REPLAY_OK, 6);
	/* accept 3 in block 6: diff = 3 - 0xfffffff0 = 19; bits 16..31, 0, 1
	 * cleared, bit (15 + 19) % 32 = 2 set */
	xc_replay_advance(&r, 3);
	assert_int_equal(r.seq, 3);
	assert_int_equal(r.seq_hi, 6);
	assert_int_equal(r.bmp[0], 1u << 15 | 1u << 2);
	assert_int_equal(xc_replay_top(&r), 0x600000003ull);
	/* two blocks: bottom = 3 - 31 = 0xffffffe4; 0xfffffff0 is in block 5
	 * at diff 19, bit 32 - (19 - 2) = 15: still set */
	expect(&r, 0xfffffff0, XC_REPLAY_REPLAYED, 5);
	expect(&r, 0xfffffff1, XC_REPLAY_OK, 5);  /* diff 18, bit 16: cleared */
	expect(&r, 0xffffffe4, XC_REPLAY_OK, 5);  /* diff 31 */
	expect(&r, 0xffffffe3, XC_REPLAY_OK, 6);  /* between top and bottom: new */
	expect(&r, 0, XC_REPLAY_OK, 6);           /* 0 in block 6, not refused */
	expect(&r, 3, XC_REPLAY_REPLAYED, 6);
	expect(&r, 4, XC_REPLAY_OK, 6);
	/* a late packet from block 5 is recorded without moving the top */
	xc_replay_advance(&r, 0xfffffff1);
	assert_int_equal(r.seq, 3);
	assert_int_equal(r.seq_hi, 6);
	expect(&r, 0xfffffff1, XC_REPLAY_REPLAYED, 5);
}

static void test_esn_wrap_64(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_ESN, 64);

	(void)state;
	assert_int_equal(xc_replay_set(&r, 0xffffffff, 0, NULL, 0), 0);
	/* one block, bottom 0xffffffc0: 0 is the next block */
	expect(&r, 0, XC_REPLAY_OK, 1);
	expect(&r, 0xffffffc0, XC_REPLAY_OK, 0);
	expect(&r, 0xffffffbf, XC_REPLAY_OK, 1);
	assert_int_equal(take(&r, 0), XC_REPLAY_OK); /* diff 1 */
	assert_int_equal(r.seq_hi, 1);
	assert_int_equal(r.seq, 0);
	/* two blocks; bottom = 0 - 63 = 0xffffffc1 */
	expect(&r, 0, XC_REPLAY_REPLAYED, 1);
	expect(&r, 0xffffffc1, XC_REPLAY_OK, 0);
	expect(&r, 0xffffffc0, XC_REPLAY_OK, 1); /* below bottom: new */
	/* seq_hi 0 only blocks 0 while top < window - 1: here seq_hi is 1 */
	assert_int_equal(take(&r, 5), XC_REPLAY_OK);
	assert_int_equal(take(&r, 0), XC_REPLAY_REPLAYED);
	assert_int_equal(take(&r, 1), XC_REPLAY_OK);
}

static void test_esn_wrap_4096(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_ESN, 4096);

	(void)state;
	assert_int_equal(xc_replay_set(&r, 100, 0, NULL, 0), 0);
	/* top 100 < 4095, seq_hi 0: 0 refused */
	expect(&r, 0, XC_REPLAY_ZERO, 0);
	/* bottom = 100 - 4095 = 0xfffff065: 0xffffff00 is block -1, diff 356,
	 * bit 4096 - (356 - 99) = 3839, clear */
	expect(&r, 0xffffff00, XC_REPLAY_OK, 0xffffffff);
	expect(&r, 0xfffff064, XC_REPLAY_OK, 0); /* between top and bottom */

	assert_int_equal(xc_replay_set(&r, 100, 7, NULL, 0), 0);
	expect(&r, 0, XC_REPLAY_OK, 7); /* diff 100, bit 4095: clear */
	expect(&r, 0xfffff065, XC_REPLAY_OK, 6);

	assert_int_equal(xc_replay_set(&r, 0xfffffff0, 7, NULL, 0), 0);
	/* one block, bottom 0xffffeff1 */
	expect(&r, 0xffffeff1, XC_REPLAY_OK, 7);
	expect(&r, 0xffffeff0, XC_REPLAY_OK, 8);
	assert_int_equal(take(&r, 0x10), XC_REPLAY_OK); /* block 8, diff 0x20 */
	assert_int_equal(r.seq_hi, 8);
	assert_int_equal(r.seq, 0x10);
	expect(&r, 0x10, XC_REPLAY_REPLAYED, 8);
	expect(&r, 0xfffffff0, XC_REPLAY_OK, 7); /* never recorded */
	expect(&r, 0xfffff011, XC_REPLAY_OK, 7); /* diff 4095 */
	expect(&r, 0xfffff010, XC_REPLAY_OK, 8); /* below bottom: block 8 */
}

/* xfrm_replay_seqhi and the advance agree: what the check says is what the
 * advance records, for a run over the 2^32 boundary in every mode width. */
static void test_esn_run(void **state)
{
	const uint32_t windows[] = { 32, 64, 128, 4096 };

	(void)state;
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
		struct xc_replay r = mk(XC_REPLAY_ESN, windows[w]);
		uint64_t s;

		assert_int_equal(xc_replay_set(&r, 0xffffff00, 3, NULL, 0), 0);
		for (s = 0x3ffffff01ull; s < 0x400000100ull; s += 7) {
			uint32_t hi;

			assert_int_equal(xc_replay_check(&r, (uint32_t)s, &hi), XC_REPLAY_OK);
			assert_int_equal(hi, (uint32_t)(s >> 32));
			xc_replay_advance(&r, (uint32_t)s);
			assert_int_equal(xc_replay_top(&r), s);
			assert_int_equal(xc_replay_check(&r, (uint32_t)s, &hi), XC_REPLAY_REPLAYED);
		}
	}
}

/* The high bits from a copy of the top: the window's own answer when the
 * copy is its top; from an older top (the window moved on since), the
 * answer that older window gave; only the mode counts (0 but for ESN). */
static void test_seqhi_at(void **state)
{
	const uint32_t windows[] = { 1, 32, 64, 4096 };
	const uint32_t los[] = { 0, 1, 31, 32, 0x7fffffff, 0x80000000, 0xffffffe0, 0xffffffff };

	(void)state;
	for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]); w++) {
		struct xc_replay r = mk(XC_REPLAY_ESN, windows[w]), old;
		struct xc_replay bmp = mk(XC_REPLAY_BMP, windows[w]);

		assert_int_equal(xc_replay_set(&r, 0xfffffff0, 6, NULL, 0), 0);
		old = r;
		for (uint64_t s = 0x6fffffff1ull; s < 0x700000040ull; s++) {
			for (size_t i = 0; i < sizeof(los) / sizeof(los[0]); i++) {
				assert_int_equal(xc_replay_seqhi_at(&r, xc_replay_top(&r), los[i]),
						 xc_replay_seqhi(&r, los[i]));
				assert_int_equal(xc_replay_seqhi_at(&r, xc_replay_top(&old), los[i]),
						 xc_replay_seqhi(&old, los[i]));
				assert_int_equal(xc_replay_seqhi_at(&bmp, xc_replay_top(&r), los[i]), 0);
			}
			xc_replay_advance(&r, (uint32_t)s);
		}
		/* the wrap: seq_hi 7 now, the old top's answer is 6 or 7 */
		assert_int_equal(r.seq_hi, 7);
		assert_int_equal(xc_replay_seqhi_at(&r, xc_replay_top(&old), 0xfffffff5), 6);
		assert_int_equal(xc_replay_seqhi_at(&r, xc_replay_top(&r), 0x40), 7);
	}
}

static void test_set(void **state)
{
	struct xc_replay r = mk(XC_REPLAY_BMP, 40);
	uint32_t bmp[3] = { 0xffffffff, 0xffffffff, 0xffffffff };

	(void)state;
	/* words past the window's two are dropped, bits past 40 cleared */
	assert_int_equal(xc_replay_set(&r, 50, 9, bmp, 3), 0);
	assert_int_equal(r.bmp[1], 0xff);
	assert_int_equal(r.bmp[2], 0);
	assert_int_equal(r.seq_hi, 0); /* no ESN */
	assert_int_equal(xc_replay_set(&r, 50, 0, bmp, 129), -EINVAL);
	/* the kernel's legacy layout */
	r = mk(XC_REPLAY_LEGACY, 32);
	bmp[0] = 0x5;
	assert_int_equal(xc_replay_set(&r, 20, 0, bmp, 1), 0);
	assert_int_equal(xc_replay_check(&r, 20, NULL), XC_REPLAY_REPLAYED);
	assert_int_equal(xc_replay_check(&r, 19, NULL), XC_REPLAY_OK);
	assert_int_equal(xc_replay_check(&r, 18, NULL), XC_REPLAY_REPLAYED);
	assert_true(xc_replay_seen(&r, 2));
	assert_false(xc_replay_seen(&r, 40));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(xc_replay_verdict_name(XC_REPLAY_REPLAYED), "replayed");
	assert_string_equal(xc_replay_verdict_name(XC_REPLAY_TOO_OLD), "too old");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_init_sa),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_legacy_small_window),
		cmocka_unit_test(test_no_esn_top),
		cmocka_unit_test(test_window_zero),
		cmocka_unit_test(test_bmp_64),
		cmocka_unit_test(test_bmp_4096),
		cmocka_unit_test(test_bmp_odd_window),
		cmocka_unit_test(test_esn_start),
		cmocka_unit_test(test_esn_wrap_32),
		cmocka_unit_test(test_esn_wrap_64),
		cmocka_unit_test(test_esn_wrap_4096),
		cmocka_unit_test(test_esn_run),
		cmocka_unit_test(test_seqhi_at),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
