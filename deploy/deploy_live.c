/*
 * deploy_live.c - a running deploy's log as it is said, in
 * DATA/apps/APP/deploy.live (DEPLOY_LIVE), so that the dashboard can
 * follow it (web/web_live.c) before the deploys row gets the whole log at
 * the end.  One deploy of an app runs at a time (its lock), so the file
 * is that deploy's; the next one starts it again.  A file that cannot be
 * written costs the live view only: the deploy goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/log.h"
#include "deploy/deploy.h"

void
deploy_live_open(struct deploy *d)
{
	char path[PATH_MAX];

	d->live_fd = -1;
	if (datadir_app_part(d->conf->data_dir, d->app.name, DEPLOY_LIVE, path,
	    sizeof(path)) == -1) {
		log_warnx("deploy: no live log for '%s': path too long",
		    d->app.name);
		return;
	}
	/* ENOENT: the app's first deploy, before its dir exists; there is no
	 * app page to follow it from yet */
	if ((d->live_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 && errno != ENOENT)
		log_warn("deploy: no live log for '%s'", d->app.name);
}

void
deploy_live_line(struct deploy *d, const char *line, size_t n)
{
	if (d->live_fd < 0)
		return;
	if (write(d->live_fd, line, n) != (ssize_t)n ||
	    write(d->live_fd, "\n", 1) != 1) {
		(void)close(d->live_fd);
		d->live_fd = -1;
	}
}

void
deploy_live_close(struct deploy *d)
{
	if (d->live_fd >= 0)
		(void)close(d->live_fd);
	d->live_fd = -1;
}
