/*
 * slot.c - build slots: at most build.concurrency builds run at once
 * across all apps.  Slot K is an flock on DATA/locks/build-slot-K.lock; a
 * build takes the first free one, or waits (saying so) until one is
 * handed over: a release touches its lock file (futimens) before it lets
 * go, and the waiters watch the locks dir for that with inotify.  A holder
 * that dies without the touch frees its slot too; waiters look again
 * every SLOT_RECHECK_MS for that case only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/path.h"
#include "deploy/deploy.h"

#define SLOT_RECHECK_MS 1000

static int
try_slots(struct deploy *d)
{
	char path[PATH_MAX];

	for (int k = 0; k < d->conf->build_concurrency; k++) {
		char name[32];
		int fd;
		snprintf(name, sizeof(name), "build-slot-%d.lock", k);
		if (datadir_lock(d->conf->data_dir, name, path, sizeof(path)) == -1 ||
		    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
			return -2;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

/* Watch the locks dir for a release (-1: then only the recheck). */
static int
watch_slots(struct deploy *d)
{
	char path[PATH_MAX];
	int in;

	if (pathf(path, sizeof(path), "%s/locks", d->conf->data_dir) == -1 ||
	    (in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -1;
	if (inotify_add_watch(in, path, IN_ATTRIB) == -1) {
		close(in);
		return -1;
	}
	return in;
}

int
slot_acquire(struct deploy *d)
{
	char buf[4096];
	int fd, in = -1, said = 0;

	while ((fd = try_slots(d)) == -1) {
		struct pollfd pfd = { in, POLLIN, 0 };
		if (!said++) {
			deploy_say(d, "-----> Waiting for a build slot (%d builds"
			    " already running)", d->conf->build_concurrency);
			in = watch_slots(d);
			continue; /* one freed before the watch began */
		}
		pfd.fd = in; /* -1: poll only waits for the recheck */
		if (poll(&pfd, 1, SLOT_RECHECK_MS) > 0)
			while (read(in, buf, sizeof(buf)) > 0)
				;
	}
	if (in >= 0)
		close(in);
	if (fd == -2)
		return deploy_fail(d, "cannot open a build slot lock: %s",
		    strerror(errno));
	return fd;
}

void
slot_release(int fd)
{
	if (fd < 0)
		return;
	/* unlock, then wake the waiters (watch_slots) */
	if (flock(fd, LOCK_UN) == 0)
		(void)futimens(fd, NULL);
	close(fd);
}
