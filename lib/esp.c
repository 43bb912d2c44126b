/* ESP inbound verification as Linux 6.1 does it; see esp.h. Facts from
 * net/xfrm/xfrm_input.c (xfrm_input: the order of the checks, the counter
 * for each), net/ipv4/esp4.c and net/ipv6/esp6.c (esp_input: the length
 * rules, esp_remove_trailer, esp_input_done2), crypto/authenc.c and
 * authencesn.c (ICV before decryption; where seq_hi goes), crypto/gcm.c and
 * chacha20poly1305.c (the AAD of rfc4106/rfc4543/rfc7539esp), and
 * xfrm4_input.c / xfrm6_input.c (what reaches xfrm_input over UDP). */
#include "esp.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo.h"
#include "sa.h"

#ifndef IPPROTO_BEETPH
#define IPPROTO_BEETPH 94
#endif
#ifndef TCP_ENCAP_ESPINTCP
#define TCP_ENCAP_ESPINTCP 7
#endif
#define ESP_HDR 8        /* SPI + sequence number */
#define MAX_ICV 64       /* HMAC-SHA-512 untruncated */
#define MAX_PKT (INT_MAX / 2)

enum esp_kind {
	K_GCM,     /* rfc4106(gcm(aes)) */
	K_GMAC,    /* rfc4543(gcm(aes)): all authenticated, nothing encrypted */
	K_CCM,     /* rfc4309(ccm(aes)) */
	K_CHACHA,  /* rfc7539esp(chacha20,poly1305) */
	K_AUTHENC, /* a cipher (or none) with an HMAC/CMAC (or none) */
};

struct xc_esp_sa {
	enum esp_kind kind;
	uint32_t spi; /* host order */
	uint16_t family, sel_family;
	xfrm_address_t saddr;
	uint8_t mode;
	bool esn;
	uint16_t encap_type;  /* 0: none */
	uint16_t encap_sport; /* host order */
	unsigned int ivlen, icvlen, block;
	unsigned int saltlen;
	uint8_t salt[4];
	bool ctr;               /* rfc3686: counter block salt || IV || 1 */
	bool cbc;               /* a CBC cipher, chained across packets (open_authenc) */
	EVP_CIPHER_CTX *cipher; /* NULL: ecb(cipher_null) */
	EVP_MAC_CTX *mac;       /* CMAC; NULL: HMAC below, digest_null or none */
	/* HMAC (RFC 2104): the digest's state after the key ^ ipad block and
	 * after the key ^ opad block, made once; each packet works on a copy */
	EVP_MD_CTX *hmac_in, *hmac_out, *hmac_work;
	uint64_t hard_bytes, hard_packets, soft_bytes, soft_packets;
	uint64_t cur_bytes, cur_packets;
	bool expired, dying;
};

static const char *const counters[XC_V_COUNT] = {
	[XC_V_OK] = "ok",
	[XC_V_IN_ERROR] = "XfrmInError",
	[XC_V_IN_HDR_ERROR] = "XfrmInHdrError",
	[XC_V_IN_NO_STATES] = "XfrmInNoStates",
	[XC_V_IN_STATE_PROTO_ERROR] = "XfrmInStateProtoError",
	[XC_V_IN_STATE_MODE_ERROR] = "XfrmInStateModeError",
	[XC_V_IN_STATE_SEQ_ERROR] = "XfrmInStateSeqError",
	[XC_V_IN_STATE_EXPIRED] = "XfrmInStateExpired",
	[XC_V_IN_STATE_MISMATCH] = "XfrmInStateMismatch",
	[XC_V_IN_STATE_INVALID] = "XfrmInStateInvalid",
};

const char *xc_verdict_counter(enum xc_verdict v)
{
	return (unsigned int)v < XC_V_COUNT ? counters[v] : "?";
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* --- the SA --------------------------------------------------------------- */

/* OpenSSL's name for a kernel cipher with key bytes klen (salt excluded). */
static const char *evp_cipher_name(const char *kernel, unsigned int klen)
{
	static const struct {
		const char *kernel;
		const char *evp[3]; /* 16, 24, 32-byte keys */
	} map[] = {
		{ "rfc4106(gcm(aes))", { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" } },
		{ "rfc4543(gcm(aes))", { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" } },
		{ "rfc4309(ccm(aes))", { "AES-128-CCM", "AES-192-CCM", "AES-256-CCM" } },
		{ "cbc(aes)", { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" } },
		{ "rfc3686(ctr(aes))", { "AES-128-CTR", "AES-192-CTR", "AES-256-CTR" } },
		{ "cbc(camellia)", { "CAMELLIA-128-CBC", "CAMELLIA-192-CBC", "CAMELLIA-256-CBC" } },
		{ "cbc(des3_ede)", { NULL, "DES-EDE3-CBC", NULL } },
		{ "rfc7539esp(chacha20,poly1305)", { NULL, NULL, "ChaCha20-Poly1305" } },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].kernel, kernel))
			return klen == 16 ? map[i].evp[0] : klen == 24 ? map[i].evp[1] :
			       klen == 32 ? map[i].evp[2] : NULL;
	return NULL;
}

static int set_cipher(struct xc_esp_sa *e, const struct xc_alg_info *info,
		      const struct xc_sa_alg *alg, struct xc_err *err)
{
	unsigned int klen = alg->key_len - info->salt;
	const char *name = evp_cipher_name(info->name, klen);
	EVP_CIPHER *c;
	int ok;

	if (!name) {
		xc_err_set(err, "'%s' is not supported by the verifier", info->name);
		return -EOPNOTSUPP;
	}
	c = EVP_CIPHER_fetch(NULL, name, NULL);
	if (!c) {
		xc_err_set(err, "OpenSSL has no %s here", name);
		return -EOPNOTSUPP;
	}
	if (!(e->cipher = EVP_CIPHER_CTX_new())) {
		EVP_CIPHER_free(c);
		return -ENOMEM;
	}
	e->saltlen = info->salt;
	memcpy(e->salt, alg->key + klen, info->salt);
	ok = EVP_DecryptInit_ex2(e->cipher, c, NULL, NULL, NULL);
	EVP_CIPHER_free(c); /* the context holds its own reference */
	if (ok && e->kind == K_CCM) {
		/* 11-byte nonce (3-byte salt, 8-byte IV): 4-byte length field */
		ok = EVP_CIPHER_CTX_ctrl(e->cipher, EVP_CTRL_AEAD_SET_IVLEN, 11, NULL) > 0 &&
		     EVP_CIPHER_CTX_ctrl(e->cipher, EVP_CTRL_AEAD_SET_TAG, (int)e->icvlen, NULL) > 0;
	} else if (ok && (e->kind == K_GCM || e->kind == K_GMAC || e->kind == K_CHACHA)) {
		ok = EVP_CIPHER_CTX_ctrl(e->cipher, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) > 0;
	}
	ok = ok && EVP_DecryptInit_ex2(e->cipher, NULL, alg->key, NULL, NULL);
	if (ok && e->kind == K_AUTHENC)
		ok = EVP_CIPHER_CTX_set_padding(e->cipher, 0);
	/* GCM: the salt is the nonce's fixed field, set once; each packet
	 * gives its 8-byte IV as the invocation field (open_aead) */
	if (ok && (e->kind == K_GCM || e->kind == K_GMAC))
		ok = EVP_CIPHER_CTX_ctrl(e->cipher, EVP_CTRL_AEAD_SET_IV_FIXED, (int)e->saltlen,
					 e->salt) > 0;
	if (!ok) {
		xc_err_set(err, "OpenSSL refused the key for '%s'", info->name);
		return -EINVAL;
	}
	return 0;
}

/* HMAC as RFC 2104 builds it on the digest: H(K ^ opad, H(K ^ ipad, text)),
 * K the key (hashed first if longer than a block) padded with zeros to
 * the block. The two keyed states are made here; per packet, copying them
 * saves EVP_MAC's parameter round (about 3% of the HMAC-SHA256 time of a
 * 1400-byte packet). The kernel's HMAC takes a key of any length, empty
 * included. */
static int set_hmac(struct xc_esp_sa *e, const struct xc_alg_info *info,
		    const struct xc_sa_alg *alg, const char *digest, struct xc_err *err)
{
	uint8_t k[128], pad[128];
	EVP_MD *md = EVP_MD_fetch(NULL, digest, NULL);
	unsigned int klen = alg->key_len, block;
	int r = -ENOMEM, ok;

	if (!md) {
		xc_err_set(err, "OpenSSL has no %s here", digest);
		return -EOPNOTSUPP;
	}
	block = (unsigned int)EVP_MD_get_block_size(md);
	if (block > sizeof(k) || (unsigned int)EVP_MD_get_size(md) > MAX_ICV) {
		xc_err_set(err, "'%s': OpenSSL's %s has a block of %u bytes", info->name, digest,
			   block);
		r = -EOPNOTSUPP;
		goto out;
	}
	memset(k, 0, sizeof(k));
	if (klen > block) {
		ok = EVP_Digest(alg->key, klen, k, &klen, md, NULL);
		if (!ok) {
			r = -EIO;
			goto out;
		}
	} else if (klen) {
		memcpy(k, alg->key, klen);
	}
	if (!(e->hmac_in = EVP_MD_CTX_new()) || !(e->hmac_out = EVP_MD_CTX_new()) ||
	    !(e->hmac_work = EVP_MD_CTX_new()))
		goto out;
	for (unsigned int i = 0; i < block; i++)
		pad[i] = k[i] ^ 0x36;
	ok = EVP_DigestInit_ex2(e->hmac_in, md, NULL) && EVP_DigestUpdate(e->hmac_in, pad, block);
	for (unsigned int i = 0; i < block; i++)
		pad[i] = k[i] ^ 0x5c;
	ok = ok && EVP_DigestInit_ex2(e->hmac_out, md, NULL) &&
	     EVP_DigestUpdate(e->hmac_out, pad, block);
	if (!ok) {
		xc_err_set(err, "OpenSSL refused the key for '%s' (HMAC %s)", info->name, digest);
		r = -EOPNOTSUPP;
		goto out;
	}
	r = 0;
out:
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
	EVP_MD_free(md); /* the contexts hold their own references */
	return r;
}

static int set_mac(struct xc_esp_sa *e, const struct xc_alg_info *info, const struct xc_sa_alg *alg,
		   struct xc_err *err)
{
	static const struct {
		const char *kernel, *mac, *param, *value;
	} map[] = {
		{ "hmac(md5)", "HMAC", OSSL_MAC_PARAM_DIGEST, "MD5" },
		{ "hmac(sha1)", "HMAC", OSSL_MAC_PARAM_DIGEST, "SHA1" },
		{ "hmac(sha256)", "HMAC", OSSL_MAC_PARAM_DIGEST, "SHA2-256" },
		{ "hmac(sha384)", "HMAC", OSSL_MAC_PARAM_DIGEST, "SHA2-384" },
		{ "hmac(sha512)", "HMAC", OSSL_MAC_PARAM_DIGEST, "SHA2-512" },
		{ "hmac(rmd160)", "HMAC", OSSL_MAC_PARAM_DIGEST, "RIPEMD160" },
		{ "cmac(aes)", "CMAC", OSSL_MAC_PARAM_CIPHER, NULL /* by key size */ },
	};
	static const uint8_t nokey;
	OSSL_PARAM params[2];
	const char *value = NULL, *mname = NULL, *pname = NULL;
	EVP_MAC *m;
	int ok;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].kernel, info->name)) {
			mname = map[i].mac;
			pname = map[i].param;
			value = map[i].value;
		}
	if (mname && !value) /* cmac(aes): AES-128/192/256-CBC by the key */
		value = alg->key_len == 16 ? "AES-128-CBC" : alg->key_len == 24 ? "AES-192-CBC" :
			alg->key_len == 32 ? "AES-256-CBC" : NULL;
	if (!mname) {
		xc_err_set(err, "'%s' is not supported by the verifier", info->name);
		return -EOPNOTSUPP;
	}
	if (!value) { /* the kernel's aes setkey refuses it likewise */
		xc_err_set(err, "key for '%s' must be 16, 24 or 32 bytes, got %u", info->name,
			   alg->key_len);
		return -EINVAL;
	}
	if (!strcmp(mname, "HMAC"))
		return set_hmac(e, info, alg, value, err);
	if (!(m = EVP_MAC_fetch(NULL, mname, NULL))) {
		xc_err_set(err, "OpenSSL has no %s here", mname);
		return -EOPNOTSUPP;
	}
	e->mac = EVP_MAC_CTX_new(m);
	EVP_MAC_free(m);
	if (!e->mac)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(pname, (char *)value, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* the kernel's HMAC takes a key of any length, empty included */
	ok = EVP_MAC_init(e->mac, alg->key_len ? alg->key : &nokey, alg->key_len, params);
	if (!ok) {
		xc_err_set(err, "OpenSSL refused the key for '%s' (%s %s)", info->name, mname,
			   value);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int alg_lookup(enum xc_alg_kind kind, const struct xc_sa_alg *alg,
		      const struct xc_alg_info **out, struct xc_err *err)
{
	if (!(*out = xc_alg_find(kind, alg->name))) {
		xc_err_set(err, "unknown %s algorithm '%s'", xc_alg_kind_name(kind), alg->name);
		return -EINVAL;
	}
	return 0;
}

static int setup_aead(struct xc_esp_sa *e, const struct xc_sa *sa, struct xc_err *err)
{
	const struct xc_alg_info *info;
	int r;

	if ((r = alg_lookup(XC_ALG_AEAD, &sa->aead, &info, err)) < 0 ||
	    (r = xc_alg_check_key(info, sa->aead.key_len, err)) < 0 ||
	    (r = xc_alg_check_icv(info, sa->aead.icv_bits, err)) < 0)
		return r;
	e->kind = !strcmp(info->name, "rfc4543(gcm(aes))") ? K_GMAC :
		  !strcmp(info->name, "rfc4309(ccm(aes))") ? K_CCM :
		  !strcmp(info->name, "rfc7539esp(chacha20,poly1305)") ? K_CHACHA : K_GCM;
	e->ivlen = info->iv;
	e->icvlen = sa->aead.icv_bits / 8;
	e->block = 1;
	return set_cipher(e, info, &sa->aead, err);
}

static int setup_authenc(struct xc_esp_sa *e, const struct xc_sa *sa, struct xc_err *err)
{
	const struct xc_alg_info *enc, *auth = NULL;
	unsigned int bits;
	int r;

	e->kind = K_AUTHENC;
	if ((r = alg_lookup(XC_ALG_ENC, &sa->enc, &enc, err)) < 0 ||
	    (r = xc_alg_check_key(enc, sa->enc.key_len, err)) < 0)
		return r;
	e->ivlen = enc->iv;
	e->block = enc->block ? enc->block : 1;
	if (strcmp(enc->name, "ecb(cipher_null)")) {
		e->ctr = !strcmp(enc->name, "rfc3686(ctr(aes))");
		e->cbc = !e->ctr && e->ivlen == e->block;
		if ((r = set_cipher(e, enc, &sa->enc, err)) < 0)
			return r;
	}
	if (sa->auth.set && (r = alg_lookup(XC_ALG_AUTH, &sa->auth, &auth, err)) < 0)
		return r;
	if (!auth || !strcmp(auth->name, "digest_null"))
		return 0;
	/* attach_auth: the table's truncation; attach_auth_trunc: the given
	 * one, 0 meaning the table's, never more than the digest */
	bits = sa->auth_trunc && sa->auth.icv_bits ? sa->auth.icv_bits : auth->trunc_bits;
	if (bits > auth->full_bits) {
		xc_err_set(err, "truncation for '%s' must be at most %u bits, got %u", auth->name,
			   auth->full_bits, bits);
		return -EINVAL;
	}
	e->icvlen = bits / 8; /* crypto_aead_setauthsize(alg_trunc_len / 8) */
	return set_mac(e, auth, &sa->auth, err);
}

/* An SA's struct on cache lines of its own (zeroed): with --jobs, one
 * thread's turns write an SA's counters at every packet while others open
 * packets with their clones, which must not share a line with it */
static struct xc_esp_sa *esa_alloc(void)
{
	size_t n = (sizeof(struct xc_esp_sa) + 63) / 64 * 64;
	struct xc_esp_sa *e = aligned_alloc(64, n);

	if (e)
		memset(e, 0, n);
	return e;
}

int xc_esp_sa_new(const struct xc_sa *sa, struct xc_esp_sa **out, struct xc_err *err)
{
	struct xc_esp_sa *e;
	int r;

	*out = NULL;
	if (sa->info.id.proto != IPPROTO_ESP) {
		xc_err_set(err, "not an ESP SA (protocol %u)", sa->info.id.proto);
		return -EINVAL;
	}
	if (sa->aead.set && (sa->enc.set || sa->auth.set)) {
		xc_err_set(err, "an SA with aead has no enc or auth");
		return -EINVAL;
	}
	if (sa->comp.set) {
		xc_err_set(err, "an ESP SA has no comp");
		return -EINVAL;
	}
	if (!sa->aead.set && !sa->enc.set) {
		xc_err_set(err, "ESP: AEAD or CRYPT must be provided");
		return -EINVAL;
	}
	if (sa->info.mode != XFRM_MODE_TRANSPORT && sa->info.mode != XFRM_MODE_TUNNEL &&
	    sa->info.mode != XFRM_MODE_BEET) {
		xc_err_set(err, "mode %u is not one ESP runs in", sa->info.mode);
		return -EINVAL;
	}
	if ((sa->info.flags & XFRM_STATE_ESN) && !sa->has_replay_esn) {
		xc_err_set(err, "Missing required attribute for ESN");
		return -EINVAL;
	}
	if (sa->has_encap && sa->encap.encap_type != UDP_ENCAP_ESPINUDP &&
	    sa->encap.encap_type != UDP_ENCAP_ESPINUDP_NON_IKE &&
	    sa->encap.encap_type != TCP_ENCAP_ESPINTCP) {
		xc_err_set(err, "Unsupported encapsulation type for ESP");
		return -EINVAL;
	}
	if (!(e = esa_alloc()))
		return -ENOMEM;
	e->spi = ntohl(sa->info.id.spi);
	e->family = sa->info.family;
	e->saddr = sa->info.saddr;
	e->mode = sa->info.mode;
	e->sel_family = sa->info.sel.family;
	if (!e->sel_family && !(sa->info.flags & XFRM_STATE_AF_UNSPEC))
		e->sel_family = sa->info.family; /* copy_from_user_state */
	e->esn = sa->info.flags & XFRM_STATE_ESN;
	if (sa->has_encap) {
		e->encap_type = sa->encap.encap_type;
		e->encap_sport = ntohs(sa->encap.encap_sport);
	}
	e->hard_bytes = sa->info.lft.hard_byte_limit;
	e->hard_packets = sa->info.lft.hard_packet_limit;
	e->soft_bytes = sa->info.lft.soft_byte_limit;
	e->soft_packets = sa->info.lft.soft_packet_limit;
	r = sa->aead.set ? setup_aead(e, sa, err) : setup_authenc(e, sa, err);
	if (r < 0) {
		xc_esp_sa_free(e);
		return r;
	}
	*out = e;
	return 0;
}

void xc_esp_sa_free(struct xc_esp_sa *esa)
{
	if (!esa)
		return;
	EVP_CIPHER_CTX_free(esa->cipher); /* cleanses the key schedule */
	EVP_MAC_CTX_free(esa->mac);       /* likewise the CMAC key */
	EVP_MD_CTX_free(esa->hmac_in);    /* and the keyed HMAC states */
	EVP_MD_CTX_free(esa->hmac_out);
	EVP_MD_CTX_free(esa->hmac_work);
	explicit_bzero(esa, sizeof(*esa));
	free(esa);
}

void xc_esp_sa_set_lifetime(struct xc_esp_sa *esa, uint64_t bytes, uint64_t packets)
{
	esa->cur_bytes = bytes;
	esa->cur_packets = packets;
	esa->expired = false;
	esa->dying = false;
}

void xc_esp_sa_get_lifetime(const struct xc_esp_sa *esa, uint64_t *bytes, uint64_t *packets)
{
	*bytes = esa->cur_bytes;
	*packets = esa->cur_packets;
}

unsigned int xc_esp_sa_icv_len(const struct xc_esp_sa *esa)
{
	return esa->icvlen;
}

unsigned int xc_esp_sa_iv_len(const struct xc_esp_sa *esa)
{
	return esa->ivlen;
}

/* --- the frame ------------------------------------------------------------ */

static int frame_udp(struct xc_frame *f, const uint8_t *p, size_t off, size_t end,
		     uint16_t encap_port, uint16_t encap_type)
{
	size_t ulen, plen, skip;

	f->proto = IPPROTO_UDP;
	if (end - off < 8) {
		f->kind = XC_FRAME_MALFORMED;
		f->why = "truncated UDP header";
		return 0;
	}
	f->sport = get16(p + off);
	f->dport = get16(p + off + 2);
	ulen = get16(p + off + 4);
	if (ulen < 8 || ulen > end - off) { /* __udp4_lib_rcv: short_packet */
		f->kind = XC_FRAME_MALFORMED;
		f->why = "bad UDP length";
		return 0;
	}
	if (f->dport != encap_port) {
		f->kind = XC_FRAME_OTHER;
		f->why = "UDP, not to the encapsulation port";
		return 0;
	}
	off += 8;
	plen = ulen - 8;
	if (plen == 1 && p[off] == 0xff) {
		f->kind = XC_FRAME_KEEPALIVE;
		return 0;
	}
	/* xfrm4_udp_encap_rcv: ESP needs more than 8 bytes and a non-zero
	 * first word (RFC 3948); NON_IKE needs more than 16 and 8 zero bytes */
	if (encap_type == UDP_ENCAP_ESPINUDP) {
		skip = 0;
		if (plen <= 8 || !get32(p + off))
			skip = SIZE_MAX;
	} else {
		skip = 8;
		if (plen <= 16 || get32(p + off) || get32(p + off + 4))
			skip = SIZE_MAX;
	}
	if (skip == SIZE_MAX) {
		f->kind = XC_FRAME_IKE;
		return 0;
	}
	f->kind = XC_FRAME_ESP;
	f->encap_type = encap_type;
	f->esp_off = off + skip;
	f->esp_len = plen - skip;
	return 0;
}

static void frame_esp(struct xc_frame *f, size_t off, size_t end)
{
	f->kind = XC_FRAME_ESP;
	f->proto = IPPROTO_ESP;
	f->esp_off = off;
	f->esp_len = end - off;
}

/* ip_fast_csum over the header: 0 when it is right */
static uint16_t ip4_csum(const uint8_t *p, size_t ihl)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < ihl; i += 2)
		sum += get16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int frame_ip4(struct xc_frame *f, const uint8_t *p, size_t len, uint16_t port,
		     uint16_t type)
{
	size_t ihl, tot;

	f->family = AF_INET;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (len < 20 || ihl < 20 || ihl > len) {
		f->why = "truncated IPv4 header";
		return 0;
	}
	tot = get16(p + 2);
	if (tot < ihl) {
		f->why = "IPv4 total length below the header length";
		return 0;
	}
	if (ip4_csum(p, ihl)) { /* ip_rcv_core drops it: never reaches xfrm */
		f->why = "bad IPv4 header checksum";
		return 0;
	}
	memcpy(&f->saddr.a4, p + 12, 4);
	memcpy(&f->daddr.a4, p + 16, 4);
	f->proto = p[9];
	if (tot > len) {
		f->kind = XC_FRAME_TRUNCATED;
		return 0;
	}
	if (get16(p + 6) & 0x3fff) { /* MF or an offset */
		f->kind = XC_FRAME_FRAGMENT;
		return 0;
	}
	if (p[9] == IPPROTO_ESP)
		frame_esp(f, ihl, tot);
	else if (p[9] == IPPROTO_UDP)
		return frame_udp(f, p, ihl, tot, port, type);
	else {
		f->kind = XC_FRAME_OTHER;
		f->why = "not ESP";
	}
	return 0;
}

static int frame_ip6(struct xc_frame *f, const uint8_t *p, size_t len, uint16_t port,
		     uint16_t type)
{
	size_t off = 40, end;
	uint8_t nh;

	f->family = AF_INET6;
	if (len < 40) {
		f->why = "truncated IPv6 header";
		return 0;
	}
	memcpy(&f->saddr.a6, p + 8, 16);
	memcpy(&f->daddr.a6, p + 24, 16);
	end = 40 + (size_t)get16(p + 4);
	if (end == 40 && p[6] == 0) {
		f->why = "IPv6 jumbogram";
		return 0;
	}
	if (end > len) {
		f->kind = XC_FRAME_TRUNCATED;
		return 0;
	}
	nh = p[6];
	for (int hops = 0; hops < 16; hops++) {
		f->proto = nh;
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (end - off < 8) {
				f->why = "truncated IPv6 extension header";
				return 0;
			}
			nh = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			if (off > end) {
				f->why = "truncated IPv6 extension header";
				return 0;
			}
			continue;
		case IPPROTO_FRAGMENT:
			if (end - off < 8) {
				f->why = "truncated IPv6 fragment header";
				return 0;
			}
			if (get16(p + off + 2) & 0xfff9) { /* an offset, or M */
				f->kind = XC_FRAME_FRAGMENT;
				return 0;
			}
			nh = p[off]; /* an atomic fragment: its payload is whole */
			off += 8;
			continue;
		case IPPROTO_ESP:
			frame_esp(f, off, end);
			return 0;
		case IPPROTO_UDP:
			return frame_udp(f, p, off, end, port, type);
		default:
			f->kind = XC_FRAME_OTHER;
			f->why = "not ESP";
			return 0;
		}
	}
	f->why = "too many IPv6 extension headers";
	return 0;
}

int xc_esp_parse_ip(const uint8_t *pkt, size_t len, uint16_t encap_port, uint16_t encap_type,
		    struct xc_frame *f)
{
	int r;

	memset(f, 0, sizeof(*f));
	f->kind = XC_FRAME_MALFORMED;
	if (!encap_type)
		encap_type = UDP_ENCAP_ESPINUDP;
	if (encap_type != UDP_ENCAP_ESPINUDP && encap_type != UDP_ENCAP_ESPINUDP_NON_IKE)
		return -EINVAL;
	if (!encap_port)
		encap_port = 4500;
	if (!len) {
		f->why = "empty";
		return 0;
	}
	switch (pkt[0] >> 4) {
	case 4:
		r = frame_ip4(f, pkt, len, encap_port, encap_type);
		break;
	case 6:
		r = frame_ip6(f, pkt, len, encap_port, encap_type);
		break;
	default:
		f->why = "neither IPv4 nor IPv6";
		return 0;
	}
	if (f->kind == XC_FRAME_ESP && f->esp_len >= ESP_HDR) {
		f->spi = get32(pkt + f->esp_off);
		f->seq = get32(pkt + f->esp_off + 4);
	}
	return r;
}

bool xc_esp_frame_matches(const struct xc_sa *sa, const struct xc_frame *f)
{
	size_t alen = f->family == AF_INET ? 4 : 16;

	return f->kind == XC_FRAME_ESP && f->esp_len >= ESP_HDR &&
	       sa->info.id.proto == IPPROTO_ESP && sa->info.family == f->family &&
	       f->spi == ntohl(sa->info.id.spi) && !memcmp(&f->daddr, &sa->info.id.daddr, alen);
}

/* --- crypto --------------------------------------------------------------- */

/* The AAD of the AEAD transforms: SPI, [seq_hi,] seq_lo (RFC 4106 §5,
 * RFC 4543 §3.3, RFC 7634 §2.1), which is also what esp_input_set_header
 * lays out for the kernel's rfc4106/rfc4543/rfc7539esp. */
static size_t aead_hdr(const struct xc_esp_sa *e, const uint8_t *pkt, uint32_t seq_hi,
		       uint8_t *aad)
{
	memcpy(aad, pkt, 4);
	if (!e->esn) {
		memcpy(aad + 4, pkt + 4, 4);
		return 8;
	}
	put32(aad + 4, seq_hi);
	memcpy(aad + 8, pkt + 4, 4);
	return 12;
}

/* CCM, ChaCha20-Poly1305: the nonce is the salt (keying material) and the
 * packet's IV, on the stack for this call only. */
static bool init_nonce(const struct xc_esp_sa *e, EVP_CIPHER_CTX *c, const uint8_t *iv)
{
	uint8_t nonce[12];
	bool ok;

	memcpy(nonce, e->salt, e->saltlen);
	memcpy(nonce + e->saltlen, iv, 8);
	ok = EVP_DecryptInit_ex2(c, NULL, NULL, nonce, NULL);
	explicit_bzero(nonce, sizeof(nonce));
	return ok;
}

/* 0: authentic, plaintext in out; -EBADMSG: ICV; -EIO: OpenSSL failed. */
static int open_aead(struct xc_esp_sa *e, const uint8_t *pkt, const uint8_t *ct, size_t ctlen,
		     uint32_t seq_hi, uint8_t *out)
{
	const uint8_t *iv = pkt + ESP_HDR;
	uint8_t aad[12], tag[16];
	size_t aadlen = aead_hdr(e, pkt, seq_hi, aad);
	EVP_CIPHER_CTX *c = e->cipher;
	int n, ok;

	memcpy(tag, ct + ctlen, e->icvlen);
	if (e->kind == K_CCM) {
		/* the expected tag first, then the nonce, the total length, the
		 * AAD; the last update verifies */
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)e->icvlen, tag) <= 0 ||
		    !init_nonce(e, c, iv) ||
		    !EVP_DecryptUpdate(c, NULL, &n, NULL, (int)ctlen) ||
		    !EVP_DecryptUpdate(c, NULL, &n, aad, (int)aadlen))
			return -EIO;
		ok = EVP_DecryptUpdate(c, out, &n, ct, (int)ctlen) > 0;
		return ok ? 0 : -EBADMSG;
	}
	if (e->kind == K_GCM || e->kind == K_GMAC) {
		/* the tag, and the IV after the salt set at the start: one call
		 * to the provider, not the round of parameter lookups of
		 * EVP_DecryptInit_ex2 (OpenSSL 3.0) and another of the tag's
		 * ctrl, per packet */
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, e->icvlen),
			OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV,
							  (void *)iv, 8),
			OSSL_PARAM_construct_end(),
		};

		if (!EVP_CIPHER_CTX_set_params(c, params))
			return -EIO;
	} else if (!init_nonce(e, c, iv)) {
		return -EIO;
	}
	if (!EVP_DecryptUpdate(c, NULL, &n, aad, (int)aadlen))
		return -EIO;
	if (e->kind == K_GMAC) {
		/* RFC 4543: the IV and the payload are AAD as well */
		if (!EVP_DecryptUpdate(c, NULL, &n, iv, 8) ||
		    (ctlen && !EVP_DecryptUpdate(c, NULL, &n, ct, (int)ctlen)))
			return -EIO;
		memcpy(out, ct, ctlen);
	} else if (ctlen && !EVP_DecryptUpdate(c, out, &n, ct, (int)ctlen)) {
		return -EIO;
	}
	if (e->kind == K_CHACHA &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)e->icvlen, tag) <= 0)
		return -EIO;
	return EVP_DecryptFinal_ex(c, out + ctlen, &n) > 0 ? 0 : -EBADMSG;
}

/* authenc/authencesn: the ICV over SPI, seq_lo, IV, ciphertext [, seq_hi]
 * (RFC 4303 §2.2.1) first; then the block rule; then decryption. */
static int open_authenc(struct xc_esp_sa *e, const uint8_t *pkt, const uint8_t *ct, size_t ctlen,
			uint32_t seq_hi, uint8_t *out)
{
	uint8_t mac[MAX_ICV], hi[4], iv[16];
	size_t n;
	int outl;

	if (e->hmac_in) {
		EVP_MD_CTX *w = e->hmac_work;
		uint8_t inner[MAX_ICV];
		unsigned int in_len, out_len;
		int ok;

		put32(hi, seq_hi);
		ok = EVP_MD_CTX_copy_ex(w, e->hmac_in) &&
		     EVP_DigestUpdate(w, pkt, ESP_HDR + e->ivlen + ctlen) &&
		     (!e->esn || EVP_DigestUpdate(w, hi, 4)) && EVP_DigestFinal_ex(w, inner, &in_len) &&
		     EVP_MD_CTX_copy_ex(w, e->hmac_out) && EVP_DigestUpdate(w, inner, in_len) &&
		     EVP_DigestFinal_ex(w, mac, &out_len);
		explicit_bzero(inner, sizeof(inner));
		if (!ok || out_len < e->icvlen)
			return -EIO;
		if (CRYPTO_memcmp(mac, ct + ctlen, e->icvlen))
			return -EBADMSG;
	} else if (e->mac) {
		put32(hi, seq_hi);
		if (!EVP_MAC_init(e->mac, NULL, 0, NULL) ||
		    !EVP_MAC_update(e->mac, pkt, ESP_HDR + e->ivlen + ctlen) ||
		    (e->esn && !EVP_MAC_update(e->mac, hi, 4)) ||
		    !EVP_MAC_final(e->mac, mac, &n, sizeof(mac)) || n < e->icvlen)
			return -EIO;
		if (CRYPTO_memcmp(mac, ct + ctlen, e->icvlen))
			return -EBADMSG;
	}
	if (ctlen % e->block)
		return -EINVAL; /* cbc: the skcipher walk refuses a partial block */
	if (!e->cipher) {
		memcpy(out, ct, ctlen);
		return 0;
	}
	if (e->cbc) {
		/* No new IV through EVP_DecryptInit_ex2 (in OpenSSL 3.0 a round
		 * of parameter lookups per packet): the context chains from
		 * the last block it decrypted, so the IV fed to it as one more
		 * ciphertext block becomes the chaining value, P1 = D(C1) ^ IV.
		 * What it makes of the IV block itself is thrown away. */
		if (!EVP_DecryptUpdate(e->cipher, iv, &outl, pkt + ESP_HDR, (int)e->ivlen) ||
		    (ctlen && !EVP_DecryptUpdate(e->cipher, out, &outl, ct, (int)ctlen)))
			return -EIO;
		explicit_bzero(iv, sizeof(iv));
		return 0;
	}
	if (e->ctr) {
		memcpy(iv, e->salt, 4);
		memcpy(iv + 4, pkt + ESP_HDR, 8);
		put32(iv + 12, 1);
	} else {
		memcpy(iv, pkt + ESP_HDR, e->ivlen);
	}
	if (!EVP_DecryptInit_ex2(e->cipher, NULL, NULL, iv, NULL) ||
	    (ctlen && !EVP_DecryptUpdate(e->cipher, out, &outl, ct, (int)ctlen)))
		return -EIO;
	return 0;
}

/* --- the packet ----------------------------------------------------------- */

static enum xc_verdict drop(struct xc_esp_result *res, enum xc_verdict v, int err,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum xc_verdict drop(struct xc_esp_result *res, enum xc_verdict v, int err,
			    const char *fmt, ...)
{
	va_list ap;

	res->verdict = v;
	res->err = err;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
	return v;
}

/* xfrm_inner_mode_input() and, in transport mode, the xfrm_parse_spi() of
 * the next round: what the kernel refuses after the replay advance. */
static void inner_mode(const struct xc_esp_sa *e, const uint8_t *pl, struct xc_esp_result *res)
{
	size_t len = res->payload_len, need = 0;
	uint8_t nh = res->next_header;
	int optlen;

	switch (e->mode) {
	case XFRM_MODE_TUNNEL:
		if (nh == IPPROTO_IPIP)
			need = 20;
		else if (nh == IPPROTO_IPV6)
			need = 40;
		else {
			drop(res, XC_V_IN_STATE_MODE_ERROR, -EINVAL,
			     "tunnel mode: next header %u is neither IPv4 (4) nor IPv6 (41)", nh);
			return;
		}
		if (len < need)
			drop(res, XC_V_IN_STATE_MODE_ERROR, -EINVAL,
			     "tunnel mode: %zu bytes, short of an IPv%c header", len,
			     nh == IPPROTO_IPIP ? '4' : '6');
		return;
	case XFRM_MODE_BEET:
		/* xfrm4_remove_beet_encap; IPv6 BEET checks nothing */
		if (e->sel_family != AF_INET || nh != IPPROTO_BEETPH)
			return;
		if (len < 4) {
			drop(res, XC_V_IN_STATE_MODE_ERROR, -EINVAL,
			     "BEET: %zu bytes, short of the pseudo header", len);
			return;
		}
		optlen = pl[1] * 8 + (8 - (4 + pl[2]));
		if (optlen < 0 || optlen & 3 || optlen > 250)
			drop(res, XC_V_IN_STATE_MODE_ERROR, -EINVAL,
			     "BEET: pseudo header gives %d bytes of IPv4 options", optlen);
		else if (len < 4u + pl[2])
			drop(res, XC_V_IN_STATE_MODE_ERROR, -EINVAL,
			     "BEET: pseudo header and %u bytes of padding exceed %zu bytes", pl[2],
			     len);
		return;
	default:
		/* transport: an inner ESP/AH/IPcomp is looked up next */
		need = nh == IPPROTO_ESP ? 8 : nh == IPPROTO_AH ? 12 : nh == IPPROTO_COMP ? 4 : 0;
		if (!need)
			return;
		if (len < need)
			drop(res, XC_V_IN_HDR_ERROR, -EINVAL,
			     "transport mode: inner header %u needs %zu bytes, got %zu", nh, need,
			     len);
		else
			res->warn |= XC_ESP_W_NESTED;
	}
}

static void warn_trailer(const uint8_t *out, struct xc_esp_result *res)
{
	for (unsigned int i = 0; i < res->pad_len; i++)
		if (out[res->payload_len + i] != (uint8_t)(i + 1)) {
			res->warn |= XC_ESP_W_PAD_CONTENT;
			res->bad_pad_at = i;
			res->bad_pad_val = out[res->payload_len + i];
			break;
		}
	if (res->plain_len % 4)
		res->warn |= XC_ESP_W_UNALIGNED;
}

static void warn_seq(const struct xc_replay *r, struct xc_esp_result *res)
{
	uint64_t top, seq = res->seq;

	if (!r || !r->window) {
		res->warn |= XC_ESP_W_NO_REPLAY;
		return;
	}
	top = xc_replay_top(r);
	if (r->mode == XC_REPLAY_ESN && res->seq_hi != r->seq_hi)
		res->warn |= XC_ESP_W_SEQ_HI;
	if (seq > top + 1) {
		res->warn |= XC_ESP_W_SEQ_GAP;
		res->gap = seq - top - 1;
	} else if (seq < top) {
		res->warn |= XC_ESP_W_LATE;
		res->behind = top - seq;
	}
}

static void warn_nat(const struct xc_esp_sa *e, const struct xc_frame *f,
		     struct xc_esp_result *res)
{
	size_t alen = e->family == AF_INET ? 4 : 16;

	if (e->encap_type && f && f->encap_type &&
	    (memcmp(&f->saddr, &e->saddr, alen) || f->sport != e->encap_sport))
		res->warn |= XC_ESP_W_NAT_MAPPING;
}

static void replay_drop(struct xc_esp_result *res, const struct xc_replay *r, uint32_t seq)
{
	switch (res->replay) {
	case XC_REPLAY_ZERO:
		drop(res, XC_V_IN_STATE_SEQ_ERROR, -EINVAL, "seq 0");
		break;
	case XC_REPLAY_TOO_OLD:
		res->stats |= XC_ESP_STAT_REPLAY_WINDOW;
		drop(res, XC_V_IN_STATE_SEQ_ERROR, -EINVAL,
		     "seq %u too old (highest %u, window %u)", seq, r->seq, r->window);
		break;
	case XC_REPLAY_REPLAYED:
		res->stats |= XC_ESP_STAT_REPLAY;
		drop(res, XC_V_IN_STATE_SEQ_ERROR, -EINVAL, "replayed seq %u", seq);
		break;
	case XC_REPLAY_OK:
		break;
	}
}

/* The arguments of the verify functions: -EINVAL, -E2BIG, -ENOSPC or 0. */
static int check_args(const struct xc_esp_sa *e, const struct xc_replay *r, const uint8_t *pkt,
		      size_t len, const uint8_t *out, size_t out_len, const void *res)
{
	if (!e || !pkt || !out || !res)
		return -EINVAL;
	if (r && (r->mode == XC_REPLAY_ESN) != e->esn)
		return -EINVAL;
	if (len > MAX_PKT)
		return -E2BIG;
	if (out_len < len)
		return -ENOSPC;
	return 0;
}

/* The SPI and sequence number, for a packet of at least ESP_HDR bytes. */
static void read_header(const uint8_t *pkt, uint32_t seq_hi, struct xc_esp_result *res)
{
	res->spi = get32(pkt);
	res->seq_lo = get32(pkt + 4);
	res->seq_hi = seq_hi;
	res->seq = (uint64_t)seq_hi << 32 | res->seq_lo;
}

/* xfrm_input up to the call of esp_input: the header, the SA, the
 * encapsulation, the replay check (seq_hi inferred), the hard lifetime.
 * Reads r, changes only the SA's expiry state. true: on to open_packet(). */
static bool check_packet(struct xc_esp_sa *e, const struct xc_replay *r,
			 const struct xc_frame *frame, const uint8_t *pkt, size_t len,
			 struct xc_esp_result *res)
{
	uint32_t seq_hi = 0;
	uint16_t encap;

	memset(res, 0, sizeof(*res));
	/* xfrm_parse_spi: pskb_may_pull(8) */
	if (len < ESP_HDR) {
		drop(res, XC_V_IN_HDR_ERROR, -EINVAL, "%zu bytes, short of an ESP header", len);
		return false;
	}
	read_header(pkt, 0, res);
	/* xfrm_state_lookup: an expired SA is deleted at once */
	if (e->expired) {
		drop(res, XC_V_IN_NO_STATES, 0, "SA hard-expired (the kernel deleted it)");
		return false;
	}
	if (res->spi != e->spi) {
		drop(res, XC_V_IN_NO_STATES, 0, "SPI 0x%08x is not this SA's 0x%08x", res->spi,
		     e->spi);
		return false;
	}
	encap = frame ? frame->encap_type : e->encap_type;
	if (encap != e->encap_type) {
		drop(res, XC_V_IN_STATE_MISMATCH, 0, "encapsulation %u, the SA has %u", encap,
		     e->encap_type);
		return false;
	}
	if (r && (res->replay = xc_replay_check(r, res->seq_lo, &seq_hi))) {
		res->seq_hi = seq_hi;
		replay_drop(res, r, res->seq_lo);
		return false;
	}
	read_header(pkt, seq_hi, res);
	/* xfrm_state_check_expire */
	if (e->cur_bytes >= e->hard_bytes || e->cur_packets >= e->hard_packets) {
		e->expired = true;
		drop(res, XC_V_IN_STATE_EXPIRED, -EINVAL,
		     "hard limit reached (%llu bytes, %llu packets)",
		     (unsigned long long)e->cur_bytes, (unsigned long long)e->cur_packets);
		return false;
	}
	if (!e->dying && (e->cur_bytes >= e->soft_bytes || e->cur_packets >= e->soft_packets)) {
		e->dying = true;
		res->warn |= XC_ESP_W_SOFT_EXPIRED;
	}
	return true;
}

/* esp_input and esp_input_done2 for a packet that passed check_packet()
 * with res->seq_hi: lengths, ICV and decryption, the trailer. Uses the
 * SA's crypto contexts and its constant fields only, so it may run on a
 * clone in another thread. The verdict is XC_V_OK or a drop in res.
 * Returns 0, or -EIO when OpenSSL failed. */
static int open_packet(struct xc_esp_sa *e, const struct xc_frame *frame, const uint8_t *pkt,
		       size_t len, uint8_t *out, struct xc_esp_result *res)
{
	size_t elen, ctlen;
	int err;

	/* esp_input, then the AEAD layers: every refusal is -EINVAL but the
	 * ICV's, all of them XfrmInStateProtoError */
	if (len < ESP_HDR + e->ivlen + 1) {
		drop(res, XC_V_IN_STATE_PROTO_ERROR, -EINVAL,
		     "%zu bytes, no data after the %u-byte IV",
		     len, e->ivlen);
		return 0;
	}
	elen = len - ESP_HDR - e->ivlen;
	if (elen < e->icvlen) {
		drop(res, XC_V_IN_STATE_PROTO_ERROR, -EINVAL,
		     "%zu bytes after the IV, short of the %u-byte ICV",
		     elen, e->icvlen);
		return 0;
	}
	ctlen = elen - e->icvlen;
	if (e->kind == K_AUTHENC)
		err = open_authenc(e, pkt, pkt + ESP_HDR + e->ivlen, ctlen, res->seq_hi, out);
	else
		err = open_aead(e, pkt, pkt + ESP_HDR + e->ivlen, ctlen, res->seq_hi, out);
	if (err == -EIO)
		return err;
	if (err == -EBADMSG) {
		explicit_bzero(out, ctlen); /* no unauthenticated plaintext out */
		res->stats |= XC_ESP_STAT_INTEGRITY;
		drop(res, XC_V_IN_STATE_PROTO_ERROR, err, "ICV mismatch");
		return 0;
	}
	if (err) {
		drop(res, XC_V_IN_STATE_PROTO_ERROR, err,
		     "%zu bytes of ciphertext, not a multiple of the %u-byte block", ctlen, e->block);
		return 0;
	}

	/* esp_remove_trailer: padlen + 2 + alen >= elen is garbage */
	res->plain_len = ctlen;
	if (ctlen < 2) {
		drop(res, XC_V_IN_STATE_PROTO_ERROR, -EINVAL,
		     "%zu bytes of plaintext, no room for the trailer",
		     ctlen);
		return 0;
	}
	res->pad_len = out[ctlen - 2];
	res->next_header = out[ctlen - 1];
	if (res->pad_len + 2u >= ctlen) {
		if (res->pad_len + 2u > ctlen)
			drop(res, XC_V_IN_STATE_PROTO_ERROR, -EINVAL, "pad length %u > payload %zu",
			     res->pad_len, ctlen - 2);
		else
			drop(res, XC_V_IN_STATE_PROTO_ERROR, -EINVAL,
			     "pad length %u = payload %zu, no data left", res->pad_len, ctlen - 2);
		return 0;
	}
	res->payload_len = ctlen - 2 - res->pad_len;
	warn_trailer(out, res);
	warn_nat(e, frame, res);
	if (res->next_header == IPPROTO_NONE) { /* RFC 4303 §2.6 dummy packet */
		drop(res, XC_V_IN_STATE_PROTO_ERROR, -EINVAL, "dummy packet (next header 59)");
		return 0;
	}
	return 0;
}

/* A good packet, in its turn: xfrm_replay_recheck (the same answer here,
 * nothing ran in between), xfrm_replay_advance, the lifetime counters,
 * then the inner mode. */
static void accept_packet(struct xc_esp_sa *e, struct xc_replay *r, const uint8_t *out,
			  struct xc_esp_result *res)
{
	warn_seq(r, res);
	if (r)
		xc_replay_advance(r, res->seq_lo);
	e->cur_bytes += res->payload_len;
	e->cur_packets++;
	inner_mode(e, out, res);
}

int xc_esp_verify(struct xc_esp_sa *e, struct xc_replay *r, const struct xc_frame *frame,
		  const uint8_t *pkt, size_t len, uint8_t *out, size_t out_len,
		  struct xc_esp_result *res)
{
	int err = check_args(e, r, pkt, len, out, out_len, res);

	if (err)
		return err;
	if (!check_packet(e, r, frame, pkt, len, res))
		return 0;
	if ((err = open_packet(e, frame, pkt, len, out, res)) < 0)
		return err;
	if (res->verdict == XC_V_OK)
		accept_packet(e, r, out, res);
	return 0;
}

/* --- ahead of the packet's turn ------------------------------------------- */

int xc_esp_sa_clone(const struct xc_esp_sa *esa, struct xc_esp_sa **out)
{
	struct xc_esp_sa *c;
	int r = -ENOMEM;

	*out = NULL;
	if (!(c = esa_alloc()))
		return -ENOMEM;
	memcpy(c, esa, sizeof(*c));
	c->cipher = NULL;
	c->mac = NULL;
	c->hmac_in = c->hmac_out = c->hmac_work = NULL;
	if (esa->cipher &&
	    (!(c->cipher = EVP_CIPHER_CTX_new()) || !EVP_CIPHER_CTX_copy(c->cipher, esa->cipher)))
		goto out;
	if (esa->mac && !(c->mac = EVP_MAC_CTX_dup(esa->mac)))
		goto out;
	if (esa->hmac_in &&
	    (!(c->hmac_in = EVP_MD_CTX_new()) || !EVP_MD_CTX_copy_ex(c->hmac_in, esa->hmac_in) ||
	     !(c->hmac_out = EVP_MD_CTX_new()) || !EVP_MD_CTX_copy_ex(c->hmac_out, esa->hmac_out) ||
	     !(c->hmac_work = EVP_MD_CTX_new())))
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	xc_esp_sa_free(c);
	return r;
}

int xc_esp_open_ahead(struct xc_esp_sa *clone, const struct xc_frame *frame, const uint8_t *pkt,
		      size_t len, uint32_t seq_hi, uint8_t *out, size_t out_len,
		      struct xc_esp_result *pre)
{
	int err = check_args(clone, NULL, pkt, len, out, out_len, pre);

	if (err)
		return err;
	memset(pre, 0, sizeof(*pre));
	if (len < ESP_HDR) /* the turn's check refuses it before any crypto */
		return 0;
	read_header(pkt, clone->esn ? seq_hi : 0, pre);
	if ((err = open_packet(clone, frame, pkt, len, out, pre)) < 0)
		return err;
	pre->opened = true;
	return 0;
}

int xc_esp_verify_opened(struct xc_esp_sa *e, struct xc_replay *r, const struct xc_frame *frame,
			 const uint8_t *pkt, size_t len, const struct xc_esp_result *pre,
			 uint8_t *out, size_t out_len, struct xc_esp_result *res)
{
	struct xc_esp_result turn;
	uint8_t hdr[ESP_HDR] = { 0 };
	int err = check_args(e, r, pkt, len, out, out_len, res);

	if (err || !pre)
		return err ? err : -EINVAL;
	/* the header as pre has it (read from this pkt), not read from pkt
	 * again: its bytes were read ahead, most often in another CPU's cache,
	 * and this is all the turn would read of them */
	if (len >= ESP_HDR) {
		put32(hdr, pre->spi);
		put32(hdr + 4, pre->seq_lo);
	}
	if (!check_packet(e, r, frame, hdr, len, &turn)) {
		*res = turn;
		return 0;
	}
	if (pre->opened && pre->seq_hi == turn.seq_hi && pre->spi == turn.spi &&
	    pre->seq_lo == turn.seq_lo) {
		/* the same crypto as here: only the turn's warnings to add */
		if (res != pre)
			*res = *pre;
		res->warn |= turn.warn;
	} else {
		*res = turn;
		if ((err = open_packet(e, frame, pkt, len, out, res)) < 0)
			return err;
	}
	res->opened = false;
	if (res->verdict == XC_V_OK)
		accept_packet(e, r, out, res);
	return 0;
}

bool xc_esp_opened_clean(const struct xc_esp_sa *clone, const struct xc_frame *frame,
			 const uint8_t *out, const struct xc_esp_result *pre)
{
	struct xc_esp_result inner; /* what inner_mode() reads and writes, no more:
				     * clearing all of it costs more than the check */

	if (!clone || !out || !pre || !pre->opened || pre->verdict != XC_V_OK || pre->warn ||
	    pre->spi != clone->spi || (frame ? frame->encap_type : clone->encap_type) != clone->encap_type)
		return false;
	/* what the turn's inner mode check would say (a verdict or a warning) */
	inner.verdict = XC_V_OK;
	inner.warn = 0;
	inner.payload_len = pre->payload_len;
	inner.next_header = pre->next_header;
	inner_mode(clone, out, &inner);
	return inner.verdict == XC_V_OK && !inner.warn;
}

/* cur + add < limit, without overflow. */
static bool below(uint64_t cur, uint64_t add, uint64_t limit)
{
	return cur < limit && add < limit - cur;
}

bool xc_esp_accept_run(struct xc_esp_sa *e, struct xc_replay *r, uint64_t first, uint32_t n,
		       uint64_t bytes)
{
	uint64_t last = first + (n - 1);
	struct xc_replay before;

	if (!e || !r || !n || !r->window || (r->mode == XC_REPLAY_ESN) != e->esn || e->expired)
		return false;
	/* warn_seq() has nothing to say of any: each is the one after the
	 * top, in the top's range of high bits (without ESN: no wrap) */
	if (first != xc_replay_top(r) + 1 || last < first || last >> 32 != (e->esn ? r->seq_hi : 0))
		return false;
	/* no lifetime limit on the way: the check before each packet sees the
	 * counters plus at most every packet but itself */
	if (!below(e->cur_bytes, bytes, e->hard_bytes) ||
	    !below(e->cur_packets, n - 1, e->hard_packets) ||
	    (!e->dying && (!below(e->cur_bytes, bytes, e->soft_bytes) ||
			   !below(e->cur_packets, n - 1, e->soft_packets))))
		return false;
	/* the window's own answer for each, as in its turn (then the high
	 * bits it infers are those the packet was opened with) */
	before = *r;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t s = first + i;
		uint32_t hi;

		if (xc_replay_check(r, (uint32_t)s, &hi) != XC_REPLAY_OK ||
		    hi != (uint32_t)(s >> 32)) {
			*r = before;
			return false;
		}
		xc_replay_advance(r, (uint32_t)s);
	}
	e->cur_bytes += bytes;
	e->cur_packets += n;
	return true;
}

int xc_esp_warnings(const struct xc_esp_result *res, char *buf, size_t len)
{
	size_t off = 0;
	int n;

#define ADD(...)                                                                        \
	do {                                                                            \
		n = snprintf(buf + (off < len ? off : len), off < len ? len - off : 0,  \
			     "%s", off ? "; " : "");                                    \
		off += (size_t)n;                                                       \
		n = snprintf(buf + (off < len ? off : len), off < len ? len - off : 0,  \
			     __VA_ARGS__);                                              \
		off += (size_t)n;                                                       \
	} while (0)

	if (len)
		buf[0] = '\0';
	if (res->warn & XC_ESP_W_PAD_CONTENT)
		ADD("padding byte %u is 0x%02x, not 0x%02x", res->bad_pad_at + 1, res->bad_pad_val,
		    (res->bad_pad_at + 1) & 0xff);
	if (res->warn & XC_ESP_W_UNALIGNED)
		ADD("payload and trailer of %zu bytes, not a multiple of 4", res->plain_len);
	if (res->warn & XC_ESP_W_SEQ_GAP)
		ADD("%llu sequence number%s skipped", (unsigned long long)res->gap,
		    res->gap == 1 ? "" : "s");
	if (res->warn & XC_ESP_W_LATE)
		ADD("late: %llu below the highest", (unsigned long long)res->behind);
	if (res->warn & XC_ESP_W_SEQ_HI)
		ADD("high sequence bits inferred as %u", res->seq_hi);
	if (res->warn & XC_ESP_W_NO_REPLAY)
		ADD("replay window 0: sequence numbers not checked");
	if (res->warn & XC_ESP_W_NAT_MAPPING)
		ADD("NAT-T source changed (the kernel reports a new mapping)");
	if (res->warn & XC_ESP_W_NESTED)
		ADD("inner protocol %u is IPsec: the kernel looks up another SA", res->next_header);
	if (res->warn & XC_ESP_W_SOFT_EXPIRED)
		ADD("soft lifetime limit reached");
#undef ADD
	return off > INT_MAX ? INT_MAX : (int)off;
}
