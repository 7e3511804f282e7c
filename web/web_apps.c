/*
 * web_apps.c - GET /: the apps the session's key may see, each with its
 * state, live release, commit, domains and processes (memory, CPU,
 * restarts).  The rows are run/app_view.h's, the same objects `apps
 * --json` and `apps:info --json` print.
 */
#include <string.h>

#include "run/app_view.h"
#include "web/web_page.h"
#include "web/web_pages.h"
#include "web/web_session.h"

struct list {
	const struct web_req *req;
	struct store *st;
	const struct web_user *u;
	struct web_resp *resp;
	int shown;
};

static void
procs_cell(struct web_resp *resp, json_t *procs)
{
	size_t i;
	json_t *p;

	json_array_foreach(procs, i, p) {
		web_resp_printf(resp, "%s", i ? "<br>" : "");
		web_resp_html(resp, json_string_value(json_object_get(p,
		    "process")));
		web_resp_printf(resp, " <span class=\"");
		web_resp_html(resp, json_string_value(json_object_get(p,
		    "state")));
		web_resp_printf(resp, "\">");
		web_resp_html(resp, json_string_value(json_object_get(p,
		    "state")));
		web_resp_printf(resp, "</span> ");
		web_page_bytes(resp, (long long)json_integer_value(
		    json_object_get(p, "rss_bytes")));
		web_resp_printf(resp, ", %.1f s CPU, %lld restarts",
		    json_real_value(json_object_get(p, "cpu_s")),
		    (long long)json_integer_value(json_object_get(p,
		    "restarts")));
	}
}

static void
app_row(struct web_resp *resp, json_t *o)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *commit = json_string_value(json_object_get(o, "commit"));
	json_t *d;
	size_t i;

	web_resp_printf(resp, "<tr><td><a href=\"/apps/");
	web_resp_html(resp, name);
	web_resp_printf(resp, "\">");
	web_resp_html(resp, name);
	web_resp_printf(resp, "</a></td><td class=\"");
	web_resp_html(resp, json_string_value(json_object_get(o, "state")));
	web_resp_printf(resp, "\">");
	web_resp_html(resp, json_string_value(json_object_get(o, "state")));
	web_resp_printf(resp, "</td><td>v%lld</td><td><code>%.7s</code></td>"
	    "<td>", (long long)json_integer_value(json_object_get(o,
	    "release")), commit != NULL ? commit : "");
	json_array_foreach(json_object_get(o, "domains"), i, d) {
		web_resp_printf(resp, "%s", i ? "<br>" : "");
		web_resp_html(resp, json_string_value(d));
	}
	web_resp_printf(resp, "</td><td>");
	procs_cell(resp, json_object_get(o, "process_list"));
	web_resp_printf(resp, "</td></tr>\n");
}

static int
list_one(void *arg, const struct app_rec *a)
{
	struct list *l = arg;
	json_t *o;

	if (web_role(l->st, l->u, a) == ROLE_NONE)
		return 0;
	if ((o = app_view_json(l->req->conf, l->st, a, 1)) == NULL) {
		l->resp->failed = 1;
		return 1;
	}
	app_row(l->resp, o);
	json_decref(o);
	l->shown++;
	return 0;
}

int
web_apps(const struct web_req *req, struct web_resp *resp)
{
	struct web_user u;
	struct store *st;
	struct list l = { req, NULL, &u, resp, 0 };
	int rc;

	if (strcmp(req->path, "/") != 0)
		return web_resp_error(resp, 404, "not found");
	if ((st = web_store(req->conf)) == NULL)
		return -1;
	if ((rc = web_session_user(req, st, &u, resp)) != 0) {
		store_close(st);
		return rc == 1 ? 0 : -1;
	}
	l.st = st;
	web_page_begin(resp, "Apps");
	web_resp_printf(resp, "<p>Key <b>");
	web_resp_html(resp, u.key.name);
	web_resp_printf(resp, "</b></p><table><tr><th>app</th><th>state</th>"
	    "<th>release</th><th>commit</th><th>domains</th><th>processes"
	    "</th></tr>\n");
	rc = store_app_each(st, list_one, &l);
	web_resp_printf(resp, "</table>\n%s", l.shown == 0 ?
	    "<p>No app this key may see.</p>" : "");
	web_resp_printf(resp, "<form method=\"post\" action=\"/logout\">"
	    "<button>Log out</button></form>");
	web_page_end(resp);
	store_close(st);
	return rc == -1 ? -1 : 0;
}
