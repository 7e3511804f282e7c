/*
 * spawn.h - running a child program without a shell: argv and envp are
 * passed to execve as they are.  The child gets its own session and process
 * group (so a timeout kills everything it started), stdin from /dev/null,
 * and stdout+stderr through one pipe that the caller receives line by line.
 * Used by the build steps (buildpacks' bin/detect, bin/compile, bin/release).
 */
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#include <stddef.h>

#include "core/ident.h"

#define SPAWN_LINE_MAX 4096 /* longer output lines are split */

struct spawn_opts {
	char *const *argv;           /* argv[0] is an absolute path */
	char *const *envp;
	const char *cwd;             /* NULL: inherit */
	int timeout_s;               /* 0: none */
	void (*on_line)(void *ctx, const char *line); /* NULL: discard */
	void *ctx;
	unsigned long long memory_limit; /* bytes of heap (RLIMIT_DATA); 0: none */
	const struct ident *ident;   /* who to run as; NULL: berth's own user */
};

struct spawn_result {
	int exit_code;   /* valid when exited */
	int exited;      /* normal exit */
	int signal;      /* killing signal when !exited */
	int timed_out;   /* killed by us after timeout_s */
};

/* Run to completion.  0 when the program ran (see res), -1 with err when it
 * could not be started. */
int spawn_run(const struct spawn_opts *o, struct spawn_result *res,
    char *err, size_t errlen);

/* A readable description of res ("exit 1", "killed by signal 9", ...). */
void spawn_describe(const struct spawn_result *res, char *out, size_t len);

#endif
