/* The algorithms an XFRM SA may use, with the sizes the kernel and the RFCs
 * allow: what `state add` checks before anything is sent, and what the ESP
 * verifier needs to know. Names are the kernel's (net/xfrm/xfrm_algo.c);
 * aliases are its compat names. */
#ifndef XFRMCTL_ALGO_H
#define XFRMCTL_ALGO_H

#include <stdbool.h>
#include <stddef.h>

#include "nl.h"

enum xc_alg_kind {
	XC_ALG_AEAD,
	XC_ALG_ENC,
	XC_ALG_AUTH, /* auth and auth-trunc */
	XC_ALG_COMP,
	XC_ALG_KINDS
};

struct xc_alg_info {
	const char *name;
	const char *alias;
	enum xc_alg_kind kind;
	/* Allowed key sizes in bytes, salt included: key_sizes[] (0-ended), or
	 * any size from key_min to key_max when key_sizes[0] is 0. */
	unsigned short key_sizes[4];
	unsigned short key_min, key_max;
	unsigned short salt;      /* bytes of the key that are salt/nonce */
	unsigned short icv[4];    /* AEAD: allowed ICV bits (0-ended) */
	unsigned short full_bits; /* auth: digest size in bits */
	unsigned short trunc_bits;/* auth: the kernel's truncation for plain `auth` */
	unsigned short block;     /* enc: block size in bytes (1 for stream modes) */
	unsigned short iv;        /* enc/aead: IV bytes on the wire */
};

const char *xc_alg_kind_name(enum xc_alg_kind kind);

/* By name or alias, exactly. NULL if unknown. */
const struct xc_alg_info *xc_alg_find(enum xc_alg_kind kind, const char *name);

/* The closest known name of that kind, for "did you mean": one containing
 * name, or within a small edit distance. NULL if none is close. */
const char *xc_alg_suggest(enum xc_alg_kind kind, const char *name);

/* -EINVAL with a message naming the algorithm if key_len (bytes) is not
 * allowed, e.g. "key for 'rfc4106(gcm(aes))' must be 20, 28 or 36 bytes, got 16". */
int xc_alg_check_key(const struct xc_alg_info *alg, size_t key_len, struct xc_err *err);
/* AEAD ICV or auth-trunc length in bits. */
int xc_alg_check_icv(const struct xc_alg_info *alg, unsigned int bits, struct xc_err *err);

#endif
