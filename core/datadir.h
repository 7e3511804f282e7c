/*
 * datadir.h - the layout of the data dir (README.md, "Where data and logs
 * live"), its creation,
 * and, for a root berth, making sure the apps' uids can reach it.
 * Everything berth writes lives under conf->data_dir:
 *   berth.db, host_ed25519, repos/APP.git, apps/APP/, locks/, router/,
 *   buildpacks/ (a root berth's copy of the shipped buildpacks, see
 *   datadir_buildpacks)
 * Directories are 0700 except DATA and DATA/apps (0711: a proxy running as
 * another user must reach static files); berth runs with umask 077.
 */
#ifndef BERTH_DATADIR_H
#define BERTH_DATADIR_H

#include <stddef.h>

#include "conf/conf.h"

/* Where a root berth keeps its data when ./berth-data is out of the apps'
 * reach, and where an installed berth keeps it (/etc/berth/berth.ini). */
#define DATADIR_SYSTEM "/var/lib/berth"

/*
 * Right after the config is loaded.  When berth runs as root, apps build
 * and run as their own uids (core/ident.h), who must be able to enter the
 * data dir and the buildpacks:
 *   - a data dir berth chose (./berth-data, nothing in the file) that they
 *     cannot reach and that does not exist yet becomes DATADIR_SYSTEM, and
 *     note says so (for the operator);
 *   - a data dir, or a buildpacks_dir set in the file, that they cannot
 *     reach is refused: -1 with err naming the directory in the way and
 *     the fix;
 *   - the shipped buildpacks are datadir_buildpacks()'s business.
 * Not root: nothing to do.  0 (note "" when nothing changed) or -1.
 */
int datadir_settle(struct conf *c, char *note, size_t notelen, char *err,
    size_t errlen);

/*
 * Once the data dir exists, for `berth serve`: when berth runs as root and
 * the shipped buildpacks (buildpacks_dir left empty) sit where the apps'
 * uids cannot reach them (a checkout under /root), install a copy in
 * DATA/buildpacks (core/packs.h), point c at it and say so in note.  The
 * copy is refreshed at every start, so it follows the checkout.
 * 0 (note "" when nothing was done) or -1 with err.
 */
int datadir_buildpacks(struct conf *c, char *note, size_t notelen,
    char *err, size_t errlen);

/* Create the data dir and its subdirectories (missing parents 0755, so
 * the apps' uids can pass through them). 0 or -1 with err. */
int datadir_init(const struct conf *c, char *err, size_t errlen);

/* When berth runs as root, apps run as their own uids: the first directory
 * on the way to path (the data dir, the buildpacks) that others cannot
 * enter (mode without o+x), or "" if none.  0 or -1 (cannot check). */
int datadir_blocked(const char *path, char *out, size_t len);

/*
 * The layout, one function per place; each writes the path to out and
 * returns 0, or -1 when it does not fit in len or when app is not a valid
 * app name (core/names.h).
 */
/* DATA/NAME (berth.db, serve.started ...) */
int datadir_path(const char *data_dir, const char *name, char *out,
    size_t len);
/* DATA/berth.db */
int datadir_db(const char *data_dir, char *out, size_t len);
/* DATA/apps/APP: what the app's deploys and processes keep */
int datadir_app(const char *data_dir, const char *app, char *out, size_t len);
/* DATA/apps/APP/PART: releases, current (the live release's link), cache,
 * logs, run, ... */
int datadir_app_part(const char *data_dir, const char *app, const char *part,
    char *out, size_t len);
/* DATA/apps/APP/releases/N */
int datadir_release(const char *data_dir, const char *app, int version,
    char *out, size_t len);
/* DATA/apps/APP/run/ID: the state files of process row ID's shim */
int datadir_run(const char *data_dir, const char *app, long long proc_id,
    char *out, size_t len);
/* DATA/repos/APP.git */
int datadir_repo(const char *data_dir, const char *app, char *out, size_t len);
/* DATA/locks/NAME (APP.lock, router.lock, build-slot-N.lock ...) */
int datadir_lock(const char *data_dir, const char *name, char *out,
    size_t len);

#endif
