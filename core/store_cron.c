/*
 * store_cron.c - the state of scheduled jobs (the cron_jobs table: last
 * run, its exit and duration, the pid running it now) and the summary of
 * what a deploy's hooks did (deploys.hooks).  The scheduler in berth
 * serve and `cron:run` both claim a job here before they run it, with
 * one UPDATE that only succeeds while nobody holds it, so a job never
 * runs twice at once whoever starts it.  See store.h.
 */
#include <stdio.h>
#include <string.h>

#include "core/store_int.h"

static int
bind_job(struct store *st, sqlite3_stmt *s, int at, int64_t app_id,
    const char *name)
{
	if (sqlite3_bind_int64(s, at, app_id) != SQLITE_OK ||
	    sqlite3_bind_text(s, at + 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return 0;
}

int
store_cron_get(struct store *st, int64_t app_id, const char *name,
    struct cron_rec *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->last_exit = -1;
	if (store_prepare(st, "SELECT last_run, last_exit, last_ms, running_pid"
	    " FROM cron_jobs WHERE app_id = ? AND name = ?;", &s) == -1 ||
	    bind_job(st, s, 1, app_id, name) == -1)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		out->last_run = sqlite3_column_int64(s, 0);
		out->last_exit = sqlite3_column_int(s, 1);
		out->last_ms = sqlite3_column_int64(s, 2);
		out->running_pid = sqlite3_column_int(s, 3);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, "read a job");
	return 0;
}

int
store_cron_claim(struct store *st, int64_t app_id, const char *name, int pid,
    int stale_pid, int64_t now, int *claimed, int *holder)
{
	struct cron_rec r;
	sqlite3_stmt *s;

	*claimed = 0;
	*holder = 0;
	if (store_prepare(st, "INSERT OR IGNORE INTO cron_jobs (app_id, name)"
	    " VALUES (?, ?);", &s) == -1 || bind_job(st, s, 1, app_id,
	    name) == -1 || store_done(st, s, "add a job") == -1)
		return -1;
	if (store_prepare(st, "UPDATE cron_jobs SET running_pid = ?,"
	    " last_run = ? WHERE app_id = ? AND name = ? AND"
	    " running_pid IN (0, ?);", &s) == -1)
		return -1;
	if (sqlite3_bind_int(s, 1, pid) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, now) != SQLITE_OK ||
	    sqlite3_bind_int(s, 5, stale_pid) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if (bind_job(st, s, 3, app_id, name) == -1 ||
	    store_done(st, s, "claim a job") == -1)
		return -1;
	if (sqlite3_changes(st->db) == 1) {
		*claimed = 1;
		return 0;
	}
	if (store_cron_get(st, app_id, name, &r) == -1)
		return -1;
	*holder = r.running_pid;
	return 0;
}

int
store_cron_done(struct store *st, int64_t app_id, const char *name, int pid,
    int exit, int64_t ms)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "UPDATE cron_jobs SET running_pid = 0,"
	    " last_exit = ?, last_ms = ? WHERE app_id = ? AND name = ? AND"
	    " running_pid = ?;", &s) == -1)
		return -1;
	if (sqlite3_bind_int(s, 1, exit) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, ms) != SQLITE_OK ||
	    sqlite3_bind_int(s, 5, pid) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if (bind_job(st, s, 3, app_id, name) == -1)
		return -1;
	return store_done(st, s, "record a job's run");
}

int
store_deploy_hooks_add(struct store *st, int64_t id, const char *text)
{
	sqlite3_stmt *s;

	if (store_prepare(st, "UPDATE deploys SET hooks = CASE hooks WHEN ''"
	    " THEN ?1 ELSE hooks || '; ' || ?1 END WHERE id = ?2;", &s) == -1)
		return -1;
	if (sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	return store_done(st, s, "record a hook");
}

int
store_deploy_hooks(struct store *st, int64_t id, char *out, size_t len)
{
	sqlite3_stmt *s;
	int rc;

	out[0] = '\0';
	if (store_prepare(st, "SELECT hooks FROM deploys WHERE id = ?;",
	    &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		store_copy_text(out, len, s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, "read a deploy's hooks");
	return 0;
}
