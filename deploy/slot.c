/*
 * slot.c - build slots: at most build.concurrency builds run at once
 * across all apps.  Slot K is an flock on DATA/locks/build-slot-K.lock; a
 * build takes the first free one, or waits (saying so) and polls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/path.h"
#include "deploy/deploy.h"

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

int
slot_acquire(struct deploy *d)
{
	int fd, said = 0;

	while ((fd = try_slots(d)) == -1) {
		if (!said++)
			deploy_say(d, "-----> Waiting for a build slot (%d builds"
			    " already running)", d->conf->build_concurrency);
		usleep(250000);
	}
	if (fd == -2)
		return deploy_fail(d, "cannot open a build slot lock: %s",
		    strerror(errno));
	return fd;
}

void
slot_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
