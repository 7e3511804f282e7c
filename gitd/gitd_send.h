/*
 * gitd_send.h - write the pack for a clone or fetch from a fetchset,
 * reusing the bytes the repository's packs store (see gitd_send.c).
 */
#ifndef BERTH_GITD_SEND_H
#define BERTH_GITD_SEND_H

#include <stddef.h>

#include "gitd/gitd_fetchset.h"
#include "gitd/gitd_packset.h"

/* Where the pack's bytes go: 0, or -1 to stop. */
typedef int (*send_out_fn)(void *ctx, const void *buf, size_t len);

/* Write the pack of fs's objects to out.  ofs_ok: the client takes
 * OFS_DELTA; thin_ok: it takes deltas against objects it has (thin-pack).
 * Reorders fs->v.  0, or -1 with err. */
int send_pack(struct packset *ps, struct fetchset *fs, int ofs_ok,
    int thin_ok, send_out_fn out, void *ctx, char *err, size_t errlen);

#endif
