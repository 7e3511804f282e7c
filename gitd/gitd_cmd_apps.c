/*
 * gitd_cmd_apps.c - the app commands: help, apps, apps:create, apps:info,
 * apps:destroy, apps:rename, status (with the managed proxy's state and
 * the latest repairs berth serve made by itself).  Handlers run after the gate
 * (gitd_dispatch.c) has checked arity and rights; listings go out through
 * gitd_output.c (columns, or --json).
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/datadir.h"
#include "core/names.h"
#include "core/num.h"
#include "core/path.h"
#include "core/preview.h"
#include "gitd/gitd_dispatch.h"
#include "run/app.h"
#include "run/app_view.h"
#include "run/procs.h"
#include "router/router.h"
#include "router/router_tls.h"

int
cmd_help(struct gitd_ctx *g, int argc, char **argv)
{
	const struct command *c;

	if (argc == 2) {
		for (c = gitd_commands; c->name != NULL; c++)
			if (strcmp(c->name, argv[1]) == 0) {
				gitd_printf(g, "usage: %s\n%s\n", c->usage,
				    c->summary);
				return 0;
			}
		gitd_errorf(g, "berth: unknown command '%.80s'", argv[1]);
		return 2;
	}
	gitd_printf(g, "berth %s commands (ssh HOST COMMAND ...; listings take"
	    " --json):\n", BERTH_VERSION);
	for (c = gitd_commands; c->name != NULL; c++)
		gitd_printf(g, "  %-48s %s\n", c->usage, c->summary);
	return 0;
}

/* The app as a JSON object (run/app_view.h: the dashboard's too). */
static json_t *
app_json(struct gitd_ctx *g, const struct app_rec *a, int detail)
{
	return app_view_json(g->conf, g->st, a, detail);
}

struct apps_list {
	struct gitd_ctx *g;
	json_t *rows;
};

static int
apps_one(void *arg, const struct app_rec *a)
{
	struct apps_list *l = arg;
	enum role r;

	if (a->parent_id != 0) /* previews are listed by `previews APP` */
		return 0;
	if (store_role_get(l->g->st, &l->g->key, a->id, &r) == -1 ||
	    r == ROLE_NONE)
		return 0;
	json_array_append_new(l->rows, app_json(l->g, a, 0));
	return 0;
}

int
cmd_apps(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const cols[] = { "name", "state", "release",
	    "processes", "domains", NULL };
	struct apps_list l = { g, json_array() };

	(void)argc, (void)argv;
	if (store_app_each(g->st, apps_one, &l) == -1) {
		json_decref(l.rows);
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return gitd_emit_list(g, l.rows, cols) == 0 ? 0 : 1;
}

int
cmd_apps_info(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const keys[] = { "name", "state", "release",
	    "commit", "buildpack", "domains", "processes", NULL };

	(void)argc, (void)argv;
	return gitd_emit_object(g, app_json(g, &g->app, 1), keys) == 0 ? 0 : 1;
}

int
cmd_apps_create(struct gitd_ctx *g, int argc, char **argv)
{
	char why[128], err[256];
	struct app_rec a;

	(void)argc;
	if (name_app_valid(argv[1], why, sizeof(why)) == -1) {
		gitd_errorf(g, "berth: invalid app name '%.80s': %s", argv[1], why);
		return 2;
	}
	if (store_app_get(g->st, argv[1], &a) == 0) {
		gitd_errorf(g, "berth: app '%s' already exists", argv[1]);
		return 1;
	}
	if (gitd_app_create(g, argv[1], err, sizeof(err)) == -1) {
		gitd_errorf(g, "berth: cannot create app '%s': %s", argv[1], err);
		return 1;
	}
	snprintf(g->app.name, sizeof(g->app.name), "%s", argv[1]);
	gitd_printf(g, "created app '%s'\n", argv[1]);
	return 0;
}

int
cmd_apps_destroy(struct gitd_ctx *g, int argc, char **argv)
{
	char why[1024], holder[APPLOCK_WHAT_MAX];

	if (argc != 3 || strcmp(argv[2], "--force") != 0) {
		gitd_errorf(g, "berth: this deletes '%s' with its repository,"
		    " releases and settings; run 'apps:destroy %s --force'",
		    g->app.name, g->app.name);
		return 2;
	}
	gitd_holder(g, "apps:destroy", holder, sizeof(holder));
	if (app_destroy(g->conf, g->st, g->app.name, holder, why,
	    sizeof(why)) == -1) {
		gitd_errorf(g, "berth: cannot destroy '%s': %s (run the command"
		    " again to finish)", g->app.name, why);
		return 1;
	}
	gitd_printf(g, "destroyed app '%s'\n", g->app.name);
	return 0;
}

int
cmd_apps_rename(struct gitd_ctx *g, int argc, char **argv)
{
	char why[1024], holder[APPLOCK_WHAT_MAX];

	(void)argc;
	if (name_app_valid(argv[2], why, sizeof(why)) == -1) {
		gitd_errorf(g, "berth: invalid app name '%.80s': %s", argv[2], why);
		return 2;
	}
	if (gitd_app_name_free(g->conf, argv[2], why, sizeof(why)) == -1) {
		gitd_errorf(g, "berth: cannot rename '%s': %s", g->app.name, why);
		return 1;
	}
	gitd_holder(g, "apps:rename", holder, sizeof(holder));
	if (app_rename(g->conf, g->st, g->app.name, argv[2], holder, why,
	    sizeof(why)) == -1) {
		gitd_errorf(g, "berth: cannot rename '%s': %s", g->app.name, why);
		return 1;
	}
	gitd_printf(g, "renamed '%s' to '%s'\n", g->app.name, argv[2]);
	return 0;
}

/* Bytes used under path (files, not following symlinks). */
static long long
disk_use(const char *path, int depth)
{
	char child[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	long long sum = 0;
	DIR *d;

	if (lstat(path, &sb) == -1)
		return 0;
	if (!S_ISDIR(sb.st_mode) || depth > 64)
		return (long long)sb.st_blocks * 512;
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    pathf(child, sizeof(child), "%s/%s", path, de->d_name) == 0)
			sum += disk_use(child, depth + 1);
	closedir(d);
	return sum;
}

struct status {
	struct gitd_ctx *g;
	int apps, running, crashed;
	long long releases, caches;
	json_t *disk;    /* per app (gitd_cmd_upkeep.c) */
};

static int
status_app(void *arg, const struct app_rec *a)
{
	struct status *s = arg;
	struct app_counts ap;
	char path[PATH_MAX];

	s->apps++;
	app_view_counts(s->g->conf, s->g->st, a, &ap);
	s->running += ap.running;
	s->crashed += ap.crashed;
	if (datadir_app_part(s->g->conf->data_dir, a->name, "releases", path,
	    sizeof(path)) == 0)
		s->releases += disk_use(path, 0);
	if (datadir_app_part(s->g->conf->data_dir, a->name, "cache", path,
	    sizeof(path)) == 0)
		s->caches += disk_use(path, 0);
	json_array_append_new(s->disk, upkeep_app_json(s->g->conf, a->name));
	return 0;
}

#define STATUS_REPAIRS_TEXT 5   /* repairs `status` shows */
#define STATUS_REPAIRS_JSON 20  /* and with --json */

static int
add_repair(void *arg, const struct repair_rec *r)
{
	json_array_append_new(arg, json_pack("{s:I, s:s, s:s, s:b}", "at",
	    (json_int_t)r->at, "app", r->app, "what", r->what, "ok", r->ok));
	return 0;
}

/* The managed proxy: {kind, managed, running, pid}. */
static json_t *
proxy_json(const struct conf *c)
{
	pid_t pid = router_pid(c);

	return json_pack("{s:s, s:b, s:b, s:i}", "kind", c->router_kind,
	    "managed", c->router_manage, "running", pid != 0, "pid", (int)pid);
}

/* One line per domain to serve over HTTPS: its certificate, or why it
 * has none (it is served over HTTP meanwhile). */
static void
status_https(struct gitd_ctx *g, json_t *list)
{
	json_t *d;
	size_t i;

	json_array_foreach(list, i, d) {
		const char *why = json_string_value(json_object_get(d, "error"));
		if (json_is_true(json_object_get(d, "https")))
			gitd_printf(g, "https:             %s (app %s): certificate"
			    " OK\n", json_string_value(json_object_get(d,
			    "domain")), json_string_value(json_object_get(d,
			    "app")));
		else
			gitd_printf(g, "https:             %s (app %s): NO"
			    " CERTIFICATE, served over HTTP: %s\n",
			    json_string_value(json_object_get(d, "domain")),
			    json_string_value(json_object_get(d, "app")),
			    why ? why : "not obtained yet");
	}
}

/* The lines after status's fields: the proxy, then the latest repairs
 * ("repaired: caddy restarted 18:02:11"). */
static void
status_text(struct gitd_ctx *g, json_t *obj)
{
	json_t *p = json_object_get(obj, "proxy"), *r;
	char stamp[32];
	time_t now = time(NULL), at;
	struct tm tm, today;
	size_t i;

	if (json_is_true(json_object_get(p, "managed")))
		gitd_printf(g, "proxy:             %s %s", g->conf->router_kind,
		    json_is_true(json_object_get(p, "running")) ? "running" :
		    "NOT RUNNING (berth serve keeps trying to start it)");
	else
		gitd_printf(g, "proxy:             %s (not managed by berth)",
		    g->conf->router_kind);
	if (json_integer_value(json_object_get(p, "pid")) > 0)
		gitd_printf(g, " (pid %lld)", (long long)json_integer_value(
		    json_object_get(p, "pid")));
	gitd_printf(g, "\n");
	status_https(g, json_object_get(obj, "https"));
	localtime_r(&now, &today);
	json_array_foreach(json_object_get(obj, "repairs"), i, r) {
		if (i == STATUS_REPAIRS_TEXT)
			break;
		at = (time_t)json_integer_value(json_object_get(r, "at"));
		localtime_r(&at, &tm);
		strftime(stamp, sizeof(stamp), tm.tm_yday == today.tm_yday &&
		    tm.tm_year == today.tm_year ? "%H:%M:%S" : "%Y-%m-%d %H:%M:%S",
		    &tm);
		gitd_printf(g, "%s %s %s\n", json_is_true(json_object_get(r,
		    "ok")) ? "repaired:" : "repair failed:",
		    json_string_value(json_object_get(r, "what")), stamp);
	}
}

int
cmd_status(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const keys[] = { "version", "uptime_s", "apps",
	    "processes_running", "processes_crashed", "releases_bytes",
	    "caches_bytes", NULL };
	struct status s = { g, 0, 0, 0, 0, 0, json_array() };
	char path[PATH_MAX], buf[64] = "";
	long long started = 0;
	json_t *obj, *repairs = json_array(), *https;
	struct routes routes;
	char err[1024];
	FILE *f;
	int rc;

	(void)argc, (void)argv;
	if (datadir_path(g->conf->data_dir, "serve.started", path,
	    sizeof(path)) == 0 &&
	    (f = fopen(path, "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    num_prefix(buf, 0, LLONG_MAX, &started, NULL) == -1)
			started = 0;
		fclose(f);
	}
	if (store_app_each(g->st, status_app, &s) == -1 ||
	    store_repair_each(g->st, STATUS_REPAIRS_JSON, add_repair,
	    repairs) == -1) {
		json_decref(repairs);
		json_decref(s.disk);
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	if (routes_collect(g->conf, g->st, NULL, 0, &routes, err,
	    sizeof(err)) == -1) {
		json_decref(repairs);
		json_decref(s.disk);
		gitd_errorf(g, "berth: %s", err);
		return 1;
	}
	https = tls_status(g->conf, &routes);
	routes_free(&routes);
	obj = json_pack("{s:s, s:I, s:i, s:i, s:i, s:I, s:I, s:o, s:o, s:o,"
	    " s:o, s:o}",
	    "version", BERTH_VERSION, "uptime_s", (json_int_t)(started ?
	    time(NULL) - started : 0), "apps", s.apps, "processes_running",
	    s.running, "processes_crashed", s.crashed, "releases_bytes",
	    (json_int_t)s.releases, "caches_bytes", (json_int_t)s.caches,
	    "proxy", proxy_json(g->conf), "repairs", repairs, "https", https,
	    "disk", upkeep_disk_json(g->conf), "apps_disk", s.disk);
	json_incref(obj);
	rc = gitd_emit_object(g, obj, keys);
	if (rc == 0 && !g->json) {
		upkeep_status_text(g, json_object_get(obj, "disk"),
		    json_object_get(obj, "apps_disk"));
		status_text(g, obj);
	}
	json_decref(obj);
	return rc == 0 ? 0 : 1;
}
