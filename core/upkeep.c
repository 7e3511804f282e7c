/*
 * upkeep.c - free space, disk use and retention (see upkeep.h).  The files:
 *   DATA/repos/APP.git            repository (repacked by gitd/gitd_gc.c)
 *   DATA/apps/APP/releases/N/     release dirs (keep_releases: deploy/)
 *   DATA/apps/APP/releases/N.tar.gz  archives (keep_archives here)
 *   DATA/apps/APP/cache/          build cache (cache_max_size here)
 *   DATA/apps/APP/logs/           process logs (bounded by the shim)
 */
#include "core/upkeep.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/log.h"
#include "core/num.h"
#include "core/path.h"

#define UPKEEP_MAX_ARCHIVES 4096

int
upkeep_free_space(const struct conf *c, uint64_t *avail, uint64_t *total)
{
	struct statvfs sv;

	if (statvfs(c->data_dir, &sv) == -1)
		return -1;
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	*total = (uint64_t)sv.f_blocks * sv.f_frsize;
	return 0;
}

void
upkeep_human(uint64_t n, char *out, size_t len)
{
	static const char units[] = "BKMGTP";
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u == 0 ? "%.0f%c" : "%.1f%c", v, units[u]);
}

int
upkeep_disk_check(const struct conf *c, char *err, size_t errlen)
{
	uint64_t avail, total;
	char a[32], m[32];

	if (c->min_free_space == 0 || upkeep_free_space(c, &avail, &total) ==
	    -1 || avail >= c->min_free_space)
		return 0;
	upkeep_human(avail, a, sizeof(a));
	upkeep_human(c->min_free_space, m, sizeof(m));
	snprintf(err, errlen, "the server is low on disk space: %s free in '%s',"
	    " less than [upkeep] min_free_space (%s); an admin can free space"
	    " (`apps:gc APP`, `apps:purge-cache APP`, `status` shows what each"
	    " app takes) or lower min_free_space", a, c->data_dir, m);
	return -1;
}

static uint64_t
du(const char *path, int depth)
{
	char child[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	uint64_t sum;
	DIR *d;

	if (lstat(path, &sb) == -1)
		return 0;
	sum = (uint64_t)sb.st_blocks * 512;
	if (!S_ISDIR(sb.st_mode) || depth > 64 || (d = opendir(path)) == NULL)
		return sum;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    pathf(child, sizeof(child), "%s/%s", path, de->d_name) == 0)
			sum += du(child, depth + 1);
	closedir(d);
	return sum;
}

uint64_t
upkeep_du(const char *path)
{
	return du(path, 0);
}

int
upkeep_pack_count(const char *repo)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (pathf(p, sizeof(p), "%s/objects/pack", repo) == -1)
		return -1;
	if ((d = opendir(p)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (strncmp(de->d_name, "pack-", 5) == 0 && len > 4 &&
		    strcmp(de->d_name + len - 4, ".idx") == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int
newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec &&
	    a->tv_nsec > b->tv_nsec);
}

int
upkeep_new_packs(const char *repo)
{
	char p[PATH_MAX], f[PATH_MAX];
	struct stat stamp, sb;
	struct dirent *de;
	DIR *d;
	int n = 0, have;

	if (pathf(p, sizeof(p), "%s/" UPKEEP_GC_STAMP, repo) == -1)
		return -1;
	have = stat(p, &stamp) == 0;
	if (pathf(p, sizeof(p), "%s/objects/pack", repo) == -1)
		return -1;
	if ((d = opendir(p)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (strncmp(de->d_name, "pack-", 5) != 0 || len < 5 ||
		    strcmp(de->d_name + len - 4, ".idx") != 0 ||
		    pathf(f, sizeof(f), "%s/%s", p, de->d_name) == -1 ||
		    stat(f, &sb) == -1)
			continue;
		if (!have || newer(&sb.st_mtim, &stamp.st_mtim))
			n++;
	}
	closedir(d);
	return n;
}

/* The version of an archive name "N.tar.gz", or 0. */
static int
archive_version(const char *name)
{
	const char *end;
	long long v;

	if (name[0] < '1' || name[0] > '9' ||
	    num_prefix(name, 1, 99999999, &v, &end) == -1)
		return 0;
	return strcmp(end, ".tar.gz") == 0 ? (int)v : 0;
}

void
upkeep_app_usage(const struct conf *c, const char *app, struct app_usage *u)
{
	char p[PATH_MAX], f[PATH_MAX];
	struct dirent *de;
	DIR *d;

	memset(u, 0, sizeof(*u));
	if (datadir_repo(c->data_dir, app, p, sizeof(p)) == 0) {
		u->repo = du(p, 0);
		u->packs = upkeep_pack_count(p);
	}
	if (datadir_app_part(c->data_dir, app, "cache", p, sizeof(p)) == 0)
		u->cache = du(p, 0);
	if (datadir_app_part(c->data_dir, app, "logs", p, sizeof(p)) == 0)
		u->logs = du(p, 0);
	if (datadir_app_part(c->data_dir, app, "releases", p, sizeof(p)) == -1 ||
	    (d = opendir(p)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    pathf(f, sizeof(f), "%s/%s", p, de->d_name) == -1)
			continue;
		if (archive_version(de->d_name) > 0) {
			u->archives++;
			u->archive_bytes += du(f, 0);
		} else {
			u->releases += du(f, 0);
		}
	}
	closedir(d);
}

int
upkeep_purge_cache(const struct conf *c, const char *app, uint64_t *freed,
    char *err, size_t errlen)
{
	char p[PATH_MAX], old[PATH_MAX], part[48];

	*freed = 0;
	snprintf(part, sizeof(part), ".cache-purged-%lld", (long long)getpid());
	if (datadir_app_part(c->data_dir, app, "cache", p, sizeof(p)) == -1 ||
	    datadir_app_part(c->data_dir, app, part, old, sizeof(old)) == -1) {
		snprintf(err, errlen, "data dir path too long");
		return -1;
	}
	*freed = du(p, 0);
	/* out of the way in one step, so a build never sees half of it */
	if (rename(p, old) == -1) {
		if (errno == ENOENT) {
			*freed = 0;
			return 0;
		}
		snprintf(err, errlen, "cannot move '%s' aside: %s", p,
		    strerror(errno));
		return -1;
	}
	if (rmtree(old) == -1) {
		snprintf(err, errlen, "cannot remove '%s': %s", old,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
int_desc(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x < y) - (x > y);
}

/* Archives beyond keep_archives (the newest kept), or older than
 * archive_max_days. */
static void
retain_archives(const struct conf *c, const char *app)
{
	char rel[PATH_MAX], f[PATH_MAX];
	int v[UPKEEP_MAX_ARCHIVES], k;
	size_t n = 0;
	struct dirent *de;
	struct stat sb;
	DIR *d;
	time_t now = time(NULL);

	if (datadir_app_part(c->data_dir, app, "releases", rel, sizeof(rel)) ==
	    -1 || (d = opendir(rel)) == NULL)
		return;
	while (n < UPKEEP_MAX_ARCHIVES && (de = readdir(d)) != NULL)
		if ((k = archive_version(de->d_name)) > 0)
			v[n++] = k;
	closedir(d);
	qsort(v, n, sizeof(v[0]), int_desc);
	for (size_t i = 0; i < n; i++) {
		if (pathf(f, sizeof(f), "%s/%d.tar.gz", rel, v[i]) == -1 ||
		    lstat(f, &sb) == -1)
			continue;
		if (i < (size_t)c->keep_archives && (c->archive_max_days == 0 ||
		    now - sb.st_mtime < (time_t)c->archive_max_days * 86400))
			continue;
		if (unlink(f) == -1)
			log_warn("upkeep: cannot remove %s", f);
		else
			log_info("upkeep: %s: removed the archive of v%d", app,
			    v[i]);
	}
}

struct live_logs {
	char (*names)[STORE_NAME_MAX]; /* "TYPE.N" of each process row */
	size_t n;
	int failed;
};

static int
note_proc(void *arg, const struct proc_rec *p)
{
	struct live_logs *l = arg;
	void *nv;

	if ((nv = realloc(l->names, (l->n + 1) * sizeof(*l->names))) == NULL) {
		l->failed = 1;
		return -1;
	}
	l->names = nv;
	snprintf(l->names[l->n++], STORE_NAME_MAX, "%s.%d", p->type, p->idx);
	return 0;
}

/* TYPE.N of a log file name "TYPE.N.log" or "TYPE.N.log.1" is live. */
static int
is_live(const struct live_logs *l, const char *name)
{
	const char *e = strstr(name, ".log");

	if (e == NULL || (strcmp(e, ".log") != 0 && strcmp(e, ".log.1") != 0))
		return 1; /* not a process log: not ours to remove */
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->names[i]) == (size_t)(e - name) &&
		    strncmp(l->names[i], name, (size_t)(e - name)) == 0)
			return 1;
	return 0;
}

/* The logs of process instances that no longer exist, once nothing was
 * written to them for logs_max_days. */
static int
retain_logs(const struct conf *c, struct store *st, const struct app_rec *a)
{
	struct live_logs l = { NULL, 0, 0 };
	char dir[PATH_MAX], f[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	time_t now = time(NULL);
	DIR *d;

	if (store_proc_each(st, a->id, NULL, note_proc, &l) == -1 || l.failed) {
		free(l.names);
		return -1; /* without the whole list, nothing is removed */
	}
	if (datadir_app_part(c->data_dir, a->name, "logs", dir, sizeof(dir)) ==
	    -1 || (d = opendir(dir)) == NULL) {
		free(l.names);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (is_live(&l, de->d_name) ||
		    pathf(f, sizeof(f), "%s/%s", dir, de->d_name) == -1 ||
		    lstat(f, &sb) == -1 || !S_ISREG(sb.st_mode) ||
		    now - sb.st_mtime < (time_t)c->logs_max_days * 86400)
			continue;
		if (unlink(f) == 0)
			log_info("upkeep: %s: removed %s (its process is gone)",
			    a->name, de->d_name);
	}
	closedir(d);
	free(l.names);
	return 0;
}

int
upkeep_app(const struct conf *c, struct store *st, const struct app_rec *a,
    char *err, size_t errlen)
{
	char p[PATH_MAX];
	uint64_t size, freed;
	int n;

	retain_archives(c, a->name);
	if (datadir_app_part(c->data_dir, a->name, "cache", p, sizeof(p)) == 0 &&
	    (size = du(p, 0)) > c->cache_max_size && c->cache_max_size > 0) {
		if (upkeep_purge_cache(c, a->name, &freed, err, errlen) == -1)
			return -1;
		log_info("upkeep: %s: build cache cleared (%llu bytes, more than"
		    " cache_max_size)", a->name, (unsigned long long)freed);
	}
	if (retain_logs(c, st, a) == -1 ||
	    store_deploys_prune(st, a->id, c->keep_deploys, &n) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	if (n > 0)
		log_info("upkeep: %s: removed %d old deploys and their logs",
		    a->name, n);
	return 0;
}

int
upkeep_db(const struct conf *c, struct store *st, char *err, size_t errlen)
{
	int n, vacuumed;

	if (store_audit_prune(st, (int64_t)time(NULL) -
	    (int64_t)c->audit_max_days * 86400, &n) == -1 ||
	    store_compact(st, &vacuumed) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	if (n > 0)
		log_info("upkeep: removed %d audit rows older than %d days", n,
		    c->audit_max_days);
	if (vacuumed)
		log_info("upkeep: berth.db vacuumed");
	return 0;
}
