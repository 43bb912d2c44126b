/* SA files: state add lines and state list JSON.
 *
 * The JSON is the format `state list -j -k` prints (man/xfrmctl.8, JSON
 * OUTPUT), written here by hand; each SA read from it must be the SA the
 * grammar makes of the same fields written as `state add` words (the
 * grammar is the reference for what an SA means). Errors must name the
 * file, the line and the token. */
#include <arpa/inet.h>
#include <errno.h>
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

#include "safile.h"
#include "sa.h"
#include "spec.h"
#include "tokens.h"

#define K16 "0x00112233445566778899aabbccddeeff"
#define K20 "0x00112233445566778899aabbccddeeff01020304"
#define K32 "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define MAX_SAS 8

struct got {
	struct xc_sa sa[MAX_SAS];
	struct xc_safile_at at[MAX_SAS];
	size_t n;
	int fail_at; /* return -E2BIG for this index (1-based) */
};

static int collect(const struct xc_sa *sa, const struct xc_safile_at *at, void *arg,
		   struct xc_err *err)
{
	struct got *g = arg;

	if (g->fail_at && (size_t)g->fail_at == at->index) {
		xc_err_set(err, "the callback says no");
		return -E2BIG;
	}
	assert_true(g->n < MAX_SAS);
	memcpy(&g->sa[g->n], sa, sizeof(*sa));
	g->at[g->n++] = *at;
	return 0;
}

static int parse(const char *text, struct got *g, struct xc_err *err)
{
	memset(g, 0, sizeof(*g));
	err->msg[0] = '\0';
	return xc_safile_parse("f", text, strlen(text), collect, g, err);
}

/* The SA of the grammar's words. */
static void words_sa(const char *words, struct xc_sa *sa)
{
	char line[2048], *argv[128];
	struct xc_err err = { "" };
	const struct xc_spec_opts o = { NULL };
	int argc;

	snprintf(line, sizeof(line), "%s", words);
	argc = xc_split_line(line, argv, 128, &err);
	memset(sa, 0, sizeof(*sa));
	if (xc_spec_sa(argc, argv, sa, &o, &err) < 0)
		fail_msg("%s: %s", words, err.msg);
}

static void alg_equal(const struct xc_sa_alg *a, const struct xc_sa_alg *b)
{
	assert_int_equal(a->set, b->set);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->key_len, b->key_len);
	assert_memory_equal(a->key, b->key, a->key_len);
	assert_int_equal(a->icv_bits, b->icv_bits);
}

static void sa_equal(const struct xc_sa *a, const struct xc_sa *b)
{
	const struct xfrm_usersa_info *x = &a->info, *y = &b->info;

	assert_int_equal(x->family, y->family);
	assert_memory_equal(&x->id, &y->id, sizeof(x->id));
	assert_memory_equal(&x->saddr, &y->saddr, sizeof(x->saddr));
	assert_memory_equal(&x->sel, &y->sel, sizeof(x->sel));
	assert_memory_equal(&x->lft, &y->lft, sizeof(x->lft));
	assert_int_equal(x->reqid, y->reqid);
	assert_int_equal(x->mode, y->mode);
	assert_int_equal(x->replay_window, y->replay_window);
	assert_int_equal(x->flags, y->flags);
	assert_int_equal(a->auth_trunc, b->auth_trunc);
	alg_equal(&a->aead, &b->aead);
	alg_equal(&a->enc, &b->enc);
	alg_equal(&a->auth, &b->auth);
	alg_equal(&a->comp, &b->comp);
	assert_int_equal(a->has_encap, b->has_encap);
	assert_memory_equal(&a->encap, &b->encap, sizeof(a->encap));
	assert_int_equal(a->has_mark, b->has_mark);
	assert_memory_equal(&a->mark, &b->mark, sizeof(a->mark));
	assert_int_equal(a->has_output_mark, b->has_output_mark);
	assert_int_equal(a->output_mark, b->output_mark);
	assert_int_equal(a->has_if_id, b->has_if_id);
	assert_int_equal(a->if_id, b->if_id);
	assert_int_equal(a->has_tfcpad, b->has_tfcpad);
	assert_int_equal(a->tfcpad, b->tfcpad);
	assert_int_equal(a->has_extra_flags, b->has_extra_flags);
	assert_int_equal(a->extra_flags, b->extra_flags);
	assert_int_equal(a->has_ctx, b->has_ctx);
	assert_string_equal(a->ctx.str, b->ctx.str);
	assert_int_equal(a->has_coaddr, b->has_coaddr);
	assert_int_equal(a->has_replay_esn, b->has_replay_esn);
	assert_int_equal(a->esn.replay_window, b->esn.replay_window);
	assert_int_equal(a->esn.bmp_len, b->esn.bmp_len);
	assert_int_equal(a->esn.seq, b->esn.seq);
	assert_int_equal(a->esn.seq_hi, b->esn.seq_hi);
	assert_int_equal(a->has_replay, b->has_replay);
	assert_int_equal(a->replay.seq, b->replay.seq);
}

/* --- state add lines --- */

static void test_add_lines(void **state)
{
	struct xc_sa want;
	struct xc_err err;
	struct got g;

	(void)state;
	assert_int_equal(parse("# the SAs of the gateway\n"
			       "\n"
			       "state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 aead "
			       "'rfc4106(gcm(aes))' " K20 " 128\n"
			       "policy add src 10.0.0.1 dst 10.0.0.2 dir out\n"
			       "   add src 10.0.0.1 dst 10.0.0.3 proto esp spi 0x101 enc aes " K16
			       " flag esn replay-window 64 replay-seq 0xfffffff0 replay-seq-hi 2\n"
			       "src fd00::1 dst fd00::2 proto esp spi 0x102 mode tunnel enc cipher_null 0x"
			       " auth-trunc hmac(sha256) " K32 " 128 replay-seq 7 replay-window 8 # end",
			       &g, &err), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.at[0].line, 3);
	assert_int_equal(g.at[1].line, 5);
	assert_int_equal(g.at[2].line, 6);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(g.at[i].index, i + 1);
		assert_int_equal(g.at[i].format, XC_SAFILE_ADD);
		assert_string_equal(g.at[i].file, "f");
	}
	words_sa("src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 aead rfc4106(gcm(aes)) " K20 " 128",
		 &want);
	sa_equal(&g.sa[0], &want);
	/* an added SA's replay state is taken */
	words_sa("src 10.0.0.1 dst 10.0.0.3 proto esp spi 0x101 enc cbc(aes) " K16
		 " flag esn replay-window 64 replay-seq 0xfffffff0 replay-seq-hi 2", &want);
	sa_equal(&g.sa[1], &want);
	assert_int_equal(g.sa[1].esn.seq, 0xfffffff0);
	assert_int_equal(g.sa[1].esn.seq_hi, 2);
	assert_int_equal(g.sa[2].replay.seq, 7);
	assert_int_equal(g.sa[2].info.family, AF_INET6);
	/* empty, and white space only */
	assert_int_equal(parse("", &g, &err), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(parse(" \n\t\n", &g, &err), 0);
	assert_int_equal(g.n, 0);
}

static int parse_cb(struct got *g, struct xc_err *err)
{
	static const char three[] = "add src 1.1.1.1 dst 2.2.2.2 proto esp spi 1 enc aes " K16 "\n"
				    "add src 1.1.1.1 dst 2.2.2.2 proto esp spi 2 enc aes " K16 "\n"
				    "add src 1.1.1.1 dst 2.2.2.2 proto esp spi 3 enc aes " K16 "\n";

	return xc_safile_parse("f", three, sizeof(three) - 1, collect, g, err);
}

static void test_add_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 aead rfc4106(gcm(aes)) " K20
		  " 128\n\nadd dst 10.0.0.x proto esp spi 1 enc aes " K16 "\n",
		  "f line 3: bad address '10.0.0.x' after 'dst'" },
		{ "state del dst 10.0.0.2 proto esp spi 1\n",
		  "f line 1: not an SA: 'state del' (one 'state add' a line)" },
		{ "state\n", "f line 1: not an SA: 'state ' (one 'state add' a line)" },
		{ "\n\nsrc 10.0.0.1 dst 10.0.0.2 proto esp spi 1 enc aes 'unterminated\n",
		  "f line 3: unterminated ' quote" },
		{ "src 10.0.0.1 dst 10.0.0.2 proto esp spi 1 enc aes -\n",
		  "f line 1: key for 'cbc(aes)' from '-': standard input is taken" },
		{ "src 10.0.0.1 dst 10.0.0.2 proto esp spi 1 enc \0aes\n",
		  "f line 1: a NUL byte in the line" },
	};
	struct xc_err err;
	struct got g;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].text);

		if (i == 5) /* the NUL */
			len = strlen(cases[i].text) + 1 + strlen(cases[i].text + strlen(cases[i].text) + 1);
		memset(&g, 0, sizeof(g));
		err.msg[0] = '\0';
		assert_int_equal(xc_safile_parse("f", cases[i].text, len, collect, &g, &err), -EINVAL);
		if (i != 4)
			assert_string_equal(err.msg, cases[i].msg);
		else /* whatever the grammar says of '-', with the line */
			assert_memory_equal(err.msg, "f line 1: ", 10);
	}
	/* the callback's refusal, its message untouched */
	memset(&g, 0, sizeof(g));
	g.fail_at = 2;
	assert_int_equal(parse_cb(&g, &err), -E2BIG);
	assert_string_equal(err.msg, "the callback says no");
	assert_int_equal(g.n, 1);
}

/* --- JSON --- */

static void test_json_list(void **state)
{
	static const char list[] =
		"[{\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"family\":\"inet\",\"proto\":\"esp\","
		"\"spi\":4096,\"reqid\":1,\"mode\":\"transport\",\"replay-window\":32,"
		"\"aead\":{\"name\":\"rfc4106(gcm(aes))\",\"key\":\"" K20 "\",\"key-bits\":160,"
		"\"icv-bits\":128},"
		"\"encap\":{\"type\":\"espinudp\",\"sport\":4500,\"dport\":4500,\"oaddr\":\"0.0.0.0\"},"
		"\"replay\":{\"seq\":20,\"oseq\":0,\"bitmap\":1048575},"
		"\"sel\":{\"src\":\"0.0.0.0/0\",\"dst\":\"0.0.0.0/0\"},"
		"\"lifetime\":{\"byte-soft\":null,\"byte-hard\":null,\"packet-soft\":900,"
		"\"packet-hard\":1000,\"time-soft\":0,\"time-hard\":0,\"time-use-soft\":0,"
		"\"time-use-hard\":0},"
		"\"current\":{\"bytes\":1280,\"packets\":20,\"add-time\":1764000000,\"use-time\":null},"
		"\"stats\":{\"replay-window\":0,\"replay\":0,\"failed\":0},\"lastused\":1764000001},"
		"{\"src\":\"fd00::1\",\"dst\":\"fd00::2\",\"family\":\"inet6\",\"proto\":\"esp\","
		"\"spi\":257,\"reqid\":0,\"mode\":\"tunnel\",\"replay-window\":128,\"seq\":5,"
		"\"flags\":[\"esn\",\"noecn\"],\"extra-flags\":[\"dont-encap-dscp\"],"
		"\"auth-trunc\":{\"name\":\"hmac(sha256)\",\"key\":\"" K32 "\",\"key-bits\":256,"
		"\"trunc-bits\":128},"
		"\"enc\":{\"name\":\"cbc(aes)\",\"key\":\"" K16 "\",\"key-bits\":128},"
		"\"mark\":{\"value\":7,\"mask\":255},\"output-mark\":{\"value\":1,\"mask\":4294967295},"
		"\"if_id\":3,\"tfcpad\":100,\"ctx\":\"sys\\u0074em_u\","
		"\"offload\":{\"type\":\"crypto\",\"dev\":\"eth9\",\"dir\":\"in\"},"
		"\"replay-esn\":{\"seq-hi\":1,\"oseq-hi\":0,\"seq\":12,\"oseq\":0,\"window\":128},"
		"\"sel\":{\"src\":\"fd00:1::/64\",\"dst\":\"fd00:2::/64\",\"proto\":\"udp\","
		"\"sport\":0,\"dport\":53,\"dev\":\"eth9\"}}]";
	struct xc_sa want;
	struct xc_err err;
	struct got g;

	(void)state;
	assert_int_equal(parse(list, &g, &err), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.at[1].index, 2);
	assert_int_equal(g.at[1].line, 1);
	assert_int_equal(g.at[1].format, XC_SAFILE_JSON);
	/* the listing's counters (replay seq 20; ESN seq 12, seq-hi 1) are not taken */
	words_sa("src 10.0.0.1 dst 10.0.0.2 proto esp spi 4096 reqid 1 mode transport "
		 "replay-window 32 aead rfc4106(gcm(aes)) " K20 " 128 encap espinudp 4500 4500 0.0.0.0 "
		 "sel src 0.0.0.0/0 dst 0.0.0.0/0 limit packet-soft 900 limit packet-hard 1000 "
		 "limit time-soft 0 limit time-hard 0 limit time-use-soft 0 limit time-use-hard 0",
		 &want);
	sa_equal(&g.sa[0], &want);
	words_sa("src fd00::1 dst fd00::2 proto esp spi 257 reqid 0 mode tunnel replay-window 128 "
		 "flag esn noecn extra-flag dont-encap-dscp auth-trunc hmac(sha256) " K32 " 128 "
		 "enc cbc(aes) " K16 " mark 7 mask 255 output-mark 1 mask 0xffffffff if_id 3 "
		 "tfcpad 100 ctx system_u sel src fd00:1::/64 dst fd00:2::/64 proto udp sport 0 "
		 "dport 53", &want);
	sa_equal(&g.sa[1], &want);
	assert_int_equal(g.sa[1].info.seq, 5); /* the SA's own (an ACQUIRE's), not a counter */
	assert_false(g.sa[1].has_offload);
}

static void test_json_one(void **state)
{
	struct xc_err err;
	struct got g;

	(void)state;
	/* state get -j -k: one object; pretty-printed, with white space */
	assert_int_equal(parse("\n  {\n \"src\" : \"10.0.0.1\" ,\n \"dst\": \"10.0.0.2\",\n"
			       " \"proto\": \"esp\", \"spi\": 16,\n \"enc\": {\"name\": \"cbc(aes)\","
			       " \"key\": \"" K16 "\"}\n}\n\n", &g, &err), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.at[0].line, 2);
	assert_int_equal(ntohl(g.sa[0].info.id.spi), 16);
	/* a ring window of 32 or less (replay-esn without esn) stays a ring */
	assert_int_equal(parse("[{\"src\": \"10.0.0.1\", \"dst\": \"10.0.0.2\", \"proto\": \"esp\","
			       " \"spi\": 16, \"replay-window\": 20, \"enc\": {\"name\": \"aes\","
			       " \"key\": \"" K16 "\"}, \"replay-esn\": {\"seq-hi\": 0, \"oseq-hi\": 0,"
			       " \"seq\": 9, \"oseq\": 0, \"window\": 20}}]", &g, &err), 0);
	assert_true(g.sa[0].has_replay_esn);
	assert_int_equal(g.sa[0].esn.replay_window, 20);
	assert_int_equal(g.sa[0].esn.bmp_len, 1);
	assert_int_equal(g.sa[0].info.replay_window, 0);
	assert_int_equal(g.sa[0].esn.seq, 0);
	/* an empty list */
	assert_int_equal(parse(" [ ] ", &g, &err), 0);
	assert_int_equal(g.n, 0);
}

static void test_json_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "[\n{\"src\": \"10.0.0.1\", \"colour\": 1}]", "f line 2 (SA 1): unknown member 'colour'" },
		{ "{\"sel\": {\"src\": \"0.0.0.0/0\", \"port\": 1}}",
		  "f line 1 (SA 1): unknown member 'port' in 'sel'" },
		{ "{\"spi\": \"16\"}", "f line 1 (SA 1): 'spi' wants a whole number, got '\"16\"'" },
		{ "{\"spi\": -1}", "f line 1 (SA 1): 'spi' wants a whole number, got '-1'" },
		{ "{\"spi\": 1.5}", "f line 1 (SA 1): spi: expected a whole number, got '1.5'" },
		{ "{\"src\": 10}", "f line 1 (SA 1): 'src' wants a string, got '10'" },
		{ "{\"src\": \"\"}", "f line 1 (SA 1): 'src' is empty" },
		{ "{\"aead\": \"rfc4106\"}", "f line 1 (SA 1): 'aead' wants an object, got '\"rfc4106\"'" },
		{ "{\"aead\": {\"name\": \"rfc4106(gcm(aes))\", \"icv-bits\": 128}}",
		  "f line 1 (SA 1): 'aead' has no key (list the SAs with -k)" },
		{ "{\"aead\": {\"key\": \"" K20 "\", \"icv-bits\": 128}}",
		  "f line 1 (SA 1): 'aead' has no 'name'" },
		{ "{\"aead\": {\"name\": \"rfc4106(gcm(aes))\", \"key\": \"" K20 "\"}}",
		  "f line 1 (SA 1): 'aead' has no 'icv-bits'" },
		{ "{\"enc\": {\"name\": \"aes\", \"key\": \"" K16 "\", \"key-bits\": 256}}",
		  "f line 1 (SA 1): 'enc': key-bits 256, but the key has 128" },
		{ "{\"enc\": {\"name\": \"aes\", \"key\": \"-\"}}",
		  "f line 1 (SA 1): the key of 'enc' must be 0xHEX" },
		{ "{\"enc\": {\"name\": \"aes\", \"key\": \"@/etc/shadow\"}}",
		  "f line 1 (SA 1): the key of 'enc' must be 0xHEX" },
		{ "{\"comp\": {\"name\": \"deflate\", \"key\": \"" K16 "\"}}",
		  "f line 1 (SA 1): unknown member 'key' in 'comp'" },
		{ "{\"encap\": {\"type\": \"espinudp\", \"sport\": 4500, \"dport\": 4500}}",
		  "f line 1 (SA 1): 'encap' has no 'oaddr'" },
		{ "{\"mark\": {\"value\": 1, \"value\": 2}}",
		  "f line 1 (SA 1): 'value' given twice in 'mark'" },
		{ "{\"flags\": \"esn\"}", "f line 1 (SA 1): expected '[', got '\"esn\"'" },
		{ "{\"src\" \"10.0.0.1\"}", "f line 1 (SA 1): expected ':', got '\"10.0.0.1\"'" },
		{ "{\"src\": \"10.0.0.1\"", "f line 1 (SA 1): expected '}', got the end of the file" },
		{ "[{\"src\": \"a\tb\"}]", "f line 1 (SA 1): src: control byte 0x09 in a string" },
		{ "[{\"src\": \"a\\qb\"}]", "f line 1 (SA 1): src: bad escape '\\q'" },
		{ "[{\"src\": \"a\\u00\"}]", "f line 1 (SA 1): src: bad \\u escape" },
		{ "[{\"src\": \"a\\u0000\"}]", "f line 1 (SA 1): src: \\u0000 is not allowed here" },
		{ "[{\"src\": \"a\\ud800\"}]", "f line 1 (SA 1): src: \\ud800 is not allowed here" },
		{ "[{\"current\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]",
		  "f line 1 (SA 1): nested too deep" },
		{ "[{\"current\": {\"x\": nul}}]", "f line 1 (SA 1): expected a value, got 'nul'" },
		{ "[]\n]", "f line 2: unexpected ']' after the SAs" },
		{ "[\n\n", "f line 3 (SA 1): 'SA' wants an object, got the end of the file" },
		{ "{\"src\": \"10.0.0.1\", \"dst\": \"10.0.0.2\", \"proto\": \"esp\", \"spi\": 1,\n"
		  "\"enc\": {\"name\": \"aes\", \"key\": \"" K16 "\"}, \"mode\": \"sideways\"}",
		  "f line 1 (SA 1): unknown mode 'sideways' (transport, tunnel, beet, ro, in_trigger)" },
		{ "[{\"src\": \"10.0.0.1\", \"dst\": \"10.0.0.2\", \"proto\": \"esp\", \"spi\": 1}]",
		  "f line 1 (SA 1): an esp SA needs 'enc' or 'aead'" },
	};
	struct xc_err err;
	struct got g;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].text, &g, &err);

		if (r != -EINVAL || strcmp(err.msg, cases[i].msg))
			fail_msg("case %zu: %d '%s', want '%s'", i, r, err.msg, cases[i].msg);
	}
}

static void test_read_file(void **state)
{
	static const char line[] = "add src 1.1.1.1 dst 2.2.2.2 proto esp spi 5 enc aes " K16 "\n";
	char path[] = "/tmp/xfrmctl-safile-XXXXXX";
	struct xc_err err;
	struct got g;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, line, sizeof(line) - 1), sizeof(line) - 1);
	close(fd);
	memset(&g, 0, sizeof(g));
	assert_int_equal(xc_safile_read(path, collect, &g, &err), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.at[0].file, path);
	unlink(path);
	assert_int_equal(xc_safile_read(path, collect, &g, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "cannot read SA file '/tmp/xfrmctl-safile-"));
	assert_non_null(strstr(err.msg, "': No such file or directory"));
	assert_int_equal(xc_safile_read("/tmp", collect, &g, &err), -EISDIR);
	assert_string_equal(err.msg, "cannot read SA file '/tmp': Is a directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_lines),
		cmocka_unit_test(test_add_errors),
		cmocka_unit_test(test_json_list),
		cmocka_unit_test(test_json_one),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_read_file),
	};
	return cmocka_run_group_tests_name("safile", tests, NULL, NULL);
}
