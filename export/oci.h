/*
 * oci.h - the pieces of an OCI image layout (image-spec 1.1, "Image Layout"):
 * content-addressed blobs under blobs/sha256/, layers as tar+gzip, and the
 * descriptors that name them.  Internal to export/: export.h is the
 * folder's face.  Everything here is deterministic: the same input gives
 * the same bytes, so the same digests (fixed mtimes, owner 0:0, no names
 * or times of the host, sorted entries, JSON with sorted keys).
 */
#ifndef BERTH_EXPORT_OCI_H
#define BERTH_EXPORT_OCI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#define OCI_DIGEST_MAX 72   /* "sha256:" + 64 hex + NUL */
#define OCI_MEDIA_MAX 96
#define OCI_LAYERS_MAX 64   /* a base's layers + runtime + release */

#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER_GZ "application/vnd.oci.image.layer.v1.tar+gzip"

struct oci_desc {
	char media[OCI_MEDIA_MAX];
	char digest[OCI_DIGEST_MAX];   /* of the blob as stored */
	char diff_id[OCI_DIGEST_MAX];  /* layers: of the uncompressed tar */
	uint64_t size;
};

/* A blob being written: a temp file in LAYOUT/blobs/sha256 and its hash. */
struct oci_blob {
	char dir[4096];     /* LAYOUT/blobs/sha256 */
	char tmp[4200];
	FILE *f;
	void *md;           /* EVP_MD_CTX */
	uint64_t size;
};

/* Create LAYOUT, LAYOUT/blobs/sha256 and LAYOUT/oci-layout (an existing
 * layout is reused: its blobs stay).  0 or -1 with err. */
int oci_layout_init(const char *layout, char *err, size_t errlen);

/* 1 when s is "sha256:" and 64 lower-case hex digits (a digest that may
 * become a path), else 0. */
int oci_digest_valid(const char *s);

/* Blob writing: open, write any number of times, then close (rename to
 * its digest, d's digest and size filled) or abort.  0 or -1 with err. */
int oci_blob_open(struct oci_blob *b, const char *layout, char *err,
    size_t errlen);
int oci_blob_write(struct oci_blob *b, const void *p, size_t n);
int oci_blob_close(struct oci_blob *b, struct oci_desc *d, char *err,
    size_t errlen);
void oci_blob_abort(struct oci_blob *b);

/* j as compact JSON with sorted keys, stored as a blob of media type
 * media.  0 or -1 with err. */
int oci_blob_json(const char *layout, const json_t *j, const char *media,
    struct oci_desc *d, char *err, size_t errlen);

/* A descriptor as JSON: {mediaType, digest, size}. */
json_t *oci_desc_json(const struct oci_desc *d);

/* A sha256 context, for the layer writer's second hash (oci_blob.c). */
void *oci_sha_new(void);
int oci_sha_update(void *md, const void *p, size_t n);
/* Finish into "sha256:HEX" and free.  0 or -1. */
int oci_sha_final(void *md, char *out, size_t len);
void oci_sha_free(void *md);

/*
 * A layer (oci_layer.c): a tar written by libarchive (loaded by
 * oci_layer_begin, which fails with the loader's error without it),
 * gzip'd by zlib (no name, no time in its header), hashed twice (diff_id
 * before gzip, digest after).  Entries are added in the order given, owner 0:0, with the
 * given mtimes; paths are relative ("usr/bin/x").  0 or -1 with err
 * (the layer is then unusable: abort it).
 */
struct oci_layer;
struct oci_layer *oci_layer_begin(const char *layout, char *err,
    size_t errlen);
int oci_layer_dir(struct oci_layer *l, const char *path, mode_t mode,
    time_t mtime);
int oci_layer_data(struct oci_layer *l, const char *path, const void *data,
    size_t len, mode_t mode, time_t mtime);
int oci_layer_symlink(struct oci_layer *l, const char *path,
    const char *target, time_t mtime);
/* A regular file's content from fd (read to its end, exactly size
 * bytes: a file that changes under us is an error). */
int oci_layer_fd(struct oci_layer *l, const char *path, int fd,
    uint64_t size, mode_t mode, time_t mtime);
/* Finish the layer and free l, success or not. */
int oci_layer_end(struct oci_layer *l, struct oci_desc *d, char *err,
    size_t errlen);
/* Drop an unfinished layer (its temp blob too) and free l. */
void oci_layer_abort(struct oci_layer *l);
const char *oci_layer_error(const struct oci_layer *l);

/*
 * A directory tree into a layer (oci_tree.c), under the name prefix
 * ("app"), walked by file descriptor without following links, each
 * directory's entries in byte order.  flags: OCI_TREE_NORMALISE makes
 * directories 0755 and files 0644 or 0755 (any x bit) and every mtime
 * mtime; without it modes and mtimes are the files' own.  Sockets,
 * FIFOs and devices are skipped.  0 or -1 with err.
 */
#define OCI_TREE_NORMALISE 1
#define OCI_TREE_FIXDIRS 2   /* directories and links get mtime; files
                              * keep their own (python's .pyc check them) */
#define OCI_TREE_PUBLIC 4    /* leave out what others may not read */
int oci_tree_add(struct oci_layer *l, const char *dir, const char *prefix,
    int flags, time_t mtime, char *err, size_t errlen);
/* One host path (file, link or directory, not followed; a directory
 * without its entries), as OCI_TREE_FIXDIRS with mtime 0 would. */
int oci_tree_add_one(struct oci_layer *l, const char *hostpath,
    const char *name, char *err, size_t errlen);

#endif
