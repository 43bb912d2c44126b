#include "algo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct xc_alg_info algs[] = {
	/* AEAD: key + 4-byte salt (3-byte nonce for CCM), RFC 4106/4309/4543/7634 */
	{ "rfc4106(gcm(aes))", NULL, XC_ALG_AEAD, { 20, 28, 36 }, 0, 0, 4, { 64, 96, 128 }, 0, 0, 1, 8 },
	{ "rfc4309(ccm(aes))", NULL, XC_ALG_AEAD, { 19, 27, 35 }, 0, 0, 3, { 64, 96, 128 }, 0, 0, 1, 8 },
	{ "rfc4543(gcm(aes))", NULL, XC_ALG_AEAD, { 20, 28, 36 }, 0, 0, 4, { 128 }, 0, 0, 1, 8 },
	{ "rfc7539esp(chacha20,poly1305)", NULL, XC_ALG_AEAD, { 36 }, 0, 0, 4, { 128 }, 0, 0, 1, 8 },
	/* encryption */
	{ "ecb(cipher_null)", "cipher_null", XC_ALG_ENC, { 0 }, 0, 0, 0, { 0 }, 0, 0, 1, 0 },
	{ "cbc(aes)", "aes", XC_ALG_ENC, { 16, 24, 32 }, 0, 0, 0, { 0 }, 0, 0, 16, 16 },
	{ "rfc3686(ctr(aes))", "ctr(aes)", XC_ALG_ENC, { 20, 28, 36 }, 0, 0, 4, { 0 }, 0, 0, 1, 8 },
	{ "cbc(des3_ede)", "des3_ede", XC_ALG_ENC, { 24 }, 0, 0, 0, { 0 }, 0, 0, 8, 8 },
	{ "cbc(des)", "des", XC_ALG_ENC, { 8 }, 0, 0, 0, { 0 }, 0, 0, 8, 8 },
	{ "cbc(cast5)", "cast5", XC_ALG_ENC, { 0 }, 5, 16, 0, { 0 }, 0, 0, 8, 8 },
	{ "cbc(blowfish)", "blowfish", XC_ALG_ENC, { 0 }, 5, 56, 0, { 0 }, 0, 0, 8, 8 },
	{ "cbc(serpent)", "serpent", XC_ALG_ENC, { 16, 24, 32 }, 0, 0, 0, { 0 }, 0, 0, 16, 16 },
	{ "cbc(camellia)", "camellia", XC_ALG_ENC, { 16, 24, 32 }, 0, 0, 0, { 0 }, 0, 0, 16, 16 },
	{ "cbc(twofish)", "twofish", XC_ALG_ENC, { 16, 24, 32 }, 0, 0, 0, { 0 }, 0, 0, 16, 16 },
	/* authentication: keys as long as the digest (RFC 2404, 4868), except
	 * the CBC-MACs (RFC 3566, 4494) */
	{ "digest_null", NULL, XC_ALG_AUTH, { 0 }, 0, 0, 0, { 0 }, 0, 0, 0, 0 },
	{ "hmac(md5)", "md5", XC_ALG_AUTH, { 16 }, 0, 0, 0, { 0 }, 128, 96, 0, 0 },
	{ "hmac(sha1)", "sha1", XC_ALG_AUTH, { 20 }, 0, 0, 0, { 0 }, 160, 96, 0, 0 },
	{ "hmac(sha256)", "sha256", XC_ALG_AUTH, { 32 }, 0, 0, 0, { 0 }, 256, 96, 0, 0 },
	{ "hmac(sha384)", "sha384", XC_ALG_AUTH, { 48 }, 0, 0, 0, { 0 }, 384, 192, 0, 0 },
	{ "hmac(sha512)", "sha512", XC_ALG_AUTH, { 64 }, 0, 0, 0, { 0 }, 512, 256, 0, 0 },
	{ "hmac(rmd160)", "rmd160", XC_ALG_AUTH, { 20 }, 0, 0, 0, { 0 }, 160, 96, 0, 0 },
	{ "xcbc(aes)", NULL, XC_ALG_AUTH, { 16 }, 0, 0, 0, { 0 }, 128, 96, 0, 0 },
	{ "cmac(aes)", NULL, XC_ALG_AUTH, { 16 }, 0, 0, 0, { 0 }, 128, 96, 0, 0 },
	/* compression (no key) */
	{ "deflate", NULL, XC_ALG_COMP, { 0 }, 0, 0, 0, { 0 }, 0, 0, 0, 0 },
	{ "lzs", NULL, XC_ALG_COMP, { 0 }, 0, 0, 0, { 0 }, 0, 0, 0, 0 },
	{ "lzjh", NULL, XC_ALG_COMP, { 0 }, 0, 0, 0, { 0 }, 0, 0, 0, 0 },
};

const char *xc_alg_kind_name(enum xc_alg_kind kind)
{
	static const char *const names[] = { "aead", "enc", "auth", "comp" };

	return kind < XC_ALG_KINDS ? names[kind] : "?";
}

const struct xc_alg_info *xc_alg_find(enum xc_alg_kind kind, const char *name)
{
	for (size_t i = 0; i < N_ELEM(algs); i++)
		if (algs[i].kind == kind &&
		    (!strcmp(algs[i].name, name) || (algs[i].alias && !strcmp(algs[i].alias, name))))
			return &algs[i];
	return NULL;
}

/* Levenshtein distance, capped: only small distances matter here. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (la >= N_ELEM(row) || lb >= N_ELEM(row))
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *xc_alg_suggest(enum xc_alg_kind kind, const char *name)
{
	const char *best = NULL;
	size_t best_d = 4; /* farther than 3 edits is no suggestion */

	if (!*name)
		return NULL;
	for (size_t i = 0; i < N_ELEM(algs); i++) {
		if (algs[i].kind != kind)
			continue;
		if (strstr(algs[i].name, name))
			return algs[i].name;
		size_t d = edit_distance(name, algs[i].name);
		if (d < best_d) {
			best_d = d;
			best = algs[i].name;
		}
	}
	return best;
}

/* "20, 28 or 36" */
static void list_sizes(char *buf, size_t len, const unsigned short *v, size_t n)
{
	size_t count = 0, off = 0;

	while (count < n && v[count])
		count++;
	buf[0] = '\0';
	for (size_t i = 0; i < count && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u",
					i == 0 ? "" : i + 1 == count ? " or " : ", ", v[i]);
}

int xc_alg_check_key(const struct xc_alg_info *alg, size_t key_len, struct xc_err *err)
{
	char sizes[64];

	if (!alg->key_sizes[0]) {
		if (key_len >= alg->key_min && key_len <= alg->key_max)
			return 0;
		if (alg->key_max == 0)
			xc_err_set(err, "'%s' takes no key, got %zu bytes", alg->name, key_len);
		else
			xc_err_set(err, "key for '%s' must be %u to %u bytes, got %zu", alg->name,
				   alg->key_min, alg->key_max, key_len);
		return -EINVAL;
	}
	for (size_t i = 0; i < N_ELEM(alg->key_sizes) && alg->key_sizes[i]; i++)
		if (key_len == alg->key_sizes[i])
			return 0;
	list_sizes(sizes, sizeof(sizes), alg->key_sizes, N_ELEM(alg->key_sizes));
	xc_err_set(err, "key for '%s' must be %s bytes%s, got %zu", alg->name, sizes,
		   alg->salt ? " (salt included)" : "", key_len);
	return -EINVAL;
}

int xc_alg_check_icv(const struct xc_alg_info *alg, unsigned int bits, struct xc_err *err)
{
	char sizes[64];

	if (alg->kind == XC_ALG_AUTH) {
		if (bits > 0 && bits <= alg->full_bits && bits % 8 == 0)
			return 0;
		xc_err_set(err, "truncation for '%s' must be a multiple of 8 from 8 to %u bits, got %u",
			   alg->name, alg->full_bits, bits);
		return -EINVAL;
	}
	for (size_t i = 0; i < N_ELEM(alg->icv) && alg->icv[i]; i++)
		if (bits == alg->icv[i])
			return 0;
	list_sizes(sizes, sizeof(sizes), alg->icv, N_ELEM(alg->icv));
	xc_err_set(err, "ICV for '%s' must be %s bits, got %u", alg->name, sizes, bits);
	return -EINVAL;
}
