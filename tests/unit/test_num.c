/*
 * test_num.c - unit tests of core/num.c, the one number parser: what
 * atoi and a bare strtol let through (junk after the digits, an empty
 * string, spaces, a '+', a value out of range clipped to LLONG_MAX) is
 * refused, and *out stays untouched when it is; a prefix stops at the
 * first non-digit; hex words as /proc/net/tcp writes them.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "core/num.h"
#include "unit.h"

static void
whole(void)
{
	long long v = 7;

	CHECK(num_parse("42", 0, 100, &v) == 0 && v == 42);
	CHECK(num_parse("-3", -5, 5, &v) == 0 && v == -3);
	CHECK(num_parse("0", 0, 0, &v) == 0 && v == 0);
	CHECK(num_parse("9223372036854775807", 0, LLONG_MAX, &v) == 0 &&
	    v == LLONG_MAX);
	v = 7;
	CHECK(num_parse("", 0, 100, &v) == -1 && v == 7);
	CHECK(num_parse("12x", 0, 100, &v) == -1 && v == 7);
	CHECK(num_parse(" 12", 0, 100, &v) == -1);
	CHECK(num_parse("12 ", 0, 100, &v) == -1);
	CHECK(num_parse("12\n", 0, 100, &v) == -1);
	CHECK(num_parse("+12", 0, 100, &v) == -1);
	CHECK(num_parse("-", -5, 5, &v) == -1);
	CHECK(num_parse("0x10", 0, 100, &v) == -1);
	CHECK(num_parse("101", 0, 100, &v) == -1);
	CHECK(num_parse("-1", 0, 100, &v) == -1);
	CHECK(num_parse("9223372036854775808", 0, LLONG_MAX, &v) == -1);
	CHECK(num_parse("99999999999999999999", 0, LLONG_MAX, &v) == -1);
	CHECK(v == 7);
}

static void
prefix(void)
{
	const char *end = NULL;
	long long v = 7;

	CHECK(num_prefix("1700000000 a push", 0, LLONG_MAX, &v, &end) == 0 &&
	    v == 1700000000 && strcmp(end, " a push") == 0);
	CHECK(num_prefix("1000\t1000\t1000", 0, UINT32_MAX, &v, NULL) == 0 &&
	    v == 1000);
	CHECK(num_prefix("5", 0, 9, &v, &end) == 0 && *end == '\0');
	v = 7;
	CHECK(num_prefix("x5", 0, 9, &v, &end) == -1 && v == 7);
	CHECK(num_prefix(" 5", 0, 9, &v, &end) == -1);
	CHECK(num_prefix("", 0, 9, &v, &end) == -1);
	CHECK(num_prefix("10 x", 0, 9, &v, &end) == -1 && v == 7);
}

static void
hex(void)
{
	unsigned long long v = 7;

	CHECK(num_parse_hex("0100007F", UINT32_MAX, &v) == 0 &&
	    v == 0x0100007F);
	CHECK(num_parse_hex("ffffffff", UINT32_MAX, &v) == 0 &&
	    v == 0xffffffff);
	v = 7;
	CHECK(num_parse_hex("", UINT32_MAX, &v) == -1);
	CHECK(num_parse_hex("0x10", UINT32_MAX, &v) == -1);
	CHECK(num_parse_hex("1g", UINT32_MAX, &v) == -1);
	CHECK(num_parse_hex("-1", UINT32_MAX, &v) == -1);
	CHECK(num_parse_hex("100000000", UINT32_MAX, &v) == -1);
	CHECK(v == 7);
}

int
main(void)
{
	whole();
	prefix();
	hex();
	return unit_done();
}
