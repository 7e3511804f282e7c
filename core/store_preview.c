/*
 * store_preview.c - the previews and preview_settings tables (migration
 * 9): which apps deploy their other branches as previews, and which app
 * row is the preview of which branch.  See store_preview.h.
 */
#include <stdio.h>
#include <time.h>

#include "core/store_int.h"
#include "core/store_preview.h"

int
store_previews_pattern(struct store *st, int64_t app_id, char *pattern,
    size_t len)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT pattern FROM preview_settings WHERE"
	    " app_id = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		store_copy_text(pattern, len, s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_fail(st, "read the preview pattern");
}

int
store_previews_enable(struct store *st, int64_t app_id, const char *pattern)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO preview_settings (app_id, pattern)"
	    " VALUES (?, ?) ON CONFLICT (app_id) DO UPDATE SET"
	    " pattern = excluded.pattern;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, pattern, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "enable previews");
}

static int
exec_id(struct store *st, const char *sql, int64_t id, const char *what)
{
	sqlite3_stmt *s;

	if (store_prepare(st, sql, &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, what);
}

int
store_previews_disable(struct store *st, int64_t app_id)
{
	return exec_id(st, "DELETE FROM preview_settings WHERE app_id = ?;",
	    app_id, "disable previews");
}

int
store_preview_touch(struct store *st, int64_t app_id)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "UPDATE previews SET pushed_at = ? WHERE"
	    " app_id = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, app_id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "touch preview");
}

int
store_preview_add(struct store *st, int64_t app_id, int64_t parent_id,
    const char *branch)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO previews (app_id, parent_id, branch,"
	    " pushed_at) VALUES (?, ?, ?, ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, parent_id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, branch, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL)) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "add preview");
}

#define PREVIEW_COLS "SELECT p.app_id, p.parent_id, a.name, p.branch," \
	" p.pushed_at, a.current_release FROM previews p JOIN apps a ON" \
	" a.id = p.app_id "

static void
preview_row(sqlite3_stmt *s, struct preview_rec *p)
{
	p->app_id = sqlite3_column_int64(s, 0);
	p->parent_id = sqlite3_column_int64(s, 1);
	store_copy_text(p->name, sizeof(p->name), s, 2);
	store_copy_text(p->branch, sizeof(p->branch), s, 3);
	p->pushed_at = sqlite3_column_int64(s, 4);
	p->current_release = sqlite3_column_int(s, 5);
}

int
store_preview_get(struct store *st, int64_t parent_id, const char *branch,
    struct preview_rec *out)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, PREVIEW_COLS "WHERE p.parent_id = ? AND"
	    " p.branch = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, parent_id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, branch, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		preview_row(s, out);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_fail(st, "look up preview");
}

int
store_preview_each(struct store *st, int64_t parent_id,
    int (*fn)(void *, const struct preview_rec *), void *arg)
{
	struct preview_rec p;
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, parent_id ? PREVIEW_COLS "WHERE p.parent_id = ?"
	    " ORDER BY p.branch;" : PREVIEW_COLS "WHERE p.parent_id != ?"
	    " ORDER BY p.pushed_at;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, parent_id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	while ((rc = store_next(st, s, "list previews")) == 1) {
		preview_row(s, &p);
		if (fn(arg, &p) != 0)
			return store_end(s);
	}
	return rc;
}

static int
count_one(void *arg, const struct preview_rec *p)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

int
store_preview_count(struct store *st, int64_t parent_id, int *n)
{
	*n = 0;
	return store_preview_each(st, parent_id, count_one, n);
}
