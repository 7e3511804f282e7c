/*
 * procinfo.h - what /proc says about a process: its real uid, its parent
 * and whether it still runs (a zombie has exited: it holds no file and
 * can write nothing).  Used to tell a real supervisor from an app that
 * copies its command line (run/procs.c), to wait until nothing of a
 * build's uid is left (core/ident.c), and by a subreaper (the keeper of a
 * build step, a process's shim) to end the orphans of what it started.
 * Reads with plain open/read, so a forked child may call it.
 */
#ifndef BERTH_PROCINFO_H
#define BERTH_PROCINFO_H

#include <sys/types.h>

struct procinfo {
	uid_t uid;    /* real uid */
	pid_t ppid;
	char state;   /* R, S, D, Z, X, ... */
};

/* 0, or -1 when pid does not exist (or /proc cannot tell). */
int procinfo_get(pid_t pid, struct procinfo *out);

/* 1 when pid exists and has not exited (not a zombie). */
int procinfo_running(const struct procinfo *pi);

/* 1 when a process other than `except` with real uid `uid` still runs,
 * 0 when none does, -1 when /proc cannot be read. */
int procinfo_uid_running(uid_t uid, pid_t except);

/* SIGKILL every child of the caller (a child subreaper: the orphans of
 * what it started are its children).  The number signalled, or -1 when
 * the kernel does not list children (/proc/self/task/TID/children). */
int procinfo_kill_children(void);

#endif
