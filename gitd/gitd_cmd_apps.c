/*
 * gitd_cmd_apps.c - the app commands: help, apps, apps:create.  Handlers run
 * after the gate (gitd_dispatch.c) has checked arity and rights.
 */
#include <stdio.h>
#include <string.h>

#include "core/names.h"
#include "gitd/gitd_dispatch.h"

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
	gitd_printf(g, "berth %s commands (ssh HOST COMMAND ...):\n",
	    BERTH_VERSION);
	for (c = gitd_commands; c->name != NULL; c++)
		gitd_printf(g, "  %-44s %s\n", c->usage, c->summary);
	return 0;
}

struct apps_list {
	struct gitd_ctx *g;
	int shown;
};

static int
apps_one(void *arg, const struct app_rec *a)
{
	struct apps_list *l = arg;
	enum role r;

	if (store_role_get(l->g->st, &l->g->key, a->id, &r) == -1 ||
	    r == ROLE_NONE)
		return 0;
	gitd_printf(l->g, "%s\n", a->name);
	l->shown++;
	return 0;
}

int
cmd_apps(struct gitd_ctx *g, int argc, char **argv)
{
	struct apps_list l = { g, 0 };

	(void)argc, (void)argv;
	if (store_app_each(g->st, apps_one, &l) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return 0;
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
