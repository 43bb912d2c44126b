/* An XFRM SP (security policy) as xfrmctl holds it: the kernel's
 * xfrm_userpolicy_info plus its templates and the optional attributes, each
 * with a flag saying it is present. The same struct is filled by the grammar
 * (spec_sp.c) and by netlink replies (sp.c). */
#ifndef XFRMCTL_SP_H
#define XFRMCTL_SP_H

#include <linux/xfrm.h>
#include <stdbool.h>
#include <stdint.h>

#include "nl.h"
#include "sa.h" /* XC_CTX_MAX */

#define XC_SP_TMPL_MAX 6 /* XFRM_MAX_DEPTH: the kernel takes no more */

struct xc_sp {
	/* sel, lft, curlft, priority, index, dir, action, flags, share */
	struct xfrm_userpolicy_info info;

	unsigned int n_tmpl;
	struct xfrm_user_tmpl tmpl[XC_SP_TMPL_MAX];

	bool has_ptype, has_mark, has_if_id, has_ctx;
	uint8_t ptype; /* XFRM_POLICY_TYPE_*; main when absent */
	struct xfrm_mark mark;
	uint32_t if_id;
	struct xc_sec_ctx ctx;
};

/* A policy's own direction: socket policies have dir + XFRM_POLICY_MAX. */
static inline bool xc_sp_is_socket(const struct xc_sp *sp)
{
	return sp->info.dir >= XFRM_POLICY_MAX;
}

void xc_sp_free(struct xc_sp *sp);

/* Requests. Return 0 or -errno; err gets the kernel's text if any.
 * add (NEWPOLICY) or update (UPDPOLICY, which adds if absent). */
int xc_sp_add(struct xc_nl *nl, const struct xc_sp *sp, bool update, struct xc_err *err);
/* get and delete name the policy by id: info.dir and either info.index
 * (not 0) or info.sel, plus ptype, mark, if_id and ctx. The kernel answers
 * -ENOENT if there is none. *out is allocated: free it with xc_sp_free(). */
int xc_sp_get(struct xc_nl *nl, const struct xc_sp *id, struct xc_sp **out, struct xc_err *err);
int xc_sp_del(struct xc_nl *nl, const struct xc_sp *id, struct xc_err *err);
/* Remove every policy of one type; has_ptype false: the kernel's default
 * (main). Socket policies stay. */
int xc_sp_flush(struct xc_nl *nl, bool has_ptype, uint8_t ptype, struct xc_err *err);

struct xc_spd_info {
	uint32_t in, out, fwd;                /* policies */
	uint32_t sock_in, sock_out, sock_fwd; /* socket policies */
	uint32_t hash_buckets, hash_max;
	bool has_hthresh4, has_hthresh6;
	uint8_t hthresh4_local, hthresh4_remote; /* prefix lengths hashed */
	uint8_t hthresh6_local, hthresh6_remote;
};
int xc_sp_count(struct xc_nl *nl, struct xc_spd_info *out, struct xc_err *err);

/* The default action where no policy matches, per direction:
 * XFRM_USERPOLICY_ACCEPT or _BLOCK (UNSPEC in a set request: unchanged). */
struct xc_sp_default {
	uint8_t in, fwd, out;
};
int xc_sp_get_default(struct xc_nl *nl, struct xc_sp_default *out, struct xc_err *err);
int xc_sp_set_default(struct xc_nl *nl, const struct xc_sp_default *d, struct xc_err *err);

/* Stream every policy (socket policies too) to cb, one at a time, in a
 * struct reused between calls. cb returns 0 to go on or -errno to stop. */
typedef int (*xc_sp_cb)(const struct xc_sp *sp, void *arg);
int xc_sp_dump(struct xc_nl *nl, xc_sp_cb cb, void *arg, struct xc_err *err);

/* Fill sp from a message that carries one: XFRM_MSG_NEWPOLICY/UPDPOLICY (a
 * dump entry, a get reply, a notification), DELPOLICY and POLEXPIRE
 * notifications. Untrusted input: every length is checked.
 * Returns 0 or -EBADMSG. */
int xc_sp_parse(const struct nlmsghdr *nlh, struct xc_sp *sp);

#endif
