/* xfrmctl trace live on a terminal: an ncurses view of the SAs (one row
 * each, with the packets seen at each hop of the receive chain), the hops
 * and drops of the selected SA, and a pane of recent events and drops. */
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "trace.h"

static bool active;
static bool editing;		 /* '/': the bottom line reads a filter */
static char edit[sizeof(((struct live *)0)->filter)];

/* p: the view is drawn from a copy taken when it was paused */
static struct live *snap;
static struct xc_tr_sa *snap_sas;
static struct xc_tr_sa **snap_ptrs;

static int tui_start(void)
{
	if (!initscr())
		return -ENOTTY;
	active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_RED, -1);
		init_pair(2, COLOR_GREEN, -1);
		init_pair(3, COLOR_CYAN, -1);
	}
	return 0;
}

static void snap_free(void)
{
	free(snap);
	free(snap_sas);
	free(snap_ptrs);
	snap = NULL;
	snap_sas = NULL;
	snap_ptrs = NULL;
}

static void tui_stop(void)
{
	snap_free();
	if (!active)
		return;
	active = false;
	curs_set(1);
	endwin();
}

static void snap_take(const struct live *lv)
{
	size_t n = lv->m.n ? lv->m.n : 1;

	snap_free();
	snap = malloc(sizeof(*snap));
	snap_sas = calloc(n, sizeof(*snap_sas));
	snap_ptrs = calloc(n, sizeof(*snap_ptrs));
	if (!snap || !snap_sas || !snap_ptrs) {
		snap_free();
		return;
	}
	memcpy(snap, lv, sizeof(*snap));
	for (size_t i = 0; i < lv->m.n; i++) {
		snap_sas[i] = *lv->m.sa[i];
		snap_ptrs[i] = &snap_sas[i];
	}
	snap->m.sa = snap_ptrs;
}

/* ---- the rows ---- */

/* The chain's hops as columns: each is the sum of its IPv4 and IPv6 hops. */
static const struct column {
	const char *title;
	enum xc_tr_hop hop[6];
	unsigned int n;
	unsigned int pass;
} hop_cols[] = {
	{ "UDP", { XC_HOP_UDP_RCV, XC_HOP_UDPV6_RCV }, 2, 0 },
	{ "ENCAP", { XC_HOP_XFRM4_UDP_ENCAP_RCV, XC_HOP_XFRM6_UDP_ENCAP_RCV }, 2, 0 },
	{ "RCV",
	  { XC_HOP_XFRM4_RCV_ENCAP, XC_HOP_XFRM6_RCV_ENCAP, XC_HOP_XFRM4_RCV, XC_HOP_XFRM6_RCV,
	    XC_HOP_ESP4_GRO_RECEIVE, XC_HOP_ESP6_GRO_RECEIVE },
	  6, 0 },
	{ "ESP_IN", { XC_HOP_ESP_INPUT, XC_HOP_ESP6_INPUT }, 2, 0 },
	{ "TAIL", { XC_HOP_ESP_INPUT_TAIL, XC_HOP_ESP6_INPUT_TAIL }, 2, 0 },
	{ "DONE2", { XC_HOP_ESP_INPUT_DONE2, XC_HOP_ESP6_INPUT_DONE2 }, 2, 0 },
	{ "DECAP", { XC_HOP_XFRM_RCV_CB }, 1, 0 },
};
#define N_HOP_COLS (sizeof(hop_cols) / sizeof(hop_cols[0]))
#define HOP_W 7

static uint64_t col_value(const struct column *c, const struct xc_tr_counts *k)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < c->n; i++)
		v += k->hop[c->hop[i]][c->pass];
	return v;
}

/* A count in at most 6 characters. */
static const char *num(char *buf, size_t len, uint64_t v)
{
	if (v < 1000000)
		snprintf(buf, len, "%" PRIu64, v);
	else if (v < 1000000000)
		snprintf(buf, len, "%.1fM", (double)v / 1e6);
	else
		snprintf(buf, len, "%.1fG", (double)v / 1e9);
	return buf;
}

static const struct live *sort_lv;

static int cmp_rows(const void *a, const void *b)
{
	const struct xc_tr_sa *x = *(struct xc_tr_sa *const *)a, *y = *(struct xc_tr_sa *const *)b;
	uint64_t u, v;

	switch (sort_lv->sort) {
	case SORT_PACKETS:
		u = xc_tr_packets(&x->c), v = xc_tr_packets(&y->c);
		break;
	case SORT_DROPS:
		u = x->c.drops, v = y->c.drops;
		break;
	case SORT_RATE:
		u = (uint64_t)x->rate, v = (uint64_t)y->rate;
		break;
	default:
		u = v = 0;
		break;
	}
	if (u != v)
		return u > v ? -1 : 1;
	return x->spi < y->spi ? -1 : x->spi > y->spi;
}

static const char *const sort_names[SORT_N] = { "spi", "packets", "drops", "rate" };

/* The rows to show, sorted; *n their number. Caller frees. */
static struct xc_tr_sa **rows(const struct live *v, const struct live *lv, size_t *n)
{
	struct xc_tr_sa **r = calloc(v->m.n ? v->m.n : 1, sizeof(*r));

	*n = 0;
	if (!r)
		return NULL;
	for (size_t i = 0; i < v->m.n; i++)
		if (live_shown(lv, v->m.sa[i], true))
			r[(*n)++] = v->m.sa[i];
	sort_lv = lv;
	qsort(r, *n, sizeof(*r), cmp_rows);
	return r;
}

struct layout {
	bool hops;	 /* the hop columns fit */
	int addr_w;	 /* width of "SRC > DST ENCAP", 0 if it does not fit */
};

#define FIXED_W 57 /* SPI, PACKETS, PATH, DROPS, LAST SEQ, RATE and spaces */

static struct layout layout(int cols)
{
	struct layout l = { false, 0 };
	int rest = cols - FIXED_W;

	if (rest >= (int)(N_HOP_COLS * HOP_W) + 24) {
		l.hops = true;
		rest -= (int)(N_HOP_COLS * HOP_W);
	}
	if (rest >= 16)
		l.addr_w = rest - 1;
	return l;
}

static void draw_header(const struct layout *L)
{
	attron(A_BOLD);
	printw("%-10s ", "SPI");
	if (L->addr_w)
		printw("%-*.*s ", L->addr_w, L->addr_w, "SRC > DST  ENCAP");
	printw("%8s ", "PACKETS");
	if (L->hops)
		for (size_t i = 0; i < N_HOP_COLS; i++)
			printw("%*s", HOP_W, hop_cols[i].title);
	if (L->hops)
		addch(' ');
	printw("%-8s %6s %10s %9s", "PATH", "DROPS", "LAST SEQ", "RATE/s");
	attroff(A_BOLD);
}

static void draw_row(const struct xc_tr_sa *sa, const struct layout *L, bool selected)
{
	const struct live_sa_info *in = live_info(sa);
	const struct xc_tr_counts *c = &sa->c;
	const char *path = xc_tr_path(c);
	char b[32], addr[160], seq[16];

	if (selected)
		attron(A_REVERSE);
	printw("0x%08x ", sa->spi);
	if (L->addr_w) {
		if (in && in->known)
			snprintf(addr, sizeof(addr), "%s > %s  %s", in->src, in->dst,
				 in->encap[0] ? in->encap : sa->encap == 2 ? "udp" : "-");
		else
			snprintf(addr, sizeof(addr), "(no SA)  %s", sa->encap == 2 ? "udp" : "-");
		printw("%-*.*s ", L->addr_w, L->addr_w, addr);
	}
	printw("%8s ", num(b, sizeof(b), xc_tr_packets(c)));
	if (L->hops) {
		for (size_t i = 0; i < N_HOP_COLS; i++)
			printw("%*s", HOP_W, num(b, sizeof(b), col_value(&hop_cols[i], c)));
		addch(' ');
	}
	if (!selected && has_colors() && strcmp(path, "none"))
		attron(COLOR_PAIR(strcmp(path, "software") ? 3 : 2));
	printw("%-8s ", path);
	if (!selected && has_colors())
		attroff(COLOR_PAIR(2) | COLOR_PAIR(3));
	if (!selected && c->drops && has_colors())
		attron(COLOR_PAIR(1));
	printw("%6s ", num(b, sizeof(b), c->drops));
	if (!selected && has_colors())
		attroff(COLOR_PAIR(1));
	if (c->has_seq)
		snprintf(seq, sizeof(seq), "%" PRIu32, c->last_seq);
	else
		snprintf(seq, sizeof(seq), "-");
	printw("%10s %9.1f", seq, sa->rate);
	if (selected)
		attroff(A_REVERSE);
}

/* Whether any hop of that pass (0 outer, 1 inner) was counted. */
static bool pass_seen(const struct xc_tr_counts *c, unsigned int pass)
{
	for (int i = 0; i < XC_HOP_N; i++)
		if (c->hop[i][pass])
			return true;
	return false;
}

/* The selected SA: every hop with its count (the inner pass's only if one
 * was seen: the script ends a packet at xfrm_rcv_cb), its drops. Returns
 * lines used. */
static int draw_detail(const struct xc_tr_sa *sa, int y, int h)
{
	int used = 0;

	for (unsigned int pass = 0; pass < 2 && used < h; pass++) {
		bool any = false;

		if (pass && !pass_seen(&sa->c, pass))
			break;
		move(y + used, 0);
		printw("%s:", pass ? "inner" : "outer");
		for (int i = 0; i < XC_HOP_N; i++) {
			if (!sa->c.hop[i][pass])
				continue;
			printw("%s %s %" PRIu64, any ? " >" : "", xc_tr_hop_name(i), sa->c.hop[i][pass]);
			any = true;
		}
		if (!any)
			printw(" -");
		used++;
	}
	for (unsigned int i = 0; i < sa->c.n_drop_kinds && used < h; i++, used++) {
		const struct xc_tr_drop *d = &sa->c.drop[i];

		move(y + used, 0);
		printw("drop %" PRIu64 " %s (stage %s, reason %d%s%s)", d->n, d->counter, d->stage,
		       d->reason, d->where[0] ? ", in " : "", d->where);
	}
	if (used < h && sa->c.drops > 0 && sa->c.n_drop_kinds == XC_TR_MAX_DROP_KINDS) {
		move(y + used++, 0);
		printw("(more kinds of drops: %" PRIu64 " drops in all)", sa->c.drops);
	}
	return used;
}

static void rule(int y, const char *title)
{
	move(y, 0);
	attron(A_DIM);
	hline(ACS_HLINE, COLS);
	attroff(A_DIM);
	if (title) {
		move(y, 2);
		printw(" %s ", title);
	}
}

static void draw_help(void)
{
	static const char *const lines[] = {
		"xfrmctl trace live",
		"",
		"q        quit (the summary is printed after)",
		"p        pause: freeze the view (counting goes on)",
		"s        sort by spi, packets, drops, rate",
		"/        filter rows: SPI (0x…), address, encap or device",
		"         text; Enter applies, Esc cancels, empty clears",
		"up/down  select the SA whose hops are shown",
		"?        this help",
		"",
		"Columns: packets seen at each hop of the chain: UDP udp_rcv,",
		"ENCAP xfrm4/6_udp_encap_rcv, RCV xfrm4/6_rcv(_encap) or GRO,",
		"PACKETS xfrm_input, ESP_IN esp_input (software decryption),",
		"TAIL esp_input_tail (the device decrypted: offload), DONE2",
		"esp_input_done2, DECAP xfrm_rcv_cb (decapsulated: the end).",
		"PATH: software, offload, mixed or none; DROPS: freed packets",
		"with the XfrmIn* counter the kernel moved.",
		"",
		"any key closes this help",
	};
	int n = (int)(sizeof(lines) / sizeof(lines[0])), w = 66;
	int y0 = LINES > n + 2 ? (LINES - n - 2) / 2 : 0, x0 = COLS > w + 2 ? (COLS - w - 2) / 2 : 0;
	WINDOW *win = newwin(n + 2 < LINES ? n + 2 : LINES, w + 2 < COLS ? w + 2 : COLS, y0, x0);

	if (!win)
		return;
	werase(win);
	box(win, 0, 0);
	for (int i = 0; i < n && i + 1 < getmaxy(win) - 1; i++)
		mvwaddnstr(win, i + 1, 2, lines[i], getmaxx(win) - 4);
	wnoutrefresh(win);
	delwin(win);
}

static void tui_draw(struct live *lv)
{
	const struct live *v = lv->paused && snap ? snap : lv;
	struct layout L = layout(COLS);
	struct xc_tr_sa **r;
	size_t n, first = 0;
	int y, table_h, detail_h, events_h, avail;
	uint64_t now = live_now();

	if (!active)
		return;
	r = rows(v, lv, &n);
	if (!r)
		return;
	if (lv->selected >= n)
		lv->selected = n ? n - 1 : 0;
	erase();

	/* the title line */
	move(0, 0);
	attron(A_REVERSE);
	hline(' ', COLS);
	printw(" xfrmctl trace live  %s mode  port %u  %" PRIu64 " s  lost %" PRIu64 "  sort %s",
	       v->m.events ? "events" : "aggregate", v->port ? v->port : lv->port,
	       v->m.ready && now > v->started_ns ? (now - v->started_ns) / (uint64_t)1000000000 : 0,
	       v->m.lost, sort_names[lv->sort]);
	if (lv->filter[0])
		printw("  filter '%s'", lv->filter);
	if (lv->has_spi)
		printw("  spi 0x%08x", lv->spi);
	if (lv->paused)
		printw("  [PAUSED]");
	printw("  %s", lv->status);
	attroff(A_REVERSE);

	/* the table: at most half the screen, at least 3 rows */
	avail = LINES - 3; /* title, column header, keys */
	table_h = (int)n < avail / 2 ? (int)n : avail / 2;
	if (table_h < 3)
		table_h = avail < 3 ? avail : 3;
	move(1, 0);
	draw_header(&L);
	if (lv->selected >= (size_t)table_h)
		first = lv->selected - (size_t)table_h + 1;
	for (y = 0; y < table_h && first + (size_t)y < n; y++) {
		move(2 + y, 0);
		draw_row(r[first + (size_t)y], &L, first + (size_t)y == lv->selected);
	}
	if (!n) {
		move(2, 0);
		printw(v->m.ready ? "(no ESP packets yet)" : "(waiting for bpftrace)");
	}
	y = 2 + table_h;

	/* the selected SA's hops, then the events */
	detail_h = avail - table_h >= 8 ? 4 : 0;
	if (detail_h && n) {
		char t[48];

		snprintf(t, sizeof(t), "hops of spi 0x%08x", r[lv->selected]->spi);
		rule(y, t);
		draw_detail(r[lv->selected], y + 1, detail_h - 1);
		y += detail_h;
	}
	events_h = LINES - 1 - y;
	if (events_h >= 2) {
		size_t shown = (size_t)(events_h - 1) < v->ring_n ? (size_t)(events_h - 1) : v->ring_n;

		rule(y, "events and drops");
		for (size_t i = 0; i < shown; i++) {
			size_t k = (v->ring_head + v->ring_n - shown + i) % LIVE_RING;

			move(y + 1 + (int)i, 0);
			addnstr(v->ring[k], COLS);
		}
	}

	/* the keys, or the filter being typed */
	move(LINES - 1, 0);
	if (editing) {
		printw("filter: %s", edit);
		curs_set(1);
	} else {
		attron(A_DIM);
		addnstr("q quit  p pause  s sort  / filter  ? help  up/down select", COLS);
		attroff(A_DIM);
		curs_set(0);
	}
	wnoutrefresh(stdscr);
	if (lv->help)
		draw_help();
	doupdate();
	free(r);
}

static void edit_key(struct live *lv, int k)
{
	size_t len = strlen(edit);

	if (k == '\n' || k == '\r' || k == KEY_ENTER) {
		memcpy(lv->filter, edit, sizeof(lv->filter));
		lv->selected = 0;
		editing = false;
	} else if (k == 27) { /* Esc */
		editing = false;
	} else if (k == KEY_BACKSPACE || k == 127 || k == 8) {
		if (len)
			edit[len - 1] = '\0';
	} else if (k >= 0x20 && k < 0x7f && len + 1 < sizeof(edit)) {
		edit[len] = (char)k;
		edit[len + 1] = '\0';
	}
}

static int tui_keys(struct live *lv)
{
	int k;

	if (!active)
		return 0;
	while ((k = getch()) != ERR) {
		lv->dirty = true;
		if (editing) {
			edit_key(lv, k);
			continue;
		}
		if (lv->help && k != KEY_RESIZE) {
			lv->help = false;
			continue;
		}
		switch (k) {
		case 'q':
		case 'Q':
			return 1;
		case 'p':
			lv->paused = !lv->paused;
			if (lv->paused)
				snap_take(lv);
			else
				snap_free();
			break;
		case 's':
			lv->sort = (lv->sort + 1) % SORT_N;
			break;
		case '/':
			editing = true;
			memcpy(edit, lv->filter, sizeof(edit));
			break;
		case '?':
		case 'h':
			lv->help = true;
			break;
		case KEY_UP:
		case 'k':
			if (lv->selected)
				lv->selected--;
			break;
		case KEY_DOWN:
		case 'j':
			lv->selected++; /* clamped when drawn */
			break;
		case KEY_RESIZE:
			break; /* ncurses has the new size; the next draw uses it */
		default:
			break;
		}
	}
	return 0;
}

/* The plugin's table (cli/plugin.h), for trace live. */
CLI_PLUGIN_EXPORT const struct tui_plugin xfrmctl_plugin = {
	.head = { .abi = XFRMCTL_ABI },
	.start = tui_start,
	.stop = tui_stop,
	.draw = tui_draw,
	.keys = tui_keys,
};
