/*
 * clock.h - the one clock berth measures waits and deadlines with:
 * CLOCK_MONOTONIC in milliseconds (a change of the wall clock moves no
 * deadline).  libc only: the static front and supervisor link it too.
 */
#ifndef BERTH_CORE_CLOCK_H
#define BERTH_CORE_CLOCK_H

/* Milliseconds since an arbitrary point (the boot), never going back. */
long long clock_ms(void);

#endif
