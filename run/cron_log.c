/*
 * cron_log.c - a scheduled job's log: DATA/apps/APP/logs/NAME.log, lines
 * "TIME NAME | TEXT" as berth-shim writes its processes' (so `logs APP`
 * merges them by sorting), rotated at CRON_LOG_ROTATE to one .1 file.
 * berth writes it as root under the app's dir: the app name and job name
 * are checked where they become the path, the file is opened with
 * O_NOFOLLOW and must be a regular file.  See cron_run.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/names.h"
#include "core/path.h"
#include "core/text.h"
#include "run/cron_log.h"

#define CRON_LOG_ROTATE (1024 * 1024)

int
cron_log_open(const struct conf *c, const char *app, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX], old[PATH_MAX], why[128];
	struct stat sb;
	int fd;

	if (name_app_valid(app, why, sizeof(why)) == -1 ||
	    !procfile_name_valid(name) ||
	    datadir_app_part(c->data_dir, app, "logs", dir, sizeof(dir)) == -1 ||
	    (mkdir(dir, 0700) == -1 && errno != EEXIST) ||
	    pathf(path, sizeof(path), "%s/%s.log", dir, name) == -1 ||
	    pathf(old, sizeof(old), "%s/%s.log.1", dir, name) == -1)
		return -1;
	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size > CRON_LOG_ROTATE)
		(void)rename(path, old);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0640)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

void
cron_log_put(int fd, const char *name, const char *text)
{
	char buf[4200], stamp[32], clean[4000];
	struct timespec ts;
	struct tm tm;
	int n;

	if (fd < 0)
		return;
	snprintf(clean, sizeof(clean), "%s", text);
	clean[text_clean(clean, strlen(clean))] = '\0';
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	n = snprintf(buf, sizeof(buf), "%s.%03ldZ %s | %s\n", stamp,
	    ts.tv_nsec / 1000000, name, clean);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	if (write(fd, buf, (size_t)n) != n) {
		/* a full disk loses log lines, not the job */
	}
}

void
cron_log(const struct conf *c, const char *app, const char *name,
    const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if ((fd = cron_log_open(c, app, name)) == -1)
		return;
	cron_log_put(fd, name, text);
	close(fd);
}
