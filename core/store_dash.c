/*
 * store_dash.c - the dashboard's tokens table (store_dash.h).
 */
#include <time.h>

#include "core/store_dash.h"
#include "core/store_int.h"

int
store_dash_add(struct store *st, const char *hash, const char *kind,
    int64_t key_id, int64_t expires_at)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO dash_tokens (hash, kind, key_id,"
	    " created_at, expires_at) VALUES (?, ?, ?, ?, ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 3, key_id) ||
	    sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL)) ||
	    sqlite3_bind_int64(s, 5, expires_at)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "record a dashboard token");
}

static int
drop_expired(struct store *st)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "DELETE FROM dash_tokens WHERE expires_at <= ?;",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL))) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "drop expired dashboard tokens");
}

int
store_dash_find(struct store *st, const char *hash, const char *kind,
    int consume, int64_t *key_id)
{
	sqlite3_stmt *s;
	int rc;

	if (drop_expired(st) == -1 || store_prepare(st, consume ?
	    "DELETE FROM dash_tokens WHERE hash = ? AND kind = ? RETURNING"
	    " key_id;" : "SELECT key_id FROM dash_tokens WHERE hash = ? AND"
	    " kind = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if ((rc = store_next(st, s, "find a dashboard token")) != 1)
		return rc == 0 ? STORE_NOTFOUND : -1;
	*key_id = sqlite3_column_int64(s, 0);
	/* RETURNING: the delete happens as the statement runs to its end */
	while ((rc = store_next(st, s, "find a dashboard token")) == 1)
		;
	return rc == 0 ? 0 : -1;
}

int
store_dash_forget_key(struct store *st, int64_t key_id, int *n)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "DELETE FROM dash_tokens WHERE key_id = ?;",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, key_id)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if (store_done(st, s, "forget dashboard sessions") == -1)
		return -1;
	*n = sqlite3_changes(st->db);
	return 0;
}
