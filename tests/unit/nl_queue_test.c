/* Requests queued and sent many at once (xc_nl_queue, xc_nl_flush), against
 * the running kernel in a network namespace of the test's own: policies,
 * which xfrm_user takes without any crypto module (the host has no esp4).
 * The kernel handles every request of a message, answering only failures
 * and the last; the failures must reach the callback by their place in the
 * queue, in order, and the others be in the kernel. Needs CAP_SYS_ADMIN
 * (unshare) and CAP_NET_ADMIN; skipped without. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/xfrm.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "nl.h"
#include "sp.h"

#define MAX_FAILS 16

struct fails {
	unsigned int base; /* the place of the queue's first request in the test */
	unsigned int n;
	unsigned int at[MAX_FAILS];
	int err[MAX_FAILS];
};

static void record(unsigned int i, int err, const struct xc_err *xe, void *arg)
{
	struct fails *f = arg;

	(void)xe;
	assert_true(f->n < MAX_FAILS);
	f->at[f->n] = f->base + i;
	f->err[f->n++] = err;
}

/* Build an outbound policy for 10.0.k/8.../32 (k: 16 bits). */
static void build_policy(struct xc_nl *nl, unsigned int k)
{
	struct xfrm_userpolicy_info p = {
		.sel = { .family = AF_INET, .prefixlen_d = 32, .prefixlen_s = 0 },
		.lft = { .soft_byte_limit = XFRM_INF, .hard_byte_limit = XFRM_INF,
			 .soft_packet_limit = XFRM_INF, .hard_packet_limit = XFRM_INF },
		.dir = XFRM_POLICY_OUT,
		.action = XFRM_POLICY_ALLOW,
	};

	p.sel.daddr.a4 = htonl(0x0a000000 | k);
	xc_nl_req(nl, XFRM_MSG_NEWPOLICY, NLM_F_CREATE | NLM_F_EXCL, &p, sizeof(p));
}

static int setup(void **state)
{
	struct xc_nl *nl;

	if (unshare(CLONE_NEWNET) < 0)
		return 0; /* each test skips: *state stays NULL */
	if (xc_nl_open(&nl) < 0)
		return 0;
	*state = nl;
	return 0;
}

static int teardown(void **state)
{
	xc_nl_close(*state);
	return 0;
}

static struct xc_nl *nl_or_skip(void **state)
{
	if (!*state) {
		print_message("SKIP: no network namespace of our own (unshare: needs root)\n");
		skip();
	}
	return *state;
}

static uint32_t out_policies(struct xc_nl *nl)
{
	struct xc_spd_info info;

	assert_int_equal(xc_sp_count(nl, &info, NULL), 0);
	return info.out;
}

/* 150 policies, 64 to a message (the queue says when it is full); the
 * 101st repeats the 11th and the 141st the 21st: the kernel refuses those
 * two (EEXIST) and takes the rest, those after them in their message too. */
static void test_failures_by_place(void **state)
{
	struct xc_nl *nl = nl_or_skip(state);
	struct fails f = { 0 };
	uint32_t before = out_policies(nl);
	unsigned int i, queued = 0, flushes = 0;
	bool sent;
	int r;

	for (i = 0; i < 150; i++) {
		build_policy(nl, i == 100 ? 10 : i == 140 ? 20 : i);
		r = xc_nl_queue(nl);
		assert_true(r == 0 || r == 1);
		queued++;
		assert_int_equal(r, queued == XC_NL_QUEUE_MAX);
		if (r == 1 || i == 149) {
			assert_int_equal(xc_nl_flush(nl, record, &f, &sent), 0);
			assert_true(sent);
			flushes++;
			f.base = i + 1;
			queued = 0;
		}
	}
	assert_int_equal(flushes, 3);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.at[0], 100);
	assert_int_equal(f.err[0], -EEXIST);
	assert_int_equal(f.at[1], 140);
	assert_int_equal(f.err[1], -EEXIST);
	assert_int_equal(out_policies(nl), before + 148);
}

/* A request sent alone does not overtake queued ones: refused, and the
 * queue still goes whole. An empty queue sends nothing. */
static void test_no_overtaking(void **state)
{
	struct xc_nl *nl = nl_or_skip(state);
	struct fails f = { 0 };
	uint32_t before = out_policies(nl);
	bool sent = true;

	assert_int_equal(xc_nl_flush(nl, record, &f, &sent), 0);
	assert_false(sent);
	build_policy(nl, 1000);
	assert_int_equal(xc_nl_queue(nl), 0);
	build_policy(nl, 1001);
	assert_int_equal(xc_nl_req_send(nl, NULL, NULL, NULL), -EBUSY);
	assert_int_equal(xc_nl_flush(nl, record, &f, &sent), 0);
	assert_true(sent);
	assert_int_equal(f.n, 0);
	assert_int_equal(out_policies(nl), before + 1);
	/* and the socket is in step again: a request alone goes */
	build_policy(nl, 1001);
	assert_int_equal(xc_nl_req_send(nl, NULL, NULL, NULL), 0);
	assert_int_equal(out_policies(nl), before + 2);
}

/* Refusals counted, each checked to come in order. */
struct refusals {
	unsigned int n;
};

static void count_refusal(unsigned int at, int err, const struct xc_err *xe, void *arg)
{
	struct refusals *c = arg;

	(void)xe;
	assert_int_equal(at, c->n);
	assert_int_equal(err, -EEXIST);
	c->n++;
}

/* Every request of a full queue refused (all repeat a policy there): 64
 * answers, in order, none lost. */
static void test_all_refused(void **state)
{
	struct xc_nl *nl = nl_or_skip(state);
	struct refusals c = { 0 };
	uint32_t before;
	bool sent;

	build_policy(nl, 2000);
	assert_int_equal(xc_nl_req_send(nl, NULL, NULL, NULL), 0);
	before = out_policies(nl);
	for (unsigned int i = 0; i < XC_NL_QUEUE_MAX; i++) {
		build_policy(nl, 2000);
		assert_int_equal(xc_nl_queue(nl), i + 1 == XC_NL_QUEUE_MAX);
	}
	assert_int_equal(xc_nl_flush(nl, count_refusal, &c, &sent), 0);
	assert_int_equal(c.n, XC_NL_QUEUE_MAX);
	assert_int_equal(out_policies(nl), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failures_by_place),
		cmocka_unit_test(test_no_overtaking),
		cmocka_unit_test(test_all_refused),
	};

	return cmocka_run_group_tests_name("nl_queue", tests, setup, teardown);
}
