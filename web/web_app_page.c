/*
 * web_app_page.c - GET /apps/NAME: one app: its state and processes
 * (run/app_view.h, as `apps:info --json`), its releases and deploys
 * (outcome, duration; each deploy links to its log), its config var
 * names (never the values), its domains with their certificate state,
 * and the actions the key may take (web_actions.c), each a POST form
 * with the session's CSRF token.
 */
#include <string.h>

#include "core/log.h"

#include "router/router_tls.h"
#include "run/app_view.h"
#include "web/web_app.h"
#include "web/web_page.h"
#include "web/web_pages.h"

#define APP_PAGE_DEPLOYS 20

static void
processes(struct web_resp *resp, json_t *o)
{
	json_t *p;
	size_t i;

	web_resp_printf(resp, "<h2>Processes</h2><table><tr><th>process</th>"
	    "<th>state</th><th>pid</th><th>memory</th><th>CPU</th>"
	    "<th>restarts</th></tr>\n");
	json_array_foreach(json_object_get(o, "process_list"), i, p) {
		web_resp_printf(resp, "<tr><td>");
		web_resp_html(resp, json_string_value(json_object_get(p,
		    "process")));
		web_resp_printf(resp, "</td><td>");
		web_resp_html(resp, json_string_value(json_object_get(p,
		    "state")));
		web_resp_printf(resp, "</td><td>%lld</td><td>",
		    (long long)json_integer_value(json_object_get(p, "pid")));
		web_page_bytes(resp, (long long)json_integer_value(
		    json_object_get(p, "rss_bytes")));
		web_resp_printf(resp, "</td><td>%.1f s</td><td>%lld</td></tr>\n",
		    json_real_value(json_object_get(p, "cpu_s")),
		    (long long)json_integer_value(json_object_get(p,
		    "restarts")));
	}
	web_resp_printf(resp, "</table>\n");
}

static int
release_row(void *arg, const struct release_rec *r)
{
	struct web_resp *resp = arg;

	web_resp_printf(resp, "<tr><td>v%d</td><td><code>%.12s</code></td>"
	    "<td>", r->version, r->commit);
	web_resp_html(resp, r->buildpack);
	web_resp_printf(resp, "</td><td>");
	web_page_time(resp, r->created_at);
	web_resp_printf(resp, "</td><td>%.1f s</td></tr>\n",
	    (double)r->build_ms / 1000);
	return 0;
}

struct deploys {
	struct web_resp *resp;
	const char *app;
};

static int
deploy_row(void *arg, const struct deploy_rec *d)
{
	struct deploys *ds = arg;

	web_resp_printf(ds->resp, "<tr><td><a href=\"/apps/");
	web_resp_html(ds->resp, ds->app);
	web_resp_printf(ds->resp, "/deploys/%d\">#%d</a></td><td>", d->number,
	    d->number);
	web_resp_html(ds->resp, d->kind);
	web_resp_printf(ds->resp, "</td><td><code>%.12s</code></td><td class="
	    "\"", d->commit);
	web_resp_html(ds->resp, d->status);
	web_resp_printf(ds->resp, "\">");
	web_resp_html(ds->resp, d->status);
	web_resp_printf(ds->resp, "</td><td>v%d</td><td>%.1f s</td><td>",
	    d->release, (double)d->duration_ms / 1000);
	web_page_time(ds->resp, d->started_at);
	web_resp_printf(ds->resp, "</td><td>");
	web_resp_html(ds->resp, d->reason);
	web_resp_printf(ds->resp, "</td></tr>\n");
	return 0;
}

static int
var_name(void *arg, const char *name, const void *value, size_t len)
{
	(void)value, (void)len;
	web_resp_printf(arg, "<li><code>");
	web_resp_html(arg, name);
	web_resp_printf(arg, "</code></li>");
	return 0;
}

static void
domains(const struct conf *c, struct web_resp *resp, json_t *o)
{
	json_t *d;
	size_t i;

	web_resp_printf(resp, "<h2>Domains</h2><table><tr><th>domain</th>"
	    "<th>HTTPS</th></tr>\n");
	json_array_foreach(json_object_get(o, "domains"), i, d) {
		const char *dom = json_string_value(d);
		web_resp_printf(resp, "<tr><td>");
		web_resp_html(resp, dom);
		web_resp_printf(resp, "</td><td>%s</td></tr>\n",
		    !tls_wanted(c, dom) ? "off" : tls_has_cert(c, dom) ?
		    "certificate" : "no certificate yet");
	}
	web_resp_printf(resp, "</table>\n");
}

static void
action(struct web_resp *resp, struct web_app *wa, const char *what,
    const char *field, const char *hint, const char *label)
{
	web_resp_printf(resp, "<form method=\"post\" action=\"/apps/");
	web_resp_html(resp, wa->app.name);
	web_resp_printf(resp, "/%s\"><input type=\"hidden\" name=\"csrf\" "
	    "value=\"%s\">", what, wa->u.csrf);
	if (field != NULL)
		web_resp_printf(resp, "<input name=\"%s\" placeholder=\"%s\">",
		    field, hint);
	web_resp_printf(resp, "<button>%s</button></form>\n", label);
}

static int
lists(struct web_resp *resp, struct web_app *wa)
{
	struct deploys ds = { resp, wa->app.name };

	web_resp_printf(resp, "<h2>Deploys</h2><table><tr><th>deploy</th>"
	    "<th>kind</th><th>commit</th><th>outcome</th><th>release</th>"
	    "<th>duration</th><th>started</th><th>reason</th></tr>\n");
	if (store_deploy_each(wa->st, wa->app.id, APP_PAGE_DEPLOYS, deploy_row,
	    &ds) == -1)
		return -1;
	web_resp_printf(resp, "</table>\n<h2>Releases</h2><table><tr><th>"
	    "release</th><th>commit</th><th>buildpack</th><th>built</th>"
	    "<th>build time</th></tr>\n");
	if (store_release_each(wa->st, wa->app.id, release_row, resp) == -1)
		return -1;
	web_resp_printf(resp, "</table>\n<h2>Config vars</h2><ul>");
	if (store_config_each(wa->st, wa->app.id, var_name, resp) == -1)
		return -1;
	web_resp_printf(resp, "</ul>\n");
	return 0;
}

int
web_app_page(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa)
{
	json_t *o = app_view_json(req->conf, wa->st, &wa->app, 1);
	const char *commit;

	if (o == NULL)
		return -1;
	commit = json_string_value(json_object_get(o, "commit"));
	web_page_begin(resp, wa->app.name);
	web_resp_printf(resp, "<p>State <b>");
	web_resp_html(resp, json_string_value(json_object_get(o, "state")));
	web_resp_printf(resp, "</b>, release v%d, commit <code>%.12s</code>. "
	    "<a href=\"/apps/", wa->app.current_release,
	    commit != NULL ? commit : "");
	web_resp_html(resp, wa->app.name);
	web_resp_printf(resp, "/logs\">Logs</a></p>\n");
	action(resp, wa, "restart", NULL, NULL, "Restart");
	action(resp, wa, "rollback", "release", "release (v3)", "Roll back");
	action(resp, wa, "scale", "formation", "web=2", "Scale");
	processes(resp, o);
	domains(req->conf, resp, o);
	json_decref(o);
	if (lists(resp, wa) == -1) {
		log_warnx("web: %s", store_error(wa->st));
		return -1;
	}
	web_page_end(resp);
	return 0;
}
