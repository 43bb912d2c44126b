/* The parser of trace/xfrm-rx.bt's output and the per-SA model. The input
 * lines are ones bpftrace printed in the test guest (the samples in the
 * script's header, from tests/vm/t-trace-scripts.sh on 6.1), and broken
 * variants of them. */
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

static void test_event(void **state)
{
	struct xc_tr_line l;

	(void)state;
	l = parse_ok("EV 54710907385 xfrm_input skb=0xffff888005110700 spi=0x00001000 seq=1 encap=2 "
		     "pass=outer nexthdr=50 spiarg=0x00000000\n");
	assert_int_equal(l.kind, XC_TR_EVENT);
	assert_int_equal(l.ns, 54710907385ULL);
	assert_int_equal(l.hop, XC_HOP_XFRM_INPUT);
	assert_int_equal(l.skb, 0xffff888005110700ULL);
	assert_int_equal(l.spi, 0x1000);
	assert_int_equal(l.seq, 1);
	assert_int_equal(l.encap, 2);
	assert_false(l.inner);
	assert_false(l.has_path);

	l = parse_ok("EV 73848728897 esp_input_done2 skb=0xffff88801d81fd00 spi=0x00006000 seq=1 "
		     "encap=2 pass=outer path=software err=-74");
	assert_int_equal(l.hop, XC_HOP_ESP_INPUT_DONE2);
	assert_true(l.has_path);
	assert_false(l.offload);
	assert_false(l.gro);
	assert_true(l.has_err);
	assert_int_equal(l.err, -74);

	l = parse_ok("EV 1 esp_input_done2 skb=0x1 spi=0xffffffff seq=4294967295 encap=0 "
		     "pass=outer path=offload+gro err=0");
	assert_true(l.offload);
	assert_true(l.gro);
	assert_int_equal(l.spi, 0xffffffffu);
	assert_int_equal(l.seq, 0xffffffffu);

	l = parse_ok("EV 54714585435 udp_rcv skb=0xffff888005110700 spi=0x00001000 seq=1 encap=2 pass=inner");
	assert_int_equal(l.hop, XC_HOP_UDP_RCV);
	assert_true(l.inner);
}

static void test_drop(void **state)
{
	struct xc_tr_line l;

	(void)state;
	l = parse_ok("DROP 78491690480 skb=0xffff88801d81fd00 spi=0x00007000 seq=1 encap=2 "
		     "stage=replay_check where=xfrm_input reason=1 counter=XfrmInStateSeqError");
	assert_int_equal(l.kind, XC_TR_DROP);
	assert_int_equal(l.spi, 0x7000);
	assert_string_equal(l.stage, "replay_check");
	assert_string_equal(l.where, "xfrm_input");
	assert_int_equal(l.reason, 1);
	assert_string_equal(l.counter, "XfrmInStateSeqError");
	/* ksym() of an address it cannot name: where= empty */
	l = parse_ok("DROP 1 skb=0x1 spi=0x00000001 seq=0 encap=0 stage=udp where= reason=2 counter=-");
	assert_string_equal(l.where, "");
	assert_string_equal(l.counter, "-");
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

	l = parse_ok("@hop[4096, udp_queue_rcv_skb, outer]: 20");
	assert_int_equal(l.kind, XC_TR_AGG_HOP);
	assert_int_equal(l.spi, 4096);
	assert_int_equal(l.hop, XC_HOP_UDP_QUEUE_RCV_SKB);
	assert_false(l.inner);
	assert_int_equal(l.count, 20);
	l = parse_ok("@path[4096, software, -]: 20");
	assert_int_equal(l.kind, XC_TR_AGG_PATH);
	assert_false(l.offload);
	assert_false(l.gro);
	l = parse_ok("@path[16384, offload, gro]: 3");
	assert_true(l.offload);
	assert_true(l.gro);
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
		"EV 1 esp_input_done skb=0x1 spi=0x1 seq=1 encap=2 pass=outer", /* unknown hop */
		"EV 1 udp_rcv skb=0x1 spi=0x1 seq=1 encap=2",			 /* no pass */
		"EV 1 udp_rcv skb=0x1 spi=0x1 seq=1 encap=2 pass=middle",
		"EV 1 udp_rcv skb=0x1 spi=0x100000000 seq=1 encap=2 pass=outer", /* > 32 bits */
		"EV 1 udp_rcv skb=0x1 spi=0x1 seq=-1 encap=2 pass=outer",
		"EV x udp_rcv skb=0x1 spi=0x1 seq=1 encap=2 pass=outer",
		"EV 1 udp_rcv spi=0x1 skb=0x1 seq=1 encap=2 pass=outer", /* order */
		"EV 1 esp_input_done2 skb=0x1 spi=0x1 seq=1 encap=2 pass=outer path=hardware",
		"EV 1 esp_input_done2 skb=0x1 spi=0x1 seq=1 encap=2 pass=outer path=software+xyz",
		"EV 1 esp_input_done2 skb=0x1 spi=0x1 seq=1 encap=2 pass=outer err=abc",
		"EV 1 esp_input_done2 skb=0x1 spi=0x1 seq=1 encap=2 pass=outer stray",
		"DROP 1 skb=0x1 spi=0x1 seq=1 encap=2 stage=crypto where=xfrm_input reason=1",
		"DROP 1 skb=0x1 spi=0x1 seq=1 encap=2 stage= where=x reason=1 counter=-",
		"DROP 1 skb=0x1 spi=0x1 seq=1 encap=2 stage=crypto where=x reason=z counter=-",
		"READY xfrm-tx mode=events port=4500",
		"READY xfrm-rx mode=fast port=4500",
		"READY xfrm-rx mode=events port=65536",
		"TICK",
		"TICK 12a",
		"Lost many events",
		"@hop[4096, udp_rcv]: 2",
		"@hop[4096, udp_rcv, outer]: ",
		"@hop[4096, udp_rcv, outer] 2",
		"@hop[x, udp_rcv, outer]: 2",
		"@path[1, sideways, -]: 1",
		"@path[1, software, maybe]: 1",
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
		l.kind = XC_TR_EVENT;
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
	static const char *const hops[] = { "udp_rcv",	      "__udp4_lib_rcv",	 "udp_queue_rcv_skb",
					    "xfrm4_udp_encap_rcv", "xfrm4_rcv_encap", "xfrm_input" };
	struct xc_tr_model m;
	struct xc_tr_sa *sa;
	char line[256];

	(void)state;
	xc_tr_model_init(&m);
	feed(&m, "READY xfrm-rx mode=events port=4500");
	assert_true(m.ready);
	assert_true(m.events);
	for (unsigned int seq = 1; seq <= 3; seq++) {
		for (size_t i = 0; i < sizeof(hops) / sizeof(hops[0]); i++) {
			snprintf(line, sizeof(line),
				 "EV %u %s skb=0xffff1 spi=0x00001000 seq=%u encap=2 pass=outer",
				 seq * 100 + (unsigned int)i, hops[i], seq);
			feed(&m, line);
		}
		snprintf(line, sizeof(line),
			 "EV %u esp_input_done2 skb=0xffff1 spi=0x00001000 seq=%u encap=2 pass=outer path=%s err=0",
			 seq * 100 + 50, seq, seq == 3 ? "offload" : "software");
		feed(&m, line);
	}
	feed(&m, "DROP 900 skb=0xffff2 spi=0x00001000 seq=2 encap=2 stage=replay_check where=xfrm_input "
		 "reason=1 counter=XfrmInStateSeqError");
	feed(&m, "DROP 901 skb=0xffff3 spi=0x00001000 seq=2 encap=2 stage=replay_check where=xfrm_input "
		 "reason=1 counter=XfrmInStateSeqError");
	feed(&m, "Lost 7 events");
	assert_int_equal(m.n, 1);
	sa = xc_tr_model_find(&m, 0x1000);
	assert_non_null(sa);
	assert_null(xc_tr_model_find(&m, 0x1001));
	assert_int_equal(sa->c.hop[XC_HOP_UDP_RCV][0], 3);
	assert_int_equal(sa->c.hop[XC_HOP_UDP_RCV][1], 0);
	assert_int_equal(xc_tr_packets(&sa->c), 3);
	assert_int_equal(sa->c.software, 2);
	assert_int_equal(sa->c.offload, 1);
	assert_string_equal(xc_tr_path(&sa->c), "mixed");
	assert_int_equal(sa->c.last_seq, 3);
	assert_int_equal(sa->c.drops, 2);
	assert_int_equal(sa->c.n_drop_kinds, 1);
	assert_int_equal(sa->c.drop[0].n, 2);
	assert_string_equal(sa->c.drop[0].where, "xfrm_input");
	assert_int_equal(sa->encap, 2);
	assert_int_equal(m.lost, 7);
	assert_int_equal(m.ready_ns, 100);
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
	feed(&m, "@hop[4096, xfrm_input, outer]: 10");
	feed(&m, "@hop[4096, udp_rcv, inner]: 10");
	feed(&m, "@hop[4096, udp_rcv, outer]: 10");
	feed(&m, "@path[4096, software, -]: 10");
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

	feed(&m, "@hop[4096, xfrm_input, outer]: 30");
	feed(&m, "@path[4096, software, -]: 28");
	feed(&m, "@drop[4096, crypto, XfrmInStateProtoError, 1]: 2");
	feed(&m, "@hop[8192, xfrm4_rcv, outer]: 5");
	feed(&m, "@hop[8192, xfrm_input, outer]: 5");
	feed(&m, "@path[8192, offload, -]: 5");
	feed(&m, "TICK 3000000000");
	assert_int_equal(xc_tr_packets(&sa->c), 30);
	assert_int_equal(sa->c.software, 28);
	assert_int_equal(sa->c.drops, 2);
	assert_int_equal(sa->prev_drops, 0); /* what the block added: 2 */
	assert_string_equal(sa->c.drop[0].counter, "XfrmInStateProtoError");
	assert_string_equal(sa->c.drop[0].where, "");
	assert_true(sa->rate > 19.99 && sa->rate < 20.01);
	sa = xc_tr_model_find(&m, 8192);
	assert_non_null(sa);
	assert_string_equal(xc_tr_path(&sa->c), "offload");
	assert_int_equal(sa->encap, 0);
	assert_int_equal(m.n, 2);
	xc_tr_model_clear(&m);
	assert_int_equal(m.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hops),	       cmocka_unit_test(test_event),
		cmocka_unit_test(test_drop),	       cmocka_unit_test(test_other_lines),
		cmocka_unit_test(test_bad_lines),      cmocka_unit_test(test_model_events),
		cmocka_unit_test(test_model_aggregate),
	};
	return cmocka_run_group_tests_name("trace_events", tests, NULL, NULL);
}
