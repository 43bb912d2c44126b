#include "spec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/ipsec.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "algo.h"
#include "keys.h"
#include "spec_int.h"

#ifndef TCP_ENCAP_ESPINTCP
#define TCP_ENCAP_ESPINTCP 7
#endif
#ifndef IPPROTO_MH
#define IPPROTO_MH 135
#endif

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

struct name_val {
	const char *name;
	unsigned int val;
};

static const struct name_val protos[] = {
	{ "esp", IPPROTO_ESP }, { "ah", IPPROTO_AH }, { "comp", IPPROTO_COMP },
	{ "route2", IPPROTO_ROUTING }, { "hao", IPPROTO_DSTOPTS }, { "ipsec-any", IPSEC_PROTO_ANY },
};
static const struct name_val modes[] = {
	{ "transport", XFRM_MODE_TRANSPORT }, { "tunnel", XFRM_MODE_TUNNEL },
	{ "ro", XFRM_MODE_ROUTEOPTIMIZATION }, { "in_trigger", XFRM_MODE_IN_TRIGGER },
	{ "beet", XFRM_MODE_BEET },
};
static const struct name_val encaps[] = {
	{ "espinudp-nonike", UDP_ENCAP_ESPINUDP_NON_IKE }, { "espinudp", UDP_ENCAP_ESPINUDP },
	{ "espintcp", TCP_ENCAP_ESPINTCP },
};
static const struct name_val ipprotos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "sctp", IPPROTO_SCTP },
	{ "dccp", IPPROTO_DCCP }, { "icmp", IPPROTO_ICMP }, { "ipv6-icmp", IPPROTO_ICMPV6 },
	{ "gre", IPPROTO_GRE }, { "mobility-header", IPPROTO_MH }, { "esp", IPPROTO_ESP },
	{ "ah", IPPROTO_AH }, { "comp", IPPROTO_COMP }, { "ipip", IPPROTO_IPIP },
	{ "ipv6", IPPROTO_IPV6 },
};
/* bit i of XFRM_STATE_* / XFRM_SA_XFLAG_* */
static const char *const sa_flags[] = { "noecn", "decap-dscp", "nopmtudisc", "wildrecv",
					"icmp", "af-unspec", "align4", "esn" };
static const char *const sa_xflags[] = { "dont-encap-dscp", "oseq-may-wrap" };

static const struct name_val *nv_find(const struct name_val *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (spec_eq(t[i].name, name))
			return &t[i];
	return NULL;
}

static const char *nv_name(const struct name_val *t, size_t n, unsigned int val)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].val == val)
			return t[i].name;
	return NULL;
}

const char *xc_proto_name(uint8_t p) { return nv_name(protos, N_ELEM(protos), p); }
const char *xc_mode_name(uint8_t m) { return nv_name(modes, N_ELEM(modes), m); }
const char *xc_encap_name(uint16_t t) { return nv_name(encaps, N_ELEM(encaps), t); }
const char *xc_ipproto_name(uint8_t p) { return nv_name(ipprotos, N_ELEM(ipprotos), p); }
const char *xc_sa_flag_name(unsigned int bit) { return bit < N_ELEM(sa_flags) ? sa_flags[bit] : NULL; }
const char *xc_sa_xflag_name(unsigned int bit) { return bit < N_ELEM(sa_xflags) ? sa_xflags[bit] : NULL; }

const char *spec_peek(const struct spec_cur *c)
{
	return c->i < c->argc ? c->argv[c->i] : NULL;
}

/* The value token after keyword kw, or NULL with "missing WHAT after 'kw'". */
const char *spec_value(struct spec_cur *c, const char *kw, const char *what)
{
	if (c->i >= c->argc) {
		xc_err_set(c->err, "missing %s after '%s'", what, kw);
		return NULL;
	}
	return c->argv[c->i++];
}

int spec_bad(struct spec_cur *c, const char *what, const char *tok, const char *kw)
{
	xc_err_set(c->err, "bad %s '%s' after '%s'", what, tok, kw);
	return -EINVAL;
}

/* What strtoull(s, &end, 0) reads (without overflow) from s, up to the
 * first byte that is no digit of any base (not 0-9a-fA-F), read here
 * without it (its locale and generality cost more than the rest of a batch
 * line's numbers): decimal, 0x/0X hex, 0 octal. Where the number ends, or
 * NULL if it is none, larger than max, or has a digit of a larger base. */
static const char *scan_u64(const char *s, uint64_t max, uint64_t *out)
{
	/* a digit's value plus one, by byte; 0 for a byte of no base */
	static const unsigned char digit1[256] = {
		['0'] = 1,   ['1'] = 2,	  ['2'] = 3,   ['3'] = 4,   ['4'] = 5,	 ['5'] = 6,
		['6'] = 7,   ['7'] = 8,	  ['8'] = 9,   ['9'] = 10,  ['a'] = 11,	 ['b'] = 12,
		['c'] = 13,  ['d'] = 14,  ['e'] = 15,  ['f'] = 16,  ['A'] = 11,	 ['B'] = 12,
		['C'] = 13,  ['D'] = 14,  ['E'] = 15,  ['F'] = 16,
	};
	unsigned int base = 10, d;
	const char *digits;
	uint64_t v = 0;

	if (*s < '0' || *s > '9') /* no sign, no white space (strtoull takes both) */
		return NULL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0')
		base = 8;
	digits = s;
	if (base == 10) /* (most numbers: up to 19 digits cannot overflow) */
		for (; s - digits < 19 && (d = (unsigned int)(*s - '0')) <= 9; s++)
			v = v * 10 + d;
	for (; (d = digit1[(unsigned char)*s]); s++) {
		if (--d >= base)
			return NULL; /* not a digit here (strtoull stops) */
		if (!(v >> 58))
			v = v * base + d; /* (below 2^62: no overflow) */
		else if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
			return NULL;
	}
	/* (strtoull reads "0x" without a digit after as 0, then stops) */
	if (s == digits || v > max)
		return NULL;
	*out = v;
	return s;
}

int spec_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	const char *end = scan_u64(s, max, &v);

	if (!end || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int spec_num(struct spec_cur *c, const char *kw, uint64_t max, uint64_t *out)
{
	const char *tok = spec_value(c, kw, "NUMBER");

	if (!tok)
		return -EINVAL;
	if (spec_parse_u64(tok, max, out) < 0) {
		xc_err_set(c->err, "bad number '%s' after '%s' (0 to %" PRIu64 ")", tok, kw, max);
		return -EINVAL;
	}
	return 0;
}

int spec_num32(struct spec_cur *c, const char *kw, uint32_t *out)
{
	uint64_t v;
	int r = spec_num(c, kw, UINT32_MAX, &v);

	if (r == 0)
		*out = (uint32_t)v;
	return r;
}

int spec_mode(struct spec_cur *c, uint8_t *mode)
{
	const char *tok = spec_value(c, "mode", "MODE");
	const struct name_val *nv;

	if (!tok)
		return -EINVAL;
	if (!(nv = nv_find(modes, N_ELEM(modes), tok))) {
		xc_err_set(c->err, "unknown mode '%s' (transport, tunnel, beet, ro, in_trigger)", tok);
		return -EINVAL;
	}
	*mode = (uint8_t)nv->val;
	return 0;
}

int spec_xfrm_proto(struct spec_cur *c, const char *kw, uint8_t *proto)
{
	const char *tok = spec_value(c, kw, "XFRM-PROTO");
	const struct name_val *nv;

	if (!tok)
		return -EINVAL;
	nv = nv_find(protos, N_ELEM(protos), tok);
	if (!nv || nv->val == IPSEC_PROTO_ANY) {
		xc_err_set(c->err, "unknown protocol '%s' after '%s' (esp, ah, comp, route2, hao)", tok, kw);
		return -EINVAL;
	}
	*proto = (uint8_t)nv->val;
	return 0;
}

/* A dotted quad at the start of s, exactly as glibc's inet_pton(AF_INET)
 * takes one (four decimal parts of at most 255, no leading zeros): where
 * it ends, or NULL if s does not start with one. */
static const char *ip4_scan(const char *s, void *dst)
{
	unsigned char q[4];
	unsigned int v, d;

	for (int part = 0;; part++) {
		if ((v = (unsigned int)(*s - '0')) > 9)
			return NULL;
		/* a second and a third digit, after a first one that is not 0 */
		if ((d = (unsigned int)(*++s - '0')) <= 9) {
			if (v == 0)
				return NULL;
			v = v * 10 + d;
			if ((d = (unsigned int)(*++s - '0')) <= 9) {
				v = v * 10 + d;
				if (v > 255 || (unsigned int)(*++s - '0') <= 9)
					return NULL;
			}
		}
		q[part] = (unsigned char)v;
		if (part == 3)
			break;
		if (*s++ != '.')
			return NULL;
	}
	memcpy(dst, q, 4);
	return s;
}

/* ADDR or ADDR/PLEN (when plen is not NULL). An IPv4 address is read
 * without measuring the token first (two per line of a batch). */
int spec_addr(struct spec_cur *c, const char *kw, xfrm_address_t *a, uint16_t *family, uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *tok = spec_value(c, kw, plen ? "ADDR[/PLEN]" : "ADDR"), *slash, *end;
	size_t len, alen;
	uint64_t p;

	if (!tok)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	end = ip4_scan(tok, &a->a4);
	if (end && (!*end || *end == '/')) {
		slash = *end ? end : NULL;
		if (slash && (!plen || strlen(tok) >= sizeof(buf)))
			return spec_bad(c, "address", tok, kw);
		*family = AF_INET;
	} else {
		len = strlen(tok);
		if (len >= sizeof(buf))
			return spec_bad(c, "address", tok, kw);
		slash = memchr(tok, '/', len);
		if (slash && !plen)
			return spec_bad(c, "address", tok, kw);
		alen = slash ? (size_t)(slash - tok) : len;
		memcpy(buf, tok, alen);
		buf[alen] = '\0';
		if (inet_pton(AF_INET6, buf, &a->a6) != 1)
			return spec_bad(c, "address", tok, kw);
		*family = AF_INET6;
	}
	if (plen) {
		unsigned int max = *family == AF_INET ? 32 : 128;

		if (slash && spec_parse_u64(slash + 1, max, &p) < 0)
			return spec_bad(c, "prefix length", tok, kw);
		*plen = (uint8_t)(slash ? p : max);
	}
	return 0;
}

/* Both addresses of one thing must be of one family. */
int spec_same_family(struct spec_cur *c, uint16_t *have, uint16_t f, const char *what)
{
	if (*have && *have != f) {
		xc_err_set(c->err, "%s mixes IPv4 and IPv6 addresses", what);
		return -EINVAL;
	}
	*have = f;
	return 0;
}

int spec_mark(struct spec_cur *c, const char *kw, uint32_t *v, uint32_t *m)
{
	const char *tok = spec_value(c, kw, "MARK");
	char buf[32], *slash;
	uint64_t x;

	if (!tok)
		return -EINVAL;
	if (strlen(tok) >= sizeof(buf))
		return spec_bad(c, "mark", tok, kw);
	strcpy(buf, tok);
	*m = UINT32_MAX;
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (spec_parse_u64(slash + 1, UINT32_MAX, &x) < 0)
			return spec_bad(c, "mark mask", tok, kw);
		*m = (uint32_t)x;
	}
	if (spec_parse_u64(buf, UINT32_MAX, &x) < 0)
		return spec_bad(c, "mark", tok, kw);
	*v = (uint32_t)x;
	if (!slash && spec_peek(c) && spec_eq(spec_peek(c), "mask")) {
		c->i++;
		if (spec_num32(c, "mask", m) < 0)
			return -EINVAL;
	}
	return 0;
}

int spec_port(struct spec_cur *c, const char *kw, uint16_t *out)
{
	uint64_t v;

	if (spec_num(c, kw, 65535, &v) < 0)
		return -EINVAL;
	*out = htons((uint16_t)v);
	return 0;
}

/* SELECTOR := [ src ADDR[/PLEN] ] [ dst ADDR[/PLEN] ] [ dev DEV ] [ UPSPEC ]
 * UPSPEC := proto { PROTO | tcp|udp|sctp|dccp [ sport PORT ] [ dport PORT ] |
 *           icmp|ipv6-icmp|mobility-header [ type N ] [ code N ] |
 *           gre [ key { DOTTED-QUAD | NUMBER } ] }
 * Stops at the first token that is not part of a selector. */
int spec_selector(struct spec_cur *c, struct xfrm_selector *sel, const char *what)
{
	uint16_t fam = 0, f;
	const char *tok, *kw;
	uint64_t v;
	int any = 0;

	while ((kw = spec_peek(c))) {
		if (spec_eq(kw, "src") || spec_eq(kw, "dst")) {
			bool src = kw[0] == 's';

			c->i++;
			if (spec_addr(c, kw, src ? &sel->saddr : &sel->daddr, &f,
				 src ? &sel->prefixlen_s : &sel->prefixlen_d) < 0 ||
			    spec_same_family(c, &fam, f, what) < 0)
				return -EINVAL;
			sel->family = fam;
		} else if (spec_eq(kw, "dev")) {
			c->i++;
			if (!(tok = spec_value(c, kw, "DEV")))
				return -EINVAL;
			sel->ifindex = (int)if_nametoindex(tok);
			if (!sel->ifindex) {
				xc_err_set(c->err, "unknown device '%s' after 'dev'", tok);
				return -ENODEV;
			}
		} else if (spec_eq(kw, "proto")) {
			const struct name_val *p;

			c->i++;
			if (!(tok = spec_value(c, kw, "PROTO")))
				return -EINVAL;
			/* ports, ICMP type/code, GRE key belong to the protocol */
			sel->sport = sel->dport = sel->sport_mask = sel->dport_mask = 0;
			p = nv_find(ipprotos, N_ELEM(ipprotos), tok);
			if (p)
				sel->proto = (uint8_t)p->val;
			else if (spec_parse_u64(tok, 255, &v) == 0)
				sel->proto = (uint8_t)v;
			else
				return spec_bad(c, "protocol", tok, kw);
		} else if (spec_eq(kw, "sport") || spec_eq(kw, "dport")) {
			bool s = kw[0] == 's';

			c->i++;
			if (sel->proto != IPPROTO_TCP && sel->proto != IPPROTO_UDP &&
			    sel->proto != IPPROTO_SCTP && sel->proto != IPPROTO_DCCP) {
				xc_err_set(c->err, "'%s' needs 'proto tcp|udp|sctp|dccp' before it", kw);
				return -EINVAL;
			}
			if (spec_port(c, kw, s ? &sel->sport : &sel->dport) < 0)
				return -EINVAL;
			*(s ? &sel->sport_mask : &sel->dport_mask) = 0xffff;
		} else if (spec_eq(kw, "type") || spec_eq(kw, "code")) {
			bool t = kw[0] == 't';

			c->i++;
			if (sel->proto != IPPROTO_ICMP && sel->proto != IPPROTO_ICMPV6 &&
			    sel->proto != IPPROTO_MH) {
				xc_err_set(c->err, "'%s' needs 'proto icmp|ipv6-icmp|mobility-header' before it", kw);
				return -EINVAL;
			}
			if (spec_num(c, kw, 255, &v) < 0)
				return -EINVAL;
			/* the kernel keeps ICMP type in sport, code in dport */
			*(t ? &sel->sport : &sel->dport) = htons((uint16_t)v);
			*(t ? &sel->sport_mask : &sel->dport_mask) = 0xffff;
		} else if (spec_eq(kw, "key") && sel->proto == IPPROTO_GRE) {
			struct in_addr k;

			c->i++;
			if (!(tok = spec_value(c, kw, "KEY")))
				return -EINVAL;
			if (inet_pton(AF_INET, tok, &k) == 1)
				v = ntohl(k.s_addr);
			else if (spec_parse_u64(tok, UINT32_MAX, &v) < 0)
				return spec_bad(c, "GRE key", tok, kw);
			sel->sport = htons((uint16_t)(v >> 16));
			sel->dport = htons((uint16_t)v);
			sel->sport_mask = sel->dport_mask = 0xffff;
		} else {
			break;
		}
		any = 1;
	}
	if (!any) {
		xc_err_set(c->err, "missing SELECTOR after '%s'", what);
		return -EINVAL;
	}
	return 0;
}

/* LIMIT := { time-soft | time-hard | time-use-soft | time-use-hard } SECONDS |
 *          { byte-soft | byte-hard } SIZE | { packet-soft | packet-hard } COUNT */
int spec_limit(struct spec_cur *c, struct xfrm_lifetime_cfg *lft)
{
	static const struct {
		const char *name;
		size_t off;
	} lims[] = {
		{ "time-soft", offsetof(struct xfrm_lifetime_cfg, soft_add_expires_seconds) },
		{ "time-hard", offsetof(struct xfrm_lifetime_cfg, hard_add_expires_seconds) },
		{ "time-use-soft", offsetof(struct xfrm_lifetime_cfg, soft_use_expires_seconds) },
		{ "time-use-hard", offsetof(struct xfrm_lifetime_cfg, hard_use_expires_seconds) },
		{ "byte-soft", offsetof(struct xfrm_lifetime_cfg, soft_byte_limit) },
		{ "byte-hard", offsetof(struct xfrm_lifetime_cfg, hard_byte_limit) },
		{ "packet-soft", offsetof(struct xfrm_lifetime_cfg, soft_packet_limit) },
		{ "packet-hard", offsetof(struct xfrm_lifetime_cfg, hard_packet_limit) },
	};
	const char *kw = spec_value(c, "limit", "LIMIT");
	uint64_t v;

	if (!kw)
		return -EINVAL;
	for (size_t i = 0; i < N_ELEM(lims); i++) {
		if (!spec_eq(kw, lims[i].name))
			continue;
		if (spec_num(c, kw, UINT64_MAX, &v) < 0)
			return -EINVAL;
		memcpy((char *)lft + lims[i].off, &v, sizeof(v));
		return 0;
	}
	xc_err_set(c->err, "unknown limit '%s' after 'limit'", kw);
	return -EINVAL;
}

/* alg is info's: set, with the table's name; returns the name's length. */
static size_t alg_take(struct xc_sa_alg *alg, const struct xc_alg_info *info)
{
	/* (the table's names fit; no snprintf: it was a tenth of a batch line) */
	size_t n = strlen(info->name);

	if (n >= sizeof(alg->name))
		n = sizeof(alg->name) - 1;
	alg->set = true;
	memcpy(alg->name, info->name, n);
	alg->name[n] = '\0';
	return n;
}

static int algorithm(struct spec_cur *c, const char *kw, enum xc_alg_kind kind, bool has_icv,
		     struct xc_sa_alg *alg, const struct xc_spec_opts *o)
{
	const struct xc_alg_info *info;
	const char *name, *keytok, *sug;
	char what[XC_ALG_NAME_MAX + 16];
	size_t len = 0, n;
	uint64_t bits;
	int r;

	if (alg->set) {
		if (kind == XC_ALG_AUTH)
			xc_err_set(c->err, "only one of 'auth' and 'auth-trunc' (a second at '%s')", kw);
		else
			xc_err_set(c->err, "'%s' given twice", kw);
		return -EINVAL;
	}
	if (!(name = spec_value(c, kw, "ALGO-NAME")))
		return -EINVAL;
	info = xc_alg_find(kind, name);
	if (!info && kind == XC_ALG_ENC && (sug = xc_alg_suggest(XC_ALG_AEAD, name)) &&
	    strstr(sug, name)) {
		/* e.g. enc gcm(aes): combined modes are AEADs */
		xc_err_set(c->err, "'%s' is an AEAD: use 'aead %s KEY ICV-BITS'", name, sug);
		return -EINVAL;
	}
	if (!info) {
		sug = xc_alg_suggest(kind, name);
		if (sug)
			xc_err_set(c->err, "unknown %s algorithm '%s' (did you mean '%s'?)", kw, name, sug);
		else
			xc_err_set(c->err, "unknown %s algorithm '%s'", kw, name);
		return -EINVAL;
	}
	n = alg_take(alg, info);
	if (kind == XC_ALG_COMP)
		return 0;
	memcpy(what, "key for '", 9);
	memcpy(what + 9, alg->name, n);
	memcpy(what + 9 + n, "'", 2);
	if (!(keytok = spec_value(c, kw, "KEY")))
		return -EINVAL;
	r = xc_key_read(keytok, alg->key, sizeof(alg->key), &len, o ? o->key_in : NULL, what, c->err);
	if (r < 0) {
		/* it may have decoded part of a key before failing */
		explicit_bzero(alg->key, sizeof(alg->key));
		return r;
	}
	alg->key_len = (unsigned int)len;
	if ((r = xc_alg_check_key(info, len, c->err)) < 0)
		return r;
	if (!has_icv) {
		alg->icv_bits = info->trunc_bits;
		return 0;
	}
	if (spec_num(c, kw, UINT32_MAX, &bits) < 0)
		return -EINVAL;
	alg->icv_bits = (unsigned int)bits;
	return xc_alg_check_icv(info, alg->icv_bits, c->err);
}

/* FLAG-LIST: one or more names from table, after kw. */
int spec_flag_list(struct spec_cur *c, const char *kw, const char *const *names, size_t n,
		   uint32_t *flags)
{
	const char *tok;
	int count = 0;

	while ((tok = spec_peek(c))) {
		size_t i;

		for (i = 0; i < n && !spec_eq(names[i], tok); i++)
			;
		if (i == n)
			break;
		*flags |= 1u << i;
		c->i++;
		count++;
	}
	if (!count) {
		tok = spec_peek(c);
		if (tok)
			xc_err_set(c->err, "unknown flag '%s' after '%s'", tok, kw);
		else
			xc_err_set(c->err, "missing FLAG after '%s'", kw);
		return -EINVAL;
	}
	return 0;
}

/* ID keywords: src, dst, proto, spi. Returns 1 if kw was one (consumed),
 * 0 if not, negative on error. */
/* Which parts of an ID were given. */
struct id_seen {
	bool dst, spi;
};

static int id_keyword(struct spec_cur *c, const char *kw, struct xc_sa *sa, struct id_seen *seen)
{
	struct xfrm_usersa_info *p = &sa->info;
	const char *tok;
	uint16_t f;
	uint64_t v;

	if (kw[0] != 's' && kw[0] != 'd' && kw[0] != 'p')
		return 0; /* (most keywords of a line are not) */
	if (spec_eq(kw, "src") || spec_eq(kw, "dst")) {
		c->i++;
		if (spec_addr(c, kw, kw[0] == 's' ? &p->saddr : &p->id.daddr, &f, NULL) < 0 ||
		    spec_same_family(c, &p->family, f, "ID (src, dst)") < 0)
			return -EINVAL;
		seen->dst |= kw[0] == 'd';
		return 1;
	}
	if (spec_eq(kw, "proto")) {
		c->i++;
		return spec_xfrm_proto(c, kw, &p->id.proto) < 0 ? -EINVAL : 1;
	}
	if (spec_eq(kw, "spi")) {
		c->i++;
		if (!(tok = spec_value(c, kw, "SPI")))
			return -EINVAL;
		if (spec_parse_u64(tok, UINT32_MAX, &v) < 0)
			return spec_bad(c, "SPI", tok, kw);
		p->id.spi = htonl((uint32_t)v);
		seen->spi = true;
		return 1;
	}
	return 0;
}

/* What every complete ID needs. */
static int check_id(struct spec_cur *c, struct xc_sa *sa, const struct id_seen *seen,
		    bool need_spi)
{
	struct xfrm_usersa_info *p = &sa->info;

	if (!seen->dst) {
		xc_err_set(c->err, "missing 'dst ADDR'");
		return -EINVAL;
	}
	if (!p->id.proto) {
		xc_err_set(c->err, "missing 'proto XFRM-PROTO'");
		return -EINVAL;
	}
	if (need_spi && !seen->spi && (p->id.proto == IPPROTO_ESP || p->id.proto == IPPROTO_AH ||
				      p->id.proto == IPPROTO_COMP)) {
		xc_err_set(c->err, "missing 'spi SPI'");
		return -EINVAL;
	}
	if (seen->spi && p->id.spi == 0 && p->id.proto != IPPROTO_ROUTING &&
	    p->id.proto != IPPROTO_DSTOPTS) {
		xc_err_set(c->err, "SPI 0 is reserved (RFC 4303) and names no SA");
		return -EINVAL;
	}
	if (p->id.proto == IPPROTO_COMP && ntohl(p->id.spi) > 0xffff) {
		xc_err_set(c->err, "SPI 0x%08x of a comp SA is a CPI and must be below 0x10000",
			   ntohl(p->id.spi));
		return -EINVAL;
	}
	return 0;
}

/* The defaults of an SA in cleared memory (no limits). */
static void sa_limits(struct xc_sa *sa)
{
	struct xfrm_lifetime_cfg *l = &sa->info.lft;

	l->soft_byte_limit = l->hard_byte_limit = XFRM_INF;
	l->soft_packet_limit = l->hard_packet_limit = XFRM_INF;
}

static void sa_defaults(struct xc_sa *sa)
{
	xc_sa_init(sa);
	sa_limits(sa);
}

/* The combinations the kernel refuses with a bare EINVAL
 * (verify_newsa_info, verify_replay), said in words. */
static int check_sa(struct spec_cur *c, struct xc_sa *sa, bool replay_given)
{
	struct xfrm_usersa_info *p = &sa->info;
	bool alg_auth = sa->auth.set, alg_enc = sa->enc.set, alg_aead = sa->aead.set;

	switch (p->id.proto) {
	case IPPROTO_ESP:
		if (!alg_enc && !alg_aead) {
			xc_err_set(c->err, "an esp SA needs 'enc' or 'aead'");
			return -EINVAL;
		}
		if (alg_aead && (alg_enc || alg_auth)) {
			xc_err_set(c->err, "'aead' excludes 'enc', 'auth' and 'auth-trunc'");
			return -EINVAL;
		}
		if (sa->comp.set) {
			xc_err_set(c->err, "'comp' is for comp SAs, not esp");
			return -EINVAL;
		}
		break;
	case IPPROTO_AH:
		if (!alg_auth || alg_enc || alg_aead || sa->comp.set) {
			xc_err_set(c->err, "an ah SA takes 'auth' or 'auth-trunc' and nothing else");
			return -EINVAL;
		}
		break;
	case IPPROTO_COMP:
		if (!sa->comp.set || alg_auth || alg_enc || alg_aead) {
			xc_err_set(c->err, "a comp SA takes 'comp' and nothing else");
			return -EINVAL;
		}
		break;
	default:
		if (alg_auth || alg_enc || alg_aead || sa->comp.set) {
			xc_err_set(c->err, "a %s SA takes no algorithm", xc_proto_name(p->id.proto));
			return -EINVAL;
		}
	}
	if (sa->has_encap && p->id.proto != IPPROTO_ESP) {
		xc_err_set(c->err, "'encap' is for esp SAs only");
		return -EINVAL;
	}
	if ((p->flags & XFRM_STATE_ESN) && p->id.proto != IPPROTO_ESP && p->id.proto != IPPROTO_AH) {
		xc_err_set(c->err, "'flag esn' is for esp and ah SAs only");
		return -EINVAL;
	}
	if (sa->has_replay_esn) {
		if (p->id.proto != IPPROTO_ESP && p->id.proto != IPPROTO_AH) {
			xc_err_set(c->err, "a replay window over 32 is for esp and ah SAs only");
			return -EINVAL;
		}
	} else if (replay_given && (sa->esn.seq_hi || sa->esn.oseq_hi)) {
		xc_err_set(c->err, "'replay-seq-hi' and 'replay-oseq-hi' need 'flag esn'");
		return -EINVAL;
	}
	if (p->sel.family && p->mode == XFRM_MODE_TRANSPORT && p->sel.family != p->family) {
		xc_err_set(c->err, "a transport-mode selector must be of the SA's family");
		return -EINVAL;
	}
	return 0;
}

int xc_spec_sa(int argc, char **argv, struct xc_sa *sa, const struct xc_spec_opts *o,
	       struct xc_err *err)
{
	struct spec_cur c = { .argc = argc, .argv = argv, .err = err };
	struct xfrm_usersa_info *p = &sa->info;
	uint32_t window = 0, seq = 0, oseq = 0, seq_hi = 0, oseq_hi = 0;
	struct id_seen seen = { false, false };
	bool replay_given = false;
	const struct name_val *nv;
	const char *kw, *tok;
	uint16_t f;
	int r;

	sa_defaults(sa);
	while ((kw = spec_peek(&c))) {
		r = id_keyword(&c, kw, sa, &seen);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		c.i++;
		if (spec_eq(kw, "aead")) {
			r = algorithm(&c, kw, XC_ALG_AEAD, true, &sa->aead, o);
		} else if (spec_eq(kw, "enc")) {
			r = algorithm(&c, kw, XC_ALG_ENC, false, &sa->enc, o);
			sa->enc.icv_bits = 0;
		} else if (spec_eq(kw, "auth") || spec_eq(kw, "auth-trunc")) {
			sa->auth_trunc = kw[4] == '-';
			r = algorithm(&c, kw, XC_ALG_AUTH, sa->auth_trunc, &sa->auth, o);
		} else if (spec_eq(kw, "comp")) {
			r = algorithm(&c, kw, XC_ALG_COMP, false, &sa->comp, o);
		} else if (spec_eq(kw, "mode")) {
			r = spec_mode(&c, &p->mode);
		} else if (spec_eq(kw, "reqid")) {
			r = spec_num32(&c, kw, &p->reqid);
		} else if (spec_eq(kw, "seq")) {
			r = spec_num32(&c, kw, &p->seq);
		} else if (spec_eq(kw, "replay-window")) {
			r = spec_num32(&c, kw, &window);
			if (r == 0 && window > XFRMA_REPLAY_ESN_MAX) {
				xc_err_set(err, "replay window %u is over the kernel's %d", window,
					   XFRMA_REPLAY_ESN_MAX);
				return -EINVAL;
			}
		} else if (spec_eq(kw, "replay-seq")) {
			r = spec_num32(&c, kw, &seq), replay_given = true;
		} else if (spec_eq(kw, "replay-oseq")) {
			r = spec_num32(&c, kw, &oseq), replay_given = true;
		} else if (spec_eq(kw, "replay-seq-hi")) {
			r = spec_num32(&c, kw, &seq_hi), replay_given = true;
		} else if (spec_eq(kw, "replay-oseq-hi")) {
			r = spec_num32(&c, kw, &oseq_hi), replay_given = true;
		} else if (spec_eq(kw, "flag")) {
			uint32_t fl = p->flags;

			r = spec_flag_list(&c, kw, sa_flags, N_ELEM(sa_flags), &fl);
			p->flags = (uint8_t)fl;
		} else if (spec_eq(kw, "extra-flag")) {
			r = spec_flag_list(&c, kw, sa_xflags, N_ELEM(sa_xflags), &sa->extra_flags);
			sa->has_extra_flags = true;
		} else if (spec_eq(kw, "sel")) {
			r = spec_selector(&c, &p->sel, "sel");
		} else if (spec_eq(kw, "limit")) {
			r = spec_limit(&c, &p->lft);
		} else if (spec_eq(kw, "encap")) {
			if (!(tok = spec_value(&c, kw, "ENCAP-TYPE")))
				return -EINVAL;
			if (!(nv = nv_find(encaps, N_ELEM(encaps), tok))) {
				xc_err_set(err, "unknown encap type '%s' (espinudp, espinudp-nonike, espintcp)", tok);
				return -EINVAL;
			}
			sa->encap.encap_type = (uint16_t)nv->val;
			if (spec_port(&c, "encap SPORT", &sa->encap.encap_sport) < 0 ||
			    spec_port(&c, "encap DPORT", &sa->encap.encap_dport) < 0 ||
			    spec_addr(&c, "encap OADDR", &sa->encap.encap_oa, &f, NULL) < 0)
				return -EINVAL;
			sa->has_encap = true;
		} else if (spec_eq(kw, "coa")) {
			uint8_t plen;

			r = spec_addr(&c, kw, &sa->coaddr, &f, &plen);
			sa->has_coaddr = true;
		} else if (spec_eq(kw, "mark")) {
			r = spec_mark(&c, kw, &sa->mark.v, &sa->mark.m);
			sa->has_mark = true;
		} else if (spec_eq(kw, "output-mark")) {
			r = spec_mark(&c, kw, &sa->output_mark, &sa->output_mark_mask);
			sa->has_output_mark = true;
		} else if (spec_eq(kw, "if_id")) {
			r = spec_num32(&c, kw, &sa->if_id);
			sa->has_if_id = true;
		} else if (spec_eq(kw, "tfcpad")) {
			r = spec_num32(&c, kw, &sa->tfcpad);
			sa->has_tfcpad = true;
		} else if (spec_eq(kw, "ctx")) {
			if (!(tok = spec_value(&c, kw, "CTX")))
				return -EINVAL;
			if (strlen(tok) >= sizeof(sa->ctx.str)) {
				xc_err_set(err, "security context after 'ctx' is longer than %zu bytes",
					   sizeof(sa->ctx.str) - 1);
				return -EINVAL;
			}
			strcpy(sa->ctx.str, tok);
			sa->ctx.doi = XFRM_SC_DOI_LSM;
			sa->ctx.alg = XFRM_SC_ALG_SELINUX;
			sa->has_ctx = true;
		} else if (spec_eq(kw, "dir")) {
			if (!(tok = spec_value(&c, kw, "DIR")))
				return -EINVAL;
			if (!spec_eq(tok, "in") && !spec_eq(tok, "out")) {
				xc_err_set(err, "bad direction '%s' after 'dir' (in, out)", tok);
				return -EINVAL;
			}
			sa->dir = tok[0] == 'i' ? XC_SA_DIR_IN : XC_SA_DIR_OUT;
			sa->has_dir = true;
		} else if (spec_eq(kw, "offload")) {
			/* offload [ crypto | packet ] dev DEV dir { in | out } */
			tok = spec_peek(&c);
			if (tok && (spec_eq(tok, "crypto") || spec_eq(tok, "packet"))) {
				if (tok[0] == 'p')
					sa->offload.flags |= XFRM_OFFLOAD_PACKET;
				c.i++;
			}
			tok = spec_value(&c, kw, "'dev DEV'");
			if (!tok)
				return -EINVAL;
			if (!spec_eq(tok, "dev")) {
				xc_err_set(err, "expected 'dev' after 'offload', got '%s'", tok);
				return -EINVAL;
			}
			if (!(tok = spec_value(&c, "dev", "DEV")))
				return -EINVAL;
			if (strlen(tok) >= sizeof(sa->offload_dev) ||
			    !(sa->offload.ifindex = (int)if_nametoindex(tok))) {
				xc_err_set(err, "unknown device '%s' after 'offload dev'", tok);
				return -ENODEV;
			}
			strcpy(sa->offload_dev, tok);
			tok = spec_value(&c, kw, "'dir in|out'");
			if (!tok)
				return -EINVAL;
			if (!spec_eq(tok, "dir")) {
				xc_err_set(err, "expected 'dir' after 'offload dev %s', got '%s'",
					   sa->offload_dev, tok);
				return -EINVAL;
			}
			if (!(tok = spec_value(&c, "dir", "DIR")))
				return -EINVAL;
			if (spec_eq(tok, "in"))
				sa->offload.flags |= XFRM_OFFLOAD_INBOUND;
			else if (!spec_eq(tok, "out")) {
				xc_err_set(err, "bad direction '%s' after 'offload … dir' (in, out)", tok);
				return -EINVAL;
			}
			sa->has_offload = true;
		} else {
			xc_err_set(err, "unknown keyword '%s'", kw);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if ((r = check_id(&c, sa, &seen, true)) < 0)
		return r;
	if (sa->has_offload && p->family == AF_INET6)
		sa->offload.flags |= XFRM_OFFLOAD_IPV6;
	if ((p->flags & XFRM_STATE_ESN) || window > 32) {
		sa->has_replay_esn = true;
		sa->esn.replay_window = window;
		sa->esn.bmp_len = (window + 31) / 32;
		sa->esn.seq = seq;
		sa->esn.oseq = oseq;
		sa->esn.seq_hi = seq_hi;
		sa->esn.oseq_hi = oseq_hi;
		if ((p->flags & XFRM_STATE_ESN) && window == 0) {
			xc_err_set(err, "'flag esn' needs 'replay-window N' (N > 0)");
			return -EINVAL;
		}
	} else {
		p->replay_window = (uint8_t)window;
		sa->esn.seq_hi = seq_hi;
		sa->esn.oseq_hi = oseq_hi;
		if (seq || oseq) {
			sa->has_replay = true;
			sa->replay.seq = seq;
			sa->replay.oseq = oseq;
		}
	}
	return check_sa(&c, sa, replay_given);
}

/* ---- state add from a batch line's text, unsplit ---- */

/* The length of the word at s: up to the next space or the end. */
static size_t word_len(const char *s)
{
	return (size_t)(strchrnul(s, ' ') - s);
}

/* If the word at s is name: its end, else NULL. */
static const char *word_at(const char *s, const char *name)
{
	while (*name && *s == *name)
		s++, name++;
	return !*name && (*s == ' ' || !*s) ? s : NULL;
}

/* The end of the value read at s if it ends a word, else NULL. */
static const char *word_end(const char *s)
{
	return s && (*s == ' ' || !*s) ? s : NULL;
}

/* The entry of t named by the word at *s (*s moved past it), or NULL. */
static const struct name_val *text_name(const struct name_val *t, size_t n, const char **s)
{
	const char *end;

	for (size_t i = 0; i < n; i++) {
		if ((end = word_at(*s, t[i].name))) {
			*s = end;
			return &t[i];
		}
	}
	return NULL;
}

/* ADDR (no /PLEN) at s into a, as spec_addr reads it; its end or NULL. */
static const char *text_addr(const char *s, xfrm_address_t *a, uint16_t *family)
{
	char buf[INET6_ADDRSTRLEN];
	const char *end;
	size_t len;

	memset(a, 0, sizeof(*a));
	if ((end = word_end(ip4_scan(s, &a->a4)))) {
		*family = AF_INET;
		return end;
	}
	len = word_len(s);
	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, &a->a6) != 1)
		return NULL;
	*family = AF_INET6;
	return s + len;
}

/* NAME 0xHEX [BITS] at s, as algorithm() reads them; the end or NULL (with
 * every byte of the key buffer that may have been written zeroed). */
static const char *text_alg(const char *s, enum xc_alg_kind kind, bool has_icv,
			    struct xc_sa_alg *alg)
{
	const struct xc_alg_info *info;
	char name[XC_ALG_NAME_MAX];
	size_t len = word_len(s), bad;
	uint64_t bits;
	long r;

	if (alg->set || len >= sizeof(name))
		return NULL;
	memcpy(name, s, len);
	name[len] = '\0';
	if (!(info = xc_alg_find(kind, name)))
		return NULL;
	alg_take(alg, info);
	s += len;
	while (*s == ' ')
		s++;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return NULL; /* (or a key from a file, or stdin) */
	len = word_len(s);
	r = xc_hex_decode(s, len, alg->key, sizeof(alg->key), &bad);
	/* every digit a byte's half: none of the blanks it skips (a tab
	 * splits the word in two) */
	if (r < 0 || (size_t)r * 2 != len - 2) {
		explicit_bzero(alg->key, sizeof(alg->key));
		return NULL;
	}
	alg->key_len = (unsigned int)r;
	if (xc_alg_check_key(info, (size_t)r, NULL) < 0)
		return NULL;
	s += len;
	if (!has_icv) {
		alg->icv_bits = info->trunc_bits;
		return s;
	}
	while (*s == ' ')
		s++;
	if (!(s = word_end(scan_u64(s, UINT32_MAX, &bits))))
		return NULL;
	alg->icv_bits = (unsigned int)bits;
	return xc_alg_check_icv(info, alg->icv_bits, NULL) < 0 ? NULL : s;
}

enum text_kw { KW_SRC, KW_DST, KW_PROTO, KW_SPI, KW_REQID, KW_MODE, KW_WINDOW, KW_AEAD, KW_ENC,
	       KW_AUTH, KW_AUTH_TRUNC, KW_NONE };

/* The keyword at *s (*s moved past it), told by its first byte first. */
static enum text_kw text_kw(const char **s)
{
	const char *w = *s, *e = NULL;
	enum text_kw kw = KW_NONE;

	switch (*w) {
	case 's':
		kw = (e = XC_WORD_IS(w, "src")) ? KW_SRC : (e = XC_WORD_IS(w, "spi")) ? KW_SPI : KW_NONE;
		break;
	case 'd':
		kw = (e = XC_WORD_IS(w, "dst")) ? KW_DST : KW_NONE;
		break;
	case 'p':
		kw = (e = XC_WORD_IS(w, "proto")) ? KW_PROTO : KW_NONE;
		break;
	case 'r':
		kw = (e = XC_WORD_IS(w, "reqid")) ? KW_REQID :
		     (e = XC_WORD_IS(w, "replay-window")) ? KW_WINDOW : KW_NONE;
		break;
	case 'm':
		kw = (e = XC_WORD_IS(w, "mode")) ? KW_MODE : KW_NONE;
		break;
	case 'a':
		kw = (e = XC_WORD_IS(w, "aead")) ? KW_AEAD : (e = XC_WORD_IS(w, "auth")) ? KW_AUTH :
		     (e = XC_WORD_IS(w, "auth-trunc")) ? KW_AUTH_TRUNC : KW_NONE;
		break;
	case 'e':
		kw = (e = XC_WORD_IS(w, "enc")) ? KW_ENC : KW_NONE;
		break;
	}
	if (kw != KW_NONE)
		*s = e;
	return kw;
}

int xc_spec_sa_text(const char *s, struct xc_sa *sa)
{
	struct xc_err ignored; /* (the checks' words: xc_spec_sa says them) */
	struct spec_cur c = { .err = &ignored };
	struct xfrm_usersa_info *p = &sa->info;
	struct id_seen seen = { false, false };
	const struct name_val *nv;
	unsigned int given = 0;
	enum text_kw kw;
	uint16_t f = 0;
	uint64_t v;
	int ret = 0;

	sa_limits(sa); /* (in cleared memory: xc_sa_init again was a tenth of the cost) */
	for (;;) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		kw = text_kw(&s);
		if (kw == KW_NONE || (given & 1u << kw))
			goto out; /* (xc_spec_sa takes a keyword again, or refuses it) */
		given |= 1u << kw;
		while (*s == ' ')
			s++;
		if (!*s)
			goto out;
		switch (kw) {
		case KW_SRC:
		case KW_DST:
			s = text_addr(s, kw == KW_SRC ? &p->saddr : &p->id.daddr, &f);
			if (!s || (p->family && p->family != f))
				goto out;
			p->family = f;
			seen.dst |= kw == KW_DST;
			break;
		case KW_PROTO:
			nv = text_name(protos, N_ELEM(protos), &s);
			if (!nv || nv->val == IPSEC_PROTO_ANY)
				goto out;
			p->id.proto = (uint8_t)nv->val;
			break;
		case KW_SPI:
		case KW_REQID:
		case KW_WINDOW:
			if (!(s = word_end(scan_u64(s, kw == KW_WINDOW ? 32 : UINT32_MAX, &v))))
				goto out;
			if (kw == KW_SPI)
				p->id.spi = htonl((uint32_t)v), seen.spi = true;
			else if (kw == KW_REQID)
				p->reqid = (uint32_t)v;
			else /* (a larger window is the ESN attribute's) */
				p->replay_window = (uint8_t)v;
			break;
		case KW_MODE:
			if (!(nv = text_name(modes, N_ELEM(modes), &s)))
				goto out;
			p->mode = (uint8_t)nv->val;
			break;
		case KW_AEAD:
			s = text_alg(s, XC_ALG_AEAD, true, &sa->aead);
			break;
		case KW_ENC:
			s = text_alg(s, XC_ALG_ENC, false, &sa->enc);
			sa->enc.icv_bits = 0;
			break;
		case KW_AUTH:
		case KW_AUTH_TRUNC:
			sa->auth_trunc = kw == KW_AUTH_TRUNC;
			s = text_alg(s, XC_ALG_AUTH, sa->auth_trunc, &sa->auth);
			break;
		case KW_NONE:
			goto out;
		}
		if (!s)
			goto out;
	}
	ret = check_id(&c, sa, &seen, true) == 0 && check_sa(&c, sa, false) == 0;
out:
	if (!ret)
		xc_sa_clear(sa);
	return ret;
}

/* Keywords that may follow an ID in get/del/allocspi: mark, if_id. */
static int id_extra(struct spec_cur *c, const char *kw, struct xc_sa *sa)
{
	if (spec_eq(kw, "mark")) {
		c->i++;
		sa->has_mark = true;
		return spec_mark(c, kw, &sa->mark.v, &sa->mark.m) < 0 ? -EINVAL : 1;
	}
	if (spec_eq(kw, "if_id")) {
		c->i++;
		sa->has_if_id = true;
		return spec_num32(c, kw, &sa->if_id) < 0 ? -EINVAL : 1;
	}
	return 0;
}

int xc_spec_sa_id(int argc, char **argv, struct xc_sa *sa, struct xc_err *err)
{
	struct spec_cur c = { .argc = argc, .argv = argv, .err = err };
	struct id_seen seen = { false, false };
	const char *kw;
	int r;

	sa_defaults(sa);
	while ((kw = spec_peek(&c))) {
		if ((r = id_keyword(&c, kw, sa, &seen)) == 0)
			r = id_extra(&c, kw, sa);
		if (r < 0)
			return r;
		if (r == 0) {
			xc_err_set(err, "unknown keyword '%s'", kw);
			return -EINVAL;
		}
	}
	return check_id(&c, sa, &seen, true);
}

int xc_spec_sa_allocspi(int argc, char **argv, struct xc_sa *sa, uint32_t *min, uint32_t *max,
			struct xc_err *err)
{
	struct spec_cur c = { .argc = argc, .argv = argv, .err = err };
	struct id_seen seen = { false, false };
	bool have_min = false, have_max = false;
	const char *kw;
	int r;

	sa_defaults(sa);
	*min = 0x100;
	*max = UINT32_MAX;
	while ((kw = spec_peek(&c))) {
		if ((r = id_keyword(&c, kw, sa, &seen)) == 0)
			r = id_extra(&c, kw, sa);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		c.i++;
		if (spec_eq(kw, "min")) {
			r = spec_num32(&c, kw, min), have_min = true;
		} else if (spec_eq(kw, "max")) {
			r = spec_num32(&c, kw, max), have_max = true;
		} else if (spec_eq(kw, "reqid")) {
			r = spec_num32(&c, kw, &sa->info.reqid);
		} else if (spec_eq(kw, "seq")) {
			r = spec_num32(&c, kw, &sa->info.seq);
		} else if (spec_eq(kw, "mode")) {
			r = spec_mode(&c, &sa->info.mode);
		} else {
			xc_err_set(err, "unknown keyword '%s'", kw);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (seen.spi) {
		xc_err_set(err, "allocspi chooses the SPI: give 'min N max N', not 'spi'");
		return -EINVAL;
	}
	if (have_min != have_max) {
		xc_err_set(err, "'min' and 'max' go together");
		return -EINVAL;
	}
	if (*min == 0 || *min > *max) {
		xc_err_set(err, "SPI range min 0x%x max 0x%x is empty or starts at 0", *min, *max);
		return -EINVAL;
	}
	if (sa->info.id.proto == IPPROTO_COMP && *max > 0xffff) {
		if (have_max) {
			xc_err_set(err, "a comp SA's CPI is below 0x10000: max 0x%x is too large", *max);
			return -EINVAL;
		}
		*max = 0xffff;
	}
	seen.spi = false;
	return check_id(&c, sa, &seen, false);
}

int xc_spec_sa_filter(int argc, char **argv, struct xc_sa_filter *f, struct xc_err *err)
{
	struct spec_cur c = { .argc = argc, .argv = argv, .err = err };
	struct xc_sa *sa = &f->sa;
	struct id_seen seen = { false, false };
	const char *kw;
	int r = 0;

	memset(f, 0, sizeof(*f));
	while ((kw = spec_peek(&c))) {
		if ((r = id_keyword(&c, kw, sa, &seen)) < 0)
			return r;
		if (r > 0) {
			f->src |= spec_eq(kw, "src");
			f->dst |= spec_eq(kw, "dst");
			f->proto |= spec_eq(kw, "proto");
			f->spi |= spec_eq(kw, "spi");
			continue;
		}
		c.i++;
		if (spec_eq(kw, "mode")) {
			if ((r = spec_mode(&c, &sa->info.mode)) < 0)
				return r;
			f->mode = true;
		} else if (spec_eq(kw, "reqid")) {
			if ((r = spec_num32(&c, kw, &sa->info.reqid)) < 0)
				return r;
			f->reqid = true;
		} else {
			xc_err_set(err, "unknown keyword '%s'", kw);
			return -EINVAL;
		}
	}
	return 0;
}

bool xc_sa_filter_match(const struct xc_sa_filter *f, const struct xfrm_usersa_info *p)
{
	const struct xfrm_usersa_info *w = &f->sa.info;
	size_t alen = p->family == AF_INET ? 4 : 16;

	if ((f->src || f->dst) && p->family != w->family)
		return false;
	return (!f->src || !memcmp(&p->saddr, &w->saddr, alen)) &&
	       (!f->dst || !memcmp(&p->id.daddr, &w->id.daddr, alen)) &&
	       (!f->proto || p->id.proto == w->id.proto) && (!f->spi || p->id.spi == w->id.spi) &&
	       (!f->mode || p->mode == w->mode) && (!f->reqid || p->reqid == w->reqid);
}
