/* fuzz_cron.c - cron schedules (core/cron.c): the parser, and the search
 * for the next run of whatever parses, in UTC and in a zone with DST. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cron.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *text = malloc(len + 1), err[256];
	const char *rest;
	struct cron c;
	time_t next;

	if (text == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	if (cron_parse(text, &c, &rest, err, sizeof(err)) == 0) {
		if (rest < text || rest > text + len)
			abort();
		/* a fixed start: the search's cost does not drift with time */
		if (cron_next(&c, 1790000000, "UTC", &next) == 0 &&
		    next <= 1790000000)
			abort();
		if (cron_next(&c, 1792890000, "Europe/Paris", &next) == 0 &&
		    next <= 1792890000)
			abort();
	}
	free(text);
	return 0;
}
