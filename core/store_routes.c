/*
 * store_routes.c - what the router reads to build its table
 * (router/router_model.c), in three queries whatever the number of apps:
 * the routed apps with their shown release, then every domain, then every
 * running web process's port, each ordered by app name so the caller
 * merges them in one pass.  One query per app and kind cost ~60 us an
 * app (23 ms at 500 apps on every domain change).  See store.h.
 */
#include <string.h>

#include "core/store_int.h"

/* An app's shown release is `at` for app ?1 (a deploy showing its new
 * release), else its live one; apps showing none are not routed. */
#define ROUTES_SQL \
	"WITH s AS (SELECT id, name, maintenance, upstream_port," \
	" CASE WHEN name = ?1 THEN ?2 ELSE current_release END AS rel" \
	" FROM apps)" \
	" SELECT s.id, s.name, s.rel, s.maintenance," \
	" coalesce(p.parent_id, 0), s.upstream_port, r.version IS NOT NULL," \
	" coalesce(r.static_root, '')" \
	" FROM s LEFT JOIN previews p ON p.app_id = s.id" \
	" LEFT JOIN releases r ON r.app_id = s.id AND r.version = s.rel" \
	" WHERE s.rel != 0 ORDER BY s.name;"

int
store_route_each(struct store *st, const char *show, int at,
    int (*fn)(void *, const struct route_rec *), void *arg)
{
	struct route_rec a;
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, ROUTES_SQL, &s) == -1)
		return -1;
	if ((show != NULL ? sqlite3_bind_text(s, 1, show, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(s, 1)) != SQLITE_OK ||
	    sqlite3_bind_int(s, 2, at) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	while ((rc = store_next(st, s, "list routes")) == 1) {
		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(s, 0);
		store_copy_text(a.name, sizeof(a.name), s, 1);
		a.release = sqlite3_column_int(s, 2);
		a.maintenance = sqlite3_column_int(s, 3);
		a.parent_id = sqlite3_column_int64(s, 4);
		a.upstream_port = sqlite3_column_int(s, 5);
		a.has_release = sqlite3_column_int(s, 6);
		store_copy_text(a.static_root, sizeof(a.static_root), s, 7);
		if (fn(arg, &a) != 0)
			return store_end(s);
	}
	return rc;
}

/* Rows of (app name, text or int) from sql, in the query's order. */
static int
pairs(struct store *st, const char *sql, const char *what,
    int (*text_fn)(void *, const char *, const char *),
    int (*int_fn)(void *, const char *, int), void *arg)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, sql, &s) == -1)
		return -1;
	while ((rc = store_next(st, s, what)) == 1) {
		const unsigned char *app = sqlite3_column_text(s, 0), *v;
		const char *name = app ? (const char *)app : "";
		if (text_fn != NULL) {
			v = sqlite3_column_text(s, 1);
			if (text_fn(arg, name, v ? (const char *)v : "") != 0)
				return store_end(s);
		} else if (int_fn(arg, name, sqlite3_column_int(s, 1)) != 0)
			return store_end(s);
	}
	return rc;
}

int
store_domain_all(struct store *st,
    int (*fn)(void *, const char *app, const char *domain), void *arg)
{
	return pairs(st, "SELECT a.name, d.domain FROM domains d JOIN apps a"
	    " ON a.id = d.app_id ORDER BY a.name, d.domain;", "list domains",
	    fn, NULL, arg);
}

int
store_web_port_all(struct store *st,
    int (*fn)(void *, const char *app, int port), void *arg)
{
	return pairs(st, "SELECT a.name, p.port FROM processes p JOIN apps a"
	    " ON a.id = p.app_id WHERE p.type = 'web' AND p.state = 'running'"
	    " ORDER BY a.name, p.idx, p.id;", "list ports", NULL, fn, arg);
}
