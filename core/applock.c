/*
 * applock.c - per-app flock with a deadline; see applock.h.  flock has no
 * timeout, so a busy lock is tried again every 100 ms until lock_timeout.
 * The lock file holds one line, "EPOCH HOLDER", rewritten by each holder.
 */
#include "core/applock.h"
#include "core/clock.h"
#include "core/datadir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/num.h"
#include "core/path.h"

#define APPLOCK_RETRY_US 100000

/* DATA/locks/APP.lock, opened (created if missing).  fd, or -1 with err. */
static int
lock_open(const struct conf *c, const char *app, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int fd;

	if (datadir_path(c->data_dir, "locks", dir, sizeof(dir)) == -1 ||
	    pathf(path, sizeof(path), "%s/%s.lock", dir, app) == -1 ||
	    mkdirs(dir, 0700) == -1 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, errlen, "cannot open the app's lock: %s",
		    strerror(errno));
		return -1;
	}
	return fd;
}

/* Say in the lock file who holds it now. */
static void
applock_note(int fd, const char *holder)
{
	char line[APPLOCK_WHAT_MAX + 32];
	int n = snprintf(line, sizeof(line), "%lld %s\n",
	    (long long)time(NULL), holder);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (ftruncate(fd, 0) == -1 || pwrite(fd, line, (size_t)n, 0) != n) {
		/* only a waiter's message is poorer for it */
	}
}

/* What holds the lock, from its file: "HOLDER since HH:MM:SS". */
static void
applock_holder(int fd, char *out, size_t len)
{
	char line[APPLOCK_WHAT_MAX + 32], when[16] = "?", *sp, *nl;
	ssize_t n = pread(fd, line, sizeof(line) - 1, 0);
	struct tm tm;
	long long v;
	time_t t;

	snprintf(out, len, "another operation");
	if (n <= 0)
		return;
	line[n] = '\0';
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	if ((sp = strchr(line, ' ')) == NULL || sp[1] == '\0')
		return;
	t = num_prefix(line, 0, LLONG_MAX, &v, NULL) == 0 ? (time_t)v : 0;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	snprintf(out, len, "%s since %s", sp + 1, when);
}

int
applock_take(const struct conf *c, const char *app, const char *holder,
    say_fn waiting, void *arg, char *err, size_t errlen)
{
	char busy[APPLOCK_WHAT_MAX + 32];
	long long end = clock_ms() + (long long)c->lock_timeout * 1000;
	int fd, told = 0;

	if ((fd = lock_open(c, app, err, errlen)) == -1)
		return -1;
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, errlen, "cannot lock app '%s': %s", app,
			    strerror(errno));
			close(fd);
			return -1;
		}
		applock_holder(fd, busy, sizeof(busy));
		if (clock_ms() >= end) {
			snprintf(err, errlen, "app '%s' is busy: %s; try again",
			    app, busy);
			close(fd);
			return -1;
		}
		if (!told++ && waiting != NULL)
			waiting(arg, busy);
		usleep(APPLOCK_RETRY_US);
	}
	applock_note(fd, holder);
	return fd;
}

int
applock_try(const struct conf *c, const char *app, const char *holder,
    int *fd, char *err, size_t errlen)
{
	int busy;

	if ((*fd = lock_open(c, app, err, errlen)) == -1)
		return -1;
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0) {
		applock_note(*fd, holder);
		return 1;
	}
	if (!(busy = errno == EWOULDBLOCK))
		snprintf(err, errlen, "cannot lock app '%s': %s", app,
		    strerror(errno));
	close(*fd);
	*fd = -1;
	return busy ? 0 : -1;
}
