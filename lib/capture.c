#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAPLEN 262144

/* LINKTYPE_LINUX_SLL2 where libpcap's headers are older */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

struct xc_capture {
	pcap_t *p;
	int dlt;
	uint64_t index;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int ip_by_ethertype(uint16_t type)
{
	return type == 0x0800 || type == 0x86dd ? 0 : -EPROTONOSUPPORT;
}

int xc_link_ip_offset(int dlt, const uint8_t *f, size_t len, size_t *off)
{
	size_t o;
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (len < 14)
			return -EBADMSG;
		o = 12;
		type = be16(f + o);
		/* 802.1Q / 802.1ad tags, any depth */
		while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
			o += 4;
			if (len < o + 2)
				return -EBADMSG;
			type = be16(f + o);
		}
		*off = o + 2;
		return ip_by_ethertype(type);
	case DLT_LINUX_SLL: /* 16 bytes, protocol at 14 */
		if (len < 16)
			return -EBADMSG;
		*off = 16;
		return ip_by_ethertype(be16(f + 14));
	case DLT_LINUX_SLL2: /* 20 bytes, protocol at 0 */
		if (len < 20)
			return -EBADMSG;
		*off = 20;
		return ip_by_ethertype(be16(f));
	case DLT_RAW:
	case 228: /* LINKTYPE_IPV4 */
	case 229: /* LINKTYPE_IPV6 */
		if (len < 1)
			return -EBADMSG;
		*off = 0;
		return (f[0] >> 4) == 4 || (f[0] >> 4) == 6 ? 0 : -EPROTONOSUPPORT;
	case DLT_NULL:
	case DLT_LOOP: /* 4-byte address family, host or network order */
		if (len < 5)
			return -EBADMSG;
		*off = 4;
		return (f[4] >> 4) == 4 || (f[4] >> 4) == 6 ? 0 : -EPROTONOSUPPORT;
	default:
		return -EPROTONOSUPPORT;
	}
}

static int finish_open(struct xc_capture **out, pcap_t *p, const char *what, const char *filter,
		       struct xc_err *err)
{
	struct bpf_program prog;
	struct xc_capture *cap;

	if (filter) {
		if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			xc_err_set(err, "bad filter '%s': %s", filter, pcap_geterr(p));
			pcap_close(p);
			return -EINVAL;
		}
		if (pcap_setfilter(p, &prog) < 0) {
			xc_err_set(err, "%s: cannot set the filter: %s", what, pcap_geterr(p));
			pcap_freecode(&prog);
			pcap_close(p);
			return -EINVAL;
		}
		pcap_freecode(&prog);
	}
	cap = calloc(1, sizeof(*cap));
	if (!cap) {
		pcap_close(p);
		return -ENOMEM;
	}
	cap->p = p;
	cap->dlt = pcap_datalink(p);
	*out = cap;
	return 0;
}

int xc_capture_open_file(struct xc_capture **out, const char *path, const char *filter,
			 struct xc_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline(path, ebuf);

	if (!p) {
		xc_err_set(err, "cannot read capture '%s': %s", path, ebuf);
		return access(path, R_OK) < 0 ? -errno : -EINVAL;
	}
	return finish_open(out, p, path, filter, err);
}

int xc_capture_open_live(struct xc_capture **out, const char *ifname, const char *filter,
			 struct xc_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(ifname, ebuf);
	int r;

	if (!p) {
		xc_err_set(err, "cannot capture on '%s': %s", ifname, ebuf);
		return -ENODEV;
	}
	pcap_set_snaplen(p, SNAPLEN);
	pcap_set_promisc(p, 0);
	pcap_set_immediate_mode(p, 1); /* verdicts as packets arrive */
	r = pcap_activate(p);
	if (r < 0) {
		xc_err_set(err, "cannot capture on '%s': %s", ifname, pcap_geterr(p));
		pcap_close(p);
		return r == PCAP_ERROR_NO_SUCH_DEVICE ? -ENODEV :
		       r == PCAP_ERROR_PERM_DENIED ? -EPERM : -EIO;
	}
	return finish_open(out, p, ifname, filter, err);
}

void xc_capture_close(struct xc_capture *cap)
{
	if (!cap)
		return;
	pcap_close(cap->p);
	free(cap);
}

void xc_capture_break(struct xc_capture *cap)
{
	pcap_breakloop(cap->p);
}

int xc_capture_next(struct xc_capture *cap, struct xc_packet *pkt, struct xc_err *err)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t off = 0;
	int r;

	r = pcap_next_ex(cap->p, &h, &data);
	if (r == PCAP_ERROR_BREAK || r == PCAP_ERROR_NOT_ACTIVATED)
		return 0;
	if (r == PCAP_ERROR) {
		xc_err_set(err, "reading packets: %s", pcap_geterr(cap->p));
		return -EIO;
	}
	if (r == 0) /* live timeout: nothing yet */
		return -EAGAIN;
	cap->index++;
	memset(pkt, 0, sizeof(*pkt));
	pkt->ts = h->ts;
	pkt->index = cap->index;
	pkt->wire_len = h->len;
	pkt->link_ok = xc_link_ip_offset(cap->dlt, data, h->caplen, &off) == 0;
	pkt->ip = data + (pkt->link_ok ? off : 0);
	pkt->ip_len = pkt->link_ok ? h->caplen - off : 0;
	return 1;
}

struct xc_pcap_out {
	pcap_t *dead;
	pcap_dumper_t *d;
	int err;
};

int xc_pcap_out_open(struct xc_pcap_out **out, const char *path, struct xc_err *err)
{
	struct xc_pcap_out *w = calloc(1, sizeof(*w));
	FILE *f;
	int fd, r;

	if (!w)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		r = -errno;
		xc_err_set(err, "cannot write '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(w);
		return r;
	}
	w->dead = pcap_open_dead(DLT_RAW, SNAPLEN);
	w->d = w->dead ? pcap_dump_fopen(w->dead, f) : NULL;
	if (!w->d) {
		xc_err_set(err, "cannot write '%s': %s", path,
			   w->dead ? pcap_geterr(w->dead) : "out of memory");
		fclose(f);
		if (w->dead)
			pcap_close(w->dead);
		free(w);
		return -EIO;
	}
	*out = w;
	return 0;
}

int xc_pcap_out_write(struct xc_pcap_out *w, const struct timeval *ts, const uint8_t *ip,
		      size_t len)
{
	struct pcap_pkthdr h = { .ts = *ts, .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len };

	pcap_dump((u_char *)w->d, &h, ip);
	return 0;
}

int xc_pcap_out_close(struct xc_pcap_out *w)
{
	FILE *f;
	int r = 0;

	if (!w)
		return 0;
	f = pcap_dump_file(w->d);
	if (pcap_dump_flush(w->d) < 0 || ferror(f))
		r = -EIO;
	pcap_dump_close(w->d);
	pcap_close(w->dead);
	free(w);
	return r;
}
