/*
 * hooks_procfile.h - the process types of a release: from the app's
 * Procfile ("name: command" lines) or from a buildpack's bin/release YAML
 * (default_process_types, plus berth's static_root).  Commands are run
 * later without a shell, split on white space, so shell syntax (pipes,
 * redirections, $VARS, quotes) is refused here with the line that has it.
 * The result is a canonical text, one "name: command" per line.
 */
#ifndef BERTH_HOOKS_PROCFILE_H
#define BERTH_HOOKS_PROCFILE_H

#include <stddef.h>

#define PROC_NAME_MAX 32
#define PROC_TYPES_MAX 32

/* Parse Procfile text into out (canonical).  0 or -1 with err. */
int procfile_parse(const char *text, char *out, size_t outlen, char *err,
    size_t errlen);

/* Parse bin/release output.  procs gets the canonical process types (may be
 * empty); static_root gets the static_root key or "".  0 or -1 with err. */
int release_yaml_parse(const char *yaml, size_t len, char *procs,
    size_t plen, char *static_root, size_t srlen, char *err, size_t errlen);

/* Check one command for shell syntax. 0 or -1 with why. */
int procfile_command_valid(const char *cmd, char *why, size_t whylen);

#endif
