/*
 * applock.c - per-app flock; see applock.h.
 */
#include "core/applock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/path.h"

/* DATA/locks/APP.lock, opened (created if missing).  fd, or -1 with err. */
static int
lock_open(const struct conf *c, const char *app, char *err, size_t errlen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int fd;

	if (pathf(dir, sizeof(dir), "%s/locks", c->data_dir) == -1 ||
	    pathf(path, sizeof(path), "%s/%s.lock", dir, app) == -1 ||
	    mkdirs(dir, 0700) == -1 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "cannot open the app's lock: %s",
		    strerror(errno));
		return -1;
	}
	return fd;
}

int
applock_try(const struct conf *c, const char *app, int *fd, char *err,
    size_t errlen)
{
	int busy;

	if ((*fd = lock_open(c, app, err, errlen)) == -1)
		return -1;
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 1;
	if (!(busy = errno == EWOULDBLOCK))
		snprintf(err, errlen, "cannot lock app '%s': %s", app,
		    strerror(errno));
	close(*fd);
	*fd = -1;
	return busy ? 0 : -1;
}

int
applock_take(const struct conf *c, const char *app, void (*waiting)(void *),
    void *arg, char *err, size_t errlen)
{
	int fd;

	if ((fd = lock_open(c, app, err, errlen)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK)
		goto fail;
	if (waiting != NULL)
		waiting(arg);
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR)
			goto fail;
	return fd;
fail:
	snprintf(err, errlen, "cannot lock app '%s': %s", app, strerror(errno));
	close(fd);
	return -1;
}
