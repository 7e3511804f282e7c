/*
 * gitd_cmd_ps.c - ps, ps:scale, ps:restart, ps:stop, ps:start.  Listing
 * reads the process rows and what each supervisor reports in its run dir;
 * the rest hands over to run/ (zero-downtime swap under the app's lock):
 * ps:scale starts and stops only the instances it adds or removes, and
 * ps:restart APP TYPE replaces only that type's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/applock.h"
#include "core/num.h"
#include "gitd/gitd_dispatch.h"
#include "run/app.h"
#include "run/procfile.h"
#include "run/procs.h"
#include "run/oneoff.h"

#define SCALE_MAX 16

static int
ps_row(void *arg, const struct proc_rec *p)
{
	struct gitd_ctx *g = arg;
	struct proc_status ps;
	char name[64];

	/* a stored type reaches the terminal and JSON: shown only when it
	 * is a valid name (it was checked when written) */
	const char *type = procfile_name_valid(p->type) ? p->type : "?";

	proc_status(g->conf->data_dir, g->app.name, p, &ps);
	snprintf(name, sizeof(name), "%s.%d", type, p->idx);
	json_array_append_new(g->rows, json_pack("{s:s, s:s, s:i, s:s, s:i,"
	    " s:i, s:I, s:i, s:i, s:s}", "process", name, "type", type,
	    "index", p->idx, "state", ps.state, "pid", ps.pid, "port", p->port,
	    "uptime_s", (json_int_t)(ps.started > 0 ? time(NULL) - ps.started : 0),
	    "restarts", ps.restarts, "release", p->release, "routing", p->state));
	return 0;
}

/* A one-off (`run`) while it runs: run.PID, not routed, not restarted. */
static int
oneoff_row(void *arg, const struct oneoff_info *o)
{
	struct gitd_ctx *g = arg;
	char name[64];

	snprintf(name, sizeof(name), "run.%ld", (long)o->pid);
	json_array_append_new(g->rows, json_pack("{s:s, s:s, s:i, s:s, s:i,"
	    " s:i, s:I, s:i, s:i, s:s, s:o}", "process", name, "type", "run",
	    "index", (int)o->pid, "state", "up", "pid", (int)o->pid, "port", 0,
	    "uptime_s", (json_int_t)(time(NULL) - o->started), "restarts", 0,
	    "release", o->version, "routing", "one-off", "command",
	    gitd_json_text(o->command)));
	return 0;
}

int
cmd_ps(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const cols[] = { "process", "state", "pid", "port",
	    "uptime_s", "restarts", "release", "routing", NULL };

	(void)argc, (void)argv;
	g->rows = json_array();
	if (store_proc_each(g->st, g->app.id, NULL, ps_row, g) == -1 ||
	    oneoff_each(g->conf, g->app.name, oneoff_row, g) == -1) {
		json_decref(g->rows);
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return gitd_emit_list(g, g->rows, cols) == 0 ? 0 : 1;
}

static void
say_out(void *ctx, const char *line)
{
	gitd_printf(ctx, "%s\n", line);
}

/* Run app_restart for the command `what`: 0, or the exit status. */
static int
restart(struct gitd_ctx *g, const char *what, const char *type, int flags)
{
	char why[1024], holder[APPLOCK_WHAT_MAX];
	int rc;

	gitd_holder(g, what, holder, sizeof(holder));
	rc = app_restart(g->conf, g->st, g->app.name, holder, type, flags,
	    say_out, g, why, sizeof(why));
	if (rc == -1) {
		gitd_errorf(g, "berth: %s failed: %s", what, why);
		return 1;
	}
	if (rc == 1)
		gitd_printf(g, "%s is stopped (ps:stop); the new formation applies"
		    " when it starts (ps:start)\n", g->app.name);
	return 0;
}

static int has_type(struct gitd_ctx *g, const char *type, size_t len);
static int runs_once(const char *type, size_t len);

int
cmd_ps_restart(struct gitd_ctx *g, int argc, char **argv)
{
	if (argc == 3 && runs_once(argv[2], strlen(argv[2]))) {
		gitd_errorf(g, "berth: '%.40s' runs once, not as a process"
		    " (see 'cron %s')", argv[2], g->app.name);
		return 1;
	}
	if (argc == 3 && !has_type(g, argv[2], strlen(argv[2]))) {
		gitd_errorf(g, "berth: the live release of '%s' has no '%.40s'"
		    " process", g->app.name, argv[2]);
		return 1;
	}
	return restart(g, "restart", argc == 3 ? argv[2] : NULL, 0);
}

int
cmd_ps_start(struct gitd_ctx *g, int argc, char **argv)
{
	(void)argc, (void)argv;
	return restart(g, "start", NULL, 0);
}

int
cmd_ps_stop(struct gitd_ctx *g, int argc, char **argv)
{
	char why[1024], holder[APPLOCK_WHAT_MAX];

	(void)argc, (void)argv;
	gitd_holder(g, "stop", holder, sizeof(holder));
	if (app_stop(g->conf, g->st, g->app.name, holder, why,
	    sizeof(why)) == -1) {
		gitd_errorf(g, "berth: stop failed: %s", why);
		return 1;
	}
	gitd_printf(g, "stopped %s\n", g->app.name);
	return 0;
}

/* Does the live release define process type `type` (its first len
 * characters)? */
static int
has_type(struct gitd_ctx *g, const char *type, size_t len)
{
	struct release_rec rel;
	char why[256];

	if (g->app.current_release == 0 ||
	    store_release_get(g->st, g->app.id, g->app.current_release, &rel) != 0 ||
	    procfile_check(rel.process_types, why, sizeof(why)) == -1)
		return 0;
	for (const char *l = rel.process_types; *l; l = strchr(l, '\n') + 1)
		if (strncmp(l, type, len) == 0 && l[len] == ':')
			return 1;
	return 0;
}

/* A type that runs once (release, a hook, a cron job) is not scaled. */
static int
runs_once(const char *type, size_t len)
{
	char t[PROC_NAME_MAX + 1];

	snprintf(t, sizeof(t), "%.*s", (int)(len < sizeof(t) ? len : 0), type);
	return len < sizeof(t) && !procfile_is_process(t);
}

int
cmd_ps_scale(struct gitd_ctx *g, int argc, char **argv)
{
	char type[40];
	long long n;

	for (int i = 2; i < argc; i++) { /* check all before changing any */
		const char *eq = strchr(argv[i], '=');
		size_t len = eq ? (size_t)(eq - argv[i]) : 0;
		if (eq == NULL || len == 0 || len >= sizeof(type)) {
			gitd_errorf(g, "berth: expected TYPE=COUNT, got '%.40s'\n"
			    "usage: ps:scale APP TYPE=COUNT ...", argv[i]);
			return 2;
		}
		if (num_parse(eq + 1, 0, SCALE_MAX, &n) == -1) {
			gitd_errorf(g, "berth: count must be 0-%d, got '%.20s'",
			    SCALE_MAX, eq + 1);
			return 2;
		}
		if (runs_once(argv[i], len)) {
			gitd_errorf(g, "berth: '%.*s' runs once, not as a process"
			    " (see 'cron %s')", (int)len, argv[i], g->app.name);
			return 1;
		}
		if (!has_type(g, argv[i], len)) {
			gitd_errorf(g, "berth: the live release of '%s' has no"
			    " '%.*s' process", g->app.name, (int)len, argv[i]);
			return 1;
		}
	}
	for (int i = 2; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		snprintf(type, sizeof(type), "%.*s", (int)(eq - argv[i]), argv[i]);
		(void)num_parse(eq + 1, 0, SCALE_MAX, &n); /* checked above */
		if (store_formation_set(g->st, g->app.id, type, (int)n) == -1) {
			gitd_errorf(g, "berth: %s", store_error(g->st));
			return 1;
		}
	}
	/* only what changed starts or stops; the rest keeps serving */
	return restart(g, "scale", NULL, RESTART_SCALE | RESTART_IF_RUNNING);
}
