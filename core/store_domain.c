/*
 * store_domain.c - what the router reads: the domains table (which app
 * answers for which host name; the UNIQUE constraint makes "one app per
 * domain" hold even when two commands race) and the ports of running web
 * processes.  See store.h.
 */
#include <time.h>

#include "core/store_int.h"

int
store_domain_add(struct store *st, int64_t app_id, const char *domain)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO domains (app_id, domain, created_at)"
	    " VALUES (?, ?, ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) ||
	    sqlite3_bind_text(s, 2, domain, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL))) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "add domain");
}

int
store_domain_remove(struct store *st, int64_t app_id, const char *domain)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "DELETE FROM domains WHERE app_id = ? AND"
	    " domain = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) ||
	    sqlite3_bind_text(s, 2, domain, -1, SQLITE_STATIC)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if (store_done(st, s, "remove domain") == -1)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 0 : STORE_NOTFOUND;
}

int
store_domain_owner(struct store *st, const char *domain, char *app,
    size_t applen)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT a.name FROM domains d JOIN apps a ON"
	    " a.id = d.app_id WHERE d.domain = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, domain, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		store_copy_text(app, applen, s, 0);
	else if (rc != SQLITE_DONE)
		store_fail(st, "look up domain");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOTFOUND : -1;
}

int
store_domain_each(struct store *st, int64_t app_id,
    int (*fn)(void *, const char *), void *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT domain FROM domains WHERE app_id = ?"
	    " ORDER BY domain;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	while ((rc = store_next(st, s, "list domains")) == 1) {
		const unsigned char *d = sqlite3_column_text(s, 0);
		if (fn(arg, d ? (const char *)d : "") != 0)
			return store_end(s);
	}
	return rc;
}

int
store_web_ports(struct store *st, int64_t app_id, int release, int *ports,
    size_t max, size_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	(void)release; /* the live set, whatever release it runs */
	if (store_prepare(st, "SELECT port FROM processes WHERE app_id = ? AND"
	    " type = 'web' AND state = 'running' ORDER BY idx;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		ports[(*n)++] = sqlite3_column_int(s, 0);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		store_fail(st, "list ports");
	sqlite3_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}
