/*
 * gitd_cmd_whoami.c - `version` (berth's version) and `whoami` (the key
 * this connection logged in with, and its role on each app it has one
 * on), for any key.
 */
#include <stdio.h>
#include <string.h>

#include "gitd/gitd_dispatch.h"

static const char *const role_words[] = { "none", "deployer", "admin",
	"server admin" };

int
cmd_version(struct gitd_ctx *g, int argc, char **argv)
{
	(void)argc, (void)argv;
	if (g->json)
		return gitd_emit_object(g, json_pack("{s:s}", "version",
		    BERTH_VERSION), NULL) == 0 ? 0 : 1;
	return gitd_printf(g, "berth %s\n", BERTH_VERSION) < 0 ? 1 : 0;
}

struct roles {
	struct gitd_ctx *g;
	json_t *apps;
};

static int
role_one(void *arg, const struct app_rec *a)
{
	struct roles *r = arg;
	enum role role;

	if (store_role_get(r->g->st, &r->g->key, a->id, &role) == -1 ||
	    role == ROLE_NONE)
		return 0;
	json_array_append_new(r->apps, json_pack("{s:s, s:s}", "app", a->name,
	    "role", role_words[role]));
	return 0;
}

int
cmd_whoami(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const keys[] = { "key", "fingerprint", "admin",
	    NULL };
	struct roles r = { g, json_array() };
	json_t *o, *a;
	size_t i;

	(void)argc, (void)argv;
	if (store_app_each(g->st, role_one, &r) == -1) {
		json_decref(r.apps);
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	o = json_pack("{s:s, s:s, s:b, s:o}", "key", g->local ? "(local)" :
	    g->key.name, "fingerprint", g->local ? "" : g->key.fingerprint,
	    "admin", g->key.is_admin, "apps", r.apps);
	if (g->json)
		return gitd_emit_object(g, o, NULL) == 0 ? 0 : 1;
	if (gitd_emit_object(g, json_incref(o), keys) != 0) {
		json_decref(o);
		return 1;
	}
	json_array_foreach(r.apps, i, a)
		gitd_printf(g, "%s: %s\n", json_string_value(json_object_get(a,
		    "app")), json_string_value(json_object_get(a, "role")));
	json_decref(o);
	return 0;
}
