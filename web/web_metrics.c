/*
 * web_metrics.c - GET /metrics, Prometheus' text format, for a scraper
 * that sends "Authorization: Bearer TOKEN" with [dashboard]
 * metrics_token (off, 404, while that is empty; 401 on a wrong token):
 *   berth_deploys{outcome}            deploys kept in the database
 *   berth_deploy_duration_seconds     histogram of the finished ones
 *   berth_process_restarts{app,process}  restarts by its supervisor
 *   berth_data_dir_{size,free}_bytes  the data dir's file system
 * Labels hold app and process names only, whose characters need no
 * escaping (core/names.h, run/procfile.h).
 */
#include <string.h>
#include <sys/statvfs.h>

#include <openssl/crypto.h>

#include "core/log.h"
#include "run/app_view.h"
#include "web/web_pages.h"
#include "web/web_session.h"

static const double buckets[] = { 1, 5, 10, 30, 60, 120, 300, 600 };
#define RESTARTS_TYPE "# TYPE berth_process_restarts counter\n"
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct figures {
	const struct conf *c;
	struct store *st;
	struct web_resp *resp;
	long long succeeded, failed, running;
	long long hist[NBUCKETS];
	long long count;
	double sum;
	int failed_read;
};

static int
deploy_one(void *arg, const struct deploy_rec *d)
{
	struct figures *f = arg;
	double s = (double)d->duration_ms / 1000;

	if (strcmp(d->status, "running") == 0) {
		f->running++;
		return 0;
	}
	if (strcmp(d->status, "succeeded") == 0)
		f->succeeded++;
	else
		f->failed++;
	f->count++;
	f->sum += s;
	for (size_t i = 0; i < NBUCKETS; i++)
		f->hist[i] += s <= buckets[i];
	return 0;
}

static void
procs(struct figures *f, const struct app_rec *a)
{
	json_t *o = app_view_json(f->c, f->st, a, 1), *p;
	size_t i;

	if (o == NULL)
		return;
	json_array_foreach(json_object_get(o, "process_list"), i, p)
		web_resp_printf(f->resp, "berth_process_restarts{app=\"%s\","
		    "process=\"%s\"} %lld\n", a->name, json_string_value(
		    json_object_get(p, "process")), (long long)
		    json_integer_value(json_object_get(p, "restarts")));
	json_decref(o);
}

static int
app_one(void *arg, const struct app_rec *a)
{
	struct figures *f = arg;

	if (store_deploy_each(f->st, a->id, 1000000, deploy_one, f) == -1) {
		f->failed_read = 1;
		return 1;
	}
	procs(f, a);
	return 0;
}

static void
totals(struct figures *f)
{
	struct web_resp *r = f->resp;
	struct statvfs sv;

	web_resp_printf(r, "# TYPE berth_deploys gauge\n"
	    "berth_deploys{outcome=\"succeeded\"} %lld\n"
	    "berth_deploys{outcome=\"failed\"} %lld\n"
	    "berth_deploys{outcome=\"running\"} %lld\n", f->succeeded,
	    f->failed, f->running);
	web_resp_printf(r, "# TYPE berth_deploy_duration_seconds histogram\n");
	for (size_t i = 0; i < NBUCKETS; i++)
		web_resp_printf(r, "berth_deploy_duration_seconds_bucket{le="
		    "\"%g\"} %lld\n", buckets[i], f->hist[i]);
	web_resp_printf(r, "berth_deploy_duration_seconds_bucket{le=\"+Inf\"}"
	    " %lld\nberth_deploy_duration_seconds_sum %.3f\n"
	    "berth_deploy_duration_seconds_count %lld\n", f->count, f->sum,
	    f->count);
	if (statvfs(f->c->data_dir, &sv) == 0)
		web_resp_printf(r, "# TYPE berth_data_dir_size_bytes gauge\n"
		    "berth_data_dir_size_bytes %llu\n"
		    "# TYPE berth_data_dir_free_bytes gauge\n"
		    "berth_data_dir_free_bytes %llu\n",
		    (unsigned long long)sv.f_blocks * sv.f_frsize,
		    (unsigned long long)sv.f_bavail * sv.f_frsize);
}

static int
authorized(const struct web_req *req)
{
	const char *h = web_header(req, "Authorization");
	const char *want = req->conf->dash_metrics_token;
	size_t n = strlen(want);

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 ||
	    strlen(h + 7) != n)
		return 0;
	return CRYPTO_memcmp(h + 7, want, n) == 0;
}

int
web_metrics(const struct web_req *req, struct web_resp *resp)
{
	struct figures f = { .c = req->conf, .resp = resp };
	int rc;

	if (req->conf->dash_metrics_token[0] == '\0')
		return web_resp_error(resp, 404, "metrics are off ([dashboard]"
		    " metrics_token)");
	if (!authorized(req)) {
		log_warnx("web: /metrics: wrong or missing token from %s",
		    req->peer);
		return web_resp_error(resp, 401, "wrong or missing token");
	}
	if ((f.st = web_store(req->conf)) == NULL)
		return -1;
	web_resp_set(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
	    RESTARTS_TYPE, strlen(RESTARTS_TYPE));
	rc = store_app_each(f.st, app_one, &f);
	if (rc == -1 || f.failed_read)
		log_warnx("web: metrics: %s", store_error(f.st));
	else
		totals(&f);
	store_close(f.st);
	return rc == -1 || f.failed_read ? -1 : 0;
}
