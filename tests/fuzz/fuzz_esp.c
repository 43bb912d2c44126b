/* libFuzzer: xc_esp_parse_ip() and xc_esp_verify() with the replay window,
 * over a run of packets for one SA.
 *
 * Input: byte 0 picks the SA (bits 0-2: algorithm, ESN or not; bits 3-4:
 * mode; bits 5-7: replay window), byte 1 flags (bit 0: the SA is NAT-T),
 * then records of [ctl][len][len bytes]:
 *   ctl & 3 == 0: the bytes are ESP, verified as they are;
 *   ctl & 3 == 1: the bytes are an IPv4/IPv6 packet, parsed, and its ESP
 *                 part verified if the parser finds one;
 *   ctl & 3 >= 2: the bytes are a plaintext (trailer and all): sealed here
 *                 with a good ICV for seq = the first 4 bytes, then verified.
 * Checked: every call returns 0; the verdict, the lengths and the trailer
 * are consistent; a sealed packet is never an ICV failure; an accepted
 * packet is a replay the second time (ring windows that are powers of two:
 * the kernel's odd-sized ring takes a first packet twice, see replay.h);
 * the parser stays inside the packet.
 * And every packet goes a second way, as `verify --jobs` takes it: opened
 * ahead with a clone of the SA on guessed high sequence bits (a wrong
 * guess when bit 2 of the record's control byte is set), then its turn on
 * a twin SA and replay window (xc_esp_open_ahead, xc_esp_verify_opened):
 * the verdict, the warnings, the sequence number and the plaintext must be
 * those of xc_esp_verify, and the two windows stay equal.
 * Sources: lib/esp.c lib/replay.c lib/algo.c lib/nl.c */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp.h"
#include "replay.h"
#include "sa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SPI 0x5eed0001u

enum seal_kind { S_GCM, S_CBC, S_NONE, S_OTHER };

static const struct conf {
	const char *aead, *enc, *auth;
	unsigned int key_len, icv_bits;
	bool esn;
	enum seal_kind seal;
} confs[8] = {
	{ "rfc4106(gcm(aes))", NULL, NULL, 20, 128, false, S_GCM },
	{ "rfc4106(gcm(aes))", NULL, NULL, 20, 64, true, S_GCM },
	{ "rfc4543(gcm(aes))", NULL, NULL, 20, 128, false, S_OTHER },
	{ "rfc7539esp(chacha20,poly1305)", NULL, NULL, 36, 128, true, S_OTHER },
	{ "rfc4309(ccm(aes))", NULL, NULL, 19, 96, false, S_OTHER },
	{ NULL, "cbc(aes)", "hmac(sha256)", 16, 128, false, S_CBC },
	{ NULL, "ecb(cipher_null)", NULL, 0, 0, false, S_NONE },
	{ NULL, "cbc(aes)", "hmac(sha256)", 16, 128, true, S_CBC },
};
static const uint32_t windows[8] = { 0, 32, 64, 4096, 100, 1, 32, 128 };
static const uint8_t modes[4] = { XFRM_MODE_TRANSPORT, XFRM_MODE_TUNNEL, XFRM_MODE_BEET,
				  XFRM_MODE_TRANSPORT };

static const uint8_t key[64] = "fuzzing key material, not secret, 0123456789abcdef0123456789ab";
static const uint8_t akey[32] = "an hmac key for the fuzz target";

static struct xc_esp_sa *sas[8][4][2]; /* made once: contexts are reused */
static struct xc_esp_sa *twins[8][4][2], *clones[8][4][2];

/* The second way: a twin SA with its own window, and a clone for ahead. */
static struct xc_esp_sa *twin, *ahead;
static struct xc_replay twin_r;
static bool wrong_guess;

static struct xc_esp_sa *get_sa(unsigned int c, unsigned int m, unsigned int natt)
{
	static struct xc_sa sa;
	struct xc_err err;

	if (sas[c][m][natt]) {
		twin = twins[c][m][natt];
		ahead = clones[c][m][natt];
		return sas[c][m][natt];
	}
	memset(&sa, 0, sizeof(sa));
	sa.info.id.proto = IPPROTO_ESP;
	sa.info.id.spi = htonl(SPI);
	sa.info.family = AF_INET;
	sa.info.mode = modes[m];
	sa.info.lft.soft_byte_limit = sa.info.lft.hard_byte_limit = XFRM_INF;
	sa.info.lft.soft_packet_limit = sa.info.lft.hard_packet_limit = XFRM_INF;
	if (confs[c].esn) {
		sa.info.flags = XFRM_STATE_ESN;
		sa.has_replay_esn = true;
		sa.esn.bmp_len = 128;
		sa.esn.replay_window = 32;
	}
	if (natt) {
		sa.has_encap = true;
		sa.encap.encap_type = UDP_ENCAP_ESPINUDP;
		sa.encap.encap_sport = sa.encap.encap_dport = htons(4500);
	}
	if (confs[c].aead) {
		sa.aead.set = true;
		snprintf(sa.aead.name, sizeof(sa.aead.name), "%s", confs[c].aead);
		memcpy(sa.aead.key, key, confs[c].key_len);
		sa.aead.key_len = confs[c].key_len;
		sa.aead.icv_bits = confs[c].icv_bits;
	} else {
		sa.enc.set = true;
		snprintf(sa.enc.name, sizeof(sa.enc.name), "%s", confs[c].enc);
		memcpy(sa.enc.key, key, confs[c].key_len);
		sa.enc.key_len = confs[c].key_len;
		if (confs[c].auth) {
			sa.auth.set = true;
			sa.auth_trunc = true;
			snprintf(sa.auth.name, sizeof(sa.auth.name), "%s", confs[c].auth);
			memcpy(sa.auth.key, akey, sizeof(akey));
			sa.auth.key_len = sizeof(akey);
			sa.auth.icv_bits = confs[c].icv_bits;
		}
	}
	if (xc_esp_sa_new(&sa, &sas[c][m][natt], &err) || xc_esp_sa_new(&sa, &twins[c][m][natt], &err) ||
	    xc_esp_sa_clone(sas[c][m][natt], &clones[c][m][natt]))
		__builtin_trap();
	twin = twins[c][m][natt];
	ahead = clones[c][m][natt];
	return sas[c][m][natt];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A packet with a good ICV (EVP directly), or 0 if this SA is not sealed
 * here. seq_hi: what the kernel will infer. */
static size_t seal(const struct conf *c, uint32_t seq, uint32_t seq_hi, const uint8_t *p,
		   size_t plen, uint8_t *pkt)
{
	static EVP_CIPHER_CTX *x;
	uint8_t nonce[12], aad[12], mac[32], buf[512];
	size_t aadlen = c->esn ? 12 : 8, n;
	int outl;

	if (c->seal == S_OTHER)
		return 0;
	if (!x && !(x = EVP_CIPHER_CTX_new()))
		__builtin_trap();
	put32(pkt, SPI);
	put32(pkt + 4, seq);
	put32(aad, SPI);
	put32(aad + 4, c->esn ? seq_hi : seq);
	put32(aad + 8, seq);
	switch (c->seal) {
	case S_GCM:
		memset(pkt + 8, 0x42, 8);
		memcpy(nonce, key + 16, 4);
		memcpy(nonce + 4, pkt + 8, 8);
		if (!EVP_EncryptInit_ex(x, EVP_aes_128_gcm(), NULL, key, nonce) ||
		    !EVP_EncryptUpdate(x, NULL, &outl, aad, (int)aadlen) ||
		    (plen && !EVP_EncryptUpdate(x, pkt + 16, &outl, p, (int)plen)) ||
		    !EVP_EncryptFinal_ex(x, pkt + 16 + plen, &outl) ||
		    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, mac) <= 0)
			__builtin_trap();
		memcpy(pkt + 16 + plen, mac, c->icv_bits / 8);
		return 16 + plen + c->icv_bits / 8;
	case S_CBC:
		plen -= plen % 16;
		memset(pkt + 8, 0x24, 16);
		if (!EVP_EncryptInit_ex(x, EVP_aes_128_cbc(), NULL, key, pkt + 8) ||
		    !EVP_CIPHER_CTX_set_padding(x, 0) ||
		    (plen && !EVP_EncryptUpdate(x, pkt + 24, &outl, p, (int)plen)))
			__builtin_trap();
		memcpy(buf, pkt, 24 + plen);
		n = 24 + plen;
		if (c->esn) {
			put32(buf + n, seq_hi);
			n += 4;
		}
		if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, akey, sizeof(akey), buf, n, mac,
			       sizeof(mac), &n))
			__builtin_trap();
		memcpy(pkt + 24 + plen, mac, 16);
		return 24 + plen + 16;
	case S_NONE:
		memcpy(pkt + 8, p, plen);
		return 8 + plen;
	case S_OTHER:
		break;
	}
	return 0;
}

static void check(const struct xc_esp_result *res, size_t len, bool sealed)
{
	if ((unsigned int)res->verdict >= XC_V_COUNT || !memchr(res->detail, '\0', sizeof(res->detail)))
		__builtin_trap();
	if (res->verdict == XC_V_OK) {
		if (res->detail[0] || res->payload_len + res->pad_len + 2u != res->plain_len ||
		    res->plain_len > len || res->next_header == 59)
			__builtin_trap();
	} else if (!res->detail[0]) {
		__builtin_trap();
	}
	if (res->verdict == XC_V_IN_STATE_PROTO_ERROR && res->err != -EINVAL &&
	    res->err != -EBADMSG)
		__builtin_trap();
	if (sealed && res->err == -EBADMSG)
		__builtin_trap();
	if ((res->stats & XC_ESP_STAT_INTEGRITY) && res->err != -EBADMSG)
		__builtin_trap();
}

/* xc_esp_verify, and the same packet the second way: the same outcome. */
static void verify_both(struct xc_esp_sa *e, struct xc_replay *r, const struct xc_frame *f,
			const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
			struct xc_esp_result *res)
{
	static uint8_t out2[70000];
	struct xc_esp_result pre, res2;
	uint32_t hi = 0;

	if (len >= 8)
		hi = xc_replay_seqhi(&twin_r, (uint32_t)pkt[4] << 24 | pkt[5] << 16 | pkt[6] << 8 |
						  pkt[7]) ^ wrong_guess;
	if (xc_esp_open_ahead(ahead, f, pkt, len, hi, out2, sizeof(out2), &pre) ||
	    xc_esp_verify_opened(twin, &twin_r, f, pkt, len, &pre, out2, sizeof(out2), &res2))
		__builtin_trap();
	if (xc_esp_verify(e, r, f, pkt, len, out, cap, res))
		__builtin_trap();
	if (res->verdict != res2.verdict || res->seq != res2.seq || res->warn != res2.warn ||
	    res->stats != res2.stats || strcmp(res->detail, res2.detail) ||
	    res->payload_len != res2.payload_len || memcmp(r, &twin_r, sizeof(*r)) ||
	    (res->verdict == XC_V_OK && memcmp(out, out2, res->payload_len)))
		__builtin_trap();
}

static void verify(struct xc_esp_sa *e, struct xc_replay *r, const struct xc_frame *f,
		   const uint8_t *pkt, size_t len, bool sealed)
{
	static uint8_t out[70000];
	struct xc_esp_result res;
	char text[512];
	bool ring = r->mode != XC_REPLAY_LEGACY && (r->window & (r->window - 1));

	verify_both(e, r, f, pkt, len, out, sizeof(out), &res);
	check(&res, len, sealed);
	if (xc_esp_warnings(&res, text, sizeof(text)) < 0)
		__builtin_trap();
	if (res.verdict != XC_V_OK || !r->window || ring)
		return;
	verify_both(e, r, f, pkt, len, out, sizeof(out), &res);
	if (res.verdict != XC_V_IN_STATE_SEQ_ERROR || res.replay != XC_REPLAY_REPLAYED)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[600];
	unsigned int c, m, natt, w;
	const struct conf *conf;
	int ok;
	struct xc_esp_sa *e;
	struct xc_replay r;
	size_t off = 2;

	if (size < 2)
		return 0;
	c = data[0] & 7;
	m = data[0] >> 3 & 3;
	natt = data[1] & 1;
	conf = &confs[c];
	e = get_sa(c, m, natt);
	xc_esp_sa_set_lifetime(e, 0, 0);
	xc_esp_sa_set_lifetime(twin, 0, 0);
	w = data[0] >> 5;
	if (conf->esn)
		ok = xc_replay_init(&r, XC_REPLAY_ESN, windows[w] ? windows[w] : 32);
	else /* 5, 6: the legacy 32-bit bitmap */
		ok = xc_replay_init(&r, w == 5 || w == 6 ? XC_REPLAY_LEGACY : XC_REPLAY_BMP,
				    windows[w]);
	if (ok)
		__builtin_trap();
	twin_r = r;

	while (size - off >= 2) {
		unsigned int ctl = data[off], len = data[off + 1];
		const uint8_t *rec = data + off + 2;
		struct xc_frame f;
		uint32_t spi = 0;

		if (len > size - off - 2)
			len = (unsigned int)(size - off - 2);
		off += 2 + len;
		wrong_guess = ctl & 4;
		switch (ctl & 3) {
		case 0:
			verify(e, &r, NULL, rec, len, false);
			break;
		case 1:
			if (xc_esp_parse_ip(rec, len, ctl & 4 ? 4600 : 0,
					    ctl & 8 ? UDP_ENCAP_ESPINUDP_NON_IKE : 0, &f))
				__builtin_trap();
			if (f.kind == XC_FRAME_ESP && f.esp_len >= 8)
				memcpy(&spi, rec + f.esp_off, 4);
			if (f.kind == XC_FRAME_ESP &&
			    (f.esp_off > len || f.esp_len > len - f.esp_off ||
			     (f.esp_len >= 8 && f.spi != ntohl(spi))))
				__builtin_trap();
			if (f.kind == XC_FRAME_ESP)
				verify(e, &r, &f, rec + f.esp_off, f.esp_len, false);
			break;
		default: {
			uint32_t seq = ctl;
			size_t n;

			if (len >= 4) {
				memcpy(&seq, rec, 4);
				seq = ntohl(seq);
			}
			n = seal(conf, seq, xc_replay_seqhi(&r, seq), rec, len, pkt);

			if (n)
				verify(e, &r, NULL, pkt, n, true);
			break;
		}
		}
	}
	return 0;
}
