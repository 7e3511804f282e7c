/*
 * procfile.h - the process types of a release: from the app's
 * Procfile ("name: command" lines) or from a buildpack's bin/release YAML
 * (default_process_types, plus berth's static_root).  Commands are run
 * later without a shell, split on white space, so shell syntax (pipes,
 * redirections, $VARS, quotes) is refused here with the line that has it.
 * The result is a canonical text, one "name: command" per line: names
 * of [A-Za-z0-9_-] only, commands of printable UTF-8 without a control
 * character (a newline would start a new, unchecked line).  Everything a
 * buildpack says is hostile, and so is what comes back from the store:
 * whatever turns a stored list into a path or an argv checks it again.
 *
 * Not every type is a long-running process: `release` (the release
 * phase), the deploy hooks `predeploy` (Piku's `preflight`) and
 * `postdeploy` (deploy/hooks.c), and scheduled jobs, types starting with
 * `cron` whose command starts with a five-field schedule (core/cron.h,
 * run by run/cron_sched.c), each run once when their time comes.  A bad
 * schedule is refused here like shell syntax.
 */
#ifndef BERTH_HOOKS_PROCFILE_H
#define BERTH_HOOKS_PROCFILE_H

#include <stddef.h>

#define PROC_NAME_MAX 32
#define PROC_TYPES_MAX 32
#define PROC_LIST_MAX 4096  /* the canonical text (STORE_PROCS_MAX) */

/* Parse Procfile text into out (canonical).  0 or -1 with err. */
int procfile_parse(const char *text, char *out, size_t outlen, char *err,
    size_t errlen);

/* Parse bin/release output.  procs gets the canonical process types (may be
 * empty); static_root gets the static_root key or "".  0 or -1 with err. */
int release_yaml_parse(const char *yaml, size_t len, char *procs,
    size_t plen, char *static_root, size_t srlen, char *err, size_t errlen);

/* Check one command: one line of printable text without shell syntax.
 * 0 or -1 with why. */
int procfile_command_valid(const char *cmd, char *why, size_t whylen);

/* 1 when name is a valid process type: 1-PROC_NAME_MAX of [A-Za-z0-9_-]. */
int procfile_name_valid(const char *name);

/* 1 when type is started as a long-running process (see above). */
int procfile_is_process(const char *type);

/* 1 when type is a scheduled job ("cron", "cron-cleanup", ...). */
int procfile_is_cron(const char *type);

/* Append "name: command" to the canonical list out, checked as a
 * Procfile line is (name, command, schedule, duplicates, room).  0 or -1
 * with why. */
int procfile_add(char *out, size_t outlen, const char *name,
    const char *cmd, char *why, size_t whylen);

/* Check a canonical list read back from the store: exactly what
 * procfile_parse would make of it, or "" (no processes).  0 or -1 with
 * err. */
int procfile_check(const char *procs, char *err, size_t errlen);

/* The command of process type `type` in a checked canonical list, into out.
 * 0, or -1 when the type is not a valid name, is not there or does not
 * fit. */
int procfile_command_of(const char *procs, const char *type, char *out,
    size_t len);

#endif
