/* trace/xfrm-rx.bt's lines, parsed, and folded into per-SA counts. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "trace_events.h"

static const char *const hop_names[XC_HOP_N] = {
	[XC_HOP_UDP_RCV] = "udp_rcv",
	[XC_HOP_UDPV6_RCV] = "udpv6_rcv",
	[XC_HOP_UDP4_LIB_RCV] = "__udp4_lib_rcv",
	[XC_HOP_UDP6_LIB_RCV] = "__udp6_lib_rcv",
	[XC_HOP_UDP_QUEUE_RCV_SKB] = "udp_queue_rcv_skb",
	[XC_HOP_UDPV6_QUEUE_RCV_SKB] = "udpv6_queue_rcv_skb",
	[XC_HOP_XFRM4_UDP_ENCAP_RCV] = "xfrm4_udp_encap_rcv",
	[XC_HOP_XFRM6_UDP_ENCAP_RCV] = "xfrm6_udp_encap_rcv",
	[XC_HOP_XFRM4_RCV_ENCAP] = "xfrm4_rcv_encap",
	[XC_HOP_XFRM6_RCV_ENCAP] = "xfrm6_rcv_encap",
	[XC_HOP_XFRM4_RCV] = "xfrm4_rcv",
	[XC_HOP_XFRM6_RCV] = "xfrm6_rcv",
	[XC_HOP_ESP4_GRO_RECEIVE] = "esp4_gro_receive",
	[XC_HOP_ESP6_GRO_RECEIVE] = "esp6_gro_receive",
	[XC_HOP_XFRM_INPUT] = "xfrm_input",
	[XC_HOP_XFRM_INPUT_RESUME] = "xfrm_input_resume",
	[XC_HOP_ESP_INPUT] = "esp_input",
	[XC_HOP_ESP6_INPUT] = "esp6_input",
	[XC_HOP_ESP_INPUT_TAIL] = "esp_input_tail",
	[XC_HOP_ESP6_INPUT_TAIL] = "esp6_input_tail",
	[XC_HOP_ESP_INPUT_DONE2] = "esp_input_done2",
	[XC_HOP_ESP6_INPUT_DONE2] = "esp6_input_done2",
	[XC_HOP_XFRM_RCV_CB] = "xfrm_rcv_cb",
	[XC_HOP_XFRM4_TRANSPORT_FINISH] = "xfrm4_transport_finish",
	[XC_HOP_XFRM6_TRANSPORT_FINISH] = "xfrm6_transport_finish",
};

const char *xc_tr_hop_name(enum xc_tr_hop hop)
{
	return (unsigned int)hop < XC_HOP_N ? hop_names[hop] : NULL;
}

int xc_tr_hop_lookup(const char *name)
{
	for (int i = 0; i < XC_HOP_N; i++)
		if (!strcmp(name, hop_names[i]))
			return i;
	return -ENOENT;
}

/* ---- the lines ---- */

/* The bits of a hops= mask that name a hop */
#define KNOWN_HOPS \
	(((1ULL << XC_HOP_N) - 1) | ((1ULL << XC_HOP_INNER_N) - 1) << XC_HOP_INNER_BIT)
#define HOP_BIT(h) (1ULL << (h))

/* Up to max space-separated words of s (modified in place). */
static size_t split(char *s, char **w, size_t max)
{
	size_t n = 0;

	for (char *p = strtok(s, " \t"); p; p = strtok(NULL, " \t")) {
		if (n == max)
			return max + 1;
		w[n++] = p;
	}
	return n;
}

/* A whole number (0x… hex when it says so), or -EINVAL. */
static int num_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

static int num_u32(const char *s, uint32_t *v)
{
	uint64_t u;

	if (num_u64(s, &u) < 0 || u > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)u;
	return 0;
}

static int num_int(const char *s, int *v)
{
	char *end;
	long l;

	if (!*s)
		return -EINVAL;
	errno = 0;
	l = strtol(s, &end, 10);
	if (errno || *end || l < INT_MIN || l > INT_MAX)
		return -EINVAL;
	*v = (int)l;
	return 0;
}

static int copy_name(char *dst, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= len)
		return -EINVAL;
	memcpy(dst, s, n + 1);
	return 0;
}

/* "key=value": the value if w starts with key and '=', else NULL. */
static const char *kv(const char *w, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(w, key, n) && w[n] == '=' ? w + n + 1 : NULL;
}

/* skb= spi= seq= encap=: the four fields EV and DROP start with. */
static int parse_packet(char **w, struct xc_tr_line *l)
{
	const char *v[4];
	static const char *const keys[4] = { "skb", "spi", "seq", "encap" };

	for (int i = 0; i < 4; i++)
		if (!(v[i] = kv(w[i], keys[i])))
			return -EINVAL;
	if (num_u64(v[0], &l->skb) < 0 || num_u32(v[1], &l->spi) < 0 ||
	    num_u32(v[2], &l->seq) < 0 || num_int(v[3], &l->encap) < 0)
		return -EINVAL;
	return 0;
}

/* hops=0x…: a mask of the hops enum xc_tr_hop names, and no other bit */
static int parse_hops(const char *w, struct xc_tr_line *l)
{
	const char *v = kv(w, "hops");

	if (!v || strncmp(v, "0x", 2) || num_u64(v, &l->hops) < 0 || (l->hops & ~KNOWN_HOPS))
		return -EINVAL;
	return 0;
}

/* PKT <ns> skb= spi= seq= encap= hops= err= spiarg= */
static int parse_packet_line(char **w, size_t n, struct xc_tr_line *l)
{
	const char *err, *spiarg;

	if (n != 9 || num_u64(w[1], &l->ns) < 0 || parse_packet(w + 2, l) < 0 ||
	    parse_hops(w[6], l) < 0 || !(err = kv(w[7], "err")) || num_int(err, &l->err) < 0 ||
	    !(spiarg = kv(w[8], "spiarg")) || num_u32(spiarg, &l->spiarg) < 0)
		return -EINVAL;
	l->kind = XC_TR_PACKET;
	return 0;
}

/* DROP <ns> skb= spi= seq= encap= stage= where= reason= counter= hops= err= */
static int parse_drop(char **w, size_t n, struct xc_tr_line *l)
{
	const char *stage, *where, *reason, *counter, *err;

	if (n != 12 || num_u64(w[1], &l->ns) < 0 || parse_packet(w + 2, l) < 0 ||
	    parse_hops(w[10], l) < 0 || !(err = kv(w[11], "err")) || num_int(err, &l->err) < 0 ||
	    !(stage = kv(w[6], "stage")) || !(where = kv(w[7], "where")) ||
	    !(reason = kv(w[8], "reason")) || !(counter = kv(w[9], "counter")) ||
	    copy_name(l->stage, sizeof(l->stage), stage) < 0 ||
	    copy_name(l->counter, sizeof(l->counter), counter) < 0 || num_int(reason, &l->reason) < 0)
		return -EINVAL;
	/* ksym() of an address it cannot name prints nothing */
	if (*where && copy_name(l->where, sizeof(l->where), where) < 0)
		return -EINVAL;
	l->kind = XC_TR_DROP;
	return 0;
}

/* READY xfrm-rx mode=<events|aggregate> port=<n> */
static int parse_ready(char **w, size_t n, struct xc_tr_line *l)
{
	const char *mode, *port;
	uint32_t p;

	if (n != 4 || strcmp(w[1], "xfrm-rx") || !(mode = kv(w[2], "mode")) ||
	    !(port = kv(w[3], "port")) || num_u32(port, &p) < 0 || p > 65535)
		return -EINVAL;
	if (!strcmp(mode, "events"))
		l->events = true;
	else if (strcmp(mode, "aggregate"))
		return -EINVAL;
	l->port = p;
	l->kind = XC_TR_READY;
	return 0;
}

/* @name[k1, k2, …]: n — bpftrace's map print. The keys are words without
 * ", " or "]" in them, which holds for what the script puts in keys. */
static int parse_map(char *s, struct xc_tr_line *l)
{
	char *open = strchr(s, '['), *close = strstr(s, "]: "), *k[5];
	size_t nk = 0;
	uint32_t spi;

	if (!open || !close || close < open)
		return -EINVAL;
	*open = '\0';
	*close = '\0';
	if (num_u64(close + 3, &l->count) < 0)
		return -EINVAL;
	for (char *p = open + 1;;) {
		char *comma = strstr(p, ", ");

		if (nk == 5)
			return -EINVAL;
		k[nk++] = p;
		if (!comma)
			break;
		*comma = '\0';
		p = comma + 2;
	}
	if (num_u32(k[0], &spi) < 0)
		return -EINVAL;
	l->spi = spi;
	if (!strcmp(s, "@pkt") && nk == 3) {
		if (num_int(k[1], &l->encap) < 0 || num_u64(k[2], &l->hops) < 0 ||
		    (l->hops & ~KNOWN_HOPS))
			return -EINVAL;
		l->kind = XC_TR_AGG_PKT;
	} else if (!strcmp(s, "@drop") && nk == 4) {
		if (copy_name(l->stage, sizeof(l->stage), k[1]) < 0 ||
		    copy_name(l->counter, sizeof(l->counter), k[2]) < 0 ||
		    num_int(k[3], &l->reason) < 0)
			return -EINVAL;
		l->kind = XC_TR_AGG_DROP;
	} else if (!strcmp(s, "@seq") && nk == 1) {
		if (l->count > UINT32_MAX)
			return -EINVAL;
		l->seq = (uint32_t)l->count;
		l->kind = XC_TR_AGG_SEQ;
	} else {
		return -EINVAL;
	}
	return 0;
}

int xc_tr_parse_line(const char *line, struct xc_tr_line *out)
{
	char buf[512], *w[24];
	size_t len = strcspn(line, "\n"), n;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (buf[0] == '@') {
		r = parse_map(buf, out);
		goto out;
	}
	n = split(buf, w, sizeof(w) / sizeof(w[0]));
	if (n == 0 || !strcmp(w[0], "Attaching"))
		return 0;
	if (n > sizeof(w) / sizeof(w[0]))
		goto out;
	if (!strcmp(w[0], "PKT"))
		r = parse_packet_line(w, n, out);
	else if (!strcmp(w[0], "DROP"))
		r = parse_drop(w, n, out);
	else if (!strcmp(w[0], "TICK") && n == 2 && num_u64(w[1], &out->ns) == 0)
		out->kind = XC_TR_TICK, r = 0;
	else if (!strcmp(w[0], "Lost") && n == 3 && !strcmp(w[2], "events") &&
		 num_u64(w[1], &out->count) == 0)
		out->kind = XC_TR_LOST, r = 0;
	else if (!strcmp(w[0], "READY"))
		r = parse_ready(w, n, out);
out:
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ---- the model ---- */

void xc_tr_model_init(struct xc_tr_model *m)
{
	memset(m, 0, sizeof(*m));
}

void xc_tr_model_clear(struct xc_tr_model *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->sa[i]);
	free(m->sa);
	xc_tr_model_init(m);
}

struct xc_tr_sa *xc_tr_model_find(const struct xc_tr_model *m, uint32_t spi)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->sa[i]->spi == spi)
			return m->sa[i];
	return NULL;
}

static struct xc_tr_sa *sa_get(struct xc_tr_model *m, uint32_t spi)
{
	struct xc_tr_sa *sa = xc_tr_model_find(m, spi);

	if (sa)
		return sa;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct xc_tr_sa **p = realloc(m->sa, cap * sizeof(*p));

		if (!p)
			return NULL;
		m->sa = p;
		m->cap = cap;
	}
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	sa->spi = spi;
	sa->encap = -1;
	sa->rate_ns = m->now_ns;
	m->sa[m->n++] = sa;
	return sa;
}

uint64_t xc_tr_packets(const struct xc_tr_counts *c)
{
	return c->hop[XC_HOP_XFRM_INPUT][0];
}

const char *xc_tr_path(const struct xc_tr_counts *c)
{
	if (c->software && c->offload)
		return "mixed";
	return c->software ? "software" : c->offload ? "offload" : "none";
}

/* Add n drops of one kind; kinds beyond the table are counted only. */
static void add_drop(struct xc_tr_counts *c, const struct xc_tr_line *l, uint64_t n)
{
	struct xc_tr_drop *d = NULL;

	c->drops += n;
	for (unsigned int i = 0; i < c->n_drop_kinds; i++) {
		struct xc_tr_drop *e = &c->drop[i];

		if (e->reason == l->reason && !strcmp(e->stage, l->stage) &&
		    !strcmp(e->counter, l->counter) && !strcmp(e->where, l->where)) {
			d = e;
			break;
		}
	}
	if (!d) {
		if (c->n_drop_kinds == XC_TR_MAX_DROP_KINDS)
			return;
		d = &c->drop[c->n_drop_kinds++];
		memcpy(d->stage, l->stage, sizeof(d->stage));
		memcpy(d->counter, l->counter, sizeof(d->counter));
		memcpy(d->where, l->where, sizeof(d->where));
		d->reason = l->reason;
	}
	d->n += n;
}

/* ---- the hops of a packet ---- */

static bool has_hop(uint64_t hops, int h)
{
	return hops & HOP_BIT(h);
}

/* Which path decrypted it: offload unless esp_input ran (esp_input_done2
 * without esp_input is offload too: esp_input_tail may not be probed). */
static bool offloaded(uint64_t hops)
{
	return !has_hop(hops, XC_HOP_ESP_INPUT) && !has_hop(hops, XC_HOP_ESP6_INPUT);
}

static bool via_gro(uint64_t hops)
{
	return has_hop(hops, XC_HOP_ESP4_GRO_RECEIVE) || has_hop(hops, XC_HOP_ESP6_GRO_RECEIVE);
}

static bool decrypted(uint64_t hops)
{
	return has_hop(hops, XC_HOP_ESP_INPUT_DONE2) || has_hop(hops, XC_HOP_ESP6_INPUT_DONE2);
}

void xc_tr_packet(const struct xc_tr_line *l, struct xc_tr_packet *out)
{
	uint64_t hops = l->hops;

	out->n_outer = out->n_inner = 0;
	for (int h = 0; h < XC_HOP_N; h++)
		if (has_hop(hops, h))
			out->outer[out->n_outer++] = (uint8_t)h;
	for (int h = 0; h < XC_HOP_INNER_N; h++)
		if (has_hop(hops, h + XC_HOP_INNER_BIT))
			out->inner[out->n_inner++] = (uint8_t)h;
	out->gro = via_gro(hops);
	out->decrypted = decrypted(hops);
	if (out->decrypted) {
		out->has_path = true;
		out->offload = offloaded(hops);
	} else {
		out->offload = has_hop(hops, XC_HOP_ESP_INPUT_TAIL) || has_hop(hops, XC_HOP_ESP6_INPUT_TAIL);
		out->has_path = out->offload || has_hop(hops, XC_HOP_ESP_INPUT) ||
				has_hop(hops, XC_HOP_ESP6_INPUT);
	}
	out->has_err = out->decrypted || has_hop(hops, XC_HOP_XFRM_RCV_CB);
	out->err = out->decrypted ? l->err : 0;
}

/* n packets that went through these hops */
static void add_hops(struct xc_tr_counts *c, uint64_t hops, uint64_t n)
{
	for (int h = 0; h < XC_HOP_N; h++)
		if (has_hop(hops, h))
			c->hop[h][0] += n;
	for (int h = 0; h < XC_HOP_INNER_N; h++)
		if (has_hop(hops, h + XC_HOP_INNER_BIT))
			c->hop[h][1] += n;
	/* one decryption: esp_input_done2 */
	if (decrypted(hops)) {
		if (offloaded(hops))
			c->offload += n;
		else
			c->software += n;
		if (via_gro(hops))
			c->gro += n;
	}
}

/* An events-mode line: count it at once. */
static void apply_event(struct xc_tr_sa *sa, const struct xc_tr_line *l)
{
	add_hops(&sa->c, l->hops, 1);
	if (has_hop(l->hops, XC_HOP_XFRM_INPUT)) {
		sa->c.last_seq = l->seq;
		sa->c.has_seq = true;
	}
	if (l->kind == XC_TR_DROP)
		add_drop(&sa->c, l, 1);
	if (l->hops & ((1ULL << XC_HOP_N) - 1))
		sa->encap = l->encap;
}

/* An aggregate-mode line: into the block being read. */
static void apply_agg(struct xc_tr_sa *sa, const struct xc_tr_line *l)
{
	struct xc_tr_counts *c = &sa->next;

	switch (l->kind) {
	case XC_TR_AGG_PKT:
		add_hops(c, l->hops, l->count);
		break;
	case XC_TR_AGG_DROP:
		add_drop(c, l, l->count);
		break;
	case XC_TR_AGG_SEQ:
		c->last_seq = l->seq;
		c->has_seq = true;
		break;
	default:
		break;
	}
}

static void update_rate(struct xc_tr_sa *sa, uint64_t now)
{
	uint64_t p = xc_tr_packets(&sa->c);

	if (now > sa->rate_ns && now - sa->rate_ns >= 500000000ULL) {
		sa->rate = (double)(p - sa->rate_packets) * 1e9 / (double)(now - sa->rate_ns);
		sa->rate_packets = p;
		sa->rate_ns = now;
	}
}

/* The end of a block: what was read becomes what is shown. A map line is
 * printed only for keys that exist, so an SA absent from a block keeps
 * zero counts in it: the maps are never cleared, so that happens only
 * before its first packet. */
static int end_block(struct xc_tr_model *m)
{
	int changed = 0;

	for (size_t i = 0; i < m->n; i++) {
		struct xc_tr_sa *sa = m->sa[i];

		sa->prev_drops = sa->c.drops;
		if (memcmp(&sa->c, &sa->next, sizeof(sa->c))) {
			sa->c = sa->next;
			sa->changed_ns = m->now_ns;
			changed = 1;
		}
		memset(&sa->next, 0, sizeof(sa->next));
		update_rate(sa, m->now_ns);
	}
	return changed;
}

int xc_tr_model_apply(struct xc_tr_model *m, const struct xc_tr_line *l)
{
	struct xc_tr_sa *sa;

	if (l->ns > m->now_ns)
		m->now_ns = l->ns;
	switch (l->kind) {
	case XC_TR_READY:
		m->ready = true;
		m->events = l->events;
		m->port = l->port;
		return 1;
	case XC_TR_TICK:
		m->ticks++;
		if (!m->ready_ns)
			m->ready_ns = l->ns;
		if (m->events) {
			for (size_t i = 0; i < m->n; i++)
				update_rate(m->sa[i], m->now_ns);
			return 1;
		}
		end_block(m);
		return 1;
	case XC_TR_LOST:
		m->lost += l->count;
		return 1;
	case XC_TR_PACKET:
	case XC_TR_DROP:
		if (!m->ready_ns)
			m->ready_ns = l->ns;
		if (!(sa = sa_get(m, l->spi)))
			return -ENOMEM;
		apply_event(sa, l);
		sa->changed_ns = l->ns;
		return 1;
	case XC_TR_AGG_PKT:
	case XC_TR_AGG_DROP:
	case XC_TR_AGG_SEQ:
		if (!(sa = sa_get(m, l->spi)))
			return -ENOMEM;
		if (l->kind == XC_TR_AGG_PKT && (l->hops & ((1ULL << XC_HOP_N) - 1)))
			sa->encap = l->encap;
		apply_agg(sa, l);
		return 0;
	case XC_TR_IGNORE:
		break;
	}
	return 0;
}
