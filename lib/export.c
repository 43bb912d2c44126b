/* Wireshark's esp_sa table from SAs, and files that hold keys; see export.h.
 * The algorithm names and the key sizes Wireshark takes are those of its
 * 4.0 dissector (epan/dissectors/packet-ipsec.c): the names are the table
 * file's values, and a key size it refuses makes it decrypt nothing. */
#include "export.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "algo.h"
#include "sa.h"

/* --- the table line ------------------------------------------------------- */

struct enc_map {
	const char *kernel, *wireshark;
	unsigned char keys[3]; /* bytes (salt included) Wireshark takes; 0-ended */
};

static const struct enc_map encs[] = {
	{ "ecb(cipher_null)", "NULL", { 0 } },
	{ "cbc(aes)", "AES-CBC [RFC3602]", { 16, 24, 32 } },
	{ "rfc3686(ctr(aes))", "AES-CTR [RFC3686]", { 20, 28, 36 } },
	{ "cbc(des3_ede)", "TripleDES-CBC [RFC2451]", { 24 } },
	{ "cbc(des)", "DES-CBC [RFC2405]", { 8 } },
	{ "cbc(cast5)", "CAST5-CBC [RFC2144]", { 16 } },
	{ "cbc(blowfish)", "BLOWFISH-CBC [RFC2451]", { 16 } },
	{ "cbc(twofish)", "TWOFISH-CBC", { 16, 32 } },
};

struct auth_map {
	const char *kernel;
	unsigned int bits; /* the ICV */
	const char *wireshark;
};

static const struct auth_map auths[] = {
	{ "hmac(sha1)", 96, "HMAC-SHA-1-96 [RFC2404]" },
	{ "hmac(sha256)", 96, "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]" },
	{ "hmac(sha256)", 128, "HMAC-SHA-256-128 [RFC4868]" },
	{ "hmac(sha384)", 192, "HMAC-SHA-384-192 [RFC4868]" },
	{ "hmac(sha512)", 256, "HMAC-SHA-512-256 [RFC4868]" },
	{ "hmac(md5)", 96, "HMAC-MD5-96 [RFC2403]" },
	{ "hmac(rmd160)", 96, "MAC-RIPEMD-160-96 [RFC2857]" },
};

/* Wireshark's ICV sizes for algorithms it does not check */
static const unsigned int any_bits[] = { 64, 96, 128, 192, 256 };

/* A key as "0x…" (empty: ""), into buf of 2 * XC_KEY_MAX + 3 bytes. */
static void key_hex(const struct xc_sa_alg *a, char *buf)
{
	static const char digits[] = "0123456789abcdef";
	char *p = buf;

	if (a->key_len) {
		*p++ = '0';
		*p++ = 'x';
	}
	for (unsigned int i = 0; i < a->key_len; i++) {
		*p++ = digits[a->key[i] >> 4];
		*p++ = digits[a->key[i] & 15];
	}
	*p = '\0';
}

static bool key_ok(const unsigned char *sizes, unsigned int len)
{
	if (!sizes[0])
		return len == 0;
	for (int i = 0; i < 3 && sizes[i]; i++)
		if (sizes[i] == len)
			return true;
	return false;
}

/* The kernel's name of an algorithm given by name or alias. */
static const char *canonical(enum xc_alg_kind kind, const char *name)
{
	const struct xc_alg_info *info = xc_alg_find(kind, name);

	return info ? info->name : name;
}

static int enc_name(const struct xc_sa *sa, const char **name, struct xc_err *err)
{
	static char gcm[48];
	const char *alg;

	if (sa->aead.set) {
		alg = canonical(XC_ALG_AEAD, sa->aead.name);
		if (strcmp(alg, "rfc4106(gcm(aes))")) {
			xc_err_set(err, "Wireshark 4.0 cannot decrypt '%s'", alg);
			return -EOPNOTSUPP;
		}
		if (sa->aead.icv_bits != 64 && sa->aead.icv_bits != 96 && sa->aead.icv_bits != 128) {
			xc_err_set(err, "Wireshark 4.0 has no %u-bit ICV for AES-GCM", sa->aead.icv_bits);
			return -EOPNOTSUPP;
		}
		if (!key_ok((const unsigned char[]){ 20, 28, 36 }, sa->aead.key_len)) {
			xc_err_set(err, "Wireshark 4.0 takes no %u-byte key for '%s'", sa->aead.key_len,
				   alg);
			return -EOPNOTSUPP;
		}
		snprintf(gcm, sizeof(gcm), "AES-GCM with %u octet ICV [RFC4106]",
			 sa->aead.icv_bits / 8);
		*name = gcm;
		return 0;
	}
	alg = canonical(XC_ALG_ENC, sa->enc.name);
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		if (strcmp(encs[i].kernel, alg))
			continue;
		if (!key_ok(encs[i].keys, sa->enc.key_len)) {
			xc_err_set(err, "Wireshark 4.0 takes no %u-byte key for '%s'", sa->enc.key_len,
				   alg);
			return -EOPNOTSUPP;
		}
		*name = encs[i].wireshark;
		return 0;
	}
	xc_err_set(err, "Wireshark 4.0 cannot decrypt '%s'", alg);
	return -EOPNOTSUPP;
}

static int auth_name(const struct xc_sa *sa, const char **name, unsigned int *notes,
		     struct xc_err *err)
{
	static char any[48];
	const struct xc_alg_info *info;
	unsigned int bits;
	const char *alg;

	if (sa->aead.set || !sa->auth.set) {
		*name = "NULL";
		return 0;
	}
	info = xc_alg_find(XC_ALG_AUTH, sa->auth.name);
	alg = info ? info->name : sa->auth.name;
	if (!strcmp(alg, "digest_null")) {
		*name = "NULL";
		return 0;
	}
	/* the ICV as the kernel makes it: plain auth takes the table's
	 * truncation, auth-trunc its own (0: the table's) */
	bits = sa->auth_trunc && sa->auth.icv_bits ? sa->auth.icv_bits : info ? info->trunc_bits : 0;
	for (size_t i = 0; i < sizeof(auths) / sizeof(auths[0]); i++)
		if (!strcmp(auths[i].kernel, alg) && auths[i].bits == bits) {
			*name = auths[i].wireshark;
			return 0;
		}
	for (size_t i = 0; i < sizeof(any_bits) / sizeof(any_bits[0]); i++)
		if (any_bits[i] == bits) {
			snprintf(any, sizeof(any), "ANY %u bit authentication [no checking]", bits);
			*name = any;
			*notes |= XC_EXPORT_ICV_UNCHECKED;
			return 0;
		}
	xc_err_set(err, "Wireshark 4.0 has no %u-bit ICV ('%s')", bits, alg);
	return -EOPNOTSUPP;
}

int xc_export_wireshark(const struct xc_sa *sa, char *buf, size_t len, unsigned int *notes,
			struct xc_err *err)
{
	static const xfrm_address_t any;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char ekey[2 * XC_KEY_MAX + 3], akey[2 * XC_KEY_MAX + 3];
	const char *enc, *auth;
	size_t alen = sa->info.family == AF_INET6 ? 16 : 4;
	int n, r;

	*notes = 0;
	if (sa->info.id.proto != IPPROTO_ESP) {
		xc_err_set(err, "not an ESP SA");
		return -EOPNOTSUPP;
	}
	if (sa->info.family != AF_INET && sa->info.family != AF_INET6) {
		xc_err_set(err, "address family %u", sa->info.family);
		return -EOPNOTSUPP;
	}
	if ((r = enc_name(sa, &enc, err)) < 0 || (r = auth_name(sa, &auth, notes, err)) < 0)
		return r;
	if (sa->info.flags & XFRM_STATE_ESN)
		*notes |= XC_EXPORT_ESN;
	if (!memcmp(&sa->info.saddr, &any, alen))
		strcpy(src, "*");
	else
		inet_ntop(sa->info.family, &sa->info.saddr, src, sizeof(src));
	inet_ntop(sa->info.family, &sa->info.id.daddr, dst, sizeof(dst));
	key_hex(sa->aead.set ? &sa->aead : &sa->enc, ekey);
	if (sa->aead.set || !strcmp(auth, "NULL"))
		akey[0] = '\0';
	else
		key_hex(&sa->auth, akey);
	n = snprintf(buf, len, "\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"%s\",\"%s\",\"%s\"\n",
		     sa->info.family == AF_INET ? "IPv4" : "IPv6", src, dst,
		     ntohl(sa->info.id.spi), enc, ekey, auth, akey);
	explicit_bzero(ekey, sizeof(ekey));
	explicit_bzero(akey, sizeof(akey));
	if (n < 0 || (size_t)n >= len) {
		if (len)
			explicit_bzero(buf, len);
		return -ENOSPC;
	}
	return n;
}

/* --- the file ------------------------------------------------------------- */

#define FILE_BUF 8192

struct xc_secret_file {
	char *path, *tmp;
	FILE *f;
	char buf[FILE_BUF]; /* stdio's buffer: keys pass through it */
	int err;
};

static void secret_free(struct xc_secret_file *s)
{
	if (s->f)
		fclose(s->f);
	explicit_bzero(s->buf, sizeof(s->buf));
	free(s->path);
	free(s->tmp);
	free(s);
}

int xc_secret_file_open(const char *path, struct xc_secret_file **out, struct xc_err *err)
{
	struct xc_secret_file *s = calloc(1, sizeof(*s));
	char *d = NULL, *b = NULL;
	int fd = -1, r = -ENOMEM;

	*out = NULL;
	if (!s || !(s->path = strdup(path)) || !(d = strdup(path)) || !(b = strdup(path)))
		goto out;
	if (asprintf(&s->tmp, "%s/.%s.XXXXXX", dirname(d), basename(b)) < 0) {
		s->tmp = NULL;
		goto out;
	}
	fd = mkostemp(s->tmp, O_CLOEXEC); /* 0600 */
	if (fd < 0) {
		r = -errno;
		xc_err_set(err, "cannot write '%s': %s", path, strerror(errno));
		free(s->tmp);
		s->tmp = NULL; /* nothing to remove */
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || !(s->f = fdopen(fd, "w"))) {
		r = -errno;
		xc_err_set(err, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	setvbuf(s->f, s->buf, _IOFBF, sizeof(s->buf));
	*out = s;
	s = NULL;
	r = 0;
out:
	free(d);
	free(b);
	if (s)
		xc_secret_file_abort(s);
	return r;
}

int xc_secret_file_write(struct xc_secret_file *s, const char *buf, size_t len)
{
	if (!s->err && fwrite(buf, 1, len, s->f) != len)
		s->err = errno ? -errno : -EIO;
	return s->err;
}

int xc_secret_file_commit(struct xc_secret_file *s, struct xc_err *err)
{
	int r = s->err;

	if (!r && (fflush(s->f) == EOF || fsync(fileno(s->f)) < 0))
		r = -errno;
	if (fclose(s->f) == EOF && !r)
		r = -errno;
	s->f = NULL;
	if (!r && rename(s->tmp, s->path) < 0)
		r = -errno;
	if (r) {
		xc_err_set(err, "writing '%s': %s", s->path, strerror(-r));
		unlink(s->tmp);
	}
	secret_free(s);
	return r;
}

void xc_secret_file_abort(struct xc_secret_file *s)
{
	if (!s)
		return;
	if (s->tmp)
		unlink(s->tmp);
	secret_free(s);
}
