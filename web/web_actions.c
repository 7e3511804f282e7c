/*
 * web_actions.c - POST /apps/NAME/restart, /rollback (field release:
 * "", "3" or "v3") and /scale (field formation: "web=2 worker=1"): what
 * the key could do over SSH (ps:restart, rollback, ps:scale all need a
 * role on the app, which web_app.c checked).  Each form carries the
 * session's CSRF token; a POST without it is refused (403) and logged.
 * The arguments are checked here, then the work runs in a forked child
 * (web_defer: a swap takes seconds, the endpoint answers others
 * meanwhile) through the same run/ and deploy/ functions as the SSH
 * commands, and ends in an audit row like theirs ("dashboard: ...").
 * The browser goes back to the app's page at once.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/applock.h"
#include "core/log.h"
#include "core/num.h"
#include "deploy/receive.h"
#include "run/app.h"
#include "run/procfile.h"
#include "web/web_app.h"
#include "web/web_pages.h"

#define ACTION_SCALE_MAX 16   /* as ps:scale */
#define ACTION_TYPES_MAX 8    /* TYPE=COUNT pairs in one form */

struct job {
	char kind[16];                      /* restart | rollback | scale */
	char app[STORE_NAME_MAX];
	int64_t app_id;
	char fingerprint[STORE_FP_MAX];
	char key[STORE_NAME_MAX];
	int version;                        /* rollback: 0 the one before */
	char types[ACTION_TYPES_MAX][PROC_NAME_MAX + 1];
	int counts[ACTION_TYPES_MAX];
	int ntypes;
	char command[512];                  /* for the audit */
};

static void
say_log(void *ctx, const char *line)
{
	log_info("web: %s: %s", (const char *)ctx, line);
}

static int
run_job(struct job *j, struct store *st, const struct conf *c, char *why,
    size_t wlen)
{
	char holder[APPLOCK_WHAT_MAX];
	int i;

	snprintf(holder, sizeof(holder), "%s from the dashboard by key '%s'",
	    j->kind, j->key);
	if (strcmp(j->kind, "rollback") == 0)
		return deploy_rollback(c, st, j->app, holder, j->version,
		    say_log, j->app, why, wlen) == 0 ? 0 : -1;
	for (i = 0; i < j->ntypes; i++)
		if (store_formation_set(st, j->app_id, j->types[i],
		    j->counts[i]) == -1) {
			snprintf(why, wlen, "%s", store_error(st));
			return -1;
		}
	return app_restart(c, st, j->app, holder, NULL, j->ntypes > 0 ?
	    RESTART_SCALE | RESTART_IF_RUNNING : 0, say_log, j->app, why,
	    wlen) == -1 ? -1 : 0;
}

/* The forked child's work (web_defer). */
static int
job_main(const struct conf *c, void *arg)
{
	struct job *j = arg;
	struct timespec t0, t1;
	char why[1024] = "";
	struct store *st;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((st = web_store(c)) == NULL)
		return 1;
	rc = run_job(j, st, c, why, sizeof(why));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == -1)
		log_warnx("web: %s failed: %s", j->command, why);
	if (store_audit(st, j->fingerprint, j->app, j->command, rc == 0 ?
	    "ok" : "exit 1", (t1.tv_sec - t0.tv_sec) * 1000LL +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000) == -1)
		log_warnx("web: audit: %s", store_error(st));
	store_close(st);
	return rc == 0 ? 0 : 1;
}

/* "web=2 worker=0": each type named by the live release, each count in
 * range.  0, or -1 with why. */
static int
parse_formation(struct job *j, const struct release_rec *rel, char *s,
    char *why, size_t wlen)
{
	char *tok, *save = NULL, *eq, cmd[STORE_PROCS_MAX];
	long long n;

	for (tok = strtok_r(s, " ,", &save); tok != NULL;
	    tok = strtok_r(NULL, " ,", &save)) {
		if (j->ntypes == ACTION_TYPES_MAX || (eq = strchr(tok, '=')) ==
		    NULL || (*eq = '\0', !procfile_name_valid(tok)) ||
		    num_parse(eq + 1, 0, ACTION_SCALE_MAX, &n) == -1) {
			snprintf(why, wlen, "expected TYPE=COUNT (0-%d)",
			    ACTION_SCALE_MAX);
			return -1;
		}
		if (procfile_check(rel->process_types, why, wlen) == -1 ||
		    procfile_command_of(rel->process_types, tok, cmd,
		    sizeof(cmd)) == -1) {
			snprintf(why, wlen, "the live release has no '%s' "
			    "process", tok);
			return -1;
		}
		snprintf(j->types[j->ntypes], sizeof(j->types[0]), "%s", tok);
		j->counts[j->ntypes++] = (int)n;
	}
	if (j->ntypes == 0) {
		snprintf(why, wlen, "expected TYPE=COUNT");
		return -1;
	}
	return 0;
}

/* The form's arguments into j; 0, or -1 with why (a 400). */
static int
parse_args(const struct web_req *req, struct web_app *wa, struct job *j,
    char *why, size_t wlen)
{
	char field[WEB_FIELD_MAX];
	struct release_rec rel;
	long long v;
	int rc;

	if (strcmp(j->kind, "rollback") == 0) {
		if ((rc = web_form(req, "release", field, sizeof(field))) == -1 ||
		    (rc == 0 && field[0] != '\0' && num_parse(field[0] == 'v' ?
		    field + 1 : field, 1, 1000000, &v) == -1)) {
			snprintf(why, wlen, "not a release number");
			return -1;
		}
		j->version = rc == 0 && field[0] != '\0' ? (int)v : 0;
		snprintf(j->command, sizeof(j->command), "dashboard: rollback"
		    " %s%s%.20s", j->app, j->version ? " " : "", j->version ?
		    field : "");
		return 0;
	}
	if (strcmp(j->kind, "restart") == 0) {
		snprintf(j->command, sizeof(j->command), "dashboard: ps:restart"
		    " %s", j->app);
		return 0;
	}
	if (web_form(req, "formation", field, sizeof(field)) != 0 ||
	    wa->app.current_release == 0 || store_release_get(wa->st,
	    wa->app.id, wa->app.current_release, &rel) != 0) {
		snprintf(why, wlen, "nothing to scale");
		return -1;
	}
	snprintf(j->command, sizeof(j->command), "dashboard: ps:scale %s %.400s",
	    j->app, field);
	return parse_formation(j, &rel, field, why, wlen);
}

int
web_action(const struct web_req *req, struct web_resp *resp,
    struct web_app *wa)
{
	static const char *const kinds[] = { "restart", "rollback", "scale",
	    NULL };
	char why[256], back[STORE_NAME_MAX + 8];
	struct job j;
	int i;

	for (i = 0; kinds[i] != NULL; i++)
		if (wa->rest[0] == '/' && strcmp(wa->rest + 1, kinds[i]) == 0)
			break;
	if (kinds[i] == NULL)
		return web_resp_error(resp, 404, "no such action");
	if (!web_session_csrf_ok(req, &wa->u)) {
		log_warnx("web: %s %s: bad or missing CSRF token (key '%s', %s)",
		    req->method, req->path, wa->u.key.name, req->peer);
		return web_resp_error(resp, 403, "bad or missing CSRF token");
	}
	memset(&j, 0, sizeof(j));
	snprintf(j.kind, sizeof(j.kind), "%s", kinds[i]);
	snprintf(j.app, sizeof(j.app), "%s", wa->app.name);
	snprintf(j.fingerprint, sizeof(j.fingerprint), "%s",
	    wa->u.key.fingerprint);
	snprintf(j.key, sizeof(j.key), "%s", wa->u.key.name);
	j.app_id = wa->app.id;
	if (parse_args(req, wa, &j, why, sizeof(why)) == -1)
		return web_resp_error(resp, 400, why);
	web_app_close(wa); /* no sqlite handle may cross a fork */
	if (web_defer(req, j.command, job_main, &j) == -1)
		return web_resp_error(resp, 503, "cannot start that now");
	log_info("web: %s by key '%s'", j.command, j.key);
	snprintf(back, sizeof(back), "/apps/%s", j.app);
	return web_resp_redirect(resp, back);
}
