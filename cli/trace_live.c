/* xfrmctl trace live: run trace/xfrm-rx.bt under bpftrace, fold its lines
 * into per-SA counts (lib/trace_events.c), and show them: the ncurses view
 * on a terminal, lines or JSON lines otherwise; --expect-path turns the
 * result into an exit status for CI. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "nl.h"
#include "plugin.h"
#include "print.h"
#include "sa.h"
#include "spec.h"
#include "trace.h"
#include "trace_env.h"

#define SCRIPT "xfrm-rx.bt"
#define EXIT_EXPECT 3		   /* --expect-path not met */
#define STOP_GRACE_NS 60000000000ULL /* after SIGINT, bpftrace's END under TCG */
#define NS ((uint64_t)1000000000)

enum expect { EXPECT_NONE, EXPECT_SOFTWARE, EXPECT_OFFLOAD };

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a stop is pending anyway */
	}
	errno = saved;
}

uint64_t live_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

void live_log(struct live *lv, const char *fmt, ...)
{
	va_list ap;
	size_t i = (lv->ring_head + lv->ring_n) % LIVE_RING;

	if (lv->ring_n == LIVE_RING)
		lv->ring_head = (lv->ring_head + 1) % LIVE_RING;
	else
		lv->ring_n++;
	va_start(ap, fmt);
	vsnprintf(lv->ring[i], LIVE_RING_LINE, fmt, ap);
	va_end(ap);
}

bool live_shown(const struct live *lv, const struct xc_tr_sa *sa, bool use_filter)
{
	const struct live_sa_info *in = live_info(sa);
	char hex[16];

	if (lv->has_spi && sa->spi != lv->spi)
		return false;
	if (!use_filter || !lv->filter[0])
		return true;
	snprintf(hex, sizeof(hex), "0x%08x", sa->spi);
	return strstr(hex, lv->filter) ||
	       (in && (strstr(in->src, lv->filter) || strstr(in->dst, lv->filter) ||
			strstr(in->encap, lv->filter) || strstr(in->offload_dev, lv->filter)));
}

static void usage(FILE *f)
{
	fputs("Usage: xfrmctl [ -j ] [ -n NETNS ] trace live [ --duration SECS ] [ --count N ]\n"
	      "        [ --spi SPI ] [ --events ] [ --port PORT ] [ --expect-path PATH ]\n"
	      "        [ --no-modprobe ]\n"
	      "PATH := software | offload\n"
	      "--duration: stop after SECS of tracing; --count: after N packets (of --spi);\n"
	      "--events: a line per packet (default: counts every second);\n"
	      "--port: the NAT-T port (default 4500); --expect-path (needs --spi): exit 3\n"
	      "unless that SA's packets were seen and all took PATH (software: esp_input;\n"
	      "offload: the device decrypted, esp_input_tail). Keys in the view: q quit,\n"
	      "p pause, s sort, / filter, ? help, arrows select.\n", f);
}

/* ---- what the kernel knows of the SPIs ---- */

struct info_ctx {
	struct xc_tr_model *m;
};

static int info_one(const struct xc_sa *sa, void *arg)
{
	struct info_ctx *c = arg;
	const struct xfrm_usersa_info *p = &sa->info;
	struct xc_tr_sa *t = xc_tr_model_find(c->m, ntohl(p->id.spi));
	struct live_sa_info *in;
	const char *s;

	if (!t)
		return 0;
	if (!t->user && !(t->user = calloc(1, sizeof(struct live_sa_info))))
		return -ENOMEM;
	in = t->user;
	if (in->known) { /* another SA with this SPI (the other direction, say) */
		in->n_sas++;
		return 0;
	}
	in->known = true;
	in->n_sas = 1;
	snprintf(in->src, sizeof(in->src), "%s", cli_addr(p->family, &p->saddr));
	snprintf(in->dst, sizeof(in->dst), "%s", cli_addr(p->family, &p->id.daddr));
	s = xc_proto_name(p->id.proto);
	snprintf(in->proto, sizeof(in->proto), "%s", s ? s : "?");
	s = xc_mode_name(p->mode);
	snprintf(in->mode, sizeof(in->mode), "%s", s ? s : "?");
	if (sa->has_encap) {
		s = xc_encap_name(sa->encap.encap_type);
		snprintf(in->encap, sizeof(in->encap), "%s", s ? s : "encap");
		in->sport = ntohs(sa->encap.encap_sport);
		in->dport = ntohs(sa->encap.encap_dport);
	}
	if (sa->has_offload) {
		if (!if_indextoname((unsigned int)sa->offload.ifindex, in->offload_dev))
			snprintf(in->offload_dev, sizeof(in->offload_dev), "if%d", sa->offload.ifindex);
		snprintf(in->offload_dir, sizeof(in->offload_dir), "%s",
			 sa->offload.flags & XFRM_OFFLOAD_INBOUND ? "in" : "out");
	}
	return 0;
}

/* Look up the SPIs seen in the SAD (dumped over netlink: the request
 * carries keys back, which lib/ clears). Failure leaves rows unknown. */
static void refresh_info(struct live *lv)
{
	struct info_ctx c = { &lv->m };
	struct xc_err xe;
	struct xc_nl *nl = cli_nl("trace live");
	int r;

	if (!nl)
		return;
	for (size_t i = 0; i < lv->m.n; i++)
		if (lv->m.sa[i]->user)
			memset(lv->m.sa[i]->user, 0, sizeof(struct live_sa_info));
	r = xc_sa_dump(nl, info_one, &c, &xe);
	if (r < 0)
		live_log(lv, "cannot read the SAs: %s", strerror(-r));
}

static bool info_missing(const struct live *lv)
{
	for (size_t i = 0; i < lv->m.n; i++)
		if (!lv->m.sa[i]->user)
			return true;
	return false;
}

/* ---- line and JSON output ---- */

/* Seconds since READY, as text "S.UUUUUU". */
static const char *rel_time(const struct live *lv, uint64_t ns, char *buf, size_t len)
{
	uint64_t d = ns > lv->started_ns ? ns - lv->started_ns : 0;

	snprintf(buf, len, "%" PRIu64 ".%06" PRIu64, d / NS, d % NS / 1000);
	return buf;
}

static void print_info(const struct xc_tr_sa *sa)
{
	const struct live_sa_info *in = live_info(sa);

	print_bool(PRINT_JSON, "known", NULL, in && in->known);
	if (!in || !in->known) {
		print_string(PRINT_TEXT, NULL, " %s", "(no SA)");
		return;
	}
	print_string(PRINT_ANY, "src", " %s", in->src);
	print_string(PRINT_ANY, "dst", " > %s", in->dst);
	print_string(PRINT_JSON, "proto", NULL, in->proto);
	print_string(PRINT_ANY, "mode", " %s", in->mode);
	if (in->encap[0]) {
		print_open_object("encap");
		print_string(PRINT_ANY, "type", " %s", in->encap);
		print_uint(PRINT_ANY, "sport", " %" PRIu64, in->sport);
		print_uint(PRINT_ANY, "dport", ":%" PRIu64, in->dport);
		print_close_object();
	} else {
		print_null("encap");
	}
	if (in->offload_dev[0]) {
		print_open_object("offload");
		print_string(PRINT_ANY, "dev", " offload dev %s", in->offload_dev);
		print_string(PRINT_ANY, "dir", " dir %s", in->offload_dir);
		print_close_object();
	} else {
		print_null("offload");
	}
	if (in->n_sas > 1)
		print_uint(PRINT_ANY, "sas", " (%" PRIu64 " SAs with this SPI)", in->n_sas);
}

static void print_hops(const struct xc_tr_counts *c, unsigned int pass, const char *key)
{
	bool any = false;

	for (int h = 0; h < XC_HOP_N; h++)
		any |= c->hop[h][pass] != 0;
	if (!any && !print_is_json())
		return;
	print_string(PRINT_TEXT, NULL, "\n    %s:", key);
	print_open_object(key);
	for (int h = 0; h < XC_HOP_N; h++) {
		char fmt[48];

		if (!c->hop[h][pass])
			continue;
		/* the text is "name N": the name is in the format, as a literal */
		snprintf(fmt, sizeof(fmt), " %s %%" PRIu64, xc_tr_hop_name(h));
		print_uint(PRINT_ANY, xc_tr_hop_name(h), fmt, c->hop[h][pass]);
	}
	print_close_object();
}

/* One SA: a line (tick) or a block (summary) of text, or a JSON object
 * whose members are the same either way. */
static void print_sa(const struct xc_tr_sa *sa, bool detail)
{
	const struct xc_tr_counts *c = &sa->c;

	print_uint(PRINT_ANY, "spi", "spi 0x%08" PRIx64, sa->spi);
	print_info(sa);
	if (detail)
		print_text("\n   ");
	print_uint(PRINT_ANY, "packets", " packets %" PRIu64, xc_tr_packets(c));
	print_uint(PRINT_ANY, "rate", " rate %" PRIu64 "/s", (uint64_t)(sa->rate + 0.5));
	print_string(PRINT_ANY, "path", " path %s", xc_tr_path(c));
	print_open_object("decrypted");
	print_uint(PRINT_ANY, "software", " (software %" PRIu64, c->software);
	print_uint(PRINT_ANY, "offload", " offload %" PRIu64, c->offload);
	print_uint(PRINT_ANY, "gro", " gro %" PRIu64 ")", c->gro);
	print_close_object();
	print_uint(PRINT_ANY, "drops", " drops %" PRIu64, c->drops);
	if (c->has_seq)
		print_uint(PRINT_ANY, "last_seq", " last seq %" PRIu64, c->last_seq);
	else
		print_null("last_seq");
	if (sa->encap >= 0)
		print_int(PRINT_JSON, "encap_type", NULL, sa->encap);
	if (print_is_json() || detail) {
		print_open_object("hops");
		print_hops(c, 0, "outer");
		print_hops(c, 1, "inner");
		print_close_object();
		print_open_array("drop_kinds");
		for (unsigned int i = 0; i < c->n_drop_kinds; i++) {
			const struct xc_tr_drop *d = &c->drop[i];

			print_open_object(NULL);
			print_uint(PRINT_ANY, "count", "\n    drop %" PRIu64, d->n);
			print_string(PRINT_ANY, "counter", " %s", d->counter);
			print_string(PRINT_ANY, "stage", " (stage %s", d->stage);
			print_int(PRINT_ANY, "reason", ", reason %" PRId64, d->reason);
			if (d->where[0])
				print_string(PRINT_ANY, "where", ", freed in %s", d->where);
			print_text(")");
			print_close_object();
		}
		print_close_array();
	}
}

static void emit_line_end(struct live *lv, bool *failed)
{
	print_nl();
	if (print_end() < 0 && !*failed) {
		*failed = true;
		live_log(lv, "writing output failed");
	}
}

static bool out_failed;

/* An skb address, as a string: JSON numbers past 2^53 lose precision. */
static void print_skb(uint64_t skb)
{
	char b[24];

	snprintf(b, sizeof(b), "0x%" PRIx64, skb);
	print_string(PRINT_JSON, "skb", NULL, b);
}

/* Events mode: a packet as one object, its hops in path order. */
static void emit_packet(struct live *lv, const struct xc_tr_line *l)
{
	struct xc_tr_packet p;
	char t[32];

	xc_tr_packet(l, &p);
	print_open_object(NULL);
	print_string(PRINT_JSON, "event", NULL, "packet");
	print_string(PRINT_ANY, "t", "%s", rel_time(lv, l->ns, t, sizeof(t)));
	print_uint(PRINT_JSON, "ns", NULL, l->ns);
	print_uint(PRINT_ANY, "spi", " spi 0x%08" PRIx64, l->spi);
	print_uint(PRINT_ANY, "seq", " seq %" PRIu64, l->seq);
	print_int(PRINT_ANY, "encap_type", " encap %" PRId64, l->encap);
	if (p.has_path) {
		print_string(PRINT_ANY, "path", " path %s", p.offload ? "offload" : "software");
		print_bool(PRINT_JSON, "gro", NULL, p.gro);
		if (p.gro)
			print_text(" gro");
	}
	if (p.has_err)
		print_int(PRINT_ANY, "err", " err %" PRId64, p.err);
	print_text(" hops");
	print_open_array("hops");
	for (unsigned int i = 0; i < p.n_outer; i++)
		print_string(PRINT_ANY, NULL, " %s", xc_tr_hop_name(p.outer[i]));
	print_close_array();
	if (p.n_inner)
		print_text(" inner");
	print_open_array("inner_hops");
	for (unsigned int i = 0; i < p.n_inner; i++)
		print_string(PRINT_ANY, NULL, " %s", xc_tr_hop_name(p.inner[i]));
	print_close_array();
	print_skb(l->skb);
	print_close_object();
	emit_line_end(lv, &out_failed);
}

static void emit(struct live *lv, const struct xc_tr_line *l)
{
	char t[32];

	switch (l->kind) {
	case XC_TR_PACKET:
		if (!lv->has_spi || l->spi == lv->spi)
			emit_packet(lv, l);
		return;
	case XC_TR_READY:
		print_open_object(NULL);
		print_string(PRINT_ANY, "event", "%s", "ready");
		print_string(PRINT_ANY, "mode", " mode %s", l->events ? "events" : "aggregate");
		print_uint(PRINT_ANY, "port", " port %" PRIu64, l->port);
		print_close_object();
		break;
	case XC_TR_DROP:
		if (lv->has_spi && l->spi != lv->spi)
			return;
		/* no hops: a packet the script no longer followed (stage inner,
		 * dropped after xfrm_rcv_cb), whose packet object came already */
		if (l->hops)
			emit_packet(lv, l);
		print_open_object(NULL);
		print_string(PRINT_JSON, "event", NULL, "drop");
		print_string(PRINT_ANY, "t", "%s", rel_time(lv, l->ns, t, sizeof(t)));
		print_uint(PRINT_JSON, "ns", NULL, l->ns);
		print_uint(PRINT_ANY, "spi", " spi 0x%08" PRIx64, l->spi);
		print_uint(PRINT_ANY, "seq", " seq %" PRIu64 " drop", l->seq);
		print_string(PRINT_ANY, "counter", " %s", l->counter);
		print_string(PRINT_ANY, "stage", " stage %s", l->stage);
		print_string(PRINT_ANY, "where", " where %s", l->where[0] ? l->where : "?");
		print_int(PRINT_ANY, "reason", " reason %" PRId64, l->reason);
		print_int(PRINT_JSON, "encap_type", NULL, l->encap);
		print_skb(l->skb);
		print_close_object();
		break;
	case XC_TR_LOST:
		print_open_object(NULL);
		print_string(PRINT_ANY, "event", "%s", "lost");
		print_uint(PRINT_ANY, "count", " %" PRIu64 " events (bpftrace's buffer overflowed)",
			   l->count);
		print_close_object();
		break;
	default:
		return;
	}
	emit_line_end(lv, &out_failed);
}

/* Aggregate mode, after a block: the SAs that changed in it. */
static void emit_tick(struct live *lv, uint64_t since)
{
	char t[32];

	for (size_t i = 0; i < lv->m.n; i++) {
		const struct xc_tr_sa *sa = lv->m.sa[i];

		if (sa->changed_ns <= since || !live_shown(lv, sa, false))
			continue;
		print_open_object(NULL);
		print_string(PRINT_JSON, "event", NULL, "sa");
		print_string(PRINT_ANY, "t", "%s ", rel_time(lv, lv->m.now_ns, t, sizeof(t)));
		print_uint(PRINT_JSON, "ns", NULL, lv->m.now_ns);
		print_sa(sa, false);
		print_close_object();
		emit_line_end(lv, &out_failed);
	}
}

struct expect_result {
	bool ok;
	char why[200];
};

static void check_expect(const struct live *lv, enum expect e, struct expect_result *res)
{
	const struct xc_tr_sa *sa = xc_tr_model_find(&lv->m, lv->spi);
	const char *want = e == EXPECT_OFFLOAD ? "offload" : "software";
	uint64_t good, bad;

	res->ok = false;
	if (!sa || !xc_tr_packets(&sa->c)) {
		snprintf(res->why, sizeof(res->why), "spi 0x%08x: no packets seen (expected path %s)",
			 lv->spi, want);
		return;
	}
	good = e == EXPECT_OFFLOAD ? sa->c.offload : sa->c.software;
	bad = e == EXPECT_OFFLOAD ? sa->c.software : sa->c.offload;
	if (bad) {
		snprintf(res->why, sizeof(res->why),
			 "spi 0x%08x: %" PRIu64 " of %" PRIu64 " decryptions took the %s path (%s), expected %s",
			 lv->spi, bad, good + bad, e == EXPECT_OFFLOAD ? "software" : "offload",
			 e == EXPECT_OFFLOAD ? "esp_input" : "esp_input_tail", want);
		return;
	}
	if (!good) {
		snprintf(res->why, sizeof(res->why),
			 "spi 0x%08x: %" PRIu64 " packets, none decrypted (expected path %s)", lv->spi,
			 xc_tr_packets(&sa->c), want);
		return;
	}
	res->ok = true;
	snprintf(res->why, sizeof(res->why), "spi 0x%08x: all %" PRIu64 " decryptions took the %s path",
		 lv->spi, good, want);
}

static void emit_summary(struct live *lv, enum expect e, const struct expect_result *res)
{
	uint64_t end = lv->m.now_ns > lv->started_ns ? lv->m.now_ns : lv->started_ns;
	char t[32];

	print_open_object(NULL);
	print_string(PRINT_JSON, "event", NULL, "summary");
	print_string(PRINT_ANY, "duration", "traced %s s", rel_time(lv, end, t, sizeof(t)));
	print_string(PRINT_ANY, "mode", " (%s mode)", lv->m.events ? "events" : "aggregate");
	print_uint(PRINT_ANY, "lost", ", %" PRIu64 " events lost", lv->m.lost);
	print_uint(PRINT_JSON, "malformed", NULL, lv->m.malformed);
	print_open_array("sas");
	for (size_t i = 0; i < lv->m.n; i++) {
		const struct xc_tr_sa *sa = lv->m.sa[i];

		if (!live_shown(lv, sa, false))
			continue;
		print_text("\n");
		print_open_object(NULL);
		print_sa(sa, true);
		print_close_object();
	}
	print_close_array();
	if (e != EXPECT_NONE) {
		print_open_object("expect");
		print_uint(PRINT_JSON, "spi", NULL, lv->spi);
		print_string(PRINT_JSON, "path", NULL, e == EXPECT_OFFLOAD ? "offload" : "software");
		print_bool(PRINT_JSON, "ok", NULL, res->ok);
		print_string(PRINT_ANY, "detail", "\nexpect: %s", res->why);
		print_close_object();
	}
	print_close_object();
	emit_line_end(lv, &out_failed);
}

/* ---- bpftrace ---- */

struct tracer {
	pid_t pid;
	int out, err; /* its stdout and stderr, non-blocking */
	bool signalled;
	uint64_t kill_at; /* SIGKILL if still there then */
};

static int spawn(struct tracer *t, const char *script, bool events, unsigned int port)
{
	int o[2] = { -1, -1 }, e[2] = { -1, -1 };
	char mode[4], portarg[8];
	int ret = -1;

	snprintf(mode, sizeof(mode), "%d", events ? 1 : 0);
	snprintf(portarg, sizeof(portarg), "%u", port);
	if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0)
		goto out;
	fflush(NULL);
	t->pid = fork();
	if (t->pid < 0)
		goto out;
	if (t->pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* its own process group: the terminal's ^C is ours to pass on
		 * (as SIGINT, so that it prints its last counts); and if we
		 * die, so does it */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGINT);
		if (null < 0 || dup2(null, 0) < 0 || dup2(o[1], 1) < 0 || dup2(e[1], 2) < 0)
			_exit(126);
		/* events mode: a larger perf buffer than the default 64 pages */
		setenv("BPFTRACE_PERF_RB_PAGES", "1024", 0);
		/* events mode: bpftrace's output in blocks, not a write per
		 * line (the script flushes it every second) */
		if (events)
			execlp("bpftrace", "bpftrace", "-B", "full", script, mode, portarg,
			       (char *)NULL);
		else
			execlp("bpftrace", "bpftrace", script, mode, portarg, (char *)NULL);
		dprintf(2, "cannot run bpftrace: %s\n", strerror(errno));
		_exit(127);
	}
	t->out = o[0];
	t->err = e[0];
	o[0] = e[0] = -1;
	fcntl(t->out, F_SETFL, O_NONBLOCK);
	fcntl(t->err, F_SETFL, O_NONBLOCK);
	ret = 0;
out:
	if (ret < 0)
		ret = -errno;
	for (int i = 0; i < 2; i++) {
		if (o[i] >= 0)
			close(o[i]);
		if (e[i] >= 0)
			close(e[i]);
	}
	return ret;
}

static void tracer_stop(struct tracer *t)
{
	if (t->signalled || t->pid <= 0)
		return;
	kill(t->pid, SIGINT);
	t->signalled = true;
	t->kill_at = live_now() + STOP_GRACE_NS;
}

/* bpftrace's stderr: kept (shown if it fails) and passed on. */
static void take_stderr(struct live *lv, const char *s, size_t n, bool tui)
{
	size_t room = sizeof(lv->err) - 1 - lv->err_len;

	if (n > room) { /* keep the newest */
		size_t drop = n - room > lv->err_len ? lv->err_len : n - room;

		memmove(lv->err, lv->err + drop, lv->err_len - drop);
		lv->err_len -= drop;
		room += drop;
	}
	if (n > room) {
		s += n - room;
		n = room;
	}
	memcpy(lv->err + lv->err_len, s, n);
	lv->err_len += n;
	lv->err[lv->err_len] = '\0';
	if (!tui) {
		fprintf(stderr, "%.*s", (int)n, s);
		return;
	}
	for (const char *p = s, *end = s + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len)
			live_log(lv, "bpftrace: %.*s", (int)len, p);
		p += len + 1;
	}
}

/* ---- the loop ---- */

struct run {
	struct live *lv;
	struct tracer t;
	const struct tui_plugin *tui; /* the terminal view, or NULL: lines */
	bool stop_asked;
	uint64_t deadline;   /* --duration, from READY */
	uint64_t last_info;  /* when the SAD was last read */
	uint64_t last_tick;  /* aggregate output: SAs changed after this */
	char buf[65536];
	size_t len;
};

static uint64_t shown_packets(const struct live *lv)
{
	uint64_t n = 0;

	for (size_t i = 0; i < lv->m.n; i++)
		if (live_shown(lv, lv->m.sa[i], false))
			n += xc_tr_packets(&lv->m.sa[i]->c);
	return n;
}

static void log_line(struct live *lv, const struct xc_tr_line *l)
{
	struct xc_tr_packet p;
	char t[32];

	if (lv->has_spi && l->spi != lv->spi && (l->kind == XC_TR_PACKET || l->kind == XC_TR_DROP))
		return;
	if (l->kind == XC_TR_PACKET || l->kind == XC_TR_DROP) {
		xc_tr_packet(l, &p);
		if (p.decrypted)
			live_log(lv, "%s spi 0x%08x seq %u decrypted: %s%s%s",
				 rel_time(lv, l->ns, t, sizeof(t)), l->spi, l->seq,
				 p.offload ? "offload (esp_input_tail)" : "software (esp_input)",
				 p.gro ? ", gro" : "", p.err ? ", ICV failed" : "");
	}
	if (l->kind == XC_TR_DROP)
		live_log(lv, "%s DROP spi 0x%08x seq %u: %s (stage %s, reason %d, in %s)",
			 rel_time(lv, l->ns, t, sizeof(t)), l->spi, l->seq, l->counter, l->stage,
			 l->reason, l->where[0] ? l->where : "?");
	else if (l->kind == XC_TR_LOST)
		live_log(lv, "bpftrace lost %" PRIu64 " events", l->count);
}

/* Aggregate mode in the view: what a block added to the drops. */
static void log_block(struct live *lv)
{
	for (size_t i = 0; i < lv->m.n; i++) {
		const struct xc_tr_sa *sa = lv->m.sa[i];
		char t[32];

		if (sa->c.drops > sa->prev_drops && live_shown(lv, sa, false))
			live_log(lv, "%s spi 0x%08x: +%" PRIu64 " drops (%s)",
				 rel_time(lv, lv->m.now_ns, t, sizeof(t)), sa->spi,
				 sa->c.drops - sa->prev_drops,
				 sa->c.n_drop_kinds ? sa->c.drop[sa->c.n_drop_kinds - 1].counter : "?");
	}
}

static void take_line(struct run *r, const char *s)
{
	struct live *lv = r->lv;
	struct xc_tr_line l;

	if (xc_tr_parse_line(s, &l) < 0) {
		lv->m.malformed++;
		if (r->tui)
			live_log(lv, "unexpected line from bpftrace: %.100s", s);
		else
			err_msg("trace live: unexpected line from bpftrace: '%.200s'", s);
		return;
	}
	if (xc_tr_model_apply(&lv->m, &l) < 0) {
		live_log(lv, "out of memory");
		return;
	}
	if (l.kind == XC_TR_READY) {
		lv->started_ns = live_now();
		lv->status = "tracing";
		if (lv->duration_ns)
			r->deadline = lv->started_ns + lv->duration_ns;
	}
	if (r->tui) {
		log_line(lv, &l);
		if (l.kind == XC_TR_TICK && !lv->m.events)
			log_block(lv);
	} else if (l.kind == XC_TR_TICK) {
		if (!lv->m.events) {
			if (info_missing(lv))
				refresh_info(lv);
			emit_tick(lv, r->last_tick);
		}
		r->last_tick = lv->m.now_ns;
	} else {
		emit(lv, &l);
	}
	if (l.kind == XC_TR_LOST && !r->tui)
		err_msg("trace live: bpftrace lost %" PRIu64 " events", l.count);
}

/* Read what bpftrace wrote; returns 0 at its end of file. */
static int read_lines(struct run *r)
{
	ssize_t n = read(r->t.out, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
	char *p, *nl;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : -errno;
	if (n == 0) {
		if (r->len) { /* a last line without its newline */
			r->buf[r->len] = '\0';
			take_line(r, r->buf);
			r->len = 0;
		}
		return 0;
	}
	r->len += (size_t)n;
	r->buf[r->len] = '\0';
	for (p = r->buf; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		take_line(r, p);
	}
	r->len -= (size_t)(p - r->buf);
	memmove(r->buf, p, r->len);
	if (r->len == sizeof(r->buf) - 1) { /* no line is this long */
		r->lv->m.malformed++;
		r->len = 0;
	}
	return 1;
}

/* read_lines, its output written at once: one write for all the lines of
 * a read (in events mode, a line per packet) rather than one per line. */
static int read_out(struct run *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = r->tui ? NULL : open_memstream(&buf, &len);
	int ret;

	if (mem)
		print_init(mem, G.json);
	ret = read_lines(r);
	if (!mem)
		return ret;
	if ((fclose(mem) || (len && fwrite(buf, 1, len, stdout) != len) || fflush(stdout) == EOF) &&
	    !out_failed) {
		out_failed = true;
		live_log(r->lv, "writing output failed");
	}
	free(buf);
	print_init(stdout, G.json);
	return ret;
}

static void ask_stop(struct run *r, const char *why)
{
	if (r->stop_asked)
		return;
	r->stop_asked = true;
	r->lv->status = why;
	tracer_stop(&r->t);
}

/* Until bpftrace has gone: 0, or -errno. */
static int loop(struct run *r)
{
	struct live *lv = r->lv;
	bool out_open = true, err_open = true;
	uint64_t last_draw = 0;

	while (out_open) {
		struct pollfd pfd[4] = {
			{ .fd = r->t.out, .events = POLLIN },
			{ .fd = err_open ? r->t.err : -1, .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
			{ .fd = r->tui ? 0 : -1, .events = POLLIN },
		};
		uint64_t now;
		int n = poll(pfd, 4, 200);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && pfd[0].revents) {
			int rr = read_out(r);

			if (rr < 0)
				return rr;
			out_open = rr > 0;
		}
		if (n > 0 && pfd[1].revents) {
			char b[1024];
			ssize_t m = read(r->t.err, b, sizeof(b));

			if (m > 0)
				take_stderr(lv, b, (size_t)m, r->tui != NULL);
			else if (m == 0 || (errno != EAGAIN && errno != EINTR))
				err_open = false;
		}
		if (n > 0 && pfd[2].revents) {
			unsigned char c;

			while (read(sig_pipe[0], &c, 1) == 1)
				;
			ask_stop(r, "stopping (signal)");
		}
		if (r->tui && r->tui->keys(lv))
			ask_stop(r, "stopping");
		now = live_now();
		if (r->deadline && now >= r->deadline)
			ask_stop(r, "stopping (duration reached)");
		if (lv->count && shown_packets(lv) >= lv->count)
			ask_stop(r, "stopping (count reached)");
		if (out_failed)
			ask_stop(r, "stopping (output failed)");
		if (r->t.signalled && now >= r->t.kill_at) {
			kill(r->t.pid, SIGKILL);
			live_log(lv, "bpftrace did not stop: killed");
			r->t.kill_at = UINT64_MAX;
		}
		if (lv->m.ready && info_missing(lv) && now - r->last_info >= NS) {
			refresh_info(lv);
			r->last_info = now;
		}
		if (r->tui && (now - last_draw >= 250000000ULL || lv->dirty)) {
			r->tui->draw(lv);
			lv->dirty = false;
			last_draw = now;
		}
	}
	/* what stderr still holds */
	for (;;) {
		char b[1024];
		ssize_t m = err_open ? read(r->t.err, b, sizeof(b)) : 0;

		if (m <= 0)
			break;
		take_stderr(lv, b, (size_t)m, r->tui != NULL);
	}
	return 0;
}

/* Load the modules whose functions the script probes (a module loaded
 * after bpftrace started is not probed), as adding an SA would. */
static void load_modules(void)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("modprobe", "modprobe", "-q", "-a", "esp4", "esp6", "esp4_offload",
		       "esp6_offload", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

/* The first required check that failed, or NULL if trace live can work. */
static const struct xc_trace_check *env_blocker(struct xc_trace_env *env, int *err)
{
	*err = xc_trace_env_check(env, trace_bpftrace_version());
	if (*err < 0)
		return NULL;
	for (unsigned int i = 0; i < env->n; i++)
		if (env->checks[i].required && !env->checks[i].ok)
			return &env->checks[i];
	return NULL;
}

static int parse_uint(const char *opt, const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	if (!s) {
		err_msg("trace live: %s needs a value", opt);
		return -1;
	}
	*v = strtoull(s, &end, 0);
	if (errno || *end || !*s || *s == '-' || *v > max) {
		err_msg("trace live: bad value '%s' for %s", s, opt);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct live *lv, enum expect *e, bool *modprobe)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t u;

		if (!strcmp(a, "--events")) {
			lv->events = true;
			continue;
		}
		if (!strcmp(a, "--no-modprobe")) {
			*modprobe = false;
			continue;
		}
		if (!strcmp(a, "help") || !strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--duration")) {
			if (parse_uint(a, v, 1000000, &u) < 0)
				return -1;
			if (!u) {
				err_msg("trace live: bad value '%s' for --duration (1 or more seconds)", v);
				return -1;
			}
			lv->duration_ns = u * NS;
		} else if (!strcmp(a, "--count")) {
			if (parse_uint(a, v, UINT64_MAX, &u) < 0)
				return -1;
			lv->count = u;
		} else if (!strcmp(a, "--spi")) {
			if (parse_uint(a, v, UINT32_MAX, &u) < 0)
				return -1;
			lv->spi = (uint32_t)u;
			lv->has_spi = true;
		} else if (!strcmp(a, "--port")) {
			if (parse_uint(a, v, 65535, &u) < 0)
				return -1;
			if (!u) {
				err_msg("trace live: bad value '%s' for --port", v);
				return -1;
			}
			lv->port = (unsigned int)u;
		} else if (!strcmp(a, "--expect-path")) {
			if (!v) {
				err_msg("trace live: --expect-path needs a value");
				return -1;
			}
			if (!strcmp(v, "software"))
				*e = EXPECT_SOFTWARE;
			else if (!strcmp(v, "offload"))
				*e = EXPECT_OFFLOAD;
			else {
				err_msg("trace live: bad path '%s' for --expect-path (software or offload)", v);
				return -1;
			}
		} else {
			err_msg("trace live: unknown option '%s'", a);
			return -1;
		}
		i++;
	}
	if (*e != EXPECT_NONE && !lv->has_spi) {
		err_msg("trace live: --expect-path needs --spi");
		return -1;
	}
	return 0;
}

static void free_infos(struct live *lv)
{
	for (size_t i = 0; i < lv->m.n; i++)
		free(lv->m.sa[i]->user);
}

int trace_live_main(int argc, char **argv)
{
	static struct run run; /* large: its buffer */
	struct live *lv = NULL;
	struct xc_trace_env *env = NULL;
	const struct xc_trace_check *block;
	enum expect expect = EXPECT_NONE;
	struct expect_result res = { 0 };
	bool modprobe = true;
	struct sigaction sa = { .sa_handler = on_signal };
	char script[4096];
	int status = 0, r, ret = EXIT_RUNTIME;

	memset(&run, 0, sizeof(run));
	run.t.pid = -1;
	run.t.out = run.t.err = -1;
	lv = calloc(1, sizeof(*lv));
	env = malloc(sizeof(*env));
	if (!lv || !env) {
		err_msg("trace live: out of memory");
		goto out;
	}
	xc_tr_model_init(&lv->m);
	lv->port = 4500;
	lv->status = "starting bpftrace (compiling the script)";
	r = parse_args(argc, argv, lv, &expect, &modprobe);
	if (r) {
		ret = r > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	if (modprobe && geteuid() == 0)
		load_modules();
	block = env_blocker(env, &r);
	if (r < 0) {
		err_msg("trace live: checking the kernel: %s", strerror(-r));
		goto out;
	}
	if (block) {
		err_msg("trace live: cannot trace here: %s: %s (fix: %s)", block->name, block->detail,
			block->fix);
		goto out;
	}
	for (unsigned int i = 0; i < env->n; i++)
		if (!env->checks[i].ok)
			err_msg("trace live: warning: %s: %s: not traced", env->checks[i].name,
				env->checks[i].detail);
	r = snprintf(script, sizeof(script), "%s/%s", trace_dir(), SCRIPT);
	if (r < 0 || (size_t)r >= sizeof(script) || access(script, R_OK) < 0) {
		err_msg("trace live: cannot read the script '%s': %s", script, strerror(errno));
		goto out;
	}
	lv->script = script;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		err_msg("trace live: %s", strerror(errno));
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	run.lv = lv;
	r = spawn(&run.t, script, lv->events, lv->port);
	if (r < 0) {
		err_msg("trace live: cannot start bpftrace: %s", strerror(-r));
		goto out;
	}
	if (!G.json && isatty(0) && isatty(1)) {
		char why[PATH_MAX + 128];

		/* one line either way */
		run.tui = cli_plugin("trace-tui", why, sizeof(why));
		if (!run.tui)
			err_msg("trace live: lines instead of the terminal view: %s", why);
		else if (run.tui->start() < 0) {
			err_msg("trace live: cannot start the terminal view: lines instead");
			run.tui = NULL;
		}
	}
	print_init(stdout, G.json);
	r = loop(&run);
	if (run.tui)
		run.tui->stop();
	if (r < 0) {
		tracer_stop(&run.t);
		err_msg("trace live: %s", strerror(-r));
	}
	waitpid(run.t.pid, &status, 0);
	run.t.pid = -1;

	if (!lv->m.ready || (!run.t.signalled && status != 0) || r < 0) {
		char last[LIVE_ERR];
		size_t n = lv->err_len;

		while (n && lv->err[n - 1] == '\n')
			n--;
		snprintf(last, sizeof(last), "%.*s", (int)n, lv->err);
		if (run.tui && n)
			fprintf(stderr, "%s\n", last); /* the view hid it */
		if (WIFEXITED(status))
			err_msg("trace live: bpftrace %s (exit status %d)",
				lv->m.ready ? "stopped" : "failed before tracing", WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			err_msg("trace live: bpftrace %s (signal %d)",
				lv->m.ready ? "was killed" : "failed before tracing", WTERMSIG(status));
		if (!lv->m.ready)
			goto out;
	}
	refresh_info(lv);
	if (expect != EXPECT_NONE)
		check_expect(lv, expect, &res);
	if (run.tui)
		print_init(stdout, false);
	emit_summary(lv, expect, &res);
	if (lv->m.lost)
		err_msg("trace live: bpftrace lost %" PRIu64 " events: counts of events mode are low by as much",
			lv->m.lost);
	if (out_failed) {
		ret = EXIT_RUNTIME;
	} else if (expect != EXPECT_NONE && !res.ok) {
		err_msg("trace live: %s", res.why);
		ret = EXIT_EXPECT;
	} else {
		ret = lv->m.ready && (run.t.signalled || status == 0) ? EXIT_OK : EXIT_RUNTIME;
	}
out:
	if (run.t.pid > 0) {
		kill(run.t.pid, SIGKILL);
		waitpid(run.t.pid, NULL, 0);
	}
	if (run.t.out >= 0)
		close(run.t.out);
	if (run.t.err >= 0)
		close(run.t.err);
	for (int i = 0; i < 2; i++)
		if (sig_pipe[i] >= 0) {
			close(sig_pipe[i]);
			sig_pipe[i] = -1;
		}
	if (lv) {
		free_infos(lv);
		xc_tr_model_clear(&lv->m);
	}
	free(lv);
	free(env);
	return ret;
}
