/*
 * ident.h - the unprivileged identity an app's code runs as.
 *
 * When berth runs as root, everything an app brings runs as a uid of its
 * own (no passwd entry is needed): its processes as app_uid_base + the
 * app's id, the buildpack steps of its builds as IDENT_BUILD_OFFSET above
 * that.  Each gets no supplementary groups and PR_SET_NO_NEW_PRIVS, so a
 * setuid binary cannot lift it back up.  One app therefore cannot read
 * another's cache, config vars (/proc/PID/environ) or signal its
 * processes, and nothing it runs can touch berth's db, keys or repos.
 * The build's uid is the build's alone: when a step ends, every process of
 * that uid can be killed without touching the app's running processes,
 * and the running app cannot write (or ptrace) what builds use.  When
 * berth is not root, nothing changes hands: everything runs as berth's
 * own user.
 *
 * Ownership follows the same line: a build's tree and the cache belong to
 * the build's uid while it builds; the built release goes back to root and
 * the app's group, read-only for the app that runs it and closed to every
 * other app.
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

/* A build's uid is this far above its app's (app uids stay below it:
 * app_uid_base is at most 2100000000, and uid_t has room up to 4294967294). */
#define IDENT_BUILD_OFFSET 1000000000U

/* How deep the tree walks below go; deeper is an error (ELOOP). */
#define IDENT_DEPTH_MAX 256

/* The identity of app app_id's processes under c. */
void ident_of_app(const struct conf *c, int64_t app_id, struct ident *id);

/* The identity of app app_id's buildpack steps: uid and gid app_uid_base +
 * IDENT_BUILD_OFFSET + app_id, used by nothing else. */
void ident_of_build(const struct conf *c, int64_t app_id, struct ident *id);

/* The identity of the managed Caddy: uid and gid app_uid_base (no app
 * has id 0), allowed to bind ports below 1024 and nothing else. */
void ident_of_proxy(const struct conf *c, struct ident *id);

/* The identity for uid with nproc processes at most (as passed to `berth
 * shim`); uid 0: no drop. */
void ident_of_uid(uid_t uid, unsigned long nproc, struct ident *id);

/* In a child, before exec: become id for good, with at most id->nproc
 * processes and threads for the uid.  0 or -1 (errno). */
int ident_drop(const struct ident *id);

/* Kill every process running as id and wait until none runs (a zombie
 * does not count): what a build left behind, or a destroyed app's
 * processes before a later app can get the same id.  No-op when
 * !id->drop.  0, or -1 when one still runs after 10 s. */
int ident_kill_all(const struct ident *id);

/* Give root's files in a tree to id (never following a symlink, never
 * leaving the tree, never a hard-linked file).  No-op when !id->drop.
 * 0 or -1 (errno). */
int ident_give_tree(const char *path, const struct ident *id);

/* Take from's files in a tree back to root and the group of app the same
 * way: the group bits become the owner's without write; no group/other
 * write, setuid or setgid.  No-op when !from->drop. */
int ident_take_tree(const char *path, const struct ident *from,
    const struct ident *app);

/* Check a taken tree, after the take and with nothing of the giver still
 * running: every inode is a directory, a regular file or a symlink, owned
 * by root and app's group, without group/other write, setuid or setgid
 * (as berth's own user: the types alone).  A hard link to someone else's
 * file, a FIFO (a proxy that opens it hangs) or anything the take missed
 * fails it.  0, or -1 with the path inside the tree and the reason in bad
 * (errno set when the walk itself failed). */
int ident_check_tree(const char *path, const struct ident *app, char *bad,
    size_t badlen);

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
