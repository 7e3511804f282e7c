/*
 * store_source.c - deploys from a Git host (README.md, "Webhooks"): an
 * app's source URL and branch (apps:source), its webhook secret, sealed
 * by the caller (webhooks:secret), and the delivery ids its webhook has
 * seen, so a replayed delivery is ignored and deliveries can be counted
 * for the rate limit.  See store.h.
 */
#include <string.h>

#include "core/store_int.h"

/* Bind the app id as ?1 and run s (no rows). */
static int
done_app(struct store *st, sqlite3_stmt *s, int64_t app_id, const char *what)
{
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, what);
}

int
store_source_get(struct store *st, int64_t app_id, struct source_rec *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_prepare(st, "SELECT url, branch, created_at FROM app_sources"
	    " WHERE app_id = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_copy_text(out->url, sizeof(out->url), s, 0);
		store_copy_text(out->branch, sizeof(out->branch), s, 1);
		out->created_at = sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_fail(st, "read the app's source");
}

int
store_source_set(struct store *st, int64_t app_id, const char *url,
    const char *branch)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT OR REPLACE INTO app_sources (app_id, url,"
	    " branch, created_at) VALUES (?, ?, ?, strftime('%s', 'now'));",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 2, url, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, branch, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return done_app(st, s, app_id, "set the app's source");
}

int
store_source_unset(struct store *st, int64_t app_id)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "DELETE FROM app_sources WHERE app_id = ?;",
	    &s) == -1)
		return -1;
	return done_app(st, s, app_id, "remove the app's source");
}

int
store_webhook_secret_set(struct store *st, int64_t app_id, const void *sealed,
    size_t len)
{
	sqlite3_stmt *s;

	if (len > STORE_SECRET_MAX)
		return store_fail(st, "webhook secret too long");
	if (store_prepare(st, "INSERT OR REPLACE INTO webhook_secrets (app_id,"
	    " secret, created_at) VALUES (?, ?, strftime('%s', 'now'));",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_blob(s, 2, sealed, (int)len, SQLITE_STATIC) !=
	    SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return done_app(st, s, app_id, "set the webhook secret");
}

int
store_webhook_secret_get(struct store *st, int64_t app_id, unsigned char *out,
    size_t cap, size_t *len)
{
	sqlite3_stmt *s;
	int rc, n;

	*len = 0;
	if (store_prepare(st, "SELECT secret FROM webhook_secrets"
	    " WHERE app_id = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n = sqlite3_column_bytes(s, 0);
		if (n < 0 || (size_t)n > cap) {
			sqlite3_finalize(s);
			return store_fail(st, "webhook secret too long");
		}
		if (n > 0)
			memcpy(out, sqlite3_column_blob(s, 0), (size_t)n);
		*len = (size_t)n;
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_fail(st, "read the webhook secret");
}

int
store_delivery_add(struct store *st, int64_t app_id, const char *id,
    int64_t now, int64_t before)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "DELETE FROM webhook_deliveries WHERE app_id = ?"
	    " AND at < ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 2, before) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if (done_app(st, s, app_id, "forget old deliveries") == -1)
		return -1;
	if (store_prepare(st, "INSERT OR IGNORE INTO webhook_deliveries (app_id,"
	    " delivery, at) VALUES (?, ?, ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, now) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if (done_app(st, s, app_id, "remember the delivery") == -1)
		return -1;
	return sqlite3_changes(st->db) == 1 ? 1 : 0;
}

int
store_delivery_count(struct store *st, int64_t app_id, int64_t since, int *n)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if (store_prepare(st, "SELECT count(*) FROM webhook_deliveries"
	    " WHERE app_id = ? AND at >= ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, since) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, "count deliveries");
}
