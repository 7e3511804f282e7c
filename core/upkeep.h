/*
 * upkeep.h - what keeps berth's disk from filling by itself: the free space
 * of the data dir (and the guard that refuses a push below
 * [upkeep] min_free_space), what each app takes on disk (for `status`),
 * and the retention rules berth serve's upkeep pass applies (core/upkeep.c;
 * the repository repack is gitd/gitd_gc.h):
 *   - release archives (releases/N.tar.gz) beyond keep_archives, or older
 *     than archive_max_days;
 *   - an app's build cache over cache_max_size is emptied (apps:purge-cache
 *     empties it on demand);
 *   - deploys with their build logs beyond keep_deploys per app; audit
 *     rows older than audit_max_days; berth.db checkpointed and vacuumed.
 *   - the logs of process instances that no longer exist, once nothing
 *     was written to them for logs_max_days (a running process's log is
 *     bounded by its supervisor: run/procs.h LOG_ROTATE_BYTES and
 *     one .1 generation).
 */
#ifndef BERTH_UPKEEP_H
#define BERTH_UPKEEP_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "core/store.h"

/* The data dir's free space (for berth's user) and size.  0 or -1. */
int upkeep_free_space(const struct conf *c, uint64_t *avail,
    uint64_t *total);

/* Below min_free_space: -1 with "the data dir 'D' has only X free, less
 * than [upkeep] min_free_space (Y): free some space (...)".  0 when there
 * is room, the guard is off, or the figure cannot be read. */
int upkeep_disk_check(const struct conf *c, char *err, size_t errlen);

struct app_usage {
	uint64_t repo;        /* bytes of repos/APP.git */
	int packs;            /* its packs */
	uint64_t releases;    /* release dirs */
	int archives;         /* N.tar.gz files ... */
	uint64_t archive_bytes; /* ... and their bytes */
	uint64_t cache;       /* build cache */
	uint64_t logs;        /* process logs */
};
void upkeep_app_usage(const struct conf *c, const char *app,
    struct app_usage *u);

/* Packs (.idx files) of the bare repository at path, or -1. */
int upkeep_pack_count(const char *repo);

/* Packs that arrived since the last repack (newer than REPO/berth-gc.stamp,
 * which the repack writes): what the automatic repack counts, so packs a
 * repack keeps through their grace do not set off another one. */
#define UPKEEP_GC_STAMP "berth-gc.stamp"
int upkeep_new_packs(const char *repo);

/* A size for people: "1.5G", "300.0M", "12.0K", "100B". */
void upkeep_human(uint64_t n, char *out, size_t len);

/* Bytes a tree takes on disk (no symlink followed). */
uint64_t upkeep_du(const char *path);

/* Empty the app's build cache; *freed: its bytes.  The caller holds the
 * app's lock.  0 or -1 with err. */
int upkeep_purge_cache(const struct conf *c, const char *app,
    uint64_t *freed, char *err, size_t errlen);

/* The retention rules for one app (archives, cache, deploys), under its
 * lock held by the caller; what was removed is logged.  0 or -1 with err. */
int upkeep_app(const struct conf *c, struct store *st,
    const struct app_rec *a, char *err, size_t errlen);

/* The database: audit rows, checkpoint, vacuum.  0 or -1 with err. */
int upkeep_db(const struct conf *c, struct store *st, char *err,
    size_t errlen);

#endif
