/* An XFRM SA as xfrmctl holds it: the kernel's xfrm_usersa_info plus the
 * optional attributes, each with a flag saying it is present. The same
 * struct is filled by the grammar (spec.c) and by netlink replies (sa.c).
 * It holds keys: clear it with xc_sa_clear() (or free with xc_sa_free()). */
#ifndef XFRMCTL_SA_H
#define XFRMCTL_SA_H

#include <linux/xfrm.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "nl.h"

#define XC_KEY_MAX 512 /* bytes; as ip's key buffer */
#define XC_ALG_NAME_MAX 64 /* CRYPTO_MAX_ALG_NAME */
#define XC_CTX_MAX 256

/* Newer uapi than Debian bookworm's headers (6.1). */
#ifndef XFRM_SA_XFLAG_DONT_ENCAP_DSCP
#define XFRM_SA_XFLAG_DONT_ENCAP_DSCP 1
#endif
#ifndef XFRM_SA_XFLAG_OSEQ_MAY_WRAP
#define XFRM_SA_XFLAG_OSEQ_MAY_WRAP 2
#endif
#define XC_XFRMA_SA_DIR 33 /* __u8, Linux 6.10; follows XFRMA_MTIMER_THRESH (32) */
#define XC_SA_DIR_IN 1
#define XC_SA_DIR_OUT 2
#ifndef XFRM_OFFLOAD_PACKET
#define XFRM_OFFLOAD_PACKET 4
#endif

/* A security context (XFRMA_SEC_CTX) of an SA or a policy. */
struct xc_sec_ctx {
	uint8_t doi, alg;
	char str[XC_CTX_MAX];
};

/* Read an XFRMA_SEC_CTX attribute's payload (untrusted) into ctx.
 * Returns 0 or -EBADMSG. */
int xc_sec_ctx_parse(const void *data, size_t len, struct xc_sec_ctx *ctx);

/* Append ctx as an XFRMA_SEC_CTX attribute to the request being built. */
void xc_sec_ctx_put(struct xc_nl *nl, const struct xc_sec_ctx *ctx);

struct xc_sa_alg {
	bool set;
	char name[XC_ALG_NAME_MAX];
	unsigned int key_len;  /* bytes */
	unsigned int icv_bits; /* AEAD ICV, or auth truncation */
	unsigned char key[XC_KEY_MAX];
};

struct xc_sa {
	struct xfrm_usersa_info info; /* id, saddr, sel, lifetimes, stats, reqid, mode, flags… */

	bool auth_trunc; /* auth is XFRMA_ALG_AUTH_TRUNC (else XFRMA_ALG_AUTH) */

	bool has_encap, has_coaddr, has_mark, has_output_mark, has_if_id, has_tfcpad,
		has_extra_flags, has_dir, has_offload, has_ctx, has_replay, has_replay_esn,
		has_lastused;
	struct xfrm_encap_tmpl encap;
	xfrm_address_t coaddr;
	struct xfrm_mark mark;
	uint32_t output_mark, output_mark_mask;
	uint32_t if_id, tfcpad, extra_flags;
	uint8_t dir; /* XC_SA_DIR_* */
	struct xfrm_user_offload offload;
	char offload_dev[IF_NAMESIZE]; /* from the grammar; resolved to an ifindex */
	struct xc_sec_ctx ctx;
	struct xfrm_replay_state replay;
	struct xfrm_replay_state_esn esn; /* without its bitmap */
	uint64_t lastused;

	/* Last, so that clearing can skip the unused tails of the key buffers
	 * (bytes past key_len never hold key material). */
	struct xc_sa_alg aead, enc, auth, comp;
};

/* Zero everything that can hold a value: all fields, and every key byte
 * up to key_len (not optimised away). Bytes of a key buffer past key_len
 * are never written with key material, so they need no clearing. */
void xc_sa_clear(struct xc_sa *sa);
/* Make fresh (uninitialised) or cleared memory an empty SA without writing
 * the key buffers, whose bytes past key_len are never read. Memory that
 * may still hold keys must go through xc_sa_clear() instead. */
void xc_sa_init(struct xc_sa *sa);
void xc_sa_free(struct xc_sa *sa);

/* Requests. In each, sa names the SA (info.id, info.saddr, info.family,
 * mark, if_id). Return 0 or -errno; err gets the kernel's text if any.
 * xc_sa_add with a direction (has_dir) reads the SA back: a kernel before
 * 6.10 ignores XFRMA_SA_DIR silently, and then the SA is removed again and
 * -EOPNOTSUPP returned. */
int xc_sa_add(struct xc_nl *nl, const struct xc_sa *sa, bool update, struct xc_err *err);
/* Queue the NEWSA of an SA without a direction (xc_nl_queue(): 1 when the
 * queue is full, 0, or -errno), for xc_nl_flush() to send. */
int xc_sa_queue_add(struct xc_nl *nl, const struct xc_sa *sa);
int xc_sa_get(struct xc_nl *nl, const struct xc_sa *id, struct xc_sa **out, struct xc_err *err);
int xc_sa_del(struct xc_nl *nl, const struct xc_sa *id, struct xc_err *err);
/* Reserve an SPI in [min, max] for a larval SA (ALLOCSPI); *out gets it. */
int xc_sa_allocspi(struct xc_nl *nl, const struct xc_sa *id, uint32_t min, uint32_t max,
		   struct xc_sa **out, struct xc_err *err);
/* proto 0: every protocol (IPSEC_PROTO_ANY). */
int xc_sa_flush(struct xc_nl *nl, uint8_t proto, struct xc_err *err);

struct xc_sad_info {
	uint32_t count;        /* SAs */
	uint32_t hash_buckets; /* current */
	uint32_t hash_max;     /* maximum */
};
int xc_sa_count(struct xc_nl *nl, struct xc_sad_info *out, struct xc_err *err);

/* Stream every SA to cb, one at a time, in a struct reused (and cleared)
 * between calls. cb returns 0 to go on or -errno to stop. */
typedef int (*xc_sa_cb)(const struct xc_sa *sa, void *arg);
int xc_sa_dump(struct xc_nl *nl, xc_sa_cb cb, void *arg, struct xc_err *err);

/* Fill sa from a message that carries one: XFRM_MSG_NEWSA/UPDSA (a dump
 * entry, a get reply, a notification), DELSA and EXPIRE notifications.
 * Untrusted input: every length is checked. Returns 0 or -EBADMSG. */
int xc_sa_parse(const struct nlmsghdr *nlh, struct xc_sa *sa);

/* An SA message found but not yet copied: its xfrm_usersa_info (copied,
 * for alignment) and its attributes by type, NULL when absent, pointing
 * into the message (valid as long as it is). For readers that need only
 * some of an SA: state list's text reads what it prints straight from the
 * message, as building a struct xc_sa for each of 100k SAs (filling,
 * copying keys, clearing) cost a third of the listing. */
struct xc_sa_msg {
	struct xfrm_usersa_info info;
	const struct nlattr *tb[XC_XFRMA_SA_DIR + 1];
	uint64_t present; /* bit T set: tb[T] is not NULL */
};
/* Find the SA in a message of the kinds xc_sa_parse() takes: 0, or
 * -EBADMSG if there is none or it is short. Attributes are not checked.
 * m is zeroed before its first use; reusing it for the next message
 * saves clearing all of tb. */
int xc_sa_msg_read(const struct nlmsghdr *nlh, struct xc_sa_msg *m);
/* Fill sa, which must be clear (xc_sa_init()/xc_sa_clear()), from a message
 * read: all of xc_sa_parse() after finding the SA. 0 or -EBADMSG. */
int xc_sa_msg_parse(const struct xc_sa_msg *m, struct xc_sa *sa);

/* The SA's authentication attribute: the kernel sends XFRMA_ALG_AUTH and
 * XFRMA_ALG_AUTH_TRUNC, and the latter has the truth (its truncation);
 * AUTH alone from others. NULL if neither; *type gets which. */
const struct nlattr *xc_sa_msg_auth(const struct xc_sa_msg *m, int *type);

/* An algorithm attribute (XFRMA_ALG_*) read in place: its name, at most
 * XC_ALG_NAME_MAX - 1 bytes, not NUL-terminated (all XC_ALG_NAME_MAX bytes
 * at name are the attribute's, and can be read), its key, and the ICV or
 * truncation bits for AEAD and AUTH_TRUNC (else 0). Points into the
 * attribute. */
struct xc_alg_ref {
	const char *name;
	size_t name_len;
	const unsigned char *key;
	unsigned int key_len; /* bytes */
	unsigned int icv_bits;
};
/* Read attribute a of type type: 0, or -EBADMSG if it is short or its key
 * is longer than the attribute or than XC_KEY_MAX. */
int xc_alg_ref_read(const struct nlattr *a, int type, struct xc_alg_ref *r);

/* As xc_sa_dump(), but cb gets each message read, not parsed. */
typedef int (*xc_sa_msg_cb)(const struct xc_sa_msg *m, void *arg);
int xc_sa_dump_msgs(struct xc_nl *nl, xc_sa_msg_cb cb, void *arg, struct xc_err *err);

#endif
