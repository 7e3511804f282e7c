/*
 * cron.c - cron schedules: the five-field parser and the next matching
 * minute in a time zone (see cron.h).  A field becomes a bit set; the
 * search steps through local time the way a person would (wrong month:
 * the first of the next; wrong day: the next midnight; wrong hour: the
 * next hour; wrong minute: the next minute), with mktime(3) doing the
 * calendar and the zone's rules.
 */
#include "core/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define FIELD_MAX 64

struct field {
	const char *what;
	int lo, hi;                 /* hi: 7 for the day of week (Sunday) */
	const char *const *names;   /* names[i] is lo + i; NULL: none */
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr",
	"may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat", NULL };

static const struct field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day of week", 0, 7, day_names },
};

static const struct {
	const char *name, *fields;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* One value of field f (a number or a name) from s[0..len). */
static int
parse_value(const struct field *f, const char *s, size_t len, int *v)
{
	int n = 0;

	if (len == 0)
		return -1;
	if (isalpha((unsigned char)s[0])) {
		for (int i = 0; f->names != NULL && f->names[i] != NULL; i++)
			if (len == 3 && strncasecmp(s, f->names[i], 3) == 0) {
				*v = f->lo + i;
				return 0;
			}
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]) || n > 1000)
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (n < f->lo || n > f->hi)
		return -1;
	*v = n;
	return 0;
}

/* One item: `*`, N, N-M, each with an optional /STEP; into *bits. */
static int
parse_item(const struct field *f, const char *s, size_t len, uint64_t *bits)
{
	const char *slash = memchr(s, '/', len), *dash;
	size_t blen = slash ? (size_t)(slash - s) : len;
	int lo, hi, step = 1;

	if (slash != NULL) {
		struct field sf = { "step", 1, f->hi - f->lo + 1, NULL };
		if (parse_value(&sf, slash + 1, len - blen - 1, &step) == -1)
			return -1;
	}
	if (blen == 1 && s[0] == '*') {
		lo = f->lo, hi = f->hi;
		if (f->hi == 7)
			hi = 6; /* `*` in the day of week: Sunday once */
	} else if ((dash = memchr(s, '-', blen)) != NULL) {
		if (parse_value(f, s, (size_t)(dash - s), &lo) == -1 ||
		    parse_value(f, dash + 1, blen - (size_t)(dash - s) - 1,
		    &hi) == -1 || lo > hi)
			return -1;
	} else {
		if (parse_value(f, s, blen, &lo) == -1)
			return -1;
		hi = slash ? f->hi : lo;
	}
	for (int v = lo; v <= hi; v += step)
		*bits |= 1ULL << (f->hi == 7 && v == 7 ? 0 : v);
	return 0;
}

/* A whole field (a list of items). */
static int
parse_field(const struct field *f, const char *s, size_t len, uint64_t *bits,
    char *err, size_t errlen)
{
	size_t at = 0, n;

	*bits = 0;
	while (at <= len) {
		n = strcspn(s + at, ",");
		if (at + n > len)
			n = len - at;
		if (parse_item(f, s + at, n, bits) == -1) {
			snprintf(err, errlen, "bad %s '%.*s' (%d-%d%s)", f->what,
			    (int)(n < 20 ? n : 20), s + at, f->lo, f->hi,
			    f->names ? ", or a name" : "");
			return -1;
		}
		at += n + 1;
	}
	return 0;
}

static const char *
skip_blank(const char *s)
{
	return s + strspn(s, " \t");
}

/* "@daily" and the like: the five fields they stand for, else NULL. */
static const char *
macro_fields(const char *text, const char **after)
{
	size_t len = strcspn(text, " \t");

	for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
		if (strlen(macros[i].name) == len &&
		    strncasecmp(text, macros[i].name, len) == 0) {
			*after = text + len;
			return macros[i].fields;
		}
	return NULL;
}

static int
parse_fields(const char *s, struct cron *c, const char **end, char *err,
    size_t errlen)
{
	uint64_t bits[5];
	size_t len;

	for (int i = 0; i < 5; i++) {
		s = skip_blank(s);
		len = strcspn(s, " \t");
		if (len == 0) {
			snprintf(err, errlen, "a schedule has five fields (minute"
			    " hour day-of-month month day-of-week); %s is missing",
			    fields[i].what);
			return -1;
		}
		if (len > FIELD_MAX) {
			snprintf(err, errlen, "%s field too long", fields[i].what);
			return -1;
		}
		if (parse_field(&fields[i], s, len, &bits[i], err, errlen) == -1)
			return -1;
		if (i == 1)
			c->hour_star = s[0] == '*';
		if (i == 2)
			c->dom_star = s[0] == '*';
		if (i == 4)
			c->dow_star = s[0] == '*';
		s += len;
	}
	c->minute = bits[0];
	c->hour = (uint32_t)bits[1];
	c->dom = (uint32_t)bits[2];
	c->month = (uint32_t)bits[3];
	c->dow = (uint32_t)bits[4];
	*end = s;
	return 0;
}

int
cron_parse(const char *text, struct cron *c, const char **rest, char *err,
    size_t errlen)
{
	const char *s = skip_blank(text), *after = NULL, *m, *end;

	memset(c, 0, sizeof(*c));
	if (s[0] == '@') {
		if ((m = macro_fields(s, &after)) == NULL) {
			snprintf(err, errlen, "unknown schedule '%.*s' (@hourly,"
			    " @daily, @weekly, @monthly, @yearly)",
			    (int)(strcspn(s, " \t") < 20 ? strcspn(s, " \t") : 20),
			    s);
			return -1;
		}
		if (parse_fields(m, c, &end, err, errlen) == -1)
			return -1;
		end = after;
	} else if (parse_fields(s, c, &end, err, errlen) == -1) {
		return -1;
	}
	if (*end != '\0' && *end != ' ' && *end != '\t') {
		snprintf(err, errlen, "bad schedule");
		return -1;
	}
	if (rest != NULL)
		*rest = skip_blank(end);
	return 0;
}

int
cron_tz_valid(const char *tz, char *why, size_t whylen)
{
	char path[CRON_TZ_MAX + 32];
	size_t len = strlen(tz);
	struct stat sb;

	if (len == 0)
		return 0;
	if (len >= CRON_TZ_MAX || tz[0] == '/' || tz[0] == '.' ||
	    strstr(tz, "..") != NULL || strspn(tz, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-/") != len) {
		snprintf(why, whylen, "bad time zone name (a name such as"
		    " Europe/Paris)");
		return -1;
	}
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(why, whylen, "unknown time zone '%s' (not in"
		    " /usr/share/zoneinfo)", tz);
		return -1;
	}
	return 0;
}

static int
day_matches(const struct cron *c, const struct tm *tm)
{
	int dom = (c->dom >> tm->tm_mday) & 1, dow = (c->dow >> tm->tm_wday) & 1;

	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

/* The local time tm (changed by the caller) as a time after t: mktime's
 * answer, or an hour on when a DST change would take us backwards. */
static time_t
advance(time_t t, struct tm *tm)
{
	time_t n;

	tm->tm_sec = 0;
	tm->tm_isdst = -1;
	n = mktime(tm);
	return n > t ? n : t + 3600;
}

/* 1 when the wall-clock minute of t (tm) already happened a little
 * earlier: the second pass of an hour repeated when DST ends. */
static int
repeated(time_t t, const struct tm *tm)
{
	struct tm e;

	for (int back = 1800; back <= 3600; back += 1800) {
		time_t u = t - back;
		if (localtime_r(&u, &e) != NULL && e.tm_hour == tm->tm_hour &&
		    e.tm_min == tm->tm_min && e.tm_mday == tm->tm_mday)
			return 1;
	}
	return 0;
}

static int
search(const struct cron *c, time_t after, time_t *next)
{
	time_t t = after - (after % 60 + 60) % 60 + 60;
	time_t limit = after + (time_t)CRON_HORIZON_DAYS * 86400;
	struct tm tm;

	while (t <= limit) {
		if (localtime_r(&t, &tm) == NULL)
			return -1;
		if (!((c->month >> (tm.tm_mon + 1)) & 1)) {
			tm.tm_mon++, tm.tm_mday = 1, tm.tm_hour = tm.tm_min = 0;
			t = advance(t, &tm);
		} else if (!day_matches(c, &tm)) {
			tm.tm_mday++, tm.tm_hour = tm.tm_min = 0;
			t = advance(t, &tm);
		} else if (!((c->hour >> tm.tm_hour) & 1)) {
			t += (60 - tm.tm_min) * 60 - tm.tm_sec;
		} else if (!((c->minute >> tm.tm_min) & 1) ||
		    (!c->hour_star && repeated(t, &tm))) {
			t += 60 - tm.tm_sec;
		} else {
			*next = t;
			return 0;
		}
	}
	return -1;
}

int
cron_next(const struct cron *c, time_t after, const char *tz, time_t *next)
{
	char saved[256], why[128];
	const char *old = getenv("TZ");
	int had = old != NULL, rc;

	if (tz == NULL || tz[0] == '\0')
		return search(c, after, next);
	if (cron_tz_valid(tz, why, sizeof(why)) == -1 ||
	    (had && strlen(old) >= sizeof(saved)))
		return -1;
	if (had)
		memcpy(saved, old, strlen(old) + 1);
	if (setenv("TZ", tz, 1) == -1)
		return -1;
	tzset();
	rc = search(c, after, next);
	if (had ? setenv("TZ", saved, 1) : unsetenv("TZ"))
		rc = -1;
	tzset();
	return rc;
}

int
cron_check(const char *text, const char **rest, char *err, size_t errlen)
{
	struct cron c;
	time_t next;

	if (cron_parse(text, &c, rest, err, errlen) == -1)
		return -1;
	if (cron_next(&c, time(NULL), NULL, &next) == -1) {
		snprintf(err, errlen, "the schedule never comes (a day that no"
		    " month has?)");
		return -1;
	}
	return 0;
}
