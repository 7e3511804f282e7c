/*
 * log.c - the operator's log: time-stamped lines on stderr (systemd's journal
 * picks them up).  See log.h.  The tag and verbosity are set once per process
 * (the daemon, then each forked connection) and only read afterwards.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char log_tag[64] = "berth";
static int log_verbose;

void
log_init(const char *tag, int verbose)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag);
	log_verbose = verbose;
}

static void
log_emit(const char *level, const char *fmt, va_list ap, int with_errno)
{
	char msg[1024], stamp[32];
	int saved = errno;
	time_t now = time(NULL);
	struct tm tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "-");
	if (with_errno)
		fprintf(stderr, "%s %s[%ld] %s: %s: %s\n", stamp, log_tag,
		    (long)getpid(), level, msg, strerror(saved));
	else
		fprintf(stderr, "%s %s[%ld] %s: %s\n", stamp, log_tag,
		    (long)getpid(), level, msg);
	errno = saved;
}

#define LOG_BODY(level, with_errno)                                      \
	do {                                                             \
		va_list ap;                                              \
		va_start(ap, fmt);                                       \
		log_emit(level, fmt, ap, with_errno);                    \
		va_end(ap);                                              \
	} while (0)

void log_warn(const char *fmt, ...) { LOG_BODY("warning", 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY("warning", 0); }
void log_info(const char *fmt, ...) { LOG_BODY("info", 0); }

void
log_debug(const char *fmt, ...)
{
	if (log_verbose)
		LOG_BODY("debug", 0);
}

void
fatal(const char *fmt, ...)
{
	LOG_BODY("fatal", 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY("fatal", 0);
	exit(1);
}
