/* xfrmctl policy: the kernel's SPs (security policies). */
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
#include "sp.h"
#include "spec.h"
#include "spec_sp.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static void usage(FILE *f)
{
	fputs("Usage: xfrmctl policy { add | update } SELECTOR dir DIR [ ctx CTX ]\n"
	      "        [ mark MARK [ mask MASK ] ] [ index INDEX ] [ ptype PTYPE ]\n"
	      "        [ action ACTION ] [ priority PRIORITY ] [ flag FLAG-LIST ]\n"
	      "        [ if_id IF_ID ] [ LIMIT-LIST ] [ TMPL-LIST ]\n"
	      "       xfrmctl policy { get | delete | del } { SELECTOR | index INDEX } dir DIR\n"
	      "        [ ctx CTX ] [ mark MARK [ mask MASK ] ] [ ptype PTYPE ] [ if_id IF_ID ]\n"
	      "       xfrmctl policy list [ SELECTOR ] [ dir DIR ] [ index INDEX ]\n"
	      "        [ ptype PTYPE ] [ action ACTION ] [ priority PRIORITY ]\n"
	      "       xfrmctl policy flush [ ptype PTYPE ]\n"
	      "       xfrmctl policy count\n"
	      "       xfrmctl policy setdefault DIR DEFAULT [ DIR DEFAULT ] [ DIR DEFAULT ]\n"
	      "       xfrmctl policy getdefault\n"
	      "SELECTOR := [ src ADDR[/PLEN] ] [ dst ADDR[/PLEN] ] [ dev DEV ] [ UPSPEC ]\n"
	      "UPSPEC := proto { { tcp | udp | sctp | dccp } [ sport PORT ] [ dport PORT ] |\n"
	      "                  { icmp | ipv6-icmp | mobility-header } [ type NUMBER ] [ code NUMBER ] |\n"
	      "                  gre [ key { DOTTED-QUAD | NUMBER } ] | PROTO }\n"
	      "DIR := in | out | fwd\n"
	      "PTYPE := main | sub\n"
	      "ACTION := allow | block\n"
	      "DEFAULT := accept | block\n"
	      "FLAG-LIST := [ FLAG-LIST ] FLAG\n"
	      "FLAG := localok | icmp\n"
	      "LIMIT-LIST := [ LIMIT-LIST ] limit LIMIT\n"
	      "LIMIT := { time-soft | time-hard | time-use-soft | time-use-hard } SECONDS |\n"
	      "         { byte-soft | byte-hard } SIZE | { packet-soft | packet-hard } COUNT\n"
	      "TMPL-LIST := [ TMPL-LIST ] tmpl TMPL\n"
	      "TMPL := ID [ mode MODE ] [ reqid REQID ] [ level LEVEL ]\n"
	      "ID := [ src ADDR ] [ dst ADDR ] proto XFRM-PROTO [ spi SPI ]\n"
	      "XFRM-PROTO := esp | ah | comp | route2 | hao\n"
	      "MODE := transport | tunnel | beet | ro | in_trigger\n"
	      "LEVEL := required | use\n", f);
}

/* ---- output ---- */

/* Between the lines of one policy: a new line indented by depth tabs, or
 * " \ " with -o. */
static void sep(int depth)
{
	if (G.oneline)
		print_text(" \\ ");
	else
		print_text("\n%.*s", depth, "\t\t");
}

/* A value by name, or its number if it has none. */
static void print_named(enum print_kind kind, const char *key, const char *fmt_name,
			const char *fmt_num, const char *name, unsigned int v)
{
	if (name)
		print_string(kind, key, fmt_name, name);
	else
		print_uint(kind, key, fmt_num, v);
}

/* The selector, as the policy's first line; its fields are the policy's
 * own in JSON ("src", "dst", "proto", …). */
static void print_sel(const struct xfrm_selector *s)
{
	uint16_t fam = s->family ? s->family : AF_INET;
	char b[INET6_ADDRSTRLEN + 8];

	snprintf(b, sizeof(b), "%s/%u", cli_addr(fam, &s->saddr), s->prefixlen_s);
	print_string(PRINT_ANY, "src", "src %s", b);
	snprintf(b, sizeof(b), "%s/%u", cli_addr(fam, &s->daddr), s->prefixlen_d);
	print_string(PRINT_ANY, "dst", " dst %s", b);
	print_string(PRINT_JSON, "family", NULL, fam == AF_INET6 ? "inet6" : "inet");
	if (s->proto) {
		print_named(PRINT_ANY, "proto", " proto %s", " proto %" PRIu64,
			    xc_ipproto_name(s->proto), s->proto);
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
}

static void print_flags(uint8_t flags)
{
	print_open_array("flags");
	print_text(" flag");
	for (unsigned int bit = 0; bit < 8; bit++) {
		if (!(flags & (1u << bit)))
			continue;
		if (xc_sp_flag_name(bit))
			print_string(PRINT_ANY, NULL, " %s", xc_sp_flag_name(bit));
		else
			print_uint(PRINT_ANY, NULL, " 0x%" PRIx64, 1u << bit);
	}
	print_close_array();
}

static void print_tmpl(const struct xfrm_user_tmpl *t, uint16_t sel_family)
{
	uint16_t fam = t->family ? t->family : sel_family;
	const char *share = xc_sp_share_name(t->share);
	const char *level = t->optional == 0 ? "required" : t->optional == 1 ? "use" : NULL;

	print_open_object(NULL);
	print_string(PRINT_ANY, "src", "tmpl src %s", cli_addr(fam, &t->saddr));
	print_string(PRINT_ANY, "dst", " dst %s", cli_addr(fam, &t->id.daddr));
	print_string(PRINT_JSON, "family", NULL, fam == AF_INET6 ? "inet6" : "inet");
	sep(2);
	print_named(PRINT_ANY, "proto", "proto %s", "proto %" PRIu64, xc_proto_name(t->id.proto),
		    t->id.proto);
	print_uint(t->id.spi || G.stats ? PRINT_ANY : PRINT_JSON, "spi", " spi 0x%08" PRIx64,
		   ntohl(t->id.spi));
	print_uint(PRINT_ANY, "reqid", " reqid %" PRIu64, t->reqid);
	print_named(PRINT_ANY, "mode", " mode %s", " mode %" PRIu64, xc_mode_name(t->mode),
		    t->mode);
	/* as ip: the level in text when it is not the usual "required" */
	if (t->optional || G.stats)
		sep(2);
	print_named(t->optional || G.stats ? PRINT_ANY : PRINT_JSON, "level", "level %s",
		    "level %" PRIu64, level, t->optional);
	if (G.stats) {
		print_named(PRINT_ANY, "share", " share %s", " share %" PRIu64, share, t->share);
		sep(2);
		print_uint(PRINT_ANY, "enc-mask", "enc-mask %08" PRIx64, t->ealgos);
		print_uint(PRINT_ANY, "auth-mask", " auth-mask %08" PRIx64, t->aalgos);
		print_uint(PRINT_ANY, "comp-mask", " comp-mask %08" PRIx64, t->calgos);
	}
	print_close_object();
}

void cli_print_sp(const char *key, const struct xc_sp *sp)
{
	const struct xfrm_userpolicy_info *p = &sp->info;
	const char *share = xc_sp_share_name(p->share);

	print_open_object(key);
	print_sel(&p->sel);
	if (sp->has_ctx) {
		sep(1);
		print_string(PRINT_ANY, "ctx", "security context %s", sp->ctx.str);
	}
	sep(1);
	print_string(PRINT_ANY, "dir", xc_sp_is_socket(sp) ? "socket %s" : "dir %s",
		     xc_sp_dir_name(p->dir));
	if (xc_sp_is_socket(sp))
		print_bool(PRINT_JSON, "socket", NULL, true);
	/* as ip: the action in text only when it is not the usual allow */
	print_named(p->action != XFRM_POLICY_ALLOW || G.stats ? PRINT_ANY : PRINT_JSON, "action",
		    " action %s", " action %" PRIu64, xc_sp_action_name(p->action), p->action);
	print_uint(PRINT_ANY, "index", " index %" PRIu64, p->index);
	print_uint(PRINT_ANY, "priority", " priority %" PRIu64, p->priority);
	print_string(sp->has_ptype ? PRINT_ANY : PRINT_JSON, "ptype", " ptype %s",
		     xc_sp_ptype_name(sp->ptype) ? xc_sp_ptype_name(sp->ptype) : "?");
	if (G.stats)
		print_named(PRINT_ANY, "share", " share %s", " share %" PRIu64, share, p->share);
	if (p->flags)
		print_flags(p->flags);
	if (G.stats) {
		sep(1);
		cli_print_lifetime(&p->lft, &p->curlft);
	}
	if (sp->has_mark) {
		sep(1);
		print_open_object("mark");
		print_uint(PRINT_ANY, "value", "mark 0x%" PRIx64, sp->mark.v);
		print_uint(PRINT_ANY, "mask", "/0x%" PRIx64, sp->mark.m);
		print_close_object();
	}
	if (sp->n_tmpl) {
		print_open_array("tmpl");
		for (unsigned int i = 0; i < sp->n_tmpl; i++) {
			sep(1);
			print_tmpl(&sp->tmpl[i], p->sel.family);
		}
		print_close_array();
	}
	if (sp->has_if_id) {
		sep(1);
		print_uint(PRINT_ANY, "if_id", "if_id 0x%" PRIx64, sp->if_id);
	}
	print_close_object();
	if (!key)
		print_nl(); /* an entry of its own; nested ones end with their container */
}

/* "policy src 10.0.0.0/24 dst 10.0.1.0/24 dir out", or by_index "policy
 * index 9 dir out", for messages. */
static const char *sp_name(const struct xc_sp *sp, bool by_index)
{
	static char b[160];
	const struct xfrm_selector *s = &sp->info.sel;
	const char *dir = xc_sp_dir_name(sp->info.dir);

	if (by_index)
		snprintf(b, sizeof(b), "policy index %u dir %s", sp->info.index, dir);
	else
		snprintf(b, sizeof(b), "policy src %s/%u dst %s/%u dir %s",
			 cli_addr(s->family, &s->saddr), s->prefixlen_s,
			 cli_addr(s->family, &s->daddr), s->prefixlen_d, dir);
	return b;
}

/* ---- commands ---- */

static int do_add(int argc, char **argv, bool update)
{
	const char *ctx = update ? "policy update" : "policy add";
	struct xc_err xe = { "" };
	struct xc_sp *sp = malloc(sizeof(*sp));
	struct xc_nl *nl;
	int r, ret = EXIT_USAGE;

	if (!sp) {
		err_msg("%s: out of memory", ctx);
		return EXIT_RUNTIME;
	}
	r = xc_spec_sp(argc - 1, argv + 1, sp, &xe);
	if (r < 0) {
		err_msg("%s: %s", ctx, xe.msg);
		ret = r == -ENODEV ? EXIT_RUNTIME : EXIT_USAGE;
		goto out;
	}
	if (G.dry_run) {
		print_init(stdout, G.json);
		cli_print_sp(NULL, sp);
		ret = cli_finish_output(ctx);
		goto out;
	}
	ret = EXIT_RUNTIME;
	if (!(nl = cli_nl(ctx)))
		goto out;
	r = xc_sp_add(nl, sp, update, &xe);
	ret = r < 0 ? cli_refused(ctx, sp_name(sp, false), r, &xe, update ? "no such policy" : NULL) : EXIT_OK;
out:
	xc_sp_free(sp);
	return ret;
}

static int cmd_add(int argc, char **argv) { return do_add(argc, argv, false); }
static int cmd_update(int argc, char **argv) { return do_add(argc, argv, true); }

/* get and delete: parse the id; NULL after an error message (*ret set). */
static struct xc_sp *parse_id(const char *ctx, int argc, char **argv, int *ret)
{
	struct xc_err xe = { "" };
	struct xc_sp *id = malloc(sizeof(*id));
	int r;

	*ret = EXIT_RUNTIME;
	if (!id) {
		err_msg("%s: out of memory", ctx);
		return NULL;
	}
	r = xc_spec_sp_id(argc - 1, argv + 1, id, &xe);
	if (r < 0) {
		err_msg("%s: %s", ctx, xe.msg);
		*ret = r == -ENODEV ? EXIT_RUNTIME : EXIT_USAGE;
		xc_sp_free(id);
		return NULL;
	}
	return id;
}

static int cmd_get(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_sp *id, *sp = NULL;
	struct xc_nl *nl;
	int r, ret;

	if (!(id = parse_id("policy get", argc, argv, &ret)))
		return ret;
	ret = EXIT_RUNTIME;
	if (!(nl = cli_nl("policy get")))
		goto out;
	r = xc_sp_get(nl, id, &sp, &xe);
	if (r < 0) {
		ret = cli_refused("policy get", sp_name(id, id->info.index != 0), r, &xe, "no such policy");
		goto out;
	}
	print_init(stdout, G.json);
	cli_print_sp(NULL, sp);
	ret = cli_finish_output("policy get");
out:
	xc_sp_free(sp);
	xc_sp_free(id);
	return ret;
}

static int cmd_del(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_sp *id;
	struct xc_nl *nl;
	int r, ret;

	if (!(id = parse_id("policy delete", argc, argv, &ret)))
		return ret;
	ret = EXIT_OK;
	if (G.dry_run)
		goto out;
	ret = EXIT_RUNTIME;
	if (!(nl = cli_nl("policy delete")))
		goto out;
	r = xc_sp_del(nl, id, &xe);
	ret = r < 0 ? cli_refused("policy delete", sp_name(id, id->info.index != 0), r, &xe, "no such policy") : EXIT_OK;
out:
	xc_sp_free(id);
	return ret;
}

static int list_one(const struct xc_sp *sp, void *arg)
{
	const struct xc_sp_filter *filter = arg;

	if (!xc_sp_filter_match(filter, sp))
		return 0;
	cli_print_sp(NULL, sp);
	return ferror(stdout) ? -EIO : 0;
}

static int cmd_list(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_sp_filter *filter = malloc(sizeof(*filter));
	struct xc_nl *nl;
	int r, ret = EXIT_USAGE;

	if (!filter) {
		err_msg("policy list: out of memory");
		return EXIT_RUNTIME;
	}
	r = xc_spec_sp_filter(argc - 1, argv + 1, filter, &xe);
	if (r < 0) {
		err_msg("policy list: %s", xe.msg);
		ret = r == -ENODEV ? EXIT_RUNTIME : EXIT_USAGE;
		goto out;
	}
	ret = EXIT_RUNTIME;
	if (!(nl = cli_nl("policy list")))
		goto out;
	print_init(stdout, G.json);
	print_open_array(NULL);
	r = xc_sp_dump(nl, list_one, filter, &xe);
	print_close_array();
	if (r < 0) {
		print_end();
		cli_nl_close(); /* a dump stopped midway leaves replies queued */
		ret = cli_refused("policy list", "dump", r, &xe, "no such policy");
		goto out;
	}
	ret = cli_finish_output("policy list");
out:
	free(filter);
	return ret;
}

static int cmd_flush(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_nl *nl;
	bool has_ptype;
	uint8_t ptype;
	int r;

	if (xc_spec_sp_flush(argc - 1, argv + 1, &has_ptype, &ptype, &xe) < 0) {
		err_msg("policy flush: %s", xe.msg);
		return EXIT_USAGE;
	}
	if (G.dry_run)
		return EXIT_OK;
	if (!(nl = cli_nl("policy flush")))
		return EXIT_RUNTIME;
	r = xc_sp_flush(nl, has_ptype, ptype, &xe);
	if (r < 0)
		return cli_refused("policy flush", has_ptype && ptype ? "sub policies" : "policies", r,
			       &xe, "no such policy");
	return EXIT_OK;
}

/* Commands that take no argument. */
static bool no_args(const char *ctx, int argc, char **argv)
{
	if (argc > 1) {
		err_msg("%s: unexpected '%s'", ctx, argv[1]);
		return false;
	}
	return true;
}

static int cmd_count(int argc, char **argv)
{
	/* without -s, the socket policies are in JSON only, as ip shows them */
	enum print_kind more = G.stats ? PRINT_ANY : PRINT_JSON;
	struct xc_err xe = { "" };
	struct xc_spd_info info;
	struct xc_nl *nl;
	int r;

	if (!no_args("policy count", argc, argv))
		return EXIT_USAGE;
	if (!(nl = cli_nl("policy count")))
		return EXIT_RUNTIME;
	r = xc_sp_count(nl, &info, &xe);
	if (r < 0)
		return cli_refused("policy count", "SPD info", r, &xe, "no such policy");
	print_init(stdout, G.json);
	print_open_object(NULL);
	/* ip's own spacing, which scripts grep for ("SPD IN  0 OUT 1 FWD 0") */
	print_uint(PRINT_ANY, "in", "SPD IN  %" PRIu64, info.in);
	print_uint(PRINT_ANY, "out", " OUT %" PRIu64, info.out);
	print_uint(PRINT_ANY, "fwd", " FWD %" PRIu64, info.fwd);
	print_open_object("socket");
	print_uint(more, "in", " (Sock: IN %" PRIu64, info.sock_in);
	print_uint(more, "out", " OUT %" PRIu64, info.sock_out);
	print_uint(more, "fwd", " FWD %" PRIu64 ")", info.sock_fwd);
	print_close_object();
	if (G.stats) {
		print_nl();
		print_uint(PRINT_ANY, "hash-buckets", "SPD buckets: count %" PRIu64,
			   info.hash_buckets);
		print_uint(PRINT_ANY, "hash-max", " Max %" PRIu64, info.hash_max);
		if (info.has_hthresh4) {
			print_nl();
			print_open_object("hthresh4");
			print_uint(PRINT_ANY, "local", "SPD IPv4 thresholds: local %" PRIu64,
				   info.hthresh4_local);
			print_uint(PRINT_ANY, "remote", " remote %" PRIu64, info.hthresh4_remote);
			print_close_object();
		}
		if (info.has_hthresh6) {
			print_nl();
			print_open_object("hthresh6");
			print_uint(PRINT_ANY, "local", "SPD IPv6 thresholds: local %" PRIu64,
				   info.hthresh6_local);
			print_uint(PRINT_ANY, "remote", " remote %" PRIu64, info.hthresh6_remote);
			print_close_object();
		}
	}
	print_close_object();
	print_nl();
	return cli_finish_output("policy count");
}

static int cmd_setdefault(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_sp_default d;
	struct xc_nl *nl;
	int r;

	if (xc_spec_sp_default(argc - 1, argv + 1, &d, &xe) < 0) {
		err_msg("policy setdefault: %s", xe.msg);
		return EXIT_USAGE;
	}
	if (G.dry_run)
		return EXIT_OK;
	if (!(nl = cli_nl("policy setdefault")))
		return EXIT_RUNTIME;
	r = xc_sp_set_default(nl, &d, &xe);
	if (r < 0)
		return cli_refused("policy setdefault", "default policy", r, &xe, "no such policy");
	return EXIT_OK;
}

static const char *default_name(uint8_t v)
{
	return xc_sp_default_name(v) ? xc_sp_default_name(v) : "unknown";
}

static int cmd_getdefault(int argc, char **argv)
{
	struct xc_err xe = { "" };
	struct xc_sp_default d;
	struct xc_nl *nl;
	int r;

	if (!no_args("policy getdefault", argc, argv))
		return EXIT_USAGE;
	if (!(nl = cli_nl("policy getdefault")))
		return EXIT_RUNTIME;
	r = xc_sp_get_default(nl, &d, &xe);
	if (r < 0)
		return cli_refused("policy getdefault", "default policy", r, &xe, "no such policy");
	print_init(stdout, G.json);
	print_open_object(NULL);
	print_text("Default policies:");
	print_text(G.oneline ? " " : "\n ");
	print_string(PRINT_ANY, "in", "in:  %s", default_name(d.in));
	print_text(G.oneline ? " " : "\n ");
	print_string(PRINT_ANY, "fwd", "fwd: %s", default_name(d.fwd));
	print_text(G.oneline ? " " : "\n ");
	print_string(PRINT_ANY, "out", "out: %s", default_name(d.out));
	print_close_object();
	print_nl();
	return cli_finish_output("policy getdefault");
}

int policy_main(int argc, char **argv)
{
	static const struct subcmd cmds[] = {
		{ "add", cmd_add },	{ "update", cmd_update }, { "get", cmd_get },
		{ "delete", cmd_del },	{ "del", cmd_del },	  { "list", cmd_list },
		{ "flush", cmd_flush }, { "count", cmd_count },	  { "setdefault", cmd_setdefault },
		{ "getdefault", cmd_getdefault },
	};

	return cli_dispatch("policy", cmds, N_ELEM(cmds), argc, argv, usage);
}
