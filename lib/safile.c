/* SA files in the state add grammar or as state list JSON; see safile.h.
 * The JSON is turned into the words of the state add grammar, member by
 * member, and read by the same parser as the command line, so both formats
 * take exactly what `state add` takes. */
#include "safile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sa.h"
#include "spec.h"
#include "tokens.h"

#define MAX_WORDS 512
#define MAX_FILE (1ul << 30)
#define JSON_STORE 16384 /* the words of one SA: four keys of 512 bytes in hex, and more */
#define JSON_DEPTH 32    /* nesting of a skipped value */
#define NAME_MAX_LEN 32  /* member names */

int xc_safile_where(const struct xc_safile_at *at, char *buf, size_t len)
{
	if (at->format == XC_SAFILE_JSON)
		return snprintf(buf, len, "%s line %zu (SA %zu)", at->file, at->line, at->index);
	return snprintf(buf, len, "%s line %zu", at->file, at->line);
}

/* err = "WHERE: " + err's own message */
static void prefix_err(struct xc_err *err, const struct xc_safile_at *at)
{
	char where[160], msg[sizeof(err->msg)];

	xc_safile_where(at, where, sizeof(where));
	snprintf(msg, sizeof(msg), "%s", err->msg);
	xc_err_set(err, "%s: %s", where, msg);
}

/* --- the state add grammar ------------------------------------------------ */

/* One line's words (argv, argc > 0) into an SA, or 0 when the line is no SA
 * (a policy command). */
static int add_words(int argc, char **argv, struct xc_sa *sa, bool *is_sa, struct xc_err *err)
{
	const struct xc_spec_opts o = { .key_in = NULL };
	int skip = 0;

	*is_sa = false;
	if (!strcmp(argv[0], "policy"))
		return 0;
	if (!strcmp(argv[0], "state")) {
		if (argc < 2 || strcmp(argv[1], "add")) {
			xc_err_set(err, "not an SA: 'state %s' (one 'state add' a line)",
				   argc < 2 ? "" : argv[1]);
			return -EINVAL;
		}
		skip = 2;
	} else if (!strcmp(argv[0], "add")) {
		skip = 1;
	}
	*is_sa = true;
	return xc_spec_sa(argc - skip, argv + skip, sa, &o, err);
}

/* One line (n bytes, NUL-terminated, changed in place). */
static int add_line(char *line, size_t n, struct xc_sa *sa, struct xc_safile_at *at,
		    xc_safile_cb cb, void *arg, struct xc_err *err)
{
	char *argv[MAX_WORDS];
	bool is_sa = false, theirs = false;
	int argc, r;

	if (memchr(line, '\0', n)) {
		xc_err_set(err, "a NUL byte in the line");
		r = -EINVAL;
		goto out;
	}
	argc = xc_split_line(line, argv, MAX_WORDS, err);
	r = argc < 0 ? -EINVAL : argc == 0 ? 0 : add_words(argc, argv, sa, &is_sa, err);
	if (r < 0 || !is_sa)
		goto out;
	at->index++;
	r = cb(sa, at, arg, err);
	theirs = true; /* the callback's message is its own */
out:
	if (r < 0 && !theirs)
		prefix_err(err, at);
	xc_sa_clear(sa);
	return r;
}

static int parse_add(const char *name, const char *buf, size_t len, xc_safile_cb cb, void *arg,
		     struct xc_err *err)
{
	struct xc_safile_at at = { .file = name, .format = XC_SAFILE_ADD };
	struct xc_sa *sa = malloc(sizeof(*sa));
	char *line = NULL;
	size_t cap = 0, off = 0;
	int r = 0;

	if (!sa) {
		r = -ENOMEM;
		goto out;
	}
	xc_sa_init(sa);
	while (off < len && r == 0) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;

		at.line++;
		if (n + 1 > cap) { /* no realloc: the old line may hold a key */
			if (line)
				explicit_bzero(line, cap);
			free(line);
			cap = n + 1;
			if (!(line = malloc(cap))) {
				r = -ENOMEM;
				break;
			}
		}
		memcpy(line, buf + off, n);
		line[n] = '\0';
		off += n + 1;
		r = add_line(line, n, sa, &at, cb, arg, err);
		explicit_bzero(line, n);
	}
out:
	if (line)
		explicit_bzero(line, cap);
	free(line);
	xc_sa_free(sa);
	return r;
}

/* --- JSON ----------------------------------------------------------------- */

struct json {
	const char *p, *end;
	struct xc_safile_at at; /* at.line follows p */
	struct xc_err *err;
	bool in_sa;

	/* the words of the SA being read, in store */
	char *argv[MAX_WORDS];
	int argc;
	char *store;
	size_t used;
	/* what the grammar cannot say */
	bool esn_state;
	size_t sa_line;
};

static int jfail(struct json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int jfail(struct json *j, const char *fmt, ...)
{
	struct xc_safile_at at = j->at;
	char where[160], msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!j->in_sa)
		at.format = XC_SAFILE_ADD; /* no SA to name */
	xc_safile_where(&at, where, sizeof(where));
	xc_err_set(j->err, "%s: %s", where, msg);
	return -EINVAL;
}

static void skip_ws(struct json *j)
{
	for (; j->p < j->end; j->p++) {
		if (*j->p == '\n')
			j->at.line++;
		else if (*j->p != ' ' && *j->p != '\t' && *j->p != '\r')
			break;
	}
}

/* The next byte (after white space), or -1 at the end. */
static int peek(struct json *j)
{
	skip_ws(j);
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

/* What stands at p, for messages: a word, or the byte. */
static const char *at_text(const struct json *j, char *buf, size_t len)
{
	size_t n = 0;

	if (j->p >= j->end)
		return "the end of the file";
	if (*j->p == '"') { /* a string: to its closing quote */
		while (j->p + n + 1 < j->end && n < 24 && j->p[n + 1] != '"' && j->p[n + 1] >= ' ')
			n++;
		if (j->p + n + 1 < j->end && j->p[n + 1] == '"')
			n += 2;
		snprintf(buf, len, "'%.*s'", (int)n, j->p);
		return buf;
	}
	while (j->p + n < j->end && n + 1 < len && n < 20 &&
	       ((j->p[n] >= 'a' && j->p[n] <= 'z') || (j->p[n] >= '0' && j->p[n] <= '9') ||
		j->p[n] == '-' || j->p[n] == '.' || (n == 0 && (unsigned char)j->p[n] > ' ')))
		n++;
	if (n == 0 || (unsigned char)j->p[0] < ' ' || (unsigned char)j->p[0] > '~') {
		snprintf(buf, len, "byte 0x%02x", (unsigned char)*j->p);
		return buf;
	}
	snprintf(buf, len, "'%.*s'", (int)n, j->p);
	return buf;
}

static int expect(struct json *j, char c)
{
	char b[40];

	if (peek(j) != c)
		return jfail(j, "expected '%c', got %s", c, at_text(j, b, sizeof(b)));
	j->p++;
	return 0;
}

/* A string's bytes, unescaped, into dst (cap bytes with the NUL); *len
 * gets its length. -EINVAL if it is not a string or does not fit. */
static int read_string(struct json *j, char *dst, size_t cap, size_t *len, const char *what)
{
	char b[40];
	size_t n = 0;

	if (peek(j) != '"')
		return jfail(j, "%s: expected a string, got %s", what, at_text(j, b, sizeof(b)));
	j->p++;
	for (;;) {
		unsigned int c, u;

		if (j->p >= j->end)
			return jfail(j, "%s: unterminated string", what);
		c = (unsigned char)*j->p++;
		if (c == '"')
			break;
		if (c < 0x20)
			return jfail(j, "%s: control byte 0x%02x in a string", what, c);
		if (c == '\\') {
			if (j->p >= j->end)
				return jfail(j, "%s: unterminated string", what);
			c = (unsigned char)*j->p++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				u = 0;
				for (int i = 0; i < 4; i++, j->p++) {
					int d = j->p >= j->end ? -1 :
						*j->p >= '0' && *j->p <= '9' ? *j->p - '0' :
						*j->p >= 'a' && *j->p <= 'f' ? *j->p - 'a' + 10 :
						*j->p >= 'A' && *j->p <= 'F' ? *j->p - 'A' + 10 : -1;

					if (d < 0)
						return jfail(j, "%s: bad \\u escape", what);
					u = u << 4 | (unsigned int)d;
				}
				if (u == 0 || (u >= 0xd800 && u <= 0xdfff))
					return jfail(j, "%s: \\u%04x is not allowed here", what, u);
				/* as UTF-8: one, two or three bytes */
				if (u >= 0x80) {
					unsigned int lead = u >= 0x800 ? 0xe0 | u >> 12 : 0xc0 | u >> 6;

					if (n + 3 >= cap)
						return jfail(j, "%s: string too long", what);
					dst[n++] = (char)lead;
					if (u >= 0x800)
						dst[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
					c = 0x80 | (u & 0x3f);
				} else {
					c = u;
				}
				break;
			default:
				return jfail(j, "%s: bad escape '\\%c'", what, c > ' ' && c <= '~' ? c : '?');
			}
		}
		if (n + 1 >= cap)
			return jfail(j, "%s: string too long", what);
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	*len = n;
	return 0;
}

/* A JSON number that is a non-negative integer, as text into dst. */
static int read_uint(struct json *j, char *dst, size_t cap, size_t *len, const char *what)
{
	char b[40];
	size_t n = 0;

	skip_ws(j);
	while (j->p + n < j->end && j->p[n] >= '0' && j->p[n] <= '9')
		n++;
	if (n == 0 || (j->p + n < j->end && (j->p[n] == '.' || j->p[n] == 'e' || j->p[n] == 'E')))
		return jfail(j, "%s: expected a whole number, got %s", what, at_text(j, b, sizeof(b)));
	if (n + 1 > cap)
		return jfail(j, "%s: number too long", what);
	memcpy(dst, j->p, n);
	dst[n] = '\0';
	j->p += n;
	*len = n;
	return 0;
}

/* Skip a value of any kind (for members that say nothing about the SA). */
static int skip_value(struct json *j, int depth)
{
	static const char *const lits[] = { "true", "false", "null" };
	char b[40];
	size_t n;
	int c = peek(j), r;

	if (depth > JSON_DEPTH)
		return jfail(j, "nested too deep");
	if (c == '"') {
		/* a string of any length: read it in pieces */
		j->p++;
		while (j->p < j->end && *j->p != '"') {
			if ((unsigned char)*j->p < 0x20)
				return jfail(j, "control byte 0x%02x in a string", (unsigned char)*j->p);
			if (*j->p == '\\' && j->p + 1 < j->end)
				j->p++;
			j->p++;
		}
		if (j->p >= j->end)
			return jfail(j, "unterminated string");
		j->p++;
		return 0;
	}
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';

		j->p++;
		if (peek(j) == close) {
			j->p++;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				if (read_string(j, b, sizeof(b), &n, "member name") < 0 || expect(j, ':') < 0)
					return -EINVAL;
			}
			if ((r = skip_value(j, depth + 1)) < 0)
				return r;
			if (peek(j) == ',') {
				j->p++;
				continue;
			}
			return expect(j, close);
		}
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		if (c == '-')
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return jfail(j, "bad number");
		while (j->p < j->end && strchr("0123456789.eE+-", *j->p))
			j->p++;
		return 0;
	}
	for (size_t i = 0; i < 3; i++) {
		n = strlen(lits[i]);
		if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, lits[i], n)) {
			j->p += n;
			return 0;
		}
	}
	return jfail(j, "expected a value, got %s", at_text(j, b, sizeof(b)));
}

static bool is_null(struct json *j)
{
	if (peek(j) == 'n' && j->end - j->p >= 4 && !memcmp(j->p, "null", 4)) {
		j->p += 4;
		return true;
	}
	return false;
}

/* --- the words of the grammar --- */

static int word(struct json *j, const char *w)
{
	size_t n = strlen(w) + 1;

	if (j->argc >= MAX_WORDS || JSON_STORE - j->used < n)
		return jfail(j, "too many members for one SA");
	memcpy(j->store + j->used, w, n);
	j->argv[j->argc++] = j->store + j->used;
	j->used += n;
	return 0;
}

/* The next value as a word. kinds: 's' string, 'n' whole number, 'w' either. */
static int value_word(struct json *j, char kind, const char *what)
{
	char *dst = j->store + j->used;
	size_t cap = JSON_STORE - j->used, n;
	int c = peek(j), r;

	if (j->argc >= MAX_WORDS)
		return jfail(j, "too many members for one SA");
	if (c == '"' && kind != 'n')
		r = read_string(j, dst, cap, &n, what);
	else if (kind != 's' && c >= '0' && c <= '9')
		r = read_uint(j, dst, cap, &n, what);
	else {
		char b[40];

		return jfail(j, "'%s' wants %s, got %s", what,
			     kind == 's' ? "a string" : kind == 'n' ? "a whole number" :
			     "a string or a number", at_text(j, b, sizeof(b)));
	}
	if (r < 0)
		return r;
	if (n == 0)
		return jfail(j, "'%s' is empty", what);
	j->argv[j->argc++] = dst;
	j->used += n + 1;
	return 0;
}

/* keyword then the value */
static int kw_value(struct json *j, const char *kw, char kind, const char *what)
{
	return word(j, kw) < 0 ? -EINVAL : value_word(j, kind, what);
}

/* Members of an object: for each, its name to fn (which reads the value). */
typedef int (*member_fn)(struct json *j, const char *name, void *ctx);

static int object(struct json *j, const char *what, member_fn fn, void *ctx)
{
	char name[NAME_MAX_LEN];
	size_t n;
	int r;

	if (peek(j) != '{') {
		char b[40];

		return jfail(j, "'%s' wants an object, got %s", what, at_text(j, b, sizeof(b)));
	}
	j->p++;
	if (peek(j) == '}') {
		j->p++;
		return 0;
	}
	for (;;) {
		if ((r = read_string(j, name, sizeof(name), &n, "member name")) < 0 ||
		    (r = expect(j, ':')) < 0 || (r = fn(j, name, ctx)) < 0)
			return r;
		if (peek(j) == ',') {
			j->p++;
			continue;
		}
		return expect(j, '}');
	}
}

static int unknown(struct json *j, const char *name, const char *in)
{
	if (in)
		return jfail(j, "unknown member '%s' in '%s'", name, in);
	return jfail(j, "unknown member '%s'", name);
}

/* aead, enc, auth, auth-trunc, comp: {name, key, key-bits, icv-bits|trunc-bits} */
struct alg_ctx {
	const char *kw, *bits_name;
	int name, key, bits; /* indexes of the words; -1 if not seen */
	size_t key_digits, key_bits;
	bool key_bits_seen;
	size_t line;
};

static int alg_member(struct json *j, const char *name, void *arg)
{
	struct alg_ctx *a = arg;
	char b[24];
	size_t n;

	if (!strcmp(name, "name")) {
		a->name = j->argc;
		return value_word(j, 's', "name");
	}
	if (!strcmp(name, "key") && strcmp(a->kw, "comp")) {
		a->key = j->argc;
		if (value_word(j, 's', "key") < 0)
			return -EINVAL;
		if (strncmp(j->argv[a->key], "0x", 2))
			return jfail(j, "the key of '%s' must be 0xHEX", a->kw);
		a->key_digits = strlen(j->argv[a->key]) - 2;
		return 0;
	}
	if (!strcmp(name, "key-bits") && strcmp(a->kw, "comp")) {
		if (read_uint(j, b, sizeof(b), &n, "key-bits") < 0)
			return -EINVAL;
		a->key_bits = strtoul(b, NULL, 10);
		a->key_bits_seen = true;
		return 0;
	}
	if (a->bits_name && !strcmp(name, a->bits_name)) {
		a->bits = j->argc;
		return value_word(j, 'n', a->bits_name);
	}
	return unknown(j, name, a->kw);
}

static int alg(struct json *j, const char *kw)
{
	struct alg_ctx a = { .kw = kw, .name = -1, .key = -1, .bits = -1 };
	char *w[3];
	size_t now;
	int first, r;

	a.bits_name = !strcmp(kw, "aead") ? "icv-bits" : !strcmp(kw, "auth-trunc") ? "trunc-bits" :
		      NULL;
	first = j->argc;
	a.line = j->at.line;
	if ((r = object(j, kw, alg_member, &a)) < 0)
		return r;
	now = j->at.line;
	j->at.line = a.line; /* messages about the whole algorithm: where it began */
	if (a.name < 0)
		r = jfail(j, "'%s' has no 'name'", kw);
	else if (strcmp(kw, "comp") && a.key < 0)
		r = jfail(j, "'%s' has no key (list the SAs with -k)", kw);
	else if (a.bits_name && a.bits < 0)
		r = jfail(j, "'%s' has no '%s'", kw, a.bits_name);
	else if (a.key_bits_seen && a.key_bits != (a.key_digits + 1) / 2 * 8)
		r = jfail(j, "'%s': key-bits %zu, but the key has %zu", kw, a.key_bits,
			  (a.key_digits + 1) / 2 * 8);
	if (r < 0)
		return r;
	j->at.line = now;
	/* in the grammar's order: kw NAME [KEY [BITS]] */
	w[0] = j->argv[a.name];
	w[1] = a.key >= 0 ? j->argv[a.key] : NULL;
	w[2] = a.bits >= 0 ? j->argv[a.bits] : NULL;
	j->argc = first;
	if (word(j, kw) < 0)
		return -EINVAL;
	for (int i = 0; i < 3; i++)
		if (w[i])
			j->argv[j->argc++] = w[i]; /* still in the store */
	return 0;
}

/* encap: {type, sport, dport, oaddr} */
struct fixed_ctx {
	const char *in;
	const char *const *names; /* in the grammar's order */
	const char *kinds;
	int at[6];
};

static int fixed_member(struct json *j, const char *name, void *arg)
{
	struct fixed_ctx *f = arg;

	for (int i = 0; f->names[i]; i++)
		if (!strcmp(name, f->names[i])) {
			if (f->at[i] >= 0)
				return jfail(j, "'%s' given twice in '%s'", name, f->in);
			f->at[i] = j->argc;
			return value_word(j, f->kinds[i], name);
		}
	return unknown(j, name, f->in);
}

/* An object whose members become "kw v1 v2 …" (required) or, with
 * keywords, "kw v1 [name2 v2]…". */
static int fixed(struct json *j, const char *kw, const char *const *names, const char *kinds,
		 bool required, bool keywords)
{
	struct fixed_ctx f = { .in = kw, .names = names, .kinds = kinds };
	char *vals[6];
	size_t line = j->at.line;
	int first = j->argc, n = 0, r;

	for (int i = 0; i < 6; i++)
		f.at[i] = -1;
	if ((r = object(j, kw, fixed_member, &f)) < 0)
		return r;
	for (int i = 0; names[i]; i++, n++) {
		if (f.at[i] < 0 && (required || i == 0)) {
			j->at.line = line;
			return jfail(j, "'%s' has no '%s'", kw, names[i]);
		}
		vals[i] = f.at[i] >= 0 ? j->argv[f.at[i]] : NULL;
	}
	j->argc = first;
	if (word(j, kw) < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		if (!vals[i])
			continue;
		if (keywords && i > 0 && word(j, names[i]) < 0)
			return -EINVAL;
		j->argv[j->argc++] = vals[i];
	}
	return 0;
}

/* sel: {src, dst, proto, sport, dport, type, code, key, dev, ifindex} */
struct sel_ctx {
	int at[8];
};

static const char *const sel_names[] = { "src", "dst", "proto", "sport", "dport",
					 "type", "code", "key", NULL };

static int sel_member(struct json *j, const char *name, void *arg)
{
	struct sel_ctx *s = arg;

	if (!strcmp(name, "dev") || !strcmp(name, "ifindex"))
		return skip_value(j, 0); /* the device may be elsewhere; no packet needs it */
	for (int i = 0; sel_names[i]; i++)
		if (!strcmp(name, sel_names[i])) {
			s->at[i] = j->argc;
			return value_word(j, i < 2 ? 's' : i == 2 ? 'w' : 'n', name);
		}
	return unknown(j, name, "sel");
}

static int sel(struct json *j)
{
	struct sel_ctx s;
	char *vals[8];
	int first = j->argc, r;

	for (int i = 0; i < 8; i++)
		s.at[i] = -1;
	if ((r = object(j, "sel", sel_member, &s)) < 0)
		return r;
	for (int i = 0; i < 8; i++)
		vals[i] = s.at[i] >= 0 ? j->argv[s.at[i]] : NULL;
	j->argc = first;
	if (word(j, "sel") < 0)
		return -EINVAL;
	/* the grammar wants proto before the ports */
	for (int i = 0; i < 8; i++) {
		if (!vals[i])
			continue;
		if (word(j, sel_names[i]) < 0)
			return -EINVAL;
		j->argv[j->argc++] = vals[i];
	}
	return 0;
}

static int lifetime_member(struct json *j, const char *name, void *arg)
{
	static const char *const names[] = { "byte-soft", "byte-hard", "packet-soft",
					      "packet-hard", "time-soft", "time-hard",
					      "time-use-soft", "time-use-hard" };

	(void)arg;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i])) {
			if (is_null(j)) /* no limit */
				return 0;
			return word(j, "limit") < 0 || word(j, name) < 0 ? -EINVAL :
			       value_word(j, 'n', name);
		}
	return unknown(j, name, "lifetime");
}

/* replay-esn: its presence, and the window; the counters are skipped */
static int esn_member(struct json *j, const char *name, void *arg)
{
	(void)arg;
	if (!strcmp(name, "window") || !strcmp(name, "seq") || !strcmp(name, "oseq") ||
	    !strcmp(name, "seq-hi") || !strcmp(name, "oseq-hi"))
		return skip_value(j, 0);
	return unknown(j, name, "replay-esn");
}

static int list(struct json *j, const char *kw)
{
	int first = j->argc, r;

	if (expect(j, '[') < 0 || word(j, kw) < 0)
		return -EINVAL;
	if (peek(j) == ']') {
		j->p++;
		j->argc = first; /* no flags: no keyword */
		return 0;
	}
	for (;;) {
		if ((r = value_word(j, 'w', kw)) < 0)
			return r;
		if (peek(j) == ',') {
			j->p++;
			continue;
		}
		return expect(j, ']');
	}
}

static int sa_member(struct json *j, const char *name, void *arg)
{
	static const char *const encap[] = { "type", "sport", "dport", "oaddr", NULL };
	static const char *const mark[] = { "value", "mask", NULL };
	static const struct {
		const char *name, *kw;
		char kind;
	} plain[] = {
		{ "src", "src", 's' },	     { "dst", "dst", 's' },
		{ "proto", "proto", 'w' },   { "spi", "spi", 'n' },
		{ "reqid", "reqid", 'n' },   { "mode", "mode", 'w' },
		{ "seq", "seq", 'n' },	     { "replay-window", "replay-window", 'n' },
		{ "coa", "coa", 's' },	     { "if_id", "if_id", 'n' },
		{ "tfcpad", "tfcpad", 'n' }, { "dir", "dir", 's' },
		{ "ctx", "ctx", 's' },
	};

	(void)arg;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(name, plain[i].name))
			return kw_value(j, plain[i].kw, plain[i].kind, name);
	if (!strcmp(name, "aead") || !strcmp(name, "enc") || !strcmp(name, "auth") ||
	    !strcmp(name, "auth-trunc") || !strcmp(name, "comp"))
		return alg(j, name);
	if (!strcmp(name, "flags"))
		return list(j, "flag");
	if (!strcmp(name, "extra-flags"))
		return list(j, "extra-flag");
	if (!strcmp(name, "encap"))
		return fixed(j, "encap", encap, "swws", true, false);
	if (!strcmp(name, "mark") || !strcmp(name, "output-mark"))
		return fixed(j, name, mark, "nn", false, true);
	if (!strcmp(name, "sel"))
		return sel(j);
	if (!strcmp(name, "lifetime"))
		return object(j, name, lifetime_member, NULL);
	if (!strcmp(name, "replay-esn")) {
		j->esn_state = true;
		return object(j, name, esn_member, NULL);
	}
	/* the SA's state now, or things a verifier does without */
	if (!strcmp(name, "family") || !strcmp(name, "replay") || !strcmp(name, "current") ||
	    !strcmp(name, "stats") || !strcmp(name, "lastused") || !strcmp(name, "offload"))
		return skip_value(j, 0);
	return unknown(j, name, NULL);
}

/* One SA object, through the grammar, to the callback. */
static int json_sa(struct json *j, struct xc_sa *sa, xc_safile_cb cb, void *arg)
{
	const struct xc_spec_opts o = { .key_in = NULL };
	size_t line;
	int r;

	j->argc = 0;
	j->used = 0;
	j->esn_state = false;
	j->at.index++;
	j->in_sa = true;
	peek(j);
	line = j->at.line;
	r = object(j, "SA", sa_member, NULL);
	if (r == 0) {
		r = xc_spec_sa(j->argc, j->argv, sa, &o, j->err);
		if (r < 0) {
			size_t now = j->at.line;

			j->at.line = line;
			j->at.format = XC_SAFILE_JSON;
			prefix_err(j->err, &j->at);
			j->at.line = now;
		}
	}
	explicit_bzero(j->store, j->used);
	if (r == 0) {
		/* a ring window of 32 or less (XFRMA_REPLAY_ESN_VAL without
		 * esn): the grammar makes those legacy */
		if (j->esn_state && !sa->has_replay_esn) {
			sa->has_replay_esn = true;
			sa->esn.replay_window = sa->info.replay_window;
			sa->esn.bmp_len = (sa->info.replay_window + 31u) / 32u;
			sa->info.replay_window = 0;
		}
		/* a listing's counters are not the SA's initial state */
		sa->has_replay = false;
		memset(&sa->replay, 0, sizeof(sa->replay));
		sa->esn.seq = sa->esn.seq_hi = sa->esn.oseq = sa->esn.oseq_hi = 0;
		{
			struct xc_safile_at at = j->at;

			at.line = line;
			r = cb(sa, &at, arg, j->err);
		}
	}
	xc_sa_clear(sa);
	j->in_sa = false;
	return r;
}

static int parse_json(const char *name, const char *buf, size_t len, xc_safile_cb cb, void *arg,
		      struct xc_err *err)
{
	struct json *j = calloc(1, sizeof(*j));
	struct xc_sa *sa = malloc(sizeof(*sa));
	char b[40];
	int r;

	if (!j || !sa || !(j->store = malloc(JSON_STORE))) {
		r = -ENOMEM;
		goto out;
	}
	xc_sa_init(sa);
	j->p = buf;
	j->end = buf + len;
	j->at = (struct xc_safile_at){ .file = name, .line = 1, .format = XC_SAFILE_JSON };
	j->err = err;
	if (peek(j) == '{') {
		r = json_sa(j, sa, cb, arg);
	} else {
		r = expect(j, '[');
		if (r == 0 && peek(j) == ']')
			j->p++;
		else
			while (r == 0) {
				if ((r = json_sa(j, sa, cb, arg)) < 0)
					break;
				if (peek(j) == ',') {
					j->p++;
					continue;
				}
				r = expect(j, ']');
				break;
			}
	}
	if (r == 0 && peek(j) >= 0)
		r = jfail(j, "unexpected %s after the SAs", at_text(j, b, sizeof(b)));
out:
	if (j && j->store) {
		explicit_bzero(j->store, JSON_STORE);
		free(j->store);
	}
	free(j);
	xc_sa_free(sa);
	return r;
}

/* --- either --------------------------------------------------------------- */

int xc_safile_parse(const char *name, const char *buf, size_t len, xc_safile_cb cb, void *arg,
		    struct xc_err *err)
{
	size_t i = 0;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (i < len && (buf[i] == '[' || buf[i] == '{'))
		return parse_json(name, buf, len, cb, arg, err);
	return parse_add(name, buf, len, cb, arg, err);
}

/* The whole file into *buf (zeroed and freed by the caller, *cap bytes). */
static int slurp(int fd, char **buf, size_t *len, size_t *cap)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	*len = 0;
	*cap = S_ISREG(st.st_mode) && (size_t)st.st_size < MAX_FILE ? (size_t)st.st_size + 1 : 65536;
	if (!(*buf = malloc(*cap)))
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (*len == *cap) {
			/* no realloc: the old block holds keys, zeroed here */
			char *bigger = *cap < MAX_FILE ? malloc(*cap * 2) : NULL;

			if (!bigger)
				return *cap < MAX_FILE ? -ENOMEM : -EFBIG;
			memcpy(bigger, *buf, *len);
			explicit_bzero(*buf, *len);
			free(*buf);
			*buf = bigger;
			*cap *= 2;
		}
		n = read(fd, *buf + *len, *cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		*len += (size_t)n;
	}
}

int xc_safile_read(const char *path, xc_safile_cb cb, void *arg, struct xc_err *err)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? -errno : slurp(fd, &buf, &len, &cap);
	if (r < 0) {
		xc_err_set(err, "cannot read SA file '%s': %s", path, strerror(-r));
		goto out;
	}
	r = xc_safile_parse(path, buf, len, cb, arg, err);
	if (r == -ENOMEM)
		xc_err_set(err, "reading SA file '%s': %s", path, strerror(-r));
out:
	if (fd >= 0)
		close(fd);
	if (buf)
		explicit_bzero(buf, cap);
	free(buf);
	return r;
}
