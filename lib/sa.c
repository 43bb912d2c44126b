#include "sa.h"

#include <errno.h>
#include <linux/ipsec.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void alg_clear(struct xc_sa_alg *a)
{
	if (a->key_len) /* (most SAs have one or two algorithms of four) */
		explicit_bzero(a->key, a->key_len < sizeof(a->key) ? a->key_len : sizeof(a->key));
	memset(a, 0, offsetof(struct xc_sa_alg, key));
}

/* Zero the fields before the algorithms: a call, since memset inlined for
 * their 640 bytes is a `rep stos`, which the emulated CPU of the test guest
 * runs a word per step (callgrind counts one instruction a word too). */
static void clear_head(struct xc_sa *sa)
{
	explicit_bzero(sa, offsetof(struct xc_sa, aead));
}

void xc_sa_init(struct xc_sa *sa)
{
	clear_head(sa);
	memset(&sa->aead, 0, offsetof(struct xc_sa_alg, key));
	memset(&sa->enc, 0, offsetof(struct xc_sa_alg, key));
	memset(&sa->auth, 0, offsetof(struct xc_sa_alg, key));
	memset(&sa->comp, 0, offsetof(struct xc_sa_alg, key));
}

void xc_sa_clear(struct xc_sa *sa)
{
	clear_head(sa);
	alg_clear(&sa->aead);
	alg_clear(&sa->enc);
	alg_clear(&sa->auth);
	alg_clear(&sa->comp);
}

void xc_sa_free(struct xc_sa *sa)
{
	if (!sa)
		return;
	xc_sa_clear(sa);
	free(sa);
}

/* Put an algorithm attribute: struct xfrm_algo, xfrm_algo_auth or
 * xfrm_algo_aead followed by the key, written in place in the request
 * (which is zeroed once sent). */
static void put_alg(struct xc_nl *nl, uint16_t type, const struct xc_sa_alg *a)
{
	size_t hdr = type == XFRMA_ALG_AEAD	  ? sizeof(struct xfrm_algo_aead) :
		     type == XFRMA_ALG_AUTH_TRUNC ? sizeof(struct xfrm_algo_auth) :
						    sizeof(struct xfrm_algo);
	unsigned char *p = xc_nl_reserve(nl, type, hdr + a->key_len);
	struct xfrm_algo *x = (struct xfrm_algo *)p;

	if (!p)
		return; /* the send says -EMSGSIZE */
	/* the name, key length and key are where all three structs have them */
	memcpy(x->alg_name, a->name, sizeof(x->alg_name) - 1);
	x->alg_key_len = a->key_len * 8;
	if (type == XFRMA_ALG_AEAD)
		((struct xfrm_algo_aead *)p)->alg_icv_len = a->icv_bits;
	else if (type == XFRMA_ALG_AUTH_TRUNC)
		((struct xfrm_algo_auth *)p)->alg_trunc_len = a->icv_bits;
	memcpy(p + hdr, a->key, a->key_len);
}

/* The attributes that identify an SA beside its header: mark, if_id. */
static void put_id_attrs(struct xc_nl *nl, const struct xc_sa *sa)
{
	if (sa->has_mark)
		xc_nl_put(nl, XFRMA_MARK, &sa->mark, sizeof(sa->mark));
	if (sa->has_if_id)
		xc_nl_put_u32(nl, XFRMA_IF_ID, sa->if_id);
}

static void build_newsa(struct xc_nl *nl, const struct xc_sa *sa, bool update)
{
	xc_nl_req(nl, update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA,
		  update ? 0 : NLM_F_CREATE | NLM_F_EXCL, &sa->info, sizeof(sa->info));
	if (sa->aead.set)
		put_alg(nl, XFRMA_ALG_AEAD, &sa->aead);
	if (sa->enc.set)
		put_alg(nl, XFRMA_ALG_CRYPT, &sa->enc);
	if (sa->auth.set)
		put_alg(nl, sa->auth_trunc ? XFRMA_ALG_AUTH_TRUNC : XFRMA_ALG_AUTH, &sa->auth);
	if (sa->comp.set)
		put_alg(nl, XFRMA_ALG_COMP, &sa->comp);
	if (sa->has_encap)
		xc_nl_put(nl, XFRMA_ENCAP, &sa->encap, sizeof(sa->encap));
	if (sa->has_coaddr)
		xc_nl_put(nl, XFRMA_COADDR, &sa->coaddr, sizeof(sa->coaddr));
	put_id_attrs(nl, sa);
	if (sa->has_output_mark) {
		xc_nl_put_u32(nl, XFRMA_SET_MARK, sa->output_mark);
		xc_nl_put_u32(nl, XFRMA_SET_MARK_MASK, sa->output_mark_mask);
	}
	if (sa->has_tfcpad)
		xc_nl_put_u32(nl, XFRMA_TFCPAD, sa->tfcpad);
	if (sa->has_extra_flags)
		xc_nl_put_u32(nl, XFRMA_SA_EXTRA_FLAGS, sa->extra_flags);
	if (sa->has_dir)
		xc_nl_put_u8(nl, XC_XFRMA_SA_DIR, sa->dir);
	if (sa->has_offload)
		xc_nl_put(nl, XFRMA_OFFLOAD_DEV, &sa->offload, sizeof(sa->offload));
	if (sa->has_replay)
		xc_nl_put(nl, XFRMA_REPLAY_VAL, &sa->replay, sizeof(sa->replay));
	if (sa->has_replay_esn) {
		/* the bitmap follows the header, all zero for a new SA */
		unsigned char *p = xc_nl_reserve(nl, XFRMA_REPLAY_ESN_VAL,
						 sizeof(sa->esn) + sa->esn.bmp_len * sizeof(uint32_t));

		if (p)
			memcpy(p, &sa->esn, sizeof(sa->esn));
	}
	if (sa->has_ctx)
		xc_sec_ctx_put(nl, &sa->ctx);
}

int xc_sa_add(struct xc_nl *nl, const struct xc_sa *sa, bool update, struct xc_err *err)
{
	struct xc_sa *back = NULL;
	int r;

	build_newsa(nl, sa, update);
	r = xc_nl_req_send(nl, NULL, NULL, err);
	if (r < 0 || !sa->has_dir)
		return r;
	r = xc_sa_get(nl, sa, &back, err);
	if (r == 0 && !back->has_dir) {
		if (!update)
			xc_sa_del(nl, sa, NULL);
		xc_err_set(err, "this kernel ignores 'dir' (XFRMA_SA_DIR needs Linux 6.10)%s",
			   update ? "; the update without it was applied" : "; SA not added");
		r = -EOPNOTSUPP;
	}
	xc_sa_free(back);
	return r;
}

int xc_sa_queue_add(struct xc_nl *nl, const struct xc_sa *sa)
{
	if (sa->has_dir)
		return -EINVAL; /* (it needs the reading back that xc_sa_add does) */
	build_newsa(nl, sa, false);
	return xc_nl_queue(nl);
}

/* GETSA and DELSA: struct xfrm_usersa_id + source address + mark. */
static void build_id(struct xc_nl *nl, uint16_t type, const struct xc_sa *sa)
{
	struct xfrm_usersa_id id = {
		.daddr = sa->info.id.daddr,
		.spi = sa->info.id.spi,
		.family = sa->info.family,
		.proto = sa->info.id.proto,
	};

	xc_nl_req(nl, type, 0, &id, sizeof(id));
	xc_nl_put(nl, XFRMA_SRCADDR, &sa->info.saddr, sizeof(sa->info.saddr));
	put_id_attrs(nl, sa);
}

/* Parse one reply into a freshly allocated SA. */
static int parse_one(const struct nlmsghdr *nlh, void *arg)
{
	struct xc_sa **out = arg, *sa;
	int r;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA && nlh->nlmsg_type != XFRM_MSG_UPDSA)
		return 0;
	if (*out)
		return -EBADMSG; /* one reply expected */
	sa = calloc(1, sizeof(*sa));
	if (!sa)
		return -ENOMEM;
	r = xc_sa_parse(nlh, sa);
	if (r < 0) {
		xc_sa_free(sa);
		return r;
	}
	*out = sa;
	return 0;
}

/* Send the request built; its one reply is an SA, returned allocated in *out. */
static int request_one(struct xc_nl *nl, struct xc_sa **out, struct xc_err *err)
{
	struct xc_sa *sa = NULL;
	int r;

	r = xc_nl_req_send(nl, parse_one, &sa, err);
	if (r == 0 && !sa)
		r = -EBADMSG;
	if (r < 0)
		goto out;
	*out = sa;
	sa = NULL;
out:
	xc_sa_free(sa);
	return r;
}

int xc_sa_get(struct xc_nl *nl, const struct xc_sa *id, struct xc_sa **out, struct xc_err *err)
{
	build_id(nl, XFRM_MSG_GETSA, id);
	return request_one(nl, out, err);
}

int xc_sa_del(struct xc_nl *nl, const struct xc_sa *id, struct xc_err *err)
{
	build_id(nl, XFRM_MSG_DELSA, id);
	return xc_nl_req_send(nl, NULL, NULL, err);
}

int xc_sa_allocspi(struct xc_nl *nl, const struct xc_sa *id, uint32_t min, uint32_t max,
		   struct xc_sa **out, struct xc_err *err)
{
	struct xfrm_userspi_info req = { .info = id->info, .min = min, .max = max };

	xc_nl_req(nl, XFRM_MSG_ALLOCSPI, 0, &req, sizeof(req));
	put_id_attrs(nl, id);
	return request_one(nl, out, err);
}

int xc_sa_flush(struct xc_nl *nl, uint8_t proto, struct xc_err *err)
{
	struct xfrm_usersa_flush req = { .proto = proto ? proto : IPSEC_PROTO_ANY };

	xc_nl_req(nl, XFRM_MSG_FLUSHSA, 0, &req, sizeof(req));
	return xc_nl_req_send(nl, NULL, NULL, err);
}

static int parse_sadinfo(const struct nlmsghdr *nlh, void *arg)
{
	struct xc_sad_info *info = arg;
	const struct nlattr *tb[XFRMA_SAD_MAX + 1];
	struct xfrmu_sadhinfo h;
	bool has_h = false;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSADINFO)
		return 0;
	if (xc_nl_attrs(nlh, sizeof(uint32_t), tb, XFRMA_SAD_MAX) < 0)
		return -EBADMSG;
	/* (attributes too short to hold a value are left out, as before) */
	if (tb[XFRMA_SAD_CNT] && xc_nla_len(tb[XFRMA_SAD_CNT]) >= 4)
		memcpy(&info->count, xc_nla_data(tb[XFRMA_SAD_CNT]), 4);
	if (xc_nla_copy(tb, XFRMA_SAD_HINFO, &h, sizeof(h), &has_h) == 0 && has_h) {
		info->hash_buckets = h.sadhcnt;
		info->hash_max = h.sadhmcnt;
	}
	return 0;
}

int xc_sa_count(struct xc_nl *nl, struct xc_sad_info *out, struct xc_err *err)
{
	uint32_t flags = 0xffffffff;

	memset(out, 0, sizeof(*out));
	xc_nl_req(nl, XFRM_MSG_GETSADINFO, 0, &flags, sizeof(flags));
	return xc_nl_req_send(nl, parse_sadinfo, out, err);
}

struct msg_dump {
	xc_sa_msg_cb cb;
	void *arg;
	struct xc_sa_msg m;
};

static int msg_dump_one(const struct nlmsghdr *nlh, void *arg)
{
	struct msg_dump *st = arg;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA)
		return 0;
	if (xc_sa_msg_read(nlh, &st->m) < 0)
		return -EBADMSG;
	return st->cb(&st->m, st->arg);
}

int xc_sa_dump_msgs(struct xc_nl *nl, xc_sa_msg_cb cb, void *arg, struct xc_err *err)
{
	struct msg_dump st = { .cb = cb, .arg = arg }; /* (m zeroed, as it must start) */

	xc_nl_req(nl, XFRM_MSG_GETSA, NLM_F_DUMP, NULL, 0);
	return xc_nl_req_send(nl, msg_dump_one, &st, err);
}

struct sa_dump {
	xc_sa_cb cb;
	void *arg;
	struct xc_sa sa; /* cleared after each SA */
};

static int sa_dump_one(const struct xc_sa_msg *m, void *arg)
{
	struct sa_dump *st = arg;
	int r = xc_sa_msg_parse(m, &st->sa);

	if (r == 0)
		r = st->cb(&st->sa, st->arg);
	xc_sa_clear(&st->sa);
	return r;
}

int xc_sa_dump(struct xc_nl *nl, xc_sa_cb cb, void *arg, struct xc_err *err)
{
	struct sa_dump *st = malloc(sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	xc_sa_init(&st->sa);
	st->cb = cb;
	st->arg = arg;
	r = xc_sa_dump_msgs(nl, sa_dump_one, st, err);
	xc_sa_clear(&st->sa);
	free(st);
	return r;
}

int xc_alg_ref_read(const struct nlattr *a, int type, struct xc_alg_ref *r)
{
	size_t hdr = type == XFRMA_ALG_AEAD ? sizeof(struct xfrm_algo_aead) :
		     type == XFRMA_ALG_AUTH_TRUNC ? sizeof(struct xfrm_algo_auth) :
						    sizeof(struct xfrm_algo);
	const struct xfrm_algo *x = xc_nla_data(a);
	size_t len = xc_nla_len(a), key_bytes;

	if (len < hdr)
		return -EBADMSG;
	key_bytes = ((size_t)x->alg_key_len + 7) / 8; /* (no wrap near 2^32 bits) */
	if (key_bytes > len - hdr || key_bytes > XC_KEY_MAX)
		return -EBADMSG;
	r->name = x->alg_name;
	r->name_len = strnlen(x->alg_name, XC_ALG_NAME_MAX - 1);
	r->key = (const unsigned char *)x + hdr;
	r->key_len = (unsigned int)key_bytes;
	r->icv_bits = type == XFRMA_ALG_AEAD	    ? ((const struct xfrm_algo_aead *)x)->alg_icv_len :
		      type == XFRMA_ALG_AUTH_TRUNC ? ((const struct xfrm_algo_auth *)x)->alg_trunc_len :
						     0;
	return 0;
}

/* Copy an algorithm attribute: header (name, key bits[, icv bits]) + key. */
static int get_alg(const struct nlattr *a, int type, struct xc_sa_alg *alg)
{
	struct xc_alg_ref r;

	if (xc_alg_ref_read(a, type, &r) < 0)
		return -EBADMSG;
	memcpy(alg->name, r.name, r.name_len);
	alg->name[r.name_len] = '\0';
	alg->key_len = r.key_len;
	alg->icv_bits = r.icv_bits;
	memcpy(alg->key, r.key, r.key_len);
	alg->set = true;
	return 0;
}

void xc_sec_ctx_put(struct xc_nl *nl, const struct xc_sec_ctx *ctx)
{
	size_t n = strlen(ctx->str);
	unsigned char *p = xc_nl_reserve(nl, XFRMA_SEC_CTX, sizeof(struct xfrm_user_sec_ctx) + n);
	struct xfrm_user_sec_ctx *c = (struct xfrm_user_sec_ctx *)p;

	if (!p)
		return; /* the request is marked full and will not be sent */
	c->len = (uint16_t)(sizeof(*c) + n);
	c->exttype = XFRMA_SEC_CTX;
	c->ctx_alg = ctx->alg;
	c->ctx_doi = ctx->doi;
	c->ctx_len = (uint16_t)n;
	memcpy(p + sizeof(*c), ctx->str, n);
}

int xc_sec_ctx_parse(const void *data, size_t len, struct xc_sec_ctx *ctx)
{
	const struct xfrm_user_sec_ctx *c = data;

	if (len < sizeof(*c) || c->ctx_len > len - sizeof(*c) || c->ctx_len >= XC_CTX_MAX)
		return -EBADMSG;
	/* ip counts a terminating NUL in ctx_len; the string ends there anyway */
	memcpy(ctx->str, c + 1, c->ctx_len);
	ctx->str[c->ctx_len] = '\0';
	ctx->doi = c->ctx_doi;
	ctx->alg = c->ctx_alg;
	return 0;
}

int xc_sa_parse(const struct nlmsghdr *nlh, struct xc_sa *sa)
{
	struct xc_sa_msg m = { .present = 0 };

	xc_sa_clear(sa);
	if (xc_sa_msg_read(nlh, &m) < 0)
		return -EBADMSG;
	return xc_sa_msg_parse(&m, sa);
}

int xc_sa_msg_read(const struct nlmsghdr *nlh, struct xc_sa_msg *m)
{
	size_t hdr;

	/* where the SA's xfrm_usersa_info is, by message type */
	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		hdr = sizeof(struct xfrm_usersa_info);
		break;
	case XFRM_MSG_DELSA: /* xfrm_usersa_id, the SA in XFRMA_SA */
		hdr = sizeof(struct xfrm_usersa_id);
		break;
	case XFRM_MSG_EXPIRE:
		hdr = sizeof(struct xfrm_user_expire);
		break;
	default:
		return -EBADMSG;
	}
	/* no policy: lengths are checked one by one where they are read */
	if (xc_nl_attrs_again(nlh, hdr, m->tb, XC_XFRMA_SA_DIR, &m->present) < 0)
		return -EBADMSG;
	if (nlh->nlmsg_type == XFRM_MSG_DELSA) {
		if (!m->tb[XFRMA_SA] || xc_nla_copy(m->tb, XFRMA_SA, &m->info, sizeof(m->info), NULL) < 0)
			return -EBADMSG;
	} else {
		memcpy(&m->info, NLMSG_DATA(nlh), sizeof(m->info));
	}
	return 0;
}

const struct nlattr *xc_sa_msg_auth(const struct xc_sa_msg *m, int *type)
{
	*type = m->tb[XFRMA_ALG_AUTH_TRUNC] ? XFRMA_ALG_AUTH_TRUNC : XFRMA_ALG_AUTH;
	return m->tb[*type];
}

int xc_sa_msg_parse(const struct xc_sa_msg *m, struct xc_sa *sa)
{
	const struct nlattr *const *tb = m->tb, *auth;
	int r, auth_type;

	sa->info = m->info;
	if ((tb[XFRMA_ALG_AEAD] && get_alg(tb[XFRMA_ALG_AEAD], XFRMA_ALG_AEAD, &sa->aead) < 0) ||
	    (tb[XFRMA_ALG_CRYPT] && get_alg(tb[XFRMA_ALG_CRYPT], XFRMA_ALG_CRYPT, &sa->enc) < 0) ||
	    (tb[XFRMA_ALG_COMP] && get_alg(tb[XFRMA_ALG_COMP], XFRMA_ALG_COMP, &sa->comp) < 0))
		return -EBADMSG;
	if ((auth = xc_sa_msg_auth(m, &auth_type))) {
		if (get_alg(auth, auth_type, &sa->auth) < 0)
			return -EBADMSG;
		sa->auth_trunc = auth_type == XFRMA_ALG_AUTH_TRUNC;
	}
	if ((r = xc_nla_copy(tb, XFRMA_ENCAP, &sa->encap, sizeof(sa->encap), &sa->has_encap)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_COADDR, &sa->coaddr, sizeof(sa->coaddr), &sa->has_coaddr)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_MARK, &sa->mark, sizeof(sa->mark), &sa->has_mark)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_SET_MARK, &sa->output_mark, 4, &sa->has_output_mark)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_SET_MARK_MASK, &sa->output_mark_mask, 4, NULL)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_IF_ID, &sa->if_id, 4, &sa->has_if_id)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_TFCPAD, &sa->tfcpad, 4, &sa->has_tfcpad)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_SA_EXTRA_FLAGS, &sa->extra_flags, 4, &sa->has_extra_flags)) < 0 ||
	    (r = xc_nla_copy(tb, XC_XFRMA_SA_DIR, &sa->dir, 1, &sa->has_dir)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_OFFLOAD_DEV, &sa->offload, sizeof(sa->offload), &sa->has_offload)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_REPLAY_VAL, &sa->replay, sizeof(sa->replay), &sa->has_replay)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_REPLAY_ESN_VAL, &sa->esn, sizeof(sa->esn), &sa->has_replay_esn)) < 0 ||
	    (r = xc_nla_copy(tb, XFRMA_LASTUSED, &sa->lastused, sizeof(sa->lastused), &sa->has_lastused)) < 0)
		return r;
	if (sa->has_output_mark && !tb[XFRMA_SET_MARK_MASK])
		sa->output_mark_mask = UINT32_MAX;
	if (tb[XFRMA_SEC_CTX]) {
		if (xc_sec_ctx_parse(xc_nla_data(tb[XFRMA_SEC_CTX]), xc_nla_len(tb[XFRMA_SEC_CTX]),
				     &sa->ctx) < 0)
			return -EBADMSG;
		sa->has_ctx = true;
	}
	return 0;
}
