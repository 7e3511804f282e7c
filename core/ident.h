/*
 * ident.h - the unprivileged identity an app's code runs as.
 *
 * When berth runs as root, everything an app brings runs as that app's own
 * uid and gid, app_uid_base + the app's id (no passwd entry is needed):
 * the buildpack steps of its builds and its processes.  Each gets no
 * supplementary groups and PR_SET_NO_NEW_PRIVS, so a setuid binary cannot
 * lift it back up.  One app therefore cannot read another's cache, config
 * vars (/proc/PID/environ) or signal its processes, and nothing it runs
 * can touch berth's db, keys or repos.  When berth is not root, nothing
 * changes hands: everything runs as berth's own user.
 *
 * Ownership follows the same line: a build's tree, cache and env dir
 * belong to the app while it builds; the built release goes back to root,
 * read-only for the app that runs it and closed to every other app.
 */
#ifndef BERTH_IDENT_H
#define BERTH_IDENT_H

#include <stdint.h>
#include <sys/types.h>

#include "conf/conf.h"

struct ident {
	uid_t uid;
	gid_t gid;
	int drop;   /* 0 when berth is not root: run as berth's own user */
	unsigned long nproc; /* RLIMIT_NPROC of the uid once dropped; 0: none */
	int bind;   /* keep CAP_NET_BIND_SERVICE across exec (the proxy) */
};

/* The identity of app app_id under c. */
void ident_of_app(const struct conf *c, int64_t app_id, struct ident *id);

/* The identity of the managed Caddy: uid and gid app_uid_base (no app
 * has id 0), allowed to bind ports below 1024 and nothing else. */
void ident_of_proxy(const struct conf *c, struct ident *id);

/* The identity for uid with nproc processes at most (as passed to `berth
 * shim`); uid 0: no drop. */
void ident_of_uid(uid_t uid, unsigned long nproc, struct ident *id);

/* In a child, before exec: become id for good, with at most id->nproc
 * processes and threads for the uid.  0 or -1 (errno). */
int ident_drop(const struct ident *id);

/* Kill every process running as id (what a destroyed app's builds or
 * processes left behind, before a later app can get the same id).  No-op
 * when !id->drop.  0 or -1. */
int ident_kill_all(const struct ident *id);

/* Give root's files in a tree to id (never following a symlink, never
 * leaving the tree, never a hard-linked file).  No-op when !id->drop.
 * 0 or -1 (errno). */
int ident_give_tree(const char *path, const struct ident *id);

/* Take id's files in a tree back to root and id's group the same way: the
 * group bits become the owner's without write; no group/other write,
 * setuid or setgid.  No-op when !id->drop. */
int ident_take_tree(const char *path, const struct ident *id);

/* Shut users other than root and id out of a taken tree: its top
 * directory loses its "other" bits.  With open_sub (a path inside it
 * without symlinks or "..", "." for all of it), that directory stays
 * readable for them (a proxy serves it), the directories on the way
 * become traversable only and everything beside the way is closed.  Only
 * inodes taken from id change.  No-op when !id->drop. */
int ident_close_tree(const char *path, const char *open_sub,
    const struct ident *id);

/* After a change of app_uid_base (ident_move.c): every inode of from's uid
 * in the tree goes to to's uid, every inode of from's gid to to's gid,
 * nothing else changes; symlinks are never followed.  A missing tree is
 * fine.  No-op when !from->drop.  0 or -1 (errno). */
int ident_move_tree(const char *path, const struct ident *from,
    const struct ident *to);

#endif
