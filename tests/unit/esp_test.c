/* ESP verification against published packets and the kernel's rules.
 *
 * Published vectors (expected values are the documents' own):
 *   RFC 3602 §4 cases 5 (transport) and 7 (tunnel): AES-CBC, no ICV;
 *   draft-mcgrew-gcm-test-01 §4 (the packet-level companion of RFC 4106 and
 *     RFC 4543): all 15 AES-GCM-ESP packets, 128/192/256-bit keys, with and
 *     without ESN, and the AES-GMAC-ESP packet; their tags truncated to 8
 *     and 12 bytes for the short ICVs (SP 800-38D: the leftmost bits);
 *   RFC 7634 Appendix A: ChaCha20-Poly1305 tunnel-mode ESP, the whole
 *     IPv4 packet;
 *   RFC 4868 §2.7.2 (AUTH256-1, AUTH384-1, AUTH512-1), RFC 2404 §3 case 1,
 *     and RFC 4231 §4.8 (test case 7: HMAC-SHA-256/384/512 as PRF, used at
 *     96, 128, 192, 256 bits), the data taken as an ESP packet with
 *     ecb(cipher_null): the SPI and sequence number are its first 8 bytes.
 * Round trips: packets sealed here with EVP directly (an encryptor written
 * for this test, nothing shared with lib/esp.c), for every algorithm the
 * verifier knows, with and without ESN.
 * Kernel rules (net/xfrm/xfrm_input.c, net/ipv4/esp4.c, 6.1): the order of
 * the checks, the counter for each refusal, trailer, modes, lifetimes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "esp.h"
#include "replay.h"
#include "sa.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t out[4096];

static size_t unhex(const char *s, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int d;

		if (*s == ' ' || *s == '\n')
			continue;
		d = *s >= 'a' ? *s - 'a' + 10 : *s >= 'A' ? *s - 'A' + 10 : *s - '0';
		assert_true(d >= 0 && d < 16);
		if (hi < 0) {
			hi = d;
			continue;
		}
		assert_true(n < cap);
		buf[n++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* --- SAs ------------------------------------------------------------------ */

struct t {
	struct xc_sa sa;
	struct xc_esp_sa *esa;
	struct xc_replay r;
	struct xc_esp_result res;
};

static void sa_init(struct xc_sa *sa, uint32_t spi, uint8_t mode, bool esn, uint32_t window)
{
	memset(sa, 0, sizeof(*sa));
	sa->info.id.proto = IPPROTO_ESP;
	sa->info.id.spi = htonl(spi);
	sa->info.family = AF_INET;
	sa->info.mode = mode;
	sa->info.lft.soft_byte_limit = sa->info.lft.hard_byte_limit = XFRM_INF;
	sa->info.lft.soft_packet_limit = sa->info.lft.hard_packet_limit = XFRM_INF;
	if (esn) {
		sa->info.flags = XFRM_STATE_ESN;
		sa->has_replay_esn = true;
		sa->esn.bmp_len = 128;
		sa->esn.replay_window = window;
	} else {
		sa->info.replay_window = (uint8_t)window;
	}
}

static void alg(struct xc_sa_alg *a, const char *name, const uint8_t *key, size_t len,
		unsigned int icv_bits)
{
	a->set = true;
	snprintf(a->name, sizeof(a->name), "%s", name);
	memcpy(a->key, key, len);
	a->key_len = (unsigned int)len;
	a->icv_bits = icv_bits;
}

static void alg_hex(struct xc_sa_alg *a, const char *name, const char *hex, unsigned int icv_bits)
{
	uint8_t key[XC_KEY_MAX];

	alg(a, name, key, unhex(hex, key, sizeof(key)), icv_bits);
}

static void t_open(struct t *t)
{
	struct xc_err err = { "" };
	int r = xc_esp_sa_new(&t->sa, &t->esa, &err);

	if (r)
		fail_msg("xc_esp_sa_new: %d %s", r, err.msg);
	assert_int_equal(xc_replay_init_sa(&t->r, &t->sa), 0);
}

static void t_close(struct t *t)
{
	xc_esp_sa_free(t->esa);
	xc_sa_clear(&t->sa);
}

static enum xc_verdict t_verify(struct t *t, const uint8_t *pkt, size_t len)
{
	assert_int_equal(xc_esp_verify(t->esa, &t->r, NULL, pkt, len, out, sizeof(out), &t->res), 0);
	return t->res.verdict;
}

/* Replay state for which the kernel infers seq_hi for seq_lo (window 32). */
static void t_expect_esn(struct t *t, uint64_t seq)
{
	uint32_t hi = (uint32_t)(seq >> 32), lo = (uint32_t)seq;

	if (lo)
		assert_int_equal(xc_replay_set(&t->r, lo - 1, hi, NULL, 0), 0);
	else
		assert_int_equal(xc_replay_set(&t->r, 0xffffffff, hi - 1, NULL, 0), 0);
}

/* --- RFC 3602 ------------------------------------------------------------- */

static void test_rfc3602_case5(void **state)
{
	/* the whole IPv4 packet, "Post-encryption packet with SPI, Sequence
	 * number, IV" */
	static const char *pkt_hex =
		"4500007c 08f20000 4032f9a5 c0a87b03 c0a87b64"
		"00004321 00000001"
		"e96e8c08 ab465763 fd098d45 dd3ff893"
		"f663c25d 325c18c6 a9453e19 4e120849 a4870b66 cc6b9965 330013b4 898dc856"
		"a4699e52 3a55db08 0b59ec3a 8e4b7e52 775b07d1 db34ed9c 538ab50c 551b874a"
		"a269add0 47ad2d59 13ac19b7 cfbad4a6";
	static const char *data_hex =
		"08000ebd a70a0000 8e9c083d b95b0700 08090a0b 0c0d0e0f 10111213 14151617"
		"18191a1b 1c1d1e1f 20212223 24252627 28292a2b 2c2d2e2f 30313233 34353637";
	uint8_t pkt[256], data[64];
	struct xc_frame f;
	struct t t;
	size_t len = unhex(pkt_hex, pkt, sizeof(pkt));

	(void)state;
	assert_int_equal(unhex(data_hex, data, sizeof(data)), 64);
	assert_int_equal(xc_esp_parse_ip(pkt, len, 0, 0, &f), 0);
	assert_int_equal(f.kind, XC_FRAME_ESP);
	assert_int_equal(f.esp_off, 20);
	assert_int_equal(f.esp_len, 104);
	assert_int_equal(f.spi, 0x4321);
	assert_int_equal(f.seq, 1);
	assert_int_equal(ntohl(f.daddr.a4), 0xc0a87b64); /* 192.168.123.100 */

	sa_init(&t.sa, 0x4321, XFRM_MODE_TRANSPORT, false, 32);
	alg_hex(&t.sa.enc, "cbc(aes)", "90d382b4 10eeba7a d938c46c ec1a82bf", 0);
	t.sa.info.id.daddr.a4 = htonl(0xc0a87b64);
	t_open(&t);
	assert_true(xc_esp_frame_matches(&t.sa, &f));
	assert_int_equal(xc_esp_verify(t.esa, &t.r, &f, pkt + f.esp_off, f.esp_len, out,
				       sizeof(out), &t.res), 0);
	assert_int_equal(t.res.verdict, XC_V_OK);
	assert_int_equal(t.res.payload_len, 64);
	assert_memory_equal(out, data, 64);
	/* Padding 01..0e, Pad length 0e, Next header 01 (ICMP) */
	assert_int_equal(t.res.pad_len, 14);
	assert_int_equal(t.res.next_header, 1);
	assert_int_equal(t.res.warn, 0);
	assert_int_equal(t.res.seq, 1);
	t_close(&t);
}

static void test_rfc3602_case7(void **state)
{
	static const char *esp_hex =
		"00008765 00000002"
		"f4e76524 4f6407ad f13dc138 0f673f37"
		"773b5241 a4c44922 5e4f3ce5 ed611b0c 237ca96c f74a9301 3c1b0ea1 a0cf70f8"
		"e4ecaec7 8ac53aad 7a0f022b 859243c6 47752e94 a859352b 8a4d4d2d ecd136e5"
		"c177f132 ad3fbfb2 201ac990 4c74ee0a 109e0ca1 e4dfe9d5 a100b842 f1c22f0d";
	static const char *inner_hex =
		"45000054 09040000 4001f988 c0a87b03 c0a87bc8 08009f76 a90a0100 b49c083d"
		"02a20400 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f 20212223"
		"24252627 28292a2b 2c2d2e2f 30313233 34353637";
	uint8_t pkt[256], inner[128];
	struct t t;
	size_t len = unhex(esp_hex, pkt, sizeof(pkt));

	(void)state;
	assert_int_equal(unhex(inner_hex, inner, sizeof(inner)), 84);
	sa_init(&t.sa, 0x8765, XFRM_MODE_TUNNEL, false, 32);
	alg_hex(&t.sa.enc, "cbc(aes)", "01234567 89abcdef 01234567 89abcdef", 0);
	t_open(&t);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	/* 84 + 10 padding + 2 = 96 bytes of ciphertext; next header 4 */
	assert_int_equal(t.res.payload_len, 84);
	assert_memory_equal(out, inner, 84);
	assert_int_equal(t.res.pad_len, 10);
	assert_int_equal(t.res.next_header, IPPROTO_IPIP);
	assert_int_equal(t.res.warn & XC_ESP_W_PAD_CONTENT, 0);
	t_close(&t);
}

/* --- draft-mcgrew-gcm-test-01 (RFC 4106, RFC 4543) ------------------------ */

struct gcm_case {
	const char *alg;
	const char *key; /* key || salt (the first 4 bytes of the nonce) */
	uint32_t spi;
	uint64_t seq;
	bool esn;
	const char *plaintext; /* trailer included */
	const char *packet;
};

static const struct gcm_case gcm_cases[] = {
	{ "rfc4106(gcm(aes))", "4c80cdefbb5d10da906ac73c3613a634 2e443b68", 0x4321,
	  0x8765432100000000, true,
	  "45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
	  "00000000045f736970045f756470037369700963796265726369747902646b00"
	  "0021000101020201",
	  "00004321000000004956ed7e3b244cfe"
	  "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34"
	  "cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce"
	  "61bc17d768fd9732459018148f6cbe722fd04796562dfdb4" },
	{ "rfc4106(gcm(aes))", "feffe9928665731c6d6a8f9467308308 cafebabe", 0xa5f8, 0xa, false,
	  "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100"
	  "0001000000000000037369700963796265726369747902646b00000100010001",
	  "0000a5f80000000afacedbaddecaf888"
	  "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c"
	  "3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1"
	  "83b70d3aa8bc6ee4c309e9d85a41ad4a" },
	{ "rfc4106(gcm(aes))",
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab 11223344",
	  0x4a2cbfe3, 2, false,
	  "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
	  "7002400020bf0000020405b40101040201020201",
	  "4a2cbfe3000000020102030405060708"
	  "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
	  "748a637985771d347f0545659f14e99def842d8eb335f4eecfdbf831824b4c49"
	  "15956c96" },
	{ "rfc4106(gcm(aes))", "00000000000000000000000000000000 00000000", 0, 1, false,
	  "4500003c99c500008001cb7a40679318010101010800075c0200440061626364"
	  "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201",
	  "00000000000000010000000000000000"
	  "4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284"
	  "456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3"
	  "f821d496eeb096e98ad2b69e4799c71d" },
	{ "rfc4106(gcm(aes))", "3de09874b388e6491988d0c3607eae1f 57690e43", 0x42f67e3f,
	  0x1010101010101010, true,
	  "4500003c99c300008001cb7c40679318010101010800085c0200430061626364"
	  "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201",
	  "42f67e3f101010104e280000a2fca1a3"
	  "fba2caa4853cf9f0f22cb10d86dd83b0fec75691cf1a04b00d1138ec9c357917"
	  "65acbd8701ad79845bf9fe3fba487bc91755e6662b4c8d0d1f5e22739530320a"
	  "e0d731cc978ecafaeae88f00e80d6e48" },
	{ "rfc4106(gcm(aes))", "3de09874b388e6491988d0c3607eae1f 57690e43", 0x42f67e3f,
	  0x1010101010101010, true, "4500001c42a200008001441f406793b6e00000020a00f5ff01020201",
	  "42f67e3f101010104e280000a2fca1a3"
	  "fba2ca845e5df9f0f22c3e6e86dd831e1fc65792cd1af9130e1379ed369f071f"
	  "35e034be95f112e4e7d05d35" },
	{ "rfc4106(gcm(aes))", "feffe9928665731c6d6a8f9467308308feffe9928665731c cafebabe",
	  0xa5f8, 0xa, false,
	  "45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e"
	  "501016d075680001",
	  "0000a5f80000000afacedbaddecaf888"
	  "a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0"
	  "315b27452144cc7795457b9652037f5318027b5b4cd7a636" },
	{ "rfc4106(gcm(aes))", "abbccddef00112233445566778899aab decaf888", 0x100, 1, true,
	  "4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d5"
	  "00004e20001e8c18d75b81dc91baa0476b91b924b280389d92c963bac046ec95"
	  "9b6266c04722b14923010101",
	  "0000010000000001cafedebaceface74"
	  "18a6fd42f72cbf4ab2a2ea901f73d814e3e7f243d95412e1c349c1d2fbec168f"
	  "9190feebaf2cb01984e65863965d7472b79da345e0e780191f0d2f0e0f496c22"
	  "6f2127b27db35724e7845d68651f57e65f354f75ff17015769623436" },
	{ "rfc4106(gcm(aes))",
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab 73616c74",
	  0x17405e67, 0x156f3126dd0db99b, true,
	  "45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb712602"
	  "50101f646d540001",
	  "17405e67dd0db99b616e640169766563"
	  "f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde98ef67549d524a3018d9a57f"
	  "f4d3a31ce673119e451626c2415771e3b7eebca614c89b35" },
	{ "rfc4106(gcm(aes))", "3de09874b388e6491988d0c3607eae1f 57690e43", 0x42f67e3f,
	  0x1010101010101010, true,
	  "45000049333e00007f119182c3fb1d10c2b1d326c02831ce0035cb458003025b"
	  "000001e0001e8c18d65759d52284a0352c71475c8880391c764d6e5ee0496b32"
	  "5ae270c03899493915010101",
	  "42f67e3f101010104e280000a2fca1a3"
	  "fba2cad12fc1f9f00d3cebf305410db83d7784b607323d220f24b0a97d541828"
	  "00cadb0f68d99ef0e0c0c89ae9bea8884e52d65bc1afd0740f742444747b5b39"
	  "ab533163aad4550ee5160975cdb608c5769189609763b8e18caa81e2" },
	{ "rfc4106(gcm(aes))",
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab 73616c74",
	  0x17405e67, 0x156f3126dd0db99b, true,
	  "636973636f0172756c65730174686501"
	  "6e6574776501646566696e6501746865746563686e6f6c6f6769657301746861"
	  "7477696c6c01646566696e65746f6d6f72726f7701020201",
	  "17405e67dd0db99b616e640169766563"
	  "d4b7ed86a1777f2ea13d6973d324c69e7b43f826fb56831226508bebd2dceb18"
	  "d0a6df10e5487df074113e14c641024e3e6773d91a62ee429b043a10e3efe6b0"
	  "12a49363412364f8c0cac587f249e56b11e24f30e44ccc76" },
	/* [11]: 4 bytes of plaintext, all trailer: see test_gcm_no_payload */
	{ "rfc4106(gcm(aes))", "7d773d00c144c525ac619d18c84a3f47 d9664267", 0x335467ae,
	  0xffffffff, false, "01020201",
	  "335467aeffffffff43457e9182443bc6"
	  "437f866bcb3f699fe9b0822bac961c4504bef270" },
	{ "rfc4106(gcm(aes))", "abbccddef00112233445566778899aab decaf888", 0x100, 1, true,
	  "746f016265016f72016e6f7401746f0162650001",
	  "0000010000000001cafedebaceface74"
	  "29c9fc69a197d038ccdd14e2ddfcaa0543332164412503524303ed3c6c5f2838"
	  "43af8c3e" },
	{ "rfc4106(gcm(aes))",
	  "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961 7475726e",
	  0x796b6963, 0xffffffffffffffff, true,
	  "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
	  "65666768696a6b6c6d6e6f707172737401020201",
	  "796b6963ffffffff333021696765746d"
	  "f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86"
	  "4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9d0937ba2945f669368661a32"
	  "9fb4c053" },
	/* AES-GMAC-ESP: the payload travels in the clear */
	{ "rfc4543(gcm(aes))", "4c80cdefbb5d10da906ac73c3613a634 22433c64", 0x4321, 7, false,
	  "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
	  "65666768696a6b6c6d6e6f707172737401020201",
	  "00004321000000070000000000000000"
	  "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
	  "65666768696a6b6c6d6e6f707172737401020201f2a9a836e155106aa8dcd618"
	  "e4099aaa" },
	{ "rfc4106(gcm(aes))", "3de09874b388e6491988d0c3607eae1f 57690e43", 0x3f7ef642,
	  0x1010101010101010, true,
	  "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
	  "65666768696a6b6c6d6e6f707172737401020201",
	  "3f7ef642101010104e280000a2fca1a3"
	  "fba2caa8c6c5f9f0f22ca54a061210ad3f6e5791cf1aca210d117cec9c357917"
	  "65acbd8701ad79845bf9fe3fba487bc96321930684eecadb56912546e7a95c97"
	  "40d7cb05" },
	{ "rfc4106(gcm(aes))", "4c80cdefbb5d10da906ac73c3613a634 22433c64", 0x4321,
	  0x8765432100000007, true,
	  "0800c6cd020007006162636465666768696a6b6c6d6e6f707172737401020201",
	  "00004321000000074855ec7d3a234bfd"
	  "74752e8aeb5d873cd7c0f4acc36c4bff84b7d7b98f0ca8b6acda6894bc619069"
	  "ef9cbc28fe1b56a7c4e0d58c86cd2bc0" },
};

static void gcm_open(struct t *t, const struct gcm_case *c, unsigned int icv_bits)
{
	sa_init(&t->sa, c->spi, XFRM_MODE_TRANSPORT, c->esn, 32);
	alg_hex(&t->sa.aead, c->alg, c->key, icv_bits);
	t_open(t);
	if (c->esn)
		t_expect_esn(t, c->seq);
}

static void test_gcm_draft(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(gcm_cases); i++) {
		const struct gcm_case *c = &gcm_cases[i];
		uint8_t pkt[256], plain[256];
		size_t len, plen;
		struct t t;

		if (i == 11)
			continue;
		len = unhex(c->packet, pkt, sizeof(pkt));
		plen = unhex(c->plaintext, plain, sizeof(plain));
		gcm_open(&t, c, 128);
		if (t_verify(&t, pkt, len) != XC_V_OK)
			fail_msg("case %zu: %s (%s)", i, xc_verdict_counter(t.res.verdict),
				 t.res.detail);
		assert_int_equal(t.res.seq, c->seq);
		assert_int_equal(t.res.spi, c->spi);
		assert_int_equal(t.res.plain_len, plen);
		assert_memory_equal(out, plain, plen);
		assert_int_equal(t.res.pad_len, plain[plen - 2]);
		assert_int_equal(t.res.next_header, plain[plen - 1]);
		assert_int_equal(t.res.payload_len, plen - 2 - plain[plen - 2]);
		/* the ESN high bits are in the AAD: the wrong ones fail */
		if (c->esn) {
			t_expect_esn(&t, c->seq + (1ull << 32));
			assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
			assert_int_equal(t.res.err, -EBADMSG);
		}
		t_close(&t);
	}
}

/* ICV 8 and 12: the GCM tag's leftmost bytes (RFC 4106 §6, SP 800-38D) */
static void test_gcm_short_icv(void **state)
{
	const struct gcm_case *c = &gcm_cases[1];
	const unsigned int bits[] = { 64, 96 };
	uint8_t pkt[256];
	size_t len;
	struct t t;

	(void)state;
	for (size_t i = 0; i < N_ELEM(bits); i++) {
		len = unhex(c->packet, pkt, sizeof(pkt)) - (128 - bits[i]) / 8;
		gcm_open(&t, c, bits[i]);
		assert_int_equal(xc_esp_sa_icv_len(t.esa), bits[i] / 8);
		assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
		assert_int_equal(t.res.payload_len, 62);
		pkt[len - 1] ^= 0x80;
		assert_int_equal(xc_replay_init_sa(&t.r, &t.sa), 0); /* a fresh window */
		assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
		assert_int_equal(t.res.err, -EBADMSG);
		t_close(&t);
	}
}

/* Case 12 of the draft: a 4-byte plaintext, 01 02 | 02 | 01, is all
 * padding: authentic, but esp_remove_trailer refuses it (padlen + 2 + alen
 * = 2 + 2 + 16 >= elen = 20). */
static void test_gcm_no_payload(void **state)
{
	const struct gcm_case *c = &gcm_cases[11];
	uint8_t pkt[64];
	size_t len = unhex(c->packet, pkt, sizeof(pkt));
	struct t t;

	(void)state;
	gcm_open(&t, c, 128);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
	assert_int_equal(t.res.err, -EINVAL);
	assert_int_equal(t.res.stats, 0); /* not an integrity failure */
	assert_string_equal(t.res.detail, "pad length 2 = payload 2, no data left");
	/* nothing advanced: the same packet is not a replay */
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
	t_close(&t);
}

static void test_gmac_draft(void **state)
{
	const struct gcm_case *c = &gcm_cases[14];
	uint8_t pkt[256];
	size_t len = unhex(c->packet, pkt, sizeof(pkt));
	struct t t;

	(void)state;
	gcm_open(&t, c, 128);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_int_equal(t.res.payload_len, 48);
	assert_memory_equal(out, pkt + 16, 52);
	/* the clear payload is authenticated: one bit of it fails the ICV */
	assert_int_equal(xc_replay_init_sa(&t.r, &t.sa), 0);
	pkt[20] ^= 1;
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
	assert_int_equal(t.res.err, -EBADMSG);
	pkt[20] ^= 1;
	pkt[10] ^= 1; /* and so is the IV */
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
	t_close(&t);
}

/* --- RFC 7634 Appendix A -------------------------------------------------- */

static void test_rfc7634(void **state)
{
	static const char *pkt_hex =
		"45 00 00 8c 23 45 00 00 40 32 de 5b cb 00 71 99"
		"cb 00 71 05 01 02 03 04 00 00 00 05 10 11 12 13"
		"14 15 16 17 24 03 94 28 b9 7f 41 7e 3c 13 75 3a"
		"4f 05 08 7b 67 c3 52 e6 a7 fa b1 b9 82 d4 66 ef"
		"40 7a e5 c6 14 ee 80 99 d5 28 44 eb 61 aa 95 df"
		"ab 4c 02 f7 2a a7 1e 7c 4c 4f 64 c9 be fe 2f ac"
		"c6 38 e8 f3 cb ec 16 3f ac 46 9b 50 27 73 f6 fb"
		"94 e6 64 da 91 65 b8 28 29 f6 41 e0 76 aa a8 26"
		"6b 7f b0 f7 b1 1b 36 99 07 e1 ad 43";
	static const char *src_hex =
		"45 00 00 54 a6 f2 00 00 40 01 e7 78 c6 33 64 05"
		"c0 00 02 05 08 00 5b 7a 3a 08 00 00 55 3b ec 10"
		"00 07 36 27 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13"
		"14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23"
		"24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33"
		"34 35 36 37";
	static const char *keymat =
		"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f a0a1a2a3";
	uint8_t pkt[256], src[128];
	struct xc_frame f;
	struct t t;
	size_t len = unhex(pkt_hex, pkt, sizeof(pkt));

	(void)state;
	assert_int_equal(unhex(src_hex, src, sizeof(src)), 84);
	assert_int_equal(xc_esp_parse_ip(pkt, len, 0, 0, &f), 0);
	assert_int_equal(f.kind, XC_FRAME_ESP);
	assert_int_equal(f.family, AF_INET);
	assert_int_equal(ntohl(f.saddr.a4), 0xcb007199); /* 203.0.113.153 */
	assert_int_equal(ntohl(f.daddr.a4), 0xcb007105); /* 203.0.113.5 */
	assert_int_equal(f.encap_type, 0);
	assert_int_equal(f.spi, 0x01020304);
	assert_int_equal(f.seq, 5);

	sa_init(&t.sa, 0x01020304, XFRM_MODE_TUNNEL, false, 32);
	alg_hex(&t.sa.aead, "rfc7539esp(chacha20,poly1305)", keymat, 128);
	t_open(&t);
	assert_int_equal(xc_esp_verify(t.esa, &t.r, &f, pkt + f.esp_off, f.esp_len, out,
				       sizeof(out), &t.res), 0);
	assert_int_equal(t.res.verdict, XC_V_OK);
	/* the source packet plus 01 02 | 02 | 04 */
	assert_int_equal(t.res.payload_len, 84);
	assert_memory_equal(out, src, 84);
	assert_int_equal(t.res.pad_len, 2);
	assert_int_equal(t.res.next_header, IPPROTO_IPIP);
	/* the tag's last bit */
	assert_int_equal(xc_replay_init_sa(&t.r, &t.sa), 0);
	pkt[len - 1] ^= 1;
	assert_int_equal(xc_esp_verify(t.esa, &t.r, &f, pkt + f.esp_off, f.esp_len, out,
				       sizeof(out), &t.res), 0);
	assert_int_equal(t.res.verdict, XC_V_IN_STATE_PROTO_ERROR);
	assert_int_equal(t.res.err, -EBADMSG);
	t_close(&t);
}

/* --- HMAC truncations ----------------------------------------------------- */

struct hmac_case {
	const char *alg;
	const char *key;
	bool trunc; /* auth-trunc with bits, else plain auth (kernel default) */
	unsigned int bits;
	const char *icv; /* the document's value, truncated */
	const char *source;
};

/* "Hi There": SPI 0x48692054, seq 0x68657265, nothing after: the ICV is
 * good but there is no trailer: -EINVAL, not -EBADMSG. */
static const struct hmac_case hi_there[] = {
	{ "hmac(sha256)", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", true,
	  128, "198a607eb44bfbc69903a0f1cf2bbdc5", "RFC 4868 AUTH256-1" },
	{ "hmac(sha256)", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", false,
	  96, "198a607eb44bfbc69903a0f1", "RFC 4868 AUTH256-1 at the kernel's 96" },
	{ "hmac(sha256)", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", true,
	  256, "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7",
	  "RFC 4868 AUTH256-1 PRF" },
	{ "hmac(sha384)",
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  false, 192, "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973", "RFC 4868 AUTH384-1" },
	{ "hmac(sha512)",
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  false, 256, "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8",
	  "RFC 4868 AUTH512-1" },
	{ "hmac(sha1)", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", false, 96,
	  "b617318655057264e28bc0b6", "RFC 2404 test case 1" },
};

static void test_hmac_hi_there(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ELEM(hi_there); i++) {
		const struct hmac_case *c = &hi_there[i];
		uint8_t pkt[64];
		size_t len;
		struct t t;

		memcpy(pkt, "Hi There", 8);
		len = 8 + unhex(c->icv, pkt + 8, sizeof(pkt) - 8);
		sa_init(&t.sa, 0x48692054, XFRM_MODE_TRANSPORT, false, 32);
		alg_hex(&t.sa.enc, "ecb(cipher_null)", "", 0);
		alg_hex(&t.sa.auth, c->alg, c->key, c->trunc ? c->bits : 0);
		t.sa.auth_trunc = c->trunc;
		t_open(&t);
		assert_int_equal(xc_esp_sa_icv_len(t.esa), c->bits / 8);
		assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
		if (t.res.err != -EINVAL)
			fail_msg("%s: %s", c->source, t.res.detail);
		assert_int_equal(t.res.stats, 0);
		assert_string_equal(t.res.detail, "0 bytes of plaintext, no room for the trailer");
		pkt[len - 1] ^= 1;
		assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
		assert_int_equal(t.res.err, -EBADMSG);
		assert_int_equal(t.res.stats, XC_ESP_STAT_INTEGRITY);
		assert_string_equal(t.res.detail, "ICV mismatch");
		t_close(&t);
	}
}

/* RFC 4231 test case 7 (RFC 4868 PRF-6): 152 bytes that end in "m.", read
 * as SPI "This", seq " is ", 144 bytes of data whose last two are a pad
 * length of 0x6d and a next header of 0x2e: a valid trailer (109 + 2 <
 * 144), 33 bytes of payload, padding that is not 1, 2, 3… */
static void test_hmac_rfc4231_case7(void **state)
{
	static const char data[] = "This is a test using a larger than block-size key and a larger "
				   "than block-size data. The key needs to be hashed before being "
				   "used by the HMAC algorithm.";
	static const struct {
		const char *alg;
		bool trunc;
		unsigned int bits;
		const char *prf;
	} cases[] = {
		{ "hmac(sha256)", false, 96,
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
		{ "hmac(sha256)", true, 128,
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
		{ "hmac(sha256)", true, 256,
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
		{ "hmac(sha384)", false, 192,
		  "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
		  "a678cc31e799176d3860e6110c46523e" },
		{ "hmac(sha512)", false, 256,
		  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
		  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
		{ "hmac(sha512)", true, 512,
		  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
		  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
	};
	uint8_t key[131], prf[64], pkt[256];

	(void)state;
	assert_int_equal(sizeof(data) - 1, 152);
	memset(key, 0xaa, sizeof(key));
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		struct t t;
		size_t len;

		unhex(cases[i].prf, prf, sizeof(prf));
		memcpy(pkt, data, 152);
		memcpy(pkt + 152, prf, cases[i].bits / 8);
		len = 152 + cases[i].bits / 8;
		sa_init(&t.sa, 0x54686973, XFRM_MODE_TRANSPORT, false, 32);
		alg_hex(&t.sa.enc, "cipher_null", "", 0);
		alg(&t.sa.auth, cases[i].alg, key, sizeof(key), cases[i].trunc ? cases[i].bits : 0);
		t.sa.auth_trunc = cases[i].trunc;
		t_open(&t);
		if (t_verify(&t, pkt, len) != XC_V_OK)
			fail_msg("%s/%u: %s", cases[i].alg, cases[i].bits, t.res.detail);
		assert_int_equal(t.res.seq, 0x20697320);
		assert_int_equal(t.res.pad_len, 0x6d);
		assert_int_equal(t.res.next_header, 0x2e);
		assert_int_equal(t.res.payload_len, 33);
		assert_memory_equal(out, data + 8, 33);
		/* padding starts "larger…": 'l' where 0x01 belongs */
		assert_true(t.res.warn & XC_ESP_W_PAD_CONTENT);
		assert_int_equal(t.res.bad_pad_at, 0);
		assert_int_equal(t.res.bad_pad_val, data[8 + 33]);
		/* seq 0x20697320 on an empty window: that many skipped */
		assert_true(t.res.warn & XC_ESP_W_SEQ_GAP);
		assert_int_equal(t.res.gap, 0x20697320 - 1);
		t_close(&t);
	}
}

/* --- an independent encryptor --------------------------------------------- */

enum kind { GCM, GMAC, CCM, CHACHA, CBC, CTR, NUL };

struct cfg {
	const char *aead, *enc, *auth;
	enum kind kind;
	unsigned int key_len, salt, iv, block; /* cipher key without salt */
	unsigned int auth_key_len, icv;        /* bytes */
	bool trunc;
	const char *evp, *mac, *digest;        /* OpenSSL names */
};

static const struct cfg cfgs[] = {
	{ "rfc4106(gcm(aes))", NULL, NULL, GCM, 16, 4, 8, 1, 0, 16, false, "AES-128-GCM", 0, 0 },
	{ "rfc4106(gcm(aes))", NULL, NULL, GCM, 16, 4, 8, 1, 0, 8, false, "AES-128-GCM", 0, 0 },
	{ "rfc4106(gcm(aes))", NULL, NULL, GCM, 24, 4, 8, 1, 0, 12, false, "AES-192-GCM", 0, 0 },
	{ "rfc4106(gcm(aes))", NULL, NULL, GCM, 32, 4, 8, 1, 0, 16, false, "AES-256-GCM", 0, 0 },
	{ "rfc4543(gcm(aes))", NULL, NULL, GMAC, 16, 4, 8, 1, 0, 16, false, "AES-128-GCM", 0, 0 },
	{ "rfc4543(gcm(aes))", NULL, NULL, GMAC, 32, 4, 8, 1, 0, 16, false, "AES-256-GCM", 0, 0 },
	{ "rfc4309(ccm(aes))", NULL, NULL, CCM, 16, 3, 8, 1, 0, 16, false, "AES-128-CCM", 0, 0 },
	{ "rfc4309(ccm(aes))", NULL, NULL, CCM, 32, 3, 8, 1, 0, 8, false, "AES-256-CCM", 0, 0 },
	{ "rfc7539esp(chacha20,poly1305)", NULL, NULL, CHACHA, 32, 4, 8, 1, 0, 16, false,
	  "ChaCha20-Poly1305", 0, 0 },
	{ NULL, "cbc(aes)", "hmac(sha1)", CBC, 16, 0, 16, 16, 20, 12, false, "AES-128-CBC",
	  "HMAC", "SHA1" },
	{ NULL, "cbc(aes)", "hmac(sha256)", CBC, 24, 0, 16, 16, 32, 12, false, "AES-192-CBC",
	  "HMAC", "SHA256" },
	{ NULL, "cbc(aes)", "hmac(sha256)", CBC, 32, 0, 16, 16, 32, 16, true, "AES-256-CBC",
	  "HMAC", "SHA256" },
	{ NULL, "cbc(aes)", "hmac(sha384)", CBC, 16, 0, 16, 16, 48, 24, false, "AES-128-CBC",
	  "HMAC", "SHA384" },
	{ NULL, "cbc(aes)", "hmac(sha512)", CBC, 16, 0, 16, 16, 64, 32, false, "AES-128-CBC",
	  "HMAC", "SHA512" },
	{ NULL, "cbc(aes)", "hmac(md5)", CBC, 16, 0, 16, 16, 16, 12, false, "AES-128-CBC", "HMAC",
	  "MD5" },
	/* HMAC keys of any length, as the kernel takes them: none, one, a block */
	{ NULL, "cbc(aes)", "hmac(sha256)", CBC, 16, 0, 16, 16, 0, 16, true, "AES-128-CBC", "HMAC",
	  "SHA256" },
	{ NULL, "cbc(aes)", "hmac(sha1)", CBC, 16, 0, 16, 16, 1, 12, false, "AES-128-CBC", "HMAC",
	  "SHA1" },
	{ NULL, "cbc(aes)", "hmac(sha512)", CBC, 16, 0, 16, 16, 64, 32, false, "AES-128-CBC",
	  "HMAC", "SHA512" },
	{ NULL, "cbc(aes)", "cmac(aes)", CBC, 16, 0, 16, 16, 16, 12, false, "AES-128-CBC", "CMAC",
	  "AES-128-CBC" },
	{ NULL, "cbc(aes)", NULL, CBC, 16, 0, 16, 16, 0, 0, false, "AES-128-CBC", 0, 0 },
	{ NULL, "cbc(des3_ede)", "hmac(sha1)", CBC, 24, 0, 8, 8, 20, 12, false, "DES-EDE3-CBC",
	  "HMAC", "SHA1" },
	{ NULL, "cbc(camellia)", "hmac(sha256)", CBC, 16, 0, 16, 16, 32, 12, false,
	  "CAMELLIA-128-CBC", "HMAC", "SHA256" },
	{ NULL, "rfc3686(ctr(aes))", "hmac(sha1)", CTR, 16, 4, 8, 1, 20, 12, false, "AES-128-CTR",
	  "HMAC", "SHA1" },
	{ NULL, "ecb(cipher_null)", "hmac(sha256)", NUL, 0, 0, 0, 1, 32, 16, true, NULL, "HMAC",
	  "SHA256" },
	{ NULL, "ecb(cipher_null)", NULL, NUL, 0, 0, 0, 1, 0, 0, false, NULL, 0, 0 },
};

struct keys {
	uint8_t enc[64], auth[64];
};

static void cfg_keys(struct keys *k, unsigned int n)
{
	for (unsigned int i = 0; i < sizeof(k->enc); i++) {
		k->enc[i] = (uint8_t)(0x30 + 7 * i + n);
		k->auth[i] = (uint8_t)(0xa0 ^ (13 * i + n));
	}
}

static void cfg_open(struct t *t, const struct cfg *c, const struct keys *k, uint8_t mode,
		     bool esn, uint32_t window)
{
	sa_init(&t->sa, 0x1000 + (uint32_t)(c - cfgs), mode, esn, window);
	if (c->aead) {
		alg(&t->sa.aead, c->aead, k->enc, c->key_len + c->salt, c->icv * 8);
	} else {
		alg(&t->sa.enc, c->enc, k->enc, c->key_len + c->salt, 0);
		if (c->auth) {
			alg(&t->sa.auth, c->auth, k->auth, c->auth_key_len, c->trunc ? c->icv * 8 : 0);
			t->sa.auth_trunc = c->trunc;
		}
	}
	t_open(t);
}

/* payload, then padding 1, 2, 3… to the block (at least 4), pad length,
 * next header */
static size_t plain(uint8_t *buf, const uint8_t *payload, size_t len, unsigned int block,
		    uint8_t nh)
{
	unsigned int align = block < 4 ? 4 : block;
	size_t pad = (align - (len + 2) % align) % align;

	memcpy(buf, payload, len);
	for (size_t i = 0; i < pad; i++)
		buf[len + i] = (uint8_t)(i + 1);
	buf[len + pad] = (uint8_t)pad;
	buf[len + pad + 1] = nh;
	return len + pad + 2;
}

/* Seal plaintext p (trailer included) into pkt as RFC 4303 and the
 * algorithm's RFC say, with OpenSSL's one-shot and EVP calls. */
static size_t seal(const struct cfg *c, const struct keys *k, uint32_t spi, uint64_t seq, bool esn,
		   const uint8_t *p, size_t plen, uint8_t *pkt)
{
	uint8_t *iv = pkt + 8, *ct = iv + c->iv, nonce[16], aad[12], tag[16], hi[4];
	const uint8_t *salt = k->enc + c->key_len;
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	EVP_CIPHER *cipher = c->evp ? EVP_CIPHER_fetch(NULL, c->evp, NULL) : NULL;
	size_t aadlen = esn ? 12 : 8;
	int n;

	assert_non_null(x);
	put32(pkt, spi);
	put32(pkt + 4, (uint32_t)seq);
	for (unsigned int i = 0; i < c->iv; i++)
		iv[i] = (uint8_t)(seq * 31 + i * 17 + 5);
	put32(aad, spi);
	put32(aad + 4, esn ? (uint32_t)(seq >> 32) : (uint32_t)seq);
	put32(aad + 8, (uint32_t)seq);
	put32(hi, (uint32_t)(seq >> 32));
	switch (c->kind) {
	case GCM:
	case GMAC:
	case CHACHA:
		memcpy(nonce, salt, 4);
		memcpy(nonce + 4, iv, 8);
		assert_true(EVP_EncryptInit_ex(x, cipher, NULL, k->enc, nonce));
		assert_true(EVP_EncryptUpdate(x, NULL, &n, aad, (int)aadlen));
		if (c->kind == GMAC) {
			assert_true(EVP_EncryptUpdate(x, NULL, &n, iv, 8));
			assert_true(EVP_EncryptUpdate(x, NULL, &n, p, (int)plen));
			memcpy(ct, p, plen);
		} else {
			assert_true(EVP_EncryptUpdate(x, ct, &n, p, (int)plen));
		}
		assert_true(EVP_EncryptFinal_ex(x, ct + plen, &n));
		assert_true(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag) > 0);
		memcpy(ct + plen, tag, c->icv);
		break;
	case CCM:
		memcpy(nonce, salt, 3);
		memcpy(nonce + 3, iv, 8);
		assert_true(EVP_EncryptInit_ex(x, cipher, NULL, NULL, NULL));
		assert_true(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_IVLEN, 11, NULL) > 0);
		assert_true(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, (int)c->icv, NULL) > 0);
		assert_true(EVP_EncryptInit_ex(x, NULL, NULL, k->enc, nonce));
		assert_true(EVP_EncryptUpdate(x, NULL, &n, NULL, (int)plen));
		assert_true(EVP_EncryptUpdate(x, NULL, &n, aad, (int)aadlen));
		assert_true(EVP_EncryptUpdate(x, ct, &n, p, (int)plen));
		assert_true(EVP_EncryptFinal_ex(x, ct + plen, &n));
		assert_true(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, (int)c->icv, ct + plen) > 0);
		break;
	case CBC:
	case CTR:
	case NUL:
		if (c->kind == NUL) {
			memcpy(ct, p, plen);
		} else {
			if (c->kind == CTR) {
				memcpy(nonce, salt, 4);
				memcpy(nonce + 4, iv, 8);
				put32(nonce + 12, 1);
			} else {
				memcpy(nonce, iv, c->iv);
			}
			assert_true(EVP_EncryptInit_ex(x, cipher, NULL, k->enc, nonce));
			assert_true(EVP_CIPHER_CTX_set_padding(x, 0));
			assert_true(EVP_EncryptUpdate(x, ct, &n, p, (int)plen));
			assert_int_equal(n, plen);
		}
		if (c->mac) {
			/* RFC 4303 §2.2.1 / §3.3.2.1: seq_hi after the payload */
			uint8_t buf[4096], full[64];
			size_t blen = 8 + c->iv + plen, flen;

			memcpy(buf, pkt, blen);
			if (esn) {
				memcpy(buf + blen, hi, 4);
				blen += 4;
			}
			assert_non_null(EVP_Q_mac(NULL, c->mac, NULL, c->digest, NULL, k->auth,
						  c->auth_key_len, buf, blen, full, sizeof(full),
						  &flen));
			memcpy(ct + plen, full, c->icv);
		}
		break;
	}
	EVP_CIPHER_free(cipher);
	EVP_CIPHER_CTX_free(x);
	return 8 + c->iv + plen + c->icv;
}

static void test_roundtrip(void **state)
{
	const size_t sizes[] = { 1, 3, 15, 16, 100, 1400 };
	uint8_t payload[1500], p[1600], pkt[1700];

	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	for (size_t ci = 0; ci < N_ELEM(cfgs); ci++) {
		const struct cfg *c = &cfgs[ci];
		struct keys k;

		cfg_keys(&k, (unsigned int)ci);
		for (int esn = 0; esn < 2; esn++) {
			struct t t;
			uint64_t seq = esn ? 0x500000001ull : 1;

			cfg_open(&t, c, &k, XFRM_MODE_TRANSPORT, esn, 64);
			if (esn)
				t_expect_esn(&t, seq);
			for (size_t si = 0; si < N_ELEM(sizes); si++, seq++) {
				size_t plen = plain(p, payload, sizes[si], c->block, IPPROTO_UDP);
				size_t len = seal(c, &k, 0x1000 + (uint32_t)ci, seq, esn,
						  p, plen, pkt);

				assert_int_equal(xc_esp_sa_iv_len(t.esa), c->iv);
				assert_int_equal(xc_esp_sa_icv_len(t.esa), c->icv);
				if (t_verify(&t, pkt, len) != XC_V_OK)
					fail_msg("%s %s esn %d size %zu: %s %s", c->aead ? c->aead : c->enc,
						 c->auth ? c->auth : "", esn, sizes[si],
						 xc_verdict_counter(t.res.verdict), t.res.detail);
				assert_int_equal(t.res.seq, seq);
				assert_int_equal(t.res.payload_len, sizes[si]);
				assert_memory_equal(out, payload, sizes[si]);
				assert_int_equal(t.res.next_header, IPPROTO_UDP);
				assert_int_equal(t.res.warn & ~(unsigned int)XC_ESP_W_SEQ_HI, 0);
				/* again: a replay, before any crypto */
				assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_SEQ_ERROR);
				assert_int_equal(t.res.replay, XC_REPLAY_REPLAYED);
			}
			t_close(&t);
		}
	}
}

/* --- negative cases ------------------------------------------------------- */

static const struct cfg *cfg_gcm = &cfgs[0], *cfg_cbc = &cfgs[11];

static size_t mk(const struct cfg *c, const struct keys *k, uint64_t seq, bool esn,
		 const uint8_t *payload, size_t len, uint8_t nh, uint8_t *pkt)
{
	uint8_t p[2048];
	size_t plen = plain(p, payload, len, c->block, nh);

	return seal(c, k, 0x1000 + (uint32_t)(c - cfgs), seq, esn, p, plen, pkt);
}

static void test_icv_flip(void **state)
{
	const struct cfg *which[] = { cfg_gcm, &cfgs[4], &cfgs[6], &cfgs[8], cfg_cbc, &cfgs[20] };
	uint8_t pkt[256], payload[40] = "forty bytes of payload, more or less...";

	(void)state;
	for (size_t w = 0; w < N_ELEM(which); w++) {
		const struct cfg *c = which[w];
		struct keys k;
		struct t t;
		size_t len;

		cfg_keys(&k, 3);
		cfg_open(&t, c, &k, XFRM_MODE_TRANSPORT, false, 32);
		len = mk(c, &k, 1, false, payload, sizeof(payload), 17, pkt);
		for (size_t bit = 0; bit < 8 * len; bit += 37) {
			if (bit < 32)
				continue; /* the SPI: another SA */
			pkt[bit / 8] ^= (uint8_t)(1 << bit % 8);
			memset(out, 0x55, sizeof(out));
			assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
			if (bit >= 64 || t.res.replay == XC_REPLAY_OK) {
				assert_int_equal(t.res.err, -EBADMSG);
				assert_int_equal(t.res.stats, XC_ESP_STAT_INTEGRITY);
				/* no unauthenticated plaintext handed out */
				for (size_t i = 0; i < len - 8 - c->iv - c->icv; i++)
					assert_int_equal(out[i], 0);
			}
			pkt[bit / 8] ^= (uint8_t)(1 << bit % 8);
		}
		assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
		t_close(&t);
	}
}

/* Nothing between the IV and the ICV, authentic: the crypto passes (a
 * zero-length message), esp_remove_trailer refuses: -EINVAL. */
static void test_aead_empty(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < N_ELEM(cfgs); ci++) {
		const struct cfg *c = &cfgs[ci];
		uint8_t pkt[128];
		struct keys k;
		struct t t;
		size_t len;

		cfg_keys(&k, 21);
		cfg_open(&t, c, &k, XFRM_MODE_TRANSPORT, false, 32);
		len = seal(c, &k, 0x1000 + (uint32_t)ci, 1, false, pkt, 0, pkt);
		assert_int_equal(len, 8 + c->iv + c->icv);
		if (len == 8 + c->iv) /* no ICV either: esp_input's elen <= 0 */
			assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
		else if (t_verify(&t, pkt, len) != XC_V_IN_STATE_PROTO_ERROR || t.res.err != -EINVAL)
			fail_msg("%s: %s", c->aead ? c->aead : c->enc, t.res.detail);
		assert_int_equal(t.res.err, -EINVAL);
		t_close(&t);
	}
}

static void test_truncated(void **state)
{
	uint8_t pkt[256], payload[16] = "sixteen bytes!!";
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 1);
	cfg_open(&t, cfg_cbc, &k, XFRM_MODE_TRANSPORT, false, 32);
	len = mk(cfg_cbc, &k, 1, false, payload, sizeof(payload), 6, pkt);
	/* xfrm_parse_spi: under 8 bytes, XfrmInHdrError */
	for (size_t n = 0; n < 8; n++) {
		assert_int_equal(t_verify(&t, pkt, n), XC_V_IN_HDR_ERROR);
		assert_int_equal(t.res.err, -EINVAL);
	}
	/* esp_input: header + IV and nothing after: -EINVAL */
	for (size_t n = 8; n <= 8 + 16; n++) {
		assert_int_equal(t_verify(&t, pkt, n), XC_V_IN_STATE_PROTO_ERROR);
		assert_int_equal(t.res.err, -EINVAL);
		assert_int_equal(t.res.stats, 0);
	}
	assert_string_equal(t.res.detail, "24 bytes, no data after the 16-byte IV");
	/* crypto_aead_decrypt: less than the ICV after the IV: -EINVAL */
	assert_int_equal(t_verify(&t, pkt, 8 + 16 + 15), XC_V_IN_STATE_PROTO_ERROR);
	assert_int_equal(t.res.err, -EINVAL);
	assert_string_equal(t.res.detail, "15 bytes after the IV, short of the 16-byte ICV");
	/* one byte short of the whole: the ICV moves, -EBADMSG */
	assert_int_equal(t_verify(&t, pkt, len - 1), XC_V_IN_STATE_PROTO_ERROR);
	assert_int_equal(t.res.err, -EBADMSG);
	/* none of it moved the window */
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	t_close(&t);
}

static void test_bad_pad_length(void **state)
{
	uint8_t p[64], pkt[256];
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 2);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 32);
	/* 48 bytes: 46 of data, pad length 200, next header 4 */
	memset(p, 0x11, 46);
	p[46] = 200;
	p[47] = 4;
	len = seal(cfg_gcm, &k, 0x1000, 1, false, p, 48, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
	assert_int_equal(t.res.err, -EINVAL);
	assert_int_equal(t.res.stats, 0);
	assert_string_equal(t.res.detail, "pad length 200 > payload 46");
	/* 46 leaves nothing: padlen + 2 + alen >= elen */
	p[46] = 46;
	len = seal(cfg_gcm, &k, 0x1000, 2, false, p, 48, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
	assert_string_equal(t.res.detail, "pad length 46 = payload 46, no data left");
	/* 45 leaves one byte: fine (the pad bytes are not looked at) */
	p[46] = 45;
	len = seal(cfg_gcm, &k, 0x1000, 3, false, p, 48, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_int_equal(t.res.payload_len, 1);
	assert_true(t.res.warn & XC_ESP_W_PAD_CONTENT);
	assert_int_equal(t.res.bad_pad_at, 0);
	assert_int_equal(t.res.bad_pad_val, 0x11);
	/* the refused ones did not move the window: 1 and 2 are not replays */
	assert_int_equal(xc_replay_check(&t.r, 1, NULL), XC_REPLAY_OK);
	assert_int_equal(xc_replay_check(&t.r, 2, NULL), XC_REPLAY_OK);
	t_close(&t);
}

/* A good ICV over a ciphertext that is no whole number of blocks: the ICV
 * passes, then the CBC walk refuses: -EINVAL, no integrity failure. */
static void test_cbc_partial_block(void **state)
{
	uint8_t p[64], pkt[256];
	const struct cfg *c = cfg_cbc;
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 4);
	cfg_open(&t, c, &k, XFRM_MODE_TRANSPORT, false, 32);
	memset(p, 0, sizeof(p));
	/* encrypt 32 bytes, then drop the last 5 of the ciphertext and MAC
	 * what is left, as a sender with a broken cipher would */
	len = seal(c, &k, 0x1000 + (uint32_t)(c - cfgs), 1, false, p, 32, pkt);
	{
		uint8_t buf[256], full[64];
		size_t blen = 8 + 16 + 27, flen;

		memcpy(buf, pkt, blen);
		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k.auth, 32, buf, blen,
					  full, sizeof(full), &flen));
		memcpy(pkt + blen, full, 16);
		len = blen + 16;
	}
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
	assert_int_equal(t.res.err, -EINVAL);
	assert_int_equal(t.res.stats, 0);
	assert_string_equal(t.res.detail, "27 bytes of ciphertext, not a multiple of the 16-byte block");
	t_close(&t);
}

static void test_replay_verdicts(void **state)
{
	uint8_t pkt[256], pkt40[256], payload[20] = "replay me please....";
	struct keys k;
	struct t t;
	size_t len, len40;

	(void)state;
	cfg_keys(&k, 5);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 32);
	len = mk(cfg_gcm, &k, 5, false, payload, sizeof(payload), 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_SEQ_ERROR);
	assert_int_equal(t.res.replay, XC_REPLAY_REPLAYED);
	assert_int_equal(t.res.stats, XC_ESP_STAT_REPLAY);
	assert_string_equal(t.res.detail, "replayed seq 5");
	/* replayed and corrupted: the kernel never gets to the ICV */
	pkt[len - 1] ^= 0xff;
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_SEQ_ERROR);
	assert_int_equal(t.res.stats, XC_ESP_STAT_REPLAY);
	/* too old: 40 moves the window to 9..40 */
	len40 = mk(cfg_gcm, &k, 40, false, payload, sizeof(payload), 17, pkt40);
	assert_int_equal(t_verify(&t, pkt40, len40), XC_V_OK);
	assert_int_equal(t.res.gap, 34);
	len = mk(cfg_gcm, &k, 8, false, payload, sizeof(payload), 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_SEQ_ERROR);
	assert_int_equal(t.res.replay, XC_REPLAY_TOO_OLD);
	assert_int_equal(t.res.stats, XC_ESP_STAT_REPLAY_WINDOW);
	assert_string_equal(t.res.detail, "seq 8 too old (highest 40, window 32)");
	len = mk(cfg_gcm, &k, 9, false, payload, sizeof(payload), 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_true(t.res.warn & XC_ESP_W_LATE);
	assert_int_equal(t.res.behind, 31);
	/* seq 0 */
	len = mk(cfg_gcm, &k, 0, false, payload, sizeof(payload), 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_SEQ_ERROR);
	assert_int_equal(t.res.replay, XC_REPLAY_ZERO);
	assert_int_equal(t.res.stats, 0);
	assert_string_equal(t.res.detail, "seq 0");
	t_close(&t);
}

static void test_window_zero(void **state)
{
	uint8_t pkt[256], payload[8] = "payload";
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 6);
	cfg_open(&t, cfg_cbc, &k, XFRM_MODE_TRANSPORT, false, 0);
	for (uint64_t seq = 0; seq < 3; seq++) {
		len = mk(cfg_cbc, &k, seq, false, payload, sizeof(payload), 17, pkt);
		for (int again = 0; again < 2; again++) {
			assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
			assert_int_equal(t.res.warn, XC_ESP_W_NO_REPLAY);
		}
	}
	/* without a replay state at all: the same */
	assert_int_equal(xc_esp_verify(t.esa, NULL, NULL, pkt, len, out, sizeof(out), &t.res), 0);
	assert_int_equal(t.res.verdict, XC_V_OK);
	t_close(&t);
}

/* ESN across the 2^32 boundary, window 32, for an AEAD and authenc. */
static void test_esn_wrap(void **state)
{
	const struct cfg *which[] = { cfg_gcm, cfg_cbc };
	uint8_t pkt[256], payload[24] = "extended sequence numbe";

	(void)state;
	for (size_t w = 0; w < N_ELEM(which); w++) {
		const struct cfg *c = which[w];
		struct keys k;
		struct t t;
		size_t len;

		cfg_keys(&k, 7);
		cfg_open(&t, c, &k, XFRM_MODE_TRANSPORT, true, 32);
		assert_int_equal(xc_replay_set(&t.r, 0xfffffff0, 0, NULL, 0), 0);
		/* 2^32 + 2: below bottom 0xffffffd1, so the next block */
		len = mk(c, &k, 0x100000002ull, true, payload, sizeof(payload), 17, pkt);
		assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
		assert_int_equal(t.res.seq, 0x100000002ull);
		assert_int_equal(t.res.seq_hi, 1);
		assert_true(t.res.warn & XC_ESP_W_SEQ_HI);
		assert_int_equal(t.res.gap, 17); /* 0xfffffff1 .. 2^32 + 1 */
		assert_int_equal(t.r.seq_hi, 1);
		assert_int_equal(t.r.seq, 2);
		/* 0xfffffff5 of block 0: in the window (diff 13), seq_hi 0 */
		len = mk(c, &k, 0xfffffff5ull, true, payload, sizeof(payload), 17, pkt);
		assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
		assert_int_equal(t.res.seq_hi, 0);
		assert_true(t.res.warn & XC_ESP_W_LATE);
		assert_int_equal(t.res.behind, 13);
		/* 3 sent in block 0 (long ago): taken for block 1, the ICV
		 * fails; in ESN mode "too old" is an integrity failure */
		len = mk(c, &k, 3, true, payload, sizeof(payload), 17, pkt);
		assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
		assert_int_equal(t.res.err, -EBADMSG);
		assert_int_equal(t.res.seq, 0x100000003ull);
		/* 0 of block 1 is a valid sequence number (2^32) */
		len = mk(c, &k, 0x100000000ull, true, payload, sizeof(payload), 17, pkt);
		assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
		/* block 1 sealed with seq_hi 0 in the ICV: refused */
		len = mk(c, &k, 5, true, payload, sizeof(payload), 17, pkt);
		assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
		len = mk(c, &k, 0x100000005ull, true, payload, sizeof(payload), 17, pkt);
		assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
		t_close(&t);
	}
}

static void test_esn_start_zero(void **state)
{
	uint8_t pkt[256], payload[4] = "abc";
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 8);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, true, 64);
	/* seq_hi 0, top 0 < 63: 0 is refused */
	len = mk(cfg_gcm, &k, 0, true, payload, sizeof(payload), 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_SEQ_ERROR);
	assert_int_equal(t.res.replay, XC_REPLAY_ZERO);
	t_close(&t);
}

static void test_dummy_packet(void **state)
{
	uint8_t pkt[256], payload[12] = "tfc dummy!!";
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 9);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TUNNEL, false, 32);
	len = mk(cfg_gcm, &k, 1, false, payload, sizeof(payload), 59, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
	assert_int_equal(t.res.err, -EINVAL);
	assert_string_equal(t.res.detail, "dummy packet (next header 59)");
	assert_int_equal(t.res.next_header, 59);
	/* dropped before the advance */
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_PROTO_ERROR);
	t_close(&t);
}

static void test_tunnel_mode(void **state)
{
	uint8_t pkt[256], inner[40] = { 0x60 };
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 10);
	cfg_open(&t, cfg_cbc, &k, XFRM_MODE_TUNNEL, false, 32);
	len = mk(cfg_cbc, &k, 1, false, inner, 20, IPPROTO_TCP, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_MODE_ERROR);
	assert_string_equal(t.res.detail,
			    "tunnel mode: next header 6 is neither IPv4 (4) nor IPv6 (41)");
	/* after the advance: the same packet again is a replay */
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_SEQ_ERROR);
	len = mk(cfg_cbc, &k, 2, false, inner, 19, IPPROTO_IPIP, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_MODE_ERROR);
	assert_string_equal(t.res.detail, "tunnel mode: 19 bytes, short of an IPv4 header");
	len = mk(cfg_cbc, &k, 3, false, inner, 20, IPPROTO_IPIP, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	len = mk(cfg_cbc, &k, 4, false, inner, 39, IPPROTO_IPV6, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_MODE_ERROR);
	len = mk(cfg_cbc, &k, 5, false, inner, 40, IPPROTO_IPV6, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	/* the lifetime counts them all, the refused inner ones too */
	{
		uint64_t bytes, packets;

		xc_esp_sa_get_lifetime(t.esa, &bytes, &packets);
		assert_int_equal(packets, 5);
		assert_int_equal(bytes, 20 + 19 + 20 + 39 + 40);
	}
	t_close(&t);
}

static void test_transport_nested(void **state)
{
	uint8_t pkt[256], inner[16] = { 0 };
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 11);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 32);
	/* xfrm_parse_spi on the inner ESP: 8 bytes needed, else HdrError */
	len = mk(cfg_gcm, &k, 1, false, inner, 7, IPPROTO_ESP, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_HDR_ERROR);
	len = mk(cfg_gcm, &k, 2, false, inner, 8, IPPROTO_ESP, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_true(t.res.warn & XC_ESP_W_NESTED);
	len = mk(cfg_gcm, &k, 3, false, inner, 11, IPPROTO_AH, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_HDR_ERROR);
	len = mk(cfg_gcm, &k, 4, false, inner, 4, IPPROTO_COMP, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_true(t.res.warn & XC_ESP_W_NESTED);
	len = mk(cfg_gcm, &k, 5, false, inner, 1, IPPROTO_UDP, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_false(t.res.warn & XC_ESP_W_NESTED);
	t_close(&t);
}

/* xfrm4_remove_beet_encap: optlen = hdrlen * 8 + 8 - (4 + padlen) must be
 * 0..250 and a multiple of 4 */
static void test_beet(void **state)
{
	static const struct {
		uint8_t hdrlen, padlen;
		size_t len;
		enum xc_verdict v;
	} cases[] = {
		{ 0, 0, 24, XC_V_OK },                   /* optlen 4 */
		{ 0, 4, 24, XC_V_OK },                   /* optlen 0 */
		{ 0, 1, 24, XC_V_IN_STATE_MODE_ERROR },  /* 3 */
		{ 0, 10, 24, XC_V_IN_STATE_MODE_ERROR }, /* -6 */
		{ 31, 4, 24, XC_V_OK },                  /* 248 */
		{ 32, 4, 24, XC_V_IN_STATE_MODE_ERROR }, /* 256 */
		{ 0, 0, 3, XC_V_IN_STATE_MODE_ERROR },   /* no pseudo header */
		{ 1, 28, 24, XC_V_IN_STATE_MODE_ERROR }, /* -16 */
		{ 3, 8, 12, XC_V_OK },                   /* 20 */
		{ 3, 8, 11, XC_V_IN_STATE_MODE_ERROR },  /* 20, but 4 + 8 > 11 bytes */
	};
	uint8_t pkt[256], inner[64] = { 0 };
	struct keys k;

	(void)state;
	cfg_keys(&k, 12);
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		struct t t;
		size_t len;

		cfg_open(&t, cfg_gcm, &k, XFRM_MODE_BEET, false, 32);
		inner[0] = IPPROTO_TCP;
		inner[1] = cases[i].hdrlen;
		inner[2] = cases[i].padlen;
		len = mk(cfg_gcm, &k, 1, false, inner, cases[i].len, IPPROTO_BEETPH, pkt);
		if (t_verify(&t, pkt, len) != cases[i].v)
			fail_msg("case %zu: %s", i, t.res.detail);
		t_close(&t);
	}
	/* IPv6 BEET looks at nothing */
	{
		struct t t;
		size_t len;

		cfg_open(&t, cfg_gcm, &k, XFRM_MODE_BEET, false, 32);
		xc_esp_sa_free(t.esa);
		t.sa.info.family = t.sa.info.sel.family = AF_INET6;
		t_open(&t);
		inner[2] = 10;
		len = mk(cfg_gcm, &k, 1, false, inner, 24, IPPROTO_BEETPH, pkt);
		assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
		t_close(&t);
	}
}

static void test_spi_and_encap(void **state)
{
	uint8_t pkt[256], payload[8] = "natt!!!";
	struct xc_frame f = { .kind = XC_FRAME_ESP, .family = AF_INET };
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 13);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 32);
	len = seal(cfg_gcm, &k, 0x9999, 1, false, payload, sizeof(payload), pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_NO_STATES);
	assert_string_equal(t.res.detail, "SPI 0x00009999 is not this SA's 0x00001000");
	/* plain SA, packet in UDP */
	len = mk(cfg_gcm, &k, 1, false, payload, sizeof(payload), 17, pkt);
	f.encap_type = UDP_ENCAP_ESPINUDP;
	assert_int_equal(xc_esp_verify(t.esa, &t.r, &f, pkt, len, out, sizeof(out), &t.res), 0);
	assert_int_equal(t.res.verdict, XC_V_IN_STATE_MISMATCH);
	t_close(&t);

	/* NAT-T SA from 10.0.0.1:4500 */
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 32);
	xc_esp_sa_free(t.esa);
	t.sa.has_encap = true;
	t.sa.encap.encap_type = UDP_ENCAP_ESPINUDP;
	t.sa.encap.encap_sport = htons(4500);
	t.sa.encap.encap_dport = htons(4500);
	t.sa.info.saddr.a4 = htonl(0x0a000001);
	t_open(&t);
	f.encap_type = 0; /* plain ESP to a NAT-T SA */
	assert_int_equal(xc_esp_verify(t.esa, &t.r, &f, pkt, len, out, sizeof(out), &t.res), 0);
	assert_int_equal(t.res.verdict, XC_V_IN_STATE_MISMATCH);
	assert_string_equal(t.res.detail, "encapsulation 0, the SA has 2");
	f.encap_type = UDP_ENCAP_ESPINUDP;
	f.saddr.a4 = htonl(0x0a000001);
	f.sport = 4500;
	assert_int_equal(xc_esp_verify(t.esa, &t.r, &f, pkt, len, out, sizeof(out), &t.res), 0);
	assert_int_equal(t.res.verdict, XC_V_OK);
	assert_int_equal(t.res.warn & XC_ESP_W_NAT_MAPPING, 0);
	len = mk(cfg_gcm, &k, 2, false, payload, sizeof(payload), 17, pkt);
	f.sport = 1024; /* the NAT moved the peer */
	assert_int_equal(xc_esp_verify(t.esa, &t.r, &f, pkt, len, out, sizeof(out), &t.res), 0);
	assert_int_equal(t.res.verdict, XC_V_OK);
	assert_true(t.res.warn & XC_ESP_W_NAT_MAPPING);
	/* no frame: taken as the SA's own encapsulation */
	len = mk(cfg_gcm, &k, 3, false, payload, sizeof(payload), 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	t_close(&t);
}

static void test_lifetime(void **state)
{
	uint8_t pkt[256], payload[60] = { 0 };
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 14);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 32);
	xc_esp_sa_free(t.esa);
	t.sa.info.lft.hard_packet_limit = 2;
	t.sa.info.lft.soft_packet_limit = 1;
	t_open(&t);
	len = mk(cfg_gcm, &k, 1, false, payload, 10, 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_int_equal(t.res.warn & XC_ESP_W_SOFT_EXPIRED, 0);
	/* a replay is refused before the lifetime is looked at */
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_SEQ_ERROR);
	len = mk(cfg_gcm, &k, 2, false, payload, 10, 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_true(t.res.warn & XC_ESP_W_SOFT_EXPIRED); /* 1 >= soft 1, once */
	len = mk(cfg_gcm, &k, 3, false, payload, 10, 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_EXPIRED);
	len = mk(cfg_gcm, &k, 4, false, payload, 10, 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_NO_STATES);
	t_close(&t);

	/* bytes: the payload after decapsulation (skb->len) */
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 32);
	xc_esp_sa_free(t.esa);
	t.sa.info.lft.hard_byte_limit = 100;
	t_open(&t);
	for (uint64_t seq = 1; seq <= 2; seq++) {
		len = mk(cfg_gcm, &k, seq, false, payload, 60, 17, pkt);
		assert_int_equal(t_verify(&t, pkt, len), XC_V_OK); /* at 0, then 60 */
	}
	len = mk(cfg_gcm, &k, 3, false, payload, 60, 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_IN_STATE_EXPIRED); /* 120 */
	xc_esp_sa_set_lifetime(t.esa, 0, 0);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	t_close(&t);
}

static void test_warnings(void **state)
{
	uint8_t p[64], pkt[256], payload[3] = "ab";
	char text[256];
	struct keys k;
	struct t t;
	size_t len;
	int n;

	(void)state;
	cfg_keys(&k, 15);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 32);
	len = mk(cfg_gcm, &k, 1, false, payload, 3, 17, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_int_equal(t.res.warn, 0);
	assert_int_equal(xc_esp_warnings(&t.res, text, sizeof(text)), 0);
	assert_string_equal(text, "");
	/* 3 + 0 padding + 2: unaligned; zero padding; 3 skipped */
	memcpy(p, "abc", 3);
	p[3] = 0;
	p[4] = 17;
	len = seal(cfg_gcm, &k, 0x1000, 5, false, p, 5, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_int_equal(t.res.warn, XC_ESP_W_UNALIGNED | XC_ESP_W_SEQ_GAP);
	assert_int_equal(t.res.gap, 3);
	memcpy(p, "abcd", 4);
	memset(p + 4, 0, 6);
	p[10] = 6;
	p[11] = 17;
	len = seal(cfg_gcm, &k, 0x1000, 3, false, p, 12, pkt);
	assert_int_equal(t_verify(&t, pkt, len), XC_V_OK);
	assert_int_equal(t.res.warn, XC_ESP_W_PAD_CONTENT | XC_ESP_W_LATE);
	n = xc_esp_warnings(&t.res, text, sizeof(text));
	assert_string_equal(text, "padding byte 1 is 0x00, not 0x01; late: 2 below the highest");
	assert_int_equal(n, strlen(text));
	/* truncation as snprintf */
	assert_int_equal(xc_esp_warnings(&t.res, text, 8), 59);
	assert_string_equal(text, "padding");
	t_close(&t);
}

static void test_sa_new_errors(void **state)
{
	static const uint8_t key[64];
	struct xc_esp_sa *esa = (struct xc_esp_sa *)1;
	struct xc_err err = { "" };
	struct xc_sa sa;

	(void)state;
#define REFUSE(e, text)                                                    \
	do {                                                               \
		err.msg[0] = '\0';                                         \
		assert_int_equal(xc_esp_sa_new(&sa, &esa, &err), e);       \
		assert_null(esa);                                          \
		assert_string_equal(err.msg, text);                        \
	} while (0)
	sa_init(&sa, 1, XFRM_MODE_TRANSPORT, false, 32);
	REFUSE(-EINVAL, "ESP: AEAD or CRYPT must be provided");
	alg(&sa.comp, "deflate", key, 0, 0);
	REFUSE(-EINVAL, "an ESP SA has no comp");
	memset(&sa.comp, 0, sizeof(sa.comp));
	sa.info.id.proto = IPPROTO_AH;
	REFUSE(-EINVAL, "not an ESP SA (protocol 51)");
	sa.info.id.proto = IPPROTO_ESP;
	alg(&sa.aead, "rfc4106(gcm(aes))", key, 20, 128);
	alg(&sa.auth, "hmac(sha1)", key, 20, 0);
	REFUSE(-EINVAL, "an SA with aead has no enc or auth");
	memset(&sa.auth, 0, sizeof(sa.auth));
	alg(&sa.aead, "rfc4106(gcm(aes))", key, 16, 128);
	REFUSE(-EINVAL,
	       "key for 'rfc4106(gcm(aes))' must be 20, 28 or 36 bytes (salt included), got 16");
	alg(&sa.aead, "rfc4106(gcm(aes))", key, 20, 32);
	REFUSE(-EINVAL, "ICV for 'rfc4106(gcm(aes))' must be 64, 96 or 128 bits, got 32");
	alg(&sa.aead, "gcm(aes)", key, 20, 128);
	REFUSE(-EINVAL, "unknown aead algorithm 'gcm(aes)'");
	memset(&sa.aead, 0, sizeof(sa.aead));
	alg(&sa.enc, "cbc(serpent)", key, 16, 0);
	REFUSE(-EOPNOTSUPP, "'cbc(serpent)' is not supported by the verifier");
	alg(&sa.enc, "cbc(aes)", key, 20, 0);
	REFUSE(-EINVAL, "key for 'cbc(aes)' must be 16, 24 or 32 bytes, got 20");
	alg(&sa.enc, "cbc(aes)", key, 16, 0);
	alg(&sa.auth, "xcbc(aes)", key, 16, 0);
	REFUSE(-EOPNOTSUPP, "'xcbc(aes)' is not supported by the verifier");
	alg(&sa.auth, "hmac(sha256)", key, 32, 264);
	sa.auth_trunc = true;
	REFUSE(-EINVAL, "truncation for 'hmac(sha256)' must be at most 256 bits, got 264");
	alg(&sa.auth, "hmac(sha256)", key, 32, 0); /* auth-trunc 0: the default 96 */
	assert_int_equal(xc_esp_sa_new(&sa, &esa, &err), 0);
	assert_int_equal(xc_esp_sa_icv_len(esa), 12);
	xc_esp_sa_free(esa);
	sa.info.mode = XFRM_MODE_ROUTEOPTIMIZATION;
	REFUSE(-EINVAL, "mode 2 is not one ESP runs in");
	sa.info.mode = XFRM_MODE_TRANSPORT;
	sa.info.flags = XFRM_STATE_ESN;
	REFUSE(-EINVAL, "Missing required attribute for ESN");
	sa.info.flags = 0;
	sa.has_encap = true;
	sa.encap.encap_type = 3;
	REFUSE(-EINVAL, "Unsupported encapsulation type for ESP");
#undef REFUSE
	xc_sa_clear(&sa);
}

static void test_api_errors(void **state)
{
	uint8_t pkt[256], payload[8] = "api....";
	struct xc_replay legacy;
	struct keys k;
	struct t t;
	size_t len;

	(void)state;
	cfg_keys(&k, 16);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, true, 32);
	len = mk(cfg_gcm, &k, 1, true, payload, sizeof(payload), 17, pkt);
	assert_int_equal(xc_esp_verify(t.esa, &t.r, NULL, pkt, len, out, len - 1, &t.res), -ENOSPC);
	assert_int_equal(xc_replay_init(&legacy, XC_REPLAY_LEGACY, 32), 0);
	assert_int_equal(xc_esp_verify(t.esa, &legacy, NULL, pkt, len, out, sizeof(out), &t.res),
			 -EINVAL);
	assert_int_equal(xc_esp_verify(t.esa, &t.r, NULL, NULL, len, out, sizeof(out), &t.res),
			 -EINVAL);
	assert_int_equal(xc_esp_verify(t.esa, &t.r, NULL, pkt, len, out, len, &t.res), 0);
	assert_int_equal(t.res.verdict, XC_V_OK);
	t_close(&t);
	assert_string_equal(xc_verdict_counter(XC_V_IN_STATE_SEQ_ERROR), "XfrmInStateSeqError");
	assert_string_equal(xc_verdict_counter(XC_V_IN_STATE_PROTO_ERROR), "XfrmInStateProtoError");
	assert_string_equal(xc_verdict_counter(XC_V_IN_NO_STATES), "XfrmInNoStates");
	assert_string_equal(xc_verdict_counter(XC_V_OK), "ok");
	xc_esp_sa_free(NULL);
}

/* --- the IP parser -------------------------------------------------------- */

/* RFC 791 header checksum */
static void csum4(uint8_t *b, size_t ihl)
{
	uint32_t sum = 0;

	b[10] = b[11] = 0;
	for (size_t i = 0; i < ihl; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	b[10] = (uint8_t)(~sum >> 8);
	b[11] = (uint8_t)~sum;
}

static size_t ip4(uint8_t *b, uint8_t proto, const uint8_t *payload, size_t len, uint16_t frag)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)((20 + len) >> 8);
	b[3] = (uint8_t)(20 + len);
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = proto;
	put32(b + 12, 0xc0000201);
	put32(b + 16, 0xc0000202);
	csum4(b, 20);
	memcpy(b + 20, payload, len);
	return 20 + len;
}

static size_t udp(uint8_t *b, uint16_t sport, uint16_t dport, const uint8_t *payload, size_t len)
{
	b[0] = (uint8_t)(sport >> 8);
	b[1] = (uint8_t)sport;
	b[2] = (uint8_t)(dport >> 8);
	b[3] = (uint8_t)dport;
	b[4] = (uint8_t)((8 + len) >> 8);
	b[5] = (uint8_t)(8 + len);
	b[6] = b[7] = 0;
	memcpy(b + 8, payload, len);
	return 8 + len;
}

static void parse4(const uint8_t *b, size_t len, enum xc_frame_kind kind, struct xc_frame *f)
{
	assert_int_equal(xc_esp_parse_ip(b, len, 0, 0, f), 0);
	if (f->kind != kind)
		fail_msg("kind %d, not %d (%s)", f->kind, kind, f->why ? f->why : "");
}

static void test_parse_ipv4(void **state)
{
	uint8_t esp[32], u[64], b[128];
	struct xc_frame f;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(esp); i++)
		esp[i] = (uint8_t)(i + 1);
	len = ip4(b, IPPROTO_ESP, esp, 32, 0);
	parse4(b, len, XC_FRAME_ESP, &f);
	assert_int_equal(f.esp_off, 20);
	assert_int_equal(f.esp_len, 32);
	assert_int_equal(f.spi, 0x01020304);
	assert_int_equal(f.seq, 0x05060708);
	assert_int_equal(f.encap_type, 0);
	/* link padding after the IP length is not ESP */
	parse4(b, len + 6, XC_FRAME_ESP, &f);
	assert_int_equal(f.esp_len, 32);
	parse4(b, len - 1, XC_FRAME_TRUNCATED, &f);
	len = ip4(b, IPPROTO_ESP, esp, 32, 0x2000); /* MF */
	parse4(b, len, XC_FRAME_FRAGMENT, &f);
	len = ip4(b, IPPROTO_ESP, esp, 32, 0x0010); /* offset */
	parse4(b, len, XC_FRAME_FRAGMENT, &f);
	len = ip4(b, IPPROTO_ESP, esp, 32, 0x4000); /* DF is fine */
	parse4(b, len, XC_FRAME_ESP, &f);
	len = ip4(b, IPPROTO_TCP, esp, 32, 0);
	parse4(b, len, XC_FRAME_OTHER, &f);
	parse4(b, 19, XC_FRAME_MALFORMED, &f);
	b[8]--; /* TTL: the checksum no longer fits */
	parse4(b, len, XC_FRAME_MALFORMED, &f);
	assert_string_equal(f.why, "bad IPv4 header checksum");
	b[8]++;
	parse4(b, len, XC_FRAME_OTHER, &f);
	b[0] = 0x44; /* IHL 4 */
	parse4(b, len, XC_FRAME_MALFORMED, &f);
	b[0] = 0x55;
	parse4(b, len, XC_FRAME_MALFORMED, &f);

	/* UDP 4500: ESP (first word non-zero, more than 8 bytes) */
	len = ip4(b, IPPROTO_UDP, u, udp(u, 4500, 4500, esp, 32), 0);
	parse4(b, len, XC_FRAME_ESP, &f);
	assert_int_equal(f.encap_type, UDP_ENCAP_ESPINUDP);
	assert_int_equal(f.esp_off, 28);
	assert_int_equal(f.esp_len, 32);
	assert_int_equal(f.sport, 4500);
	assert_int_equal(f.proto, IPPROTO_UDP);
	assert_int_equal(f.spi, 0x01020304);
	len = ip4(b, IPPROTO_UDP, u, udp(u, 4500, 4500, esp, 9), 0);
	parse4(b, len, XC_FRAME_ESP, &f);
	len = ip4(b, IPPROTO_UDP, u, udp(u, 4500, 4500, esp, 8), 0); /* not > 8 */
	parse4(b, len, XC_FRAME_IKE, &f);
	{
		uint8_t ike[40] = { 0, 0, 0, 0, 0x11 }; /* the non-ESP marker */

		len = ip4(b, IPPROTO_UDP, u, udp(u, 4500, 4500, ike, 40), 0);
		parse4(b, len, XC_FRAME_IKE, &f);
	}
	{
		uint8_t ka = 0xff;

		len = ip4(b, IPPROTO_UDP, u, udp(u, 4500, 4500, &ka, 1), 0);
		parse4(b, len, XC_FRAME_KEEPALIVE, &f);
	}
	len = ip4(b, IPPROTO_UDP, u, udp(u, 4500, 500, esp, 32), 0);
	parse4(b, len, XC_FRAME_OTHER, &f);
	/* another encapsulation port */
	len = ip4(b, IPPROTO_UDP, u, udp(u, 4500, 4600, esp, 32), 0);
	assert_int_equal(xc_esp_parse_ip(b, len, 4600, 0, &f), 0);
	assert_int_equal(f.kind, XC_FRAME_ESP);
	/* a UDP length past the IP payload */
	len = ip4(b, IPPROTO_UDP, u, udp(u, 4500, 4500, esp, 32), 0);
	b[25] = 60;
	parse4(b, len, XC_FRAME_MALFORMED, &f);
	/* UDP_ENCAP_ESPINUDP_NON_IKE: 8 zero bytes, then ESP (> 16 bytes) */
	{
		uint8_t m[40] = { 0 };

		memcpy(m + 8, esp, 32);
		len = ip4(b, IPPROTO_UDP, u, udp(u, 4500, 4500, m, 40), 0);
		assert_int_equal(xc_esp_parse_ip(b, len, 0, UDP_ENCAP_ESPINUDP_NON_IKE, &f), 0);
		assert_int_equal(f.kind, XC_FRAME_ESP);
		assert_int_equal(f.encap_type, UDP_ENCAP_ESPINUDP_NON_IKE);
		assert_int_equal(f.esp_off, 36);
		assert_int_equal(f.spi, 0x01020304);
		len = ip4(b, IPPROTO_UDP, u, udp(u, 4500, 4500, esp, 32), 0);
		assert_int_equal(xc_esp_parse_ip(b, len, 0, UDP_ENCAP_ESPINUDP_NON_IKE, &f), 0);
		assert_int_equal(f.kind, XC_FRAME_IKE);
	}
	assert_int_equal(xc_esp_parse_ip(b, len, 0, 9, &f), -EINVAL);
	/* IPv4 options */
	{
		uint8_t o[80];

		memset(o, 0, 24);
		o[0] = 0x46;
		o[3] = 24 + 32;
		o[9] = IPPROTO_ESP;
		csum4(o, 24);
		memcpy(o + 24, esp, 32);
		parse4(o, 56, XC_FRAME_ESP, &f);
		assert_int_equal(f.esp_off, 24);
	}
}

static size_t ip6(uint8_t *b, uint8_t nh, const uint8_t *payload, size_t len)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[4] = (uint8_t)(len >> 8);
	b[5] = (uint8_t)len;
	b[6] = nh;
	b[7] = 64;
	b[8] = 0x20;
	b[9] = 0x01;
	b[23] = 1;
	b[24] = 0x20;
	b[25] = 0x01;
	b[39] = 2;
	memcpy(b + 40, payload, len);
	return 40 + len;
}

static void test_parse_ipv6(void **state)
{
	uint8_t esp[32], x[128], u[64], b[256];
	struct xc_frame f;
	struct xc_sa sa;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(esp); i++)
		esp[i] = (uint8_t)(0xa0 + i);
	len = ip6(b, IPPROTO_ESP, esp, 32);
	parse4(b, len, XC_FRAME_ESP, &f);
	assert_int_equal(f.family, AF_INET6);
	assert_int_equal(f.esp_off, 40);
	assert_int_equal(f.spi, 0xa0a1a2a3);
	assert_int_equal(f.daddr.a6[3], htonl(2));
	/* hop-by-hop (8) and destination options (16) first */
	memset(x, 0, 24);
	x[0] = IPPROTO_DSTOPTS;
	x[8] = IPPROTO_ESP;
	x[9] = 1;
	memcpy(x + 24, esp, 32);
	len = ip6(b, IPPROTO_HOPOPTS, x, 56);
	parse4(b, len, XC_FRAME_ESP, &f);
	assert_int_equal(f.esp_off, 64);
	assert_int_equal(f.esp_len, 32);
	/* a fragment header: first fragment with M, then an atomic one */
	memset(x, 0, 8);
	x[0] = IPPROTO_ESP;
	x[3] = 1; /* M */
	memcpy(x + 8, esp, 32);
	len = ip6(b, IPPROTO_FRAGMENT, x, 40);
	parse4(b, len, XC_FRAME_FRAGMENT, &f);
	x[3] = 0;
	len = ip6(b, IPPROTO_FRAGMENT, x, 40);
	parse4(b, len, XC_FRAME_ESP, &f);
	assert_int_equal(f.esp_off, 48);
	/* an extension header running past the payload */
	x[0] = IPPROTO_ESP;
	x[1] = 9;
	len = ip6(b, IPPROTO_DSTOPTS, x, 40);
	parse4(b, len, XC_FRAME_MALFORMED, &f);
	/* UDP encapsulation over IPv6 (xfrm6_udp_encap_rcv) */
	len = ip6(b, IPPROTO_UDP, u, udp(u, 4500, 4500, esp, 32));
	parse4(b, len, XC_FRAME_ESP, &f);
	assert_int_equal(f.esp_off, 48);
	assert_int_equal(f.encap_type, UDP_ENCAP_ESPINUDP);
	len = ip6(b, IPPROTO_TCP, esp, 32);
	parse4(b, len, XC_FRAME_OTHER, &f);
	parse4(b, len - 1, XC_FRAME_TRUNCATED, &f);
	parse4(b, 39, XC_FRAME_MALFORMED, &f);

	/* which SA */
	len = ip6(b, IPPROTO_ESP, esp, 32);
	parse4(b, len, XC_FRAME_ESP, &f);
	sa_init(&sa, 0xa0a1a2a3, XFRM_MODE_TRANSPORT, false, 32);
	sa.info.family = AF_INET6;
	memcpy(&sa.info.id.daddr, b + 24, 16);
	assert_true(xc_esp_frame_matches(&sa, &f));
	sa.info.id.spi = htonl(0xa0a1a2a4);
	assert_false(xc_esp_frame_matches(&sa, &f));
	sa.info.id.spi = htonl(0xa0a1a2a3);
	sa.info.id.daddr.a6[3] = htonl(3);
	assert_false(xc_esp_frame_matches(&sa, &f));
}

/* --- ahead of the turn ---------------------------------------------------- */

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* a and b made again from a's SA (which the caller changed), both windows
 * as the SA starts them (ESN: its top set just below first), and a clone
 * of b's to open packets ahead with. */
static void pair_remake(struct t *a, struct t *b, uint64_t first, bool esn,
			struct xc_esp_sa **clone)
{
	xc_esp_sa_free(a->esa);
	xc_esp_sa_free(b->esa);
	assert_int_equal(xc_esp_sa_new(&a->sa, &a->esa, &(struct xc_err){ "" }), 0);
	assert_int_equal(xc_esp_sa_new(&a->sa, &b->esa, &(struct xc_err){ "" }), 0);
	assert_int_equal(xc_replay_init_sa(&a->r, &a->sa), 0);
	assert_int_equal(xc_replay_init_sa(&b->r, &a->sa), 0);
	if (esn) {
		assert_int_equal(xc_replay_set(&a->r, (uint32_t)first - 1, 0, NULL, 0), 0);
		assert_int_equal(xc_replay_set(&b->r, (uint32_t)first - 1, 0, NULL, 0), 0);
	}
	assert_int_equal(xc_esp_sa_clone(b->esa, clone), 0);
}

/* A stream of packets (late, replayed, corrupted, cut, across the ESN wrap)
 * through xc_esp_verify() on one copy of an SA, and through
 * xc_esp_open_ahead() on a clone in batches of 8 (the high bits guessed
 * from the window at the start of each batch, as verify --jobs does) then
 * xc_esp_verify_opened() on another copy: the same verdicts, details,
 * warnings, plaintexts and windows, packet by packet. */
static void test_open_ahead(void **state)
{
	const struct cfg *which[] = { cfg_gcm, cfg_cbc, &cfgs[8], &cfgs[20], &cfgs[4], &cfgs[6] };
	enum { N = 160, BATCH_OF = 8 };
	static uint8_t pkts[N][160], plain_a[N][160], plain_b[N][160];
	uint8_t payload[64];

	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13 + 7);
	for (size_t w = 0; w < N_ELEM(which); w++) {
		for (int esn = 0; esn < 2; esn++) {
			const struct cfg *c = which[w];
			uint64_t base = esn ? 0xffffff80ull : 1;
			struct xc_esp_result pre[N], ra, rb;
			unsigned int expired = 0;
			struct xc_esp_sa *clone;
			uint32_t seed = 0x1234567u + (uint32_t)w, hi[N];
			size_t len[N];
			struct keys k;
			struct t a, b;

			cfg_keys(&k, (unsigned int)w);
			cfg_open(&a, c, &k, XFRM_MODE_TRANSPORT, esn, 32);
			cfg_open(&b, c, &k, XFRM_MODE_TRANSPORT, esn, 32);
			a.sa.info.lft.hard_packet_limit = 100; /* expiry on the way, too */
			pair_remake(&a, &b, base, esn, &clone);
			for (size_t i = 0; i < N; i++) {
				uint32_t r = rnd(&seed);
				uint64_t back = r % 5 == 0 ? r % 40 : 0; /* late */
				uint64_t seq = base + i - (back > i ? i : back);

				len[i] = mk(c, &k, seq, esn, payload, 1 + r % 60, 17, pkts[i]);
				if (r % 11 == 0)
					pkts[i][len[i] - 1] ^= 0x10;   /* ICV */
				if (r % 23 == 0)
					len[i] = 5 + r % 12;           /* cut */
				if (r % 17 == 0 && i > 0)              /* a replay */
					memcpy(pkts[i], pkts[i - 1], len[i] = len[i - 1]);
			}
			for (size_t i = 0; i < N; i++) {
				if (i % BATCH_OF == 0) /* a batch: guess from the window now */
					for (size_t j = i; j < i + BATCH_OF && j < N; j++) {
						hi[j] = len[j] >= 8 ? xc_replay_seqhi(&b.r,
							(uint32_t)pkts[j][4] << 24 | pkts[j][5] << 16 |
							pkts[j][6] << 8 | pkts[j][7]) : 0;
						assert_int_equal(xc_esp_open_ahead(clone, NULL, pkts[j], len[j],
							hi[j], plain_b[j], sizeof(plain_b[j]), &pre[j]), 0);
					}
				assert_int_equal(xc_esp_verify(a.esa, &a.r, NULL, pkts[i], len[i], plain_a[i],
							       sizeof(plain_a[i]), &ra), 0);
				assert_int_equal(xc_esp_verify_opened(b.esa, &b.r, NULL, pkts[i], len[i],
								      &pre[i], plain_b[i],
								      sizeof(plain_b[i]), &rb), 0);
				if (ra.verdict != rb.verdict || strcmp(ra.detail, rb.detail))
					fail_msg("%s esn %d packet %zu: %s (%s) vs %s (%s)",
						 c->aead ? c->aead : c->enc, esn, i,
						 xc_verdict_counter(ra.verdict), ra.detail,
						 xc_verdict_counter(rb.verdict), rb.detail);
				assert_int_equal(ra.seq, rb.seq);
				assert_int_equal(ra.warn, rb.warn);
				assert_int_equal(ra.stats, rb.stats);
				assert_int_equal(ra.payload_len, rb.payload_len);
				if (ra.verdict == XC_V_OK)
					assert_memory_equal(plain_a[i], plain_b[i], ra.payload_len);
				assert_memory_equal(&a.r, &b.r, sizeof(a.r));
				expired += ra.verdict == XC_V_IN_STATE_EXPIRED;
			}
			assert_int_equal(expired, 1); /* then the SA is gone: NoStates */
			xc_esp_sa_free(clone);
			t_close(&a);
			t_close(&b);
		}
	}
}

static void test_open_ahead_errors(void **state)
{
	uint8_t pkt[64] = { 0 }, buf[64];
	struct xc_esp_result pre, res;
	struct keys k;
	struct t t;

	(void)state;
	cfg_keys(&k, 1);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 32);
	assert_int_equal(xc_esp_open_ahead(t.esa, NULL, pkt, sizeof(pkt), 0, buf, 8, &pre), -ENOSPC);
	assert_int_equal(xc_esp_open_ahead(NULL, NULL, pkt, sizeof(pkt), 0, buf, 64, &pre), -EINVAL);
	/* shorter than a header: not opened; its turn says so */
	assert_int_equal(xc_esp_open_ahead(t.esa, NULL, pkt, 7, 0, buf, 64, &pre), 0);
	assert_false(pre.opened);
	assert_int_equal(xc_esp_verify_opened(t.esa, &t.r, NULL, pkt, 7, &pre, buf, 64, &res), 0);
	assert_int_equal(res.verdict, XC_V_IN_HDR_ERROR);
	assert_int_equal(xc_esp_verify_opened(t.esa, &t.r, NULL, pkt, 7, NULL, buf, 64, &res), -EINVAL);
	t_close(&t);
}

/* A wrong guess of the high bits (the window moved further than the guess
 * knew): the packet is opened again in its turn, and is good. */
static void test_open_ahead_wrong_guess(void **state)
{
	const struct cfg *which[] = { cfg_gcm, cfg_cbc };
	uint8_t pkt[128], buf[128], payload[20] = "a guess, then a turn";
	struct xc_esp_result pre, res;

	(void)state;
	for (size_t w = 0; w < N_ELEM(which); w++) {
		struct keys k;
		struct t t;
		size_t len;

		cfg_keys(&k, 2);
		cfg_open(&t, which[w], &k, XFRM_MODE_TRANSPORT, true, 32);
		assert_int_equal(xc_replay_set(&t.r, 10, 5, NULL, 0), 0);
		len = mk(which[w], &k, 0x50000000bull, true, payload, sizeof(payload), 17, pkt);
		assert_int_equal(xc_esp_open_ahead(t.esa, NULL, pkt, len, 4, buf, sizeof(buf), &pre), 0);
		assert_true(pre.opened);
		assert_int_equal(pre.verdict, XC_V_IN_STATE_PROTO_ERROR); /* with seq_hi 4 */
		assert_int_equal(xc_esp_verify_opened(t.esa, &t.r, NULL, pkt, len, &pre, buf, sizeof(buf),
						      &res), 0);
		assert_int_equal(res.verdict, XC_V_OK);
		assert_int_equal(res.seq, 0x50000000bull);
		assert_memory_equal(buf, payload, sizeof(payload));
		assert_false(res.opened);
		t_close(&t);
	}
}

/* Runs of turns taken in one step (xc_esp_accept_run(), as verify --jobs
 * takes a batch's turns when its packets are one clean run): a stream of
 * packets (gaps, late and replayed ones, ICV hits, tunnel packets whose
 * inner header fails, nested ESP, the ESN wrap, lifetime limits met on the
 * way) in batches of 1 to 12, opened ahead on a clone; on one copy of the
 * SA every packet's turn by xc_esp_verify_opened(); on another one step
 * where the batch is a clean run of consecutive numbers, else the turns
 * one by one. After every batch both copies have the same window and
 * lifetime counters, and a run was taken only where the turns accepted
 * every packet of it without a warning. The three ways (taken, refused by
 * the window or the limits, not clean) each happen. */
static void test_accept_run(void **state)
{
	const struct cfg *which[] = { cfg_gcm, cfg_cbc };
	enum { N = 420, MAX_BATCH = 12 };
	static uint8_t pkts[N][192], opened[N][192], plain_a[192], plain_b[192];
	unsigned int taken = 0, refused = 0, unclean = 0;
	uint8_t payload[64];

	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 29 + 3);
	for (size_t w = 0; w < N_ELEM(which); w++)
	for (int win = 0; win < 5; win++) /* LEGACY 32, BMP 100, ESN 64, LEGACY 0, ESN 100 */
	for (int mode = 0; mode < 2; mode++)
	for (int lim = 0; lim < 3; lim++) {
		const struct cfg *c = which[w];
		bool esn = win == 2 || win == 4, tunnel = mode == 1;
		uint64_t seq = esn ? 0xfffffe00ull : 1, la, lb, pa, pb;
		uint32_t seed = 0x9e3779b9u ^ (uint32_t)(w << 8 | win << 4 | mode << 2 | lim);
		struct xc_esp_result pre[N], ra, rb;
		struct xc_frame fr[N];
		struct xc_esp_sa *clone;
		size_t len[N];
		struct keys k;
		struct t a, b;

		cfg_keys(&k, (unsigned int)w);
		cfg_open(&a, c, &k, tunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT, esn,
			 win == 4 ? 100 : win == 3 ? 0 : esn ? 64 : 32);
		cfg_open(&b, c, &k, tunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT, esn, 32);
		if (win == 1) { /* BMP: replay-esn state without the esn flag */
			a.sa.has_replay_esn = true;
			a.sa.esn.bmp_len = 128;
			a.sa.esn.replay_window = 100;
			a.sa.info.replay_window = 0;
		}
		if (lim == 1) { /* packet limits, met on the way */
			a.sa.info.lft.soft_packet_limit = 150;
			a.sa.info.lft.hard_packet_limit = 300;
		} else if (lim == 2) {
			a.sa.info.lft.soft_byte_limit = 5000;
			a.sa.info.lft.hard_byte_limit = 9000;
		}
		pair_remake(&a, &b, seq, esn, &clone);
		for (size_t i = 0; i < N; i++) {
			uint32_t r = rnd(&seed);
			uint64_t s = seq;
			uint8_t nh = tunnel ? 4 : 17;
			size_t plen = 20 + r % 40;

			if (r % 13 == 0)
				s = seq += 1 + r % 3;         /* a gap */
			else if (r % 17 == 0 && i > 40)
				s = seq - 1 - r % 40;         /* late, or too old */
			if (r % 29 == 0)
				nh = tunnel ? 17 : 50;        /* mode error; nested */
			if (!tunnel && nh == 50)
				plen = 4;                     /* nested, too short */
			len[i] = mk(c, &k, s, esn, payload, plen, nh, pkts[i]);
			if (r % 23 == 0)
				pkts[i][len[i] - 1] ^= 0x10;  /* ICV */
			if (r % 19 == 0 && i > 0)             /* a replay */
				memcpy(pkts[i], pkts[i - 1], len[i] = len[i - 1]);
			memset(&fr[i], 0, sizeof(fr[i]));
			fr[i].kind = XC_FRAME_ESP;
			fr[i].family = AF_INET;
			if (r % 31 == 0)                      /* UDP, the SA has none */
				fr[i].encap_type = UDP_ENCAP_ESPINUDP;
			if (s == seq)
				seq++;
		}
		for (size_t i = 0, n; i < N; i += n) {
			uint64_t first = 0, bytes = 0;
			bool clean = true, all_ok = true;
			struct xc_esp_result res_a[MAX_BATCH];

			n = 1 + rnd(&seed) % MAX_BATCH;
			if (n > N - i)
				n = N - i;
			for (size_t j = i; j < i + n; j++) {
				uint32_t lo = (uint32_t)pkts[j][4] << 24 | pkts[j][5] << 16 |
					      pkts[j][6] << 8 | pkts[j][7];
				uint64_t s;

				assert_int_equal(xc_esp_open_ahead(clone, &fr[j], pkts[j], len[j],
					xc_replay_seqhi(&b.r, lo), opened[j], sizeof(opened[j]), &pre[j]), 0);
				s = (uint64_t)pre[j].seq_hi << 32 | pre[j].seq_lo;
				if (j == i)
					first = s;
				clean = clean && xc_esp_opened_clean(clone, &fr[j], opened[j], &pre[j]) &&
					s == first + (j - i);
				bytes += pre[j].payload_len;
			}
			for (size_t j = i; j < i + n; j++) {
				memcpy(plain_a, opened[j], sizeof(plain_a));
				assert_int_equal(xc_esp_verify_opened(a.esa, &a.r, &fr[j], pkts[j], len[j],
					&pre[j], plain_a, sizeof(plain_a), &res_a[j - i]), 0);
				all_ok = all_ok && res_a[j - i].verdict == XC_V_OK && !res_a[j - i].warn;
			}
			if (clean && xc_esp_accept_run(b.esa, &b.r, first, (uint32_t)n, bytes)) {
				if (!all_ok)
					fail_msg("%s win %d mode %d lim %d: run at %zu of %zu taken, "
						 "not every packet accepted cleanly", c->aead ? c->aead : c->enc,
						 win, mode, lim, i, n);
				taken++;
			} else {
				if (clean)
					refused++;
				else
					unclean++;
				for (size_t j = i; j < i + n; j++) {
					memcpy(plain_b, opened[j], sizeof(plain_b));
					assert_int_equal(xc_esp_verify_opened(b.esa, &b.r, &fr[j], pkts[j],
						len[j], &pre[j], plain_b, sizeof(plain_b), &rb), 0);
					ra = res_a[j - i];
					if (ra.verdict != rb.verdict || strcmp(ra.detail, rb.detail) ||
					    ra.warn != rb.warn || ra.seq != rb.seq)
						fail_msg("win %d mode %d lim %d packet %zu: %s (%s) vs %s (%s)",
							 win, mode, lim, j, xc_verdict_counter(ra.verdict),
							 ra.detail, xc_verdict_counter(rb.verdict), rb.detail);
				}
			}
			assert_memory_equal(&a.r, &b.r, sizeof(a.r));
			xc_esp_sa_get_lifetime(a.esa, &la, &pa);
			xc_esp_sa_get_lifetime(b.esa, &lb, &pb);
			assert_int_equal(la, lb);
			assert_int_equal(pa, pb);
		}
		xc_esp_sa_free(clone);
		t_close(&a);
		t_close(&b);
	}
	if (!taken || !refused || !unclean)
		fail_msg("runs taken %u, refused %u, not clean %u: each should happen", taken, refused,
			 unclean);
}

/* A run refused leaves everything as it was; bad arguments are refused. */
static void test_accept_run_refused(void **state)
{
	struct keys k;
	struct t t;
	struct xc_replay before;
	uint64_t bytes, packets;

	(void)state;
	cfg_keys(&k, 1);
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, true, 64);
	assert_int_equal(xc_replay_set(&t.r, 0xfffffffe, 7, NULL, 0), 0);
	before = t.r;
	/* across the wrap of the low bits: the second one is 8:0 */
	assert_false(xc_esp_accept_run(t.esa, &t.r, 7ull << 32 | 0xffffffff, 2, 100));
	/* not next after the top */
	assert_false(xc_esp_accept_run(t.esa, &t.r, 7ull << 32 | 0x100000000ull, 1, 100));
	assert_false(xc_esp_accept_run(t.esa, &t.r, 7ull << 32 | 0xfffffffe, 1, 100));
	assert_false(xc_esp_accept_run(t.esa, &t.r, 7ull << 32 | 0xffffffff, 0, 0));
	assert_false(xc_esp_accept_run(NULL, &t.r, 7ull << 32 | 0xffffffff, 1, 100));
	assert_false(xc_esp_accept_run(t.esa, NULL, 7ull << 32 | 0xffffffff, 1, 100));
	assert_memory_equal(&before, &t.r, sizeof(before));
	xc_esp_sa_get_lifetime(t.esa, &bytes, &packets);
	assert_int_equal(bytes, 0);
	assert_int_equal(packets, 0);
	assert_true(xc_esp_accept_run(t.esa, &t.r, 7ull << 32 | 0xffffffff, 1, 100));
	assert_int_equal(xc_replay_top(&t.r), 7ull << 32 | 0xffffffff);
	xc_esp_sa_get_lifetime(t.esa, &bytes, &packets);
	assert_int_equal(bytes, 100);
	assert_int_equal(packets, 1);
	assert_false(xc_esp_opened_clean(NULL, NULL, (uint8_t[1]){ 0 }, &t.res));
	/* a window of another mode than the SA's */
	assert_int_equal(xc_replay_init(&before, XC_REPLAY_LEGACY, 32), 0);
	assert_false(xc_esp_accept_run(t.esa, &before, 1, 1, 100));
	t_close(&t);

	/* a hard limit of 3 packets: a run of 3 ends where the 4th expires */
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 32);
	t.sa.info.lft.hard_packet_limit = 3;
	xc_esp_sa_free(t.esa);
	assert_int_equal(xc_esp_sa_new(&t.sa, &t.esa, &(struct xc_err){ "" }), 0);
	assert_false(xc_esp_accept_run(t.esa, &t.r, 1, 4, 400));
	assert_true(xc_esp_accept_run(t.esa, &t.r, 1, 3, 300));
	assert_false(xc_esp_accept_run(t.esa, &t.r, 4, 1, 100));
	assert_int_equal(xc_replay_top(&t.r), 3);
	t_close(&t);

	/* window 0: no check, and a warning for every packet */
	cfg_open(&t, cfg_gcm, &k, XFRM_MODE_TRANSPORT, false, 0);
	assert_false(xc_esp_accept_run(t.esa, &t.r, 1, 1, 100));
	t_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3602_case5),
		cmocka_unit_test(test_rfc3602_case7),
		cmocka_unit_test(test_gcm_draft),
		cmocka_unit_test(test_gcm_short_icv),
		cmocka_unit_test(test_gcm_no_payload),
		cmocka_unit_test(test_gmac_draft),
		cmocka_unit_test(test_rfc7634),
		cmocka_unit_test(test_hmac_hi_there),
		cmocka_unit_test(test_hmac_rfc4231_case7),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_icv_flip),
		cmocka_unit_test(test_aead_empty),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_pad_length),
		cmocka_unit_test(test_cbc_partial_block),
		cmocka_unit_test(test_replay_verdicts),
		cmocka_unit_test(test_window_zero),
		cmocka_unit_test(test_esn_wrap),
		cmocka_unit_test(test_esn_start_zero),
		cmocka_unit_test(test_dummy_packet),
		cmocka_unit_test(test_tunnel_mode),
		cmocka_unit_test(test_transport_nested),
		cmocka_unit_test(test_beet),
		cmocka_unit_test(test_spi_and_encap),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_sa_new_errors),
		cmocka_unit_test(test_api_errors),
		cmocka_unit_test(test_parse_ipv4),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_open_ahead),
		cmocka_unit_test(test_open_ahead_errors),
		cmocka_unit_test(test_open_ahead_wrong_guess),
		cmocka_unit_test(test_accept_run),
		cmocka_unit_test(test_accept_run_refused),
	};
	return cmocka_run_group_tests_name("esp", tests, NULL, NULL);
}
