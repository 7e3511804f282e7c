/*
 * app_view.c - an app's state for the listings (app_view.h): its live
 * release, domains and processes, each process as its supervisor reports
 * it (run/procs.h) with its memory and CPU from /proc (core/procstat.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/procstat.h"
#include "run/app_view.h"
#include "run/procs.h"

struct app_procs {
	const struct conf *c;
	const char *app;
	struct app_counts n;
	json_t *list; /* NULL: count only */
};

static int
add_domain(void *arg, const char *domain)
{
	json_array_append_new(arg, json_string(domain));
	return 0;
}

static int
count_proc(void *arg, const struct proc_rec *p)
{
	struct app_procs *ap = arg;
	struct proc_status ps;
	struct procstat st;
	char name[64];

	if (strcmp(p->state, "running") != 0)
		return 0;
	proc_status(ap->c->data_dir, ap->app, p, &ps);
	ap->n.total++;
	ap->n.running += strcmp(ps.state, "running") == 0;
	/* crashed, restarting (backoff), or its supervisor gone (until
	 * berth serve revives it): the app is not running */
	ap->n.crashed += strcmp(ps.state, "running") != 0 &&
	    strcmp(ps.state, "starting") != 0;
	if (ap->list != NULL) {
		(void)procstat_get(ps.pid, &st); /* zero when gone */
		snprintf(name, sizeof(name), "%s.%d", p->type, p->idx);
		json_array_append_new(ap->list, json_pack("{s:s, s:s, s:i, s:i,"
		    " s:i, s:I, s:f}", "process", name, "state", ps.state,
		    "pid", ps.pid, "port", p->port, "restarts", ps.restarts,
		    "rss_bytes", (json_int_t)st.rss_bytes, "cpu_s", st.cpu_s));
	}
	return 0;
}

void
app_view_counts(const struct conf *c, struct store *st,
    const struct app_rec *a, struct app_counts *out)
{
	struct app_procs ap = { c, a->name, { 0, 0, 0 }, NULL };

	(void)store_proc_each(st, a->id, NULL, count_proc, &ap);
	*out = ap.n;
}

json_t *
app_view_json(const struct conf *c, struct store *st,
    const struct app_rec *a, int detail)
{
	struct app_procs ap = { c, a->name, { 0, 0, 0 }, NULL };
	struct release_rec rel;
	json_t *domains = json_array(), *o;
	const char *state;
	char def[STORE_NAME_MAX + CONF_NAME_MAX + 2];

	snprintf(def, sizeof(def), "%s.%s", a->name, c->base_domain);
	json_array_append_new(domains, json_string(def));
	(void)store_domain_each(st, a->id, add_domain, domains);
	if (detail)
		ap.list = json_array();
	(void)store_proc_each(st, a->id, NULL, count_proc, &ap);
	memset(&rel, 0, sizeof(rel));
	if (a->current_release)
		(void)store_release_get(st, a->id, a->current_release, &rel);
	state = a->current_release == 0 ? "new" : ap.n.crashed ? "crashed" :
	    ap.n.total > 0 ? "running" : rel.static_root[0] ? "static" :
	    rel.process_types[0] ? "stopped" : "idle";
	o = json_pack("{s:s, s:s, s:i, s:o, s:i, s:I}", "name", a->name, "state",
	    state, "release", a->current_release, "domains", domains,
	    "processes", ap.n.total, "created_at", (json_int_t)a->created_at);
	if (o != NULL && detail) {
		json_object_set_new(o, "commit", json_string(rel.commit));
		json_object_set_new(o, "buildpack", json_string(rel.buildpack));
		json_object_set_new(o, "process_list", ap.list);
	} else {
		json_decref(ap.list);
	}
	return o;
}
