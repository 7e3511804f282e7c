/*
 * store_upstream.c - each app's stable upstream port: the one loopback
 * port the proxy's config names for the app, which every web process of
 * every release joins (run/relay.h), so a deploy changes no proxy config.
 * 0 until the app first runs a web process.  See store.h.
 */
#include "core/store_int.h"

int
store_app_upstream(struct store *st, int64_t app_id, int *port)
{
	sqlite3_stmt *s;
	int rc;

	*port = 0;
	if (store_prepare(st, "SELECT upstream_port FROM apps WHERE id = ?;",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*port = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_fail(st, "read the upstream port");
}

int
store_app_set_upstream(struct store *st, int64_t app_id, int port)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "UPDATE apps SET upstream_port = ? WHERE id = ?;",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_int(s, 1, port) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, app_id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "set the upstream port");
}
