/*
 * unit.h - the tiny harness every C unit test uses.  CHECK records a failure
 * with file and line and goes on; unit_done() prints "N passed, N failed" for
 * the binary and returns its exit code.  tests/run adds the counts up.
 */
#ifndef BERTH_UNIT_H
#define BERTH_UNIT_H

#include <stdio.h>

static int unit_pass, unit_fail;

#define CHECK(cond)                                                        \
	do {                                                               \
		if (cond) {                                                \
			unit_pass++;                                       \
		} else {                                                   \
			unit_fail++;                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n",       \
			    __FILE__, __LINE__, #cond);                    \
		}                                                          \
	} while (0)

static inline int
unit_done(void)
{
	printf("%d passed, %d failed\n", unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

#endif
