/*
 * store_int.h - what the store_*.c files share and nobody else sees: the
 * handle and the statement helpers.  Include only from core/store*.c (and
 * the store's unit tests).
 */
#ifndef BERTH_STORE_INT_H
#define BERTH_STORE_INT_H

#include <sqlite3.h>

#include "core/store.h"

struct store {
	sqlite3 *db;
	char err[256];
};

/* The script that brings the schema from version - 1 to version, NULL
 * past the last (the unit tests build every older schema with it). */
const char *store_migration(int version);

int store_fail(struct store *st, const char *what);
int store_prepare(struct store *st, const char *sql, sqlite3_stmt **out);
/* Step a statement that returns no rows, then finalize it. */
int store_done(struct store *st, sqlite3_stmt *s, const char *what);
void store_copy_text(char *dst, size_t len, sqlite3_stmt *s, int col);

/*
 * The row loop, the same for every query that lists:
 *
 *	while ((rc = store_next(st, s, "list apps")) == 1) {
 *		... read the row's columns, call the caller's fn ...
 *		if (fn(arg, &a) != 0)
 *			return store_end(s);
 *	}
 *	return rc;
 *
 * store_next steps s: 1 with a row to read; 0 after the last row and -1 on
 * an error (store_fail(what)), both with s finalized.  store_end finalizes
 * s when the caller stops early, and returns 0.
 */
int store_next(struct store *st, sqlite3_stmt *s, const char *what);
int store_end(sqlite3_stmt *s);

#endif
