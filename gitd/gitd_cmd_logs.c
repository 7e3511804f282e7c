/*
 * gitd_cmd_logs.c - logs APP [-n N] [-f] | logs APP --build [DEPLOY].
 * App logs are the supervisors' files DATA/apps/APP/logs/TYPE.IDX.log (and
 * the rotated .1), every line starting with an ISO time stamp, so merging
 * them is a sort.  -f then follows the files (polling, rotation aware)
 * until the client goes away.  Lines go out with terminal controls made
 * harmless (print_line).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"
#include "core/text.h"
#include "gitd/gitd_dispatch.h"

#define LOGS_MAX_FILES 64
#define LOGS_DEFAULT 100
#define LOGS_MAX 10000

int cmd_build_log(struct gitd_ctx *g, const char *deploy);

/* One line of an app's log to the client, with what could drive its
 * terminal made harmless (core/text.h): apps print what they like. */
static int
print_line(struct gitd_ctx *g, char *line)
{
	size_t len = strlen(line);
	int nl = len > 0 && line[len - 1] == '\n';

	len = text_clean(line, len - (size_t)nl);
	if (nl)
		line[len++] = '\n';
	line[len] = '\0';
	return gitd_printf(g, "%s", line);
}

struct lines {
	char **v;
	size_t n, cap;
};

static void
lines_add_file(struct lines *l, const char *path)
{
	char buf[4200];
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		if (l->n == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 1024;
			char **nv = realloc(l->v, ncap * sizeof(*nv));
			if (nv == NULL)
				break;
			l->v = nv;
			l->cap = ncap;
		}
		if ((l->v[l->n] = strdup(buf)) != NULL)
			l->n++;
	}
	fclose(f);
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The log files of the app: name.log, in dir. */
static size_t
log_files(const char *dir, char names[][256], size_t max)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while (n < max && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len > 4 && len < 256 && strcmp(de->d_name + len - 4, ".log") == 0)
			memcpy(names[n++], de->d_name, len + 1);
	}
	closedir(d);
	return n;
}

static int
follow(struct gitd_ctx *g, const char *dir)
{
	static char names[LOGS_MAX_FILES][256];
	off_t offs[LOGS_MAX_FILES] = { 0 };
	char path[PATH_MAX], buf[4096];
	size_t n = log_files(dir, names, LOGS_MAX_FILES);
	struct stat sb;

	for (size_t i = 0; i < n; i++)
		if (pathf(path, sizeof(path), "%s/%s", dir, names[i]) == 0 &&
		    stat(path, &sb) == 0)
			offs[i] = sb.st_size;
	for (;;) {
		for (size_t i = 0; i < n; i++) {
			FILE *f;
			if (pathf(path, sizeof(path), "%s/%s", dir, names[i]) == -1 ||
			    stat(path, &sb) == -1)
				continue;
			if (sb.st_size < offs[i])
				offs[i] = 0; /* rotated */
			if (sb.st_size == offs[i] || (f = fopen(path, "re")) == NULL)
				continue;
			(void)fseeko(f, offs[i], SEEK_SET);
			while (fgets(buf, sizeof(buf), f) != NULL &&
			    buf[strlen(buf) - 1] == '\n') {
				offs[i] += (off_t)strlen(buf);
				if (print_line(g, buf) == -1) {
					fclose(f);
					return 0; /* the client went away */
				}
			}
			fclose(f);
		}
		if (n < LOGS_MAX_FILES) { /* processes that started since */
			static char now[LOGS_MAX_FILES][256];
			size_t m = log_files(dir, now, LOGS_MAX_FILES);
			for (size_t k = 0; k < m && n < LOGS_MAX_FILES; k++) {
				int known = 0;
				for (size_t i = 0; i < n; i++)
					known |= strcmp(now[k], names[i]) == 0;
				if (!known) {
					memcpy(names[n], now[k], sizeof(names[n]));
					offs[n++] = 0;
				}
			}
		}
		if (gitd_printf(g, "%s", "") == -1)
			return 0;
		usleep(300000);
	}
}

int
cmd_logs(struct gitd_ctx *g, int argc, char **argv)
{
	static char names[LOGS_MAX_FILES][256];
	char dir[PATH_MAX], path[PATH_MAX + 4], *end;
	struct lines l = { NULL, 0, 0 };
	long want = LOGS_DEFAULT;
	int tail = 0;
	size_t n;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--build") == 0)
			return cmd_build_log(g, i + 1 < argc ? argv[i + 1] : NULL);
		if (strcmp(argv[i], "-f") == 0) {
			tail = 1;
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			want = strtol(argv[++i], &end, 10);
			if (*end != '\0' || want < 0 || want > LOGS_MAX) {
				gitd_errorf(g, "berth: -n takes 0-%d", LOGS_MAX);
				return 2;
			}
		} else {
			gitd_errorf(g, "berth: unknown option '%.40s'\nusage: logs APP"
			    " [-n N] [-f] | logs APP --build [DEPLOY]", argv[i]);
			return 2;
		}
	}
	if (pathf(dir, sizeof(dir), "%s/apps/%s/logs", g->conf->data_dir,
	    g->app.name) == -1)
		return 1;
	n = log_files(dir, names, LOGS_MAX_FILES);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s.1", dir, names[i]);
		lines_add_file(&l, path);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		lines_add_file(&l, path);
	}
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), cmp_line);
	for (size_t i = l.n > (size_t)want ? l.n - (size_t)want : 0; i < l.n; i++)
		print_line(g, l.v[i]);
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	return tail ? follow(g, dir) : 0;
}
