/*
 * web_live.c - the live views, as server-sent events: an app's logs
 * (GET /apps/NAME/logs, its stream /apps/NAME/logs/stream) follow the
 * processes' files DATA/apps/APP/logs/TYPE.N.log the way `logs -f` does
 * (rotation aware: a file that shrank is read again from its start; a new
 * process's file is picked up), starting with their last few lines; a
 * running deploy (/apps/NAME/deploys/N/stream) follows deploy/'s
 * DEPLOY_LIVE file until the deploys row says it ended, then sends an
 * "end" event.  Each line is one "data:" line, control characters made
 * harmless (core/text.h); the page's script puts it in a <pre> as text.
 * The endpoint polls (web.h's stream reader) and never blocks on a file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/path.h"
#include "core/text.h"
#include "deploy/deploy.h"
#include "web/web_app.h"
#include "web/web_live.h"
#include "web/web_page.h"
#include "web/web_pages.h"

#define LIVE_FILES 64            /* log files followed at once */
#define LIVE_LINE 2048           /* longer lines are cut */
#define LIVE_BACK 2048           /* bytes of each log shown at the start */
#define LIVE_CHECK_MS 1000       /* how often the deploy row is read */
#define LIVE_KEEPALIVE_MS 15000  /* a comment line for idle proxies */
#define LIVE_END "event: end\ndata: end\n\n"   /* the script closes then */
#define LIVE_PING ": keepalive\n\n"

struct tailf {
	char path[PATH_MAX];
	off_t off;
	char part[LIVE_LINE];    /* a line still without its newline */
	size_t plen;
	int skip;                /* started mid-line: drop up to a newline */
};

struct live {
	const struct conf *c;
	char app[STORE_NAME_MAX];
	int64_t app_id;
	int deploy;              /* 0: the app's logs */
	char dir[PATH_MAX];      /* the logs dir, or the app's dir */
	struct tailf f[LIVE_FILES];
	size_t nf;
	char *out;               /* bytes for the client not sent yet */
	size_t olen, opos, ocap;
	long long next_check_ms, last_sent_ms;
	int ending, ended;
};

static void
out_add(struct live *l, const char *s, size_t n)
{
	char *nb;
	size_t cap;

	if (l->olen + n + 1 > l->ocap) {
		cap = l->ocap ? l->ocap : 4096;
		while (cap < l->olen + n + 1)
			cap *= 2;
		if ((nb = realloc(l->out, cap)) == NULL)
			return; /* dropped: the view is best effort */
		l->out = nb;
		l->ocap = cap;
	}
	memcpy(l->out + l->olen, s, n);
	l->olen += n;
}

static void
out_line(struct live *l, char *line, size_t n)
{
	if (n > 0 && line[n - 1] == '\r')
		n--;
	n = text_clean(line, n);
	out_add(l, "data: ", 6);
	out_add(l, line, n);
	out_add(l, "\n\n", 2);
}

static int
add_file(struct live *l, const char *path, int from_end)
{
	struct tailf *t;
	struct stat sb;

	if (l->nf == LIVE_FILES)
		return -1;
	t = &l->f[l->nf];
	memset(t, 0, sizeof(*t));
	if (pathf(t->path, sizeof(t->path), "%s", path) == -1)
		return -1;
	if (from_end && stat(path, &sb) == 0 && sb.st_size > LIVE_BACK)
		t->off = sb.st_size - LIVE_BACK;
	t->skip = t->off > 0;
	l->nf++;
	return 0;
}

static int
known(struct live *l, const char *path)
{
	for (size_t i = 0; i < l->nf; i++)
		if (strcmp(l->f[i].path, path) == 0)
			return 1;
	return 0;
}

/* The app's *.log files not followed yet; first: all of them, from near
 * their end; later ones (a new process) from their start. */
static void
scan_logs(struct live *l, int first)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(l->dir);
	size_t n;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n > 4 && strcmp(de->d_name + n - 4, ".log") == 0 &&
		    pathf(path, sizeof(path), "%s/%s", l->dir, de->d_name) ==
		    0 && !known(l, path) && add_file(l, path, first) == -1)
			break;
	}
	closedir(d);
}

/* New bytes of t, as whole lines (a line over LIVE_LINE is cut). */
static void
read_file(struct live *l, struct tailf *t)
{
	char buf[16384];
	struct stat sb;
	ssize_t n, i;
	int fd;

	if (stat(t->path, &sb) == -1)
		return;
	if (sb.st_size < t->off) { /* rotated, or started again */
		t->off = 0;
		t->plen = 0;
		t->skip = 0;
	}
	if (sb.st_size == t->off ||
	    (fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return;
	n = pread(fd, buf, sizeof(buf), t->off);
	close(fd);
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (!t->skip)
				out_line(l, t->part, t->plen);
			t->skip = 0;
			t->plen = 0;
		} else if (!t->skip) {
			if (t->plen == LIVE_LINE - 1) {
				out_line(l, t->part, t->plen);
				t->plen = 0;
			}
			t->part[t->plen++] = buf[i];
		}
	}
	if (n > 0)
		t->off += n;
}

/* Is deploy l->deploy still running?  On an error: no (the view ends). */
static int
deploy_running(struct live *l)
{
	struct store *st = web_store(l->c);
	struct deploy_rec d;
	int rc;

	if (st == NULL)
		return 0;
	rc = web_deploy_get(st, l->app_id, l->deploy, &d);
	store_close(st);
	return rc == 0 && strcmp(d.status, "running") == 0;
}

static void
poll_files(struct live *l, long long now)
{
	if (l->deploy == 0 && now >= l->next_check_ms)
		scan_logs(l, 0);
	for (size_t i = 0; i < l->nf; i++)
		read_file(l, &l->f[i]);
	if (l->olen == 0 && now - l->last_sent_ms >= LIVE_KEEPALIVE_MS)
		out_add(l, LIVE_PING, strlen(LIVE_PING));
	if (l->deploy != 0 && l->olen == 0 && now >= l->next_check_ms) {
		if (l->ending) { /* a last read after the row said it ended */
			out_add(l, LIVE_END, strlen(LIVE_END));
			l->ended = 1;
		} else {
			l->ending = !deploy_running(l);
		}
	}
	if (now >= l->next_check_ms)
		l->next_check_ms = now + LIVE_CHECK_MS;
}

static ssize_t
live_read(void *arg, char *buf, size_t max)
{
	struct live *l = arg;
	long long now = clock_ms();
	size_t n;

	if (l->opos == l->olen) {
		l->opos = l->olen = 0;
		if (l->ended)
			return -1;
		poll_files(l, now);
		if (l->olen == 0)
			return 0;
	}
	n = l->olen - l->opos < max ? l->olen - l->opos : max;
	memcpy(buf, l->out + l->opos, n);
	l->opos += n;
	l->last_sent_ms = now;
	return (ssize_t)n;
}

static void
live_done(void *arg)
{
	struct live *l = arg;

	free(l->out);
	free(l);
}

static int
stream(const struct web_req *req, struct web_resp *resp, struct web_app *wa,
    int deploy)
{
	struct live *l = calloc(1, sizeof(*l));
	char path[PATH_MAX];

	if (l == NULL)
		return -1;
	l->c = req->conf;
	l->app_id = wa->app.id;
	l->deploy = deploy;
	l->last_sent_ms = clock_ms();
	snprintf(l->app, sizeof(l->app), "%s", wa->app.name);
	if (datadir_app_part(req->conf->data_dir, wa->app.name, deploy ?
	    DEPLOY_LIVE : "logs", deploy ? path : l->dir, PATH_MAX) == -1) {
		free(l);
		return web_resp_error(resp, 404, "not found");
	}
	if (deploy)
		(void)add_file(l, path, 0);
	else
		scan_logs(l, 1);
	if (web_resp_set(resp, 200, "text/event-stream", "", 0) == -1) {
		free(l);
		return -1;
	}
	web_resp_stream(resp, live_read, live_done, l);
	return 0;
}

int
web_deploy_stream(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa, int number)
{
	struct deploy_rec d;
	int rc = web_deploy_get(wa->st, wa->app.id, number, &d);

	if (rc == -1)
		return -1;
	if (rc != 0)
		return web_resp_error(resp, 404, "no such deploy");
	/* a deploy that ended: its row has the log (web_deploy.c) */
	if (strcmp(d.status, "running") != 0)
		return web_resp_set(resp, 200, "text/event-stream", LIVE_END,
		    strlen(LIVE_END));
	return stream(req, resp, wa, number);
}

int
web_logs_page(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa)
{
	char title[STORE_NAME_MAX + 16];

	if (strcmp(wa->rest, "/logs/stream") == 0)
		return stream(req, resp, wa, 0);
	snprintf(title, sizeof(title), "%s logs", wa->app.name);
	web_page_begin(resp, title);
	web_resp_printf(resp, "<pre id=\"live\" data-src=\"/apps/");
	web_resp_html(resp, wa->app.name);
	web_resp_printf(resp, "/logs/stream\"></pre><script src=\""
	    "/static/live.js\"></script>\n");
	web_page_end(resp);
	return 0;
}
