/*
 * export_tar.c - an OCI image layout as one tar stream (what
 * `ssh HOST export APP > app.tar` receives; `skopeo copy
 * oci-archive:app.tar ...` reads it): oci-layout, index.json, then the
 * blobs in digest order, owner 0:0, mtime 0.  Temp files of a writer
 * (names starting with '.') are left out.
 */
#include "export/export_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/libarchive.h"
#include "core/path.h"

struct tarout {
	const struct libarchive *la;
	struct archive *a;
	struct archive_entry *e;
	export_write_fn out;
	void *ctx;
	const char *layout;
	char *err;
	size_t errlen;
};

static la_ssize_t
tar_out(struct archive *a, void *ctx, const void *buf, size_t n)
{
	struct tarout *t = ctx;

	(void)a;
	return t->out(t->ctx, buf, n) == 0 ? (la_ssize_t)n : -1;
}

static int
put_entry(struct tarout *t, const char *name, const char *path, int dir)
{
	const struct libarchive *la = t->la;
	char buf[65536];
	struct stat st;
	ssize_t n;
	int fd = -1;

	la->entry_clear(t->e);
	la->entry_set_pathname(t->e, name);
	la->entry_set_mtime(t->e, 0, 0);
	la->entry_set_uid(t->e, 0);
	la->entry_set_gid(t->e, 0);
	la->entry_set_filetype(t->e, dir ? AE_IFDIR : AE_IFREG);
	la->entry_set_perm(t->e, dir ? 0755 : 0644);
	if (!dir) {
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
		    fstat(fd, &st) == -1) {
			snprintf(t->err, t->errlen, "cannot open '%s': %s", path,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		la->entry_set_size(t->e, st.st_size);
	}
	if (la->write_header(t->a, t->e) != ARCHIVE_OK)
		goto tarerr;
	while (fd != -1 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (la->write_data(t->a, buf, (size_t)n) != n)
			goto tarerr;
	if (fd != -1)
		close(fd);
	return 0;
tarerr:
	snprintf(t->err, t->errlen, "tar: %s", la->error_string(t->a));
	if (fd != -1)
		close(fd);
	return -1;
}

static int
put_blob(void *ctx, const char *path)
{
	struct tarout *t = ctx;
	const char *base = strrchr(path, '/') + 1;
	char name[128];

	if (base[0] == '.' || snprintf(name, sizeof(name), "blobs/sha256/%s",
	    base) >= (int)sizeof(name))
		return 0;
	return put_entry(t, name, path, 0);
}

int
export_tar(const char *layout, export_write_fn out, void *ctx, char *err,
    size_t errlen)
{
	struct libarchive la;
	struct tarout t = { &la, NULL, NULL, out, ctx, layout, err, errlen };
	char p1[PATH_MAX], p2[PATH_MAX], blobs[PATH_MAX];
	int rc = -1;

	if (pathf(p1, sizeof(p1), "%s/oci-layout", layout) == -1 ||
	    pathf(p2, sizeof(p2), "%s/index.json", layout) == -1 ||
	    pathf(blobs, sizeof(blobs), "%s/blobs/sha256", layout) == -1) {
		snprintf(err, errlen, "layout path too long");
		return -1;
	}
	if (libarchive_load(&la, err, errlen) == -1)
		return -1;
	if ((t.a = la.write_new()) == NULL ||
	    (t.e = la.entry_new()) == NULL ||
	    la.write_set_format_pax_restricted(t.a) != ARCHIVE_OK ||
	    la.write_open2(t.a, &t, NULL, tar_out, NULL, NULL) !=
	    ARCHIVE_OK) {
		snprintf(err, errlen, "tar: cannot start");
		goto out;
	}
	if (put_entry(&t, "oci-layout", p1, 0) == -1 ||
	    put_entry(&t, "index.json", p2, 0) == -1 ||
	    put_entry(&t, "blobs", NULL, 1) == -1 ||
	    put_entry(&t, "blobs/sha256", NULL, 1) == -1)
		goto out;
	if ((rc = export_each_file(blobs, put_blob, &t)) != 0) {
		if (rc == -1 && t.err[0] == '\0')
			snprintf(err, errlen, "'%s': %s", blobs, strerror(errno));
		rc = -1;
		goto out;
	}
	if (la.write_close(t.a) != ARCHIVE_OK) {
		snprintf(err, errlen, "tar: %s", la.error_string(t.a));
		goto out;
	}
	rc = 0;
out:
	if (t.a != NULL)
		la.write_free(t.a);
	if (t.e != NULL)
		la.entry_free(t.e);
	return rc;
}
