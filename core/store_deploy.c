/*
 * store_deploy.c - the rows of a deploy's life: releases (what was built
 * and can be made live again), deploys (every attempt, with outcome, reason,
 * duration and full log) and config vars (sealed values).  See store.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/store_int.h"

static int
bind_fail(struct store *st, sqlite3_stmt *s)
{
	sqlite3_finalize(s);
	return store_fail(st, "bind");
}

int
store_release_next(struct store *st, int64_t app_id, int *version)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "SELECT coalesce(max(version), 0) + 1 FROM"
	    " releases WHERE app_id = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK)
		return bind_fail(st, s);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return store_fail(st, "next release");
	}
	*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

int
store_release_add(struct store *st, const struct release_rec *r)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO releases (app_id, version, commit_id,"
	    " buildpack, process_types, static_root, created_at, build_ms)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, r->app_id) ||
	    sqlite3_bind_int(s, 2, r->version) ||
	    sqlite3_bind_text(s, 3, r->commit, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 4, r->buildpack, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 5, r->process_types, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 6, r->static_root, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 7, (sqlite3_int64)time(NULL)) ||
	    sqlite3_bind_int64(s, 8, r->build_ms))
		return bind_fail(st, s);
	return store_done(st, s, "add release");
}

#define RELEASE_COLS "app_id, version, commit_id, buildpack, process_types," \
	" static_root, created_at, build_ms"

static void
release_from_row(sqlite3_stmt *s, struct release_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->app_id = sqlite3_column_int64(s, 0);
	r->version = sqlite3_column_int(s, 1);
	store_copy_text(r->commit, sizeof(r->commit), s, 2);
	store_copy_text(r->buildpack, sizeof(r->buildpack), s, 3);
	store_copy_text(r->process_types, sizeof(r->process_types), s, 4);
	store_copy_text(r->static_root, sizeof(r->static_root), s, 5);
	r->created_at = sqlite3_column_int64(s, 6);
	r->build_ms = sqlite3_column_int64(s, 7);
}

int
store_release_get(struct store *st, int64_t app_id, int version,
    struct release_rec *out)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT " RELEASE_COLS " FROM releases WHERE"
	    " app_id = ? AND version = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) || sqlite3_bind_int(s, 2, version))
		return bind_fail(st, s);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		release_from_row(s, out);
	else if (rc != SQLITE_DONE)
		store_fail(st, "look up release");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOTFOUND : -1;
}

int
store_release_each(struct store *st, int64_t app_id,
    int (*fn)(void *, const struct release_rec *), void *arg)
{
	struct release_rec r;
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT " RELEASE_COLS " FROM releases WHERE"
	    " app_id = ? ORDER BY version DESC;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK)
		return bind_fail(st, s);
	while ((rc = store_next(st, s, "list releases")) == 1) {
		release_from_row(s, &r);
		if (fn(arg, &r) != 0)
			return store_end(s);
	}
	return rc;
}

int
store_app_set_current(struct store *st, int64_t app_id, int version)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "UPDATE apps SET current_release = ? WHERE"
	    " id = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int(s, 1, version) || sqlite3_bind_int64(s, 2, app_id))
		return bind_fail(st, s);
	return store_done(st, s, "set current release");
}

int
store_release_delete(struct store *st, int64_t app_id, int version)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "DELETE FROM releases WHERE app_id = ? AND"
	    " version = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) || sqlite3_bind_int(s, 2, version))
		return bind_fail(st, s);
	return store_done(st, s, "delete release");
}

int
store_deploy_start(struct store *st, int64_t app_id, const char *kind,
    const char *commit, int64_t *id)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO deploys (app_id, kind, commit_id,"
	    " status, started_at, number) VALUES (?1, ?2, ?3, 'running', ?4,"
	    " (SELECT coalesce(max(number), 0) + 1 FROM deploys WHERE"
	    " app_id = ?1));", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) ||
	    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 3, commit, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL)))
		return bind_fail(st, s);
	if (store_done(st, s, "start deploy") == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_deploy_finish(struct store *st, int64_t id, const char *status,
    int release, const char *reason, int64_t duration_ms, const char *log)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "UPDATE deploys SET status = ?, release_version"
	    " = ?, reason = ?, duration_ms = ?, log = ? WHERE id = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(s, 2, release) ||
	    sqlite3_bind_text(s, 3, reason, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 4, duration_ms) ||
	    sqlite3_bind_text(s, 5, log, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 6, id))
		return bind_fail(st, s);
	return store_done(st, s, "finish deploy");
}

int
store_deploy_interrupted(struct store *st, int64_t app_id)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "UPDATE deploys SET status = 'failed', reason ="
	    " 'interrupted: berth stopped during the deploy' WHERE app_id = ?"
	    " AND status = 'running';", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK)
		return bind_fail(st, s);
	return store_done(st, s, "mark interrupted deploys");
}

int
store_deploy_each(struct store *st, int64_t app_id, int limit,
    int (*fn)(void *, const struct deploy_rec *), void *arg)
{
	struct deploy_rec d;
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT id, app_id, kind, commit_id,"
	    " release_version, status, reason, started_at, duration_ms, number"
	    " FROM deploys WHERE app_id = ? ORDER BY id DESC LIMIT ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) || sqlite3_bind_int(s, 2, limit))
		return bind_fail(st, s);
	while ((rc = store_next(st, s, "list deploys")) == 1) {
		memset(&d, 0, sizeof(d));
		d.id = sqlite3_column_int64(s, 0);
		d.app_id = sqlite3_column_int64(s, 1);
		store_copy_text(d.kind, sizeof(d.kind), s, 2);
		store_copy_text(d.commit, sizeof(d.commit), s, 3);
		d.release = sqlite3_column_int(s, 4);
		store_copy_text(d.status, sizeof(d.status), s, 5);
		store_copy_text(d.reason, sizeof(d.reason), s, 6);
		d.started_at = sqlite3_column_int64(s, 7);
		d.duration_ms = sqlite3_column_int64(s, 8);
		d.number = sqlite3_column_int(s, 9);
		if (fn(arg, &d) != 0)
			return store_end(s);
	}
	return rc;
}

int
store_deploy_log(struct store *st, int64_t app_id, int number, char **log)
{
	sqlite3_stmt *s;
	int rc;

	*log = NULL;
	if (store_prepare(st, "SELECT log FROM deploys WHERE app_id = ? AND"
	    " number = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) || sqlite3_bind_int(s, 2, number))
		return bind_fail(st, s);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);
		*log = strdup(t ? (const char *)t : "");
		if (*log == NULL)
			rc = SQLITE_NOMEM;
	} else if (rc != SQLITE_DONE) {
		store_fail(st, "read deploy log");
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOTFOUND : -1;
}

int
store_config_set(struct store *st, int64_t app_id, const char *name,
    const void *value, size_t len)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO config_vars (app_id, name, value)"
	    " VALUES (?, ?, ?) ON CONFLICT (app_id, name) DO UPDATE SET"
	    " value = excluded.value;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) ||
	    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC) ||
	    sqlite3_bind_blob(s, 3, value, (int)len, SQLITE_STATIC))
		return bind_fail(st, s);
	return store_done(st, s, "set config var");
}

int
store_config_unset(struct store *st, int64_t app_id, const char *name)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "DELETE FROM config_vars WHERE app_id = ? AND"
	    " name = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) ||
	    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC))
		return bind_fail(st, s);
	return store_done(st, s, "unset config var");
}

int
store_config_each(struct store *st, int64_t app_id,
    int (*fn)(void *, const char *, const void *, size_t), void *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT name, value FROM config_vars WHERE"
	    " app_id = ? ORDER BY name;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK)
		return bind_fail(st, s);
	while ((rc = store_next(st, s, "list config vars")) == 1) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		const void *v = sqlite3_column_blob(s, 1);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);
		if (fn(arg, name ? name : "", v, len) != 0)
			return store_end(s);
	}
	return rc;
}
