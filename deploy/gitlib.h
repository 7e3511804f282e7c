/*
 * gitlib.h - libgit2's start without parsing the system's CA bundle, and
 * the bundle parsed when an https fetch needs it (deploy/gitlib.c says
 * why and how).  Every berth process that uses libgit2 starts it with
 * gitlib_init, not git_libgit2_init.
 */
#ifndef BERTH_DEPLOY_GITLIB_H
#define BERTH_DEPLOY_GITLIB_H

#include <stddef.h>

/* git_libgit2_init(), with the default CA bundle owed instead of parsed.
 * Its result: >= 0, or < 0 (git_error_last() says why). */
int gitlib_init(void);

/* Parse the CA bundle libgit2's start was owed, into the chain its TLS
 * configuration holds; at most once, nothing when nothing is owed.
 * Called before an https fetch.  0, or -1 with err. */
int gitlib_load_cas(char *err, size_t errlen);

/* Whether CAs are owed: 1 and the bundle's path in file, or 0. */
int gitlib_cas_owed(char *file, size_t filelen);

#endif
