/* xfrmctl verify: ESP packets judged as the kernel's esp_input would. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "cli.h"
#include "esp.h"
#include "nl.h"
#include "print.h"
#include "replay.h"
#include "sa.h"
#include "spec.h"
#include "tokens.h"

#define EXIT_DROPS 3
#define MAX_WORDS 512
#define PKT_MAX 262144

static void usage(FILE *f)
{
	fputs("Usage: xfrmctl verify { --pcap FILE | --live IFACE } [ --sa-file FILE ]\n"
	      "        [ --filter BPF-EXPR ] [ --write-decrypted FILE ] [ --encap-port PORT ]\n"
	      "        [ --count N ] [ --quiet ]\n"
	      "SAs come from the kernel (-n NETNS for another namespace), dumped with their\n"
	      "keys, or from --sa-file: one SA per line in the 'state add' grammar.\n"
	      "Each SA's replay window starts empty, as when it was added.\n"
	      "One line per ESP packet (-j: JSON lines), then a summary per SA.\n"
	      "Exit: 0 if every packet would be accepted, 3 if any would be dropped.\n", f);
}

/* An SA the packets are judged against. */
struct vsa {
	struct xc_sa sa; /* the key bytes wiped once esa holds them */
	struct xc_esp_sa *esa;
	struct xc_replay replay;
	uint64_t verdicts[XC_V_COUNT];
	uint64_t packets;
};

struct vstate {
	struct vsa *sas;
	size_t n, cap;
	uint64_t no_sa, hdr_error, not_esp, esp;
	bool any_drop;
	struct xc_err xe;
};

static volatile sig_atomic_t stop;
static struct xc_capture *live_cap;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
	if (live_cap)
		xc_capture_break(live_cap);
}

static void wipe_keys(struct xc_sa *sa)
{
	struct xc_sa_alg *algs[] = { &sa->aead, &sa->enc, &sa->auth, &sa->comp };

	for (size_t i = 0; i < 4; i++)
		explicit_bzero(algs[i]->key, algs[i]->key_len);
}

/* Take sa (ESP only) into the set; its keys go into the verifier's contexts. */
static int add_sa(struct vstate *st, const struct xc_sa *sa, const char *where)
{
	struct vsa *v;
	int r;

	if (sa->info.id.proto != IPPROTO_ESP)
		return 0;
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct vsa *n = realloc(st->sas, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		st->sas = n;
		st->cap = cap;
	}
	v = &st->sas[st->n];
	memset(v, 0, sizeof(*v));
	memcpy(&v->sa, sa, sizeof(*sa));
	r = xc_esp_sa_new(&v->sa, &v->esa, &st->xe);
	if (r == 0)
		r = xc_replay_init_sa(&v->replay, &v->sa);
	wipe_keys(&v->sa);
	if (r < 0) {
		char msg[sizeof(st->xe.msg)];

		snprintf(msg, sizeof(msg), "%s", st->xe.msg[0] ? st->xe.msg : strerror(-r));
		xc_err_set(&st->xe, "%sSA esp spi 0x%08x dst %s: %s", where, ntohl(sa->info.id.spi),
			   cli_addr(sa->info.family, &sa->info.id.daddr), msg);
		xc_esp_sa_free(v->esa);
		return r;
	}
	st->n++;
	return 0;
}

static int dump_one(const struct xc_sa *sa, void *arg)
{
	return add_sa(arg, sa, "");
}

/* One SA per line, in the state add grammar (with or without the words
 * "state add"); blank lines and # comments are skipped. */
static int load_sa_file(struct vstate *st, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *argv[MAX_WORDS], where[64];
	size_t cap = 0, lineno = 0;
	struct xc_spec_opts o = { .key_in = NULL };
	struct xc_sa *sa = malloc(sizeof(*sa));
	ssize_t len;
	int argc, r = 0, skip;

	if (!f || !sa) {
		r = f ? -ENOMEM : -errno;
		xc_err_set(&st->xe, "cannot read SA file '%s': %s", path, strerror(-r));
		goto out;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		snprintf(where, sizeof(where), "%s line %zu: ", path, lineno);
		argc = xc_split_line(line, argv, MAX_WORDS, &st->xe);
		if (argc < 0) {
			r = argc;
			xc_err_set(&st->xe, "%s line %zu: %s", path, lineno, st->xe.msg);
		} else if (argc > 0) {
			skip = argc >= 2 && !strcmp(argv[0], "state") && !strcmp(argv[1], "add") ? 2 : 0;
			r = xc_spec_sa(argc - skip, argv + skip, sa, &o, &st->xe);
			if (r < 0) {
				char msg[sizeof(st->xe.msg)];

				snprintf(msg, sizeof(msg), "%s", st->xe.msg);
				xc_err_set(&st->xe, "%s%s", where, msg);
			} else {
				r = add_sa(st, sa, where);
			}
			xc_sa_clear(sa);
		}
		explicit_bzero(line, (size_t)len);
		if (r < 0)
			break;
	}
	if (r == 0 && ferror(f)) {
		r = -EIO;
		xc_err_set(&st->xe, "reading SA file '%s': %s", path, strerror(errno));
	}
out:
	if (line)
		explicit_bzero(line, cap);
	free(line);
	xc_sa_free(sa);
	if (f)
		fclose(f);
	return r;
}

static const char *ipproto(uint8_t p, char *buf)
{
	const char *n = xc_ipproto_name(p);

	if (n)
		return n;
	sprintf(buf, "%u", p);
	return buf;
}

/* The inner packet of a decrypted ESP payload: tunnel (IPv4/IPv6 inside)
 * or transport (the outer addresses, next_header's protocol). */
static void print_inner(const struct xc_frame *fr, const struct xc_esp_result *res,
			const uint8_t *p, size_t n)
{
	char pbuf[8];
	uint16_t fam = fr->family;
	const void *src = &fr->saddr, *dst = &fr->daddr;
	uint8_t proto = res->next_header;
	size_t hl = 0;

	if (proto == IPPROTO_IPIP && n >= 20 && (p[0] >> 4) == 4) {
		fam = AF_INET;
		hl = (size_t)(p[0] & 15) * 4;
		proto = p[9];
		src = p + 12;
		dst = p + 16;
	} else if (proto == IPPROTO_IPV6 && n >= 40 && (p[0] >> 4) == 6) {
		fam = AF_INET6;
		hl = 40;
		proto = p[6];
		src = p + 8;
		dst = p + 24;
	}
	print_open_object("inner");
	print_string(PRINT_ANY, "proto", ", inner %s", ipproto(proto, pbuf));
	print_string(PRINT_ANY, "src", " %s", cli_addr(fam, src));
	if ((proto == IPPROTO_UDP || proto == IPPROTO_TCP) && n >= hl + 4) {
		print_uint(PRINT_ANY, "sport", ".%" PRIu64, (uint64_t)(p[hl] << 8 | p[hl + 1]));
		print_string(PRINT_ANY, "dst", " > %s", cli_addr(fam, dst));
		print_uint(PRINT_ANY, "dport", ".%" PRIu64, (uint64_t)(p[hl + 2] << 8 | p[hl + 3]));
	} else {
		print_string(PRINT_ANY, "dst", " > %s", cli_addr(fam, dst));
	}
	print_uint(PRINT_ANY, "len", " len %" PRIu64, (uint64_t)n);
	print_close_object();
}

/* The inner IP packet, for --write-decrypted: tunnel mode carries it
 * whole; transport mode gets the outer header back with the inner protocol
 * and length (as the kernel's transport finish does). */
static size_t inner_packet(const struct xc_packet *pkt, const struct xc_frame *fr,
			   const struct xc_esp_result *res, const uint8_t *plain, uint8_t *out,
			   size_t cap)
{
	size_t n = res->payload_len, hl;

	if (res->next_header == IPPROTO_IPIP || res->next_header == IPPROTO_IPV6) {
		if (n > cap)
			return 0;
		memcpy(out, plain + res->payload_off, n);
		return n;
	}
	if (fr->family == AF_INET) {
		uint32_t sum = 0;

		hl = 20;
		if (hl + n > cap || hl + n > 65535)
			return 0;
		memcpy(out, pkt->ip, hl);
		out[0] = 0x45;
		out[2] = (uint8_t)((hl + n) >> 8);
		out[3] = (uint8_t)(hl + n);
		out[6] = out[7] = 0;
		out[9] = res->next_header;
		out[10] = out[11] = 0;
		memcpy(out + 12, &fr->saddr, 4);
		memcpy(out + 16, &fr->daddr, 4);
		for (size_t i = 0; i < hl; i += 2)
			sum += (uint32_t)(out[i] << 8 | out[i + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		out[10] = (uint8_t)(~sum >> 8);
		out[11] = (uint8_t)~sum;
	} else {
		hl = 40;
		if (hl + n > cap || n > 65535)
			return 0;
		memset(out, 0, hl);
		out[0] = 0x60;
		out[4] = (uint8_t)(n >> 8);
		out[5] = (uint8_t)n;
		out[6] = res->next_header;
		out[7] = 64;
		memcpy(out + 8, &fr->saddr, 16);
		memcpy(out + 24, &fr->daddr, 16);
	}
	memcpy(out + hl, plain + res->payload_off, n);
	return hl + n;
}

/* res NULL: judged before any SA (verdict and detail given). */
static void print_verdict(const struct xc_packet *pkt, const struct xc_frame *fr,
			  const struct xc_esp_result *res, const uint8_t *plain,
			  const char *verdict, const char *detail)
{
	char warn[256];

	print_open_object(NULL);
	print_uint(PRINT_ANY, "index", "#%" PRIu64, pkt->index);
	print_string(PRINT_ANY, "src", " %s", cli_addr(fr->family, &fr->saddr));
	print_string(PRINT_ANY, "dst", " > %s", cli_addr(fr->family, &fr->daddr));
	if (fr->encap_type)
		print_uint(PRINT_ANY, "encap-dport", " udp/%" PRIu64, fr->dport);
	print_uint(PRINT_ANY, "spi", " esp spi 0x%08" PRIx64, fr->spi);
	print_uint(PRINT_ANY, "seq", " seq %" PRIu64, res ? res->seq : fr->seq);
	if (!res) {
		print_string(PRINT_ANY, "verdict", ": %s", verdict);
		print_string(PRINT_ANY, "detail", ", %s", detail);
	} else {
		print_string(PRINT_ANY, "verdict", ": %s", xc_verdict_counter(res->verdict));
		if (res->verdict != XC_V_OK)
			print_string(PRINT_ANY, "detail", ", %s", res->detail);
		else
			print_inner(fr, res, plain + res->payload_off, res->payload_len);
		if (xc_esp_warnings(res, warn, sizeof(warn)) > 0)
			print_string(PRINT_ANY, "warnings", " (warning: %s)", warn);
	}
	print_close_object();
	print_nl();
	print_end();
}

static void print_summary(const struct vstate *st)
{
	print_open_object(NULL);
	print_open_array("summary");
	for (size_t i = 0; i < st->n; i++) {
		const struct vsa *v = &st->sas[i];

		if (!v->packets)
			continue;
		print_open_object(NULL);
		print_uint(PRINT_ANY, "spi", "SA esp spi 0x%08" PRIx64, ntohl(v->sa.info.id.spi));
		print_string(PRINT_ANY, "dst", " dst %s", cli_addr(v->sa.info.family, &v->sa.info.id.daddr));
		print_uint(PRINT_ANY, "packets", ": %" PRIu64 " packets", v->packets);
		print_open_object("verdicts");
		for (int k = 0; k < XC_V_COUNT; k++) {
			if (!v->verdicts[k])
				continue;
			print_uint(PRINT_ANY, xc_verdict_counter(k), ", %" PRIu64, v->verdicts[k]);
			print_string(PRINT_TEXT, NULL, " %s", xc_verdict_counter(k));
		}
		print_close_object();
		print_close_object();
		print_nl();
	}
	print_close_array();
	print_uint(PRINT_ANY, "no-sa", "no SA: %" PRIu64, st->no_sa);
	print_uint(PRINT_ANY, "hdr-error", ", too short: %" PRIu64, st->hdr_error);
	print_uint(PRINT_ANY, "not-esp", ", not ESP: %" PRIu64 " packets", st->not_esp);
	print_close_object();
	print_nl();
}

int verify_main(int argc, char **argv)
{
	const char *pcap = NULL, *live = NULL, *sa_file = NULL, *filter = NULL, *out_path = NULL;
	unsigned long long count = 0, port = 4500;
	struct vstate st = { 0 };
	struct xc_capture *cap = NULL;
	struct xc_pcap_out *w = NULL;
	struct xc_packet pkt;
	struct xc_frame fr;
	struct xc_esp_result res;
	bool quiet = false;
	uint8_t *plain = NULL, *inner = NULL;
	int r, ret = EXIT_USAGE;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], **dst = NULL;
		unsigned long long *num = NULL;
		char *end;

		if (!strcmp(a, "help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(a, "--quiet")) {
			quiet = true;
			continue;
		}
		if (!strcmp(a, "--pcap")) dst = &pcap;
		else if (!strcmp(a, "--live")) dst = &live;
		else if (!strcmp(a, "--sa-file")) dst = &sa_file;
		else if (!strcmp(a, "--filter")) dst = &filter;
		else if (!strcmp(a, "--write-decrypted")) dst = &out_path;
		else if (!strcmp(a, "--count")) num = &count;
		else if (!strcmp(a, "--encap-port")) num = &port;
		else {
			err_msg("verify: unknown option '%s' (see 'xfrmctl verify help')", a);
			return EXIT_USAGE;
		}
		if (++i >= argc) {
			err_msg("verify: '%s' needs a value", a);
			return EXIT_USAGE;
		}
		if (dst) {
			*dst = argv[i];
			continue;
		}
		errno = 0;
		*num = strtoull(argv[i], &end, 0);
		if (errno || *end || argv[i][0] < '0' || argv[i][0] > '9' ||
		    (num == &port && (port == 0 || port > 65535))) {
			err_msg("verify: bad number '%s' after '%s'", argv[i], a);
			return EXIT_USAGE;
		}
	}
	if (!pcap == !live) {
		err_msg("verify: give one of '--pcap FILE' and '--live IFACE'");
		return EXIT_USAGE;
	}

	ret = EXIT_RUNTIME;
	if (sa_file) {
		r = load_sa_file(&st, sa_file);
		if (r < 0) {
			err_msg("verify: %s", st.xe.msg);
			ret = r == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
			goto out;
		}
	} else {
		struct xc_nl *nl = cli_nl("verify");

		if (!nl)
			goto out;
		r = xc_sa_dump(nl, dump_one, &st, &st.xe);
		if (r < 0) {
			err_msg("verify: SAs from the kernel: %s", st.xe.msg[0] ? st.xe.msg : strerror(-r));
			cli_nl_close();
			goto out;
		}
	}
	if (!st.n) {
		err_msg("verify: no ESP SA to verify against (%s)",
			sa_file ? "the SA file has none" : "the kernel has none here; -n NETNS?");
		goto out;
	}
	r = pcap ? xc_capture_open_file(&cap, pcap, filter, &st.xe)
		 : xc_capture_open_live(&cap, live, filter, &st.xe);
	if (r < 0) {
		err_msg("verify: %s", st.xe.msg);
		ret = r == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	if (out_path && (r = xc_pcap_out_open(&w, out_path, &st.xe)) < 0) {
		err_msg("verify: %s", st.xe.msg);
		goto out;
	}
	plain = malloc(PKT_MAX);
	inner = malloc(PKT_MAX + 64);
	if (!plain || !inner) {
		err_msg("verify: out of memory");
		goto out;
	}
	if (live) {
		struct sigaction sa = { .sa_handler = on_signal };

		live_cap = cap;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	print_init(stdout, G.json);
	while (!stop && (!count || st.esp < count)) {
		struct vsa *v = NULL;

		r = xc_capture_next(cap, &pkt, &st.xe);
		if (r == -EAGAIN)
			continue;
		if (r <= 0)
			break;
		if (!pkt.link_ok ||
		    xc_esp_parse_ip(pkt.ip, pkt.ip_len, (uint16_t)port, UDP_ENCAP_ESPINUDP, &fr) < 0 ||
		    fr.kind != XC_FRAME_ESP) {
			st.not_esp++;
			continue;
		}
		st.esp++;
		if (fr.esp_len < 8) { /* xfrm_input cannot read SPI and sequence number */
			st.hdr_error++;
			st.any_drop = true;
			if (!quiet)
				print_verdict(&pkt, &fr, NULL, NULL, "XfrmInHdrError",
					      "shorter than an ESP header");
			continue;
		}
		for (size_t i = 0; i < st.n && !v; i++)
			if (xc_esp_frame_matches(&st.sas[i].sa, &fr))
				v = &st.sas[i];
		if (!v) {
			st.no_sa++;
			st.any_drop = true;
			if (!quiet)
				print_verdict(&pkt, &fr, NULL, NULL, "XfrmInNoStates",
					      "no SA for this SPI and destination");
			continue;
		}
		r = xc_esp_verify(v->esa, &v->replay, &fr, pkt.ip + fr.esp_off, fr.esp_len, plain,
				  PKT_MAX, &res);
		if (r < 0) {
			err_msg("verify: packet %" PRIu64 ": %s", pkt.index, strerror(-r));
			goto out;
		}
		v->packets++;
		v->verdicts[res.verdict]++;
		if (res.verdict != XC_V_OK)
			st.any_drop = true;
		if (!quiet)
			print_verdict(&pkt, &fr, &res, plain, NULL, NULL);
		if (w && res.verdict == XC_V_OK) {
			size_t n = inner_packet(&pkt, &fr, &res, plain, inner, PKT_MAX + 64);

			if (n)
				xc_pcap_out_write(w, &pkt.ts, inner, n);
		}
		explicit_bzero(plain, res.plain_len);
	}
	if (r < 0) {
		err_msg("verify: %s", st.xe.msg);
		goto out;
	}
	print_summary(&st);
	ret = cli_finish_output("verify");
	if (ret == EXIT_OK && w) {
		r = xc_pcap_out_close(w);
		w = NULL;
		if (r < 0) {
			err_msg("verify: writing '%s': %s", out_path, strerror(-r));
			ret = EXIT_RUNTIME;
		}
	}
	if (ret == EXIT_OK && st.any_drop)
		ret = EXIT_DROPS;
out:
	live_cap = NULL;
	xc_pcap_out_close(w);
	xc_capture_close(cap);
	for (size_t i = 0; i < st.n; i++) {
		xc_esp_sa_free(st.sas[i].esa);
		xc_sa_clear(&st.sas[i].sa);
	}
	free(st.sas);
	if (plain)
		explicit_bzero(plain, PKT_MAX);
	free(plain);
	free(inner);
	return ret;
}
