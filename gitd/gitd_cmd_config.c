/*
 * gitd_cmd_config.c - config, config:get, config:set, config:unset.  Values
 * are sealed at rest (core/vars.c); they are printed only to the caller who
 * asked for them and never logged (the audit row records the names only).
 * A change restarts a deployed app's processes with the zero-downtime swap,
 * unless the app is stopped (ps:stop) or --no-restart was given: then it
 * applies at the next start.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/applock.h"
#include "core/vars.h"
#include "gitd/gitd_dispatch.h"
#include "run/app.h"

static void
say_out(void *ctx, const char *line)
{
	gitd_printf(ctx, "%s\n", line);
}

/* Apply a config change to the running app: not with --no-restart, and
 * not to a stopped one (it applies when the app starts again). */
static int
restart_app(struct gitd_ctx *g)
{
	char why[1024], holder[APPLOCK_WHAT_MAX];
	int rc;

	if (g->app.current_release == 0)
		return 0;
	if (g->no_restart) {
		gitd_printf(g, "not restarted (--no-restart): the change applies"
		    " at the next restart or deploy of %s\n", g->app.name);
		return 0;
	}
	gitd_holder(g, "a config change", holder, sizeof(holder));
	rc = app_restart(g->conf, g->st, g->app.name, holder, NULL,
	    RESTART_IF_RUNNING, say_out, g, why, sizeof(why));
	if (rc == -1) {
		gitd_errorf(g, "berth: the config is saved, but the restart"
		    " failed: %s", why);
		return 1;
	}
	if (rc == 1)
		gitd_printf(g, "%s is stopped (ps:stop): the change applies when it"
		    " starts (ps:start)\n", g->app.name);
	return 0;
}

int
cmd_config(struct gitd_ctx *g, int argc, char **argv)
{
	struct vars vs;
	char err[256];

	(void)argc, (void)argv;
	if (vars_load(g->conf, g->st, &g->app, &vs, err, sizeof(err)) == -1) {
		gitd_errorf(g, "berth: %s", err);
		return 1;
	}
	if (g->json) {
		json_t *o = json_object();
		char *s;
		for (size_t i = 0; i < vs.n; i++)
			json_object_set_new(o, vs.v[i].name,
			    gitd_json_text(vs.v[i].value));
		s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_decref(o);
		if (s != NULL)
			gitd_printf(g, "%s\n", s);
		free(s);
	} else {
		for (size_t i = 0; i < vs.n; i++)
			gitd_printf(g, "%s=%s\n", vs.v[i].name, vs.v[i].value);
	}
	vars_free(&vs);
	return 0;
}

int
cmd_config_get(struct gitd_ctx *g, int argc, char **argv)
{
	struct vars vs;
	const char *v;
	char err[256];

	(void)argc;
	if (vars_load(g->conf, g->st, &g->app, &vs, err, sizeof(err)) == -1) {
		gitd_errorf(g, "berth: %s", err);
		return 1;
	}
	if ((v = vars_get(&vs, argv[2])) != NULL)
		gitd_printf(g, "%s\n", v);
	else
		gitd_errorf(g, "berth: '%.80s' is not set for app '%s'", argv[2],
		    g->app.name);
	vars_free(&vs);
	return v != NULL ? 0 : 1;
}

int
cmd_config_set(struct gitd_ctx *g, int argc, char **argv)
{
	char name[VAR_NAME_MAX + 1], why[128];
	int first, rc;

	if ((rc = gitd_preview_target(g, argc, argv, &first)) != 0)
		return rc;
	/* validate every pair before storing any */
	for (int i = first; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t len = eq ? (size_t)(eq - argv[i]) : 0;
		if (eq == NULL || len > VAR_NAME_MAX) {
			gitd_errorf(g, "berth: expected NAME=VALUE, got"
			    " '%.40s'\nusage: config:set APP NAME=VALUE ...", argv[i]);
			return 2;
		}
		snprintf(name, sizeof(name), "%.*s", (int)len, argv[i]);
		if (vars_name_valid(name, why, sizeof(why)) == -1) {
			gitd_errorf(g, "berth: invalid name '%s': %s", name, why);
			return 2;
		}
	}
	for (int i = first; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - argv[i]), argv[i]);
		if (vars_set(g->conf, g->st, &g->app, name, eq + 1, why,
		    sizeof(why)) == -1) {
			gitd_errorf(g, "berth: %s", why);
			return 1;
		}
		/* keep the value out of the audit row */
		argv[i][eq - argv[i] + 1] = '\0';
		gitd_printf(g, "set %s\n", name);
	}
	return restart_app(g);
}

int
cmd_config_unset(struct gitd_ctx *g, int argc, char **argv)
{
	int first, rc;

	if ((rc = gitd_preview_target(g, argc, argv, &first)) != 0)
		return rc;
	for (int i = first; i < argc; i++) {
		if (store_config_unset(g->st, g->app.id, argv[i]) == -1) {
			gitd_errorf(g, "berth: %s", store_error(g->st));
			return 1;
		}
		gitd_printf(g, "unset %s\n", argv[i]);
	}
	return restart_app(g);
}
