/*
 * testpoint.h - named places in a push where the crash tests stop berth.
 *
 * With BERTH_TEST_PAUSE=NAME in the environment of `berth serve`, the
 * process that reaches testpoint("NAME") logs "testpoint NAME reached" and
 * sleeps until it is killed, so tests/e2e/test_crash.sh can kill -9 berth
 * exactly there.  The daemon arms it (conf->test_pause) once its own
 * start-up is done, so only pushes and commands stop.  Without the
 * variable a testpoint does nothing.  The
 * names: "healthy" (the new processes passed their health check, nothing
 * promoted or routed yet), "promoted" (the new processes are marked running, the router not
 * yet told), "router-reload" (the router's new config is about to be
 * applied) and "activated" (the new release is live, the ref not moved).
 */
#ifndef BERTH_TESTPOINT_H
#define BERTH_TESTPOINT_H

#include "conf/conf.h"

/* Arm c from the environment (berth serve, after start-up). */
void testpoint_arm(struct conf *c);

void testpoint(const struct conf *c, const char *name);

#endif
