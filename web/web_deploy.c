/*
 * web_deploy.c - GET /apps/NAME/deploys/N: one deploy's log, as `logs
 * APP --build N` prints it.  While the deploy runs, the page follows it
 * live (web_live.c streams /apps/NAME/deploys/N/stream).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/num.h"
#include "web/web_app.h"
#include "web/web_live.h"
#include "web/web_page.h"
#include "web/web_pages.h"

struct find {
	int number;
	struct deploy_rec *d;
	int found;
};

static int
find_one(void *arg, const struct deploy_rec *d)
{
	struct find *f = arg;

	if (d->number != f->number)
		return 0;
	*f->d = *d;
	f->found = 1;
	return 1;
}

int
web_deploy_get(struct store *st, int64_t app_id, int number,
    struct deploy_rec *out)
{
	struct find f = { number, out, 0 };

	if (store_deploy_each(st, app_id, 1000000, find_one, &f) == -1) {
		log_warnx("web: %s", store_error(st));
		return -1;
	}
	return f.found ? 0 : STORE_NOTFOUND;
}

static void
live_view(struct web_resp *resp, struct web_app *wa, int number)
{
	web_resp_printf(resp, "<p>Running: the log follows below.</p><pre "
	    "id=\"live\" data-src=\"/apps/");
	web_resp_html(resp, wa->app.name);
	web_resp_printf(resp, "/deploys/%d/stream\"></pre><script src=\""
	    "/static/live.js\"></script>\n", number);
}

int
web_deploy_page(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa)
{
	const char *num = wa->rest + strlen("/deploys/");
	struct deploy_rec d;
	char title[STORE_NAME_MAX + 32], *log = NULL;
	long long n;
	const char *end;
	int rc;

	if (num_prefix(num, 1, 1000000000, &n, &end) == -1)
		return web_resp_error(resp, 404, "no such deploy");
	if (strcmp(end, "/stream") == 0)
		return web_deploy_stream(req, resp, wa, (int)n);
	if (*end != '\0')
		return web_resp_error(resp, 404, "not found");
	if ((rc = web_deploy_get(wa->st, wa->app.id, (int)n, &d)) != 0)
		return rc == -1 ? -1 : web_resp_error(resp, 404,
		    "no such deploy");
	if (store_deploy_log(wa->st, wa->app.id, (int)n, &log) == -1) {
		log_warnx("web: %s", store_error(wa->st));
		return -1;
	}
	snprintf(title, sizeof(title), "%s deploy #%lld", wa->app.name, n);
	web_page_begin(resp, title);
	web_resp_printf(resp, "<p>Outcome <b>");
	web_resp_html(resp, d.status);
	web_resp_printf(resp, "</b> in %.1f s. ", (double)d.duration_ms / 1000);
	web_resp_html(resp, d.reason);
	web_resp_printf(resp, "</p>\n");
	if (strcmp(d.status, "running") == 0) {
		live_view(resp, wa, (int)n);
	} else {
		web_resp_printf(resp, "<pre>");
		web_resp_html(resp, log != NULL ? log : "");
		web_resp_printf(resp, "</pre>\n");
	}
	free(log);
	web_page_end(resp);
	return 0;
}
