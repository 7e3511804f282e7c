/*
 * store_state.c - what `berth serve` keeps about itself in sqlite: the
 * repairs it made without a person (run/reconcile.c writes them,
 * `status` shows them), and a few settings it must remember across starts
 * (the app_uid_base the apps' files belong to, run/uidbase.c).
 * See store.h.
 */
#include <string.h>
#include <time.h>

#include "core/store_int.h"

int
store_repair_add(struct store *st, const char *app, const char *what, int ok)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO repairs (at, app, what, ok) VALUES"
	    " (?, ?, ?, ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL)) ||
	    sqlite3_bind_text(s, 2, app ? app : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 3, what, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(s, 4, ok ? 1 : 0)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if (store_done(st, s, "record repair") == -1)
		return -1;
	if (store_prepare(st, "DELETE FROM repairs WHERE id <= (SELECT id FROM"
	    " repairs ORDER BY id DESC LIMIT 1 OFFSET ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_int(s, 1, REPAIRS_KEEP) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "prune repairs");
}

int
store_repair_each(struct store *st, int limit,
    int (*fn)(void *, const struct repair_rec *), void *arg)
{
	struct repair_rec r;
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT id, at, app, what, ok FROM repairs ORDER"
	    " BY id DESC LIMIT ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int(s, 1, limit) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	while ((rc = store_next(st, s, "list repairs")) == 1) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(s, 0);
		r.at = sqlite3_column_int64(s, 1);
		store_copy_text(r.app, sizeof(r.app), s, 2);
		store_copy_text(r.what, sizeof(r.what), s, 3);
		r.ok = sqlite3_column_int(s, 4);
		if (fn(arg, &r) != 0)
			return store_end(s);
	}
	return rc;
}

int
store_setting_get(struct store *st, const char *name, char *out, size_t len)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT value FROM settings WHERE name = ?;",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_copy_text(out, len, s, 0);
	else if (rc != SQLITE_DONE)
		store_fail(st, "read setting");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOTFOUND : -1;
}

int
store_setting_set(struct store *st, const char *name, const char *value)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO settings (name, value) VALUES (?, ?)"
	    " ON CONFLICT (name) DO UPDATE SET value = excluded.value;",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "save setting");
}
