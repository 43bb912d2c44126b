/* Helpers shared by the commands. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

const char *cli_addr(uint16_t family, const void *addr)
{
	static char bufs[4][INET6_ADDRSTRLEN];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, b, INET6_ADDRSTRLEN))
		strcpy(b, "?");
	return b;
}

void cli_print_key(const unsigned char *key, unsigned int len)
{
	static const char hex[] = "0123456789abcdef";
	char buf[2 + 2 * 512 + 1];

	if (!G.keys) {
		print_text(" <redacted>");
		return;
	}
	if (len > 512)
		len = 512;
	buf[0] = '0';
	buf[1] = 'x';
	for (unsigned int i = 0; i < len; i++) {
		buf[2 + 2 * i] = hex[key[i] >> 4];
		buf[3 + 2 * i] = hex[key[i] & 15];
	}
	buf[2 + 2 * len] = '\0';
	print_string(PRINT_ANY, "key", " %s", buf);
	explicit_bzero(buf, sizeof(buf));
}

int cli_dispatch(const char *ctx, const struct subcmd *table, size_t n, int argc, char **argv,
		 void (*usage)(FILE *))
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], table[i].name))
			return table[i].fn(argc - 1, argv + 1);
	err_msg("%s: unknown command '%s' (see 'xfrmctl %s help')", ctx, argv[1], ctx);
	return EXIT_USAGE;
}
