/*
 * berth_shim_log.c - berth-shim's files: the state files of its run dir
 * (each replaced atomically) and the process's log (time-stamped lines,
 * rotated by size to one .1 file).  The shim runs as root and writes under
 * the app's dirs, so the files are opened relative to the dirs'
 * descriptors with O_NOFOLLOW, regular files only, and rotated with
 * renameat under the same descriptor.  See berth_shim.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/num.h"
#include "core/path.h"
#include "run/berth_shim.h"

/* Open name in dfd for writing: a regular file, never through a link. */
static int
open_in(int dfd, const char *name, int flags, mode_t mode)
{
	struct stat sb;
	int fd;

	if ((fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | flags, mode)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* mkdir -p path (mode), then open it, not through a symlink at its end. */
static int
open_dir(const char *path, unsigned int mode)
{
	if (mkdirs(path, mode) == -1)
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int
bshim_log_open(struct bshim_log *l, const char *data_dir, const char *app,
    const char *id, const char *type, const char *idx)
{
	const char *gens = getenv("BERTH_LOG_GENERATIONS");
	char path[PATH_MAX];
	long long g;

	l->run_fd = l->logs_fd = l->log_fd = -1;
	/* [server] log_generations, which berth passes (default 3) */
	l->generations = gens != NULL && num_parse(gens, 1, 100, &g) == 0 ?
	    (int)g : 3;
	if (pathf(path, sizeof(path), "%s/apps/%s/run/%s", data_dir, app,
	    id) == -1 || (l->run_fd = open_dir(path, 0755)) == -1)
		return -1;
	if (pathf(path, sizeof(path), "%s/apps/%s/logs", data_dir, app) == -1 ||
	    (l->logs_fd = open_dir(path, 0700)) == -1)
		return -1;
	snprintf(l->name, sizeof(l->name), "%s.%s.log", type, idx);
	snprintf(l->prefix, sizeof(l->prefix), "%s.%s", type, idx);
	l->log_fd = open_in(l->logs_fd, l->name, O_CREAT | O_APPEND, 0640);
	return 0;
}

void
bshim_put(const struct bshim_log *l, const char *name, const char *text)
{
	char tmp[64];
	size_t len = strlen(text);
	int fd;

	if (snprintf(tmp, sizeof(tmp), ".%s", name) >= (int)sizeof(tmp) ||
	    (fd = open_in(l->run_fd, tmp, O_CREAT | O_TRUNC, 0644)) == -1)
		return;
	if (write(fd, text, len) == (ssize_t)len && close(fd) == 0)
		(void)renameat(l->run_fd, tmp, l->run_fd, name);
	else
		close(fd);
}

void
bshim_putf(const struct bshim_log *l, const char *name, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	bshim_put(l, name, buf);
}

/* TYPE.N.log.K becomes .K+1 (the oldest kept is overwritten), the log
 * .1, and a new one starts. */
static void
rotate(struct bshim_log *l)
{
	char old[sizeof(l->name) + 16], older[sizeof(l->name) + 16];

	for (int k = l->generations - 1; k >= 1; k--) {
		snprintf(old, sizeof(old), "%s.%d", l->name, k);
		snprintf(older, sizeof(older), "%s.%d", l->name, k + 1);
		(void)renameat(l->logs_fd, old, l->logs_fd, older);
	}
	snprintf(old, sizeof(old), "%s.1", l->name);
	(void)renameat(l->logs_fd, l->name, l->logs_fd, old);
	close(l->log_fd);
	l->log_fd = open_in(l->logs_fd, l->name, O_CREAT | O_APPEND, 0640);
}

void
bshim_line(struct bshim_log *l, const char *line)
{
	char buf[4200], stamp[32];
	struct timespec ts;
	struct stat sb;
	struct tm tm;
	int n;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	n = snprintf(buf, sizeof(buf), "%s.%03ldZ %s | %s\n", stamp,
	    ts.tv_nsec / 1000000, l->prefix, line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	if (l->log_fd >= 0 && fstat(l->log_fd, &sb) == 0 &&
	    sb.st_size > BSHIM_LOG_ROTATE)
		rotate(l);
	if (l->log_fd >= 0 && write(l->log_fd, buf, (size_t)n) != n) {
		/* a full disk loses log lines, not the app */
	}
}
