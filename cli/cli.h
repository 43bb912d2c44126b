/* Shared by the cli/ files: global options, exit codes, error output. */
#ifndef XFRMCTL_CLI_H
#define XFRMCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1, /* the kernel or the system refused */
	EXIT_USAGE = 2,   /* bad command line or input */
};

struct global_opts {
	bool json;    /* -j: JSON output */
	bool keys;    /* -k: show keys in output */
	bool stats;   /* -s: statistics */
	bool oneline; /* -o: one line per entry */
	bool dry_run; /* --dry-run: parse, show, apply nothing */
	const char *netns; /* -n NETNS */
};

extern struct global_opts G;

/* "xfrmctl: " + message + newline on stderr; in a batch, "xfrmctl: line N: …". */
extern size_t cli_err_line;
void err_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run one command line (argv[0] is the command's name), as from argv or a
 * batch line. Returns an exit code. */
int cli_run(int argc, char **argv);
/* -b: the commands of a file or stdin. */
int batch_main(const char *path, bool force);

/* Each command: argv[0] is its own name. Returns an exit code. */
int version_main(int argc, char **argv);

#endif

/* The command table entries beside version. */
int state_main(int argc, char **argv);
/* A batch line of state add or update (still whole) whose words
 * xc_spec_sa_text reads, run without splitting it; the result is the
 * command's, messages included. Returns its exit code, or -1 for any other
 * line (nothing done: it is run as the others are). */
int state_add_text(const char *line);

/* What the lines of a batch came to. */
struct batch_tally {
	bool force;           /* go on past failures */
	int ret;              /* the worst exit code */
	size_t applied;       /* commands done */
	size_t failed;        /* lines that failed */
	size_t first_failed;  /* the first of them */
	size_t kept_after;    /* lines after the first failure left applied (not --force) */
	size_t lost_from, lost_to; /* lines whose answers were lost (lost_err) */
	int lost_err;
};

/* Keep the worst exit code of a batch's lines. */
static inline void batch_worst(struct batch_tally *t, int rc)
{
	if (rc > t->ret)
		t->ret = rc;
}

/* Whether a batch must run no more lines. */
static inline bool batch_stopped(const struct batch_tally *t)
{
	return t->lost_from || (t->failed && !t->force);
}

/* A batch line of plain `state add` (what xc_spec_sa_text reads) queued,
 * to be sent with others in one message (lib/nl.h): returns EXIT_OK,
 * another exit code after saying why, or -1 for any other line (nothing
 * done). Queued lines are counted in t when sent, by state_add_flush() (by
 * this call too, when the queue fills). */
int state_add_queue(const char *line, size_t lineno, struct batch_tally *t);
/* Send the queued lines and count them in t: refusals said (by their
 * line), and in a batch that stops at the first, the lines after it that
 * the kernel applied all the same removed again. */
void state_add_flush(struct batch_tally *t);
int policy_main(int argc, char **argv);

/* The NETLINK_XFRM socket, opened on first use and shared by the commands
 * of a batch. NULL after printing the error. */
struct xc_nl *cli_nl(const char *ctx);
void cli_nl_close(void);

/* The text of an address into b (INET6_ADDRSTRLEN bytes), terminated;
 * returns its end (the NUL). Inline, as state list writes four an SA:
 * IPv4 without glibc's inet_ntop (which goes through sprintf and was a
 * fifth of the time of listing SAs), each byte's digits and a dot stored
 * at once from a table made on first use (cli_ip4_init()), then stepped
 * over by their count; IPv6 with inet_ntop (cli_addr6_text()). */
extern char cli_ip4_octet[256][4];
extern unsigned char cli_ip4_octet_len[256];
void cli_ip4_init(void);
char *cli_addr6_text(const void *addr, char *b);
static inline __attribute__((always_inline)) char *cli_addr_text(uint16_t family, const void *addr,
								 char *b)
{
	const unsigned char *a = addr;

	if (family == AF_INET6)
		return cli_addr6_text(addr, b);
	if (!cli_ip4_octet_len[0])
		cli_ip4_init();
#pragma GCC unroll 4
	for (int i = 0; i < 4; i++) {
		memcpy(b, cli_ip4_octet[a[i]], 4); /* (the bytes past the count are overwritten) */
		b += cli_ip4_octet_len[a[i]];
	}
	b[-1] = '\0';
	return b - 1;
}
/* Text of an address of family f (static buffer, one of four in turn). */
const char *cli_addr(uint16_t family, const void *addr);

/* "ADDR/PLEN" into buf (INET6_ADDRSTRLEN + 5 bytes); returns buf. */
char *cli_prefix(char *buf, uint16_t family, const void *addr, unsigned int plen);
/* The same at b, not terminated; returns its end. */
static inline __attribute__((always_inline)) char *cli_prefix_text(uint16_t family, const void *addr,
								   unsigned int plen, char *b)
{
	b = cli_addr_text(family, addr, b);
	*b++ = '/';
	if (plen >= 100)
		*b++ = (char)('0' + plen / 100);
	if (plen >= 10)
		*b++ = (char)('0' + plen / 10 % 10);
	*b++ = (char)('0' + plen % 10);
	return b;
}

/* Where '-' keys come from: stdin, unless the commands come from there. */
extern FILE *cli_key_in;

/* Print a key (hidden unless -k): text " 0x…" or " <redacted>"; JSON
 * "key" only with -k. */
void cli_print_key(const unsigned char *key, unsigned int len);
/* "0x" and the key's hex digits (at most 512 bytes of it) at b, not
 * terminated; returns its end. */
char *cli_key_text(const unsigned char *key, unsigned int len, char *b);

struct xc_err;
struct xc_sa;
struct xfrm_selector;
/* An SA as `state list` shows it. key: its JSON member name inside an
 * enclosing object (no newline then), or NULL for an entry of its own. */
void cli_print_sa(const char *key, const struct xc_sa *sa);
struct xc_sp;
/* A policy as `policy list` shows it; key as for cli_print_sa. */
void cli_print_sp(const char *key, const struct xc_sp *sp);
/* An SA's selector: text "sel src … dst …", JSON member "sel". */
void cli_print_sel(const struct xfrm_selector *sel);
/* Between the parts of one entry: a new indented line, or " \\ " with -o. */
void cli_sep(void);

/* state export: the kernel's SAs for other tools (cli/export.c). */
int state_export_main(int argc, char **argv);

int monitor_main(int argc, char **argv);
int trace_main(int argc, char **argv);
int verify_main(int argc, char **argv);

/* A kernel refusal, one line: "CTX: WHAT: errno text (kernel's text)";
 * with absent (e.g. "no such SA"), ESRCH and ENOENT are said that way.
 * Returns EXIT_RUNTIME. */
int cli_refused(const char *ctx, const char *what, int err, const struct xc_err *xe,
		const char *absent);
/* print_end(), and a write error said as "CTX: writing output: …". */
int cli_finish_output(const char *ctx);

struct xfrm_lifetime_cfg;
struct xfrm_lifetime_cur;
/* -s: limits and current use, as ip shows them ("lifetime", "current"). */
void cli_print_lifetime(const struct xfrm_lifetime_cfg *cfg, const struct xfrm_lifetime_cur *cur);
/* A time in seconds since the epoch: text as fmt with "YYYY-MM-DD hh:mm:ss"
 * or "-" for never; JSON the number or null. */
void cli_print_time(const char *key, const char *fmt, uint64_t t);

/* One item of a sub-command table, as in main.c's. */
struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};
/* Find argv[0] in table (exactly) and run it, or print an error naming the
 * unknown word; ctx is the command ("state"). */
int cli_dispatch(const char *ctx, const struct subcmd *table, size_t n, int argc, char **argv,
		 void (*usage)(FILE *));
