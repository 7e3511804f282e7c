/*
 * oneoff_int.h - what oneoff.c and oneoff_list.c share (run/ internal).
 */
#ifndef BERTH_ONEOFF_INT_H
#define BERTH_ONEOFF_INT_H

#include "run/oneoff.h"

/* DATA/apps/APP/releases/VERSION of o, its app name checked.  0 or -1. */
int oneoff_release_dir(const struct oneoff *o, char *out, size_t len,
    char *err, size_t errlen);

/* List p (DATA/apps/APP/oneoff/PID) for `ps`; a failure only logs. */
void oneoff_list_add(const struct oneoff *o, struct oneoff_proc *p);
void oneoff_list_remove(struct oneoff_proc *p);

#endif
