/*
 * testpoint.c - stop at a named place when a crash test asks.  See
 * testpoint.h.
 */
#include "core/testpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

void
testpoint_arm(struct conf *c)
{
	const char *want = getenv("BERTH_TEST_PAUSE");

	snprintf(c->test_pause, sizeof(c->test_pause), "%s", want ? want : "");
}

void
testpoint(const struct conf *c, const char *name)
{
	if (c->test_pause[0] == '\0' || strcmp(c->test_pause, name) != 0)
		return;
	log_info("testpoint %s reached", name);
	for (;;)
		pause();
}
