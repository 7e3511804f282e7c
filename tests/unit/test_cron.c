/*
 * test_cron.c - core/cron.c: the five fields and their errors, the next
 * run (steps, lists, names, month ends, leap days, the day-of-month /
 * day-of-week rule) and DST changes in a named zone.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cron.h"
#include "unit.h"

static time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi };

	return timegm(&tm);
}

/* The next run of spec after `after` in tz; -2 when spec does not parse,
 * -1 when it never runs. */
static time_t
next_of(const char *spec, time_t after, const char *tz)
{
	char err[256];
	struct cron c;
	time_t n;

	if (cron_parse(spec, &c, NULL, err, sizeof(err)) == -1)
		return -2;
	if (cron_next(&c, after, tz, &n) == -1)
		return -1;
	return n;
}

static int
refused(const char *spec, const char *want)
{
	char err[256] = "";
	struct cron c;

	return cron_parse(spec, &c, NULL, err, sizeof(err)) == -1 &&
	    strstr(err, want) != NULL;
}

static void
test_parse(void)
{
	const char *rest = NULL;
	char err[256];
	struct cron c;

	CHECK(cron_parse("0 3 * * * python3 cleanup.py", &c, &rest, err,
	    sizeof(err)) == 0);
	CHECK(rest != NULL && strcmp(rest, "python3 cleanup.py") == 0);
	CHECK(c.minute == 1 && c.hour == 1u << 3 && c.dom_star && c.dow_star);
	CHECK(cron_parse("*/20 1,2 1-5 jan-MAR mon-fri", &c, NULL, err,
	    sizeof(err)) == 0);
	CHECK(c.minute == (1ULL | 1ULL << 20 | 1ULL << 40));
	CHECK(c.hour == (1u << 1 | 1u << 2) && c.month == 0xe);
	CHECK(c.dow == 0x3e && !c.dom_star && !c.dow_star);
	CHECK(cron_parse("0 0 * * 7", &c, NULL, err, sizeof(err)) == 0 &&
	    c.dow == 1); /* 7 is Sunday */
	CHECK(cron_parse("5/20 * * * *", &c, NULL, err, sizeof(err)) == 0 &&
	    c.minute == (1ULL << 5 | 1ULL << 25 | 1ULL << 45));
	CHECK(cron_parse("@daily  backup", &c, &rest, err, sizeof(err)) == 0 &&
	    c.minute == 1 && c.hour == 1 && strcmp(rest, "backup") == 0);
	CHECK(refused("60 * * * *", "bad minute '60'"));
	CHECK(refused("* 24 * * *", "bad hour"));
	CHECK(refused("* * 0 * *", "bad day of month"));
	CHECK(refused("* * * 13 *", "bad month"));
	CHECK(refused("* * * * 8", "bad day of week"));
	CHECK(refused("* * * * mon,", "bad day of week"));
	CHECK(refused("* * * *", "day of week is missing"));
	CHECK(refused("", "minute is missing"));
	CHECK(refused("*/0 * * * *", "bad minute"));
	CHECK(refused("5-1 * * * *", "bad minute"));
	CHECK(refused("1/2/3 * * * *", "bad minute"));
	CHECK(refused("* * * jan-xyz *", "bad month"));
	CHECK(refused("* * * * jan", "bad day of week"));
	CHECK(refused("-1 * * * *", "bad minute"));
	CHECK(refused("99999999999999999999 * * * *", "bad minute"));
	CHECK(refused("@reboot cmd", "unknown schedule"));
	CHECK(refused("* * * * *x", "bad day of week"));
}

static void
test_next(void)
{
	time_t t0 = utc(2026, 1, 1, 10, 7); /* a Thursday */

	CHECK(next_of("*/15 * * * *", t0, "UTC") == utc(2026, 1, 1, 10, 15));
	CHECK(next_of("* * * * *", utc(2026, 1, 1, 10, 7) + 30, "UTC") ==
	    utc(2026, 1, 1, 10, 8));
	/* strictly after: a run at 03:00 next comes a day later */
	CHECK(next_of("0 3 * * *", utc(2026, 1, 1, 3, 0), "UTC") ==
	    utc(2026, 1, 2, 3, 0));
	CHECK(next_of("59 23 31 12 *", t0, "UTC") == utc(2026, 12, 31, 23, 59));
	/* both days restricted: either; one a `*`: the other alone */
	CHECK(next_of("0 0 13 * fri", t0, "UTC") == utc(2026, 1, 2, 0, 0));
	CHECK(next_of("0 0 13 * *", t0, "UTC") == utc(2026, 1, 13, 0, 0));
	CHECK(next_of("0 0 * * fri", t0, "UTC") == utc(2026, 1, 2, 0, 0));
	CHECK(next_of("0 0 */2 * fri", t0, "UTC") == utc(2026, 1, 9, 0, 0));
	/* month ends and leap days */
	CHECK(next_of("0 0 31 * *", utc(2026, 1, 31, 0, 0), "UTC") ==
	    utc(2026, 3, 31, 0, 0));
	CHECK(next_of("0 0 29 2 *", utc(2026, 3, 1, 0, 0), "UTC") ==
	    utc(2028, 2, 29, 0, 0));
	CHECK(next_of("0 0 30 2 *", t0, "UTC") == -1);
	CHECK(next_of("0 0 31 4,6,9,11 *", t0, "UTC") == -1);
	CHECK(next_of("0 12 * * sun", t0, "UTC") == utc(2026, 1, 4, 12, 0));
	CHECK(next_of("@monthly", t0, "UTC") == utc(2026, 2, 1, 0, 0));
}

static void
test_dst(void)
{
	/* Europe/Paris: 2026-03-29 02:00 CET does not exist (03:00 CEST);
	 * 2026-10-25 02:00-03:00 happens twice (CEST, then CET) */
	time_t n;

	CHECK(next_of("30 2 * * *", utc(2026, 3, 28, 2, 0), "Europe/Paris") ==
	    utc(2026, 3, 30, 0, 30)); /* skipped on the 29th */
	CHECK(next_of("30 3 * * *", utc(2026, 3, 28, 3, 0), "Europe/Paris") ==
	    utc(2026, 3, 29, 1, 30));
	CHECK(next_of("0 12 * * *", utc(2026, 3, 28, 12, 0), "Europe/Paris") ==
	    utc(2026, 3, 29, 10, 0)); /* noon moved an hour in UTC */
	n = next_of("30 2 * * *", utc(2026, 10, 24, 23, 0), "Europe/Paris");
	CHECK(n == utc(2026, 10, 25, 0, 30));
	/* a fixed time that comes twice runs once */
	CHECK(next_of("30 2 * * *", n, "Europe/Paris") ==
	    utc(2026, 10, 26, 1, 30));
	/* every hour: both passes */
	CHECK(next_of("30 * * * *", n, "Europe/Paris") ==
	    utc(2026, 10, 25, 1, 30));
	/* the same schedule in two zones */
	CHECK(next_of("0 9 * * *", utc(2026, 6, 1, 0, 0), "America/New_York") ==
	    utc(2026, 6, 1, 13, 0));
	CHECK(next_of("0 9 * * *", utc(2026, 6, 1, 0, 0), "Asia/Kolkata") ==
	    utc(2026, 6, 1, 3, 30));
}

static void
test_tz(void)
{
	char why[128];
	struct cron c;
	time_t n;
	const char *tz;

	CHECK(cron_tz_valid("", why, sizeof(why)) == 0);
	CHECK(cron_tz_valid("Europe/Paris", why, sizeof(why)) == 0);
	CHECK(cron_tz_valid("UTC", why, sizeof(why)) == 0);
	CHECK(cron_tz_valid("Nowhere/Atlantis", why, sizeof(why)) == -1 &&
	    strstr(why, "unknown time zone") != NULL);
	CHECK(cron_tz_valid("../../etc/passwd", why, sizeof(why)) == -1);
	CHECK(cron_tz_valid("/etc/localtime", why, sizeof(why)) == -1);
	CHECK(cron_tz_valid("Europe", why, sizeof(why)) == -1); /* a dir */
	CHECK(cron_tz_valid("EST5EDT,M3.2.0", why, sizeof(why)) == -1);
	/* the process's own TZ comes back after a search in another */
	CHECK(setenv("TZ", "Asia/Tokyo", 1) == 0);
	CHECK(cron_parse("0 0 * * *", &c, NULL, why, sizeof(why)) == 0);
	CHECK(cron_next(&c, 0, "Europe/Paris", &n) == 0);
	tz = getenv("TZ");
	CHECK(tz != NULL && strcmp(tz, "Asia/Tokyo") == 0);
	CHECK(cron_next(&c, 0, "Bad/Zone", &n) == -1);
	CHECK(cron_check("0 0 30 2 * cmd", NULL, why, sizeof(why)) == -1 &&
	    strstr(why, "never") != NULL);
	CHECK(cron_check("0 0 29 2 * cmd", NULL, why, sizeof(why)) == 0);
}

int
main(void)
{
	test_parse();
	test_next();
	test_dst();
	test_tz();
	return unit_done();
}
