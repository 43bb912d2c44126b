/* xfrmctl monitor: the kernel's XFRM events, one per line (text or JSON). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/ipsec.h>
#include <linux/xfrm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "monitor.h"
#include "print.h"
#include "sa.h"
#include "sp.h"
#include "spec.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static volatile sig_atomic_t stop;

static void usage(FILE *f)
{
	fputs("Usage: xfrmctl monitor [ rcvbuf BYTES ] [ all | OBJECT-LIST ]\n"
	      "OBJECT := state | policy | acquire | expire | aevent | report | mapping | migrate\n"
	      "One event per line; -j: one JSON object per line. Lost events (a full socket\n"
	      "buffer) are reported on stderr and, with -j, as {\"event\":\"lost\",\"count\":N}.\n", f);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *event_name(uint16_t type)
{
	static const struct {
		uint16_t type;
		const char *name;
	} names[] = {
		{ XFRM_MSG_NEWSA, "newsa" },	     { XFRM_MSG_UPDSA, "updsa" },
		{ XFRM_MSG_DELSA, "delsa" },	     { XFRM_MSG_FLUSHSA, "flushsa" },
		{ XFRM_MSG_EXPIRE, "expire" },	     { XFRM_MSG_ACQUIRE, "acquire" },
		{ XFRM_MSG_NEWPOLICY, "newpolicy" }, { XFRM_MSG_UPDPOLICY, "updpolicy" },
		{ XFRM_MSG_DELPOLICY, "delpolicy" }, { XFRM_MSG_FLUSHPOLICY, "flushpolicy" },
		{ XFRM_MSG_POLEXPIRE, "polexpire" }, { XFRM_MSG_NEWAE, "aevent" },
		{ XFRM_MSG_REPORT, "report" },	     { XFRM_MSG_MAPPING, "mapping" },
		{ XFRM_MSG_MIGRATE, "migrate" },     { XFRM_MSG_GETDEFAULT, "default" },
	};

	for (size_t i = 0; i < N_ELEM(names); i++)
		if (names[i].type == type)
			return names[i].name;
	return NULL;
}

/* The payload of nlh as struct of size len, or NULL if it is shorter. */
static const void *payload(const struct nlmsghdr *nlh, size_t len)
{
	return nlh->nlmsg_len >= NLMSG_LENGTH(len) ? NLMSG_DATA(nlh) : NULL;
}

static void print_proto(const char *key, const char *fmt, uint8_t proto)
{
	const char *name = xc_proto_name(proto);

	if (name)
		print_string(PRINT_ANY, key, fmt, name);
	else
		print_uint(PRINT_ANY, key, " proto %" PRIu64, proto);
}

/* A policy event's policy, as `policy list` shows it (a bare
 * xfrm_userpolicy_info, as in ACQUIRE, has no templates or marks). */
static void print_policy_info(const struct xfrm_userpolicy_info *p)
{
	struct xc_sp sp;

	memset(&sp, 0, sizeof(sp));
	sp.info = *p;
	cli_print_sp("policy", &sp);
}

static void print_sa_id(const struct xfrm_usersa_id *id, const xfrm_address_t *src)
{
	if (src)
		print_string(PRINT_ANY, "src", " src %s", cli_addr(id->family, src));
	print_string(PRINT_ANY, "dst", " dst %s", cli_addr(id->family, &id->daddr));
	print_proto("proto", " proto %s", id->proto);
	print_uint(PRINT_ANY, "spi", " spi 0x%08" PRIx64, ntohl(id->spi));
}

/* One event; -EBADMSG if its payload is malformed (it is then shown as such). */
static int print_event(const struct nlmsghdr *nlh)
{
	const struct xfrm_usersa_flush *fl;
	const struct xfrm_user_acquire *acq;
	const struct xfrm_aevent_id *ae;
	const struct xfrm_user_report *rep;
	const struct xfrm_user_mapping *map;
	const struct xfrm_userpolicy_default *def;
	uint16_t family;
	struct xc_sa sa;
	struct xc_sp sp;
	int r = 0;

	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
	case XFRM_MSG_DELSA:
	case XFRM_MSG_EXPIRE:
		if ((r = xc_sa_parse(nlh, &sa)) < 0)
			break;
		if (nlh->nlmsg_type == XFRM_MSG_EXPIRE) {
			const struct xfrm_user_expire *ue = NLMSG_DATA(nlh);

			print_string(PRINT_ANY, "limit", "%s ", ue->hard ? "hard" : "soft");
		}
		cli_print_sa("sa", &sa);
		xc_sa_clear(&sa);
		break;
	case XFRM_MSG_FLUSHSA:
		if (!(fl = payload(nlh, sizeof(*fl))))
			return -EBADMSG;
		if (fl->proto == IPSEC_PROTO_ANY)
			print_string(PRINT_ANY, "proto", "proto %s", "any");
		else
			print_proto("proto", "proto %s", fl->proto);
		break;
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
	case XFRM_MSG_DELPOLICY:
	case XFRM_MSG_POLEXPIRE:
		if ((r = xc_sp_parse(nlh, &sp)) < 0)
			break;
		if (nlh->nlmsg_type == XFRM_MSG_POLEXPIRE) {
			const struct xfrm_user_polexpire *pe = NLMSG_DATA(nlh);

			print_string(PRINT_ANY, "limit", "%s ", pe->hard ? "hard" : "soft");
		}
		cli_print_sp("policy", &sp);
		break;
	case XFRM_MSG_FLUSHPOLICY:
		print_text("policies flushed");
		break;
	case XFRM_MSG_ACQUIRE:
		if (!(acq = payload(nlh, sizeof(*acq))))
			return -EBADMSG;
		family = acq->sel.family ? acq->sel.family : acq->policy.sel.family;
		print_proto("proto", "proto %s", acq->id.proto);
		print_string(PRINT_ANY, "src", " src %s", cli_addr(family, &acq->saddr));
		print_string(PRINT_ANY, "dst", " dst %s", cli_addr(family, &acq->id.daddr));
		print_uint(PRINT_ANY, "seq", " seq 0x%08" PRIx64, acq->seq);
		print_text(" ");
		print_policy_info(&acq->policy);
		break;
	case XFRM_MSG_NEWAE:
		if (!(ae = payload(nlh, sizeof(*ae))))
			return -EBADMSG;
		print_open_object("sa");
		print_sa_id(&ae->sa_id, &ae->saddr);
		print_uint(PRINT_ANY, "reqid", " reqid %" PRIu64, ae->reqid);
		print_uint(PRINT_ANY, "flags", " flags 0x%" PRIx64, ae->flags);
		print_close_object();
		break;
	case XFRM_MSG_REPORT:
		if (!(rep = payload(nlh, sizeof(*rep))))
			return -EBADMSG;
		print_proto("proto", "proto %s ", rep->proto);
		cli_print_sel(&rep->sel);
		break;
	case XFRM_MSG_MAPPING:
		if (!(map = payload(nlh, sizeof(*map))))
			return -EBADMSG;
		print_open_object("sa");
		print_sa_id(&map->id, NULL);
		print_uint(PRINT_ANY, "reqid", " reqid %" PRIu64, map->reqid);
		print_close_object();
		print_string(PRINT_ANY, "old-src", " from %s", cli_addr(map->id.family, &map->old_saddr));
		print_uint(PRINT_ANY, "old-sport", ":%" PRIu64, ntohs(map->old_sport));
		print_string(PRINT_ANY, "new-src", " to %s", cli_addr(map->id.family, &map->new_saddr));
		print_uint(PRINT_ANY, "new-sport", ":%" PRIu64, ntohs(map->new_sport));
		break;
	case XFRM_MSG_GETDEFAULT:
		if (!(def = payload(nlh, sizeof(*def))))
			return -EBADMSG;
		print_string(PRINT_ANY, "in", "in %s", def->in == XFRM_USERPOLICY_BLOCK ? "block" : "accept");
		print_string(PRINT_ANY, "fwd", " fwd %s", def->fwd == XFRM_USERPOLICY_BLOCK ? "block" : "accept");
		print_string(PRINT_ANY, "out", " out %s", def->out == XFRM_USERPOLICY_BLOCK ? "block" : "accept");
		break;
	default:
		break;
	}
	return r;
}

static int on_event(const struct nlmsghdr *nlh, void *arg)
{
	const char *name = event_name(nlh->nlmsg_type);
	int r;

	(void)arg;
	print_open_object(NULL);
	if (name)
		print_string(PRINT_ANY, "event", "%s: ", name);
	else
		print_uint(PRINT_ANY, "type", "event %" PRIu64 ": ", nlh->nlmsg_type);
	r = print_event(nlh);
	if (r == -EBADMSG)
		print_string(PRINT_ANY, "error", " %s", "malformed message");
	print_close_object();
	print_nl();
	return print_end();
}

int monitor_main(int argc, char **argv)
{
	static const struct {
		const char *name;
		unsigned int bits;
	} objects[] = {
		{ "all", XC_MON_ALL },	       { "state", XC_MON_STATE },     { "policy", XC_MON_POLICY },
		{ "acquire", XC_MON_ACQUIRE }, { "expire", XC_MON_EXPIRE },   { "aevent", XC_MON_AEVENT },
		{ "report", XC_MON_REPORT },   { "mapping", XC_MON_MAPPING }, { "migrate", XC_MON_MIGRATE },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned int groups = 0;
	struct xc_mon *mon;
	uint64_t lost, total_lost = 0, v;
	int rcvbuf = 0, r, i;
	size_t o;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "rcvbuf")) {
			char *end;

			if (++i >= argc) {
				err_msg("monitor: missing BYTES after 'rcvbuf'");
				return EXIT_USAGE;
			}
			errno = 0;
			v = strtoull(argv[i], &end, 0);
			if (errno || *end || !*argv[i] || v == 0 || v > INT32_MAX) {
				err_msg("monitor: bad size '%s' after 'rcvbuf'", argv[i]);
				return EXIT_USAGE;
			}
			rcvbuf = (int)v;
			continue;
		}
		for (o = 0; o < N_ELEM(objects) && strcmp(argv[i], objects[o].name); o++)
			;
		if (o == N_ELEM(objects)) {
			err_msg("monitor: unknown object '%s' (see 'xfrmctl monitor help')", argv[i]);
			return EXIT_USAGE;
		}
		groups |= objects[o].bits;
	}
	if (!groups)
		groups = XC_MON_ALL;
	r = xc_mon_open(&mon, groups, rcvbuf);
	if (r < 0) {
		err_msg("monitor: cannot listen to XFRM events: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	G.oneline = true; /* one event, one line */
	print_init(stdout, G.json);
	while (!stop) {
		r = xc_mon_read(mon, on_event, NULL, &lost);
		if (r == -EINTR)
			continue;
		if (r < 0)
			break;
		if (lost) {
			total_lost += lost;
			err_msg("monitor: socket overrun: %" PRIu64 " event%s lost", lost, lost == 1 ? "" : "s");
			print_open_object(NULL);
			print_string(PRINT_JSON, "event", NULL, "lost");
			print_uint(PRINT_JSON, "count", NULL, lost);
			print_close_object();
			if ((r = print_end()) < 0)
				break;
		}
	}
	xc_mon_close(mon);
	if (r < 0 && r != -EINTR) {
		if (r == -EPIPE)
			return EXIT_OK; /* the reader went away */
		err_msg("monitor: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	if (total_lost)
		err_msg("monitor: %" PRIu64 " event%s lost in all", total_lost, total_lost == 1 ? "" : "s");
	return EXIT_OK;
}
