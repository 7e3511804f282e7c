/*
 * test_store_migrate.c - core/store.c's migrations: a database at every
 * older schema version (0 .. latest - 1, built with the very scripts
 * store_migration hands out, then filled with rows of what that version
 * has) opens at the latest version with every row intact and usable
 * through the store's queries; opening again changes nothing; a database
 * from a newer berth is refused.  On a real sqlite file in /tmp.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/store_int.h"
#include "core/store_preview.h"
#include "tests/unit/unit.h"

#define OID "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static char db[64];

/* Rows for the tables each version brings. */
static const char *const fixtures[] = {
	/* 1 */
	"INSERT INTO apps (id, name, created_at) VALUES (1, 'alpha', 0),"
	" (5, 'beta', 0);"
	"INSERT INTO keys VALUES (1, 'ann', 'SHA256:ann', 'ssh-ed25519', 'AAAA',"
	" 0, 0), (2, 'root', 'SHA256:root', 'ssh-ed25519', 'BBBB', 1, 0);"
	"INSERT INTO key_app_roles VALUES (1, 1, 2);"
	"INSERT INTO audit (at, fingerprint, app, command, outcome, duration_ms)"
	" VALUES (1, 'SHA256:ann', 'alpha', 'releases alpha', 'ok', 3);",
	/* 2 */
	"UPDATE apps SET current_release = 1 WHERE id = 1;"
	"INSERT INTO releases (app_id, version, commit_id, buildpack,"
	" process_types, static_root, created_at, build_ms) VALUES (1, 1, '"
	OID "', 'procfile', 'web: ./web\n', '', 0, 7);"
	"INSERT INTO deploys (app_id, kind, commit_id, release_version, status,"
	" started_at, log) VALUES (1, 'push', '" OID "', 1, 'succeeded', 0,"
	" 'built');"
	"INSERT INTO config_vars VALUES (1, 'FOO', x'736561');",
	/* 3 */
	"INSERT INTO domains (app_id, domain, created_at) VALUES (1,"
	" 'alpha.example.com', 0);"
	"INSERT INTO processes (app_id, release_version, type, idx, port, state)"
	" VALUES (1, 1, 'web', 1, 41000, 'running');"
	"INSERT INTO formation VALUES (1, 'web', 2);",
	/* 4: no new table that holds data of its own */
	"",
	/* 5 */
	"INSERT INTO repairs (at, app, what, ok) VALUES (1, 'alpha',"
	" 'restarted web.1', 1);"
	"INSERT INTO settings VALUES ('app_uid_base', '2000000000');",
	/* 6 */
	"UPDATE apps SET upstream_port = 20001 WHERE id = 1;",
	/* 7: from here on berth numbers each deploy as it records it (older
	 * databases get their numbers from the migration) */
	"UPDATE deploys SET number = 1 WHERE app_id = 1;",
	/* 8 */
	"UPDATE apps SET maintenance = 1 WHERE id = 1;",
	/* 9: beta is the preview of alpha's branch feat */
	"INSERT INTO previews VALUES (5, 1, 'feat', 3);"
	"INSERT INTO preview_settings VALUES (1, 'fe*');",
	/* 10 */
	"INSERT INTO cron_jobs (app_id, name, last_run, last_exit) VALUES"
	" (1, 'cron-tick', 5, 0);",
	/* 11: a dashboard session of key 1 (its sha256 only) */
	"INSERT INTO dash_tokens VALUES ('00ff', 'session', 1, 0,"
	" 4102444800);",
	/* 12 */
	"INSERT INTO app_sources VALUES (1, 'https://example.com/a.git', 'main',"
	" 0);"
	"INSERT INTO webhook_deliveries VALUES (1, 'd-1', 100);",
};
#define NFIXTURES ((int)(sizeof(fixtures) / sizeof(fixtures[0])))

static int
latest(void)
{
	int n = 0;

	while (store_migration(n + 1) != NULL)
		n++;
	return n;
}

static void
remove_db(void)
{
	char p[80];

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", db, (const char *[]){ "", "-wal",
		    "-shm" }[i]);
		unlink(p);
	}
}

/* A database at schema version v, with the fixtures of 1..v. */
static int
make_at(int v)
{
	char bump[64], *msg = NULL;
	sqlite3 *h;
	int rc = SQLITE_OK;

	remove_db();
	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	for (int i = 1; i <= v && rc == SQLITE_OK; i++)
		rc = sqlite3_exec(h, store_migration(i), NULL, NULL, &msg);
	for (int i = 1; i <= v && rc == SQLITE_OK; i++)
		rc = sqlite3_exec(h, fixtures[i - 1], NULL, NULL, &msg);
	snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;", v);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, bump, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "  schema %d: %s\n", v, msg ? msg : "?");
	sqlite3_free(msg);
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

static int
count_audit(void *arg, const struct audit_rec *a)
{
	CHECK(strcmp(a->command, "releases alpha") == 0 &&
	    strcmp(a->key, "ann") == 0);
	++*(int *)arg;
	return 0;
}

static int
count_deploy(void *arg, const struct deploy_rec *d)
{
	CHECK(d->release == 1 && strcmp(d->status, "succeeded") == 0);
	++*(int *)arg;
	return 0;
}

static int
count_repair(void *arg, const struct repair_rec *r)
{
	(void)r;
	++*(int *)arg;
	return 0;
}

static int
check_var(void *arg, const char *name, const void *value, size_t len)
{
	CHECK(strcmp(name, "FOO") == 0 && len == 3 &&
	    memcmp(value, "sea", 3) == 0);
	++*(int *)arg;
	return 0;
}

/* The rows of version 1 (and the id rule of 4), through the store. */
static void
check_v1(struct store *st)
{
	struct app_rec a, g;
	struct key_rec k;
	enum role r;
	int n = 0;

	CHECK(store_app_get(st, "alpha", &a) == 0 && a.id == 1);
	CHECK(store_app_get(st, "beta", &a) == 0 && a.id == 5);
	CHECK(store_key_by_name(st, "ann", &k) == 0 && !k.is_admin);
	CHECK(store_role_get(st, &k, 1, &r) == 0 && r == ROLE_APP_ADMIN);
	CHECK(store_role_get(st, &k, 5, &r) == 0 && r == ROLE_NONE);
	CHECK(store_key_by_fingerprint(st, "SHA256:root", &k) == 0 &&
	    k.is_admin);
	CHECK(store_admin_count(st, &n) == 0 && n == 1);
	n = 0;
	CHECK(store_audit_each(st, "alpha", 10, count_audit, &n) == 0 && n == 1);
	/* a new app's id is above every id in use */
	CHECK(store_app_create(st, "gamma", &g) == 0 && g.id == 6);
}

/* Migration 9's preview rows (core/store_preview.h), or that they work. */
static void
check_previews(struct store *st, int v)
{
	struct preview_rec p;
	struct app_rec b;
	char pattern[PREVIEW_PATTERN_MAX];

	if (v < 9) {
		CHECK(store_app_get(st, "beta", &b) == 0 && b.parent_id == 0);
		CHECK(store_previews_pattern(st, 1, pattern, sizeof(pattern)) ==
		    STORE_NOTFOUND);
		CHECK(store_previews_enable(st, 1, "fe*") == 0);
		CHECK(store_preview_add(st, 5, 1, "feat") == 0);
	}
	CHECK(store_app_get(st, "beta", &b) == 0 && b.parent_id == 1);
	CHECK(store_previews_pattern(st, 1, pattern, sizeof(pattern)) == 0 &&
	    strcmp(pattern, "fe*") == 0);
	CHECK(store_preview_get(st, 1, "feat", &p) == 0 && p.app_id == 5 &&
	    strcmp(p.name, "beta") == 0);
	CHECK(store_preview_get(st, 1, "other", &p) == STORE_NOTFOUND);
}

/* Migration 12: an app's source and the webhook deliveries it has seen. */
static void
check_sources(struct store *st, int v)
{
	struct source_rec src;
	int n;

	if (v >= 12) {
		CHECK(store_source_get(st, 1, &src) == 0 &&
		    strcmp(src.url, "https://example.com/a.git") == 0 &&
		    strcmp(src.branch, "main") == 0);
		CHECK(store_delivery_add(st, 1, "d-1", 200, 0) == 0); /* a replay */
	} else {
		CHECK(store_source_get(st, 1, &src) == STORE_NOTFOUND);
		CHECK(store_source_set(st, 1, "https://example.com/b.git", "dev") ==
		    0 && store_source_get(st, 1, &src) == 0 &&
		    strcmp(src.branch, "dev") == 0);
		CHECK(store_delivery_add(st, 1, "d-1", 200, 0) == 1);
	}
	CHECK(store_delivery_count(st, 1, 0, &n) == 0 && n == 1);
	CHECK(store_delivery_add(st, 1, "d-2", 300, 250) == 1 &&
	    store_delivery_count(st, 1, 0, &n) == 0 && n == 1); /* d-1 forgotten */
}

/* The rows of the later versions, or that their tables work when the old
 * database had none. */
static void
check_later(struct store *st, int v)
{
	struct release_rec rel;
	struct app_rec a;
	char app[STORE_NAME_MAX], val[32], *log = NULL;
	int ports[4], count, n = 0;
	size_t nports;

	CHECK(store_app_get(st, "alpha", &a) == 0);
	if (v >= 2) {
		CHECK(a.current_release == 1);
		CHECK(store_release_get(st, 1, 1, &rel) == 0 &&
		    strcmp(rel.buildpack, "procfile") == 0 && rel.build_ms == 7);
		CHECK(store_deploy_each(st, 1, 10, count_deploy, &n) == 0 &&
		    n == 1);
		n = 0;
		CHECK(store_config_each(st, 1, check_var, &n) == 0 && n == 1);
	} else {
		CHECK(a.current_release == 0);
	}
	if (v >= 3) {
		CHECK(store_domain_owner(st, "alpha.example.com", app,
		    sizeof(app)) == 0 && strcmp(app, "alpha") == 0);
		CHECK(store_web_ports(st, 1, 1, ports, 4, &nports) == 0 &&
		    nports == 1 && ports[0] == 41000);
		CHECK(store_formation_get(st, 1, "web", &count) == 0 &&
		    count == 2);
	} else {
		CHECK(store_domain_add(st, 1, "alpha.example.com") == 0);
	}
	check_previews(st, v);
	if (v >= 8) {
		CHECK(a.maintenance == 1);
	} else {
		CHECK(a.maintenance == 0);
		CHECK(store_app_set_maintenance(st, 1, 1) == 0 &&
		    store_app_get(st, "alpha", &a) == 0 && a.maintenance == 1);
	}
	if (v >= 10) {
		struct cron_rec cr;
		CHECK(store_cron_get(st, 1, "cron-tick", &cr) == 0 &&
		    cr.last_run == 5 && cr.last_exit == 0);
	}
	check_sources(st, v);
	if (v >= 6) {
		CHECK(store_app_upstream(st, 1, &count) == 0 && count == 20001);
	} else {
		CHECK(store_app_upstream(st, 1, &count) == 0 && count == 0);
		CHECK(store_app_set_upstream(st, 1, 20002) == 0 &&
		    store_app_upstream(st, 1, &count) == 0 && count == 20002);
	}
	if (v >= 5) {
		n = 0;
		CHECK(store_repair_each(st, 10, count_repair, &n) == 0 && n == 1);
		CHECK(store_setting_get(st, "app_uid_base", val,
		    sizeof(val)) == 0 && strcmp(val, "2000000000") == 0);
	} else {
		CHECK(store_setting_set(st, "app_uid_base", "7") == 0);
		CHECK(store_repair_add(st, "", "proxy restarted", 1) == 0);
	}
	/* deploys are numbered per app: the first is 1 (migration 7) */
	if (v >= 2)
		CHECK(store_deploy_log(st, 1, 1, &log) == 0 && log != NULL &&
		    strcmp(log, "built") == 0);
	free(log);
}

static void
test_from(int v, int last)
{
	struct store *st = NULL;
	char err[256];

	CHECK(make_at(v) == 0);
	if (store_open(&st, db, err, sizeof(err)) != 0) {
		fprintf(stderr, "  from schema %d: %s\n", v, err);
		CHECK(0);
		return;
	}
	CHECK(store_schema_version(st) == last);
	if (v >= 1) {
		check_v1(st);
		check_later(st, v);
	}
	store_close(st);
	/* opening a current database again is a no-op */
	CHECK(store_open(&st, db, err, sizeof(err)) == 0);
	if (st != NULL) {
		CHECK(store_schema_version(st) == last);
		store_close(st);
	}
}

static void
test_newer_refused(int last)
{
	struct store *st = NULL;
	char err[256] = "", bump[64];
	sqlite3 *h;

	CHECK(make_at(last) == 0);
	snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;", last + 1);
	CHECK(sqlite3_open(db, &h) == SQLITE_OK &&
	    sqlite3_exec(h, bump, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	CHECK(store_open(&st, db, err, sizeof(err)) == -1 && st == NULL);
	CHECK(strstr(err, "newer than this berth") != NULL);
}

int
main(void)
{
	int last = latest();

	snprintf(db, sizeof(db), "/tmp/test_store_migrate_%ld.db",
	    (long)getpid());
	/* a new migration needs its fixture here */
	CHECK(last == NFIXTURES);
	for (int v = 0; v <= last && v <= NFIXTURES; v++)
		test_from(v, last);
	test_newer_refused(last);
	remove_db();
	return unit_done();
}
