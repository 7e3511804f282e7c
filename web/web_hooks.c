/*
 * web_hooks.c - POST /hooks/APP, a Git host's webhook delivery, in order:
 *   app        a valid name of an app that exists (404)
 *   verify     the app's secret against the signing header, over the raw
 *              body (core/webhook.h), before anything parses it (401, an
 *              audit row, nothing else done)
 *   rate       at most [webhooks] rate_limit deliveries a minute (429)
 *   replay     a delivery id seen before is ignored (202)
 *   decide     ping 200; another event or branch 202 with the reason; a
 *              push to the source's branch: 202, and the fetch and deploy
 *              (deploy/pull.h) run in a child (web_defer), under the app's
 *              lock like a push, recorded as a deploy of kind "webhook"
 * Every answer is one line of text/plain; every verified delivery and
 * every refused signature is an audit row (key "webhook:HOST").
 */
#include <git2.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/names.h"
#include "core/webhook.h"
#include "core/webhook_secret.h"
#include "deploy/gitlib.h"
#include "deploy/pull.h"
#include "web/web_hooks.h"

#define HOOKS_PREFIX "/hooks/"
#define DELIVERIES_KEEP_S (7 * 86400) /* replays older than this pass */

/* The deploy, in the endpoint's child (web_defer). */
struct job {
	char app[STORE_NAME_MAX];
	char note[WEBHOOK_ID_MAX + 64];
};

struct hook {
	const struct web_req *req;
	struct web_resp *resp;
	struct store *st;
	struct app_rec app;
	struct webhook_delivery d;
	char secret[WEBHOOK_SECRET_HEX];
	long long t0;
	int deploy;         /* set by judge: start job once the store is closed */
	struct job job;
};

static const char *
header(void *ctx, const char *name)
{
	return web_header(ctx, name);
}

/* Answer status with msg, and write the audit row when outcome is set. */
static int
answer(struct hook *h, int status, const char *outcome, const char *msg)
{
	char cmd[512], fp[64];

	if (outcome != NULL) {
		snprintf(fp, sizeof(fp), "webhook:%s", h->d.host ?
		    webhook_host_name(h->d.host) : "unsigned");
		snprintf(cmd, sizeof(cmd), "webhook %s %s%s%.128s",
		    h->d.event[0] ? h->d.event : "-", h->app.name,
		    h->d.id[0] ? " delivery " : "", h->d.id);
		if (store_audit(h->st, fp, h->app.name, cmd, outcome,
		    clock_ms() - h->t0) == -1)
			log_warnx("webhook: cannot audit: %s", store_error(h->st));
	}
	return web_resp_error(h->resp, status, msg);
}

static int
run_job(const struct conf *c, void *arg)
{
	struct job *j = arg;
	struct pull_req r = { .app = j->app, .kind = "webhook",
	    .holder = "a webhook delivery", .note = j->note };
	struct store *st;
	char db[PATH_MAX], reason[1024];
	int rc;

	log_init("berth webhook", 0);
	if (gitlib_init() < 0) {
		log_warnx("webhook deploy of '%s': cannot initialise libgit2: %s",
		    j->app, git_error_last() ? git_error_last()->message : "?");
		return 1;
	}
	snprintf(reason, sizeof(reason), "data dir path too long");
	if (datadir_db(c->data_dir, db, sizeof(db)) == -1 ||
	    store_open(&st, db, reason, sizeof(reason)) == -1) {
		log_warnx("webhook deploy of '%s': %s", j->app, reason);
		return 1;
	}
	rc = deploy_pull(c, st, &r, NULL, NULL, reason, sizeof(reason));
	if (rc == -1)
		log_warnx("webhook deploy of '%s' failed: %s", j->app, reason);
	store_close(st);
	return rc == 0 ? 0 : 1;
}

/* The job is started by web_hooks once the store is closed: an sqlite
 * handle must not cross a fork (the child's own would share its locks). */
static int
deploy(struct hook *h, const char *commit)
{
	char msg[160];

	snprintf(h->job.app, sizeof(h->job.app), "%s", h->app.name);
	snprintf(h->job.note, sizeof(h->job.note), "webhook from %s%s%s",
	    webhook_host_name(h->d.host), h->d.id[0] ? ", delivery " : "",
	    h->d.id);
	h->deploy = 1;
	snprintf(msg, sizeof(msg), "accepted: deploying %.7s of %s", commit,
	    h->app.name);
	return answer(h, 202, "deploying", msg);
}

/* Rate, replay, then what the delivery asks for. */
static int
judge(struct hook *h)
{
	char why[300], commit[41], id[WEBHOOK_ID_MAX];
	struct source_rec src;
	unsigned char rnd[8];
	time_t now = time(NULL);
	int n, rc;

	if (store_delivery_count(h->st, h->app.id, now - 60, &n) == -1)
		return -1;
	if (n >= h->req->conf->webhook_rate_limit) {
		(void)web_resp_header(h->resp, "Retry-After", "60");
		return answer(h, 429, "rate limited", "too many deliveries for"
		    " this app; [webhooks] rate_limit a minute");
	}
	snprintf(id, sizeof(id), "%s", h->d.id);
	if (id[0] == '\0' && RAND_bytes(rnd, sizeof(rnd)) == 1)
		for (size_t i = 0; i < sizeof(rnd); i++) /* counted, never equal */
			snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	if ((rc = store_delivery_add(h->st, h->app.id, id, now,
	    now - DELIVERIES_KEEP_S)) == -1)
		return -1;
	if (rc == 0)
		return answer(h, 202, "replay", "delivery seen before: ignored");
	if ((rc = store_source_get(h->st, h->app.id, &src)) == -1)
		return -1;
	switch (webhook_decide(&h->d, h->req->body, h->req->body_len,
	    rc == 0 ? src.branch : h->req->conf->deploy_branch, commit, why,
	    sizeof(why))) {
	case WEBHOOK_PING:
		return answer(h, 200, "ping", why);
	case WEBHOOK_IGNORE:
		return answer(h, 202, "ignored", why);
	case WEBHOOK_BAD:
		return answer(h, 400, "bad payload", why);
	case WEBHOOK_DEPLOY:
		break;
	}
	if (rc == STORE_NOTFOUND)
		return answer(h, 409, "no source", "the app has no source:"
		    " apps:source APP URL");
	return deploy(h, commit);
}

static int
hook_app(struct hook *h)
{
	char err[300];
	int rc;

	if ((rc = webhook_secret_load(h->req->conf, h->st, &h->app, h->secret,
	    err, sizeof(err))) == -1) {
		log_warnx("webhook for '%s': %s", h->app.name, err);
		return -1;
	}
	if (rc == STORE_NOTFOUND)
		h->secret[0] = '\0';
	if (webhook_verify(header, (void *)h->req, h->secret, h->req->body,
	    h->req->body_len, &h->d, err, sizeof(err)) == -1) {
		log_info("webhook for '%s' from %s refused: %s", h->app.name,
		    h->req->peer, err);
		return answer(h, 401, "bad signature", err);
	}
	return judge(h) == -1 ? -1 : 0;
}

int
web_hooks(const struct web_req *req, struct web_resp *resp)
{
	struct hook h = { .req = req, .resp = resp, .t0 = clock_ms() };
	const char *app = req->path + strlen(HOOKS_PREFIX);
	char db[PATH_MAX], err[300];
	int rc;

	if (strncmp(req->path, HOOKS_PREFIX, strlen(HOOKS_PREFIX)) != 0 ||
	    name_app_valid(app, NULL, 0) == -1)
		return web_resp_error(resp, 404, "no such app");
	if (datadir_db(req->conf->data_dir, db, sizeof(db)) == -1 ||
	    store_open(&h.st, db, err, sizeof(err)) == -1) {
		log_warnx("webhook: cannot open the store");
		return -1;
	}
	if ((rc = store_app_get(h.st, app, &h.app)) == 0)
		rc = hook_app(&h);
	else if (rc == STORE_NOTFOUND)
		rc = web_resp_error(resp, 404, "no such app");
	if (rc == -1)
		log_warnx("webhook for '%s': %s", app, store_error(h.st));
	explicit_bzero(h.secret, sizeof(h.secret));
	store_close(h.st);
	if (rc == 0 && h.deploy &&
	    web_defer(req, "a webhook deploy", run_job, &h.job) == -1)
		return web_resp_error(resp, 503, "cannot start the deploy now;"
		    " deliver again later");
	return rc;
}
