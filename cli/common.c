/* Helpers shared by the commands. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/xfrm.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "nl.h"
#include "print.h"

FILE *cli_key_in;
static struct xc_nl *nl;

struct xc_nl *cli_nl(const char *ctx)
{
	int err;

	if (nl)
		return nl;
	err = xc_nl_open(&nl);
	if (err < 0) {
		err_msg("%s: cannot open a NETLINK_XFRM socket: %s%s", ctx, strerror(-err),
			err == -EPROTONOSUPPORT ? " (is xfrm_user loaded?)" : "");
		nl = NULL;
	}
	return nl;
}

void cli_nl_close(void)
{
	xc_nl_close(nl);
	nl = NULL;
}

char cli_ip4_octet[256][4];
unsigned char cli_ip4_octet_len[256];

void cli_ip4_init(void)
{
	for (unsigned int v = 0; v < 256; v++) {
		char *d = cli_ip4_octet[v];

		if (v >= 100)
			*d++ = (char)('0' + v / 100);
		if (v >= 10)
			*d++ = (char)('0' + v / 10 % 10);
		*d++ = (char)('0' + v % 10);
		*d++ = '.';
		cli_ip4_octet_len[v] = (unsigned char)(d - cli_ip4_octet[v]);
	}
}

char *cli_addr6_text(const void *addr, char *b)
{
	if (!inet_ntop(AF_INET6, addr, b, INET6_ADDRSTRLEN))
		strcpy(b, "?");
	return b + strlen(b);
}

const char *cli_addr(uint16_t family, const void *addr)
{
	static char bufs[4][INET6_ADDRSTRLEN];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	cli_addr_text(family, addr, b);
	return b;
}

char *cli_prefix(char *buf, uint16_t family, const void *addr, unsigned int plen)
{
	*cli_prefix_text(family, addr, plen, buf) = '\0';
	return buf;
}

char *cli_key_text(const unsigned char *key, unsigned int len, char *b)
{
	if (len > 512)
		len = 512;
	*b++ = '0';
	*b++ = 'x';
	for (unsigned int i = 0; i < len; i++, b += 2)
		memcpy(b, print_hex_pairs + 2 * key[i], 2);
	return b;
}

void cli_print_key(const unsigned char *key, unsigned int len)
{
	char buf[2 + 2 * 512 + 1];

	if (!G.keys) {
		print_text(" <redacted>");
		return;
	}
	*cli_key_text(key, len, buf) = '\0';
	print_string(PRINT_ANY, "key", " %s", buf);
	explicit_bzero(buf, sizeof(buf));
}

int cli_refused(const char *ctx, const char *what, int err, const struct xc_err *xe,
		const char *absent)
{
	if (absent && (err == -ESRCH || err == -ENOENT)) /* the kernel's "not found" */
		err_msg("%s: %s: %s", ctx, what, absent);
	else if (err == -EOPNOTSUPP && xe->msg[0]) /* the text says what is not supported */
		err_msg("%s: %s: %s", ctx, what, xe->msg);
	else if (xe->msg[0])
		err_msg("%s: %s: %s (%s)", ctx, what, strerror(-err), xe->msg);
	else
		err_msg("%s: %s: %s", ctx, what, strerror(-err));
	return EXIT_RUNTIME;
}

int cli_finish_output(const char *ctx)
{
	int err = print_end();

	if (err < 0) {
		err_msg("%s: writing output: %s", ctx, strerror(-err));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

static void print_limit(const char *key, const char *fmt, uint64_t v)
{
	if (v == XFRM_INF) {
		print_null(key);
		print_text(" (INF)");
	} else {
		print_uint(PRINT_ANY, key, fmt, v);
	}
}

void cli_print_time(const char *key, const char *fmt, uint64_t t)
{
	char b[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm) || !strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S", &tm)) {
		print_null(key);
		print_text(fmt, "-");
		return;
	}
	print_uint(PRINT_JSON, key, NULL, t);
	print_text(fmt, b);
}

void cli_print_lifetime(const struct xfrm_lifetime_cfg *l, const struct xfrm_lifetime_cur *c)
{
	print_open_object("lifetime");
	print_text("lifetime config:");
	cli_sep();
	print_text("  limit: soft");
	print_limit("byte-soft", " %" PRIu64, l->soft_byte_limit);
	print_text("(bytes), hard");
	print_limit("byte-hard", " %" PRIu64, l->hard_byte_limit);
	print_text("(bytes)");
	cli_sep();
	print_text("  limit: soft");
	print_limit("packet-soft", " %" PRIu64, l->soft_packet_limit);
	print_text("(packets), hard");
	print_limit("packet-hard", " %" PRIu64, l->hard_packet_limit);
	print_text("(packets)");
	cli_sep();
	print_uint(PRINT_ANY, "time-soft", "  expire add: soft %" PRIu64, l->soft_add_expires_seconds);
	print_uint(PRINT_ANY, "time-hard", "(sec), hard %" PRIu64 "(sec)", l->hard_add_expires_seconds);
	cli_sep();
	print_uint(PRINT_ANY, "time-use-soft", "  expire use: soft %" PRIu64, l->soft_use_expires_seconds);
	print_uint(PRINT_ANY, "time-use-hard", "(sec), hard %" PRIu64 "(sec)", l->hard_use_expires_seconds);
	print_close_object();
	cli_sep();
	print_open_object("current");
	print_text("lifetime current:");
	cli_sep();
	print_uint(PRINT_ANY, "bytes", "  %" PRIu64 "(bytes)", c->bytes);
	print_uint(PRINT_ANY, "packets", ", %" PRIu64 "(packets)", c->packets);
	cli_sep();
	cli_print_time("add-time", "  add %s", c->add_time);
	cli_print_time("use-time", " use %s", c->use_time);
	print_close_object();
}

int cli_dispatch(const char *ctx, const struct subcmd *table, size_t n, int argc, char **argv,
		 void (*usage)(FILE *))
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* (the first byte first: a batch line comes here, and most are not) */
	if (argv[1][0] == 'h' && !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (argv[1][0] == table[i].name[0] && !strcmp(argv[1], table[i].name))
			return table[i].fn(argc - 1, argv + 1);
	err_msg("%s: unknown command '%s' (see 'xfrmctl %s help')", ctx, argv[1], ctx);
	return EXIT_USAGE;
}
