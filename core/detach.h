/*
 * detach.h - starting this very binary again as a process of its own
 * (`berth shim ...`, `berth retire ...`): a fresh exec, never a plain
 * fork, so that no SQLite or libgit2 state crosses the fork, in a new
 * session, with stdin/out/err on /dev/null and no other fd inherited, so
 * that a client's socket does not linger and the caller's process group
 * can end without it.  Double-forked: it is nobody's child to reap.
 */
#ifndef BERTH_DETACH_H
#define BERTH_DETACH_H

#include <stddef.h>
#include <sys/types.h>

/* Run /proc/self/exe (the running binary, even if an upgrade replaced the
 * file) with argv (argv[0] "berth").  The detached process's pid, or -1
 * with err (it did not start). */
pid_t detach_self(char *const argv[], char *err, size_t errlen);

#endif
