/*
 * names.h - validation of every name a user sends before it touches a path,
 * a database row, a config file or the git protocol.  Each function returns 0
 * when the name is acceptable, else -1 with a one-line reason in why.
 */
#ifndef BERTH_NAMES_H
#define BERTH_NAMES_H

#include <stddef.h>

#define APP_NAME_MAX 63 /* one DNS label: the app answers at APP.BASE_DOMAIN */
#define KEY_NAME_MAX 63

/* App names: 1-63 of [a-z0-9-], starting with a letter, not ending in '-'. */
int name_app_valid(const char *name, char *why, size_t whylen);

/* Key names: 1-63 of [A-Za-z0-9._@-], starting with a letter or digit. */
int name_key_valid(const char *name, char *why, size_t whylen);

/*
 * Parse the repository argument of git-receive-pack/git-upload-pack:
 * "app", "app.git", "/app", "/app.git", "~/app" -> "app" (then validated).
 */
int name_repo_arg(const char *arg, char *app, size_t applen, char *why,
    size_t whylen);

/*
 * Domains: lower-case RFC 1123 host names, at most 253 characters, at least
 * two labels, each 1-63 of [a-z0-9-] not starting or ending with '-', the
 * last label not all digits.  No wildcards, no trailing dot, no IP addresses.
 */
int name_domain_valid(const char *domain, char *why, size_t whylen);

#endif
