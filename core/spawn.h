/*
 * spawn.h - running a child program without a shell: argv and envp are
 * passed to execve as they are.  The child gets its own session and process
 * group, stdin from /dev/null, no descriptor of ours above 2, and stdout+
 * stderr through one pipe that the caller receives line by line.  Used by
 * the build steps (buildpacks' bin/detect, bin/compile, bin/release) and
 * the router's commands.
 *
 * Between the caller and the program stands a keeper (spawn_keeper.c), a
 * process of its own that enforces the deadline and cleans up even when
 * the caller is gone (a killed connection): with reap_all, when the step
 * ends nothing it started survives, whatever session it moved to.
 */
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#include <stddef.h>

#include "core/ident.h"
#include "core/msg.h"

#define SPAWN_LINE_MAX 4096 /* longer output lines are split */

/* A file the step finds in files_dir: name (no '/') and content. */
struct spawn_file {
	const char *name;
	const char *data;
};

struct spawn_opts {
	char *const *argv;           /* argv[0] is an absolute path */
	char *const *envp;
	const char *cwd;             /* NULL: inherit */
	int timeout_s;               /* 0: none */
	say_fn on_line;              /* each line of output; NULL: discard */
	void *ctx;
	unsigned long long memory_limit; /* bytes of heap (RLIMIT_DATA); 0: none */
	const struct ident *ident;   /* who to run as; NULL: berth's own user */
	/* when the step ends (or times out, or the caller dies), kill every
	 * process it started: every process of ident's uid (which must then
	 * be the step's alone) and every descendant, setsid or not */
	int reap_all;
	/* with reap_all: end only what the step started (its descendants,
	 * setsid or not), not every process of ident's uid: for a one-off
	 * of the app (run/oneoff.h), whose live processes share that uid */
	int keep_uid;
	/* argv[0] without a '/' is looked up in envp's PATH (execvpe) */
	int path_search;
	/* files_dir (an empty directory) shows the step these files and
	 * nothing else: when berth is root, on a tmpfs mounted there in a
	 * mount namespace of the step's own, gone with the step's last
	 * process; else written into the directory, which the caller removes */
	const char *files_dir;
	const struct spawn_file *files;
	size_t nfiles;
};

struct spawn_result {
	int exit_code;   /* valid when exited */
	int exited;      /* normal exit */
	int signal;      /* killing signal when !exited */
	int timed_out;   /* killed by us after timeout_s */
};

/* Run to completion.  0 when the program ran (see res), -1 with err when it
 * could not be started, or when with reap_all something it started could
 * not be stopped. */
int spawn_run(const struct spawn_opts *o, struct spawn_result *res,
    char *err, size_t errlen);

/* A readable description of res ("exit 1", "killed by signal 9", ...). */
void spawn_describe(const struct spawn_result *res, char *out, size_t len);

/* In a child about to exec: mark every descriptor above 2 close-on-exec,
 * so nothing berth holds (or was started with) reaches the program.
 * 0 or -1. */
int spawn_close_fds(void);

#endif
