#include "sp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void xc_sp_free(struct xc_sp *sp)
{
	free(sp);
}

/* The attributes beside the header that name a policy as much as its
 * selector does: type, mark, if_id, security context. */
static void put_id_attrs(struct xc_nl *nl, const struct xc_sp *sp)
{
	if (sp->has_ptype) {
		struct xfrm_userpolicy_type t;

		memset(&t, 0, sizeof(t));
		t.type = sp->ptype;
		xc_nl_put(nl, XFRMA_POLICY_TYPE, &t, sizeof(t));
	}
	if (sp->has_mark)
		xc_nl_put(nl, XFRMA_MARK, &sp->mark, sizeof(sp->mark));
	if (sp->has_if_id)
		xc_nl_put_u32(nl, XFRMA_IF_ID, sp->if_id);
	if (sp->has_ctx)
		xc_sec_ctx_put(nl, &sp->ctx);
}

int xc_sp_add(struct xc_nl *nl, const struct xc_sp *sp, bool update, struct xc_err *err)
{
	xc_nl_req(nl, update ? XFRM_MSG_UPDPOLICY : XFRM_MSG_NEWPOLICY,
		  update ? NLM_F_CREATE : NLM_F_CREATE | NLM_F_EXCL, &sp->info, sizeof(sp->info));
	if (sp->n_tmpl)
		xc_nl_put(nl, XFRMA_TMPL, sp->tmpl, sp->n_tmpl * sizeof(sp->tmpl[0]));
	put_id_attrs(nl, sp);
	return xc_nl_req_send(nl, NULL, NULL, err);
}

/* GETPOLICY and DELPOLICY: struct xfrm_userpolicy_id + the id attributes. */
static void build_id(struct xc_nl *nl, uint16_t type, const struct xc_sp *sp)
{
	struct xfrm_userpolicy_id id;

	memset(&id, 0, sizeof(id));
	id.sel = sp->info.sel;
	id.index = sp->info.index;
	id.dir = sp->info.dir;
	xc_nl_req(nl, type, 0, &id, sizeof(id));
	put_id_attrs(nl, sp);
}

/* The one reply of a get, parsed into a freshly allocated policy. */
static int parse_one(const struct nlmsghdr *nlh, void *arg)
{
	struct xc_sp **out = arg, *sp;
	int r;

	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY && nlh->nlmsg_type != XFRM_MSG_UPDPOLICY)
		return 0;
	if (*out)
		return -EBADMSG; /* one reply expected */
	sp = malloc(sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	r = xc_sp_parse(nlh, sp);
	if (r < 0) {
		free(sp);
		return r;
	}
	*out = sp;
	return 0;
}

int xc_sp_get(struct xc_nl *nl, const struct xc_sp *id, struct xc_sp **out, struct xc_err *err)
{
	struct xc_sp *sp = NULL;
	int r;

	build_id(nl, XFRM_MSG_GETPOLICY, id);
	r = xc_nl_req_send(nl, parse_one, &sp, err);
	if (r == 0 && !sp)
		r = -EBADMSG;
	if (r < 0) {
		xc_sp_free(sp);
		return r;
	}
	*out = sp;
	return 0;
}

int xc_sp_del(struct xc_nl *nl, const struct xc_sp *id, struct xc_err *err)
{
	build_id(nl, XFRM_MSG_DELPOLICY, id);
	return xc_nl_req_send(nl, NULL, NULL, err);
}

int xc_sp_flush(struct xc_nl *nl, bool has_ptype, uint8_t ptype, struct xc_err *err)
{
	struct xfrm_userpolicy_type t;

	memset(&t, 0, sizeof(t));
	t.type = ptype;
	xc_nl_req(nl, XFRM_MSG_FLUSHPOLICY, 0, NULL, 0);
	if (has_ptype)
		xc_nl_put(nl, XFRMA_POLICY_TYPE, &t, sizeof(t));
	return xc_nl_req_send(nl, NULL, NULL, err);
}


static int parse_spdinfo(const struct nlmsghdr *nlh, void *arg)
{
	struct xc_spd_info *info = arg;
	const struct nlattr *tb[XFRMA_SPD_MAX + 1];
	struct xfrmu_spdinfo si;
	struct xfrmu_spdhinfo hi;
	struct xfrmu_spdhthresh t4, t6;
	bool has_si = false, has_hi = false;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSPDINFO)
		return 0;
	if (xc_nl_attrs(nlh, sizeof(uint32_t), tb, XFRMA_SPD_MAX) < 0)
		return -EBADMSG;
	if (xc_nla_copy(tb, XFRMA_SPD_INFO, &si, sizeof(si), &has_si) < 0 ||
	    xc_nla_copy(tb, XFRMA_SPD_HINFO, &hi, sizeof(hi), &has_hi) < 0 ||
	    xc_nla_copy(tb, XFRMA_SPD_IPV4_HTHRESH, &t4, sizeof(t4), &info->has_hthresh4) < 0 ||
	    xc_nla_copy(tb, XFRMA_SPD_IPV6_HTHRESH, &t6, sizeof(t6), &info->has_hthresh6) < 0)
		return -EBADMSG;
	if (has_si) {
		info->in = si.incnt;
		info->out = si.outcnt;
		info->fwd = si.fwdcnt;
		info->sock_in = si.inscnt;
		info->sock_out = si.outscnt;
		info->sock_fwd = si.fwdscnt;
	}
	if (has_hi) {
		info->hash_buckets = hi.spdhcnt;
		info->hash_max = hi.spdhmcnt;
	}
	if (info->has_hthresh4) {
		info->hthresh4_local = t4.lbits;
		info->hthresh4_remote = t4.rbits;
	}
	if (info->has_hthresh6) {
		info->hthresh6_local = t6.lbits;
		info->hthresh6_remote = t6.rbits;
	}
	return 0;
}

int xc_sp_count(struct xc_nl *nl, struct xc_spd_info *out, struct xc_err *err)
{
	uint32_t flags = 0xffffffff;

	memset(out, 0, sizeof(*out));
	xc_nl_req(nl, XFRM_MSG_GETSPDINFO, 0, &flags, sizeof(flags));
	return xc_nl_req_send(nl, parse_spdinfo, out, err);
}

static int parse_default(const struct nlmsghdr *nlh, void *arg)
{
	struct xc_sp_default *d = arg;
	const struct xfrm_userpolicy_default *up = NLMSG_DATA(nlh);

	if (nlh->nlmsg_type != XFRM_MSG_GETDEFAULT)
		return 0;
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*up)))
		return -EBADMSG;
	d->in = up->in;
	d->fwd = up->fwd;
	d->out = up->out;
	return 0;
}

int xc_sp_get_default(struct xc_nl *nl, struct xc_sp_default *out, struct xc_err *err)
{
	struct xfrm_userpolicy_default up;

	memset(&up, 0, sizeof(up));
	memset(out, 0, sizeof(*out));
	xc_nl_req(nl, XFRM_MSG_GETDEFAULT, 0, &up, sizeof(up));
	return xc_nl_req_send(nl, parse_default, out, err);
}

int xc_sp_set_default(struct xc_nl *nl, const struct xc_sp_default *d, struct xc_err *err)
{
	struct xfrm_userpolicy_default up;

	memset(&up, 0, sizeof(up));
	up.in = d->in;
	up.fwd = d->fwd;
	up.out = d->out;
	xc_nl_req(nl, XFRM_MSG_SETDEFAULT, 0, &up, sizeof(up));
	return xc_nl_req_send(nl, NULL, NULL, err);
}

struct dump_state {
	xc_sp_cb cb;
	void *arg;
	struct xc_sp sp;
};

static int dump_one(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_state *st = arg;
	int r;

	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY)
		return 0;
	r = xc_sp_parse(nlh, &st->sp);
	return r < 0 ? r : st->cb(&st->sp, st->arg);
}

int xc_sp_dump(struct xc_nl *nl, xc_sp_cb cb, void *arg, struct xc_err *err)
{
	struct dump_state *st = malloc(sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	st->cb = cb;
	st->arg = arg;
	xc_nl_req(nl, XFRM_MSG_GETPOLICY, NLM_F_DUMP, NULL, 0);
	r = xc_nl_req_send(nl, dump_one, st, err);
	free(st);
	return r;
}

int xc_sp_parse(const struct nlmsghdr *nlh, struct xc_sp *sp)
{
	const struct nlattr *tb[XFRMA_MAX + 1];
	struct xfrm_userpolicy_type t;
	size_t hdr;
	int r;

	memset(sp, 0, sizeof(*sp));
	memset(&t, 0, sizeof(t));
	/* where the policy's xfrm_userpolicy_info is, by message type */
	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		hdr = sizeof(struct xfrm_userpolicy_info);
		break;
	case XFRM_MSG_DELPOLICY: /* xfrm_userpolicy_id, the policy in XFRMA_POLICY */
		hdr = sizeof(struct xfrm_userpolicy_id);
		break;
	case XFRM_MSG_POLEXPIRE:
		hdr = sizeof(struct xfrm_user_polexpire);
		break;
	default:
		return -EBADMSG;
	}
	/* no policy: lengths are checked one by one below */
	if (xc_nl_attrs(nlh, hdr, tb, XFRMA_MAX) < 0)
		return -EBADMSG;
	if (nlh->nlmsg_type == XFRM_MSG_DELPOLICY) {
		if (!tb[XFRMA_POLICY] ||
		    xc_nla_copy(tb, XFRMA_POLICY, &sp->info, sizeof(sp->info), NULL) < 0)
			return -EBADMSG;
	} else {
		memcpy(&sp->info, NLMSG_DATA(nlh), sizeof(sp->info));
	}
	if (tb[XFRMA_TMPL]) {
		size_t len = xc_nla_len(tb[XFRMA_TMPL]);

		if (len % sizeof(sp->tmpl[0]) || len > sizeof(sp->tmpl))
			return -EBADMSG;
		sp->n_tmpl = (unsigned int)(len / sizeof(sp->tmpl[0]));
		memcpy(sp->tmpl, xc_nla_data(tb[XFRMA_TMPL]), len);
	}
	if ((r = xc_nla_copy(tb, XFRMA_POLICY_TYPE, &t, sizeof(t), &sp->has_ptype)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_MARK, &sp->mark, sizeof(sp->mark), &sp->has_mark)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_IF_ID, &sp->if_id, sizeof(sp->if_id), &sp->has_if_id)) < 0)
		return r;
	sp->ptype = sp->has_ptype ? t.type : XFRM_POLICY_TYPE_MAIN;
	if (tb[XFRMA_SEC_CTX]) {
		if (xc_sec_ctx_parse(xc_nla_data(tb[XFRMA_SEC_CTX]), xc_nla_len(tb[XFRMA_SEC_CTX]),
				     &sp->ctx) < 0)
			return -EBADMSG;
		sp->has_ctx = true;
	}
	return 0;
}
