/*
 * cron_log.h - a scheduled job's log file (run/ internal; see
 * cron_log.c).  cron_log() itself is declared in cron_run.h.
 */
#ifndef BERTH_CRON_LOG_H
#define BERTH_CRON_LOG_H

#include "run/cron_run.h"

/* Open (create, rotate) DATA/apps/APP/logs/NAME.log for appending; the
 * descriptor, or -1. */
int cron_log_open(const struct conf *c, const char *app, const char *name);

/* One time-stamped line "TIME NAME | TEXT" (TEXT made harmless). */
void cron_log_put(int fd, const char *name, const char *text);

#endif
