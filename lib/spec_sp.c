#include "spec_sp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "spec.h"
#include "spec_int.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Names by value, as the kernel numbers them. */
static const char *const dirs[] = { "in", "out", "fwd" };            /* XFRM_POLICY_IN… */
static const char *const actions[] = { "allow", "block" };           /* XFRM_POLICY_ALLOW… */
static const char *const ptypes[] = { "main", "sub" };               /* XFRM_POLICY_TYPE_… */
static const char *const shares[] = { "any", "session", "user", "unique" }; /* XFRM_SHARE_… */
static const char *const sp_flags[] = { "localok", "icmp" };         /* bit i of flags */
static const char *const defaults[] = { "unspec", "block", "accept" }; /* XFRM_USERPOLICY_… */

static const char *name_of(const char *const *t, size_t n, unsigned int v)
{
	return v < n ? t[v] : NULL;
}

const char *xc_sp_dir_name(uint8_t dir)
{
	return name_of(dirs, N_ELEM(dirs), dir % XFRM_POLICY_MAX);
}

const char *xc_sp_action_name(uint8_t a) { return name_of(actions, N_ELEM(actions), a); }
const char *xc_sp_ptype_name(uint8_t t) { return name_of(ptypes, N_ELEM(ptypes), t); }
const char *xc_sp_share_name(uint8_t s) { return name_of(shares, N_ELEM(shares), s); }
const char *xc_sp_flag_name(unsigned int bit) { return name_of(sp_flags, N_ELEM(sp_flags), bit); }
const char *xc_sp_default_name(uint8_t a) { return name_of(defaults, N_ELEM(defaults), a); }

/* The index of tok in t, or -1. */
static int index_of(const char *const *t, size_t n, const char *tok)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i], tok))
			return (int)i;
	return -1;
}

/* A NAME after kw, one of t: its index in *out. In messages, name is its
 * placeholder and what its description: "missing DIR after 'dir'",
 * "bad direction 'x' after 'dir' (in, out, fwd)". */
static int one_of(struct spec_cur *c, const char *kw, const char *name, const char *what,
		  const char *const *t, size_t n, const char *choices, uint8_t *out)
{
	const char *tok = spec_value(c, kw, name);
	int i;

	if (!tok)
		return -EINVAL;
	i = index_of(t, n, tok);
	if (i < 0) {
		xc_err_set(c->err, "bad %s '%s' after '%s' (%s)", what, tok, kw, choices);
		return -EINVAL;
	}
	*out = (uint8_t)i;
	return 0;
}

static int dir_value(struct spec_cur *c, const char *kw, uint8_t *dir)
{
	return one_of(c, kw, "DIR", "direction", dirs, N_ELEM(dirs), "in, out, fwd", dir);
}

static int ptype_value(struct spec_cur *c, const char *kw, uint8_t *ptype)
{
	return one_of(c, kw, "PTYPE", "policy type", ptypes, N_ELEM(ptypes), "main, sub", ptype);
}

/* ---- templates ---- */

/* TMPL := ID [ mode MODE ] [ reqid REQID ] [ level LEVEL ], in any order;
 * ID := [ src ADDR ] [ dst ADDR ] [ proto XFRM-PROTO ] [ spi SPI ]. Ends at
 * the first token that is none of these (or at the next 'tmpl'). */
static int tmpl(struct spec_cur *c, struct xc_sp *sp)
{
	enum { T_SRC, T_DST, T_PROTO, T_SPI, T_MODE, T_REQID, T_LEVEL };
	static const char *const kws[] = { "src", "dst", "proto", "spi", "mode", "reqid", "level" };
	static const char *const levels[] = { "required", "use" }; /* optional 0, 1 */
	unsigned int n = sp->n_tmpl + 1, seen = 0;
	struct xfrm_user_tmpl *t;
	char what[16];
	const char *kw, *tok;
	uint64_t v;
	uint16_t f;
	int k, r;

	if (sp->n_tmpl == XC_SP_TMPL_MAX) {
		xc_err_set(c->err, "more than %d templates (the kernel's XFRM_MAX_DEPTH)",
			   XC_SP_TMPL_MAX);
		return -EINVAL;
	}
	t = &sp->tmpl[sp->n_tmpl++];
	t->aalgos = t->ealgos = t->calgos = ~0u; /* every algorithm */
	snprintf(what, sizeof(what), "tmpl %u", n);
	while ((kw = spec_peek(c)) && (k = index_of(kws, N_ELEM(kws), kw)) >= 0) {
		if (seen & (1u << k)) {
			xc_err_set(c->err, "'%s' given twice in tmpl %u", kw, n);
			return -EINVAL;
		}
		seen |= 1u << k;
		c->i++;
		switch (k) {
		case T_SRC:
		case T_DST:
			r = spec_addr(c, kw, k == T_SRC ? &t->saddr : &t->id.daddr, &f, NULL);
			if (r == 0)
				r = spec_same_family(c, &t->family, f, what);
			break;
		case T_PROTO:
			r = spec_xfrm_proto(c, kw, &t->id.proto);
			break;
		case T_SPI:
			if (!(tok = spec_value(c, kw, "SPI")))
				return -EINVAL;
			if (spec_parse_u64(tok, UINT32_MAX, &v) < 0)
				return spec_bad(c, "SPI", tok, kw);
			t->id.spi = htonl((uint32_t)v);
			r = 0;
			break;
		case T_MODE:
			r = spec_mode(c, &t->mode);
			break;
		case T_REQID:
			r = spec_num32(c, kw, &t->reqid);
			break;
		default: /* T_LEVEL */
			r = one_of(c, kw, "LEVEL", "level", levels, N_ELEM(levels), "required, use",
				   &t->optional);
		}
		if (r < 0)
			return r;
	}
	if (!seen) {
		xc_err_set(c->err, "missing TMPL after 'tmpl'");
		return -EINVAL;
	}
	if (!(seen & (1u << T_PROTO))) {
		xc_err_set(c->err, "missing 'proto XFRM-PROTO' in tmpl %u", n);
		return -EINVAL;
	}
	return 0;
}

/* What the kernel's validate_tmpl() refuses with a bare EINVAL, in words.
 * Templates without addresses take the selector's family, as in the kernel. */
static int check_tmpls(struct spec_cur *c, struct xc_sp *sp)
{
	const struct xfrm_userpolicy_info *p = &sp->info;
	uint16_t prev = p->sel.family;

	for (unsigned int i = 0; i < sp->n_tmpl; i++) {
		struct xfrm_user_tmpl *t = &sp->tmpl[i];
		bool tunnel = t->mode == XFRM_MODE_TUNNEL || t->mode == XFRM_MODE_BEET;

		if (!t->family)
			t->family = p->sel.family;
		if (tunnel && t->optional && p->dir == XFRM_POLICY_OUT) {
			xc_err_set(c->err, "tmpl %u: 'level use' is not allowed with mode %s in a "
				   "'dir out' policy", i + 1, xc_mode_name(t->mode));
			return -EINVAL;
		}
		if (!tunnel && t->family != prev) {
			char before[16] = "the SELECTOR";

			if (i > 0)
				snprintf(before, sizeof(before), "tmpl %u", i);
			xc_err_set(c->err, "tmpl %u is %s but %s is %s: only a tunnel or beet "
				   "template can change the address family", i + 1,
				   t->family == AF_INET6 ? "IPv6" : "IPv4", before,
				   prev == AF_INET6 ? "IPv6" : "IPv4");
			return -EINVAL;
		}
		if (t->id.proto == IPPROTO_COMP && ntohl(t->id.spi) > 0xffff) {
			xc_err_set(c->err, "tmpl %u: SPI 0x%08x of comp is a CPI and must be below "
				   "0x10000", i + 1, ntohl(t->id.spi));
			return -EINVAL;
		}
		prev = t->family;
	}
	return 0;
}

/* ---- the keywords of a policy ---- */

enum {
	K_SEL = 1 << 0,
	K_DIR = 1 << 1,
	K_CTX = 1 << 2,
	K_MARK = 1 << 3,
	K_INDEX = 1 << 4,
	K_PTYPE = 1 << 5,
	K_IF_ID = 1 << 6,
	K_ACTION = 1 << 7,
	K_PRIORITY = 1 << 8,
	K_FLAG = 1 << 9,
	K_LIMIT = 1 << 10,
	K_TMPL = 1 << 11,
	K_REPEATS = K_FLAG | K_LIMIT | K_TMPL, /* may be given more than once */
};

static const struct {
	const char *name;
	unsigned int bit;
} keywords[] = {
	/* the words a SELECTOR may start with */
	{ "src", K_SEL }, { "dst", K_SEL }, { "dev", K_SEL }, { "proto", K_SEL },
	{ "sport", K_SEL }, { "dport", K_SEL }, { "type", K_SEL }, { "code", K_SEL },
	{ "dir", K_DIR }, { "ctx", K_CTX }, { "mark", K_MARK }, { "index", K_INDEX },
	{ "ptype", K_PTYPE }, { "if_id", K_IF_ID }, { "action", K_ACTION },
	{ "priority", K_PRIORITY }, { "flag", K_FLAG }, { "limit", K_LIMIT }, { "tmpl", K_TMPL },
};

static unsigned int keyword_bit(const char *kw)
{
	for (size_t i = 0; i < N_ELEM(keywords); i++)
		if (!strcmp(keywords[i].name, kw))
			return keywords[i].bit;
	return 0;
}

/* Parse the keywords of allowed (K_*) into sp; *seen gets those given. */
static int parse(struct spec_cur *c, struct xc_sp *sp, unsigned int allowed, unsigned int *seen)
{
	struct xfrm_userpolicy_info *p = &sp->info;
	const char *kw, *tok;
	unsigned int bit;
	uint32_t fl;
	int r;

	*seen = 0;
	while ((kw = spec_peek(c))) {
		bit = keyword_bit(kw);
		if (!(bit & allowed)) {
			xc_err_set(c->err, "unknown keyword '%s'", kw);
			return -EINVAL;
		}
		if ((*seen & bit) && !(bit & K_REPEATS)) {
			if (bit == K_SEL)
				xc_err_set(c->err, "the SELECTOR must be given in one piece: '%s' "
					   "comes after other keywords", kw);
			else
				xc_err_set(c->err, "'%s' given twice", kw);
			return -EINVAL;
		}
		*seen |= bit;
		if (bit == K_SEL) {
			r = spec_selector(c, &p->sel, "SELECTOR");
			if (r < 0)
				return r;
			continue;
		}
		c->i++;
		switch (bit) {
		case K_DIR:
			r = dir_value(c, kw, &p->dir);
			break;
		case K_CTX:
			if (!(tok = spec_value(c, kw, "CTX")))
				return -EINVAL;
			if (strlen(tok) >= sizeof(sp->ctx.str)) {
				xc_err_set(c->err, "security context after 'ctx' is longer than "
					   "%zu bytes", sizeof(sp->ctx.str) - 1);
				return -EINVAL;
			}
			strcpy(sp->ctx.str, tok);
			sp->ctx.doi = XFRM_SC_DOI_LSM;
			sp->ctx.alg = XFRM_SC_ALG_SELINUX;
			sp->has_ctx = true;
			r = 0;
			break;
		case K_MARK:
			r = spec_mark(c, kw, &sp->mark.v, &sp->mark.m);
			sp->has_mark = true;
			break;
		case K_INDEX:
			r = spec_num32(c, kw, &p->index);
			break;
		case K_PTYPE:
			r = ptype_value(c, kw, &sp->ptype);
			sp->has_ptype = true;
			break;
		case K_IF_ID:
			r = spec_num32(c, kw, &sp->if_id);
			sp->has_if_id = true;
			break;
		case K_ACTION:
			r = one_of(c, kw, "ACTION", "action", actions, N_ELEM(actions),
				   "allow, block", &p->action);
			break;
		case K_PRIORITY:
			r = spec_num32(c, kw, &p->priority);
			break;
		case K_FLAG:
			fl = p->flags;
			r = spec_flag_list(c, kw, sp_flags, N_ELEM(sp_flags), &fl);
			p->flags = (uint8_t)fl;
			break;
		case K_LIMIT:
			r = spec_limit(c, &p->lft);
			break;
		default: /* K_TMPL */
			r = tmpl(c, sp);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static void sp_defaults(struct xc_sp *sp)
{
	struct xfrm_lifetime_cfg *l = &sp->info.lft;

	memset(sp, 0, sizeof(*sp));
	l->soft_byte_limit = l->hard_byte_limit = XFRM_INF;
	l->soft_packet_limit = l->hard_packet_limit = XFRM_INF;
	sp->info.share = XFRM_SHARE_ANY;
}

/* What add, get and delete all need: a direction, and a selector family
 * (IPv4 when no address says otherwise, as ip does). */
static int check_common(struct spec_cur *c, struct xc_sp *sp, unsigned int seen)
{
	struct xfrm_userpolicy_info *p = &sp->info;

	if (!(seen & K_DIR)) {
		xc_err_set(c->err, "missing 'dir DIR'");
		return -EINVAL;
	}
	if (!p->sel.family)
		p->sel.family = AF_INET;
	/* the kernel keeps a policy's direction in its index's low bits */
	if (p->index && (p->index & 7) != p->dir) {
		xc_err_set(c->err, "index %u does not match 'dir %s' (index & 7 must be %u)",
			   p->index, dirs[p->dir], p->dir);
		return -EINVAL;
	}
	return 0;
}

int xc_spec_sp(int argc, char **argv, struct xc_sp *sp, struct xc_err *err)
{
	struct spec_cur c = { .argc = argc, .argv = argv, .err = err };
	unsigned int seen;
	int r;

	sp_defaults(sp);
	r = parse(&c, sp, ~0u, &seen);
	if (r == 0)
		r = check_common(&c, sp, seen);
	if (r == 0)
		r = check_tmpls(&c, sp);
	return r;
}

int xc_spec_sp_id(int argc, char **argv, struct xc_sp *sp, struct xc_err *err)
{
	struct spec_cur c = { .argc = argc, .argv = argv, .err = err };
	unsigned int seen;
	int r;

	sp_defaults(sp);
	r = parse(&c, sp, K_SEL | K_DIR | K_CTX | K_MARK | K_INDEX | K_PTYPE | K_IF_ID, &seen);
	if (r < 0)
		return r;
	if ((seen & K_SEL) && (seen & K_INDEX)) {
		xc_err_set(err, "'index' and a SELECTOR exclude each other");
		return -EINVAL;
	}
	if (!(seen & (K_SEL | K_INDEX))) {
		xc_err_set(err, "missing SELECTOR or 'index INDEX'");
		return -EINVAL;
	}
	if ((seen & K_INDEX) && !sp->info.index) {
		xc_err_set(err, "index 0 names no policy");
		return -EINVAL;
	}
	return check_common(&c, sp, seen);
}

int xc_spec_sp_filter(int argc, char **argv, struct xc_sp_filter *f, struct xc_err *err)
{
	struct spec_cur c = { .argc = argc, .argv = argv, .err = err };
	unsigned int seen;
	int r;

	memset(f, 0, sizeof(*f));
	r = parse(&c, &f->sp, K_SEL | K_DIR | K_INDEX | K_PTYPE | K_ACTION | K_PRIORITY, &seen);
	if (r < 0)
		return r;
	f->sel = seen & K_SEL;
	f->dir = seen & K_DIR;
	f->index = seen & K_INDEX;
	f->ptype = seen & K_PTYPE;
	f->action = seen & K_ACTION;
	f->priority = seen & K_PRIORITY;
	return 0;
}

/* Does the prefix a/alen lie inside the prefix w/wlen? */
static bool prefix_inside(const xfrm_address_t *a, unsigned int alen, const xfrm_address_t *w,
			  unsigned int wlen)
{
	const unsigned char *x = (const void *)a, *y = (const void *)w;
	unsigned int bytes = wlen / 8, bits = wlen % 8;

	if (alen < wlen || memcmp(x, y, bytes))
		return false;
	return !bits || !((x[bytes] ^ y[bytes]) & (0xff << (8 - bits)));
}

static bool sel_match(const struct xfrm_selector *w, const struct xfrm_selector *s)
{
	if ((w->family && w->family != s->family) ||
	    !prefix_inside(&s->saddr, s->prefixlen_s, &w->saddr, w->prefixlen_s) ||
	    !prefix_inside(&s->daddr, s->prefixlen_d, &w->daddr, w->prefixlen_d))
		return false;
	return (!w->ifindex || w->ifindex == s->ifindex) && (!w->proto || w->proto == s->proto) &&
	       (!w->sport_mask || (s->sport_mask && w->sport == s->sport)) &&
	       (!w->dport_mask || (s->dport_mask && w->dport == s->dport));
}

bool xc_sp_filter_match(const struct xc_sp_filter *f, const struct xc_sp *sp)
{
	const struct xfrm_userpolicy_info *w = &f->sp.info, *p = &sp->info;

	return (!f->sel || sel_match(&w->sel, &p->sel)) && (!f->dir || p->dir == w->dir) &&
	       (!f->index || p->index == w->index) && (!f->ptype || sp->ptype == f->sp.ptype) &&
	       (!f->action || p->action == w->action) &&
	       (!f->priority || p->priority == w->priority);
}

int xc_spec_sp_flush(int argc, char **argv, bool *has_ptype, uint8_t *ptype, struct xc_err *err)
{
	struct spec_cur c = { .argc = argc, .argv = argv, .err = err };
	const char *kw;

	*has_ptype = false;
	*ptype = XFRM_POLICY_TYPE_MAIN;
	while ((kw = spec_peek(&c))) {
		c.i++;
		if (strcmp(kw, "ptype")) {
			xc_err_set(err, "only 'ptype PTYPE' can narrow a flush, got '%s'", kw);
			return -EINVAL;
		}
		if (*has_ptype) {
			xc_err_set(err, "'ptype' given twice");
			return -EINVAL;
		}
		if (ptype_value(&c, kw, ptype) < 0)
			return -EINVAL;
		*has_ptype = true;
	}
	return 0;
}

int xc_spec_sp_default(int argc, char **argv, struct xc_sp_default *d, struct xc_err *err)
{
	struct spec_cur c = { .argc = argc, .argv = argv, .err = err };
	const char *tok;
	uint8_t *slot;
	int dir;

	memset(d, 0, sizeof(*d));
	if (argc == 0) {
		xc_err_set(err, "missing DIR ACTION (e.g. 'out block')");
		return -EINVAL;
	}
	while ((tok = spec_peek(&c))) {
		c.i++;
		dir = index_of(dirs, N_ELEM(dirs), tok);
		if (dir < 0) {
			xc_err_set(err, "bad direction '%s' (in, out, fwd)", tok);
			return -EINVAL;
		}
		slot = dir == XFRM_POLICY_IN ? &d->in : dir == XFRM_POLICY_OUT ? &d->out : &d->fwd;
		if (*slot) {
			xc_err_set(err, "'%s' given twice", tok);
			return -EINVAL;
		}
		if (!(tok = spec_value(&c, dirs[dir], "ACTION")))
			return -EINVAL;
		if (!strcmp(tok, "accept") || !strcmp(tok, "allow")) {
			*slot = XFRM_USERPOLICY_ACCEPT;
		} else if (!strcmp(tok, "block")) {
			*slot = XFRM_USERPOLICY_BLOCK;
		} else {
			xc_err_set(err, "bad action '%s' after '%s' (accept, block)", tok,
				   dirs[dir]);
			return -EINVAL;
		}
	}
	return 0;
}
