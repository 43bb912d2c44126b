/* What `xfrmctl trace` needs from the kernel and the machine, checked one
 * fact at a time, with what to do about each that is missing. */
#ifndef XFRMCTL_TRACE_ENV_H
#define XFRMCTL_TRACE_ENV_H

#include <stdbool.h>

#define XC_TRACE_MAX_CHECKS 40

struct xc_trace_check {
	char name[48];	  /* "kprobes", "symbol xfrm_input", … */
	bool ok;
	bool required;	  /* trace live cannot work without it */
	char detail[160]; /* what was found */
	char fix[160];	  /* what to do, if not ok */
};

struct xc_trace_env {
	unsigned int n;
	struct xc_trace_check checks[XC_TRACE_MAX_CHECKS];
	bool usable; /* every required check passed */
};

/* The functions the receive-path scripts probe, with whether each is
 * required (the IPv4 NAT-T chain) or optional (offload, GRO, IPv6, which
 * a kernel or its loaded modules may lack). */
struct xc_trace_symbol {
	const char *name;
	const char *module; /* where it lives when not built in, or NULL */
	bool required;
};
extern const struct xc_trace_symbol xc_trace_symbols[];
extern const unsigned int xc_trace_n_symbols;

/* Run every check. bpftrace_version: what `bpftrace --version` said (the
 * caller runs it), or NULL if it could not be run. Returns 0 or -errno. */
int xc_trace_env_check(struct xc_trace_env *env, const char *bpftrace_version);

#endif
