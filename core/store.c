/*
 * store.c - the sqlite state file: opening (WAL, busy timeout, foreign keys),
 * versioned migrations, and the queries for keys, apps, roles and audit.
 * See store.h.  Each migration is one SQL script applied in a transaction
 * together with the bump of PRAGMA user_version, so a crash leaves either the
 * old or the new schema.
 */
#include "core/store_int.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

static const char *const migrations[] = {
	/* 1: the foundation */
	"CREATE TABLE apps ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE keys ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  fingerprint TEXT NOT NULL UNIQUE,"
	"  type TEXT NOT NULL,"
	"  blob TEXT NOT NULL,"
	"  is_admin INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE key_app_roles ("
	"  key_id INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,"
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  role INTEGER NOT NULL,"
	"  PRIMARY KEY (key_id, app_id));"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  fingerprint TEXT NOT NULL,"
	"  app TEXT,"
	"  command TEXT NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  duration_ms INTEGER NOT NULL);"
	"CREATE INDEX audit_app ON audit(app, at);",
	/* 2: releases, deploys, config vars */
	"ALTER TABLE apps ADD COLUMN current_release INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE releases ("
	"  id INTEGER PRIMARY KEY,"
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  version INTEGER NOT NULL,"
	"  commit_id TEXT NOT NULL,"
	"  buildpack TEXT NOT NULL,"
	"  process_types TEXT NOT NULL,"
	"  static_root TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  build_ms INTEGER NOT NULL,"
	"  UNIQUE (app_id, version));"
	"CREATE TABLE deploys ("
	"  id INTEGER PRIMARY KEY,"
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"
	"  commit_id TEXT NOT NULL,"
	"  release_version INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  started_at INTEGER NOT NULL,"
	"  duration_ms INTEGER NOT NULL DEFAULT 0,"
	"  log TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX deploys_app ON deploys(app_id, id);"
	"CREATE TABLE config_vars ("
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value BLOB NOT NULL,"
	"  PRIMARY KEY (app_id, name));",
	/* 3: domains, and the ports of running processes */
	"CREATE TABLE domains ("
	"  id INTEGER PRIMARY KEY,"
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  domain TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE processes ("
	"  id INTEGER PRIMARY KEY,"
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  release_version INTEGER NOT NULL,"
	"  type TEXT NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  port INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL,"
	"  shim_pid INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE formation ("
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  type TEXT NOT NULL,"
	"  count INTEGER NOT NULL,"
	"  PRIMARY KEY (app_id, type));"
	"CREATE INDEX processes_app ON processes(app_id, release_version);",
	/* 4: app ids are never reused (an app's uid is app_uid_base + id, and
	 * files the old uid left outside the data dir must not pass to a new
	 * app): a high-water mark, started from the ids in use, that every
	 * insert moves up.  Existing apps keep their ids. */
	"CREATE TABLE app_ids (last INTEGER NOT NULL);"
	"INSERT INTO app_ids SELECT coalesce(max(id), 0) FROM apps;"
	"CREATE TRIGGER app_ids_last AFTER INSERT ON apps"
	"  BEGIN UPDATE app_ids SET last = NEW.id WHERE NEW.id > last; END;",
	/* 5: what berth serve repaired by itself, and what it must remember
	 * across starts (the app_uid_base the files belong to) */
	"CREATE TABLE repairs ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  app TEXT NOT NULL DEFAULT '',"
	"  what TEXT NOT NULL,"
	"  ok INTEGER NOT NULL);"
	"CREATE TABLE settings ("
	"  name TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL);",
	/* 6: each app's stable upstream port, the one the proxy names for
	 * it; every release's web processes join it (run/relay.h) */
	"ALTER TABLE apps ADD COLUMN upstream_port INTEGER NOT NULL DEFAULT 0;",
	/* 7: deploys numbered per app (1 is an app's first), as users name
	 * them; the global id stays the key */
	"ALTER TABLE deploys ADD COLUMN number INTEGER NOT NULL DEFAULT 0;"
	"UPDATE deploys SET number = (SELECT count(*) FROM deploys d2"
	"  WHERE d2.app_id = deploys.app_id AND d2.id <= deploys.id);"
	"CREATE INDEX deploys_number ON deploys(app_id, number);",
	/* 8: maintenance mode (the proxy answers 503 with a page) */
	"ALTER TABLE apps ADD COLUMN maintenance INTEGER NOT NULL DEFAULT 0;",
	/* 9: preview deploys (core/store_preview.c): a preview is an app row
	 * of its own, the child of the app whose branch it deploys */
	"CREATE TABLE previews ("
	"  app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,"
	"  parent_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  branch TEXT NOT NULL,"
	"  pushed_at INTEGER NOT NULL,"
	"  UNIQUE (parent_id, branch));"
	"CREATE TABLE preview_settings ("
	"  app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,"
	"  pattern TEXT NOT NULL);",
	/* 10: scheduled jobs' state (core/store_cron.c) and what each deploy's
	 * hooks did */
	"CREATE TABLE cron_jobs ("
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  last_run INTEGER NOT NULL DEFAULT 0,"
	"  last_exit INTEGER NOT NULL DEFAULT -1,"
	"  last_ms INTEGER NOT NULL DEFAULT 0,"
	"  running_pid INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (app_id, name));"
	"ALTER TABLE deploys ADD COLUMN hooks TEXT NOT NULL DEFAULT '';",
	/* 11: the dashboard's login links and sessions (web/), by the sha256
	 * of their token only; a removed key takes its sessions along */
	"CREATE TABLE dash_tokens ("
	"  hash TEXT PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  key_id INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL);",
	/* 12: deploys from a Git host (issue 23): an app's source (apps:source),
	 * its webhook secret (sealed, core/secret.h) and the deliveries seen
	 * (replays ignored, a rate per app); deploys.kind gains "pull" and
	 * "webhook" beside "push" and "rollback" */
	"CREATE TABLE app_sources ("
	"  app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,"
	"  url TEXT NOT NULL,"
	"  branch TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE webhook_secrets ("
	"  app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,"
	"  secret BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE webhook_deliveries ("
	"  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
	"  delivery TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (app_id, delivery));"
	"CREATE INDEX webhook_deliveries_at ON webhook_deliveries(app_id, at);",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int store_migrate(struct store *st);

const char *
store_migration(int version)
{
	return version >= 1 && version <= NMIGRATIONS ? migrations[version - 1] :
	    NULL;
}
static int store_exec(struct store *st, const char *sql);
static void key_from_row(sqlite3_stmt *s, struct key_rec *k);

#define STORE_BUSY_MS 10000 /* how long a store waits for a writer */

/*
 * While another process writes (a push's connection, a repair pass, the
 * web endpoint: each its own process), wait for the database in short
 * steps: 0.1, 0.2, 0.4 ... 3.2 ms, then every 3.2 ms, up to 10 s.
 * sqlite's own busy timeout sleeps 1, 2, 5, 10 ... 100 ms, so a writer
 * that holds the lock for 2 ms could keep the next one idle for 8 more:
 * four pushes at once spent a third of their time above what their CPU
 * needed.
 */
static int
store_busy(void *arg, int count)
{
	long us = count < 5 ? 100L << count : 3200L;

	(void)arg;
	if (count >= 5 + STORE_BUSY_MS * 1000 / 3200)
		return 0;
	(void)usleep((useconds_t)us);
	return 1;
}

int
store_open(struct store **out, const char *path, char *err, size_t errlen)
{
	struct store *st;
	int persist = 1, rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database '%s': %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		store_close(st);
		return -1;
	}
	/* the WAL and its index stay when the last connection closes
	 * (emptied, not deleted): every connection and chore is a process
	 * of its own, and each would otherwise create both files again (a
	 * database in memory has no file: SQLITE_NOTFOUND) */
	rc = sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL,
	    &persist);
	if ((rc != SQLITE_OK && rc != SQLITE_NOTFOUND) ||
	    sqlite3_busy_handler(st->db, store_busy, NULL) != SQLITE_OK ||
	    store_exec(st, "PRAGMA journal_mode=WAL;") == -1 ||
	    store_exec(st, "PRAGMA journal_size_limit=0;") == -1 ||
	    store_exec(st, "PRAGMA foreign_keys=ON;") == -1 ||
	    store_exec(st, "PRAGMA synchronous=NORMAL;") == -1 ||
	    store_migrate(st) == -1) {
		snprintf(err, errlen, "database '%s': %s", path, st->err);
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st);
}

const char *
store_error(const struct store *st)
{
	return st->err;
}

int
store_schema_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (store_prepare(st, "PRAGMA user_version;", &s) == -1)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int
store_migrate(struct store *st)
{
	char bump[64];
	int v;

	if ((v = store_schema_version(st)) < 0)
		return -1;
	if (v > NMIGRATIONS) {
		snprintf(st->err, sizeof(st->err),
		    "schema version %d is newer than this berth (%d)", v,
		    NMIGRATIONS);
		return -1;
	}
	for (; v < NMIGRATIONS; v++) {
		snprintf(bump, sizeof(bump), "PRAGMA user_version=%d;", v + 1);
		if (store_exec(st, "BEGIN IMMEDIATE;") == -1)
			return -1;
		if (store_exec(st, migrations[v]) == -1 ||
		    store_exec(st, bump) == -1 ||
		    store_exec(st, "COMMIT;") == -1) {
			(void)sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

int
store_fail(struct store *st, const char *what)
{
	snprintf(st->err, sizeof(st->err), "%s: %s", what,
	    sqlite3_errmsg(st->db));
	return -1;
}

static int
store_exec(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->err, sizeof(st->err), "%s",
		    msg ? msg : "sqlite error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_prepare(struct store *st, const char *sql, sqlite3_stmt **out)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
		return store_fail(st, "prepare");
	return 0;
}

int
store_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		store_fail(st, what);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

int
store_next(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		store_fail(st, what);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_end(sqlite3_stmt *s)
{
	sqlite3_finalize(s);
	return 0;
}

void
store_copy_text(char *dst, size_t len, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

#define KEY_COLS "id, name, fingerprint, type, blob, is_admin, created_at"

static void
key_from_row(sqlite3_stmt *s, struct key_rec *k)
{
	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(s, 0);
	store_copy_text(k->name, sizeof(k->name), s, 1);
	store_copy_text(k->fingerprint, sizeof(k->fingerprint), s, 2);
	store_copy_text(k->type, sizeof(k->type), s, 3);
	store_copy_text(k->blob, sizeof(k->blob), s, 4);
	k->is_admin = sqlite3_column_int(s, 5);
	k->created_at = sqlite3_column_int64(s, 6);
}

int
store_key_add(struct store *st, const struct key_rec *k)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO keys (name, fingerprint, type, blob,"
	    " is_admin, created_at) VALUES (?, ?, ?, ?, ?, ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, k->name, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 2, k->fingerprint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 3, k->type, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 4, k->blob, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(s, 5, k->is_admin ? 1 : 0) ||
	    sqlite3_bind_int64(s, 6, (sqlite3_int64)time(NULL))) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "add key");
}

static int
key_lookup(struct store *st, const char *sql, const char *arg,
    struct key_rec *out)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, sql, &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		key_from_row(s, out);
	else if (rc != SQLITE_DONE)
		store_fail(st, "look up key");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOTFOUND : -1;
}

int
store_key_by_fingerprint(struct store *st, const char *fp, struct key_rec *out)
{
	return key_lookup(st, "SELECT " KEY_COLS " FROM keys WHERE"
	    " fingerprint = ?;", fp, out);
}

int
store_key_by_name(struct store *st, const char *name, struct key_rec *out)
{
	return key_lookup(st, "SELECT " KEY_COLS " FROM keys WHERE name = ?;",
	    name, out);
}

int
store_key_each(struct store *st, int (*fn)(void *, const struct key_rec *),
    void *arg)
{
	sqlite3_stmt *s;
	struct key_rec k;
	int rc;

	if (store_prepare(st, "SELECT " KEY_COLS " FROM keys ORDER BY name;",
	    &s) == -1)
		return -1;
	while ((rc = store_next(st, s, "list keys")) == 1) {
		key_from_row(s, &k);
		if (fn(arg, &k) != 0)
			return store_end(s);
	}
	return rc;
}

static int
store_exec_int64(struct store *st, const char *sql, int64_t a, int64_t b,
    int64_t c, int nargs, const char *what)
{
	sqlite3_stmt *s;
	int64_t v[3] = { a, b, c };

	if (store_prepare(st, sql, &s) == -1)
		return -1;
	for (int i = 0; i < nargs; i++)
		if (sqlite3_bind_int64(s, i + 1, v[i]) != SQLITE_OK) {
			sqlite3_finalize(s);
			return store_fail(st, "bind");
		}
	return store_done(st, s, what);
}

int
store_key_remove(struct store *st, int64_t id)
{
	return store_exec_int64(st, "DELETE FROM keys WHERE id = ?;", id, 0, 0,
	    1, "remove key");
}

int
store_admin_count(struct store *st, int *count)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "SELECT count(*) FROM keys WHERE is_admin = 1;",
	    &s) == -1)
		return -1;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return store_fail(st, "count admins");
	}
	*count = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

int
store_app_create(struct store *st, const char *name, struct app_rec *out)
{
	sqlite3_stmt *s;

	/* the next id above every id ever used (migration 4) */
	if (store_prepare(st, "INSERT INTO apps (id, name, created_at) VALUES"
	    " ((SELECT last + 1 FROM app_ids), ?, ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL))) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if (store_done(st, s, "create app") == -1)
		return -1;
	return store_app_get(st, name, out);
}

int
store_app_get(struct store *st, const char *name, struct app_rec *out)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT id, name, created_at, current_release,"
	    " maintenance, coalesce((SELECT parent_id FROM previews p WHERE"
	    " p.app_id = apps.id), 0) FROM apps WHERE name = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		store_copy_text(out->name, sizeof(out->name), s, 1);
		out->created_at = sqlite3_column_int64(s, 2);
		out->current_release = sqlite3_column_int(s, 3);
		out->maintenance = sqlite3_column_int(s, 4);
		out->parent_id = sqlite3_column_int64(s, 5);
	} else if (rc != SQLITE_DONE) {
		store_fail(st, "look up app");
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOTFOUND : -1;
}

int
store_app_set_maintenance(struct store *st, int64_t id, int on)
{
	return store_exec_int64(st, "UPDATE apps SET maintenance = ? WHERE"
	    " id = ?;", on ? 1 : 0, id, 0, 2, "set maintenance");
}

int
store_app_delete(struct store *st, int64_t id)
{
	return store_exec_int64(st, "DELETE FROM apps WHERE id = ?;", id, 0, 0,
	    1, "delete app");
}

int
store_app_rename(struct store *st, int64_t id, const char *name)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "UPDATE apps SET name = ? WHERE id = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 2, id)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "rename app");
}

int
store_app_name(struct store *st, int64_t id, char *out, size_t len)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT name FROM apps WHERE id = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_copy_text(out, len, s, 0);
	else if (rc != SQLITE_DONE)
		store_fail(st, "look up app");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOTFOUND : -1;
}

int
store_app_each(struct store *st, int (*fn)(void *, const struct app_rec *),
    void *arg)
{
	sqlite3_stmt *s;
	struct app_rec a;
	int rc;

	if (store_prepare(st, "SELECT id, name, created_at, current_release,"
	    " maintenance, coalesce((SELECT parent_id FROM previews p WHERE"
	    " p.app_id = apps.id), 0) FROM apps ORDER BY name;", &s) == -1)
		return -1;
	while ((rc = store_next(st, s, "list apps")) == 1) {
		a.id = sqlite3_column_int64(s, 0);
		store_copy_text(a.name, sizeof(a.name), s, 1);
		a.created_at = sqlite3_column_int64(s, 2);
		a.current_release = sqlite3_column_int(s, 3);
		a.maintenance = sqlite3_column_int(s, 4);
		a.parent_id = sqlite3_column_int64(s, 5);
		if (fn(arg, &a) != 0)
			return store_end(s);
	}
	return rc;
}

int
store_role_set(struct store *st, int64_t key_id, int64_t app_id, enum role r)
{
	return store_exec_int64(st, "INSERT INTO key_app_roles (key_id, app_id,"
	    " role) VALUES (?, ?, ?) ON CONFLICT (key_id, app_id) DO UPDATE"
	    " SET role = excluded.role;", key_id, app_id, r, 3, "grant");
}

int
store_role_remove(struct store *st, int64_t key_id, int64_t app_id)
{
	return store_exec_int64(st, "DELETE FROM key_app_roles WHERE key_id = ?"
	    " AND app_id = ?;", key_id, app_id, 0, 2, "revoke");
}

int
store_role_get(struct store *st, const struct key_rec *k, int64_t app_id,
    enum role *out)
{
	sqlite3_stmt *s;
	int rc;

	*out = ROLE_NONE;
	if (k->is_admin) {
		*out = ROLE_SERVER_ADMIN;
		return 0;
	}
	if (store_prepare(st, "SELECT role FROM key_app_roles WHERE key_id = ?"
	    " AND app_id = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, k->id) || sqlite3_bind_int64(s, 2, app_id)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int r = sqlite3_column_int(s, 0);
		*out = r == ROLE_APP_ADMIN ? ROLE_APP_ADMIN : r == ROLE_DEPLOYER ?
		    ROLE_DEPLOYER : ROLE_NONE;
	} else if (rc != SQLITE_DONE) {
		store_fail(st, "look up role");
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
store_audit(struct store *st, const char *fingerprint, const char *app,
    const char *command, const char *outcome, int64_t duration_ms)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO audit (at, fingerprint, app, command,"
	    " outcome, duration_ms) VALUES (?, ?, ?, ?, ?, ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL)) ||
	    sqlite3_bind_text(s, 2, fingerprint, -1, SQLITE_STATIC) ||
	    (app ? sqlite3_bind_text(s, 3, app, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(s, 3)) ||
	    sqlite3_bind_text(s, 4, command, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 5, outcome, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 6, duration_ms)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "audit");
}

int
store_audit_each(struct store *st, const char *app, int limit,
    int (*fn)(void *, const struct audit_rec *), void *arg)
{
	struct audit_rec r;
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT a.id, a.at, a.duration_ms, a.fingerprint,"
	    " coalesce(k.name, ''), coalesce(a.app, ''), a.command, a.outcome"
	    " FROM audit a LEFT JOIN keys k ON k.fingerprint = a.fingerprint"
	    " WHERE (?1 IS NULL OR a.app = ?1) ORDER BY a.id DESC LIMIT ?2;",
	    &s) == -1)
		return -1;
	if ((app ? sqlite3_bind_text(s, 1, app, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(s, 1)) || sqlite3_bind_int(s, 2, limit)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	while ((rc = store_next(st, s, "read audit")) == 1) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.at = sqlite3_column_int64(s, 1);
		r.duration_ms = sqlite3_column_int64(s, 2);
		store_copy_text(r.fingerprint, sizeof(r.fingerprint), s, 3);
		store_copy_text(r.key, sizeof(r.key), s, 4);
		store_copy_text(r.app, sizeof(r.app), s, 5);
		store_copy_text(r.command, sizeof(r.command), s, 6);
		store_copy_text(r.outcome, sizeof(r.outcome), s, 7);
		if (fn(arg, &r) != 0)
			return store_end(s);
	}
	return rc;
}
