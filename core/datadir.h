/*
 * datadir.h - the layout of the data dir (design.md "Files") and its
 * creation.  Everything berth writes lives under conf->data_dir:
 *   berth.db, host_ed25519, repos/APP.git, apps/APP/, locks/, router/
 * Directories are 0700 except DATA and DATA/apps (0711: a proxy running as
 * another user must reach static files); berth runs with umask 077.
 */
#ifndef BERTH_DATADIR_H
#define BERTH_DATADIR_H

#include <stddef.h>

#include "conf/conf.h"

/* Create the data dir and its subdirectories. 0 or -1 with err. */
int datadir_init(const struct conf *c, char *err, size_t errlen);

/* When berth runs as root, apps run as their own uids: the first directory
 * on the way to path (the data dir, the buildpacks) that others cannot
 * enter (mode without o+x), or "" if none.  0 or -1 (cannot check). */
int datadir_blocked(const char *path, char *out, size_t len);

/* DATA/NAME. 0 or -1. */
int datadir_path(const struct conf *c, const char *name, char *out, size_t len);

/* DATA/berth.db */
int datadir_db(const struct conf *c, char *out, size_t len);

#endif
