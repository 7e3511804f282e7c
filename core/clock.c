/*
 * clock.c - CLOCK_MONOTONIC in milliseconds (see clock.h).
 */
#include <time.h>

#include "core/clock.h"

long long
clock_ms(void)
{
	struct timespec ts;

	/* cannot fail: CLOCK_MONOTONIC exists and &ts is valid */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
