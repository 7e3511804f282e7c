/*
 * store_upkeep.c - keeping berth.db from growing without bound (called by
 * berth serve's upkeep pass, core/upkeep.c): old deploys with their build
 * logs, old audit rows, the WAL checkpointed and the file vacuumed when
 * much of it is free.  See store.h.
 */
#include "core/store_int.h"

#define COMPACT_MIN_FREE_BYTES (1 << 20)

static int
prune(struct store *st, const char *sql, int64_t a, int64_t b, int nbind,
    int *n, const char *what)
{
	sqlite3_stmt *s;

	*n = 0;
	if (store_prepare(st, sql, &s) == -1)
		return -1;
	if (sqlite3_bind_int64(s, 1, (sqlite3_int64)a) != SQLITE_OK ||
	    (nbind > 1 && sqlite3_bind_int64(s, 2, (sqlite3_int64)b) !=
	    SQLITE_OK)) {
		sqlite3_finalize(s);
		return store_fail(st, "bind");
	}
	if (store_done(st, s, what) == -1)
		return -1;
	*n = sqlite3_changes(st->db);
	return 0;
}

int
store_deploys_prune(struct store *st, int64_t app_id, int keep, int *n)
{
	return prune(st, "DELETE FROM deploys WHERE app_id = ?1 AND id <="
	    " (SELECT id FROM deploys WHERE app_id = ?1 ORDER BY id DESC"
	    " LIMIT 1 OFFSET ?2);", app_id, keep, 2, n, "prune deploys");
}

int
store_audit_prune(struct store *st, int64_t before, int *n)
{
	return prune(st, "DELETE FROM audit WHERE at < ?;", before, 0, 1, n,
	    "prune audit");
}

static int
pragma_int(struct store *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc;

	if (store_prepare(st, sql, &s) == -1)
		return -1;
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    store_fail(st, "read a pragma");
}

int
store_compact(struct store *st, int *vacuumed)
{
	int64_t pages, freel, size;

	*vacuumed = 0;
	if (pragma_int(st, "PRAGMA page_count;", &pages) == -1 ||
	    pragma_int(st, "PRAGMA freelist_count;", &freel) == -1 ||
	    pragma_int(st, "PRAGMA page_size;", &size) == -1)
		return -1;
	if (freel * 4 > pages && freel * size > COMPACT_MIN_FREE_BYTES) {
		if (sqlite3_exec(st->db, "VACUUM;", NULL, NULL, NULL) !=
		    SQLITE_OK)
			return store_fail(st, "vacuum");
		*vacuumed = 1;
	}
	if (sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL) != SQLITE_OK && sqlite3_errcode(st->db) != SQLITE_BUSY)
		return store_fail(st, "checkpoint");
	return 0;
}
