/* The parser of trace/xfrm-rx.bt's output and the per-SA model. The input
 * lines are ones bpftrace printed in the test guest (the samples in the
 * script's header, from tests/vm/t-trace-scripts.sh on 6.1), masks of
 * hops written out from the bit numbers the script's header documents,
 * and broken variants of them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "trace_events.h"

static struct xc_tr_line parse_ok(const char *s)
{
	struct xc_tr_line l;

	assert_int_equal(xc_tr_parse_line(s, &l), 0);
	return l;
}

static void test_hops(void **state)
{
	(void)state;
	for (int i = 0; i < XC_HOP_N; i++)
		assert_int_equal(xc_tr_hop_lookup(xc_tr_hop_name(i)), i);
	assert_int_equal(xc_tr_hop_lookup("esp_input_done"), -ENOENT);
	assert_null(xc_tr_hop_name(XC_HOP_N));
}

/* A NAT-T packet, IPv4, transport mode, as the script printed it in the
 * test guest: 10 outer hops and the 3 UDP hops again on the inner pass. */
#define NATT4_PKT                                                                                  \
	"PKT 65329510884 skb=0xffff888005355b00 spi=0x00001000 seq=1 encap=2 hops=0x1500d14155 err=0 " \
	"spiarg=0x00000000"

static void test_packet(void **state)
{
	static const char *const want[] = {
		"udp_rcv",	   "__udp4_lib_rcv",  "udp_queue_rcv_skb", "xfrm4_udp_encap_rcv",
		"xfrm4_rcv_encap", "xfrm_input",      "esp_input",	   "esp_input_done2",
		"xfrm_rcv_cb",	   "xfrm4_transport_finish",
	};
	struct xc_tr_line l;
	struct xc_tr_packet p;

	(void)state;
	l = parse_ok(NATT4_PKT "\n");
	assert_int_equal(l.kind, XC_TR_PACKET);
	assert_int_equal(l.ns, 65329510884ULL);
	assert_int_equal(l.skb, 0xffff888005355b00ULL);
	assert_int_equal(l.spi, 0x1000);
	assert_int_equal(l.seq, 1);
	assert_int_equal(l.encap, 2);
	assert_int_equal(l.hops, 0x1500d14155ULL);
	assert_int_equal(l.err, 0);
	assert_int_equal(l.spiarg, 0);

	xc_tr_packet(&l, &p);
	assert_int_equal(p.n_outer, 10);
	for (size_t i = 0; i < 10; i++)
		assert_string_equal(xc_tr_hop_name(p.outer[i]), want[i]);
	assert_int_equal(p.n_inner, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(xc_tr_hop_name(p.inner[i]), want[i]);
	/* decrypted by esp_input: software, not GRO, err 0 */
	assert_true(p.decrypted);
	assert_true(p.has_path);
	assert_false(p.offload);
	assert_false(p.gro);
	assert_true(p.has_err);
	assert_int_equal(p.err, 0);

	/* GRO, plain ESP: esp4_gro_receive (bit 12), xfrm_input (14),
	 * esp_input (16), esp_input_done2 (20), xfrm_rcv_cb (22),
	 * xfrm4_transport_finish (23) */
	l = parse_ok("PKT 1 skb=0x1 spi=0x00004000 seq=7 encap=0 hops=0xd15000 err=0 spiarg=0x00004000");
	assert_int_equal(l.spiarg, 0x4000);
	xc_tr_packet(&l, &p);
	assert_int_equal(p.n_outer, 6);
	assert_int_equal(p.n_inner, 0);
	assert_int_equal(p.outer[0], XC_HOP_ESP4_GRO_RECEIVE);
	assert_int_equal(p.outer[3], XC_HOP_ESP_INPUT_DONE2);
	assert_int_equal(p.outer[5], XC_HOP_XFRM4_TRANSPORT_FINISH);
	assert_true(p.gro);
	assert_false(p.offload);

	/* offload, IPv6: xfrm6_rcv (11), xfrm_input (14), esp6_input_tail
	 * (19), esp6_input_done2 (21); and a bad ICV */
	l = parse_ok("PKT 2 skb=0x2 spi=0xffffffff seq=4294967295 encap=0 hops=0x284800 err=-74 "
		     "spiarg=0x00000000");
	assert_int_equal(l.spi, 0xffffffffu);
	assert_int_equal(l.seq, 0xffffffffu);
	xc_tr_packet(&l, &p);
	assert_int_equal(p.n_outer, 4);
	assert_int_equal(p.outer[0], XC_HOP_XFRM6_RCV);
	assert_int_equal(p.outer[2], XC_HOP_ESP6_INPUT_TAIL);
	assert_int_equal(p.outer[3], XC_HOP_ESP6_INPUT_DONE2);
	assert_true(p.decrypted);
	assert_true(p.has_path);
	assert_true(p.offload);
	assert_false(p.gro);
	assert_true(p.has_err);
	assert_int_equal(p.err, -74);

	/* not decrypted (err= of no use): the path of the esp_input* hop it
	 * reached, if any; no err */
	static const struct {
		const char *line;
		unsigned int n_outer;
		bool has_path, offload, gro;
	} part[] = {
		/* xfrm6_rcv, xfrm_input, esp6_input_tail (19) */
		{"PKT 3 skb=0x3 spi=0x00000001 seq=1 encap=0 hops=0x84800 err=-5 spiarg=0x00000000", 3, true, true, false},
		/* xfrm4_rcv (10), xfrm_input, esp_input (16) */
		{"PKT 4 skb=0x4 spi=0x00000001 seq=1 encap=0 hops=0x14400 err=0 spiarg=0x00000000", 3, true, false, false},
		/* the UDP hops only */
		{"PKT 5 skb=0x5 spi=0x00000001 seq=1 encap=2 hops=0x15 err=0 spiarg=0x00000000", 3, false, false, false},
		/* esp4_gro_receive (12), xfrm_input, esp_input: through GRO */
		{"PKT 6 skb=0x6 spi=0x00000001 seq=1 encap=0 hops=0x15000 err=0 spiarg=0x00000001", 3, true, false, true},
	};
	for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		l = parse_ok(part[i].line);
		xc_tr_packet(&l, &p);
		assert_int_equal(p.n_outer, part[i].n_outer);
		assert_int_equal(p.n_inner, 0);
		assert_false(p.decrypted);
		assert_int_equal(p.has_path, part[i].has_path);
		assert_int_equal(p.offload, part[i].offload);
		assert_int_equal(p.gro, part[i].gro);
		assert_false(p.has_err);
	}
}

static void test_drop(void **state)
{
	struct xc_tr_line l;
	struct xc_tr_packet p;

	(void)state;
	/* a replay: the UDP hops, xfrm4_udp_encap_rcv, xfrm4_rcv_encap,
	 * xfrm_input */
	l = parse_ok("DROP 78491690480 skb=0xffff88801d81fd00 spi=0x00007000 seq=1 encap=2 "
		     "stage=replay_check where=xfrm_input reason=1 counter=XfrmInStateSeqError "
		     "hops=0x4155 err=0");
	assert_int_equal(l.kind, XC_TR_DROP);
	assert_int_equal(l.spi, 0x7000);
	assert_string_equal(l.stage, "replay_check");
	assert_string_equal(l.where, "xfrm_input");
	assert_int_equal(l.reason, 1);
	assert_string_equal(l.counter, "XfrmInStateSeqError");
	assert_int_equal(l.hops, 0x4155);
	xc_tr_packet(&l, &p);
	assert_int_equal(p.n_outer, 6);
	assert_int_equal(p.outer[5], XC_HOP_XFRM_INPUT);
	assert_false(p.has_path);
	/* ksym() of an address it cannot name: where= empty */
	l = parse_ok("DROP 1 skb=0x1 spi=0x00000001 seq=0 encap=0 stage=udp where= reason=2 counter=- "
		     "hops=0x1 err=0");
	assert_string_equal(l.where, "");
	assert_string_equal(l.counter, "-");
}

/* The script as it is now ends a packet at xfrm_rcv_cb: the NAT-T packet
 * as it printed it in the test guest (9 hops, none of the inner pass), its
 * aggregate key, and the longest counter it names (a drop after
 * decryption without an audit hook: the trailer, or a check after the
 * replay recheck). */
static void test_ends_at_rcv_cb(void **state)
{
	static const char *const want[] = {
		"udp_rcv",	   "__udp4_lib_rcv", "udp_queue_rcv_skb", "xfrm4_udp_encap_rcv",
		"xfrm4_rcv_encap", "xfrm_input",     "esp_input",	  "esp_input_done2",
		"xfrm_rcv_cb",
	};
	struct xc_tr_line l;
	struct xc_tr_packet p;

	(void)state;
	l = parse_ok("PKT 117289380121 skb=0xffff88800505db00 spi=0x00001000 seq=1 encap=2 "
		     "hops=0x514155 err=0 spiarg=0x00000000");
	xc_tr_packet(&l, &p);
	assert_int_equal(p.n_outer, 9);
	for (size_t i = 0; i < 9; i++)
		assert_string_equal(xc_tr_hop_name(p.outer[i]), want[i]);
	assert_int_equal(p.n_inner, 0);
	assert_true(p.decrypted);
	assert_false(p.offload);
	assert_true(p.has_err);
	l = parse_ok("@pkt[4096, 2, 5325141]: 20");
	assert_int_equal(l.hops, 0x514155);
	l = parse_ok("DROP 1 skb=0x1 spi=0x00001000 seq=3 encap=2 stage=crypto where=xfrm_input reason=2 "
		     "counter=XfrmInStateProtoError|XfrmInStateModeError|XfrmInHdrError hops=0x114155 err=0");
	assert_int_equal(l.kind, XC_TR_DROP);
	assert_string_equal(l.counter, "XfrmInStateProtoError|XfrmInStateModeError|XfrmInHdrError");
	l = parse_ok("@drop[4096, crypto, XfrmInStateProtoError|XfrmInStateModeError|XfrmInHdrError, 2]: 1");
	assert_int_equal(l.kind, XC_TR_AGG_DROP);
	assert_string_equal(l.counter, "XfrmInStateProtoError|XfrmInStateModeError|XfrmInHdrError");
}

static void test_other_lines(void **state)
{
	struct xc_tr_line l;

	(void)state;
	l = parse_ok("READY xfrm-rx mode=events port=4500");
	assert_int_equal(l.kind, XC_TR_READY);
	assert_true(l.events);
	assert_int_equal(l.port, 4500);
	l = parse_ok("READY xfrm-rx mode=aggregate port=4501");
	assert_false(l.events);
	l = parse_ok("TICK 55665921108");
	assert_int_equal(l.kind, XC_TR_TICK);
	assert_int_equal(l.ns, 55665921108ULL);
	l = parse_ok("Lost 12 events");
	assert_int_equal(l.kind, XC_TR_LOST);
	assert_int_equal(l.count, 12);
	l = parse_ok("Attaching 35 probes...");
	assert_int_equal(l.kind, XC_TR_IGNORE);
	l = parse_ok("");
	assert_int_equal(l.kind, XC_TR_IGNORE);
	l = parse_ok("\n");
	assert_int_equal(l.kind, XC_TR_IGNORE);

	/* the NAT-T packet's hops in decimal, as bpftrace prints map keys */
	l = parse_ok("@pkt[4096, 2, 90208026965]: 20");
	assert_int_equal(l.kind, XC_TR_AGG_PKT);
	assert_int_equal(l.spi, 4096);
	assert_int_equal(l.encap, 2);
	assert_int_equal(l.hops, 0x1500d14155ULL);
	assert_int_equal(l.count, 20);
	l = parse_ok("@drop[24576, crypto, XfrmInStateProtoError, 1]: 1");
	assert_int_equal(l.kind, XC_TR_AGG_DROP);
	assert_string_equal(l.stage, "crypto");
	assert_string_equal(l.counter, "XfrmInStateProtoError");
	assert_int_equal(l.reason, 1);
	l = parse_ok("@drop[1, xfrm_input, XfrmInStateMismatch|XfrmInStateInvalid|XfrmInHdrError, 2]: 4");
	assert_string_equal(l.counter, "XfrmInStateMismatch|XfrmInStateInvalid|XfrmInHdrError");
	l = parse_ok("@seq[4096]: 20");
	assert_int_equal(l.kind, XC_TR_AGG_SEQ);
	assert_int_equal(l.seq, 20);
}

static void test_bad_lines(void **state)
{
	static const char *const bad[] = {
		"EV 1 udp_rcv skb=0x1 spi=0x1 seq=1 encap=2 pass=outer", /* the old format */
		"PKT 1 skb=0x1 spi=0x1 seq=1 encap=2 hops=0x1 err=0",	  /* no spiarg */
		"PKT 1 skb=0x1 spi=0x1 seq=1 encap=2 hops=0x1 err=0 spiarg=0x0 x=1",
		"PKT 1 skb=0x1 spi=0x1 seq=1 encap=2 hops=0x4000000 err=0 spiarg=0x0", /* bit 26 */
		"PKT 1 skb=0x1 spi=0x1 seq=1 encap=2 hops=0x4000000000 err=0 spiarg=0x0", /* bit 38 */
		"PKT 1 skb=0x1 spi=0x1 seq=1 encap=2 hops=1 err=0 spiarg=0x0", /* not hex */
		"PKT 1 skb=0x1 spi=0x1 seq=1 encap=2 hops=0x1 err=x spiarg=0x0",
		"PKT 1 skb=0x1 spi=0x100000000 seq=1 encap=2 hops=0x1 err=0 spiarg=0x0", /* > 32 bits */
		"PKT 1 skb=0x1 spi=0x1 seq=-1 encap=2 hops=0x1 err=0 spiarg=0x0",
		"PKT x skb=0x1 spi=0x1 seq=1 encap=2 hops=0x1 err=0 spiarg=0x0",
		"PKT 1 spi=0x1 skb=0x1 seq=1 encap=2 hops=0x1 err=0 spiarg=0x0", /* order */
		"DROP 1 skb=0x1 spi=0x1 seq=1 encap=2 stage=crypto where=x reason=1 counter=- err=0",
		"DROP 1 skb=0x1 spi=0x1 seq=1 encap=2 stage=crypto where=x reason=1 counter=- hops=0x1",
		"DROP 1 skb=0x1 spi=0x1 seq=1 encap=2 stage=crypto where=xfrm_input reason=1",
		"DROP 1 skb=0x1 spi=0x1 seq=1 encap=2 stage= where=x reason=1 counter=- hops=0x1 err=0",
		"DROP 1 skb=0x1 spi=0x1 seq=1 encap=2 stage=crypto where=x reason=z counter=- hops=0x1 err=0",
		"READY xfrm-tx mode=events port=4500",
		"READY xfrm-rx mode=fast port=4500",
		"READY xfrm-rx mode=events port=65536",
		"TICK",
		"TICK 12a",
		"Lost many events",
		"@hop[4096, udp_rcv, outer]: 2", /* the old format */
		"@path[4096, software, -]: 1",
		"@pkt[4096, 2]: 2",
		"@pkt[4096, 2, 1]: ",
		"@pkt[4096, 2, 1] 2",
		"@pkt[x, 2, 1]: 2",
		"@pkt[4096, x, 1]: 2",
		"@pkt[4096, 2, 67108864]: 2", /* bit 26 */
		"@drop[1, crypto, X]: 1",
		"@seq[1]: 4294967296",
		"@st[1, 2, 3, 4, 5, 6]: 1",
		"@other[1]: 1",
		"something bpftrace never prints",
	};
	struct xc_tr_line l;
	char longline[600];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l.kind = XC_TR_PACKET;
		if (xc_tr_parse_line(bad[i], &l) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(l.kind, XC_TR_IGNORE);
	}
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	assert_int_equal(xc_tr_parse_line(longline, &l), -EINVAL);
}

static void feed(struct xc_tr_model *m, const char *s)
{
	struct xc_tr_line l = parse_ok(s);

	assert_true(xc_tr_model_apply(m, &l) >= 0);
}

static void test_model_events(void **state)
{
	struct xc_tr_model m;
	struct xc_tr_sa *sa;
	char line[256];

	(void)state;
	xc_tr_model_init(&m);
	feed(&m, "READY xfrm-rx mode=events port=4500");
	assert_true(m.ready);
	assert_true(m.events);
	assert_int_equal(m.ready_ns, 0);
	feed(&m, NATT4_PKT);
	/* seq 2: software; seq 3: offload (esp_input_tail, bit 18, instead
	 * of esp_input, bit 16) */
	for (unsigned int seq = 2; seq <= 3; seq++) {
		snprintf(line, sizeof(line),
			 "PKT %u skb=0xffff1 spi=0x00001000 seq=%u encap=2 hops=0x%llx err=0 spiarg=0x00000000",
			 seq * 100, seq, seq == 3 ? 0x1500d44155ULL : 0x1500d14155ULL);
		feed(&m, line);
	}
	feed(&m, "DROP 900 skb=0xffff2 spi=0x00001000 seq=2 encap=2 stage=replay_check where=xfrm_input "
		 "reason=1 counter=XfrmInStateSeqError hops=0x4155 err=0");
	feed(&m, "DROP 901 skb=0xffff3 spi=0x00001000 seq=2 encap=2 stage=replay_check where=xfrm_input "
		 "reason=1 counter=XfrmInStateSeqError hops=0x4155 err=0");
	feed(&m, "Lost 7 events");
	assert_int_equal(m.n, 1);
	sa = xc_tr_model_find(&m, 0x1000);
	assert_non_null(sa);
	assert_null(xc_tr_model_find(&m, 0x1001));
	assert_int_equal(sa->c.hop[XC_HOP_UDP_RCV][0], 5);
	assert_int_equal(sa->c.hop[XC_HOP_UDP_RCV][1], 3);
	assert_int_equal(sa->c.hop[XC_HOP_ESP_INPUT][0], 2);
	assert_int_equal(sa->c.hop[XC_HOP_ESP_INPUT_TAIL][0], 1);
	assert_int_equal(sa->c.hop[XC_HOP_XFRM4_TRANSPORT_FINISH][0], 3);
	assert_int_equal(xc_tr_packets(&sa->c), 5);
	assert_int_equal(sa->c.software, 2);
	assert_int_equal(sa->c.offload, 1);
	assert_string_equal(xc_tr_path(&sa->c), "mixed");
	assert_int_equal(sa->c.last_seq, 2); /* the last packet at xfrm_input */
	assert_int_equal(sa->c.drops, 2);
	assert_int_equal(sa->c.n_drop_kinds, 1);
	assert_int_equal(sa->c.drop[0].n, 2);
	assert_string_equal(sa->c.drop[0].where, "xfrm_input");
	assert_int_equal(sa->encap, 2);
	assert_int_equal(m.lost, 7);
	assert_int_equal(m.ready_ns, 65329510884ULL);
	xc_tr_model_clear(&m);
}

/* Aggregate mode: a block of map lines counts once its TICK came, and
 * replaces the previous block (the maps hold totals since the start). */
static void test_model_aggregate(void **state)
{
	struct xc_tr_model m;
	struct xc_tr_sa *sa;

	(void)state;
	xc_tr_model_init(&m);
	feed(&m, "READY xfrm-rx mode=aggregate port=4500");
	feed(&m, "TICK 1000000000");
	assert_int_equal(m.n, 0);
	feed(&m, "@pkt[4096, 2, 90208026965]: 10"); /* 0x1500d14155: NAT-T */
	feed(&m, "@seq[4096]: 10");
	sa = xc_tr_model_find(&m, 4096);
	assert_non_null(sa);
	assert_int_equal(xc_tr_packets(&sa->c), 0); /* not before the TICK */
	feed(&m, "TICK 2000000000");
	assert_int_equal(xc_tr_packets(&sa->c), 10);
	assert_int_equal(sa->c.hop[XC_HOP_UDP_RCV][1], 10);
	assert_string_equal(xc_tr_path(&sa->c), "software");
	assert_int_equal(sa->c.last_seq, 10);
	assert_int_equal(sa->encap, 2);
	assert_true(sa->rate > 9.99 && sa->rate < 10.01); /* 10 packets in 1 s */

	feed(&m, "@pkt[4096, 2, 90208026965]: 28");
	/* bad ICV: esp_input_done2 reached, dropped there (0x114155) */
	feed(&m, "@pkt[4096, 2, 1130837]: 2");
	feed(&m, "@drop[4096, crypto, XfrmInStateProtoError, 1]: 2");
	/* plain ESP, offloaded: xfrm4_rcv, xfrm_input, esp_input_tail,
	 * esp_input_done2, xfrm_rcv_cb, transport_finish, inner UDP
	 * (0x1500d44400) */
	feed(&m, "@pkt[8192, 0, 90208224256]: 5");
	feed(&m, "TICK 3000000000");
	assert_int_equal(xc_tr_packets(&sa->c), 30);
	assert_int_equal(sa->c.software, 30); /* decrypted, the ICV failed in 2 */
	assert_int_equal(sa->c.hop[XC_HOP_XFRM_RCV_CB][0], 28);
	assert_int_equal(sa->c.hop[XC_HOP_UDP_QUEUE_RCV_SKB][1], 28);
	assert_int_equal(sa->c.drops, 2);
	assert_int_equal(sa->prev_drops, 0); /* what the block added: 2 */
	assert_string_equal(sa->c.drop[0].counter, "XfrmInStateProtoError");
	assert_string_equal(sa->c.drop[0].where, "");
	assert_true(sa->rate > 19.99 && sa->rate < 20.01);
	sa = xc_tr_model_find(&m, 8192);
	assert_non_null(sa);
	assert_string_equal(xc_tr_path(&sa->c), "offload");
	assert_int_equal(sa->c.offload, 5);
	assert_int_equal(sa->c.hop[XC_HOP_XFRM4_RCV][0], 5);
	assert_int_equal(sa->c.hop[XC_HOP_ESP_INPUT_TAIL][0], 5);
	assert_int_equal(sa->encap, 0);
	assert_int_equal(m.n, 2);
	xc_tr_model_clear(&m);
	assert_int_equal(m.n, 0);
}

/* The decrypted packet dropped by the policy check after xfrm_rcv_cb
 * (stage inner): not followed, so no hops and seq 0; its packet was
 * counted at xfrm_rcv_cb already. The DROP and @drop lines as the test
 * guest printed them (6.1, t-trace-scripts.sh, SPI 0x9000, an inbound
 * template of another reqid; reason 13 is 6.1's XFRM_POLICY); the PKT line
 * is the NAT-T one above with that SPI. */
#define INNER_PKT                                                                                  \
	"PKT 85850082382 skb=0xffff8880051fdf00 spi=0x00009000 seq=1 encap=2 hops=0x514155 err=0 "    \
	"spiarg=0x00000000"
#define INNER_DROP                                                                                 \
	"DROP 85862082382 skb=0xffff8880051fdf00 spi=0x00009000 seq=0 encap=2 stage=inner "          \
	"where=udp_queue_rcv_one_skb reason=13 counter=XfrmInTmplMismatch|XfrmInPolBlock|XfrmInNoPols " \
	"hops=0x0 err=0"
#define INNER_AGG_DROP "@drop[36864, inner, XfrmInTmplMismatch|XfrmInPolBlock|XfrmInNoPols, 13]: 5"

static void test_drop_inner(void **state)
{
	struct xc_tr_model m;
	struct xc_tr_sa *sa;
	struct xc_tr_line l;
	struct xc_tr_packet p;

	(void)state;
	l = parse_ok(INNER_DROP);
	assert_int_equal(l.kind, XC_TR_DROP);
	assert_int_equal(l.spi, 0x9000);
	assert_int_equal(l.seq, 0);
	assert_int_equal(l.hops, 0);
	assert_string_equal(l.stage, "inner");
	assert_string_equal(l.counter, "XfrmInTmplMismatch|XfrmInPolBlock|XfrmInNoPols");
	xc_tr_packet(&l, &p);
	assert_int_equal(p.n_outer, 0);
	assert_false(p.has_path);
	assert_false(p.has_err);

	/* events: the packet once (its PKT line), then its drop */
	xc_tr_model_init(&m);
	feed(&m, "READY xfrm-rx mode=events port=4500");
	feed(&m, INNER_PKT);
	feed(&m, INNER_DROP);
	sa = xc_tr_model_find(&m, 0x9000);
	assert_non_null(sa);
	assert_int_equal(xc_tr_packets(&sa->c), 1);
	assert_int_equal(sa->c.hop[XC_HOP_XFRM_RCV_CB][0], 1);
	assert_int_equal(sa->c.software, 1);
	assert_int_equal(sa->c.last_seq, 1); /* not the drop's 0 */
	assert_int_equal(sa->encap, 2);
	assert_int_equal(sa->c.drops, 1);
	assert_string_equal(sa->c.drop[0].stage, "inner");
	assert_string_equal(sa->c.drop[0].where, "udp_queue_rcv_one_skb");
	xc_tr_model_clear(&m);

	/* aggregate: @drop only */
	xc_tr_model_init(&m);
	feed(&m, "READY xfrm-rx mode=aggregate port=4500");
	feed(&m, "@pkt[36864, 2, 5325141]: 5");
	feed(&m, INNER_AGG_DROP);
	feed(&m, "@seq[36864]: 5");
	feed(&m, "TICK 1000000000");
	sa = xc_tr_model_find(&m, 0x9000);
	assert_non_null(sa);
	assert_int_equal(xc_tr_packets(&sa->c), 5);
	assert_int_equal(sa->c.drops, 5);
	assert_string_equal(sa->c.drop[0].stage, "inner");
	assert_string_equal(sa->c.drop[0].counter, "XfrmInTmplMismatch|XfrmInPolBlock|XfrmInNoPols");
	assert_int_equal(sa->c.last_seq, 5);
	xc_tr_model_clear(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hops),	       cmocka_unit_test(test_packet),
		cmocka_unit_test(test_drop),	       cmocka_unit_test(test_ends_at_rcv_cb),
		cmocka_unit_test(test_drop_inner),	       cmocka_unit_test(test_other_lines),
		cmocka_unit_test(test_bad_lines),      cmocka_unit_test(test_model_events),
		cmocka_unit_test(test_model_aggregate),
	};
	return cmocka_run_group_tests_name("trace_events", tests, NULL, NULL);
}
