/*
 * test_store.c - unit tests of core/store.c on a real sqlite file: app ids
 * are never reused after a delete (an app's uid is app_uid_base + id), and
 * a database from before that rule (schema 3) migrates with its apps'
 * ids unchanged, the next id above the highest one in use; a store
 * waits while another process writes.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/store.h"
#include "unit.h"

static char db[64];

static int64_t
create(struct store *st, const char *name)
{
	struct app_rec a;

	memset(&a, 0, sizeof(a));
	if (store_app_create(st, name, &a) != 0) {
		fprintf(stderr, "  create %s: %s\n", name, store_error(st));
		return -1;
	}
	return a.id;
}

static struct store *
open_db(void)
{
	struct store *st = NULL;
	char err[256];

	if (store_open(&st, db, err, sizeof(err)) != 0)
		fprintf(stderr, "  open: %s\n", err);
	return st;
}

static void
test_ids_not_reused(void)
{
	struct store *st = open_db();
	int64_t a, b, c;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	a = create(st, "one");
	b = create(st, "two");
	CHECK(a == 1 && b == 2);
	CHECK(store_app_delete(st, b) == 0);
	c = create(st, "three");
	CHECK(c == 3);
	CHECK(store_app_delete(st, c) == 0);
	CHECK(store_app_delete(st, a) == 0);
	CHECK(create(st, "two") == 4); /* a name comes back, its id does not */
	store_close(st);
}

/* Make the file look like schema 3 with apps 1, 2 and 7 (what migrations
 * 4 and later add is taken out again). */
static int
make_schema3(void)
{
	sqlite3 *h;
	int rc;

	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(h, "DELETE FROM apps;"
	    "INSERT INTO apps (id, name, created_at) VALUES (1, 'a', 0),"
	    " (2, 'b', 0), (7, 'c', 0);"
	    "DROP TRIGGER app_ids_last; DROP TABLE app_ids;"
	    "DROP TABLE repairs; DROP TABLE settings;"
	    "ALTER TABLE apps DROP COLUMN upstream_port;"
	    "DROP INDEX deploys_number; ALTER TABLE deploys DROP COLUMN number;"
	    "ALTER TABLE apps DROP COLUMN maintenance;"
	    "DROP TABLE previews; DROP TABLE preview_settings;"
	    "DROP TABLE cron_jobs; ALTER TABLE deploys DROP COLUMN hooks;"
	    "DROP TABLE app_sources; DROP TABLE webhook_secrets;"
	    "DROP TABLE webhook_deliveries;"
	    "DROP TABLE dash_tokens;"
	    "PRAGMA user_version = 3;", NULL, NULL, NULL);
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

static void
test_migration_keeps_ids(void)
{
	struct store *st;
	struct app_rec a;

	CHECK(make_schema3() == 0);
	if ((st = open_db()) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(store_schema_version(st) >= 4);
	CHECK(store_app_get(st, "a", &a) == 0 && a.id == 1);
	CHECK(store_app_get(st, "c", &a) == 0 && a.id == 7);
	CHECK(create(st, "d") == 8);
	CHECK(store_app_get(st, "d", &a) == 0 && store_app_delete(st, a.id) == 0);
	CHECK(create(st, "e") == 9);
	store_close(st);
}

/* Another process writing: a store waits for it (store_busy) and then
 * writes, rather than failing with "database is locked".  The writer is
 * the sqlite3 program (a fork of this process would share sqlite's
 * state), which holds the lock for 300 ms once it has made the flag. */
static void
test_waits_for_a_writer(void)
{
	struct store *st;
	char flag[80], hold[160];
	int status, i;
	pid_t pid;

	snprintf(flag, sizeof(flag), "%s.flag", db);
	snprintf(hold, sizeof(hold), ".shell touch %s; sleep 0.3", flag);
	if ((pid = fork()) == 0) {
		execlp("sqlite3", "sqlite3", db, "BEGIN IMMEDIATE;", hold,
		    "COMMIT;", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && access(flag, F_OK) == -1; i++)
		usleep(10000);
	CHECK(pid > 0 && i < 500);
	st = open_db();
	CHECK(st != NULL);
	if (st != NULL)
		CHECK(create(st, "waiter") > 0); /* while sqlite3 holds it */
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	store_close(st);
	unlink(flag);
}

int
main(void)
{
	snprintf(db, sizeof(db), "/tmp/test_store_%ld.db", (long)getpid());
	test_ids_not_reused();
	test_migration_keeps_ids();
	test_waits_for_a_writer();
	for (int i = 0; i < 3; i++) {
		char p[80];
		snprintf(p, sizeof(p), "%s%s", db, (const char *[]){ "", "-wal",
		    "-shm" }[i]);
		unlink(p);
	}
	return unit_done();
}
