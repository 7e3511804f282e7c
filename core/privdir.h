/*
 * privdir.h - files that only one step may see, on no disk: a build's
 * config vars for bin/compile's ENV_DIR.  Called in the step's child
 * before exec (core/spawn_keeper.c).
 *
 * When berth is root, the child enters a mount namespace of its own and
 * mounts a small tmpfs (never swapped out where the kernel allows it) on
 * the directory: the step and whatever it starts see the files there,
 * every other process sees the empty directory, and the tmpfs is gone when
 * the step's last process is (spawn's reap_all sees to that).  Elsewhere
 * (berth not root, or mounts refused) the files are written into the
 * directory on disk, which the caller removes right after the step.
 */
#ifndef BERTH_PRIVDIR_H
#define BERTH_PRIVDIR_H

#include <stddef.h>

#include "core/ident.h"
#include "core/spawn.h"

#define PRIVDIR_SIZE "16m" /* the tmpfs: config vars are 32 KiB each at most */

/* Before the uid changes: make dir the step's own (a private tmpfs, or on
 * disk handed to id).  1 on a tmpfs, 0 on disk, -1 (errno). */
int privdir_mount(const char *dir, const struct ident *id);

/* After the uid changes: write the files into dir, mode 0600.  0 or -1. */
int privdir_write(const char *dir, const struct spawn_file *files, size_t n);

#endif
