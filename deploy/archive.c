/*
 * archive.c - see deploy/archive.h.  The exporter walks the commit's
 * tree with git_tree_walk and feeds each entry to archive_write_disk; the
 * packer reads a directory with archive_read_disk and writes tar.gz; the
 * unpacker does the reverse.  Paths handed to libarchive are absolute paths
 * we built from our own directory plus the entry's path, so the writer's
 * SECURE_NODOTDOT and SECURE_SYMLINKS checks are what stands between a
 * hostile tree and the rest of the disk while it is written.  Each blob's
 * size is read from its object header and held to the export's limits
 * before the blob is read, so a small repository cannot unpack a huge file,
 * or one file many times, into memory and onto the disk.
 *
 * Symlinks in the pushed tree are checked twice: lexically as each one is
 * written (relative, never climbing above the top), and once the whole
 * tree is on disk, by resolution: each must resolve beneath the export
 * dir at every step (openat2 RESOLVE_BENEATH).  The second check is what
 * catches chains whose every link looks inside on its own (`chain/b ->
 * ..` and `up -> chain/b/..` leave the tree together); it runs after the
 * write because a link may lead through links written after it.
 */
#include "deploy/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/libarchive.h"
#include "core/path.h"

#define DISK_FLAGS (ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | \
	ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | \
	ARCHIVE_EXTRACT_UNLINK)

struct export {
	const struct libarchive *la;
	git_repository *repo;
	git_odb *odb;
	const struct export_limits *lim;
	uint64_t total;          /* bytes of the files written so far */
	struct archive *disk;
	struct archive_entry *entry;
	const char *dir;
	int dirfd;            /* dir, for the check by resolution */
	time_t mtime;
	size_t files;
	char *err;
	size_t errlen;
};

static int export_tree(struct export *x, git_tree *tree);
static int export_entry(const char *root, const git_tree_entry *te, void *p);
static int check_link(const char *root, const git_tree_entry *te, void *p);
static int pack_dir(const struct libarchive *la, const char *dir,
    const char *tarball, char *err, size_t errlen);
static int unpack(const struct libarchive *la, const char *tarball,
    const char *dir, char *err, size_t errlen);

/* 1 when a link at tree path rel ("a/b/name": its directory is as deep as
 * rel has slashes) pointing to target stays inside the tree: relative,
 * never climbing above the top. */
static int
link_inside(const char *rel, const char *target)
{
	int depth = 0;

	if (target[0] == '/' || target[0] == '\0')
		return 0;
	for (const char *p = rel; *p; p++)
		depth += *p == '/';
	for (const char *p = target; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (!(n == 1 && p[0] == '.') && n > 0) {
			depth++;
		}
		p += n + (p[n] == '/');
	}
	return 1;
}
static int write_blob(struct export *x, const char *path, git_filemode_t mode,
    const git_oid *id);

int
archive_export_commit(git_repository *repo, const git_oid *commit,
    const char *dir, const struct export_limits *lim, size_t *files,
    char *err, size_t errlen)
{
	struct libarchive la;
	struct export x = { .la = &la, .repo = repo, .lim = lim, .dir = dir,
	    .dirfd = -1, .err = err, .errlen = errlen };
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int rc = -1;

	err[0] = '\0';
	if (libarchive_load(&la, err, errlen) == -1)
		return -1;
	if (git_repository_odb(&x.odb, repo) < 0 ||
	    git_commit_lookup(&c, repo, commit) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		snprintf(err, errlen, "cannot read the pushed commit: %s",
		    git_error_last() ? git_error_last()->message : "?");
		goto out;
	}
	x.mtime = (time_t)git_commit_time(c);
	if ((rc = export_tree(&x, tree)) == 0)
		*files = x.files;
out:
	if (x.dirfd != -1)
		close(x.dirfd);
	if (x.entry)
		la.entry_free(x.entry);
	if (x.disk)
		la.write_free(x.disk);
	git_tree_free(tree);
	git_commit_free(c);
	git_odb_free(x.odb);
	return rc;
}

/* Write tree under x->dir through the secure disk writer, then check
 * every symlink by resolution.  0 or -1 with x->err. */
static int
export_tree(struct export *x, git_tree *tree)
{
	const struct libarchive *la = x->la;

	if ((x->disk = la->write_disk_new()) == NULL ||
	    (x->entry = la->entry_new()) == NULL ||
	    la->write_disk_set_options(x->disk, DISK_FLAGS) != ARCHIVE_OK) {
		snprintf(x->err, x->errlen, "out of memory");
		return -1;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, export_entry, x) < 0) {
		if (x->err[0] == '\0')
			snprintf(x->err, x->errlen, "cannot export tree: %s",
			    git_error_last() ? git_error_last()->message : "?");
		return -1;
	}
	if (la->write_close(x->disk) != ARCHIVE_OK) {
		snprintf(x->err, x->errlen, "export: %s",
		    la->error_string(x->disk));
		return -1;
	}
	if ((x->dirfd = open(x->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		snprintf(x->err, x->errlen, "cannot open '%s': %s", x->dir,
		    strerror(errno));
		return -1;
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, check_link, x) < 0) {
		if (x->err[0] == '\0')
			snprintf(x->err, x->errlen, "cannot check symlinks: %s",
			    git_error_last() ? git_error_last()->message : "?");
		return -1;
	}
	return 0;
}

static int
export_entry(const char *root, const git_tree_entry *te, void *p)
{
	struct export *x = p;
	const struct libarchive *la = x->la;
	git_filemode_t mode = git_tree_entry_filemode(te);
	char path[PATH_MAX];

	if (pathf(path, sizeof(path), "%s/%s%s", x->dir, root,
	    git_tree_entry_name(te)) == -1) {
		snprintf(x->err, x->errlen, "path too long: '%s%s'", root,
		    git_tree_entry_name(te));
		return -1;
	}
	switch (mode) {
	case GIT_FILEMODE_TREE:
		la->entry_clear(x->entry);
		la->entry_set_pathname(x->entry, path);
		la->entry_set_filetype(x->entry, AE_IFDIR);
		la->entry_set_perm(x->entry, 0755);
		la->entry_set_mtime(x->entry, x->mtime, 0);
		if (la->write_header(x->disk, x->entry) != ARCHIVE_OK) {
			snprintf(x->err, x->errlen, "cannot create '%s%s': %s",
			    root, git_tree_entry_name(te),
			    la->error_string(x->disk));
			return -1;
		}
		return 0;
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
	case GIT_FILEMODE_LINK:
		return write_blob(x, path, mode, git_tree_entry_id(te));
	case GIT_FILEMODE_COMMIT:
		snprintf(x->err, x->errlen, "submodules are not supported yet"
		    " ('%s%s'); vendor the code into the repository",
		    root, git_tree_entry_name(te));
		return -1;
	default:
		snprintf(x->err, x->errlen, "unknown file mode %o at '%s%s'",
		    (unsigned)mode, root, git_tree_entry_name(te));
		return -1;
	}
}

/* The blob's size from its header, held to the limits before it is read. */
static int
blob_fits(struct export *x, const char *path, const git_oid *id)
{
	const char *rel = path + strlen(x->dir) + 1;
	git_object_t type;
	size_t size;

	if (git_odb_read_header(&size, &type, x->odb, id) < 0) {
		snprintf(x->err, x->errlen, "cannot read '%s'", rel);
		return -1;
	}
	if (size > x->lim->max_file) {
		snprintf(x->err, x->errlen, "'%s' is %zu bytes, more than"
		    " max_object_size (%llu bytes)", rel, size,
		    (unsigned long long)x->lim->max_file);
		return -1;
	}
	x->total += size;
	if (x->total > x->lim->max_total) {
		snprintf(x->err, x->errlen, "the files to deploy add up to more"
		    " than max_export_size (%llu bytes), at '%s'",
		    (unsigned long long)x->lim->max_total, rel);
		return -1;
	}
	return 0;
}

/* A symlink of the exported tree must resolve beneath it, following
 * every link on the way.  A link that leads nowhere yet (a missing name,
 * a loop) resolves to nothing outside either: the walk stops before any
 * step that could climb out, so it passes. */
static int
check_link(const char *root, const git_tree_entry *te, void *p)
{
	struct export *x = p;
	char rel[PATH_MAX];
	int fd;

	if (git_tree_entry_filemode(te) != GIT_FILEMODE_LINK)
		return 0;
	if (pathf(rel, sizeof(rel), "%s%s", root, git_tree_entry_name(te)) == -1) {
		snprintf(x->err, x->errlen, "path too long: '%s'", root);
		return -1;
	}
	fd = path_open_beneath(x->dirfd, rel, O_PATH, RESOLVE_BENEATH |
	    RESOLVE_NO_MAGICLINKS);
	if (fd != -1) {
		close(fd);
		return 0;
	}
	if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
		return 0;
	if (errno == EXDEV)
		snprintf(x->err, x->errlen, "symlink '%s' leads outside the app"
		    " through other links; only links that resolve inside the"
		    " repository are allowed", rel);
	else
		snprintf(x->err, x->errlen, "cannot check symlink '%s': %s%s",
		    rel, strerror(errno), errno == ENOSYS ? " (symlinks need"
		    " openat2, Linux 5.6 or later)" : "");
	return -1;
}

static int
write_blob(struct export *x, const char *path, git_filemode_t mode,
    const git_oid *id)
{
	const struct libarchive *la = x->la;
	git_blob *blob;
	const char *data;
	size_t size;
	char target[PATH_MAX];
	int rc = -1;

	if (blob_fits(x, path, id) == -1)
		return -1;
	if (git_blob_lookup(&blob, x->repo, id) < 0) {
		snprintf(x->err, x->errlen, "cannot read '%s'", path);
		return -1;
	}
	data = git_blob_rawcontent(blob);
	size = (size_t)git_blob_rawsize(blob);
	la->entry_clear(x->entry);
	la->entry_set_pathname(x->entry, path);
	la->entry_set_mtime(x->entry, x->mtime, 0);
	if (mode == GIT_FILEMODE_LINK) {
		if (size >= sizeof(target) || memchr(data, '\0', size) != NULL) {
			snprintf(x->err, x->errlen, "bad symlink '%s'", path);
			goto out;
		}
		memcpy(target, data, size);
		target[size] = '\0';
		if (!link_inside(path + strlen(x->dir) + 1, target)) {
			snprintf(x->err, x->errlen, "symlink '%s' points outside the"
			    " app ('%.100s'); only relative links inside the"
			    " repository are allowed", path + strlen(x->dir) + 1,
			    target);
			goto out;
		}
		la->entry_set_filetype(x->entry, AE_IFLNK);
		la->entry_set_perm(x->entry, 0777);
		la->entry_set_symlink(x->entry, target);
		size = 0;
	} else {
		la->entry_set_filetype(x->entry, AE_IFREG);
		la->entry_set_perm(x->entry,
		    mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
		la->entry_set_size(x->entry, (la_int64_t)size);
	}
	if (la->write_header(x->disk, x->entry) != ARCHIVE_OK ||
	    (size > 0 && la->write_data(x->disk, data, size) !=
	    (la_ssize_t)size) ||
	    la->write_finish_entry(x->disk) != ARCHIVE_OK) {
		snprintf(x->err, x->errlen, "cannot write '%s': %s", path,
		    la->error_string(x->disk));
		goto out;
	}
	x->files++;
	rc = 0;
out:
	git_blob_free(blob);
	return rc;
}

/* Copy one file's data from disk into the archive. */
static int
copy_file_data(const struct libarchive *la, struct archive *out,
    const char *src)
{
	char buf[65536];
	ssize_t n;
	int fd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd == -1)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (la->write_data(out, buf, (size_t)n) != n) {
			close(fd);
			return -1;
		}
	close(fd);
	return n == 0 ? 0 : -1;
}

int
archive_pack_dir(const char *dir, const char *tarball, char *err, size_t errlen)
{
	struct libarchive la;

	if (libarchive_load(&la, err, errlen) == -1)
		return -1;
	return pack_dir(&la, dir, tarball, err, errlen);
}

static int
pack_dir(const struct libarchive *la, const char *dir, const char *tarball,
    char *err, size_t errlen)
{
	struct archive *disk = NULL, *out = NULL;
	struct archive_entry *e = NULL;
	size_t dlen = strlen(dir);
	int rc = -1, r;

	if ((disk = la->read_disk_new()) == NULL ||
	    (out = la->write_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* a symlink is archived as a link, never as what it points at */
	if (la->read_disk_set_behavior(disk, 0) != ARCHIVE_OK ||
	    la->read_disk_set_symlink_physical(disk) != ARCHIVE_OK ||
	    la->read_disk_set_standard_lookup(disk) != ARCHIVE_OK ||
	    la->write_add_filter_gzip(out) != ARCHIVE_OK ||
	    la->write_set_format_pax_restricted(out) != ARCHIVE_OK ||
	    la->write_open_filename(out, tarball) != ARCHIVE_OK ||
	    la->read_disk_open(disk, dir) != ARCHIVE_OK) {
		snprintf(err, errlen, "cannot archive '%s': %s", dir,
		    la->error_string(out) ? la->error_string(out) :
		    la->error_string(disk));
		goto out;
	}
	for (;;) {
		const char *src;
		if ((e = la->entry_new()) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		r = la->read_next_header2(disk, e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			snprintf(err, errlen, "reading '%s': %s", dir,
			    la->error_string(disk));
			goto out;
		}
		(void)la->read_disk_descend(disk);
		src = la->entry_sourcepath(e);
		/* store paths relative to the release dir */
		la->entry_set_pathname(e, src[dlen] == '/' ? src + dlen + 1 :
		    strlen(src) > dlen ? src + dlen : ".");
		if (la->write_header(out, e) != ARCHIVE_OK ||
		    (la->entry_filetype(e) == AE_IFREG &&
		    la->entry_size(e) > 0 && copy_file_data(la, out, src) == -1)) {
			snprintf(err, errlen, "writing '%s': %s", tarball,
			    la->error_string(out));
			goto out;
		}
		la->entry_free(e);
		e = NULL;
	}
	if (la->write_close(out) != ARCHIVE_OK) {
		snprintf(err, errlen, "writing '%s': %s", tarball,
		    la->error_string(out));
		goto out;
	}
	rc = 0;
out:
	if (e)
		la->entry_free(e);
	if (disk)
		la->read_free(disk);
	if (out)
		la->write_free(out);
	if (rc == -1)
		(void)unlink(tarball);
	return rc;
}

int
archive_unpack(const char *tarball, const char *dir, char *err, size_t errlen)
{
	struct libarchive la;

	if (libarchive_load(&la, err, errlen) == -1)
		return -1;
	return unpack(&la, tarball, dir, err, errlen);
}

static int
unpack(const struct libarchive *la, const char *tarball, const char *dir,
    char *err, size_t errlen)
{
	struct archive *in = NULL, *disk = NULL;
	struct archive_entry *e;
	char path[PATH_MAX];
	int rc = -1, r;

	if (mkdirs(dir, 0755) == -1) {
		snprintf(err, errlen, "cannot create '%s': %s", dir, strerror(errno));
		return -1;
	}
	if ((in = la->read_new()) == NULL ||
	    (disk = la->write_disk_new()) == NULL ||
	    la->read_support_filter_gzip(in) != ARCHIVE_OK ||
	    la->read_support_format_tar(in) != ARCHIVE_OK ||
	    /* as root, a release comes back root's and its app's group's */
	    la->write_disk_set_options(disk, DISK_FLAGS |
	    (geteuid() == 0 ? ARCHIVE_EXTRACT_OWNER : 0)) != ARCHIVE_OK ||
	    la->read_open_filename(in, tarball, 65536) != ARCHIVE_OK) {
		snprintf(err, errlen, "cannot open '%s': %s", tarball,
		    in ? la->error_string(in) : "out of memory");
		goto out;
	}
	while ((r = la->read_next_header(in, &e)) == ARCHIVE_OK) {
		const void *buf;
		size_t size;
		la_int64_t off;
		if (pathf(path, sizeof(path), "%s/%s", dir,
		    la->entry_pathname(e)) == -1) {
			snprintf(err, errlen, "path too long in '%s'", tarball);
			goto out;
		}
		la->entry_set_pathname(e, path);
		if (la->write_header(disk, e) != ARCHIVE_OK)
			goto disk_error;
		while ((r = la->read_data_block(in, &buf, &size, &off)) ==
		    ARCHIVE_OK)
			if (la->write_data_block(disk, buf, size, off) !=
			    ARCHIVE_OK)
				goto disk_error;
		if (r != ARCHIVE_EOF || la->write_finish_entry(disk) != ARCHIVE_OK)
			goto disk_error;
	}
	if (r != ARCHIVE_EOF) {
		snprintf(err, errlen, "reading '%s': %s", tarball,
		    la->error_string(in));
		goto out;
	}
	rc = 0;
	goto out;
disk_error:
	snprintf(err, errlen, "unpacking '%s': %s", tarball,
	    la->error_string(disk) ? la->error_string(disk) :
	    la->error_string(in));
out:
	if (in)
		la->read_free(in);
	if (disk)
		la->write_free(disk);
	return rc;
}
