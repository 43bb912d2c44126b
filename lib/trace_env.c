#include "trace_env.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct xc_trace_symbol xc_trace_symbols[] = {
	{ "udp_rcv", NULL, true },
	{ "__udp4_lib_rcv", NULL, true },
	{ "udp_queue_rcv_skb", NULL, true },
	{ "xfrm4_udp_encap_rcv", NULL, true },
	{ "xfrm4_rcv_encap", NULL, true },
	{ "xfrm_input", NULL, true },
	{ "esp_input", "esp4", true },
	{ "esp_input_done2", "esp4", true },
	{ "xfrm4_rcv", NULL, false },
	{ "esp_input_tail", "esp4_offload", false },
	{ "esp4_gro_receive", "esp4_offload", false },
	{ "xfrm6_rcv_encap", NULL, false },
	{ "esp6_input", "esp6", false },
};
const unsigned int xc_trace_n_symbols = sizeof(xc_trace_symbols) / sizeof(xc_trace_symbols[0]);

static struct xc_trace_check *add(struct xc_trace_env *env, const char *name, bool ok,
				  bool required)
{
	struct xc_trace_check *c;

	if (env->n >= XC_TRACE_MAX_CHECKS)
		return NULL;
	c = &env->checks[env->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->ok = ok;
	c->required = required;
	if (required && !ok)
		env->usable = false;
	return c;
}

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Which of the symbols /proc/kallsyms lists (names are there for everyone;
 * addresses only for root). found[i] for xc_trace_symbols[i]. */
static int scan_kallsyms(bool *found)
{
	char line[512], *name, *end;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* ADDR TYPE NAME [\t[MODULE]] */
		name = strchr(line, ' ');
		if (!name || !(name = strchr(name + 1, ' ')))
			continue;
		name++;
		end = name + strcspn(name, " \t\n");
		*end = '\0';
		for (unsigned int i = 0; i < xc_trace_n_symbols; i++)
			if (!found[i] && !strcmp(name, xc_trace_symbols[i].name))
				found[i] = true;
	}
	fclose(f);
	return 0;
}

/* The effective capability set, from /proc/self/status (no libcap). */
static unsigned long long cap_eff(void)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

enum { CAP_SYS_ADMIN_BIT = 21, CAP_PERFMON_BIT = 38, CAP_BPF_BIT = 39 };

int xc_trace_env_check(struct xc_trace_env *env, const char *bpftrace_version)
{
	bool found[sizeof(xc_trace_symbols) / sizeof(xc_trace_symbols[0])] = { false };
	unsigned long long caps = cap_eff();
	bool tracefs, kprobes, priv;
	struct xc_trace_check *c;
	int r;

	memset(env, 0, sizeof(*env));
	env->usable = true;

	/* bpftrace attaches kprobes through the perf 'kprobe' PMU, or through
	 * tracefs' kprobe_events on older kernels */
	kprobes = exists("/sys/bus/event_source/devices/kprobe/type") ||
		  exists("/sys/kernel/tracing/kprobe_events") ||
		  exists("/sys/kernel/debug/tracing/kprobe_events");
	if ((c = add(env, "kprobes", kprobes, true))) {
		if (kprobes) {
			say(c->detail, sizeof(c->detail), "the kernel can attach kprobes");
		} else {
			say(c->detail, sizeof(c->detail),
			    "this kernel has no kprobes (no kprobe PMU, no kprobe_events)");
			say(c->fix, sizeof(c->fix),
			    "boot a kernel built with CONFIG_KPROBES and CONFIG_KPROBE_EVENTS "
			    "(Debian's has them; tests/vm/shell boots it)");
		}
	}
	if ((c = add(env, "btf", exists("/sys/kernel/btf/vmlinux"), true))) {
		say(c->detail, sizeof(c->detail), c->ok ? "/sys/kernel/btf/vmlinux" :
			"no /sys/kernel/btf/vmlinux: bpftrace cannot see struct sk_buff");
		if (!c->ok)
			say(c->fix, sizeof(c->fix), "use a kernel built with CONFIG_DEBUG_INFO_BTF");
	}
	tracefs = exists("/sys/kernel/tracing/trace") || exists("/sys/kernel/debug/tracing/trace");
	if ((c = add(env, "tracefs", tracefs, true))) {
		say(c->detail, sizeof(c->detail), tracefs ? "mounted" : "not mounted");
		if (!tracefs)
			say(c->fix, sizeof(c->fix),
			    "mount -t tracefs tracefs /sys/kernel/tracing; under 'ip netns exec' (which "
			    "mounts a new /sys) use 'xfrmctl -n NETNS' instead");
	}
	priv = (caps >> CAP_SYS_ADMIN_BIT & 1) ||
	       ((caps >> CAP_BPF_BIT & 1) && (caps >> CAP_PERFMON_BIT & 1));
	if ((c = add(env, "privileges", priv, true))) {
		say(c->detail, sizeof(c->detail), priv ? "CAP_SYS_ADMIN or CAP_BPF+CAP_PERFMON" :
			"neither CAP_SYS_ADMIN nor CAP_BPF+CAP_PERFMON");
		if (!priv)
			say(c->fix, sizeof(c->fix), "run as root");
	}
	if ((c = add(env, "bpftrace", bpftrace_version != NULL, true))) {
		say(c->detail, sizeof(c->detail), "%s",
		    bpftrace_version ? bpftrace_version : "bpftrace not found or does not run");
		if (!bpftrace_version)
			say(c->fix, sizeof(c->fix), "apt-get install bpftrace");
	}
	r = scan_kallsyms(found);
	if (r < 0)
		return r;
	for (unsigned int i = 0; i < xc_trace_n_symbols; i++) {
		const struct xc_trace_symbol *s = &xc_trace_symbols[i];
		char name[48];

		snprintf(name, sizeof(name), "symbol %s", s->name);
		if (!(c = add(env, name, found[i], s->required)))
			break;
		if (found[i]) {
			say(c->detail, sizeof(c->detail), "in /proc/kallsyms");
		} else if (s->module) {
			say(c->detail, sizeof(c->detail), "not in /proc/kallsyms (module %s not loaded?)",
			    s->module);
			say(c->fix, sizeof(c->fix), "modprobe %s", s->module);
		} else {
			say(c->detail, sizeof(c->detail), "not in this kernel%s",
			    s->required ? "" : " (that path is not traced)");
		}
	}
	return 0;
}
