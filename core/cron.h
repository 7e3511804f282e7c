/*
 * cron.h - cron schedules: the five fields of crontab(5) (minute, hour,
 * day of month, month, day of week), as Piku's Procfile `cron*` entries
 * and Dokku's app.json `cron` list write them, and the next time one
 * matches in a time zone.  Used by the Procfile and app.json readers
 * (run/procfile.c, run/appjson.c) to refuse a bad schedule at deploy time,
 * and by the scheduler in berth serve (run/cron_sched.c).
 *
 * A field is a list ("1,5,10") of items: `*`, a number, a range "1-5",
 * each with an optional step ("1-30/2"; "5/10" is 5-max/10, a `*` with
 * a step every step from the first);
 * months and days of week may be names (jan..dec, sun..sat; day 7 is
 * Sunday too).  "@hourly", "@daily" (or "@midnight"), "@weekly",
 * "@monthly", "@yearly" (or "@annually") stand for the five fields.  As in
 * cron, when both day fields are restricted a day matches either of them;
 * when one starts with `*`, only the other counts.
 *
 * Times: whole minutes of local time in the zone given (a name under
 * /usr/share/zoneinfo, e.g. "Europe/Paris"; NULL or "" is the server's).
 * Across a DST change a time that does not exist that day is skipped, and
 * a fixed time that happens twice (the hour repeated in autumn) runs once;
 * a `*` hour runs in both.
 */
#ifndef BERTH_CRON_H
#define BERTH_CRON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CRON_TZ_MAX 64
/* the next run is searched this far ahead; beyond it: "never" */
#define CRON_HORIZON_DAYS (366 * 5)

struct cron {
	uint64_t minute;   /* bit n: minute n, 0-59 */
	uint32_t hour;     /* 0-23 */
	uint32_t dom;      /* 1-31 */
	uint32_t month;    /* 1-12 */
	uint32_t dow;      /* 0-6, Sunday 0 */
	int dom_star;      /* the day-of-month field starts with '*' */
	int dow_star;
	int hour_star;
};

/* Parse the schedule at the start of text: five fields (or one @name)
 * separated by blanks.  *rest (if not NULL) gets what follows, blanks
 * skipped: the command of a Procfile cron line.  0, or -1 with a
 * one-line reason in err naming the field. */
int cron_parse(const char *text, struct cron *c, const char **rest,
    char *err, size_t errlen);

/* Check a time zone name: "" (the server's) or a file of
 * /usr/share/zoneinfo with a plain relative name.  0, or -1 with why. */
int cron_tz_valid(const char *tz, char *why, size_t whylen);

/* The first whole minute strictly after `after` at which c matches, in
 * time zone tz (checked with cron_tz_valid first).  0 with *next, or -1
 * when there is none within CRON_HORIZON_DAYS ("0 0 30 2 *") or tz is
 * bad.  While it runs, the process's TZ is tz (restored after). */
int cron_next(const struct cron *c, time_t after, const char *tz,
    time_t *next);

/* Parse text and check that it ever runs; 0 or -1 with err (the
 * deploy-time check). */
int cron_check(const char *text, const char **rest, char *err,
    size_t errlen);

#endif
