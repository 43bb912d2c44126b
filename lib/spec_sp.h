/* The `ip xfrm policy` grammar, parsed into struct xc_sp; shared by the
 * command line and batch files. Keywords match exactly. Every error names
 * the bad token. */
#ifndef XFRMCTL_SPEC_SP_H
#define XFRMCTL_SPEC_SP_H

#include <stdbool.h>
#include <stdint.h>

#include "nl.h"
#include "sp.h"

/* policy add|update: SELECTOR dir DIR [options…] [TMPL-LIST] (the whole
 * policy, with ip's defaults: no byte or packet limit, share any,
 * templates allowing every algorithm). */
int xc_spec_sp(int argc, char **argv, struct xc_sp *sp, struct xc_err *err);

/* policy get|delete: { SELECTOR | index INDEX } dir DIR [ ptype PTYPE ]
 * [ mark MARK [ mask MASK ] ] [ if_id IF_ID ] [ ctx CTX ]. */
int xc_spec_sp_id(int argc, char **argv, struct xc_sp *sp, struct xc_err *err);

/* policy list: [ SELECTOR ] [ dir DIR ] [ index INDEX ] [ ptype PTYPE ]
 * [ action ACTION ] [ priority PRIORITY ]. A selector's src and dst match
 * the policies whose own prefix lies inside them; its other parts, and the
 * other keywords, match exactly. */
struct xc_sp_filter {
	bool sel, dir, index, ptype, action, priority;
	struct xc_sp sp; /* the values */
};
int xc_spec_sp_filter(int argc, char **argv, struct xc_sp_filter *f, struct xc_err *err);
bool xc_sp_filter_match(const struct xc_sp_filter *f, const struct xc_sp *sp);

/* policy flush: [ ptype PTYPE ]. */
int xc_spec_sp_flush(int argc, char **argv, bool *has_ptype, uint8_t *ptype, struct xc_err *err);

/* policy setdefault: DIR ACTION [ DIR ACTION ]…; directions not given stay
 * XFRM_USERPOLICY_UNSPEC (the kernel leaves them as they are). */
int xc_spec_sp_default(int argc, char **argv, struct xc_sp_default *d, struct xc_err *err);

/* Names of values, for output and for the parser alike. NULL if unknown. */
const char *xc_sp_dir_name(uint8_t dir); /* "in", "out", "fwd"; socket policies too */
const char *xc_sp_action_name(uint8_t action);   /* "allow", "block" */
const char *xc_sp_ptype_name(uint8_t ptype);     /* "main", "sub" */
const char *xc_sp_share_name(uint8_t share);     /* "any", "session", … */
const char *xc_sp_flag_name(unsigned int bit);   /* bit i of flags: "localok", "icmp" */
const char *xc_sp_default_name(uint8_t action);  /* "accept", "block", "unspec" */

#endif
