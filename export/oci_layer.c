/*
 * oci_layer.c - one layer of an OCI image (see export/oci.h): libarchive
 * writes a pax tar into a callback that hashes it (the layer's diff_id)
 * and feeds zlib, whose gzip stream (header without name or time) is
 * hashed again and stored as the blob (the layer's digest).  Entries get
 * owner 0:0 and no user or group names, so no trace of the build host.
 */
#include "export/oci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/libarchive.h"

#define LAYER_CHUNK 65536

struct oci_layer {
	struct libarchive la;
	struct oci_blob blob;
	void *diff;             /* sha256 of the tar */
	z_stream z;
	int z_ready;
	struct archive *a;
	struct archive_entry *e;
	char err[4600];
};

static int deflate_out(struct oci_layer *l, const void *p, size_t n,
    int flush);

static la_ssize_t
tar_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct oci_layer *l = ctx;

	(void)a;
	if (oci_sha_update(l->diff, buf, n) == -1 ||
	    deflate_out(l, buf, n, Z_NO_FLUSH) == -1)
		return -1;
	return (la_ssize_t)n;
}

/* Compress p into the blob; flush Z_FINISH ends the stream. */
static int
deflate_out(struct oci_layer *l, const void *p, size_t n, int flush)
{
	unsigned char out[LAYER_CHUNK];
	int rc;

	l->z.next_in = (Bytef *)(uintptr_t)p;
	l->z.avail_in = (uInt)n;
	do {
		l->z.next_out = out;
		l->z.avail_out = sizeof(out);
		rc = deflate(&l->z, flush);
		if (rc == Z_STREAM_ERROR) {
			snprintf(l->err, sizeof(l->err), "gzip: stream error");
			return -1;
		}
		if (oci_blob_write(&l->blob, out, sizeof(out) - l->z.avail_out)
		    == -1) {
			snprintf(l->err, sizeof(l->err), "cannot write '%s': %s",
			    l->blob.tmp, strerror(errno));
			return -1;
		}
	} while (l->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	return 0;
}

struct oci_layer *
oci_layer_begin(const char *layout, char *err, size_t errlen)
{
	struct oci_layer *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (libarchive_load(&l->la, err, errlen) == -1 ||
	    oci_blob_open(&l->blob, layout, err, errlen) == -1) {
		free(l);
		return NULL;
	}
	/* windowBits 15 + 16: a gzip wrapper whose header has mtime 0 and
	 * no name */
	if ((l->diff = oci_sha_new()) == NULL ||
	    deflateInit2(&l->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		snprintf(err, errlen, "cannot initialise the layer's gzip");
		oci_layer_abort(l);
		return NULL;
	}
	l->z_ready = 1;
	if ((l->a = l->la.write_new()) == NULL ||
	    (l->e = l->la.entry_new()) == NULL ||
	    l->la.write_set_format_pax_restricted(l->a) != ARCHIVE_OK ||
	    l->la.write_set_bytes_in_last_block(l->a, 1) != ARCHIVE_OK ||
	    l->la.write_open2(l->a, l, NULL, tar_write, NULL, NULL) !=
	    ARCHIVE_OK) {
		snprintf(err, errlen, "cannot start the layer's tar: %s",
		    l->a ? l->la.error_string(l->a) : "out of memory");
		oci_layer_abort(l);
		return NULL;
	}
	return l;
}

const char *
oci_layer_error(const struct oci_layer *l)
{
	return l->err;
}

/* A fresh entry: path, type, mode, mtime, owner 0:0. */
static void
entry_reset(struct oci_layer *l, const char *path, mode_t type, mode_t mode,
    time_t mtime)
{
	l->la.entry_clear(l->e);
	l->la.entry_set_pathname(l->e, path);
	l->la.entry_set_filetype(l->e, type);
	l->la.entry_set_perm(l->e, mode & 07777);
	l->la.entry_set_mtime(l->e, mtime, 0);
	l->la.entry_set_uid(l->e, 0);
	l->la.entry_set_gid(l->e, 0);
}

static int
header(struct oci_layer *l)
{
	if (l->la.write_header(l->a, l->e) != ARCHIVE_OK) {
		snprintf(l->err, sizeof(l->err), "tar: '%s': %s",
		    l->la.entry_pathname(l->e), l->la.error_string(l->a));
		return -1;
	}
	return 0;
}

int
oci_layer_dir(struct oci_layer *l, const char *path, mode_t mode,
    time_t mtime)
{
	entry_reset(l, path, AE_IFDIR, mode, mtime);
	return header(l);
}

int
oci_layer_symlink(struct oci_layer *l, const char *path, const char *target,
    time_t mtime)
{
	entry_reset(l, path, AE_IFLNK, 0777, mtime);
	l->la.entry_set_symlink(l->e, target);
	return header(l);
}

int
oci_layer_data(struct oci_layer *l, const char *path, const void *data,
    size_t len, mode_t mode, time_t mtime)
{
	entry_reset(l, path, AE_IFREG, mode, mtime);
	l->la.entry_set_size(l->e, (la_int64_t)len);
	if (header(l) == -1)
		return -1;
	if (len > 0 && l->la.write_data(l->a, data, len) != (la_ssize_t)len) {
		snprintf(l->err, sizeof(l->err), "tar: '%s': %s", path,
		    l->la.error_string(l->a));
		return -1;
	}
	return 0;
}

int
oci_layer_fd(struct oci_layer *l, const char *path, int fd, uint64_t size,
    mode_t mode, time_t mtime)
{
	char buf[LAYER_CHUNK];
	uint64_t done = 0;
	ssize_t n;

	entry_reset(l, path, AE_IFREG, mode, mtime);
	l->la.entry_set_size(l->e, (la_int64_t)size);
	if (header(l) == -1)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || done + (uint64_t)n > size) {
			snprintf(l->err, sizeof(l->err), "'%s': %s", path,
			    n == -1 ? strerror(errno) : "grew while read");
			return -1;
		}
		if (l->la.write_data(l->a, buf, (size_t)n) != n) {
			snprintf(l->err, sizeof(l->err), "tar: '%s': %s", path,
			    l->la.error_string(l->a));
			return -1;
		}
		done += (uint64_t)n;
	}
	if (done != size) {
		snprintf(l->err, sizeof(l->err), "'%s': shrank while read", path);
		return -1;
	}
	return 0;
}

int
oci_layer_end(struct oci_layer *l, struct oci_desc *d, char *err,
    size_t errlen)
{
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (l->la.write_close(l->a) != ARCHIVE_OK) {
		snprintf(l->err, sizeof(l->err), "tar: %s",
		    l->la.error_string(l->a));
		goto out;
	}
	if (deflate_out(l, NULL, 0, Z_FINISH) == -1)
		goto out;
	if (oci_sha_final(l->diff, d->diff_id, sizeof(d->diff_id)) == -1) {
		l->diff = NULL;
		snprintf(l->err, sizeof(l->err), "sha256: cannot finish");
		goto out;
	}
	l->diff = NULL;
	snprintf(d->media, sizeof(d->media), "%s", OCI_MT_LAYER_GZ);
	rc = oci_blob_close(&l->blob, d, l->err, sizeof(l->err));
out:
	if (rc == -1)
		snprintf(err, errlen, "%s", l->err);
	oci_layer_abort(l);
	return rc;
}

void
oci_layer_abort(struct oci_layer *l)
{
	if (l == NULL)
		return;
	if (l->a != NULL)
		l->la.write_free(l->a);
	if (l->e != NULL)
		l->la.entry_free(l->e);
	if (l->z_ready)
		deflateEnd(&l->z);
	if (l->diff != NULL)
		oci_sha_free(l->diff);
	oci_blob_abort(&l->blob);
	free(l);
}
