/* xfrmctl state: the kernel's SAs. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/xfrm.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "nl.h"
#include "print.h"
#include "sa.h"
#include "spec.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static void usage(FILE *f)
{
	fputs("Usage: xfrmctl state { add | update } ID [ ALGO-LIST ] [ mode MODE ]\n"
	      "        [ reqid REQID ] [ seq SEQ ] [ replay-window SIZE ]\n"
	      "        [ replay-seq SEQ ] [ replay-oseq SEQ ] [ replay-seq-hi SEQ ] [ replay-oseq-hi SEQ ]\n"
	      "        [ flag FLAG-LIST ] [ extra-flag EXTRA-FLAG-LIST ] [ sel SELECTOR ]\n"
	      "        [ limit LIMIT-LIST ] [ encap ENCAP ] [ coa ADDR[/PLEN] ] [ mark MARK [ mask MASK ] ]\n"
	      "        [ output-mark OMARK [ mask MASK ] ] [ if_id IF_ID ] [ tfcpad LENGTH ] [ ctx CTX ]\n"
	      "        [ dir DIR ] [ offload [ crypto | packet ] dev DEV dir DIR ]\n"
	      "       xfrmctl state allocspi ID [ mode MODE ] [ reqid REQID ] [ seq SEQ ] [ mark MARK [ mask MASK ] ]\n"
	      "        [ min SPI max SPI ]\n"
	      "       xfrmctl state { get | delete | del } ID [ mark MARK [ mask MASK ] ]\n"
	      "       xfrmctl state list [ ID ] [ mode MODE ] [ reqid REQID ]\n"
	      "       xfrmctl state flush [ proto XFRM-PROTO ]\n"
	      "       xfrmctl state count\n"
	      "       xfrmctl state export --wireshark [ FILE ]\n"
	      "ID := [ src ADDR ] dst ADDR proto XFRM-PROTO [ spi SPI ]\n"
	      "XFRM-PROTO := esp | ah | comp | route2 | hao\n"
	      "ALGO-LIST := [ ALGO-LIST ] ALGO\n"
	      "ALGO := { enc | auth } ALGO-NAME KEY |\n"
	      "        auth-trunc ALGO-NAME KEY TRUNC-BITS |\n"
	      "        aead ALGO-NAME KEY ICV-BITS |\n"
	      "        comp ALGO-NAME\n"
	      "KEY := 0xHEX | @FILE | -        (FILE holds hex; - reads one hex line from stdin)\n"
	      "MODE := transport | tunnel | beet | ro | in_trigger\n"
	      "FLAG := noecn | decap-dscp | nopmtudisc | wildrecv | icmp | af-unspec | align4 | esn\n"
	      "EXTRA-FLAG := dont-encap-dscp | oseq-may-wrap\n"
	      "SELECTOR := [ src ADDR[/PLEN] ] [ dst ADDR[/PLEN] ] [ dev DEV ] [ UPSPEC ]\n"
	      "UPSPEC := proto { { tcp | udp | sctp | dccp } [ sport PORT ] [ dport PORT ] |\n"
	      "                  { icmp | ipv6-icmp | mobility-header } [ type NUMBER ] [ code NUMBER ] |\n"
	      "                  gre [ key { DOTTED-QUAD | NUMBER } ] | PROTO }\n"
	      "LIMIT := { time-soft | time-hard | time-use-soft | time-use-hard } SECONDS |\n"
	      "         { byte-soft | byte-hard } SIZE | { packet-soft | packet-hard } COUNT\n"
	      "ENCAP := { espinudp | espinudp-nonike | espintcp } SPORT DPORT OADDR\n"
	      "DIR := in | out\n", f);
}

/* ---- output ---- */

/* Between the parts of one SA: a new indented line, or " \" with -o. */
void cli_sep(void)
{
	if (G.oneline) /* (each a literal: see print_text) */
		print_text(" \\ ");
	else
		print_text("\n\t");
}

void cli_print_sel(const struct xfrm_selector *s)
{
	uint16_t fam = s->family ? s->family : AF_INET;
	char b[INET6_ADDRSTRLEN + 8];
	const char *p;

	print_open_object("sel");
	print_string(PRINT_ANY, "src", "sel src %s", cli_prefix(b, fam, &s->saddr, s->prefixlen_s));
	print_string(PRINT_ANY, "dst", " dst %s", cli_prefix(b, fam, &s->daddr, s->prefixlen_d));
	if (s->proto) {
		p = xc_ipproto_name(s->proto);
		if (p)
			print_string(PRINT_ANY, "proto", " proto %s", p);
		else
			print_uint(PRINT_ANY, "proto", " proto %" PRIu64, s->proto);
		if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6 || s->proto == 135) {
			if (s->sport_mask)
				print_uint(PRINT_ANY, "type", " type %" PRIu64, ntohs(s->sport));
			if (s->dport_mask)
				print_uint(PRINT_ANY, "code", " code %" PRIu64, ntohs(s->dport));
		} else if (s->proto == IPPROTO_GRE) {
			if (s->sport_mask || s->dport_mask)
				print_uint(PRINT_ANY, "key", " key %" PRIu64,
					   (uint64_t)ntohs(s->sport) << 16 | ntohs(s->dport));
		} else {
			if (s->sport_mask)
				print_uint(PRINT_ANY, "sport", " sport %" PRIu64, ntohs(s->sport));
			if (s->dport_mask)
				print_uint(PRINT_ANY, "dport", " dport %" PRIu64, ntohs(s->dport));
		}
	}
	if (s->ifindex) {
		char name[IF_NAMESIZE];

		if (if_indextoname((unsigned int)s->ifindex, name))
			print_string(PRINT_ANY, "dev", " dev %s", name);
		else
			print_int(PRINT_ANY, "ifindex", " dev if%" PRId64, s->ifindex);
	}
	print_close_object();
}

static void print_alg(const char *kind, const struct xc_sa_alg *a, const char *icv_key)
{
	print_string(PRINT_TEXT, NULL, "%s", kind);
	print_open_object(kind);
	print_string(PRINT_ANY, "name", " %s", a->name);
	if (strcmp(kind, "comp")) {
		cli_print_key(a->key, a->key_len);
		print_uint(PRINT_JSON, "key-bits", NULL, (uint64_t)a->key_len * 8);
		if (icv_key)
			print_uint(PRINT_ANY, icv_key, " %" PRIu64, a->icv_bits);
	}
	print_close_object();
	cli_sep();
}

static void print_flags(const char *key, const char *kw, uint32_t flags,
			const char *(*name)(unsigned int))
{
	print_open_array(key);
	print_text("%s", kw);
	for (unsigned int bit = 0; bit < 32; bit++) {
		if (!(flags & (1u << bit)))
			continue;
		if (name(bit))
			print_string(PRINT_ANY, NULL, " %s", name(bit));
		else
			print_uint(PRINT_ANY, NULL, " 0x%" PRIx64, 1u << bit);
	}
	print_close_array();
}

static void print_stats(const struct xc_sa *sa)
{
	cli_print_lifetime(&sa->info.lft, &sa->info.curlft);
	cli_sep();
	print_open_object("stats");
	print_uint(PRINT_ANY, "replay-window", "stats: replay-window %" PRIu64, sa->info.stats.replay_window);
	print_uint(PRINT_ANY, "replay", " replay %" PRIu64, sa->info.stats.replay);
	print_uint(PRINT_ANY, "failed", " failed %" PRIu64, sa->info.stats.integrity_failed);
	print_close_object();
}

/* ---- state list's text, the common SAs at once ---- */

/* A literal's bytes at o; its end. */
#define PUT_LIT(o, lit) ((char *)memcpy(o, lit, sizeof(lit) - 1) + sizeof(lit) - 1)

/* The name of a value (xc_proto_name(), xc_mode_name()), kept with its
 * length for the next SA, which most likely has the same value; NULL if
 * the value has none. Names are short: 16 bytes are kept and copied. */
struct name_text {
	bool set;
	uint8_t val;
	size_t len;
	char text[16];
};

static inline __attribute__((always_inline)) const char *
name_of(struct name_text *t, uint8_t val, const char *(*lookup)(uint8_t))
{
	if (!t->set || t->val != val) {
		const char *name = lookup(val);

		if (!name || (t->len = strlen(name)) > sizeof(t->text)) {
			t->set = false;
			return NULL; /* (then the print calls write the SA) */
		}
		t->set = true;
		t->val = val;
		memset(t->text, 0, sizeof(t->text));
		memcpy(t->text, name, t->len);
	}
	return t->text;
}

static inline __attribute__((always_inline)) char *put_name(char *o, const struct name_text *t)
{
	memcpy(o, t->text, sizeof(t->text));
	return o + t->len;
}

static inline __attribute__((always_inline)) char *put_sep(char *o)
{
	return G.oneline ? PUT_LIT(o, " \\ ") : PUT_LIT(o, "\n\t");
}

#define LIT(s) s, sizeof(s) - 1

/* As print_alg() writes it in text: lead is "aead " and so on. */
static inline __attribute__((always_inline)) char *put_alg(char *o, const char *lead, size_t lead_len,
							   const struct xc_alg_ref *a, bool key, bool icv)
{
	o = (char *)memcpy(o, lead, lead_len) + lead_len;
	memcpy(o, a->name, XC_ALG_NAME_MAX); /* (whole: the attribute has it, and o room) */
	o += a->name_len;
	if (key) {
		if (!G.keys) {
			o = PUT_LIT(o, " <redacted>");
		} else {
			*o++ = ' ';
			o = cli_key_text(a->key, a->key_len, o);
		}
		if (icv) {
			*o++ = ' ';
			o = print_put_uint(o, a->icv_bits, 10, 0);
		}
	}
	return put_sep(o);
}

/* Whether attribute a, if present, holds a 32-bit value that is not 0
 * (or is too short to hold one). */
static bool attr_nonzero(const struct nlattr *a)
{
	uint32_t v;

	if (!a)
		return false;
	if (xc_nla_len(a) < sizeof(v))
		return true;
	memcpy(&v, xc_nla_data(a), sizeof(v));
	return v != 0;
}

/* Attributes that text_sa_at_once() leaves to the print calls. */
#define OTHER_ATTRS                                                                                \
	(1ULL << XFRMA_ENCAP | 1ULL << XFRMA_COADDR | 1ULL << XFRMA_MARK | 1ULL << XFRMA_SET_MARK |  \
	 1ULL << XFRMA_SET_MARK_MASK | 1ULL << XFRMA_IF_ID | 1ULL << XFRMA_TFCPAD |                   \
	 1ULL << XC_XFRMA_SA_DIR | 1ULL << XFRMA_OFFLOAD_DEV | 1ULL << XFRMA_SEC_CTX |                \
	 1ULL << XFRMA_REPLAY_ESN_VAL)

/* The text of an SA of the common kind (no flags, encap, marks, context,
 * offload, ESN, selector ports or device; known protocol and mode; no -s),
 * read straight from its message and written at once: exactly what the
 * print calls of cli_print_sa() write for it, at a fraction of their cost
 * (state list of 100k SAs in text was twice the raw dump, then 1.7 times
 * with a struct xc_sa filled and cleared for each). false, nothing written,
 * for any other SA, or one whose attributes do not read: cli_print_sa()
 * writes those, or xc_sa_msg_parse() refuses them. For text output
 * without -s only (list_at_once()). */
static bool text_sa_at_once(const struct xc_sa_msg *m)
{
	static struct name_text proto_text, mode_text;
	const struct nlattr *const *tb = m->tb;
	const struct xfrm_usersa_info *p = &m->info;
	const struct xfrm_selector *sel = &p->sel;
	uint16_t sfam = sel->family ? sel->family : AF_INET;
	const char *proto = name_of(&proto_text, p->id.proto, xc_proto_name);
	const char *mode = name_of(&mode_text, p->mode, xc_mode_name);
	int auth_type;
	const struct nlattr *auth = xc_sa_msg_auth(m, &auth_type);
	struct xc_alg_ref aead, au, enc, comp;
	struct xfrm_replay_state rs;
	char *o;

	if (!proto || !mode || p->flags || sel->proto ||
	    sel->ifindex || (m->present & OTHER_ATTRS) || attr_nonzero(tb[XFRMA_SA_EXTRA_FLAGS]) ||
	    (tb[XFRMA_LASTUSED] && xc_nla_len(tb[XFRMA_LASTUSED]) < sizeof(uint64_t)) ||
	    (tb[XFRMA_REPLAY_VAL] && xc_nla_len(tb[XFRMA_REPLAY_VAL]) < sizeof(rs)))
		return false;
	if ((tb[XFRMA_ALG_AEAD] && xc_alg_ref_read(tb[XFRMA_ALG_AEAD], XFRMA_ALG_AEAD, &aead) < 0) ||
	    (auth && xc_alg_ref_read(auth, auth_type, &au) < 0) ||
	    (tb[XFRMA_ALG_CRYPT] && xc_alg_ref_read(tb[XFRMA_ALG_CRYPT], XFRMA_ALG_CRYPT, &enc) < 0) ||
	    (tb[XFRMA_ALG_COMP] && xc_alg_ref_read(tb[XFRMA_ALG_COMP], XFRMA_ALG_COMP, &comp) < 0))
		return false;
	/* the longest: four addresses, four algorithms with 512-byte keys */
	o = print_raw(8192);
	o = PUT_LIT(o, "src ");
	o = cli_addr_text(p->family, &p->saddr, o);
	o = PUT_LIT(o, " dst ");
	o = cli_addr_text(p->family, &p->id.daddr, o);
	o = put_sep(o);
	o = PUT_LIT(o, "proto ");
	o = put_name(o, &proto_text);
	o = PUT_LIT(o, " spi 0x");
	o = print_put_uint(o, ntohl(p->id.spi), 16, 8);
	o = PUT_LIT(o, " reqid ");
	o = print_put_uint(o, p->reqid, 10, 0);
	o = PUT_LIT(o, " mode ");
	o = put_name(o, &mode_text);
	o = put_sep(o);
	o = PUT_LIT(o, "replay-window ");
	o = print_put_uint(o, p->replay_window, 10, 0);
	if (p->seq) {
		o = PUT_LIT(o, " seq 0x");
		o = print_put_uint(o, p->seq, 16, 8);
	}
	o = put_sep(o);
	if (tb[XFRMA_ALG_AEAD])
		o = put_alg(o, LIT("aead "), &aead, true, true);
	if (auth) {
		bool trunc = auth_type == XFRMA_ALG_AUTH_TRUNC;

		o = trunc ? put_alg(o, LIT("auth-trunc "), &au, true, true) :
			    put_alg(o, LIT("auth "), &au, true, false);
	}
	if (tb[XFRMA_ALG_CRYPT])
		o = put_alg(o, LIT("enc "), &enc, true, false);
	if (tb[XFRMA_ALG_COMP])
		o = put_alg(o, LIT("comp "), &comp, false, false);
	if (tb[XFRMA_REPLAY_VAL]) {
		memcpy(&rs, xc_nla_data(tb[XFRMA_REPLAY_VAL]), sizeof(rs));
		o = PUT_LIT(o, "anti-replay context: seq 0x");
		o = print_put_uint(o, rs.seq, 16, 0);
		o = PUT_LIT(o, ", oseq 0x");
		o = print_put_uint(o, rs.oseq, 16, 0);
		o = PUT_LIT(o, ", bitmap 0x");
		o = print_put_uint(o, rs.bitmap, 16, 8);
		o = put_sep(o);
	}
	o = PUT_LIT(o, "sel src ");
	o = cli_prefix_text(sfam, &sel->saddr, sel->prefixlen_s, o);
	o = PUT_LIT(o, " dst ");
	o = cli_prefix_text(sfam, &sel->daddr, sel->prefixlen_d, o);
	*o++ = '\n';
	print_raw_done(o);
	return true;
}

void cli_print_sa(const char *key, const struct xc_sa *sa)
{
	const struct xfrm_usersa_info *p = &sa->info;
	const char *name;

	print_open_object(key);
	print_string(PRINT_ANY, "src", "src %s", cli_addr(p->family, &p->saddr));
	print_string(PRINT_ANY, "dst", " dst %s", cli_addr(p->family, &p->id.daddr));
	print_string(PRINT_JSON, "family", NULL, p->family == AF_INET6 ? "inet6" : "inet");
	cli_sep();
	name = xc_proto_name(p->id.proto);
	if (name)
		print_string(PRINT_ANY, "proto", "proto %s", name);
	else
		print_uint(PRINT_ANY, "proto", "proto %" PRIu64, p->id.proto);
	print_uint(PRINT_ANY, "spi", " spi 0x%08" PRIx64, ntohl(p->id.spi));
	print_uint(PRINT_ANY, "reqid", " reqid %" PRIu64, p->reqid);
	name = xc_mode_name(p->mode);
	if (name)
		print_string(PRINT_ANY, "mode", " mode %s", name);
	else
		print_uint(PRINT_ANY, "mode", " mode %" PRIu64, p->mode);
	cli_sep();
	print_uint(PRINT_ANY, "replay-window", "replay-window %" PRIu64,
		   sa->has_replay_esn ? sa->esn.replay_window : p->replay_window);
	if (p->seq)
		print_uint(PRINT_ANY, "seq", " seq 0x%08" PRIx64, p->seq);
	if (p->flags)
		print_flags("flags", " flag", p->flags, xc_sa_flag_name);
	if (sa->has_extra_flags && sa->extra_flags)
		print_flags("extra-flags", " extra-flag", sa->extra_flags, xc_sa_xflag_name);
	cli_sep();
	if (sa->aead.set)
		print_alg("aead", &sa->aead, "icv-bits");
	if (sa->auth.set)
		print_alg(sa->auth_trunc ? "auth-trunc" : "auth", &sa->auth,
			  sa->auth_trunc ? "trunc-bits" : NULL);
	if (sa->enc.set)
		print_alg("enc", &sa->enc, NULL);
	if (sa->comp.set)
		print_alg("comp", &sa->comp, NULL);
	if (sa->has_encap) {
		const struct xfrm_encap_tmpl *e = &sa->encap;

		print_open_object("encap");
		name = xc_encap_name(e->encap_type);
		if (name)
			print_string(PRINT_ANY, "type", "encap type %s", name);
		else
			print_uint(PRINT_ANY, "type", "encap type %" PRIu64, e->encap_type);
		print_uint(PRINT_ANY, "sport", " sport %" PRIu64, ntohs(e->encap_sport));
		print_uint(PRINT_ANY, "dport", " dport %" PRIu64, ntohs(e->encap_dport));
		print_string(PRINT_ANY, "oaddr", " addr %s", cli_addr(p->family, &e->encap_oa));
		print_close_object();
		cli_sep();
	}
	if (sa->has_coaddr) {
		print_string(PRINT_ANY, "coa", "coa %s", cli_addr(p->family, &sa->coaddr));
		cli_sep();
	}
	if (sa->has_mark || sa->has_output_mark || sa->has_if_id || sa->has_tfcpad || sa->has_dir) {
		const char *lead = "";

		if (sa->has_mark) {
			print_open_object("mark");
			print_uint(PRINT_ANY, "value", "mark 0x%" PRIx64, sa->mark.v);
			print_uint(PRINT_ANY, "mask", "/0x%" PRIx64, sa->mark.m);
			print_close_object();
			lead = " ";
		}
		if (sa->has_output_mark) {
			print_text("%s", lead);
			print_open_object("output-mark");
			print_uint(PRINT_ANY, "value", "output-mark 0x%" PRIx64, sa->output_mark);
			print_uint(PRINT_ANY, "mask", "/0x%" PRIx64, sa->output_mark_mask);
			print_close_object();
			lead = " ";
		}
		if (sa->has_if_id) {
			print_text("%s", lead);
			print_uint(PRINT_ANY, "if_id", "if_id %" PRIu64, sa->if_id);
			lead = " ";
		}
		if (sa->has_tfcpad) {
			print_text("%s", lead);
			print_uint(PRINT_ANY, "tfcpad", "tfcpad %" PRIu64, sa->tfcpad);
			lead = " ";
		}
		if (sa->has_dir) {
			print_text("%s", lead);
			print_string(PRINT_ANY, "dir", "dir %s", sa->dir == XC_SA_DIR_IN ? "in" : "out");
		}
		cli_sep();
	}
	if (sa->has_ctx) {
		print_string(PRINT_ANY, "ctx", "security context %s", sa->ctx.str);
		cli_sep();
	}
	if (sa->has_offload) {
		char dev[IF_NAMESIZE];

		print_open_object("offload");
		if (!if_indextoname((unsigned int)sa->offload.ifindex, dev))
			snprintf(dev, sizeof(dev), "if%d", sa->offload.ifindex);
		print_string(PRINT_ANY, "type", "crypto offload parameters: type %s",
			     sa->offload.flags & XFRM_OFFLOAD_PACKET ? "packet" : "crypto");
		print_string(PRINT_ANY, "dev", " dev %s", dev);
		print_string(PRINT_ANY, "dir", " dir %s",
			     sa->offload.flags & XFRM_OFFLOAD_INBOUND ? "in" : "out");
		print_close_object();
		cli_sep();
	}
	if (sa->has_replay_esn) {
		print_open_object("replay-esn");
		print_uint(PRINT_ANY, "seq-hi", "anti-replay esn context: seq-hi 0x%" PRIx64, sa->esn.seq_hi);
		print_uint(PRINT_ANY, "oseq-hi", ", oseq-hi 0x%" PRIx64, sa->esn.oseq_hi);
		print_uint(PRINT_ANY, "seq", ", seq 0x%" PRIx64, sa->esn.seq);
		print_uint(PRINT_ANY, "oseq", ", oseq 0x%" PRIx64, sa->esn.oseq);
		print_uint(PRINT_ANY, "window", ", replay_window %" PRIu64, sa->esn.replay_window);
		print_close_object();
		cli_sep();
	} else if (sa->has_replay) {
		print_open_object("replay");
		print_uint(PRINT_ANY, "seq", "anti-replay context: seq 0x%" PRIx64, sa->replay.seq);
		print_uint(PRINT_ANY, "oseq", ", oseq 0x%" PRIx64, sa->replay.oseq);
		print_uint(PRINT_ANY, "bitmap", ", bitmap 0x%08" PRIx64, sa->replay.bitmap);
		print_close_object();
		cli_sep();
	}
	cli_print_sel(&p->sel);
	if (G.stats) {
		cli_sep();
		print_stats(sa);
		if (sa->has_lastused) {
			cli_sep();
			cli_print_time("lastused", "lastused %s", sa->lastused);
		}
	}
	print_close_object();
	if (!key)
		print_nl(); /* an entry of its own; nested ones end with their container */
}

/* "SA esp spi 0x00000100 dst 10.0.0.2" for messages. */
static const char *sa_name(const struct xc_sa *sa)
{
	static char b[96];
	const char *proto = xc_proto_name(sa->info.id.proto);

	snprintf(b, sizeof(b), "SA %s spi 0x%08x dst %s", proto ? proto : "?",
		 ntohl(sa->info.id.spi), cli_addr(sa->info.family, &sa->info.id.daddr));
	return b;
}

/* ---- commands ---- */

/* One SA for every add of a batch, cleared after each (it holds keys): a
 * 3 KB malloc and free per line cost more than the rest of the line's work
 * but the kernel's. */
static struct xc_sa add_sa_buf;

/* Show (--dry-run) or add the SA parsed into add_sa_buf, which is cleared. */
static int add_parsed(bool update)
{
	const char *ctx = update ? "state update" : "state add";
	struct xc_sa *sa = &add_sa_buf;
	struct xc_err xe; /* (set by xc_sa_add) */
	struct xc_nl *nl;
	int r, ret = EXIT_RUNTIME;

	if (G.dry_run) {
		print_init(stdout, G.json);
		cli_print_sa(NULL, sa);
		ret = cli_finish_output(ctx);
		goto out;
	}
	if (!(nl = cli_nl(ctx)))
		goto out;
	r = xc_sa_add(nl, sa, update, &xe);
	if (r < 0) {
		ret = cli_refused(ctx, sa_name(sa), r, &xe, update ? "no such SA" : NULL);
		goto out;
	}
	ret = EXIT_OK;
out:
	xc_sa_clear(sa);
	return ret;
}

static int do_add(int argc, char **argv, bool update)
{
	struct xc_spec_opts o = { .key_in = cli_key_in };
	struct xc_err xe = { "" };
	int r;

	/* (add_sa_buf is cleared memory: xc_spec_sa fills it) */
	r = xc_spec_sa(argc - 1, argv + 1, &add_sa_buf, &o, &xe);
	if (r < 0) {
		err_msg("%s: %s", update ? "state update" : "state add", xe.msg);
		xc_sa_clear(&add_sa_buf);
		/* -EINVAL: the words are wrong; else the system said no (a key
		 * file that cannot be read, a device that is not there) */
		return r == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return add_parsed(update);
}

/* If the word at s is the n bytes of w and spaces follow: what follows
 * them, else NULL. */
static inline const char *word_then_spaces(const char *s, const char *w, size_t n)
{
	if (!(s = xc_word_is(s, w, n)) || *s != ' ')
		return NULL;
	while (*s == ' ')
		s++;
	return s;
}

#define WORD_THEN_SPACES(s, lit) word_then_spaces(s, lit, sizeof(lit) - 1)

/* If line starts with "state add " (update: or "state update "), what
 * follows, else NULL; *update says which. */
static const char *add_line_args(const char *line, bool with_update, bool *update)
{
	const char *s = line, *args;

	while (*s == ' ')
		s++;
	if (!(s = WORD_THEN_SPACES(s, "state")))
		return NULL;
	*update = false;
	if ((args = WORD_THEN_SPACES(s, "add")))
		return args;
	if (with_update && (args = WORD_THEN_SPACES(s, "update")))
		*update = true;
	return args;
}

int state_add_text(const char *line)
{
	const char *args;
	bool update;

	if (!(args = add_line_args(line, true, &update)) || !xc_spec_sa_text(args, &add_sa_buf))
		return -1;
	return add_parsed(update);
}

/* ---- a batch's plain adds, sent many at once ---- */

/* What is kept of a queued SA, to name it in a message and to remove it
 * again (the keys are not). */
struct queued_sa {
	size_t line;
	bool failed;
	bool has_mark, has_if_id;
	uint8_t proto;
	uint16_t family;
	uint32_t spi, if_id;
	xfrm_address_t daddr, saddr;
	struct xfrm_mark mark;
};

static struct queued_sa queue[XC_NL_QUEUE_MAX];
static unsigned int queue_n;

static void queue_keep(struct queued_sa *q, const struct xc_sa *sa, size_t line)
{
	*q = (struct queued_sa){
		.line = line,
		.has_mark = sa->has_mark,
		.has_if_id = sa->has_if_id,
		.proto = sa->info.id.proto,
		.family = sa->info.family,
		.spi = sa->info.id.spi,
		.if_id = sa->if_id,
		.daddr = sa->info.id.daddr,
		.saddr = sa->info.saddr,
		.mark = sa->mark,
	};
}

/* The SA that q names, in add_sa_buf (clear between lines; the caller
 * clears it again). */
static struct xc_sa *queued_id(const struct queued_sa *q)
{
	struct xc_sa *id = &add_sa_buf;

	id->info.id.proto = q->proto;
	id->info.family = q->family;
	id->info.id.spi = q->spi;
	id->info.id.daddr = q->daddr;
	id->info.saddr = q->saddr;
	id->has_mark = q->has_mark;
	id->mark = q->mark;
	id->has_if_id = q->has_if_id;
	id->if_id = q->if_id;
	return id;
}

/* A queued line the kernel refused. Past the first failure of a batch
 * that stops there, a line counts as never run: no message. */
static void queued_refused(unsigned int i, int err, const struct xc_err *xe, void *arg)
{
	struct batch_tally *t = arg;
	struct queued_sa *q = &queue[i];

	q->failed = true;
	if (batch_stopped(t))
		return;
	cli_err_line = q->line;
	batch_worst(t, cli_refused("state add", sa_name(queued_id(q)), err, xe, NULL));
	xc_sa_clear(&add_sa_buf);
	if (!t->failed++)
		t->first_failed = q->line;
}

/* A queued line after the first failure that the kernel applied all the
 * same: removed again, so that the kernel holds what it would had the
 * lines gone one at a time. */
static void queued_undo(struct xc_nl *nl, const struct queued_sa *q, struct batch_tally *t)
{
	struct xc_err xe;
	char what[160];
	int r = xc_sa_del(nl, queued_id(q), &xe);

	if (r < 0 && r != -ESRCH && r != -ENOENT) { /* (gone already: as good) */
		cli_err_line = q->line;
		snprintf(what, sizeof(what), "%s: added, and not deleted again after line %zu failed",
			 sa_name(&add_sa_buf), t->first_failed);
		cli_refused("state add", what, r, &xe, NULL);
		t->kept_after++; /* (t->ret says a failure already) */
	}
	xc_sa_clear(&add_sa_buf);
}

void state_add_flush(struct batch_tally *t)
{
	size_t line = cli_err_line;
	unsigned int n = queue_n;
	struct xc_nl *nl;
	bool sent;
	int r;

	if (!n)
		return;
	queue_n = 0;
	nl = cli_nl("state add"); /* (open: the lines were queued on it) */
	r = xc_nl_flush(nl, queued_refused, t, &sent);
	if (r < 0 && sent) {
		/* the kernel handled them, but what it said is lost */
		t->lost_from = queue[0].line;
		t->lost_to = queue[n - 1].line;
		t->lost_err = -r;
		batch_worst(t, EXIT_RUNTIME);
		goto out;
	}
	if (r < 0) { /* none sent: each line failed */
		cli_err_line = 0;
		err_msg("batch: lines %zu to %zu: state add: not sent to the kernel: %s",
			queue[0].line, queue[n - 1].line, strerror(-r));
		if (!t->failed)
			t->first_failed = queue[0].line;
		t->failed += t->force ? n : 1; /* (without --force, the rest were never run) */
		batch_worst(t, EXIT_RUNTIME);
		goto out;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (queue[i].failed)
			continue;
		if (t->failed && !t->force && queue[i].line > t->first_failed)
			queued_undo(nl, &queue[i], t);
		else
			t->applied++;
	}
out:
	cli_err_line = line;
}

int state_add_queue(const char *line, size_t lineno, struct batch_tally *t)
{
	struct xc_sa *sa = &add_sa_buf;
	struct xc_nl *nl;
	const char *args;
	bool update;
	int r;

	if (!(args = add_line_args(line, false, &update)) || !xc_spec_sa_text(args, sa))
		return -1;
	if (!(nl = cli_nl("state add"))) {
		xc_sa_clear(sa);
		return EXIT_RUNTIME;
	}
	queue_keep(&queue[queue_n], sa, lineno);
	r = xc_sa_queue_add(nl, sa);
	xc_sa_clear(sa);
	if (r < 0)
		return -1; /* (not for the queue after all: sent alone) */
	queue_n++;
	if (r == 1)
		state_add_flush(t);
	return EXIT_OK;
}

static int cmd_add(int argc, char **argv) { return do_add(argc, argv, false); }
static int cmd_update(int argc, char **argv) { return do_add(argc, argv, true); }

static int cmd_get(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_sa id, *sa = NULL;
	struct xc_nl *nl;
	int r, ret;

	if (xc_spec_sa_id(argc - 1, argv + 1, &id, &xe) < 0) {
		err_msg("state get: %s", xe.msg);
		return EXIT_USAGE;
	}
	if (!(nl = cli_nl("state get")))
		return EXIT_RUNTIME;
	r = xc_sa_get(nl, &id, &sa, &xe);
	if (r < 0)
		return cli_refused("state get", sa_name(&id), r, &xe, "no such SA");
	print_init(stdout, G.json);
	cli_print_sa(NULL, sa);
	ret = cli_finish_output("state get");
	xc_sa_free(sa);
	return ret;
}

static int cmd_del(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_sa id;
	struct xc_nl *nl;
	int r;

	if (xc_spec_sa_id(argc - 1, argv + 1, &id, &xe) < 0) {
		err_msg("state delete: %s", xe.msg);
		return EXIT_USAGE;
	}
	if (G.dry_run)
		return EXIT_OK;
	if (!(nl = cli_nl("state delete")))
		return EXIT_RUNTIME;
	r = xc_sa_del(nl, &id, &xe);
	if (r < 0)
		return cli_refused("state delete", sa_name(&id), r, &xe, "no such SA");
	return EXIT_OK;
}

static int cmd_allocspi(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_sa id, *sa = NULL;
	uint32_t min, max;
	struct xc_nl *nl;
	int r, ret;

	if (xc_spec_sa_allocspi(argc - 1, argv + 1, &id, &min, &max, &xe) < 0) {
		err_msg("state allocspi: %s", xe.msg);
		return EXIT_USAGE;
	}
	if (!(nl = cli_nl("state allocspi")))
		return EXIT_RUNTIME;
	r = xc_sa_allocspi(nl, &id, min, max, &sa, &xe);
	if (r < 0)
		return cli_refused("state allocspi", "SPI range", r, &xe, "no such SA");
	print_init(stdout, G.json);
	cli_print_sa(NULL, sa);
	ret = cli_finish_output("state allocspi");
	xc_sa_free(sa);
	return ret;
}

/* Whether state list may write SAs with text_sa_at_once(): in text
 * without -s, unless XFRMCTL_PRINT_CALLS=1, which turns it off so that
 * tests can compare the two (tests/vm/t-state.sh). */
static bool list_at_once(void)
{
	const char *e = getenv("XFRMCTL_PRINT_CALLS");

	return !print_is_json() && !G.stats && !(e && !strcmp(e, "1"));
}

struct list_state {
	struct xc_sa_filter filter;
	bool filtered; /* any filter given */
	bool at_once;  /* list_at_once() */
	unsigned long shown;
	struct xc_sa sa; /* for those text_sa_at_once() does not write; cleared after each */
};

static int list_one(const struct xc_sa_msg *m, void *arg)
{
	struct list_state *st = arg;
	int r;

	if (st->filtered && !xc_sa_filter_match(&st->filter, &m->info))
		return 0;
	if (!st->at_once || !text_sa_at_once(m)) {
		r = xc_sa_msg_parse(m, &st->sa);
		if (r == 0)
			cli_print_sa(NULL, &st->sa);
		xc_sa_clear(&st->sa);
		if (r < 0)
			return r;
	}
	st->shown++;
	return ferror_unlocked(stdout) ? -EIO : 0;
}

static int cmd_list(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct list_state *st = calloc(1, sizeof(*st));
	struct xc_nl *nl;
	int r, ret = EXIT_USAGE;

	if (!st) {
		err_msg("state list: out of memory");
		return EXIT_RUNTIME;
	}
	if (xc_spec_sa_filter(argc - 1, argv + 1, &st->filter, &xe) < 0) {
		err_msg("state list: %s", xe.msg);
		goto out;
	}
	st->filtered = argc > 1;
	ret = EXIT_RUNTIME;
	if (!(nl = cli_nl("state list")))
		goto out;
	print_init(stdout, G.json);
	st->at_once = list_at_once();
	print_open_array(NULL);
	r = xc_sa_dump_msgs(nl, list_one, st, &xe);
	print_close_array();
	if (r < 0) {
		print_end();
		cli_nl_close(); /* a dump stopped midway leaves replies queued */
		ret = cli_refused("state list", "dump", r, &xe, "no such SA");
		goto out;
	}
	ret = cli_finish_output("state list");
out:
	free(st);
	return ret;
}

static int cmd_flush(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_sa_filter f;
	struct xc_nl *nl;
	int r;

	if (xc_spec_sa_filter(argc - 1, argv + 1, &f, &xe) < 0) {
		err_msg("state flush: %s", xe.msg);
		return EXIT_USAGE;
	}
	if (f.src || f.dst || f.spi || f.mode || f.reqid) {
		err_msg("state flush: only 'proto XFRM-PROTO' can narrow a flush");
		return EXIT_USAGE;
	}
	if (G.dry_run)
		return EXIT_OK;
	if (!(nl = cli_nl("state flush")))
		return EXIT_RUNTIME;
	r = xc_sa_flush(nl, f.proto ? f.sa.info.id.proto : 0, &xe);
	if (r < 0)
		return cli_refused("state flush", "flush", r, &xe, "no such SA");
	return EXIT_OK;
}

static int cmd_count(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_sad_info info;
	struct xc_nl *nl;
	int r;

	if (argc > 1) {
		err_msg("state count: unexpected '%s'", argv[1]);
		return EXIT_USAGE;
	}
	if (!(nl = cli_nl("state count")))
		return EXIT_RUNTIME;
	r = xc_sa_count(nl, &info, &xe);
	if (r < 0)
		return cli_refused("state count", "SAD info", r, &xe, "no such SA");
	print_init(stdout, G.json);
	print_open_object(NULL);
	print_uint(PRINT_ANY, "count", "SAD count %" PRIu64, info.count);
	if (G.stats) {
		print_uint(PRINT_ANY, "hash-buckets", " hash buckets %" PRIu64, info.hash_buckets);
		print_uint(PRINT_ANY, "hash-max", " (max %" PRIu64 ")", info.hash_max);
	}
	print_close_object();
	print_nl();
	return cli_finish_output("state count");
}

int state_main(int argc, char **argv)
{
	static const struct subcmd cmds[] = {
		{ "add", cmd_add },	      { "update", cmd_update }, { "allocspi", cmd_allocspi },
		{ "get", cmd_get },	      { "delete", cmd_del },	{ "del", cmd_del },
		{ "list", cmd_list },	      { "flush", cmd_flush },	{ "count", cmd_count },
		{ "export", state_export_main },
	};

	return cli_dispatch("state", cmds, N_ELEM(cmds), argc, argv, usage);
}
