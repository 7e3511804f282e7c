/*
 * test_store_queries.c - the store's main queries on an in-memory sqlite:
 * keys, apps (create, rename, delete and what the delete takes along),
 * roles, releases and the live release, deploys and their logs, config
 * vars, domains (one app each), processes and the promote/undo of a swap,
 * formation, repairs (only the newest REPAIRS_KEEP kept), settings and
 * the audit log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/store.h"
#include "tests/unit/unit.h"

#define OID "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static struct store *st;

static int
count(void *arg, const void *row)
{
	(void)row;
	++*(int *)arg;
	return 0;
}

/* The callbacks' row types differ; each counts through count(). */
static int count_key(void *a, const struct key_rec *r) { return count(a, r); }
static int count_app(void *a, const struct app_rec *r) { return count(a, r); }
static int count_rel(void *a, const struct release_rec *r) { return count(a, r); }
static int count_dep(void *a, const struct deploy_rec *r) { return count(a, r); }
static int count_proc(void *a, const struct proc_rec *r) { return count(a, r); }
static int count_rep(void *a, const struct repair_rec *r) { return count(a, r); }
static int count_aud(void *a, const struct audit_rec *r) { return count(a, r); }
static int count_dom(void *a, const char *d) { return count(a, d); }

static int
count_var(void *a, const char *name, const void *v, size_t len)
{
	(void)v, (void)len;
	return count(a, name);
}

static struct key_rec
key(const char *name, const char *fp, int admin)
{
	struct key_rec k;

	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "%s", name);
	snprintf(k.fingerprint, sizeof(k.fingerprint), "%s", fp);
	snprintf(k.type, sizeof(k.type), "ssh-ed25519");
	snprintf(k.blob, sizeof(k.blob), "AAAA%s", name);
	k.is_admin = admin;
	return k;
}

static void
test_keys_and_roles(void)
{
	struct key_rec ann = key("ann", "SHA256:ann", 0), root =
	    key("root", "SHA256:root", 1), k, dup = key("ann", "SHA256:x", 0);
	struct app_rec a;
	enum role r;
	int n = 0;

	CHECK(store_key_add(st, &ann) == 0 && store_key_add(st, &root) == 0);
	CHECK(store_key_add(st, &dup) == -1); /* names are unique */
	CHECK(store_key_by_name(st, "ann", &k) == 0 && !k.is_admin);
	ann.id = k.id;
	CHECK(store_key_by_fingerprint(st, "SHA256:root", &k) == 0 &&
	    k.is_admin && strcmp(k.blob, "AAAAroot") == 0);
	root.id = k.id;
	CHECK(store_key_by_name(st, "nobody", &k) == STORE_NOTFOUND);
	CHECK(store_admin_count(st, &n) == 0 && n == 1);
	n = 0;
	CHECK(store_key_each(st, count_key, &n) == 0 && n == 2);

	CHECK(store_app_create(st, "web", &a) == 0);
	CHECK(store_role_get(st, &ann, a.id, &r) == 0 && r == ROLE_NONE);
	CHECK(store_role_set(st, ann.id, a.id, ROLE_DEPLOYER) == 0);
	CHECK(store_role_get(st, &ann, a.id, &r) == 0 && r == ROLE_DEPLOYER);
	CHECK(store_role_set(st, ann.id, a.id, ROLE_APP_ADMIN) == 0);
	CHECK(store_role_get(st, &ann, a.id, &r) == 0 && r == ROLE_APP_ADMIN);
	CHECK(store_role_get(st, &root, a.id, &r) == 0 &&
	    r == ROLE_SERVER_ADMIN);
	CHECK(store_role_remove(st, ann.id, a.id) == 0);
	CHECK(store_role_get(st, &ann, a.id, &r) == 0 && r == ROLE_NONE);
	CHECK(store_role_set(st, ann.id, a.id, ROLE_DEPLOYER) == 0);
	/* a removed key's roles go with it */
	CHECK(store_key_remove(st, ann.id) == 0);
	CHECK(store_key_by_name(st, "ann", &k) == STORE_NOTFOUND);
	CHECK(store_role_get(st, &ann, a.id, &r) == 0 && r == ROLE_NONE);
}

static void
test_apps(void)
{
	struct app_rec a, b;
	char name[STORE_NAME_MAX];
	int n = 0;

	CHECK(store_app_create(st, "api", &a) == 0 && a.current_release == 0);
	CHECK(store_app_create(st, "api", &b) == -1);
	CHECK(store_app_rename(st, a.id, "api2") == 0);
	CHECK(store_app_get(st, "api", &b) == STORE_NOTFOUND);
	CHECK(store_app_get(st, "api2", &b) == 0 && b.id == a.id);
	CHECK(store_app_name(st, a.id, name, sizeof(name)) == 0 &&
	    strcmp(name, "api2") == 0);
	CHECK(store_app_each(st, count_app, &n) == 0 && n == 2);
	CHECK(store_app_delete(st, a.id) == 0);
	CHECK(store_app_get(st, "api2", &b) == STORE_NOTFOUND);
}

static void
test_releases_and_deploys(struct app_rec *a)
{
	struct release_rec rel = { .app_id = a->id }, got;
	int64_t d1, d2;
	char *log = NULL;
	int v, n = 0;

	CHECK(store_release_next(st, a->id, &v) == 0 && v == 1);
	rel.version = 1;
	snprintf(rel.commit, sizeof(rel.commit), OID);
	snprintf(rel.buildpack, sizeof(rel.buildpack), "static");
	snprintf(rel.static_root, sizeof(rel.static_root), "public");
	CHECK(store_release_add(st, &rel) == 0);
	CHECK(store_release_add(st, &rel) == -1); /* (app, version) once */
	rel.version = 2;
	CHECK(store_release_add(st, &rel) == 0);
	CHECK(store_release_next(st, a->id, &v) == 0 && v == 3);
	CHECK(store_release_get(st, a->id, 1, &got) == 0 &&
	    strcmp(got.static_root, "public") == 0 &&
	    strcmp(got.commit, OID) == 0);
	CHECK(store_release_get(st, a->id, 9, &got) == STORE_NOTFOUND);
	CHECK(store_release_each(st, a->id, count_rel, &n) == 0 && n == 2);
	CHECK(store_app_set_current(st, a->id, 2) == 0);
	CHECK(store_app_get(st, a->name, a) == 0 && a->current_release == 2);
	CHECK(store_release_delete(st, a->id, 1) == 0);
	CHECK(store_release_get(st, a->id, 1, &got) == STORE_NOTFOUND);

	CHECK(store_deploy_start(st, a->id, "push", OID, &d1) == 0);
	CHECK(store_deploy_finish(st, d1, "succeeded", 2, "", 1200,
	    "-----> built\n") == 0);
	CHECK(store_deploy_start(st, a->id, "push", OID, &d2) == 0 && d2 > d1);
	CHECK(store_deploy_interrupted(st, a->id) == 0); /* d2 was running */
	n = 0;
	CHECK(store_deploy_each(st, a->id, 1, count_dep, &n) == 0 && n == 1);
	n = 0;
	CHECK(store_deploy_each(st, a->id, 10, count_dep, &n) == 0 && n == 2);
	CHECK(store_deploy_log(st, a->id, d1, &log) == 0 &&
	    strcmp(log, "-----> built\n") == 0);
	free(log);
	log = NULL;
	CHECK(store_deploy_log(st, a->id + 100, d1, &log) != 0); /* not its app */
	free(log);
}

static void
test_config_and_domains(const struct app_rec *a, const struct app_rec *b)
{
	char owner[STORE_NAME_MAX];
	int n = 0;

	CHECK(store_config_set(st, a->id, "FOO", "x\0y", 3) == 0);
	CHECK(store_config_set(st, a->id, "FOO", "z", 1) == 0); /* replaced */
	CHECK(store_config_set(st, a->id, "BAR", "1", 1) == 0);
	CHECK(store_config_each(st, a->id, count_var, &n) == 0 && n == 2);
	CHECK(store_config_unset(st, a->id, "FOO") == 0);
	n = 0;
	CHECK(store_config_each(st, a->id, count_var, &n) == 0 && n == 1);

	CHECK(store_domain_add(st, a->id, "shop.example.com") == 0);
	CHECK(store_domain_add(st, b->id, "shop.example.com") == -1);
	CHECK(store_domain_owner(st, "shop.example.com", owner,
	    sizeof(owner)) == 0 && strcmp(owner, a->name) == 0);
	CHECK(store_domain_owner(st, "none.example.com", owner,
	    sizeof(owner)) == STORE_NOTFOUND);
	n = 0;
	CHECK(store_domain_each(st, a->id, count_dom, &n) == 0 && n == 1);
	CHECK(store_domain_remove(st, a->id, "shop.example.com") == 0);
	CHECK(store_domain_add(st, b->id, "shop.example.com") == 0);
}

/* A swap: the new set becomes running and the old draining, in one go;
 * undo puts back exactly that. */
static void
test_processes(const struct app_rec *a)
{
	struct proc_rec p[3], got;
	int64_t ids[2], old[1];
	int ports[8], c, n = 0;
	size_t np;

	for (int i = 0; i < 3; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].app_id = a->id;
		p[i].release = i == 0 ? 1 : 2;
		snprintf(p[i].type, sizeof(p[i].type), "web");
		p[i].idx = i == 0 ? 1 : i;
		p[i].port = 41000 + i;
		snprintf(p[i].state, sizeof(p[i].state), "%s", i == 0 ?
		    "running" : "starting");
		CHECK(store_proc_add(st, &p[i]) == 0 && p[i].id > 0);
	}
	CHECK(store_proc_set_shim(st, p[1].id, 4242) == 0);
	CHECK(store_proc_get(st, p[1].id, &got) == 0 && got.shim_pid == 4242 &&
	    got.port == 41001);
	CHECK(store_web_ports(st, a->id, 2, ports, 8, &np) == 0 && np == 1 &&
	    ports[0] == 41000);
	old[0] = p[0].id;
	ids[0] = p[1].id;
	ids[1] = p[2].id;
	CHECK(store_proc_promote(st, ids, 2, old, 1, 0) == 0);
	CHECK(store_web_ports(st, a->id, 2, ports, 8, &np) == 0 && np == 2 &&
	    ports[0] == 41001 && ports[1] == 41002);
	CHECK(store_proc_each(st, a->id, "draining", count_proc, &n) == 0 &&
	    n == 1);
	CHECK(store_proc_promote(st, ids, 2, old, 1, 1) == 0);
	CHECK(store_proc_get(st, p[0].id, &got) == 0 &&
	    strcmp(got.state, "running") == 0);
	CHECK(store_proc_get(st, p[1].id, &got) == 0 &&
	    strcmp(got.state, "starting") == 0);
	CHECK(store_proc_delete(st, p[2].id) == 0);
	CHECK(store_proc_get(st, p[2].id, &got) == STORE_NOTFOUND);
	n = 0;
	CHECK(store_proc_each(st, 0, NULL, count_proc, &n) == 0 && n == 2);

	CHECK(store_formation_get(st, a->id, "web", &c) == STORE_NOTFOUND);
	CHECK(store_formation_set(st, a->id, "web", 3) == 0);
	CHECK(store_formation_set(st, a->id, "web", 2) == 0);
	CHECK(store_formation_get(st, a->id, "web", &c) == 0 && c == 2);
}

static void
test_state_and_audit(const struct app_rec *a)
{
	char val[16];
	int n = 0;

	for (int i = 0; i < REPAIRS_KEEP + 5; i++)
		CHECK(store_repair_add(st, i % 2 ? a->name : "", "restarted",
		    1) == 0);
	CHECK(store_repair_each(st, 1000, count_rep, &n) == 0 &&
	    n == REPAIRS_KEEP);
	CHECK(store_setting_get(st, "x", val, sizeof(val)) == STORE_NOTFOUND);
	CHECK(store_setting_set(st, "x", "1") == 0 &&
	    store_setting_set(st, "x", "2") == 0);
	CHECK(store_setting_get(st, "x", val, sizeof(val)) == 0 &&
	    strcmp(val, "2") == 0);

	CHECK(store_audit(st, "SHA256:root", a->name, "ps web", "ok", 1) == 0);
	CHECK(store_audit(st, "SHA256:root", NULL, "keys", "ok", 1) == 0);
	CHECK(store_audit(st, "local", "other", "ps other", "exit 1", 1) == 0);
	n = 0;
	CHECK(store_audit_each(st, a->name, 10, count_aud, &n) == 0 && n == 1);
	n = 0;
	CHECK(store_audit_each(st, NULL, 10, count_aud, &n) == 0 && n == 3);
	n = 0;
	CHECK(store_audit_each(st, NULL, 2, count_aud, &n) == 0 && n == 2);
}

int
main(void)
{
	struct app_rec a, b;
	char err[256];

	if (store_open(&st, ":memory:", err, sizeof(err)) != 0) {
		fprintf(stderr, "cannot open the store: %s\n", err);
		CHECK(0);
		return unit_done();
	}
	test_keys_and_roles();
	test_apps();
	CHECK(store_app_create(st, "shop", &a) == 0);
	CHECK(store_app_create(st, "blog", &b) == 0);
	test_releases_and_deploys(&a);
	test_config_and_domains(&a, &b);
	test_processes(&a);
	test_state_and_audit(&a);
	/* deleting an app takes its rows along */
	CHECK(store_app_delete(st, a.id) == 0);
	{
		struct release_rec rel;
		int n = 0;
		CHECK(store_release_get(st, a.id, 2, &rel) == STORE_NOTFOUND);
		CHECK(store_proc_each(st, a.id, NULL, count_proc, &n) == 0 &&
		    n == 0);
	}
	store_close(st);
	return unit_done();
}
