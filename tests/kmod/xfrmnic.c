// SPDX-License-Identifier: GPL-2.0
/*
 * xfrmnic: a test NIC with IPsec receive crypto offload.
 *
 * Devices come in linked pairs, as veth: what one end transmits, the other
 * receives.  The receiving end behaves as a NIC with ESP crypto offload
 * would: a frame carrying ESP (IPv4 or IPv6, IP protocol 50 or UDP to port
 * 4500 with a non-zero first word) whose SPI and destination address match
 * an SA offloaded to that device with "dir in" is decrypted in place, and
 * the skb goes up with a sec_path holding the SA and xfrm_offload() saying
 * CRYPTO_DONE and CRYPTO_SUCCESS, or an ESP authentication failure when the
 * ICV does not match.  xfrm_input() then calls the SA's
 * type_offload->input_tail (esp_input_tail) instead of esp_input().
 *
 * What the device leaves for the kernel is what esp_input_tail() and
 * esp_input_done2() expect: the ESP header and IV where they were, the
 * payload and its trailer (padding, pad length, next header) in clear, and
 * the ICV still at the end (the kernel trims trailer and ICV itself).
 *
 * ESP that matches no offloaded SA goes up untouched, for the kernel's
 * software ESP.  Only AEAD rfc4106(gcm(aes)) SAs are accepted, with or
 * without ESN; no transmit offload.  Counters: ethtool -S.
 *
 * Pairs are created over rtnetlink with kind "xfrmnic" and the peer in
 * IFLA_INFO_DATA attribute 1 (an ifinfomsg followed by IFLA_* attributes),
 * the layout veth uses; iproute2 only knows how to send that for veth, so
 * tests/kmod/xfrmnic-link does it.  Without a peer attribute the peer is
 * named xfrmnic%d.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rculist.h>
#include <linux/scatterlist.h>
#include <linux/udp.h>
#include <linux/u64_stats_sync.h>
#include <linux/version.h>
#include <crypto/aead.h>
#include <net/esp.h>
#include <net/rtnetlink.h>
#include <net/xfrm.h>

#if !IS_ENABLED(CONFIG_XFRM_OFFLOAD)
#error "xfrmnic needs a kernel with CONFIG_XFRM_OFFLOAD"
#endif

#define DRV_NAME		"xfrmnic"
#define XFRMNIC_AEAD		"rfc4106(gcm(aes))"
#define XFRMNIC_IV_LEN		8	/* explicit IV of rfc4106 */
#define XFRMNIC_SALT_LEN	4
#define XFRMNIC_NATT_PORT	4500

enum {
	XFRMNIC_INFO_UNSPEC,
	XFRMNIC_INFO_PEER,
	__XFRMNIC_INFO_MAX
};

#define XFRMNIC_INFO_MAX (__XFRMNIC_INFO_MAX - 1)

/*
 * The counters ethtool -S shows, in this order.  What the device did with
 * the ESP it received:
 *   rx_decrypted	decrypted, handed up with CRYPTO_SUCCESS
 *   rx_auth_failed	ICV mismatch, handed up with *_ESP_AUTH_FAILED
 *   rx_errors		other crypto error, handed up with CRYPTO_GENERIC_ERROR
 *   rx_passthrough	no offloaded SA: handed up untouched (software ESP)
 *   rx_fallback	offloaded SA, but too short or no memory: handed up
 *			untouched, for software ESP
 * and the SAs offloaded to it (sa_added) and taken back (sa_deleted).
 */
enum xfrmnic_stat {
	XFRMNIC_RX_DECRYPTED,
	XFRMNIC_RX_AUTH_FAILED,
	XFRMNIC_RX_ERRORS,
	XFRMNIC_RX_PASSTHROUGH,
	XFRMNIC_RX_FALLBACK,
	XFRMNIC_PCPU_STATS,
	XFRMNIC_SA_ADDED = XFRMNIC_PCPU_STATS,
	XFRMNIC_SA_DELETED,
	XFRMNIC_NUM_STATS
};

static const char xfrmnic_stat_names[XFRMNIC_NUM_STATS][ETH_GSTRING_LEN] = {
	[XFRMNIC_RX_DECRYPTED]	 = "rx_decrypted",
	[XFRMNIC_RX_AUTH_FAILED] = "rx_auth_failed",
	[XFRMNIC_RX_ERRORS]	 = "rx_errors",
	[XFRMNIC_RX_PASSTHROUGH] = "rx_passthrough",
	[XFRMNIC_RX_FALLBACK]	 = "rx_fallback",
	[XFRMNIC_SA_ADDED]	 = "sa_added",
	[XFRMNIC_SA_DELETED]	 = "sa_deleted",
};

struct xfrmnic_pcpu {
	u64_stats_t rx_packets;
	u64_stats_t rx_bytes;
	u64_stats_t tx_packets;
	u64_stats_t tx_bytes;
	u64_stats_t ipsec[XFRMNIC_PCPU_STATS];
	struct u64_stats_sync syncp;
};

/* One entry of the device's receive SA table. */
struct xfrmnic_sa {
	struct list_head list;		/* xfrmnic_priv.rx_sas, RCU */
	struct xfrm_state *x;		/* not held: the table lives while x does */
	struct crypto_aead *tfm;
	xfrm_address_t daddr;
	__be32 spi;
	__be16 encap_dport;		/* 0: plain ESP */
	unsigned short family;
	bool listed;			/* under xfrmnic_priv.sa_lock */
};

/* A decryption request, with room for the ESN associated data. */
struct xfrmnic_req {
	__be32 esn_ad[2];		/* SPI, high sequence number bits */
	struct aead_request aead;	/* followed by its context */
};

struct xfrmnic_priv {
	struct net_device __rcu *peer;
	struct xfrmnic_pcpu __percpu *stats;
	spinlock_t sa_lock;		/* writers of rx_sas */
	struct list_head rx_sas;
	atomic64_t sa_added;
	atomic64_t sa_deleted;
};

/* Where the ESP of a received frame is, and what identifies its SA. */
struct xfrmnic_esp {
	unsigned int off;		/* ESP header, from skb->data */
	unsigned int len;		/* ESP header to the end of the ICV */
	xfrm_address_t daddr;
	__be32 spi;
	__be16 encap_dport;
	unsigned short family;
};

static struct rtnl_link_ops xfrmnic_link_ops;

static void xfrmnic_count(struct net_device *dev, enum xfrmnic_stat stat)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);
	struct xfrmnic_pcpu *s = this_cpu_ptr(priv->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->ipsec[stat]);
	u64_stats_update_end(&s->syncp);
}

/* ---- receive: what the NIC does before the stack sees the frame ---- */

/*
 * The ESP in a UDP datagram to the NAT-T port starting at @off, if any
 * (RFC 3948: a zero first word is IKE, a single 0xff byte a keepalive).
 */
static bool xfrmnic_parse_udp(struct sk_buff *skb, unsigned int off,
			      unsigned int end, struct xfrmnic_esp *esp)
{
	const struct udphdr *uh;

	if (end < off + sizeof(*uh) + sizeof(struct ip_esp_hdr) ||
	    !pskb_may_pull(skb, off + sizeof(*uh) + sizeof(__be32)))
		return false;
	uh = (const struct udphdr *)(skb->data + off);
	if (uh->dest != htons(XFRMNIC_NATT_PORT) || !*(const __be32 *)(uh + 1))
		return false;
	esp->encap_dport = uh->dest;
	esp->off = off + sizeof(*uh);
	return true;
}

static bool xfrmnic_parse_ipv4(struct sk_buff *skb, struct xfrmnic_esp *esp)
{
	const struct iphdr *iph;
	unsigned int hlen, end;

	if (!pskb_may_pull(skb, sizeof(*iph)))
		return false;
	iph = (const struct iphdr *)skb->data;
	hlen = iph->ihl * 4;
	end = ntohs(iph->tot_len);
	if (iph->version != 4 || hlen < sizeof(*iph) || end < hlen ||
	    end > skb->len || ip_is_fragment(iph))
		return false;

	esp->family = AF_INET;
	esp->daddr.a4 = iph->daddr;
	esp->encap_dport = 0;
	if (iph->protocol == IPPROTO_ESP)
		esp->off = hlen;
	else if (iph->protocol != IPPROTO_UDP ||
		 !xfrmnic_parse_udp(skb, hlen, end, esp))
		return false;
	esp->len = end - esp->off;
	return true;
}

/* Only ESP (or UDP) right after the fixed header: no extension headers. */
static bool xfrmnic_parse_ipv6(struct sk_buff *skb, struct xfrmnic_esp *esp)
{
	const struct ipv6hdr *ip6h;
	unsigned int hlen = sizeof(*ip6h), end;

	if (!pskb_may_pull(skb, hlen))
		return false;
	ip6h = (const struct ipv6hdr *)skb->data;
	end = hlen + ntohs(ip6h->payload_len);
	if (ip6h->version != 6 || end == hlen || end > skb->len)
		return false;

	esp->family = AF_INET6;
	esp->daddr.in6 = ip6h->daddr;
	esp->encap_dport = 0;
	if (ip6h->nexthdr == IPPROTO_ESP)
		esp->off = hlen;
	else if (ip6h->nexthdr != IPPROTO_UDP ||
		 !xfrmnic_parse_udp(skb, hlen, end, esp))
		return false;
	esp->len = end - esp->off;
	return true;
}

static bool xfrmnic_parse(struct sk_buff *skb, struct xfrmnic_esp *esp)
{
	bool ok;

	switch (skb->protocol) {
	case htons(ETH_P_IP):
		ok = xfrmnic_parse_ipv4(skb, esp);
		break;
	case htons(ETH_P_IPV6):
		ok = xfrmnic_parse_ipv6(skb, esp);
		break;
	default:
		return false;
	}
	if (!ok || esp->len < sizeof(struct ip_esp_hdr) ||
	    !pskb_may_pull(skb, esp->off + sizeof(struct ip_esp_hdr)))
		return false;
	esp->spi = ((const struct ip_esp_hdr *)(skb->data + esp->off))->spi;
	return esp->spi != 0;
}

/* Under rcu_read_lock(). */
static struct xfrmnic_sa *xfrmnic_sa_find(struct xfrmnic_priv *priv,
					  const struct xfrmnic_esp *esp)
{
	struct xfrmnic_sa *sa;

	list_for_each_entry_rcu(sa, &priv->rx_sas, list) {
		if (sa->spi == esp->spi && sa->family == esp->family &&
		    sa->encap_dport == esp->encap_dport &&
		    xfrm_addr_equal(&sa->daddr, &esp->daddr, esp->family) &&
		    READ_ONCE(sa->x->km.state) != XFRM_STATE_DEAD)
			return sa;
	}
	return NULL;
}

/*
 * Decrypt in place.  rfc4106 takes the associated data (SPI, with ESN the
 * high 32 bits of the sequence number, the sequence number) followed by
 * the IV as its assoclen, the IV again as req->iv, and the ciphertext with
 * the ICV as cryptlen.  Without ESN that is the ESP packet as it is; with
 * ESN the SPI and the high bits come from @req->esn_ad (on the heap: a
 * scatterlist cannot point into a virtually mapped stack), the rest from
 * the packet.
 */
static int xfrmnic_decrypt(struct xfrm_state *x, struct xfrmnic_req *req,
			   u8 *esph, unsigned int len)
{
	const struct ip_esp_hdr *hdr = (const struct ip_esp_hdr *)esph;
	unsigned int adlen = sizeof(*hdr) + XFRMNIC_IV_LEN;
	struct scatterlist sg[2];

	if (x->props.flags & XFRM_STATE_ESN) {
		req->esn_ad[0] = hdr->spi;
		req->esn_ad[1] = htonl(xfrm_replay_seqhi(x, hdr->seq_no));
		sg_init_table(sg, 2);
		sg_set_buf(&sg[0], req->esn_ad, sizeof(req->esn_ad));
		sg_set_buf(&sg[1], &hdr->seq_no, len - sizeof(hdr->spi));
		adlen += sizeof(req->esn_ad[1]);
	} else {
		sg_init_one(sg, esph, len);
	}
	aead_request_set_callback(&req->aead, 0, NULL, NULL);
	aead_request_set_ad(&req->aead, adlen);
	aead_request_set_crypt(&req->aead, sg, sg,
			       len - sizeof(*hdr) - XFRMNIC_IV_LEN,
			       esph + sizeof(*hdr));
	return crypto_aead_decrypt(&req->aead);
}

/*
 * Takes over the reference on x: the sec_path gets it, or it is dropped when
 * the frame is left as it came.
 */
static void xfrmnic_rx_sa(struct net_device *dev, struct sk_buff *skb,
			  struct xfrmnic_sa *sa, const struct xfrmnic_esp *esp)
{
	struct xfrm_state *x = sa->x;
	struct xfrmnic_req *req;
	struct xfrm_offload *xo;
	struct sec_path *sp;
	int err, status;

	if (esp->len < sizeof(struct ip_esp_hdr) + XFRMNIC_IV_LEN +
		       crypto_aead_authsize(sa->tfm) ||
	    skb_ensure_writable(skb, esp->off + esp->len))
		goto fallback;

	req = kmalloc(sizeof(*req) + crypto_aead_reqsize(sa->tfm), GFP_ATOMIC);
	if (!req)
		goto fallback;
	aead_request_set_tfm(&req->aead, sa->tfm);

	sp = secpath_set(skb);
	if (!sp || sp->len != sp->olen || sp->len == XFRM_MAX_DEPTH) {
		kfree(req);
		goto fallback;
	}

	err = xfrmnic_decrypt(x, req, skb->data + esp->off, esp->len);
	kfree_sensitive(req);
	if (!err) {
		status = CRYPTO_SUCCESS;
		/* the payload changed under any checksum the frame came with */
		skb->ip_summed = CHECKSUM_NONE;
		xfrmnic_count(dev, XFRMNIC_RX_DECRYPTED);
	} else if (err == -EBADMSG) {
		status = x->props.mode == XFRM_MODE_TUNNEL ?
			 CRYPTO_TUNNEL_ESP_AUTH_FAILED :
			 CRYPTO_TRANSPORT_ESP_AUTH_FAILED;
		xfrmnic_count(dev, XFRMNIC_RX_AUTH_FAILED);
	} else {
		status = CRYPTO_GENERIC_ERROR;
		xfrmnic_count(dev, XFRMNIC_RX_ERRORS);
	}

	sp->xvec[sp->len++] = x;
	sp->olen++;
	xo = xfrm_offload(skb);
	xo->flags = CRYPTO_DONE;
	xo->status = status;
	return;

fallback:
	xfrm_state_put(x);
	xfrmnic_count(dev, XFRMNIC_RX_FALLBACK);
}

static void xfrmnic_rx_ipsec(struct net_device *dev, struct sk_buff *skb)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);
	struct xfrmnic_esp esp;
	struct xfrmnic_sa *sa;

	if (!xfrmnic_parse(skb, &esp))
		return;

	rcu_read_lock();
	sa = xfrmnic_sa_find(priv, &esp);
	if (sa && refcount_inc_not_zero(&sa->x->refcnt))
		xfrmnic_rx_sa(dev, skb, sa, &esp);
	else
		xfrmnic_count(dev, XFRMNIC_RX_PASSTHROUGH);
	rcu_read_unlock();
}

/* ---- the link: transmit on one end is receive on the other ---- */

static netdev_tx_t xfrmnic_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);
	struct xfrmnic_pcpu *s;
	struct net_device *peer;
	unsigned int len = skb->len;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (unlikely(!peer)) {
		kfree_skb(skb);
		dev_core_stats_tx_dropped_inc(dev);
		goto out;
	}
	/* scrubs the skb (its sec_path too) and sets skb->dev = peer */
	if (__dev_forward_skb(peer, skb) != NET_RX_SUCCESS) {
		dev_core_stats_tx_dropped_inc(dev);
		goto out;
	}

	xfrmnic_rx_ipsec(peer, skb);

	s = this_cpu_ptr(priv->stats);
	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->tx_packets);
	u64_stats_add(&s->tx_bytes, len);
	u64_stats_update_end(&s->syncp);

	if (netif_rx(skb) == NET_RX_SUCCESS) {
		struct xfrmnic_priv *ppriv = netdev_priv(peer);

		s = this_cpu_ptr(ppriv->stats);
		u64_stats_update_begin(&s->syncp);
		u64_stats_inc(&s->rx_packets);
		u64_stats_add(&s->rx_bytes, len);
		u64_stats_update_end(&s->syncp);
	}
out:
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

static void xfrmnic_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *tot)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct xfrmnic_pcpu *s = per_cpu_ptr(priv->stats, cpu);
		u64 rxp, rxb, txp, txb;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			rxp = u64_stats_read(&s->rx_packets);
			rxb = u64_stats_read(&s->rx_bytes);
			txp = u64_stats_read(&s->tx_packets);
			txb = u64_stats_read(&s->tx_bytes);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		tot->rx_packets += rxp;
		tot->rx_bytes += rxb;
		tot->tx_packets += txp;
		tot->tx_bytes += txb;
	}
}

static int xfrmnic_open(struct net_device *dev)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	if (!peer)
		return -ENOTCONN;
	if (peer->flags & IFF_UP) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int xfrmnic_close(struct net_device *dev)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	return 0;
}

static int xfrmnic_get_iflink(const struct net_device *dev)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);
	struct net_device *peer;
	int iflink;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	iflink = peer ? peer->ifindex : 0;
	rcu_read_unlock();
	return iflink;
}

/*
 * Switching ESP offload off would strand the offloaded SAs: the kernel
 * flushes them when the device goes down only while the feature is on.
 */
static netdev_features_t xfrmnic_fix_features(struct net_device *dev,
					      netdev_features_t features)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);

	if (!(features & NETIF_F_HW_ESP) &&
	    atomic64_read(&priv->sa_added) != atomic64_read(&priv->sa_deleted)) {
		netdev_info(dev, "ESP offload stays on while SAs are offloaded\n");
		features |= NETIF_F_HW_ESP;
	}
	return features;
}

static int xfrmnic_dev_init(struct net_device *dev)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);

	priv->stats = netdev_alloc_pcpu_stats(struct xfrmnic_pcpu);
	if (!priv->stats)
		return -ENOMEM;
	spin_lock_init(&priv->sa_lock);
	INIT_LIST_HEAD(&priv->rx_sas);
	return 0;
}

static void xfrmnic_dev_free(struct net_device *dev)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);

	WARN_ON(!list_empty(&priv->rx_sas));
	free_percpu(priv->stats);
}

static const struct net_device_ops xfrmnic_netdev_ops = {
	.ndo_init		= xfrmnic_dev_init,
	.ndo_open		= xfrmnic_open,
	.ndo_stop		= xfrmnic_close,
	.ndo_start_xmit		= xfrmnic_xmit,
	.ndo_get_stats64	= xfrmnic_get_stats64,
	.ndo_fix_features	= xfrmnic_fix_features,
	.ndo_get_iflink		= xfrmnic_get_iflink,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

/* ---- ethtool ---- */

static void xfrmnic_get_drvinfo(struct net_device *dev,
				struct ethtool_drvinfo *info)
{
	strscpy(info->driver, DRV_NAME, sizeof(info->driver));
}

static int xfrmnic_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? XFRMNIC_NUM_STATS : -EOPNOTSUPP;
}

static void xfrmnic_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		memcpy(data, xfrmnic_stat_names, sizeof(xfrmnic_stat_names));
}

static void xfrmnic_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *stats, u64 *data)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);
	int cpu, i;

	memset(data, 0, XFRMNIC_NUM_STATS * sizeof(*data));
	for_each_possible_cpu(cpu) {
		const struct xfrmnic_pcpu *s = per_cpu_ptr(priv->stats, cpu);
		u64 v[XFRMNIC_PCPU_STATS];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < XFRMNIC_PCPU_STATS; i++)
				v[i] = u64_stats_read(&s->ipsec[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));
		for (i = 0; i < XFRMNIC_PCPU_STATS; i++)
			data[i] += v[i];
	}
	data[XFRMNIC_SA_ADDED] = atomic64_read(&priv->sa_added);
	data[XFRMNIC_SA_DELETED] = atomic64_read(&priv->sa_deleted);
}

static const struct ethtool_ops xfrmnic_ethtool_ops = {
	.get_drvinfo		= xfrmnic_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= xfrmnic_get_sset_count,
	.get_strings		= xfrmnic_get_strings,
	.get_ethtool_stats	= xfrmnic_get_ethtool_stats,
};

/* ---- xfrmdev_ops: the SA table ---- */

/*
 * Before 6.2 the core passes no extack (and says "Device failed to offload
 * this state" itself): say why in the kernel log too.
 */
#define xfrmnic_refuse(dev, extack, msg) ({				\
	NL_SET_ERR_MSG_MOD(extack, msg);				\
	netdev_info(dev, "SA not offloaded: " msg "\n");		\
	-EINVAL;							\
})

static int xfrmnic_state_add(struct xfrm_state *x,
			     struct netlink_ext_ack *extack)
{
	struct net_device *dev = x->xso.real_dev;
	struct xfrmnic_priv *priv = netdev_priv(dev);
	struct crypto_aead *tfm;
	struct xfrmnic_sa *sa;
	unsigned int keylen;
	int err;

	if (!(dev->features & NETIF_F_HW_ESP))
		return xfrmnic_refuse(dev, extack, "ESP offload (esp-hw-offload) is off");
	if (x->xso.type != XFRM_DEV_OFFLOAD_CRYPTO)
		return xfrmnic_refuse(dev, extack, "only crypto offload is supported");
	if (x->xso.dir != XFRM_DEV_OFFLOAD_IN)
		return xfrmnic_refuse(dev, extack, "only receive (dir in) offload is supported");
	if (x->id.proto != IPPROTO_ESP)
		return xfrmnic_refuse(dev, extack, "only ESP is supported");
	if (!x->aead || strcmp(x->aead->alg_name, XFRMNIC_AEAD))
		return xfrmnic_refuse(dev, extack, "only AEAD " XFRMNIC_AEAD " is supported");
	if (x->encap && x->encap->encap_type != UDP_ENCAP_ESPINUDP)
		return xfrmnic_refuse(dev, extack, "only espinudp encapsulation is supported");
	if (x->encap && x->encap->encap_dport != htons(XFRMNIC_NATT_PORT))
		return xfrmnic_refuse(dev, extack, "encapsulation only to UDP port 4500");

	keylen = DIV_ROUND_UP(x->aead->alg_key_len, 8);
	if (keylen <= XFRMNIC_SALT_LEN)
		return xfrmnic_refuse(dev, extack, "key too short");

	tfm = crypto_alloc_aead(XFRMNIC_AEAD, 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(tfm)) {
		NL_SET_ERR_MSG_MOD(extack, "cannot allocate " XFRMNIC_AEAD);
		return PTR_ERR(tfm);
	}
	err = crypto_aead_setkey(tfm, x->aead->alg_key, keylen);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "key rejected by " XFRMNIC_AEAD);
		goto free_tfm;
	}
	err = crypto_aead_setauthsize(tfm, x->aead->alg_icv_len / 8);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "ICV length must be 64, 96 or 128 bits");
		goto free_tfm;
	}

	sa = kzalloc(sizeof(*sa), GFP_KERNEL);
	if (!sa) {
		err = -ENOMEM;
		goto free_tfm;
	}
	sa->x = x;
	sa->tfm = tfm;
	sa->daddr = x->id.daddr;
	sa->spi = x->id.spi;
	sa->family = x->props.family;
	sa->encap_dport = x->encap ? x->encap->encap_dport : 0;
	x->xso.offload_handle = (unsigned long)sa;

	spin_lock_bh(&priv->sa_lock);
	list_add_tail_rcu(&sa->list, &priv->rx_sas);
	sa->listed = true;
	spin_unlock_bh(&priv->sa_lock);
	atomic64_inc(&priv->sa_added);
	return 0;

free_tfm:
	crypto_free_aead(tfm);
	return err;
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
static int xfrmnic_xdo_state_add(struct xfrm_state *x)
{
	return xfrmnic_state_add(x, NULL);
}
#else
#define xfrmnic_xdo_state_add xfrmnic_state_add
#endif

static bool xfrmnic_sa_unlist(struct xfrmnic_priv *priv, struct xfrmnic_sa *sa)
{
	bool was_listed;

	spin_lock_bh(&priv->sa_lock);
	was_listed = sa->listed;
	if (was_listed)
		list_del_rcu(&sa->list);
	sa->listed = false;
	spin_unlock_bh(&priv->sa_lock);
	return was_listed;
}

/* Atomic context (x->lock is held): only unlist. */
static void xfrmnic_state_delete(struct xfrm_state *x)
{
	struct xfrmnic_priv *priv = netdev_priv(x->xso.real_dev);
	struct xfrmnic_sa *sa = (struct xfrmnic_sa *)x->xso.offload_handle;

	if (xfrmnic_sa_unlist(priv, sa))
		atomic64_inc(&priv->sa_deleted);
}

/*
 * Process context.  On 6.1 this comes after the state's last reference is
 * gone and a grace period has passed; on 6.12 xfrm_dev_state_flush() (the
 * device going down or away) calls it right after the delete: wait for
 * receivers still using the entry (they hold rcu_read_lock() throughout).
 */
static void xfrmnic_state_free(struct xfrm_state *x)
{
	struct xfrmnic_sa *sa = (struct xfrmnic_sa *)x->xso.offload_handle;

	xfrmnic_state_delete(x);
	synchronize_rcu();
	crypto_free_aead(sa->tfm);
	kfree(sa);
	x->xso.offload_handle = 0;
}

/*
 * The kernel moved the ESN replay window.  A NIC would update the high
 * sequence number bits it keeps; this one asks xfrm_replay_seqhi() per
 * packet instead.  The kernel offloads ESN SAs only to devices that have
 * this hook.
 */
static void xfrmnic_advance_esn(struct xfrm_state *x)
{
}

/* Transmit offload: never offered (dir out is refused above). */
static bool xfrmnic_offload_ok(struct sk_buff *skb, struct xfrm_state *x)
{
	return false;
}

static const struct xfrmdev_ops xfrmnic_xfrmdev_ops = {
	.xdo_dev_state_add	= xfrmnic_xdo_state_add,
	.xdo_dev_state_delete	= xfrmnic_state_delete,
	.xdo_dev_state_free	= xfrmnic_state_free,
	.xdo_dev_offload_ok	= xfrmnic_offload_ok,
	.xdo_dev_state_advance_esn = xfrmnic_advance_esn,
};

/* ---- rtnl_link_ops ---- */

static void xfrmnic_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE;
	dev->netdev_ops = &xfrmnic_netdev_ops;
	dev->ethtool_ops = &xfrmnic_ethtool_ops;
	dev->xfrmdev_ops = &xfrmnic_xfrmdev_ops;
	dev->hw_features = NETIF_F_HW_ESP;
	dev->features |= NETIF_F_HW_ESP;
#ifdef NETIF_F_LLTX
	dev->features |= NETIF_F_LLTX;
#else
	dev->lltx = true;	/* a device flag, no longer a feature, since 6.12 */
#endif
	dev->needs_free_netdev = true;
	dev->priv_destructor = xfrmnic_dev_free;
	dev->max_mtu = ETH_MAX_MTU;
}

static int xfrmnic_validate(struct nlattr *tb[], struct nlattr *data[],
			    struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN) {
			NL_SET_ERR_MSG_MOD(extack, "bad link-layer address length");
			return -EINVAL;
		}
		if (!is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS]))) {
			NL_SET_ERR_MSG_MOD(extack, "invalid link-layer address");
			return -EADDRNOTAVAIL;
		}
	}
	return 0;
}

static int xfrmnic_newlink(struct net *src_net, struct net_device *dev,
			   struct nlattr *tb[], struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	struct nlattr *peer_tb[IFLA_MAX + 1] = { NULL };
	unsigned char name_assign_type = NET_NAME_ENUM;
	char ifname[IFNAMSIZ] = DRV_NAME "%d";
	struct ifinfomsg *ifmp = NULL;
	struct net_device *peer;
	struct net *net;
	int err;

	if (data && data[XFRMNIC_INFO_PEER]) {
		struct nlattr *nla = data[XFRMNIC_INFO_PEER];

		ifmp = nla_data(nla);
		err = rtnl_nla_parse_ifinfomsg(peer_tb, nla, extack);
		if (err < 0)
			return err;
		err = xfrmnic_validate(peer_tb, NULL, extack);
		if (err < 0)
			return err;
		if (peer_tb[IFLA_IFNAME]) {
			nla_strscpy(ifname, peer_tb[IFLA_IFNAME], IFNAMSIZ);
			name_assign_type = NET_NAME_USER;
		}
	}

	net = rtnl_link_get_net(src_net, peer_tb);
	if (IS_ERR(net))
		return PTR_ERR(net);
	peer = rtnl_create_link(net, ifname, name_assign_type,
				&xfrmnic_link_ops, peer_tb, extack);
	put_net(net);
	if (IS_ERR(peer))
		return PTR_ERR(peer);
	if (!peer_tb[IFLA_ADDRESS])
		eth_hw_addr_random(peer);

	err = register_netdevice(peer);
	if (err < 0) {
		free_netdev(peer);
		return err;
	}
	netif_carrier_off(peer);
	err = rtnl_configure_link(peer, ifmp, 0, NULL);
	if (err < 0)
		goto unregister_peer;

	if (!tb[IFLA_ADDRESS])
		eth_hw_addr_random(dev);
	err = register_netdevice(dev);
	if (err < 0)
		goto unregister_peer;
	netif_carrier_off(dev);

	rcu_assign_pointer(((struct xfrmnic_priv *)netdev_priv(dev))->peer, peer);
	rcu_assign_pointer(((struct xfrmnic_priv *)netdev_priv(peer))->peer, dev);
	return 0;

unregister_peer:
	unregister_netdevice(peer);
	return err;
}

static void xfrmnic_dellink(struct net_device *dev, struct list_head *head)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	RCU_INIT_POINTER(priv->peer, NULL);
	unregister_netdevice_queue(dev, head);
	if (peer) {
		priv = netdev_priv(peer);
		RCU_INIT_POINTER(priv->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

static struct net *xfrmnic_get_link_net(const struct net_device *dev)
{
	struct xfrmnic_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	return peer ? dev_net(peer) : dev_net(dev);
}

static const struct nla_policy xfrmnic_policy[XFRMNIC_INFO_MAX + 1] = {
	[XFRMNIC_INFO_PEER] = { .len = sizeof(struct ifinfomsg) },
};

static struct rtnl_link_ops xfrmnic_link_ops = {
	.kind		= DRV_NAME,
	.priv_size	= sizeof(struct xfrmnic_priv),
	.setup		= xfrmnic_setup,
	.validate	= xfrmnic_validate,
	.newlink	= xfrmnic_newlink,
	.dellink	= xfrmnic_dellink,
	.policy		= xfrmnic_policy,
	.maxtype	= XFRMNIC_INFO_MAX,
	.get_link_net	= xfrmnic_get_link_net,
};

static int __init xfrmnic_init(void)
{
	return rtnl_link_register(&xfrmnic_link_ops);
}

static void __exit xfrmnic_exit(void)
{
	rtnl_link_unregister(&xfrmnic_link_ops);
}

module_init(xfrmnic_init);
module_exit(xfrmnic_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Linked test NICs with IPsec ESP receive crypto offload");
MODULE_ALIAS_RTNL_LINK(DRV_NAME);
