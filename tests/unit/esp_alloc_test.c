/* The verifier's per-packet path allocates nothing: every allocation
 * OpenSSL makes goes through counting functions (set before its first), and
 * 2,000 packets verified must add none, for each kind of transform, one
 * thread and ahead of the turn alike. The exception, measured and pinned
 * here: HMAC starts each packet from copies of the keyed digest states
 * (lib/esp.c), and OpenSSL 3.0 allocates a new digest context on every
 * EVP_MD_CTX_copy_ex (its providers' dupctx), two per packet. The packets
 * are sealed here with EVP one-shots, outside the counted loop. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "esp.h"
#include "replay.h"
#include "sa.h"

#define N 2000
#define PLAIN 1408 /* a multiple of the AES block */

static long allocs;

static void *count_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	allocs++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static const uint8_t key[36] = "0123456789abcdef0123456789abcdefSALT";

struct kind {
	const char *aead, *enc, *auth;
	unsigned int key_len, icv, iv;
	const char *evp, *mac, *digest;
	long per_packet; /* OpenSSL's allocations per packet */
};

static const struct kind kinds[] = {
	{ "rfc4106(gcm(aes))", NULL, NULL, 20, 16, 8, "AES-128-GCM", NULL, NULL, 0 },
	{ "rfc7539esp(chacha20,poly1305)", NULL, NULL, 36, 16, 8, "ChaCha20-Poly1305", NULL, NULL, 0 },
	{ NULL, "cbc(aes)", NULL, 16, 0, 16, "AES-128-CBC", NULL, NULL, 0 },
	{ NULL, "cbc(aes)", "cmac(aes)", 16, 12, 16, "AES-128-CBC", "CMAC", "AES-128-CBC", 0 },
	{ NULL, "cbc(aes)", "hmac(sha256)", 16, 16, 16, "AES-128-CBC", "HMAC", "SHA256", 2 },
};

/* ESP for seq: the payload's trailer, sealed as RFC 4106/7634 or 4303 say */
static size_t seal(const struct kind *k, uint32_t seq, uint8_t *pkt)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, k->evp, NULL);
	uint8_t plain[PLAIN], nonce[16], tag[64], *iv = pkt + 8, *ct = iv + k->iv;
	size_t n;
	int outl;

	assert_non_null(x);
	assert_non_null(c);
	memset(plain, 'p', sizeof(plain));
	plain[PLAIN - 2] = 0;
	plain[PLAIN - 1] = 17;
	pkt[0] = 0, pkt[1] = 0, pkt[2] = 0x10, pkt[3] = 0;
	pkt[4] = (uint8_t)(seq >> 24), pkt[5] = (uint8_t)(seq >> 16);
	pkt[6] = (uint8_t)(seq >> 8), pkt[7] = (uint8_t)seq;
	memset(iv, (int)seq, k->iv);
	if (k->aead) {
		memcpy(nonce, key + k->key_len - 4, 4);
		memcpy(nonce + 4, iv, 8);
		assert_true(EVP_EncryptInit_ex2(x, c, key, nonce, NULL));
		assert_true(EVP_EncryptUpdate(x, NULL, &outl, pkt, 8));
		assert_true(EVP_EncryptUpdate(x, ct, &outl, plain, PLAIN));
		assert_true(EVP_EncryptFinal_ex(x, tag, &outl));
		assert_true(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, ct + PLAIN) > 0);
	} else {
		assert_true(EVP_EncryptInit_ex2(x, c, key, iv, NULL));
		assert_true(EVP_CIPHER_CTX_set_padding(x, 0));
		assert_true(EVP_EncryptUpdate(x, ct, &outl, plain, PLAIN));
		if (k->mac) {
			assert_non_null(EVP_Q_mac(NULL, k->mac, NULL, k->digest, NULL, key, 16 + 16 * !strcmp(k->mac, "HMAC"),
						  pkt, 8 + k->iv + PLAIN, tag, sizeof(tag), &n));
			memcpy(ct + PLAIN, tag, k->icv);
		}
	}
	EVP_CIPHER_free(c);
	EVP_CIPHER_CTX_free(x);
	return 8 + k->iv + PLAIN + k->icv;
}

static void sa_of(const struct kind *k, struct xc_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->info.id.proto = IPPROTO_ESP;
	sa->info.id.spi = htonl(0x1000);
	sa->info.family = AF_INET;
	sa->info.mode = XFRM_MODE_TRANSPORT;
	sa->info.replay_window = 32;
	sa->info.lft.soft_byte_limit = sa->info.lft.hard_byte_limit = XFRM_INF;
	sa->info.lft.soft_packet_limit = sa->info.lft.hard_packet_limit = XFRM_INF;
	if (k->aead) {
		sa->aead.set = true;
		strcpy(sa->aead.name, k->aead);
		memcpy(sa->aead.key, key, k->key_len);
		sa->aead.key_len = k->key_len;
		sa->aead.icv_bits = k->icv * 8;
		return;
	}
	sa->enc.set = true;
	strcpy(sa->enc.name, k->enc);
	memcpy(sa->enc.key, key, k->key_len);
	sa->enc.key_len = k->key_len;
	if (k->auth) {
		sa->auth.set = true;
		sa->auth_trunc = true;
		strcpy(sa->auth.name, k->auth);
		memcpy(sa->auth.key, key, 16 + 16 * !strcmp(k->mac, "HMAC"));
		sa->auth.key_len = 16 + 16 * !strcmp(k->mac, "HMAC");
		sa->auth.icv_bits = k->icv * 8;
	}
}

static void test_no_allocation(void **state)
{
	static uint8_t pkts[N][PLAIN + 64], out[PLAIN + 64];
	size_t len[N];

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const struct kind *k = &kinds[i];
		struct xc_esp_sa *esa, *clone;
		struct xc_esp_result res, pre;
		struct xc_err err = { "" };
		struct xc_replay r, r2;
		struct xc_sa sa;
		long before;

		for (uint32_t s = 0; s < N; s++)
			len[s] = seal(k, s + 1, pkts[s]);
		sa_of(k, &sa);
		assert_int_equal(xc_esp_sa_new(&sa, &esa, &err), 0);
		assert_int_equal(xc_esp_sa_clone(esa, &clone), 0);
		assert_int_equal(xc_replay_init_sa(&r, &sa), 0);
		r2 = r;
		/* one packet first: whatever OpenSSL sets up once */
		assert_int_equal(xc_esp_verify(esa, &r, NULL, pkts[0], len[0], out, sizeof(out), &res), 0);
		assert_int_equal(res.verdict, XC_V_OK);
		before = allocs;
		for (size_t s = 1; s < N; s++) {
			assert_int_equal(xc_esp_verify(esa, &r, NULL, pkts[s], len[s], out, sizeof(out),
						       &res), 0);
			assert_int_equal(res.verdict, XC_V_OK);
		}
		if (allocs - before != k->per_packet * (N - 1))
			fail_msg("%s %s: %ld allocations in %d packets", k->aead ? k->aead : k->enc,
				 k->auth ? k->auth : "", allocs - before, N - 1);
		/* ahead of the turn, on a clone */
		assert_int_equal(xc_esp_open_ahead(clone, NULL, pkts[0], len[0], 0, out, sizeof(out),
						   &pre), 0);
		before = allocs;
		for (size_t s = 0; s < N; s++) {
			assert_int_equal(xc_esp_open_ahead(clone, NULL, pkts[s], len[s], 0, out,
							   sizeof(out), &pre), 0);
			assert_int_equal(xc_esp_verify_opened(esa, &r2, NULL, pkts[s], len[s], &pre, out,
							      sizeof(out), &res), 0);
			assert_int_equal(res.verdict, XC_V_OK);
		}
		assert_int_equal(allocs - before, k->per_packet * N);
		xc_esp_sa_free(clone);
		xc_esp_sa_free(esa);
		xc_sa_clear(&sa);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_allocation),
	};

	/* before OpenSSL's first allocation */
	if (!CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free)) {
		fprintf(stderr, "CRYPTO_set_mem_functions failed\n");
		return 1;
	}
	return cmocka_run_group_tests_name("esp_alloc", tests, NULL, NULL);
}
