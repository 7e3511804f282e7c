/*
 * num.c - see num.h.  strtoll/strtoull do the arithmetic; what they let
 * through (leading spaces, a '+', no digits at all, ERANGE clipping) is
 * refused here, before or after.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/num.h"

int
num_prefix(const char *s, long long min, long long max, long long *out,
    const char **end)
{
	const char *digits = s[0] == '-' ? s + 1 : s;
	char *e;
	long long v;

	if (!isdigit((unsigned char)*digits))
		return -1;
	errno = 0;
	v = strtoll(s, &e, 10);
	if (errno == ERANGE || v < min || v > max)
		return -1;
	*out = v;
	if (end != NULL)
		*end = e;
	return 0;
}

int
num_parse(const char *s, long long min, long long max, long long *out)
{
	const char *end;
	long long v;

	if (num_prefix(s, min, max, &v, &end) == -1 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int
num_parse_hex(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	/* strtoull would take "0x", spaces and a sign too */
	if (s[0] == '\0' || s[strspn(s, "0123456789abcdefABCDEF")] != '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno == ERANGE || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}
