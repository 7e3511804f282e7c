/*
 * gitd_cmd_keys.c - the key and rights commands: keys, keys:add, keys:remove,
 * grant, revoke.  All need a server admin key (checked by the gate).  The
 * last admin key can never be removed, so the server cannot lock its owner
 * out.
 */
#include <stdio.h>
#include <string.h>

#include "core/names.h"
#include "core/sshkey.h"
#include "gitd/gitd_dispatch.h"

static int
keys_one(void *arg, const struct key_rec *k)
{
	json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:b, s:I}", "name",
	    k->name, "type", k->type, "fingerprint", k->fingerprint, "admin",
	    k->is_admin, "created_at", (json_int_t)k->created_at));
	return 0;
}

int
cmd_keys(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const cols[] = { "name", "type", "fingerprint",
	    "admin", NULL };
	json_t *rows = json_array();

	(void)argc, (void)argv;
	if (store_key_each(g->st, keys_one, rows) == -1) {
		json_decref(rows);
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return gitd_emit_list(g, rows, cols) == 0 ? 0 : 1;
}

/* Read the public key line from stdin (at most one line, 8 KiB). */
static int
read_key_line(struct gitd_ctx *g, char *buf, size_t len)
{
	size_t o = 0;
	char err[128];

	while (o + 1 < len) {
		ssize_t n = g->io.in_out.read(g->io.in_out.ctx, buf + o,
		    len - 1 - o, err, sizeof(err));
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		o += (size_t)n;
		if (memchr(buf, '\n', o) != NULL)
			break;
	}
	buf[o] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int
cmd_keys_add(struct gitd_ctx *g, int argc, char **argv)
{
	char line[8192] = "", err[256] = "";
	struct key_rec k, old;

	memset(&k, 0, sizeof(k));
	if (name_key_valid(argv[1], err, sizeof(err)) == -1) {
		gitd_errorf(g, "berth: invalid key name '%.80s': %s", argv[1], err);
		return 2;
	}
	if (argc == 3 && strcmp(argv[2], "--admin") != 0) {
		gitd_errorf(g, "berth: unknown option '%.40s'\nusage: keys:add"
		    " NAME [--admin]", argv[2]);
		return 2;
	}
	if (read_key_line(g, line, sizeof(line)) == -1 ||
	    sshkey_parse_line(line, &k, err, sizeof(err)) == -1) {
		gitd_errorf(g, "berth: %s", line[0] ? err :
		    "expected a public key on standard input");
		return 1;
	}
	if (store_key_by_fingerprint(g->st, k.fingerprint, &old) == 0) {
		gitd_errorf(g, "berth: that key is already registered as '%s'",
		    old.name);
		return 1;
	}
	if (store_key_by_name(g->st, argv[1], &old) == 0) {
		gitd_errorf(g, "berth: a key named '%s' already exists", argv[1]);
		return 1;
	}
	snprintf(k.name, sizeof(k.name), "%s", argv[1]);
	k.is_admin = argc == 3;
	if (store_key_add(g->st, &k) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	gitd_printf(g, "added key '%s' %s%s\n", k.name, k.fingerprint,
	    k.is_admin ? " (admin)" : "");
	return 0;
}

int
cmd_keys_remove(struct gitd_ctx *g, int argc, char **argv)
{
	struct key_rec k;
	int admins;

	(void)argc;
	if (store_key_by_name(g->st, argv[1], &k) != 0) {
		gitd_errorf(g, "berth: no key named '%.80s'", argv[1]);
		return 1;
	}
	if (k.is_admin && (store_admin_count(g->st, &admins) == -1 ||
	    admins <= 1)) {
		gitd_errorf(g, "berth: '%s' is the last admin key; add another"
		    " admin key first", k.name);
		return 1;
	}
	if (store_key_remove(g->st, k.id) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	gitd_printf(g, "removed key '%s'\n", k.name);
	return 0;
}

/* Look up the key and app named by argv[1] and argv[2]. */
static int
key_and_app(struct gitd_ctx *g, char **argv, struct key_rec *k,
    struct app_rec *a)
{
	if (store_key_by_name(g->st, argv[1], k) != 0) {
		gitd_errorf(g, "berth: no key named '%.80s'", argv[1]);
		return -1;
	}
	if (store_app_get(g->st, argv[2], a) != 0) {
		gitd_errorf(g, "berth: app '%.80s' does not exist", argv[2]);
		return -1;
	}
	g->app = *a;
	return 0;
}

int
cmd_grant(struct gitd_ctx *g, int argc, char **argv)
{
	struct key_rec k;
	struct app_rec a;
	enum role r;

	(void)argc;
	if (strcmp(argv[3], "deployer") == 0)
		r = ROLE_DEPLOYER;
	else if (strcmp(argv[3], "admin") == 0)
		r = ROLE_APP_ADMIN;
	else {
		gitd_errorf(g, "berth: unknown role '%.40s'\nusage: grant KEY"
		    " APP deployer|admin", argv[3]);
		return 2;
	}
	if (key_and_app(g, argv, &k, &a) == -1)
		return 1;
	if (store_role_set(g->st, k.id, a.id, r) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	gitd_printf(g, "key '%s' is now %s of app '%s'\n", k.name, argv[3],
	    a.name);
	return 0;
}

int
cmd_revoke(struct gitd_ctx *g, int argc, char **argv)
{
	struct key_rec k;
	struct app_rec a;

	(void)argc;
	if (key_and_app(g, argv, &k, &a) == -1)
		return 1;
	if (store_role_remove(g->st, k.id, a.id) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	gitd_printf(g, "key '%s' has no role on app '%s' any more\n", k.name,
	    a.name);
	return 0;
}
