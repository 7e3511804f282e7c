/*
 * packs.c - see packs.h.  libarchive walks the source (archive_read_disk,
 * links not followed) and writes each entry under a fresh directory beside
 * the destination (archive_write_disk with its secure options); the fresh
 * tree then takes the old one's place in one renameat2(RENAME_EXCHANGE)
 * and the old tree is removed.
 */
#include "core/packs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/libarchive.h"
#include "core/path.h"

#define PACKS_DISK_FLAGS (ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | \
	ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | \
	ARCHIVE_EXTRACT_UNLINK)

static int packs_copy(const struct libarchive *la, const char *src,
    const char *dst, char *err, size_t errlen);
static int packs_entry(const struct libarchive *la, struct archive *in,
    struct archive *out, struct archive_entry *e, const char *src,
    const char *dst);
static int packs_data(const struct libarchive *la, struct archive *in,
    struct archive *out);
static int packs_swap(const char *fresh, const char *dst);

int
packs_install(const char *src, const char *dst, char *err, size_t errlen)
{
	struct libarchive la;
	char fresh[PATH_MAX];

	err[0] = '\0';
	if (libarchive_load(&la, err, errlen) == -1)
		return -1;
	if (pathf(fresh, sizeof(fresh), "%s.new", dst) == -1) {
		snprintf(err, errlen, "path too long: '%.64s...'", dst);
		return -1;
	}
	if (rmtree(fresh) == -1 || packs_copy(&la, src, fresh, err, errlen) == -1 ||
	    packs_swap(fresh, dst) == -1) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot install '%s' as '%s': %s",
			    src, dst, strerror(errno));
		(void)rmtree(fresh);
		return -1;
	}
	return 0;
}

/* Copy the tree src to dst, which does not exist yet. */
static int
packs_copy(const struct libarchive *la, const char *src, const char *dst,
    char *err, size_t errlen)
{
	struct archive *in, *out;
	struct archive_entry *e = NULL;
	int rc = -1, r = ARCHIVE_FATAL;

	in = la->read_disk_new();
	out = la->write_disk_new();
	if (in == NULL || out == NULL ||
	    la->read_disk_set_behavior(in, 0) != ARCHIVE_OK ||
	    la->read_disk_set_symlink_physical(in) != ARCHIVE_OK ||
	    la->write_disk_set_options(out, PACKS_DISK_FLAGS) != ARCHIVE_OK ||
	    la->read_disk_open(in, src) != ARCHIVE_OK) {
		snprintf(err, errlen, "cannot read '%s': %s", src,
		    in ? la->error_string(in) : "out of memory");
		goto out;
	}
	while ((e = la->entry_new()) != NULL &&
	    (r = la->read_next_header2(in, e)) == ARCHIVE_OK) {
		if (la->read_disk_descend(in) != ARCHIVE_OK ||
		    packs_entry(la, in, out, e, src, dst) == -1) {
			snprintf(err, errlen, "cannot copy '%s' to '%s': %s",
			    la->entry_sourcepath(e), dst,
			    la->error_string(out) ? la->error_string(out) :
			    la->error_string(in));
			goto out;
		}
		la->entry_free(e);
	}
	if (e == NULL || r != ARCHIVE_EOF) {
		snprintf(err, errlen, "cannot read '%s': %s", src,
		    e ? la->error_string(in) : "out of memory");
		goto out;
	}
	if (la->write_close(out) != ARCHIVE_OK) {
		snprintf(err, errlen, "cannot write '%s': %s", dst,
		    la->error_string(out));
		goto out;
	}
	rc = 0;
out:
	la->entry_free(e);
	if (in != NULL)
		la->read_free(in);
	if (out != NULL)
		la->write_free(out);
	return rc;
}

/* One entry of src, written at the same place under dst. */
static int
packs_entry(const struct libarchive *la, struct archive *in,
    struct archive *out, struct archive_entry *e, const char *src,
    const char *dst)
{
	const char *from = la->entry_sourcepath(e);
	char to[PATH_MAX];
	mode_t type = la->entry_filetype(e);
	mode_t perm = la->entry_perm(e);

	if (strncmp(from, src, strlen(src)) != 0 ||
	    pathf(to, sizeof(to), "%s%s", dst, from + strlen(src)) == -1)
		return -1;
	la->entry_set_pathname(e, to);
	la->entry_set_uid(e, geteuid());
	la->entry_set_gid(e, getegid());
	la->entry_set_uname(e, NULL);
	la->entry_set_gname(e, NULL);
	if (type == AE_IFDIR || (type == AE_IFREG && (perm & S_IXUSR)))
		la->entry_set_perm(e, 0755);
	else if (type == AE_IFREG)
		la->entry_set_perm(e, 0644);
	if (la->write_header(out, e) != ARCHIVE_OK)
		return -1;
	if (type == AE_IFREG && la->entry_size(e) > 0)
		return packs_data(la, in, out);
	return 0;
}

static int
packs_data(const struct libarchive *la, struct archive *in,
    struct archive *out)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = la->read_data_block(in, &buf, &size, &off)) ==
	    ARCHIVE_OK)
		if (la->write_data_block(out, buf, size, off) != ARCHIVE_OK)
			return -1;
	return r == ARCHIVE_EOF ? 0 : -1;
}

/* fresh takes dst's place; the old tree, now at fresh, goes. */
static int
packs_swap(const char *fresh, const char *dst)
{
	if (renameat2(AT_FDCWD, fresh, AT_FDCWD, dst, RENAME_EXCHANGE) == 0)
		return rmtree(fresh);
	if (errno != ENOENT)
		return -1;
	return rename(fresh, dst);
}
