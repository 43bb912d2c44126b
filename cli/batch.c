/* xfrmctl -b FILE|-: one command per line, on one netlink socket. Stops at
 * the first failing line unless --force, and always says which lines
 * failed and how many commands were applied. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tokens.h"

#define MAX_WORDS 512
#define READ_BUF 65536

/* The lines of a batch, read with read(2) into a buffer of our own in which
 * every line is zeroed once used (lines may hold keys): stdio would keep
 * them in a buffer it frees unzeroed, and getline() was a twentieth of the
 * cost of a line of state add. */
struct reader {
	int fd;
	char *buf;
	size_t cap, start, end; /* unread bytes: buf[start..end) */
	bool eof;
	/* the lines queued, sent before each read (which may wait for a
	 * writer waiting on them: `producer | xfrmctl -b -`) */
	struct batch_tally *queued;
};

/* Zero the bytes not yet used (the lines before them were zeroed once
 * used) and free the buffer. */
static void reader_free(struct reader *r)
{
	if (r->buf)
		explicit_bzero(r->buf + r->start, r->end - r->start);
	free(r->buf);
}

/* Room for more after the unread bytes: they move to the start (what they
 * leave behind is zeroed), or to a buffer twice as large when they fill
 * this one (a line longer than it). */
static int make_room(struct reader *r)
{
	size_t n = r->end - r->start, left = n > r->start ? n : r->start;
	char *b;

	if (r->start) {
		memmove(r->buf, r->buf + r->start, n);
		/* what is left of them past their new end (the bytes before
		 * were lines, zeroed once used) */
		explicit_bzero(r->buf + left, r->end - left);
		r->start = 0;
		r->end = n;
		return 0;
	}
	b = malloc(2 * r->cap);
	if (!b)
		return -ENOMEM;
	memcpy(b, r->buf, n);
	reader_free(r);
	r->buf = b;
	r->cap *= 2;
	return 0;
}

/* The next line, its newline replaced by a NUL, in *line; its length
 * (with the newline), 0 at the end, -errno if reading failed. */
static ssize_t next_line(struct reader *r, char **line)
{
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl || (r->eof && r->end > r->start)) {
			size_t len = nl ? (size_t)(nl - (r->buf + r->start)) + 1 : r->end - r->start;

			*line = r->buf + r->start;
			(*line)[nl ? len - 1 : len] = '\0'; /* (room kept for it at the end) */
			r->start += len;
			return (ssize_t)len;
		}
		if (r->eof)
			return 0;
		if (r->end + 1 >= r->cap && make_room(r) < 0)
			return -ENOMEM;
		if (r->queued)
			state_add_flush(r->queued);
		n = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		r->eof = n == 0;
		r->end += (size_t)n;
	}
}

/* What run_line() says besides an exit code. */
enum {
	LINE_BLANK = -1,  /* no command: blank, or a comment */
	LINE_QUEUED = -2, /* counted when the queue is sent */
	LINE_NOT_RUN = -3, /* a queued line before it failed: the batch stops */
};

/* Whether a line surely holds no command (the splitter has the last word:
 * this only spares sending the queue for blank lines and comments). */
static bool surely_blank(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return !*line || *line == '#';
}

/* Run one line (argv: room for its words): an exit code, or LINE_*. */
static int run_line(char *line, size_t lineno, char **argv, struct batch_tally *t, bool queue)
{
	struct xc_err xe;
	int argc, rc;

	if (surely_blank(line))
		return LINE_BLANK;
	if (queue) {
		/* most lines of a big batch: plain state add, sent many at once */
		if ((rc = state_add_queue(line, lineno, t)) >= 0)
			return rc == EXIT_OK ? LINE_QUEUED : rc;
		/* every other line waits for those queued before it */
		state_add_flush(t);
		if (batch_stopped(t))
			return LINE_NOT_RUN;
	}
	if ((rc = state_add_text(line)) >= 0) /* state update, --dry-run */
		return rc;
	argc = xc_split_line(line, argv, MAX_WORDS, &xe);
	if (argc < 0) {
		err_msg("%s", xe.msg);
		return EXIT_USAGE;
	}
	argv[argc] = NULL;
	return argc ? cli_run(argc, argv) : LINE_BLANK;
}

/* The last line of the summary of a batch that had failures. */
static void say_tally(const struct batch_tally *t)
{
	if (t->lost_from && t->failed)
		err_msg("batch: stopped: the kernel's answers to lines %zu to %zu were lost (%s): "
			"whether they were applied is unknown; before them %zu command%s failed "
			"(the first at line %zu), %zu applied",
			t->lost_from, t->lost_to, strerror(t->lost_err), t->failed,
			t->failed == 1 ? "" : "s", t->first_failed, t->applied);
	else if (t->lost_from)
		err_msg("batch: stopped: the kernel's answers to lines %zu to %zu were lost (%s): "
			"whether they were applied is unknown; %zu command%s before them applied",
			t->lost_from, t->lost_to, strerror(t->lost_err), t->applied,
			t->applied == 1 ? "" : "s");
	else if (t->failed && !t->force && t->kept_after)
		err_msg("batch: stopped at line %zu; %zu command%s before it applied, and %zu after it (see above)",
			t->first_failed, t->applied, t->applied == 1 ? "" : "s", t->kept_after);
	else if (t->failed && !t->force)
		err_msg("batch: stopped at line %zu; %zu command%s before it applied, nothing after it",
			t->first_failed, t->applied, t->applied == 1 ? "" : "s");
	else if (t->failed)
		err_msg("batch: %zu command%s failed (the first at line %zu), %zu applied", t->failed,
			t->failed == 1 ? "" : "s", t->first_failed, t->applied);
}

int batch_main(const char *path, bool force)
{
	bool from_stdin = !strcmp(path, "-");
	struct reader rd = { .fd = from_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC),
			     .buf = malloc(READ_BUF), .cap = READ_BUF };
	struct batch_tally t = { .force = force };
	char *line = NULL, *argv[MAX_WORDS + 1];
	size_t lineno = 0;
	ssize_t len;
	int rc;

	if (rd.fd < 0) {
		err_msg("batch: cannot open '%s': %s", path, strerror(errno));
		free(rd.buf);
		return EXIT_RUNTIME;
	}
	if (!rd.buf) {
		err_msg("batch: %s", strerror(ENOMEM));
		t.ret = EXIT_RUNTIME;
		goto out;
	}
	/* '-' keys read stdin, unless the commands come from there */
	cli_key_in = from_stdin ? NULL : stdin;
	if (!G.dry_run)
		rd.queued = &t;
	while ((len = next_line(&rd, &line)) > 0) {
		if (batch_stopped(&t)) { /* (by the lines sent before the read) */
			explicit_bzero(line, (size_t)len);
			break;
		}
		lineno++;
		cli_err_line = lineno;
		rc = run_line(line, lineno, argv, &t, rd.queued != NULL);
		explicit_bzero(line, (size_t)len); /* lines may hold keys */
		if (rc == LINE_NOT_RUN || (rc == LINE_QUEUED && batch_stopped(&t)))
			break;
		if (rc < 0) /* blank, or queued */
			continue;
		if (rc == EXIT_OK) {
			t.applied++;
			continue;
		}
		if (!t.failed++)
			t.first_failed = lineno;
		batch_worst(&t, rc);
		if (!force)
			break;
	}
	state_add_flush(&t); /* (the lines queued last) */
	cli_err_line = 0;
	if (len < 0) {
		err_msg("batch: reading '%s': %s", path, strerror((int)-len));
		batch_worst(&t, EXIT_RUNTIME);
	}
	say_tally(&t);
out:
	reader_free(&rd);
	if (!from_stdin)
		close(rd.fd);
	return t.ret;
}
