/* espgen: a capture of ESP packets for `xfrmctl verify` to read, and the
 * SA they belong to as a `state add` line: the input of
 * tests/bench/verify.sh. Written against OpenSSL's EVP and libpcap only;
 * nothing is shared with lib/esp.c (which it feeds).
 *
 *   espgen ALG COUNT PLAINTEXT PCAP SAFILE [ESN-START]
 *
 * ALG: gcm (rfc4106(gcm(aes)), 128-bit key, 16-byte ICV) or cbc-sha256
 * (cbc(aes) 128-bit key, hmac(sha256) truncated to 128 bits). Each packet
 * is IPv4 10.0.0.1 > 10.0.0.2, ESP in transport mode, SPI 0x1000, sequence
 * numbers 1, 2, 3…, carrying a UDP datagram padded so that the encrypted
 * part (payload, padding, pad length, next header) is PLAINTEXT bytes: the
 * bytes `openssl speed -bytes PLAINTEXT` decrypts. With ESN-START the SA
 * has ESN and the sequence numbers start there (64 bits), and the SA file
 * starts the window just below it. The keys are test keys. */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPI 0x1000u

static const uint8_t enc_key[20] = "espgen test key salt"; /* 16 key + 4 salt */
static const uint8_t auth_key[32] = "espgen hmac-sha256 test key 0123";

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	fputs("0x", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void die(const char *what)
{
	fprintf(stderr, "espgen: %s\n", what);
	exit(1);
}

/* the IPv4 header for an ESP packet of len bytes (ESP header onward) */
static void ip4(uint8_t *p, size_t len, uint32_t id)
{
	uint32_t sum = 0;

	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (unsigned int)(20 + len));
	put16(p + 4, id & 0xffff);
	p[8] = 64;
	p[9] = 50;
	memcpy(p + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(p + 10, ~sum & 0xffff);
}

int main(int argc, char **argv)
{
	uint8_t pkt[70000], plain[66000], tag[16], aad[12], nonce[12], mac[64];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_CIPHER *gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	EVP_CIPHER *cbc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *m = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
				OSSL_PARAM_construct_end() };
	bool is_gcm, esn;
	unsigned long count, size;
	uint64_t seq0;
	pcap_t *dead;
	pcap_dumper_t *d;
	FILE *sf;

	if (argc < 6 || argc > 7 || (strcmp(argv[1], "gcm") && strcmp(argv[1], "cbc-sha256")))
		die("usage: espgen gcm|cbc-sha256 COUNT PLAINTEXT PCAP SAFILE [ESN-START]");
	if (!c || !gcm || !cbc || !m || !EVP_MAC_init(m, auth_key, sizeof(auth_key), params))
		die("OpenSSL lacks AES-128-GCM, AES-128-CBC or HMAC-SHA256");
	is_gcm = !strcmp(argv[1], "gcm");
	count = strtoul(argv[2], NULL, 0);
	size = strtoul(argv[3], NULL, 0);
	esn = argc == 7;
	seq0 = esn ? strtoull(argv[6], NULL, 0) : 1;
	if (size < 12 || size > 65000 || size % (is_gcm ? 4 : 16))
		die("PLAINTEXT: 12 to 65000 bytes, a multiple of 4 (gcm) or 16 (cbc)");
	if (esn && (seq0 & 0xffffffff) == 0)
		die("ESN-START: its low 32 bits must not be 0");

	/* the payload: a UDP datagram; no padding needed (size is aligned) */
	memset(plain, 0, sizeof(plain));
	put16(plain, 7777);
	put16(plain + 2, 7777);
	put16(plain + 4, (unsigned int)(size - 2));
	for (size_t i = 8; i < size - 2; i++)
		plain[i] = (uint8_t)('a' + i % 26);
	plain[size - 2] = 0;  /* pad length */
	plain[size - 1] = 17; /* next header: UDP */

	dead = pcap_open_dead(DLT_RAW, 262144);
	d = dead ? pcap_dump_open(dead, argv[4]) : NULL;
	if (!d)
		die("cannot write the capture");
	for (unsigned long n = 0; n < count; n++) {
		uint64_t seq = seq0 + n;
		uint8_t *esp = pkt + 20, *iv = esp + 8;
		size_t ivlen = is_gcm ? 8 : 16, len = 8 + ivlen + size + 16;
		struct pcap_pkthdr h = { .caplen = (bpf_u_int32)(20 + len), .len = (bpf_u_int32)(20 + len) };
		int outl;

		put32(esp, SPI);
		put32(esp + 4, (uint32_t)seq);
		for (size_t i = 0; i < ivlen; i++)
			iv[i] = (uint8_t)((seq >> (8 * (i % 8))) ^ (0x5a + i));
		if (is_gcm) {
			memcpy(nonce, enc_key + 16, 4);
			memcpy(nonce + 4, iv, 8);
			put32(aad, SPI);
			put32(aad + 4, esn ? (uint32_t)(seq >> 32) : (uint32_t)seq);
			put32(aad + 8, (uint32_t)seq);
			if (!EVP_EncryptInit_ex2(c, gcm, enc_key, nonce, NULL) ||
			    !EVP_EncryptUpdate(c, NULL, &outl, aad, esn ? 12 : 8) ||
			    !EVP_EncryptUpdate(c, iv + 8, &outl, plain, (int)size) ||
			    !EVP_EncryptFinal_ex(c, tag, &outl) ||
			    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) <= 0)
				die("AES-GCM failed");
			memcpy(iv + 8 + size, tag, 16);
		} else {
			size_t mlen = 8 + ivlen + size, maclen;

			if (!EVP_EncryptInit_ex2(c, cbc, enc_key, iv, NULL) ||
			    !EVP_CIPHER_CTX_set_padding(c, 0) ||
			    !EVP_EncryptUpdate(c, iv + 16, &outl, plain, (int)size))
				die("AES-CBC failed");
			if (esn)
				put32(esp + mlen, (uint32_t)(seq >> 32)); /* overwritten by the ICV */
			if (!EVP_MAC_init(m, NULL, 0, NULL) ||
			    !EVP_MAC_update(m, esp, mlen + (esn ? 4 : 0)) ||
			    !EVP_MAC_final(m, mac, &maclen, sizeof(mac)))
				die("HMAC-SHA256 failed");
			memcpy(esp + mlen, mac, 16);
		}
		ip4(pkt, len, (uint32_t)n);
		h.ts.tv_sec = 1700000000 + (time_t)(n / 1000000);
		h.ts.tv_usec = (suseconds_t)(n % 1000000);
		pcap_dump((u_char *)d, &h, pkt);
	}
	if (pcap_dump_flush(d) < 0)
		die("writing the capture failed");
	pcap_dump_close(d);
	pcap_close(dead);

	if (!(sf = fopen(argv[5], "w")))
		die("cannot write the SA file");
	fprintf(sf, "state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x%08x mode transport ", SPI);
	if (is_gcm) {
		fputs("aead 'rfc4106(gcm(aes))' ", sf);
		hex(sf, enc_key, 20);
		fputs(" 128", sf);
	} else {
		fputs("enc 'cbc(aes)' ", sf);
		hex(sf, enc_key, 16);
		fputs(" auth-trunc 'hmac(sha256)' ", sf);
		hex(sf, auth_key, 32);
		fputs(" 128", sf);
	}
	if (esn)
		fprintf(sf, " flag esn replay-window 64 replay-seq 0x%x replay-seq-hi 0x%x",
			(uint32_t)(seq0 - 1), (uint32_t)((seq0 - 1) >> 32));
	else
		fputs(" replay-window 64", sf);
	fputc('\n', sf);
	if (fclose(sf) == EOF)
		die("writing the SA file failed");
	EVP_MAC_CTX_free(m);
	EVP_MAC_free(hmac);
	EVP_CIPHER_free(gcm);
	EVP_CIPHER_free(cbc);
	EVP_CIPHER_CTX_free(c);
	return 0;
}
