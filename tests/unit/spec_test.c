/* The `ip xfrm state` grammar into struct xc_sa: every option lands in its
 * field in the kernel's byte order (SPI and ports in network order, the
 * rest in host order), defaults are the kernel's, and bad input gets the
 * exact message, which names the bad token and never quotes a key. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/udp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "spec.h"
#include "tokens.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Keys: the bytes 5e c7 e7 repeated. No message may hold any six digits
 * of them (see no_key_in()). */
#define K16 "0x5ec7e75ec7e75ec7e75ec7e75ec7e75e"
#define K20 "0x5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7"
#define K32 "0x5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7"
static const unsigned char key_pattern[] = { 0x5e, 0xc7, 0xe7 };

#define ID "src 10.0.0.1 dst 10.0.0.2 proto esp"
#define GCM "aead rfc4106(gcm(aes)) " K20 " 128"
#define CBC "enc cbc(aes) " K16
#define SA ID " spi 0x100 " GCM

static struct xc_sa sa;
static struct xc_err err;

/* Split line at single blanks into argv (in a static copy). */
static int split(const char *line, char **argv, int max)
{
	static char buf[8192];
	int argc = 0;

	assert_true(strlen(line) < sizeof(buf));
	strcpy(buf, line);
	for (char *t = strtok(buf, " "); t; t = strtok(NULL, " ")) {
		assert_true(argc < max);
		argv[argc++] = t;
	}
	return argc;
}

static int parse_in(const char *line, FILE *key_in)
{
	char *argv[256];
	int argc = split(line, argv, N_ELEM(argv));
	struct xc_spec_opts o = { .key_in = key_in };

	memset(&err, 0, sizeof(err));
	return xc_spec_sa(argc, argv, &sa, &o, &err);
}

static int parse(const char *line)
{
	return parse_in(line, NULL);
}

static void parse_ok(const char *line)
{
	int r = parse(line);

	if (r != 0)
		fail_msg("'%s': %d, %s", line, r, err.msg);
}

static void no_key_in(const char *msg)
{
	static const char *const windows[] = { "5ec7e7", "ec7e75", "c7e75e",
					       "7e75ec", "e75ec7", "75ec7e" };

	for (size_t i = 0; i < N_ELEM(windows); i++)
		if (strcasestr(msg, windows[i]))
			fail_msg("key material in '%s'", msg);
}

static void assert_key(const struct xc_sa_alg *a, const char *name, unsigned int len,
		       unsigned int icv_bits)
{
	assert_true(a->set);
	assert_string_equal(a->name, name);
	assert_int_equal(a->key_len, len);
	assert_int_equal(a->icv_bits, icv_bits);
	for (unsigned int i = 0; i < len; i++)
		assert_int_equal(a->key[i], key_pattern[i % 3]);
}

static void assert_ip4(const void *addr, const char *text)
{
	struct in_addr want;

	assert_int_equal(inet_pton(AF_INET, text, &want), 1);
	assert_memory_equal(addr, &want, 4);
}

static void assert_ip6(const void *addr, const char *text)
{
	struct in6_addr want;

	assert_int_equal(inet_pton(AF_INET6, text, &want), 1);
	assert_memory_equal(addr, &want, 16);
}

/* network byte order, byte by byte */
static void assert_be16(const uint16_t *v, unsigned int hi, unsigned int lo)
{
	const unsigned char *b = (const unsigned char *)v;

	assert_int_equal(b[0], hi);
	assert_int_equal(b[1], lo);
}

/* ---- whole SAs ---- */

static void test_full_sa_ipv4(void **state)
{
	const struct xfrm_usersa_info *p = &sa.info;
	const unsigned char spi[4] = { 0x12, 0x34, 0x56, 0x78 };

	(void)state;
	parse_ok("src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x12345678 mode tunnel reqid 7 seq 9 "
		 "replay-window 32 replay-seq 5 replay-oseq 6 "
		 "flag noecn decap-dscp nopmtudisc wildrecv icmp af-unspec align4 "
		 "extra-flag dont-encap-dscp oseq-may-wrap "
		 "enc cbc(aes) " K16 " auth-trunc hmac(sha256) " K32 " 128 "
		 "sel src 192.168.1.0/24 dst 192.168.2.0/24 proto tcp sport 1234 dport 443 "
		 "limit time-soft 100 limit time-hard 200 limit time-use-soft 300 "
		 "limit time-use-hard 400 limit byte-soft 1000 limit byte-hard 2000 "
		 "limit packet-soft 10 limit packet-hard 20 "
		 "encap espinudp 4500 4501 0.0.0.0 coa 10.9.9.9 mark 0x10/0xf0 "
		 "output-mark 0x20 mask 0xff if_id 42 tfcpad 128 "
		 "ctx system_u:object_r:ipsec_spd_t:s0 dir out offload crypto dev lo dir out");
	/* ID */
	assert_int_equal(p->family, AF_INET);
	assert_ip4(&p->saddr, "10.0.0.1");
	assert_ip4(&p->id.daddr, "10.0.0.2");
	assert_int_equal(p->id.proto, IPPROTO_ESP);
	assert_memory_equal(&p->id.spi, spi, 4);
	/* host order */
	assert_int_equal(p->mode, XFRM_MODE_TUNNEL);
	assert_int_equal(p->reqid, 7);
	assert_int_equal(p->seq, 9);
	/* a window of 32 fits the old replay state */
	assert_int_equal(p->replay_window, 32);
	assert_true(sa.has_replay);
	assert_int_equal(sa.replay.seq, 5);
	assert_int_equal(sa.replay.oseq, 6);
	assert_false(sa.has_replay_esn);
	assert_int_equal(p->flags, XFRM_STATE_NOECN | XFRM_STATE_DECAP_DSCP |
				   XFRM_STATE_NOPMTUDISC | XFRM_STATE_WILDRECV | XFRM_STATE_ICMP |
				   XFRM_STATE_AF_UNSPEC | XFRM_STATE_ALIGN4);
	assert_true(sa.has_extra_flags);
	assert_int_equal(sa.extra_flags,
			 XFRM_SA_XFLAG_DONT_ENCAP_DSCP | XFRM_SA_XFLAG_OSEQ_MAY_WRAP);
	/* algorithms */
	assert_key(&sa.enc, "cbc(aes)", 16, 0);
	assert_key(&sa.auth, "hmac(sha256)", 32, 128);
	assert_true(sa.auth_trunc);
	assert_false(sa.aead.set);
	assert_false(sa.comp.set);
	/* selector */
	assert_int_equal(p->sel.family, AF_INET);
	assert_ip4(&p->sel.saddr, "192.168.1.0");
	assert_ip4(&p->sel.daddr, "192.168.2.0");
	assert_int_equal(p->sel.prefixlen_s, 24);
	assert_int_equal(p->sel.prefixlen_d, 24);
	assert_int_equal(p->sel.proto, IPPROTO_TCP);
	assert_be16(&p->sel.sport, 1234 >> 8, 1234 & 0xff);
	assert_be16(&p->sel.dport, 443 >> 8, 443 & 0xff);
	assert_int_equal(p->sel.sport_mask, 0xffff);
	assert_int_equal(p->sel.dport_mask, 0xffff);
	assert_int_equal(p->sel.ifindex, 0);
	/* lifetimes */
	assert_int_equal(p->lft.soft_add_expires_seconds, 100);
	assert_int_equal(p->lft.hard_add_expires_seconds, 200);
	assert_int_equal(p->lft.soft_use_expires_seconds, 300);
	assert_int_equal(p->lft.hard_use_expires_seconds, 400);
	assert_int_equal(p->lft.soft_byte_limit, 1000);
	assert_int_equal(p->lft.hard_byte_limit, 2000);
	assert_int_equal(p->lft.soft_packet_limit, 10);
	assert_int_equal(p->lft.hard_packet_limit, 20);
	/* encapsulation: ports in network order */
	assert_true(sa.has_encap);
	assert_int_equal(sa.encap.encap_type, UDP_ENCAP_ESPINUDP);
	assert_be16(&sa.encap.encap_sport, 4500 >> 8, 4500 & 0xff);
	assert_be16(&sa.encap.encap_dport, 4501 >> 8, 4501 & 0xff);
	assert_ip4(&sa.encap.encap_oa, "0.0.0.0");
	assert_true(sa.has_coaddr);
	assert_ip4(&sa.coaddr, "10.9.9.9");
	/* marks and the rest */
	assert_true(sa.has_mark);
	assert_int_equal(sa.mark.v, 0x10);
	assert_int_equal(sa.mark.m, 0xf0);
	assert_true(sa.has_output_mark);
	assert_int_equal(sa.output_mark, 0x20);
	assert_int_equal(sa.output_mark_mask, 0xff);
	assert_true(sa.has_if_id);
	assert_int_equal(sa.if_id, 42);
	assert_true(sa.has_tfcpad);
	assert_int_equal(sa.tfcpad, 128);
	assert_true(sa.has_ctx);
	assert_string_equal(sa.ctx.str, "system_u:object_r:ipsec_spd_t:s0");
	assert_int_equal(sa.ctx.doi, XFRM_SC_DOI_LSM);
	assert_int_equal(sa.ctx.alg, XFRM_SC_ALG_SELINUX);
	assert_true(sa.has_dir);
	assert_int_equal(sa.dir, XC_SA_DIR_OUT);
	/* offload: crypto, outbound, IPv4: no flag */
	assert_true(sa.has_offload);
	assert_int_equal(sa.offload.ifindex, (int)if_nametoindex("lo"));
	assert_true(sa.offload.ifindex > 0);
	assert_int_equal(sa.offload.flags, 0);
	assert_string_equal(sa.offload_dev, "lo");
	assert_false(sa.has_lastused);
}

static void test_full_sa_ipv6_esn(void **state)
{
	const struct xfrm_usersa_info *p = &sa.info;

	(void)state;
	parse_ok("src fd00::1 dst fd00::2 proto esp spi 256 mode beet "
		 "aead rfc4106(gcm(aes)) " K20 " 96 "
		 "flag esn replay-window 128 replay-seq 1 replay-oseq 2 replay-seq-hi 3 "
		 "replay-oseq-hi 4 sel src fd00::/64 dst fd01::1 proto ipv6-icmp type 135 code 0 "
		 "dir in offload packet dev lo dir in");
	assert_int_equal(p->family, AF_INET6);
	assert_ip6(&p->saddr, "fd00::1");
	assert_ip6(&p->id.daddr, "fd00::2");
	assert_int_equal(ntohl(p->id.spi), 0x100);
	assert_int_equal(p->mode, XFRM_MODE_BEET);
	assert_key(&sa.aead, "rfc4106(gcm(aes))", 20, 96);
	assert_false(sa.enc.set);
	assert_false(sa.auth.set);
	/* ESN: the replay state goes in XFRMA_REPLAY_ESN_VAL */
	assert_int_equal(p->flags, XFRM_STATE_ESN);
	assert_true(sa.has_replay_esn);
	assert_false(sa.has_replay);
	assert_int_equal(p->replay_window, 0);
	assert_int_equal(sa.esn.replay_window, 128);
	assert_int_equal(sa.esn.bmp_len, 4);
	assert_int_equal(sa.esn.seq, 1);
	assert_int_equal(sa.esn.oseq, 2);
	assert_int_equal(sa.esn.seq_hi, 3);
	assert_int_equal(sa.esn.oseq_hi, 4);
	/* selector: no /PLEN is the full length; ICMP type in sport, code in dport */
	assert_int_equal(p->sel.family, AF_INET6);
	assert_ip6(&p->sel.saddr, "fd00::");
	assert_int_equal(p->sel.prefixlen_s, 64);
	assert_ip6(&p->sel.daddr, "fd01::1");
	assert_int_equal(p->sel.prefixlen_d, 128);
	assert_int_equal(p->sel.proto, IPPROTO_ICMPV6);
	assert_be16(&p->sel.sport, 0, 135);
	assert_be16(&p->sel.dport, 0, 0);
	assert_int_equal(p->sel.sport_mask, 0xffff);
	assert_int_equal(p->sel.dport_mask, 0xffff);
	assert_true(sa.has_dir);
	assert_int_equal(sa.dir, XC_SA_DIR_IN);
	/* offload: packet, inbound, IPv6 */
	assert_true(sa.has_offload);
	assert_int_equal(sa.offload.flags,
			 XFRM_OFFLOAD_PACKET | XFRM_OFFLOAD_INBOUND | XFRM_OFFLOAD_IPV6);
	assert_int_equal(sa.offload.ifindex, (int)if_nametoindex("lo"));
}

static void test_defaults(void **state)
{
	const struct xfrm_usersa_info *p = &sa.info;

	(void)state;
	/* a dirty struct is cleared first */
	memset(&sa, 0xa5, sizeof(sa));
	parse_ok(SA);
	assert_int_equal(p->mode, XFRM_MODE_TRANSPORT);
	assert_int_equal(p->reqid, 0);
	assert_int_equal(p->flags, 0);
	assert_int_equal(p->replay_window, 0);
	/* byte and packet limits infinite, time limits 0 (none) */
	assert_true(p->lft.soft_byte_limit == XFRM_INF);
	assert_true(p->lft.hard_byte_limit == XFRM_INF);
	assert_true(p->lft.soft_packet_limit == XFRM_INF);
	assert_true(p->lft.hard_packet_limit == XFRM_INF);
	assert_int_equal(p->lft.soft_add_expires_seconds, 0);
	assert_int_equal(p->lft.hard_add_expires_seconds, 0);
	assert_int_equal(p->lft.soft_use_expires_seconds, 0);
	assert_int_equal(p->lft.hard_use_expires_seconds, 0);
	assert_int_equal(p->sel.family, 0);
	assert_int_equal(p->sel.proto, 0);
	assert_false(sa.has_replay || sa.has_replay_esn || sa.has_encap || sa.has_coaddr ||
		     sa.has_mark || sa.has_output_mark || sa.has_if_id || sa.has_tfcpad ||
		     sa.has_extra_flags || sa.has_dir || sa.has_offload || sa.has_ctx);
	assert_key(&sa.aead, "rfc4106(gcm(aes))", 20, 128);
	/* limits can be set back to infinite, and to the largest number */
	parse_ok(SA " limit byte-soft 18446744073709551615 limit packet-hard 0xffffffffffffffff");
	assert_true(p->lft.soft_byte_limit == UINT64_MAX);
	assert_true(p->lft.hard_packet_limit == UINT64_MAX);
}

static void test_replay(void **state)
{
	const struct xfrm_usersa_info *p = &sa.info;

	(void)state;
	/* up to 32 without ESN: the old struct, no ESN attribute */
	parse_ok(SA " replay-window 1");
	assert_int_equal(p->replay_window, 1);
	assert_false(sa.has_replay_esn);
	assert_false(sa.has_replay); /* no seq given */
	/* over 32: the ESN attribute without the ESN flag */
	parse_ok(SA " replay-window 33 replay-seq 7 replay-oseq 8");
	assert_int_equal(p->flags & XFRM_STATE_ESN, 0);
	assert_true(sa.has_replay_esn);
	assert_false(sa.has_replay);
	assert_int_equal(p->replay_window, 0);
	assert_int_equal(sa.esn.replay_window, 33);
	assert_int_equal(sa.esn.bmp_len, 2);
	assert_int_equal(sa.esn.seq, 7);
	assert_int_equal(sa.esn.oseq, 8);
	/* the kernel's largest window */
	parse_ok(SA " replay-window 4096");
	assert_int_equal(sa.esn.replay_window, 4096);
	assert_int_equal(sa.esn.bmp_len, 4096 / 32);
	/* ESN with a small window is still ESN */
	parse_ok(SA " flag esn replay-window 32");
	assert_true(sa.has_replay_esn);
	assert_int_equal(sa.esn.replay_window, 32);
	assert_int_equal(sa.esn.bmp_len, 1);
	assert_int_equal(p->replay_window, 0);
	/* AH may use ESN too */
	parse_ok("src 10.0.0.1 dst 10.0.0.2 proto ah spi 0x100 auth hmac(sha256) " K32
		 " flag esn replay-window 64");
	assert_int_equal(p->flags, XFRM_STATE_ESN);
}

static void test_selectors(void **state)
{
	const struct xfrm_selector *s = &sa.info.sel;

	(void)state;
	parse_ok(SA " sel proto udp sport 0 dport 65535");
	assert_int_equal(s->proto, IPPROTO_UDP);
	assert_be16(&s->sport, 0, 0);
	assert_int_equal(s->sport_mask, 0xffff);
	assert_be16(&s->dport, 0xff, 0xff);
	assert_int_equal(s->family, 0); /* no address, no family */
	parse_ok(SA " sel proto sctp dport 0x1f90");
	assert_int_equal(s->proto, IPPROTO_SCTP);
	assert_be16(&s->dport, 0x1f, 0x90);
	assert_int_equal(s->dport_mask, 0xffff);
	assert_int_equal(s->sport_mask, 0);
	parse_ok(SA " sel proto dccp sport 5");
	assert_int_equal(s->proto, IPPROTO_DCCP);
	assert_be16(&s->sport, 0, 5);
	/* ICMP: type in sport, code in dport (the kernel's xfrm_flowi_sport) */
	parse_ok(SA " sel src 10.0.0.0/8 proto icmp type 8 code 3");
	assert_int_equal(s->proto, IPPROTO_ICMP);
	assert_be16(&s->sport, 0, 8);
	assert_be16(&s->dport, 0, 3);
	assert_int_equal(s->sport_mask, 0xffff);
	assert_int_equal(s->dport_mask, 0xffff);
	assert_int_equal(s->prefixlen_s, 8);
	assert_int_equal(s->prefixlen_d, 0);
	assert_int_equal(s->family, AF_INET);
	/* only a code: the type stays a wildcard */
	parse_ok(SA " sel proto icmp code 255");
	assert_int_equal(s->sport_mask, 0);
	assert_be16(&s->dport, 0, 255);
	/* Mobility Header type in sport */
	parse_ok("src fd00::1 dst fd00::2 proto esp spi 1 " GCM
		 " sel proto mobility-header type 5");
	assert_int_equal(s->proto, 135);
	assert_be16(&s->sport, 0, 5);
	/* GRE key: high 16 bits in sport, low 16 in dport */
	parse_ok(SA " sel proto gre key 0x12345678");
	assert_int_equal(s->proto, IPPROTO_GRE);
	assert_be16(&s->sport, 0x12, 0x34);
	assert_be16(&s->dport, 0x56, 0x78);
	assert_int_equal(s->sport_mask, 0xffff);
	assert_int_equal(s->dport_mask, 0xffff);
	parse_ok(SA " sel proto gre key 1.2.3.4");
	assert_be16(&s->sport, 1, 2);
	assert_be16(&s->dport, 3, 4);
	parse_ok(SA " sel proto gre key 4294967295");
	assert_be16(&s->sport, 0xff, 0xff);
	assert_be16(&s->dport, 0xff, 0xff);
	/* a protocol by number; dev */
	parse_ok(SA " sel proto 132 dev lo");
	assert_int_equal(s->proto, 132);
	assert_int_equal(s->ifindex, (int)if_nametoindex("lo"));
	parse_ok(SA " sel dst 0.0.0.0/0");
	assert_int_equal(s->prefixlen_d, 0);
	assert_int_equal(s->family, AF_INET);
	/* a tunnel SA may carry the other family */
	parse_ok(SA " mode tunnel sel src fd00::/8 dst fd01::/16");
	assert_int_equal(s->family, AF_INET6);
	assert_int_equal(s->prefixlen_s, 8);
	assert_int_equal(s->prefixlen_d, 16);
}

static void test_marks(void **state)
{
	(void)state;
	parse_ok(SA " mark 7");
	assert_int_equal(sa.mark.v, 7);
	assert_int_equal(sa.mark.m, 0xffffffff);
	parse_ok(SA " mark 0x10/0xf0");
	assert_int_equal(sa.mark.v, 0x10);
	assert_int_equal(sa.mark.m, 0xf0);
	parse_ok(SA " mark 5 mask 0x0f");
	assert_int_equal(sa.mark.v, 5);
	assert_int_equal(sa.mark.m, 0x0f);
	parse_ok(SA " mark 0xffffffff/0");
	assert_int_equal(sa.mark.v, 0xffffffff);
	assert_int_equal(sa.mark.m, 0);
	parse_ok(SA " output-mark 3");
	assert_int_equal(sa.output_mark, 3);
	assert_int_equal(sa.output_mark_mask, 0xffffffff);
	parse_ok(SA " output-mark 3/0x7 mark 1");
	assert_int_equal(sa.output_mark, 3);
	assert_int_equal(sa.output_mark_mask, 7);
	assert_int_equal(sa.mark.v, 1);
	assert_int_equal(sa.mark.m, 0xffffffff);
}

static void test_offload(void **state)
{
	(void)state;
	parse_ok(SA " offload dev lo dir in");
	assert_int_equal(sa.offload.flags, XFRM_OFFLOAD_INBOUND);
	parse_ok(SA " offload packet dev lo dir out");
	assert_int_equal(sa.offload.flags, XFRM_OFFLOAD_PACKET);
	parse_ok("src fd00::1 dst fd00::2 proto esp spi 1 " GCM " offload crypto dev lo dir out");
	assert_int_equal(sa.offload.flags, XFRM_OFFLOAD_IPV6);
	parse_ok("src fd00::1 dst fd00::2 proto esp spi 1 " GCM " offload dev lo dir in");
	assert_int_equal(sa.offload.flags, XFRM_OFFLOAD_IPV6 | XFRM_OFFLOAD_INBOUND);
}

static void test_other_protocols(void **state)
{
	(void)state;
	/* AH with plain `auth`: the kernel's default truncation */
	parse_ok("src 10.0.0.1 dst 10.0.0.2 proto ah spi 0x200 auth sha1 "
		 "0x5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7");
	assert_int_equal(sa.info.id.proto, IPPROTO_AH);
	assert_key(&sa.auth, "hmac(sha1)", 20, 96);
	assert_false(sa.auth_trunc);
	parse_ok("src 10.0.0.1 dst 10.0.0.2 proto ah spi 0x200 auth hmac(sha256) " K32);
	assert_key(&sa.auth, "hmac(sha256)", 32, 96);
	/* ESP with enc and auth; compat names become the kernel's names */
	parse_ok(ID " spi 1 enc aes " K16 " auth sha256 " K32);
	assert_key(&sa.enc, "cbc(aes)", 16, 0);
	assert_key(&sa.auth, "hmac(sha256)", 32, 96);
	/* null encryption: an empty key */
	parse_ok(ID " spi 1 enc cipher_null 0x auth-trunc hmac(sha1) "
		 "0x5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7 160");
	assert_true(sa.enc.set);
	assert_string_equal(sa.enc.name, "ecb(cipher_null)");
	assert_int_equal(sa.enc.key_len, 0);
	assert_key(&sa.auth, "hmac(sha1)", 20, 160);
	/* IPcomp: a 16-bit CPI, no key */
	parse_ok("src 10.0.0.1 dst 10.0.0.2 proto comp spi 0xffff comp deflate");
	assert_int_equal(sa.info.id.proto, IPPROTO_COMP);
	assert_int_equal(ntohl(sa.info.id.spi), 0xffff);
	assert_true(sa.comp.set);
	assert_string_equal(sa.comp.name, "deflate");
	assert_int_equal(sa.comp.key_len, 0);
	/* Mobile IPv6: no SPI needed, SPI 0 allowed; coa with a prefix */
	parse_ok("src fd00::1 dst fd00::2 proto route2 coa fd00::99/64");
	assert_int_equal(sa.info.id.proto, IPPROTO_ROUTING);
	assert_ip6(&sa.coaddr, "fd00::99");
	parse_ok("src fd00::1 dst fd00::2 proto hao spi 0");
	assert_int_equal(sa.info.id.proto, IPPROTO_DSTOPTS);
	/* the other encapsulations */
	parse_ok(SA " encap espinudp-nonike 1 2 10.0.0.9");
	assert_int_equal(sa.encap.encap_type, UDP_ENCAP_ESPINUDP_NON_IKE);
	parse_ok(SA " encap espintcp 4500 4500 0.0.0.0");
	assert_int_equal(sa.encap.encap_type, 7); /* TCP_ENCAP_ESPINTCP */
}

static void test_keys_from_stream(void **state)
{
	const char text[] = "0x5ec7e75ec7e75ec7e75ec7e75ec7e75e\n"
			    "5ec7e7 5ec7e7 5ec7e7 5ec7e7 5ec7e7 "
			    "5ec7e7 5ec7e7 5ec7e7 5ec7e7 5ec7e7 5ec7\n";
	FILE *in = fmemopen((void *)text, sizeof(text) - 1, "r");

	(void)state;
	assert_non_null(in);
	/* one line per '-', in order */
	assert_int_equal(parse_in(ID " spi 1 enc cbc(aes) - auth hmac(sha256) -", in), 0);
	assert_key(&sa.enc, "cbc(aes)", 16, 0);
	assert_key(&sa.auth, "hmac(sha256)", 32, 96);
	assert_int_equal(parse_in(ID " spi 1 enc cbc(aes) -", in), -EINVAL);
	assert_string_equal(err.msg, "key for 'cbc(aes)': no key on stdin");
	fclose(in);
}

static void test_keys_from_file(void **state)
{
	char path[] = "/tmp/xfrmctl-spec-key.XXXXXX", line[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, K20 "\n", strlen(K20) + 1), (ssize_t)strlen(K20) + 1);
	assert_int_equal(close(fd), 0);
	snprintf(line, sizeof(line), ID " spi 1 aead rfc4106(gcm(aes)) @%s 64", path);
	assert_int_equal(parse(line), 0);
	assert_key(&sa.aead, "rfc4106(gcm(aes))", 20, 64);
	/* the right file, the wrong size: the message names no key */
	snprintf(line, sizeof(line), ID " spi 1 enc cbc(aes) @%s", path);
	assert_int_equal(parse(line), -EINVAL);
	assert_string_equal(err.msg, "key for 'cbc(aes)' must be 16, 24 or 32 bytes, got 20");
	unlink(path);
}

/* ---- bad input: the return code and the exact message ---- */

struct bad {
	int rc;
	const char *msg;
	const char *args;
};

static const struct bad bad_sa[] = {
	/* keys and algorithms */
	{ -EINVAL, "key for 'rfc4106(gcm(aes))' must be 20, 28 or 36 bytes (salt included), got 16",
	  ID " spi 0x100 aead rfc4106(gcm(aes)) " K16 " 128" },
	{ -EINVAL, "key for 'rfc4309(ccm(aes))' must be 19, 27 or 35 bytes (salt included), got 20",
	  ID " spi 0x100 aead rfc4309(ccm(aes)) " K20 " 128" },
	{ -EINVAL, "unknown aead algorithm 'gcm(aes)' (did you mean 'rfc4106(gcm(aes))'?)",
	  ID " spi 0x100 aead gcm(aes) " K20 " 128" },
	{ -EINVAL, "unknown enc algorithm 'cbc(aes' (did you mean 'cbc(aes)'?)",
	  ID " spi 0x100 enc cbc(aes " K16 },
	{ -EINVAL, "unknown enc algorithm 'rot13-with-extra-salt'",
	  ID " spi 0x100 enc rot13-with-extra-salt " K16 },
	{ -EINVAL, "unknown auth-trunc algorithm 'hmac(sha265)' (did you mean 'hmac(sha256)'?)",
	  ID " spi 0x100 " CBC " auth-trunc hmac(sha265) " K32 " 128" },
	{ -EINVAL, "key for 'hmac(sha256)' must be 32 bytes, got 16",
	  ID " spi 0x100 " CBC " auth hmac(sha256) " K16 },
	{ -EINVAL, "truncation for 'hmac(sha256)' must be a multiple of 8 from 8 to 256 bits, got 300",
	  ID " spi 0x100 " CBC " auth-trunc hmac(sha256) " K32 " 300" },
	{ -EINVAL, "truncation for 'hmac(sha256)' must be a multiple of 8 from 8 to 256 bits, got 100",
	  ID " spi 0x100 " CBC " auth-trunc hmac(sha256) " K32 " 100" },
	{ -EINVAL, "ICV for 'rfc4106(gcm(aes))' must be 64, 96 or 128 bits, got 100",
	  ID " spi 0x100 aead rfc4106(gcm(aes)) " K20 " 100" },
	{ -EINVAL, "'ecb(cipher_null)' takes no key, got 1 bytes",
	  ID " spi 0x100 enc cipher_null 0x5e" },
	{ -EINVAL, "key for 'cbc(aes)' must be 0xHEX, @FILE or - (stdin)",
	  ID " spi 0x100 enc cbc(aes) secretpassword" },
	{ -EINVAL, "key for 'cbc(aes)' must be 0xHEX, @FILE or - (stdin)",
	  ID " spi 0x100 enc cbc(aes) 5ec7e75ec7e75ec7e75ec7e75ec7e75e" },
	{ -EINVAL, "key for 'cbc(aes)' has an odd number of hex digits",
	  ID " spi 0x100 enc cbc(aes) 0x5ec7e75ec7e75ec7e75ec7e75ec7e75" },
	{ -EINVAL, "key for 'cbc(aes)': not a hex digit at offset 8",
	  ID " spi 0x100 enc cbc(aes) 0x5ec7e7zz5ec7e75ec7e75ec7e75ec7e7" },
	{ -EINVAL, "key for 'cbc(aes)' is longer than 512 bytes",
	  ID " spi 0x100 enc cbc(aes) 0x"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7"
	  "5ec7e75ec7e75ec7e7" },
	{ -ENOENT, "key for 'cbc(aes)': cannot read key file '/nonexistent/key': No such file or directory",
	  ID " spi 0x100 enc cbc(aes) @/nonexistent/key" },
	{ -EINVAL, "key for 'cbc(aes)': '-' reads the key from stdin, which is taken here",
	  ID " spi 0x100 enc cbc(aes) -" },
	{ -EINVAL, "'enc' given twice", ID " spi 0x100 " CBC " " CBC },
	{ -EINVAL, "missing ALGO-NAME after 'enc'", ID " spi 0x100 enc" },
	{ -EINVAL, "missing KEY after 'aead'", ID " spi 0x100 aead rfc4106(gcm(aes))" },
	{ -EINVAL, "missing NUMBER after 'aead'", ID " spi 0x100 aead rfc4106(gcm(aes)) " K20 },
	{ -EINVAL, "bad number '12x' after 'auth-trunc' (0 to 4294967295)",
	  ID " spi 0x100 " CBC " auth-trunc hmac(sha256) " K32 " 12x" },
	/* which algorithms go with which protocol */
	{ -EINVAL, "an esp SA needs 'enc' or 'aead'", ID " spi 0x100 auth hmac(sha256) " K32 },
	{ -EINVAL, "'aead' excludes 'enc', 'auth' and 'auth-trunc'", SA " " CBC },
	{ -EINVAL, "'comp' is for comp SAs, not esp", SA " comp deflate" },
	{ -EINVAL, "an ah SA takes 'auth' or 'auth-trunc' and nothing else",
	  "src 10.0.0.1 dst 10.0.0.2 proto ah spi 0x100 " CBC },
	{ -EINVAL, "a comp SA takes 'comp' and nothing else",
	  "src 10.0.0.1 dst 10.0.0.2 proto comp spi 0x100 comp deflate " CBC },
	{ -EINVAL, "a route2 SA takes no algorithm", "src fd00::1 dst fd00::2 proto route2 " CBC },
	/* ID */
	{ -EINVAL, "bad address '10.0.0.999' after 'dst'",
	  "src 10.0.0.1 dst 10.0.0.999 proto esp spi 0x100 " GCM },
	{ -EINVAL, "bad address '10.0.0.1/32' after 'src'",
	  "src 10.0.0.1/32 dst 10.0.0.2 proto esp spi 0x100 " GCM },
	{ -EINVAL, "missing ADDR after 'dst'", "src 10.0.0.1 proto esp spi 0x100 " GCM " dst" },
	{ -EINVAL, "ID (src, dst) mixes IPv4 and IPv6 addresses",
	  "src 10.0.0.1 dst fd00::2 proto esp spi 0x100 " GCM },
	{ -EINVAL, "missing 'dst ADDR'", "proto esp spi 0x100 " GCM },
	{ -EINVAL, "missing 'proto XFRM-PROTO'", "src 10.0.0.1 dst 10.0.0.2 spi 0x100 " GCM },
	{ -EINVAL, "unknown protocol 'esp6' after 'proto' (esp, ah, comp, route2, hao)",
	  "src 10.0.0.1 dst 10.0.0.2 proto esp6 spi 0x100 " GCM },
	{ -EINVAL, "unknown protocol 'ipsec-any' after 'proto' (esp, ah, comp, route2, hao)",
	  "src 10.0.0.1 dst 10.0.0.2 proto ipsec-any spi 0x100 " GCM },
	{ -EINVAL, "missing 'spi SPI'", ID " " GCM },
	{ -EINVAL, "SPI 0 is reserved (RFC 4303) and names no SA", ID " spi 0 " GCM },
	{ -EINVAL, "bad SPI 'xyz' after 'spi'", ID " spi xyz " GCM },
	{ -EINVAL, "bad SPI '0x100000000' after 'spi'", ID " spi 0x100000000 " GCM },
	{ -EINVAL, "bad SPI '-1' after 'spi'", ID " spi -1 " GCM },
	{ -EINVAL, "SPI 0x00010000 of a comp SA is a CPI and must be below 0x10000",
	  "src 10.0.0.1 dst 10.0.0.2 proto comp spi 0x10000 comp deflate" },
	/* keywords and numbers */
	{ -EINVAL, "unknown keyword 'colour'", SA " colour blue" },
	{ -EINVAL, "unknown keyword 'key'", SA " sel proto udp key 5" },
	{ -EINVAL, "missing MODE after 'mode'", SA " mode" },
	{ -EINVAL, "unknown mode 'tunel' (transport, tunnel, beet, ro, in_trigger)", SA " mode tunel" },
	{ -EINVAL, "unknown flag 'esnn' after 'flag'", SA " flag esnn" },
	{ -EINVAL, "missing FLAG after 'flag'", SA " flag" },
	{ -EINVAL, "unknown flag 'esn' after 'extra-flag'", SA " extra-flag esn" },
	{ -EINVAL, "bad number '-1' after 'reqid' (0 to 4294967295)", SA " reqid -1" },
	{ -EINVAL, "bad number '4294967296' after 'reqid' (0 to 4294967295)", SA " reqid 4294967296" },
	{ -EINVAL, "bad number '1e3' after 'tfcpad' (0 to 4294967295)", SA " tfcpad 1e3" },
	{ -EINVAL, "missing NUMBER after 'if_id'", SA " if_id" },
	/* replay */
	{ -EINVAL, "replay window 4097 is over the kernel's 4096", SA " replay-window 4097" },
	{ -EINVAL, "'flag esn' needs 'replay-window N' (N > 0)", SA " flag esn" },
	{ -EINVAL, "'flag esn' is for esp and ah SAs only",
	  "src 10.0.0.1 dst 10.0.0.2 proto comp spi 0x100 comp deflate flag esn replay-window 8" },
	{ -EINVAL, "a replay window over 32 is for esp and ah SAs only",
	  "src 10.0.0.1 dst 10.0.0.2 proto comp spi 0x100 comp deflate replay-window 33" },
	{ -EINVAL, "'replay-seq-hi' and 'replay-oseq-hi' need 'flag esn'", SA " replay-seq-hi 5" },
	/* selector */
	{ -EINVAL, "missing SELECTOR after 'sel'", SA " sel mode tunnel" },
	{ -EINVAL, "missing SELECTOR after 'sel'", SA " sel" },
	{ -EINVAL, "'sport' needs 'proto tcp|udp|sctp|dccp' before it", SA " sel src 10.0.0.0/24 sport 53" },
	{ -EINVAL, "'dport' needs 'proto tcp|udp|sctp|dccp' before it", SA " sel proto icmp dport 53" },
	{ -EINVAL, "'type' needs 'proto icmp|ipv6-icmp|mobility-header' before it", SA " sel proto tcp type 8" },
	{ -EINVAL, "bad number '70000' after 'sport' (0 to 65535)", SA " sel proto udp sport 70000" },
	{ -EINVAL, "bad number '256' after 'code' (0 to 255)", SA " sel proto icmp code 256" },
	{ -EINVAL, "bad prefix length '10.0.0.0/33' after 'src'", SA " sel src 10.0.0.0/33" },
	{ -EINVAL, "bad prefix length 'fd00::/129' after 'dst'", SA " mode tunnel sel dst fd00::/129" },
	{ -EINVAL, "bad prefix length '10.0.0.0/' after 'src'", SA " sel src 10.0.0.0/" },
	{ -EINVAL, "missing ADDR[/PLEN] after 'dst'", SA " sel dst" },
	{ -EINVAL, "sel mixes IPv4 and IPv6 addresses", SA " sel src 10.0.0.0/24 dst fd00::/64" },
	{ -EINVAL, "a transport-mode selector must be of the SA's family", SA " sel src fd00::/64" },
	{ -EINVAL, "bad GRE key '1.2.3' after 'key'", SA " sel proto gre key 1.2.3" },
	{ -EINVAL, "bad protocol 'tcpp' after 'proto'", SA " sel proto tcpp" },
	{ -EINVAL, "bad protocol '256' after 'proto'", SA " sel proto 256" },
	{ -ENODEV, "unknown device 'nosuch0' after 'dev'", SA " sel dev nosuch0" },
	/* limits */
	{ -EINVAL, "unknown limit 'byte-huge' after 'limit'", SA " limit byte-huge 5" },
	{ -EINVAL, "missing NUMBER after 'time-soft'", SA " limit time-soft" },
	{ -EINVAL, "missing LIMIT after 'limit'", SA " limit" },
	{ -EINVAL, "bad number '18446744073709551616' after 'byte-hard' (0 to 18446744073709551615)",
	  SA " limit byte-hard 18446744073709551616" },
	/* marks */
	{ -EINVAL, "bad mark mask '0x10/zz' after 'mark'", SA " mark 0x10/zz" },
	{ -EINVAL, "bad mark '/0xff' after 'mark'", SA " mark /0xff" },
	{ -EINVAL, "bad mark '0x100000000' after 'output-mark'", SA " output-mark 0x100000000" },
	{ -EINVAL, "missing NUMBER after 'mask'", SA " mark 5 mask" },
	{ -EINVAL, "missing MARK after 'mark'", SA " mark" },
	/* encap, coa, ctx, dir, offload */
	{ -EINVAL, "unknown encap type 'espinudp4' (espinudp, espinudp-nonike, espintcp)",
	  SA " encap espinudp4 4500 4500 0.0.0.0" },
	{ -EINVAL, "missing NUMBER after 'encap DPORT'", SA " encap espinudp 4500" },
	{ -EINVAL, "bad number '65536' after 'encap SPORT' (0 to 65535)",
	  SA " encap espinudp 65536 4500 0.0.0.0" },
	{ -EINVAL, "bad address '1.2.3.4/8' after 'encap OADDR'", SA " encap espinudp 4500 4500 1.2.3.4/8" },
	{ -EINVAL, "'encap' is for esp SAs only",
	  "src 10.0.0.1 dst 10.0.0.2 proto ah spi 0x100 auth hmac(sha256) " K32
	  " encap espinudp 4500 4500 0.0.0.0" },
	{ -EINVAL, "bad prefix length '10.9.9.9/40' after 'coa'", SA " coa 10.9.9.9/40" },
	{ -EINVAL, "bad direction 'sideways' after 'dir' (in, out)", SA " dir sideways" },
	{ -ENODEV, "unknown device 'nosuch0' after 'offload dev'", SA " offload dev nosuch0 dir in" },
	{ -EINVAL, "expected 'dev' after 'offload', got 'lo'", SA " offload lo dir in" },
	{ -EINVAL, "expected 'dir' after 'offload dev lo', got 'in'", SA " offload dev lo in" },
	{ -EINVAL, "bad direction 'up' after 'offload … dir' (in, out)", SA " offload dev lo dir up" },
	{ -EINVAL, "missing 'dir in|out' after 'offload'", SA " offload crypto dev lo" },
	{ -EINVAL, "missing 'dev DEV' after 'offload'", SA " offload packet" },
};

static void check_bad(const char *fn, const struct bad *b, int r)
{
	if (r != b->rc || strcmp(err.msg, b->msg))
		fail_msg("%s '%s':\n  got  %d '%s'\n  want %d '%s'", fn, b->args, r, err.msg,
			 b->rc, b->msg);
	no_key_in(err.msg);
}

static void test_bad_sa(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(bad_sa); i++)
		check_bad("xc_spec_sa", &bad_sa[i], parse(bad_sa[i].args));
}

static void test_bad_ctx(void **state)
{
	char line[1024], ctx[300];

	(void)state;
	memset(ctx, 'c', sizeof(ctx));
	ctx[255] = '\0';
	snprintf(line, sizeof(line), SA " ctx %s", ctx);
	parse_ok(line);
	assert_int_equal(strlen(sa.ctx.str), 255);
	ctx[255] = 'c';
	ctx[256] = '\0';
	snprintf(line, sizeof(line), SA " ctx %s", ctx);
	assert_int_equal(parse(line), -EINVAL);
	assert_string_equal(err.msg, "security context after 'ctx' is longer than 255 bytes");
}

/* ---- state get|del: the ID ---- */

static int parse_id(const char *line)
{
	char *argv[64];
	int argc = split(line, argv, N_ELEM(argv));

	memset(&err, 0, sizeof(err));
	return xc_spec_sa_id(argc, argv, &sa, &err);
}

static void test_sa_id(void **state)
{
	(void)state;
	assert_int_equal(parse_id(ID " spi 0xc0ffee mark 5/0xff if_id 9"), 0);
	assert_int_equal(sa.info.family, AF_INET);
	assert_ip4(&sa.info.id.daddr, "10.0.0.2");
	assert_ip4(&sa.info.saddr, "10.0.0.1");
	assert_int_equal(ntohl(sa.info.id.spi), 0xc0ffee);
	assert_true(sa.has_mark);
	assert_int_equal(sa.mark.v, 5);
	assert_int_equal(sa.mark.m, 0xff);
	assert_true(sa.has_if_id);
	assert_int_equal(sa.if_id, 9);
	/* keywords in any order, no src */
	assert_int_equal(parse_id("spi 7 proto ah dst fd00::2 mark 1 mask 3"), 0);
	assert_int_equal(sa.info.family, AF_INET6);
	assert_int_equal(sa.info.id.proto, IPPROTO_AH);
	assert_int_equal(sa.mark.m, 3);
	assert_false(sa.has_if_id);
	/* route2 needs no SPI */
	assert_int_equal(parse_id("dst fd00::2 proto route2"), 0);
}

static const struct bad bad_id[] = {
	{ -EINVAL, "missing 'spi SPI'", ID },
	{ -EINVAL, "missing 'dst ADDR'", "proto esp spi 1" },
	{ -EINVAL, "missing 'proto XFRM-PROTO'", "dst 10.0.0.2 spi 1" },
	{ -EINVAL, "unknown keyword 'reqid'", ID " spi 1 reqid 5" },
	{ -EINVAL, "unknown keyword 'aead'", ID " spi 1 " GCM },
	{ -EINVAL, "bad mark 'x' after 'mark'", ID " spi 1 mark x" },
	{ -EINVAL, "SPI 0 is reserved (RFC 4303) and names no SA", ID " spi 0" },
	{ -EINVAL, "missing NUMBER after 'if_id'", ID " spi 1 if_id" },
};

static void test_bad_sa_id(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(bad_id); i++)
		check_bad("xc_spec_sa_id", &bad_id[i], parse_id(bad_id[i].args));
}

/* ---- state allocspi ---- */

static uint32_t spi_min, spi_max;

static int parse_allocspi(const char *line)
{
	char *argv[64];
	int argc = split(line, argv, N_ELEM(argv));

	memset(&err, 0, sizeof(err));
	return xc_spec_sa_allocspi(argc, argv, &sa, &spi_min, &spi_max, &err);
}

static void test_allocspi(void **state)
{
	(void)state;
	/* default range: above the 1-255 IANA reserves (RFC 4303) */
	assert_int_equal(parse_allocspi(ID), 0);
	assert_int_equal(spi_min, 0x100);
	assert_int_equal(spi_max, 0xffffffff);
	assert_int_equal(parse_allocspi(ID " min 0x1000 max 0x1fff mode tunnel reqid 3 seq 4 mark 2"),
			 0);
	assert_int_equal(spi_min, 0x1000);
	assert_int_equal(spi_max, 0x1fff);
	assert_int_equal(sa.info.mode, XFRM_MODE_TUNNEL);
	assert_int_equal(sa.info.reqid, 3);
	assert_int_equal(sa.info.seq, 4);
	assert_int_equal(sa.mark.v, 2);
	assert_int_equal(parse_allocspi(ID " min 5 max 5"), 0);
	/* a CPI is 16 bits */
	assert_int_equal(parse_allocspi("src 10.0.0.1 dst 10.0.0.2 proto comp"), 0);
	assert_int_equal(spi_max, 0xffff);
}

static const struct bad bad_allocspi[] = {
	{ -EINVAL, "allocspi chooses the SPI: give 'min N max N', not 'spi'", ID " spi 0x100" },
	{ -EINVAL, "SPI range min 0x200 max 0x100 is empty or starts at 0", ID " min 0x200 max 0x100" },
	{ -EINVAL, "SPI range min 0x0 max 0x5 is empty or starts at 0", ID " min 0 max 5" },
	{ -EINVAL, "'min' and 'max' go together", ID " min 5" },
	{ -EINVAL, "'min' and 'max' go together", ID " max 5" },
	{ -EINVAL, "a comp SA's CPI is below 0x10000: max 0x10000 is too large",
	  "src 10.0.0.1 dst 10.0.0.2 proto comp min 0x100 max 0x10000" },
	{ -EINVAL, "unknown keyword 'enc'", ID " " CBC },
	{ -EINVAL, "missing 'proto XFRM-PROTO'", "dst 10.0.0.2" },
};

static void test_bad_allocspi(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(bad_allocspi); i++)
		check_bad("xc_spec_sa_allocspi", &bad_allocspi[i],
			  parse_allocspi(bad_allocspi[i].args));
}

/* ---- state list|flush filters ---- */

static struct xc_sa_filter filter;

static int parse_filter(const char *line)
{
	char *argv[64];
	int argc = split(line, argv, N_ELEM(argv));

	memset(&err, 0, sizeof(err));
	return xc_spec_sa_filter(argc, argv, &filter, &err);
}

static void test_filter(void **state)
{
	(void)state;
	assert_int_equal(parse_filter(""), 0);
	assert_false(filter.src || filter.dst || filter.proto || filter.spi || filter.mode ||
		     filter.reqid);
	parse_ok(SA " mode tunnel reqid 5");
	assert_true(xc_sa_filter_match(&filter, &sa.info));

	assert_int_equal(parse_filter("dst 10.0.0.2 proto esp mode tunnel reqid 5"), 0);
	assert_true(filter.dst && filter.proto && filter.mode && filter.reqid);
	assert_false(filter.src || filter.spi);
	assert_true(xc_sa_filter_match(&filter, &sa.info));
	assert_int_equal(parse_filter("spi 0x100 src 10.0.0.1"), 0);
	assert_true(xc_sa_filter_match(&filter, &sa.info));
	/* a filter may name SPI 0: nothing matches it */
	assert_int_equal(parse_filter("spi 0"), 0);
	assert_false(xc_sa_filter_match(&filter, &sa.info));

	assert_int_equal(parse_filter("reqid 6"), 0);
	assert_false(xc_sa_filter_match(&filter, &sa.info));
	assert_int_equal(parse_filter("mode transport"), 0);
	assert_false(xc_sa_filter_match(&filter, &sa.info));
	assert_int_equal(parse_filter("proto ah"), 0);
	assert_false(xc_sa_filter_match(&filter, &sa.info));
	assert_int_equal(parse_filter("src 10.0.0.2"), 0);
	assert_false(xc_sa_filter_match(&filter, &sa.info));
	/* an address of the other family never matches, even all zero */
	assert_int_equal(parse_filter("dst ::"), 0);
	memset(&sa.info.id.daddr, 0, sizeof(sa.info.id.daddr));
	assert_false(xc_sa_filter_match(&filter, &sa.info));
	assert_int_equal(parse_filter("dst 0.0.0.0"), 0);
	assert_true(xc_sa_filter_match(&filter, &sa.info));
}

static const struct bad bad_filter[] = {
	{ -EINVAL, "unknown keyword 'spi-range'", "spi-range 1" },
	{ -EINVAL, "unknown mode 'x' (transport, tunnel, beet, ro, in_trigger)", "mode x" },
	{ -EINVAL, "bad number 'five' after 'reqid' (0 to 4294967295)", "reqid five" },
	{ -EINVAL, "ID (src, dst) mixes IPv4 and IPv6 addresses", "src 10.0.0.1 dst ::1" },
	{ -EINVAL, "missing XFRM-PROTO after 'proto'", "proto" },
};

static void test_bad_filter(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(bad_filter); i++)
		check_bad("xc_spec_sa_filter", &bad_filter[i], parse_filter(bad_filter[i].args));
}

/* ---- names ---- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(xc_proto_name(IPPROTO_ESP), "esp");
	assert_string_equal(xc_proto_name(IPPROTO_AH), "ah");
	assert_string_equal(xc_proto_name(IPPROTO_COMP), "comp");
	assert_null(xc_proto_name(IPPROTO_TCP));
	assert_string_equal(xc_mode_name(XFRM_MODE_BEET), "beet");
	assert_null(xc_mode_name(99));
	assert_string_equal(xc_encap_name(UDP_ENCAP_ESPINUDP), "espinudp");
	assert_string_equal(xc_ipproto_name(IPPROTO_ICMPV6), "ipv6-icmp");
	assert_string_equal(xc_sa_flag_name(7), "esn");
	assert_null(xc_sa_flag_name(8));
	assert_string_equal(xc_sa_xflag_name(1), "oseq-may-wrap");
	assert_null(xc_sa_xflag_name(2));
}

/* ---- regressions ---- */

/* src alone once set the family and passed for a complete ID (dst 0.0.0.0) */
static void test_bug_src_without_dst(void **state)
{
	int r;

	(void)state;
	r = parse("src 10.0.0.1 proto esp spi 0x100 " GCM);
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err.msg, "missing 'dst ADDR'");
	assert_int_equal(parse_id("src 10.0.0.1 proto esp spi 0x100"), -EINVAL);
	assert_string_equal(err.msg, "missing 'dst ADDR'");
}

static void test_bug_number_leading_blank(void **state)
{
	int r;

	(void)state;
	/* strtoull skips white space and takes a sign: "\t-2" was 2^64 - 2 */
	r = parse(SA " limit byte-soft \t-2");
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err.msg,
			    "bad number '\t-2' after 'byte-soft' (0 to 18446744073709551615)");
}

/* SA and "WORDS NUM" are read (into sa) exactly when strtoull reads all of
 * num, without overflow, as at most max; returns whether, *v its value. */
static bool number_as_strtoull(const char *words, const char *num, unsigned long long max,
			       unsigned long long *v)
{
	char line[512], *end;
	bool ok;
	int r;

	snprintf(line, sizeof(line), "%s %s %s", SA, words, num);
	r = parse(line);
	errno = 0;
	*v = strtoull(num, &end, 0);
	ok = !errno && !*end && *v <= max;
	if ((r == 0) != ok)
		fail_msg("%s '%s': %d (%s), strtoull says %s", words, num, r, err.msg,
			 ok ? "good" : "bad");
	return ok;
}

/* Numbers and IPv4 addresses are read without strtoull() and inet_pton()
 * (they were most of a batch line's parsing); the C library stays the
 * oracle for what they take. */
static void test_numbers_addresses_as_libc(void **state)
{
	static const char *const nums[] = { "0",	  "7",		"010",	  "08",
					    "0x",	  "0x1f",	"0X1F",	  "0xg",
					    "1a",	  "00",		"0777",	  "0x0",
					    "4294967295", "4294967296", "0xffffffff", "0x100000000",
					    "0xFFFFFFFF", "037777777777", "040000000000",
					    "99999999999999999999999", "18446744073709551616" };
	static const char *const nums64[] = {
		"18446744073709551615", "18446744073709551616", "9999999999999999999",
		"10000000000000000000", "99999999999999999999", "0xffffffffffffffff",
		"0xFFFFFFFFFFFFFFFF0", "0x10000000000000000", "0x0000000000000000000001",
		"01777777777777777777777", "02000000000000000000000", "0000000000000000000000000017",
		"1844674407370955161", "18446744073709551610x",
	};
	static const char *const addrs[] = { "1.2.3.4",	   "01.2.3.4", "0.0.0.0",   "255.255.255.255",
					     "256.1.1.1",  "1.2.3",    "1.2.3.4.5", "1..2.3",
					     "1.2.3.",	   ".1.2.3",   "1.2.3.04",  "10.0.0.1x",
					     "1.2.3.0400", "1.2.3.00", "1.2.3.0",   "9.99.199.249",
					     "255.255.255.256", "100.200.250.251", "1.02.3.4",
					     "123.4.5.6789", "0.0.0.00", "260.1.1.1", "25.5.1.1000",
					     "1.2.3.4a", "a1.2.3.4", "1.2.3.-4" };
	unsigned long long v;
	char line[512];

	(void)state;
	for (size_t i = 0; i < N_ELEM(nums); i++) {
		if (number_as_strtoull("reqid", nums[i], UINT32_MAX, &v))
			assert_int_equal(sa.info.reqid, v);
		xc_sa_clear(&sa);
	}
	/* 64 bits: past nineteen decimal digits each digit is checked */
	for (size_t i = 0; i < N_ELEM(nums64); i++) {
		if (number_as_strtoull("limit byte-soft", nums64[i], UINT64_MAX, &v))
			assert_true(sa.info.lft.soft_byte_limit == v);
		xc_sa_clear(&sa);
	}
	for (size_t i = 0; i < N_ELEM(addrs); i++) {
		struct in_addr want;
		bool ok = inet_pton(AF_INET, addrs[i], &want) == 1;
		int r;

		snprintf(line, sizeof(line), "src %s dst 10.0.0.2 proto esp spi 0x100 %s sel src %s/24",
			 addrs[i], GCM, addrs[i]);
		r = parse(line);
		if ((r == 0) != ok)
			fail_msg("src '%s': %d (%s), inet_pton says %s", addrs[i], r, err.msg,
				 ok ? "good" : "bad");
		if (ok) {
			assert_memory_equal(&sa.info.saddr.a4, &want, 4);
			assert_memory_equal(&sa.info.sel.saddr.a4, &want, 4);
			assert_int_equal(sa.info.sel.prefixlen_s, 24);
		}
		xc_sa_clear(&sa);
	}
}

/* ---- state add from a batch line, unsplit (xc_spec_sa_text) ---- */

static struct xc_sa sa_text;
static const struct xc_sa zero_sa;

/* xc_spec_sa_text on line, checked against what a batch does with it
 * otherwise (its splitter, then xc_spec_sa): an SA it reads must be the
 * one xc_spec_sa makes of the words, byte for byte; a line it declines
 * leaves no byte behind (keys included). Returns its result. */
static int text_vs_words(const char *line)
{
	char buf[4096], *argv[512];
	struct xc_spec_opts o = { NULL };
	int t, argc, r;

	assert_true(strlen(line) < sizeof(buf));
	memset(&sa, 0, sizeof(sa));
	memset(&sa_text, 0, sizeof(sa_text));
	t = xc_spec_sa_text(line, &sa_text);
	if (t == 0) {
		if (memcmp(&sa_text, &zero_sa, sizeof(zero_sa)))
			fail_msg("'%s': declined, but the SA is not all zero", line);
		return 0;
	}
	assert_int_equal(t, 1);
	strcpy(buf, line);
	memset(&err, 0, sizeof(err));
	argc = xc_split_line(buf, argv, 511, &err);
	assert_true(argc >= 0);
	r = xc_spec_sa(argc, argv, &sa, &o, &err);
	if (r != 0)
		fail_msg("'%s': read unsplit, but xc_spec_sa says %d '%s'", line, r, err.msg);
	if (memcmp(&sa, &sa_text, sizeof(sa)))
		fail_msg("'%s': not the SA xc_spec_sa makes of its words", line);
	xc_sa_clear(&sa_text);
	if (memcmp(&sa_text, &zero_sa, sizeof(zero_sa)))
		fail_msg("'%s': xc_sa_clear left bytes behind", line);
	return 1;
}

static void test_sa_text_reads(void **state)
{
	static const char *const lines[] = {
		"src 10.0.0.1 dst 10.1.0.0 proto esp spi 4096 reqid 1 mode tunnel "
		"aead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 128",
		SA,
		"  " SA "   ",
		"src 10.0.0.1   dst 10.0.0.2 proto esp spi 256 reqid 7 mode transport " CBC
		" auth hmac(sha256) " K32,
		ID " spi 9 " CBC " auth-trunc hmac(sha256) " K32 " 96",
		ID " spi 9 enc aes " K16 " auth sha1 " K20 " replay-window 32",
		ID " spi 9 enc cipher_null 0x replay-window 0",
		"src 10.0.0.1 dst 10.0.0.2 proto ah spi 5 auth hmac(sha1) " K20,
		"src 10.0.0.1 dst 10.0.0.2 proto ah spi 5 auth-trunc hmac(sha512) "
		"0x5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7"
		"5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7 256",
		"src fd00::1 dst fd00::2 proto esp spi 0x1000 " GCM,
		"src ::ffff:10.0.0.1 dst 2001:db8:0:0:0:0:0:1 proto esp spi 1 " GCM,
		"dst 10.0.0.2 proto esp spi 1 " GCM,
		"proto esp spi 0777 aead rfc4106(gcm(aes)) 0X5EC7E75EC7E75EC7E75EC7E75EC7E75EC7E75EC7 64 "
		"dst 10.0.0.2 src 10.0.0.1 mode beet reqid 0xFFFFFFFF",
		ID " spi 0xffffffff mode in_trigger aead rfc7539esp(chacha20,poly1305) "
		"0x5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7 128",
		ID " spi 3 mode ro " GCM,
		"dst fd00::2 proto route2",
		"dst fd00::2 proto hao spi 4 mode ro",
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(lines); i++)
		if (text_vs_words(lines[i]) != 1)
			fail_msg("'%s': declined", lines[i]);
}

/* Good or bad, what xc_spec_sa_text leaves to xc_spec_sa. */
static void test_sa_text_declines(void **state)
{
	static const char *const lines[] = {
		/* words the splitter makes of quotes, escapes, other blanks */
		ID " spi 1 aead 'rfc4106(gcm(aes))' " K20 " 128",
		ID " spi 1 aead \"rfc4106(gcm(aes))\" " K20 " 128",
		ID " spi 1 aead rfc4106\\(gcm(aes)) " K20 " 128",
		ID "\tspi 1 " GCM,
		ID " spi 1\t" GCM,
		SA "\r",
		SA "\t",
		ID " spi 1 aead rfc4106(gcm(aes)) 0x5ec7e75ec7e75ec7e75e\tc7e75ec7e75ec7e75ec7 128",
		SA " # a comment",
		SA " #",
		/* keywords it leaves to xc_spec_sa */
		SA " flag esn replay-window 64", SA " replay-window 33", SA " sel src 10.0.0.0/24",
		SA " mark 1", SA " if_id 3", SA " limit time-hard 60", SA " seq 5",
		SA " replay-seq 1", SA " extra-flag dont-encap-dscp", SA " coa 10.0.0.9",
		SA " output-mark 2", SA " tfcpad 8", SA " ctx x", SA " dir in",
		SA " encap espinudp 4500 4500 10.0.0.9", SA " offload dev lo dir in",
		"src 10.0.0.1 dst 10.0.0.2 proto comp spi 1 comp deflate",
		/* a keyword again (xc_spec_sa takes the last, or refuses it) */
		SA " spi 2", SA " src 10.0.0.3", SA " reqid 1 reqid 2", SA " " GCM,
		ID " spi 1 " CBC " auth hmac(sha1) " K20 " auth-trunc hmac(sha1) " K20 " 96",
		/* keys from a file or stdin */
		ID " spi 1 aead rfc4106(gcm(aes)) @/nonexistent 128",
		ID " spi 1 aead rfc4106(gcm(aes)) - 128",
		ID " spi 1 aead rfc4106(gcm(aes)) 5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7 128",
		/* bad lines */
		"", "   ", "src", SA " reqid", SA " mode", SA " reqid ",
		"src 10.0.0.1/32 dst 10.0.0.2 proto esp spi 1 " GCM,
		"src 10.0.0.1 dst fd00::2 proto esp spi 1 " GCM,
		"src fd00::1 dst 10.0.0.2 proto esp spi 1 " GCM,
		"src 10.0.0.01 dst 10.0.0.2 proto esp spi 1 " GCM,
		"src 10.0.0.1x dst 10.0.0.2 proto esp spi 1 " GCM,
		"src fd00::1/64 dst fd00::2 proto esp spi 1 " GCM,
		SA " reqid 1x", SA " reqid 4294967296", SA " reqid -1", SA " reqid 0x",
		SA " reqid 09", ID " spi 0 " GCM, ID " " GCM, ID " spi 1",
		"dst 10.0.0.2 spi 1 " GCM, "src 10.0.0.1 proto esp spi 1 " GCM,
		"src 10.0.0.1 dst 10.0.0.2 proto ipsec-any spi 1 " GCM,
		"src 10.0.0.1 dst 10.0.0.2 proto ESP spi 1 " GCM, "SRC 10.0.0.1 " SA,
		SA " mode tunnel2", SA " mode Tunnel",
		ID " spi 1 " GCM " " CBC, ID " spi 1 auth hmac(sha1) " K20,
		"src 10.0.0.1 dst 10.0.0.2 proto ah spi 1 " CBC " auth hmac(sha1) " K20,
		ID " spi 1 aead rfc4106(gcm(aes)) " K16 " 128",
		ID " spi 1 aead rfc4106(gcm(aes)) " K20 " 100",
		ID " spi 1 aead rfc4106(gcm(aes)) " K20 " 128x",
		ID " spi 1 aead rfc4106(gcm(aes)) " K20,
		ID " spi 1 aead rfc4106(gcm(aes)) 0x5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec 128",
		ID " spi 1 aead rfc4106(gcm(aes)) 0x5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ecg 128",
		ID " spi 1 aead rfc4106(gcm(aes)) 0x5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7z 128",
		ID " spi 1 aead rfc4106(gcm(aes) " K20 " 128", ID " spi 1 enc gcm(aes) " K20,
		ID " spi 1 enc cbc(aes) " K20, ID " spi 1 " CBC " auth-trunc hmac(sha1) " K20 " 7",
	};
	char big[1400];
	size_t n;

	(void)state;
	for (size_t i = 0; i < N_ELEM(lines); i++)
		if (text_vs_words(lines[i]) != 0)
			fail_msg("'%s': read, not left to xc_spec_sa", lines[i]);
	/* a key longer than XC_KEY_MAX (refused after decoding it) */
	n = (size_t)snprintf(big, sizeof(big), ID " spi 1 enc cbc(aes) 0x");
	for (size_t i = 0; i < 2 * (XC_KEY_MAX + 1); i++)
		big[n++] = "5ec7e7"[i % 6];
	big[n] = '\0';
	assert_int_equal(text_vs_words(big), 0);
}

/* Lines of random words, good and bad: whatever xc_spec_sa_text reads
 * must be what xc_spec_sa makes of the words (text_vs_words). */
static void test_sa_text_random(void **state)
{
	static const char *const words[] = {
		"src", "dst", "proto", "spi", "reqid", "mode", "replay-window", "aead", "enc", "auth",
		"auth-trunc", "flag", "mark", "10.0.0.1", "10.0.0.2", "fd00::1", "10.0.0.256",
		"1.2.3.4/8", "esp", "ah", "route2", "comp", "tunnel", "transport", "beet", "0", "1",
		"32", "33", "64", "96", "128", "0x10", "0X1f", "0777", "09", "0x", "4294967295",
		"4294967296", "10000000000000000000", "rfc4106(gcm(aes))", "cbc(aes)", "aes",
		"hmac(sha1)", "hmac(sha256)", "sha1", "cipher_null", K16, K20, K32, "0xzz", "0x123",
		"-", "'esp'", "#", "in_trigger",
	};
	static const char *const seps[] = { " ", " ", " ", " ", "  ", "\t" };
	char line[1024];
	unsigned int seed = 1, read = 0;

	(void)state;
	for (int round = 0; round < 40000; round++) {
		size_t n = 0, count;

		seed = seed * 1103515245 + 12345;
		/* half of them start as a good line, then random words follow */
		if ((seed >> 16) & 1)
			n = (size_t)snprintf(line, sizeof(line), "%s", SA);
		seed = seed * 1103515245 + 12345;
		count = (seed >> 16) % 8;
		for (size_t i = 0; i < count; i++) {
			const char *w, *sep;

			seed = seed * 1103515245 + 12345;
			w = words[(seed >> 16) % N_ELEM(words)];
			seed = seed * 1103515245 + 12345;
			sep = n ? seps[(seed >> 16) % N_ELEM(seps)] : "";
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", sep, w);
		}
		read += (unsigned int)text_vs_words(line);
	}
	/* (not a test of nothing: a good share was read) */
	if (read < 2000)
		fail_msg("only %u of 40000 lines read unsplit", read);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_sa_ipv4),
		cmocka_unit_test(test_full_sa_ipv6_esn),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_offload),
		cmocka_unit_test(test_other_protocols),
		cmocka_unit_test(test_keys_from_stream),
		cmocka_unit_test(test_keys_from_file),
		cmocka_unit_test(test_bad_sa),
		cmocka_unit_test(test_bad_ctx),
		cmocka_unit_test(test_sa_id),
		cmocka_unit_test(test_bad_sa_id),
		cmocka_unit_test(test_allocspi),
		cmocka_unit_test(test_bad_allocspi),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_bad_filter),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bug_src_without_dst),
		cmocka_unit_test(test_bug_number_leading_blank),
		cmocka_unit_test(test_numbers_addresses_as_libc),
		cmocka_unit_test(test_sa_text_reads),
		cmocka_unit_test(test_sa_text_declines),
		cmocka_unit_test(test_sa_text_random),
	};
	return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}
