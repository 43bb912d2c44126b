/* The algorithm table against the RFCs and the kernel's xfrm_algo.c (Linux
 * 6.1): names and compat names, key sizes (salt or nonce included), ICV and
 * truncation lengths, block and IV sizes; the messages; suggestions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "algo.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

struct want {
	enum xc_alg_kind kind;
	const char *name;
	const char *compat;          /* the kernel's compat name, if any */
	unsigned short keys[4];      /* allowed key bytes (0-ended) … */
	unsigned short kmin, kmax;   /* … or a range when keys[0] is 0 */
	unsigned short salt;
	unsigned short icv[4];       /* AEAD: ICV bits */
	unsigned short full, trunc;  /* auth: digest bits, kernel's default truncation */
	unsigned short block, iv;    /* bytes */
	const char *source;
};

static const struct want algs[] = {
	/* AEAD: AES key + 4-byte salt; CCM: + 3-byte nonce salt */
	{ XC_ALG_AEAD, "rfc4106(gcm(aes))", NULL, { 20, 28, 36 }, 0, 0, 4, { 64, 96, 128 },
	  0, 0, 1, 8, "RFC 4106" },
	{ XC_ALG_AEAD, "rfc4309(ccm(aes))", NULL, { 19, 27, 35 }, 0, 0, 3, { 64, 96, 128 },
	  0, 0, 1, 8, "RFC 4309" },
	{ XC_ALG_AEAD, "rfc4543(gcm(aes))", NULL, { 20, 28, 36 }, 0, 0, 4, { 128 },
	  0, 0, 1, 8, "RFC 4543" },
	{ XC_ALG_AEAD, "rfc7539esp(chacha20,poly1305)", NULL, { 36 }, 0, 0, 4, { 128 },
	  0, 0, 1, 8, "RFC 7634" },
	/* encryption */
	{ XC_ALG_ENC, "ecb(cipher_null)", "cipher_null", { 0 }, 0, 0, 0, { 0 }, 0, 0, 1, 0,
	  "RFC 2410" },
	{ XC_ALG_ENC, "cbc(aes)", "aes", { 16, 24, 32 }, 0, 0, 0, { 0 }, 0, 0, 16, 16,
	  "RFC 3602" },
	{ XC_ALG_ENC, "rfc3686(ctr(aes))", NULL, { 20, 28, 36 }, 0, 0, 4, { 0 }, 0, 0, 1, 8,
	  "RFC 3686" },
	{ XC_ALG_ENC, "cbc(des3_ede)", "des3_ede", { 24 }, 0, 0, 0, { 0 }, 0, 0, 8, 8,
	  "RFC 2451" },
	{ XC_ALG_ENC, "cbc(des)", "des", { 8 }, 0, 0, 0, { 0 }, 0, 0, 8, 8, "RFC 2405" },
	{ XC_ALG_ENC, "cbc(cast5)", "cast5", { 0 }, 5, 16, 0, { 0 }, 0, 0, 8, 8,
	  "RFC 2451: 40 to 128 bits" },
	{ XC_ALG_ENC, "cbc(blowfish)", "blowfish", { 0 }, 5, 56, 0, { 0 }, 0, 0, 8, 8,
	  "RFC 2451: 40 to 448 bits" },
	{ XC_ALG_ENC, "cbc(serpent)", "serpent", { 16, 24, 32 }, 0, 0, 0, { 0 }, 0, 0, 16, 16,
	  "128, 192, 256 bits as in AES" },
	{ XC_ALG_ENC, "cbc(camellia)", "camellia", { 16, 24, 32 }, 0, 0, 0, { 0 }, 0, 0, 16, 16,
	  "RFC 4312" },
	{ XC_ALG_ENC, "cbc(twofish)", "twofish", { 16, 24, 32 }, 0, 0, 0, { 0 }, 0, 0, 16, 16,
	  "128, 192, 256 bits as in AES" },
	/* authentication: key as long as the digest; the kernel's `auth`
	 * (no trunc) truncates to 96 bits but for SHA-384/512 (RFC 4868) */
	{ XC_ALG_AUTH, "digest_null", NULL, { 0 }, 0, 0, 0, { 0 }, 0, 0, 0, 0, "RFC 2410" },
	{ XC_ALG_AUTH, "hmac(md5)", "md5", { 16 }, 0, 0, 0, { 0 }, 128, 96, 0, 0, "RFC 2403" },
	{ XC_ALG_AUTH, "hmac(sha1)", "sha1", { 20 }, 0, 0, 0, { 0 }, 160, 96, 0, 0, "RFC 2404" },
	{ XC_ALG_AUTH, "hmac(sha256)", "sha256", { 32 }, 0, 0, 0, { 0 }, 256, 96, 0, 0,
	  "RFC 4868; kernel truncbits 96" },
	{ XC_ALG_AUTH, "hmac(sha384)", NULL, { 48 }, 0, 0, 0, { 0 }, 384, 192, 0, 0, "RFC 4868" },
	{ XC_ALG_AUTH, "hmac(sha512)", NULL, { 64 }, 0, 0, 0, { 0 }, 512, 256, 0, 0, "RFC 4868" },
	{ XC_ALG_AUTH, "hmac(rmd160)", "rmd160", { 20 }, 0, 0, 0, { 0 }, 160, 96, 0, 0,
	  "RFC 2857" },
	{ XC_ALG_AUTH, "xcbc(aes)", NULL, { 16 }, 0, 0, 0, { 0 }, 128, 96, 0, 0, "RFC 3566" },
	{ XC_ALG_AUTH, "cmac(aes)", NULL, { 16 }, 0, 0, 0, { 0 }, 128, 96, 0, 0, "RFC 4494" },
};

static bool key_ok(const struct want *w, size_t len)
{
	if (!w->keys[0])
		return len >= w->kmin && len <= w->kmax;
	for (size_t i = 0; i < N_ELEM(w->keys) && w->keys[i]; i++)
		if (len == w->keys[i])
			return true;
	return false;
}

static bool icv_ok(const struct want *w, unsigned int bits)
{
	if (w->kind == XC_ALG_AUTH)
		return bits >= 8 && bits <= w->full && bits % 8 == 0;
	for (size_t i = 0; i < N_ELEM(w->icv) && w->icv[i]; i++)
		if (bits == w->icv[i])
			return true;
	return false;
}

/* In a loop over the table, say which entry failed. */
#define EXPECT(cond, fmt, ...)                                                        \
	do {                                                                          \
		if (!(cond))                                                          \
			fail_msg("%s (%s): " fmt, w->name, w->source, __VA_ARGS__); \
	} while (0)

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(algs); i++) {
		const struct want *w = &algs[i];
		const struct xc_alg_info *a = xc_alg_find(w->kind, w->name);
		struct xc_err err = { "" };
		int r;

		EXPECT(a, "%s", "not found");
		EXPECT(!strcmp(a->name, w->name), "named '%s'", a->name);
		EXPECT(a->kind == w->kind, "kind %d", a->kind);
		EXPECT(a->salt == w->salt, "salt %u", a->salt);
		if (w->compat)
			EXPECT(xc_alg_find(w->kind, w->compat) == a, "not found as '%s'",
			       w->compat);
		for (size_t len = 0; len <= 600; len++) {
			r = xc_alg_check_key(a, len, &err);
			EXPECT(key_ok(w, len) ? r == 0 : r == -EINVAL, "key of %zu bytes: %d", len,
			       r);
		}
		if (w->kind == XC_ALG_AEAD || w->kind == XC_ALG_AUTH)
			for (unsigned int bits = 0; bits <= 1024; bits++) {
				r = xc_alg_check_icv(a, bits, &err);
				EXPECT(icv_ok(w, bits) ? r == 0 : r == -EINVAL, "ICV of %u bits: %d",
				       bits, r);
			}
		if (w->kind == XC_ALG_AUTH) {
			EXPECT(a->full_bits == w->full, "digest of %u bits", a->full_bits);
			EXPECT(a->trunc_bits == w->trunc, "default truncation %u bits",
			       a->trunc_bits);
		} else {
			EXPECT(a->block == w->block, "block of %u bytes", a->block);
			EXPECT(a->iv == w->iv, "IV of %u bytes", a->iv);
		}
	}
}

static void test_comp(void **state)
{
	static const char *const names[] = { "deflate", "lzs", "lzjh" };

	(void)state;
	for (size_t i = 0; i < N_ELEM(names); i++) {
		const struct xc_alg_info *a = xc_alg_find(XC_ALG_COMP, names[i]);

		assert_non_null(a);
		assert_string_equal(a->name, names[i]);
		assert_null(xc_alg_find(XC_ALG_ENC, names[i]));
	}
}

static void test_find_exact(void **state)
{
	(void)state;
	/* the kind matters */
	assert_null(xc_alg_find(XC_ALG_AEAD, "cbc(aes)"));
	assert_null(xc_alg_find(XC_ALG_ENC, "rfc4106(gcm(aes))"));
	assert_null(xc_alg_find(XC_ALG_ENC, "hmac(sha256)"));
	assert_null(xc_alg_find(XC_ALG_AUTH, "aes"));
	/* exact: no case folding, no blanks, no prefixes */
	assert_null(xc_alg_find(XC_ALG_ENC, "CBC(AES)"));
	assert_null(xc_alg_find(XC_ALG_ENC, "cbc(aes) "));
	assert_null(xc_alg_find(XC_ALG_ENC, "cbc(aes"));
	assert_null(xc_alg_find(XC_ALG_ENC, "cbc"));
	assert_null(xc_alg_find(XC_ALG_ENC, ""));
	/* GCM is an AEAD only in its ESP form */
	assert_null(xc_alg_find(XC_ALG_AEAD, "gcm(aes)"));
	assert_null(xc_alg_find(XC_ALG_AEAD, "ccm(aes)"));
}

static void check_key_msg(const char *name, enum xc_alg_kind kind, size_t len, const char *msg)
{
	struct xc_err err = { "" };

	assert_int_equal(xc_alg_check_key(xc_alg_find(kind, name), len, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
}

static void check_icv_msg(const char *name, enum xc_alg_kind kind, unsigned int bits,
			  const char *msg)
{
	struct xc_err err = { "" };

	assert_int_equal(xc_alg_check_icv(xc_alg_find(kind, name), bits, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
}

static void test_messages(void **state)
{
	(void)state;
	check_key_msg("rfc4106(gcm(aes))", XC_ALG_AEAD, 16,
		      "key for 'rfc4106(gcm(aes))' must be 20, 28 or 36 bytes (salt included), got 16");
	check_key_msg("rfc4309(ccm(aes))", XC_ALG_AEAD, 20,
		      "key for 'rfc4309(ccm(aes))' must be 19, 27 or 35 bytes (salt included), got 20");
	check_key_msg("rfc7539esp(chacha20,poly1305)", XC_ALG_AEAD, 32,
		      "key for 'rfc7539esp(chacha20,poly1305)' must be 36 bytes (salt included), got 32");
	check_key_msg("rfc3686(ctr(aes))", XC_ALG_ENC, 16,
		      "key for 'rfc3686(ctr(aes))' must be 20, 28 or 36 bytes (salt included), got 16");
	check_key_msg("aes", XC_ALG_ENC, 20,
		      "key for 'cbc(aes)' must be 16, 24 or 32 bytes, got 20");
	check_key_msg("cbc(des3_ede)", XC_ALG_ENC, 16,
		      "key for 'cbc(des3_ede)' must be 24 bytes, got 16");
	check_key_msg("cbc(cast5)", XC_ALG_ENC, 17,
		      "key for 'cbc(cast5)' must be 5 to 16 bytes, got 17");
	check_key_msg("cbc(blowfish)", XC_ALG_ENC, 4,
		      "key for 'cbc(blowfish)' must be 5 to 56 bytes, got 4");
	check_key_msg("hmac(sha256)", XC_ALG_AUTH, 16,
		      "key for 'hmac(sha256)' must be 32 bytes, got 16");
	check_key_msg("ecb(cipher_null)", XC_ALG_ENC, 16,
		      "'ecb(cipher_null)' takes no key, got 16 bytes");
	check_key_msg("digest_null", XC_ALG_AUTH, 20, "'digest_null' takes no key, got 20 bytes");

	check_icv_msg("rfc4106(gcm(aes))", XC_ALG_AEAD, 100,
		      "ICV for 'rfc4106(gcm(aes))' must be 64, 96 or 128 bits, got 100");
	check_icv_msg("rfc4543(gcm(aes))", XC_ALG_AEAD, 96,
		      "ICV for 'rfc4543(gcm(aes))' must be 128 bits, got 96");
	check_icv_msg("hmac(sha256)", XC_ALG_AUTH, 300,
		      "truncation for 'hmac(sha256)' must be a multiple of 8 from 8 to 256 bits, got 300");
	check_icv_msg("hmac(sha256)", XC_ALG_AUTH, 0,
		      "truncation for 'hmac(sha256)' must be a multiple of 8 from 8 to 256 bits, got 0");
	check_icv_msg("hmac(sha1)", XC_ALG_AUTH, 100,
		      "truncation for 'hmac(sha1)' must be a multiple of 8 from 8 to 160 bits, got 100");
}

static void suggests(enum xc_alg_kind kind, const char *typed, const char *want)
{
	const char *got = xc_alg_suggest(kind, typed);

	if (!want) {
		if (got)
			fail_msg("'%s': suggested '%s', wanted nothing", typed, got);
		return;
	}
	if (!got)
		fail_msg("'%s': no suggestion, wanted '%s'", typed, want);
	assert_string_equal(got, want);
}

static void test_suggest(void **state)
{
	char longname[200];

	(void)state;
	/* the bare crypto API names of the ESP AEADs */
	suggests(XC_ALG_AEAD, "gcm(aes)", "rfc4106(gcm(aes))");
	suggests(XC_ALG_AEAD, "ccm(aes)", "rfc4309(ccm(aes))");
	suggests(XC_ALG_AEAD, "chacha20,poly1305", "rfc7539esp(chacha20,poly1305)");
	/* typing slips */
	suggests(XC_ALG_ENC, "cbc(aes", "cbc(aes)");
	suggests(XC_ALG_ENC, "cbc(aes))", "cbc(aes)");
	suggests(XC_ALG_ENC, "cbc(des3-ede)", "cbc(des3_ede)");
	suggests(XC_ALG_AUTH, "hmac(sha265)", "hmac(sha256)");
	suggests(XC_ALG_AUTH, "hmac(sha-1)", "hmac(sha1)");
	suggests(XC_ALG_COMP, "deflat", "deflate");
	/* nothing close */
	suggests(XC_ALG_AEAD, "", NULL);
	suggests(XC_ALG_ENC, "", NULL);
	suggests(XC_ALG_ENC, "rot13-with-extra-salt", NULL);
	suggests(XC_ALG_AUTH, "poly1305-or-so", NULL);
	memset(longname, 'q', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	suggests(XC_ALG_ENC, longname, NULL);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(xc_alg_kind_name(XC_ALG_AEAD), "aead");
	assert_string_equal(xc_alg_kind_name(XC_ALG_ENC), "enc");
	assert_string_equal(xc_alg_kind_name(XC_ALG_AUTH), "auth");
	assert_string_equal(xc_alg_kind_name(XC_ALG_COMP), "comp");
	assert_string_equal(xc_alg_kind_name(XC_ALG_KINDS), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_comp),
		cmocka_unit_test(test_find_exact),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_kind_names),
	};
	return cmocka_run_group_tests_name("algo", tests, NULL, NULL);
}
