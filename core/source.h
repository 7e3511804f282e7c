/*
 * source.h - an app's Git source (apps:source APP URL [--branch B]):
 * the URL and branch checked where they enter and again where they are
 * used (they reach libgit2 and the deploy log), and the app's ssh deploy
 * key: an ed25519 pair berth makes once per app in
 * DATA/apps/APP/source/ (a root-only 0700 directory, the private half
 * 0600), whose public half the user adds on the Git host.
 */
#ifndef BERTH_SOURCE_H
#define BERTH_SOURCE_H

#include <stddef.h>

#include "conf/conf.h"

enum source_kind { SOURCE_HTTPS = 1, SOURCE_SSH = 2 };

#define SOURCE_URL_MAX 1000
#define SOURCE_BRANCH_MAX 200
#define SOURCE_PUBKEY_MAX 256

/* https://HOST[:PORT]/PATH, ssh://[USER@]HOST[:PORT]/PATH or
 * USER@HOST:PATH, in printable ASCII without blanks: its kind, or -1
 * with why. */
int source_check_url(const char *url, char *why, size_t whylen);
/* A branch name git would take (refs/heads/BRANCH), of at most
 * SOURCE_BRANCH_MAX characters: 0, or -1 with why. */
int source_check_branch(const char *branch, char *why, size_t whylen);

/* The deploy key's files: DATA/apps/APP/source/deploy_key and its .pub.
 * 0 or -1 (a bad app name, too long). */
int source_key_paths(const struct conf *c, const char *app, char *priv,
    char *pub, size_t len);
/* Make the app's deploy key unless it has one; its public line
 * ("ssh-ed25519 BASE64 berth-APP") in pub.  0 or -1 with err. */
int source_key_ensure(const struct conf *c, const char *app, char *pub,
    size_t publen, char *err, size_t errlen);
/* The public line of the app's key: 0, STORE-style 1 when it has none,
 * or -1 with err. */
int source_key_read(const struct conf *c, const char *app, char *pub,
    size_t publen, char *err, size_t errlen);
/* Remove the app's deploy key and what was learnt of the host (its
 * source/ directory).  0 or -1 with err. */
int source_key_remove(const struct conf *c, const char *app, char *err,
    size_t errlen);

#endif
