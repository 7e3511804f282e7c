/*
 * store_procs.c - the processes table (one row per running instance of a
 * process type: its release, port and supervisor's pid) and the formation
 * (how many of each type an app wants).  Rows are what the router routes to
 * (state running) and what `berth serve` finds again after a restart or a
 * reboot.  See store.h.
 */
#include <string.h>
#include <time.h>

#include "core/store_int.h"

#define PROC_COLS "id, app_id, release_version, type, idx, port, state," \
	" shim_pid, created_at"

static void
proc_from_row(sqlite3_stmt *s, struct proc_rec *p)
{
	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(s, 0);
	p->app_id = sqlite3_column_int64(s, 1);
	p->release = sqlite3_column_int(s, 2);
	store_copy_text(p->type, sizeof(p->type), s, 3);
	p->idx = sqlite3_column_int(s, 4);
	p->port = sqlite3_column_int(s, 5);
	store_copy_text(p->state, sizeof(p->state), s, 6);
	p->shim_pid = sqlite3_column_int(s, 7);
	p->created_at = sqlite3_column_int64(s, 8);
}

int
store_proc_add(struct store *st, struct proc_rec *p)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO processes (app_id, release_version,"
	    " type, idx, port, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?);",
	    &s) == -1)
		return -1;
	p->created_at = (int64_t)time(NULL);
	if (sqlite3_bind_int64(s, 1, p->app_id) ||
	    sqlite3_bind_int(s, 2, p->release) ||
	    sqlite3_bind_text(s, 3, p->type, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(s, 4, p->idx) || sqlite3_bind_int(s, 5, p->port) ||
	    sqlite3_bind_text(s, 6, p->state, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 7, p->created_at)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if (store_done(st, s, "add process") == -1)
		return -1;
	p->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_proc_get(struct store *st, int64_t id, struct proc_rec *out)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT " PROC_COLS " FROM processes WHERE id = ?;",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		proc_from_row(s, out);
	else if (rc != SQLITE_DONE)
		store_fail(st, "look up process");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOTFOUND : -1;
}

static int
exec_ids(struct store *st, const char *sql, int64_t a, int64_t b,
    const char *what)
{
	sqlite3_stmt *s;

	if (store_prepare(st, sql, &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, a) || sqlite3_bind_int64(s, 2, b)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, what);
}

int
store_proc_set_shim(struct store *st, int64_t id, int shim_pid)
{
	return exec_ids(st, "UPDATE processes SET shim_pid = ?1 WHERE id = ?2;",
	    shim_pid, id, "record supervisor");
}

int
store_proc_delete(struct store *st, int64_t id)
{
	return exec_ids(st, "DELETE FROM processes WHERE id = ?1 OR ?2 = 0;", id,
	    1, "delete process");
}

int
store_proc_each(struct store *st, int64_t app_id, const char *state,
    int (*fn)(void *, const struct proc_rec *), void *arg)
{
	struct proc_rec p;
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT " PROC_COLS " FROM processes WHERE"
	    " (?1 = 0 OR app_id = ?1) AND (?2 IS NULL OR state = ?2)"
	    " ORDER BY app_id, type, idx, id;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) ||
	    (state ? sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(s, 2))) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	while ((rc = store_next(st, s, "list processes")) == 1) {
		proc_from_row(s, &p);
		if (fn(arg, &p) != 0)
			return store_end(s);
	}
	return rc;
}

static int
set_state(struct store *st, int64_t id, const char *state)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "UPDATE processes SET state = ? WHERE id = ?;",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(s, 2, id)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "set process state");
}

int
store_proc_promote(struct store *st, const int64_t *ids, size_t n,
    const int64_t *old, size_t nold, int undo)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE;", NULL, NULL, &msg) != SQLITE_OK) {
		sqlite3_free(msg);
		return store_fail(st, "begin");
	}
	for (size_t i = 0; i < nold; i++)
		if (set_state(st, old[i], undo ? "running" : "draining") == -1)
			goto fail;
	for (size_t i = 0; i < n; i++)
		if (set_state(st, ids[i], undo ? "starting" : "running") == -1)
			goto fail;
	if (sqlite3_exec(st->db, "COMMIT;", NULL, NULL, &msg) != SQLITE_OK) {
		sqlite3_free(msg);
		store_fail(st, "commit");
		goto fail;
	}
	return 0;
fail:
	(void)sqlite3_exec(st->db, "ROLLBACK;", NULL, NULL, NULL);
	return -1;
}

int
store_formation_get(struct store *st, int64_t app_id, const char *type,
    int *count)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, "SELECT count FROM formation WHERE app_id = ? AND"
	    " type = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) ||
	    sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int(s, 0);
	else if (rc != SQLITE_DONE)
		store_fail(st, "formation");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? STORE_NOTFOUND : -1;
}

int
store_formation_set(struct store *st, int64_t app_id, const char *type,
    int count)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "INSERT INTO formation (app_id, type, count) VALUES"
	    " (?, ?, ?) ON CONFLICT (app_id, type) DO UPDATE SET count ="
	    " excluded.count;", &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, app_id) ||
	    sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(s, 3, count)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "scale");
}
