/*
 * oci_tree.c - host files into a layer (see export/oci.h): a directory
 * tree walked by file descriptor (openat, O_NOFOLLOW: a link is stored as
 * a link, never followed), each directory's names sorted bytewise so the
 * tar is the same whatever order the file system lists them in.  Also
 * export_each_file(), the same sorted listing for export_runtime.c and
 * export_tar.c.
 */
#include "export/export_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"

#define TREE_DEPTH_MAX 64
#define TREE_NAMES_MAX 100000 /* entries of one directory */

struct walk {
	struct oci_layer *l;
	int flags;
	time_t mtime;
	char *err;
	size_t errlen;
};

static int walk_dir_at(struct walk *w, int fd, const char *prefix, int depth);

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The names in dfd (not . or ..), sorted; *out malloc'd.  0 or -1. */
static int
list_names(int dfd, char ***out, size_t *count)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;
	int fd = dup(dfd);

	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	while (errno = 0, (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **nv;
			cap = cap ? cap * 2 : 32;
			if (cap > TREE_NAMES_MAX ||
			    (nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		if ((v[n] = strdup(de->d_name)) == NULL)
			goto fail;
		n++;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), by_name);
	*out = v;
	*count = n;
	return 0;
fail:
	closedir(d);
	free_names(v, n);
	if (errno == 0)
		errno = EFBIG;
	return -1;
}

static mode_t
mode_of(const struct walk *w, const struct stat *st)
{
	if (!(w->flags & OCI_TREE_NORMALISE))
		return st->st_mode & 07777;
	if (S_ISDIR(st->st_mode) || (st->st_mode & 0111))
		return 0755;
	return 0644;
}

/* One entry named name (the layer's path) found as base in dfd. */
static int
walk_entry(struct walk *w, int dfd, const char *base, const char *name,
    int depth)
{
	struct stat st;
	char target[PATH_MAX];
	time_t mt;
	ssize_t n;
	int fd, rc;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		snprintf(w->err, w->errlen, "'%s': %s", name, strerror(errno));
		return -1;
	}
	if ((w->flags & OCI_TREE_PUBLIC) && !S_ISLNK(st.st_mode) &&
	    !(st.st_mode & S_IROTH))
		return 0;
	mt = (w->flags & OCI_TREE_NORMALISE) || ((w->flags & OCI_TREE_FIXDIRS)
	    && !S_ISREG(st.st_mode)) ? w->mtime : st.st_mtime;
	if (S_ISLNK(st.st_mode)) {
		if ((n = readlinkat(dfd, base, target, sizeof(target) - 1)) < 0) {
			snprintf(w->err, w->errlen, "'%s': %s", name,
			    strerror(errno));
			return -1;
		}
		target[n] = '\0';
		rc = oci_layer_symlink(w->l, name, target, mt);
	} else if (S_ISDIR(st.st_mode)) {
		if (oci_layer_dir(w->l, name, mode_of(w, &st), mt) == -1) {
			rc = -1;
		} else {
			if ((fd = openat(dfd, base, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC)) == -1) {
				snprintf(w->err, w->errlen, "'%s': %s", name,
				    strerror(errno));
				return -1;
			}
			rc = walk_dir_at(w, fd, name, depth);
			close(fd);
			return rc;
		}
	} else if (S_ISREG(st.st_mode)) {
		if ((fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC))
		    == -1) {
			snprintf(w->err, w->errlen, "'%s': %s", name,
			    strerror(errno));
			return -1;
		}
		rc = oci_layer_fd(w->l, name, fd, (uint64_t)st.st_size,
		    mode_of(w, &st), mt);
		close(fd);
	} else {
		return 0; /* a socket, FIFO or device has no place in an image */
	}
	if (rc == -1)
		snprintf(w->err, w->errlen, "%s", oci_layer_error(w->l));
	return rc;
}

/* The entries of the directory open as fd, whose layer path is prefix. */
static int
walk_dir_at(struct walk *w, int fd, const char *prefix, int depth)
{
	char **names;
	size_t n;
	int rc = 0;

	if (depth > TREE_DEPTH_MAX) {
		snprintf(w->err, w->errlen, "'%s': deeper than %d", prefix,
		    TREE_DEPTH_MAX);
		return -1;
	}
	if (list_names(fd, &names, &n) == -1) {
		snprintf(w->err, w->errlen, "'%s': %s", prefix, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		char name[PATH_MAX];
		if (pathf(name, sizeof(name), "%s/%s", prefix, names[i]) == -1) {
			snprintf(w->err, w->errlen, "'%s/%s': name too long",
			    prefix, names[i]);
			rc = -1;
			break;
		}
		rc = walk_entry(w, fd, names[i], name, depth + 1);
	}
	free_names(names, n);
	return rc;
}

int
oci_tree_add(struct oci_layer *l, const char *dir, const char *prefix,
    int flags, time_t mtime, char *err, size_t errlen)
{
	struct walk w = { l, flags, mtime, err, errlen };
	struct stat st;
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "cannot open '%s': %s", dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (oci_layer_dir(l, prefix, mode_of(&w, &st),
	    flags ? mtime : st.st_mtime) == -1) {
		snprintf(err, errlen, "%s", oci_layer_error(l));
		close(fd);
		return -1;
	}
	rc = walk_dir_at(&w, fd, prefix, 0);
	close(fd);
	return rc;
}

int
oci_tree_add_one(struct oci_layer *l, const char *hostpath, const char *name,
    char *err, size_t errlen)
{
	struct walk w = { l, OCI_TREE_FIXDIRS, 0, err, errlen };
	char dir[PATH_MAX];
	const char *slash = strrchr(hostpath, '/');
	struct stat st;
	int dfd, rc;

	if (slash == NULL || pathf(dir, sizeof(dir), "%.*s",
	    (int)(slash - hostpath), hostpath) == -1) {
		snprintf(err, errlen, "'%s': not an absolute path", hostpath);
		return -1;
	}
	if ((dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	/* a directory here is only its own entry: the caller lists what it
	 * wants of it */
	if (fstatat(dfd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		if ((rc = oci_layer_dir(l, name, st.st_mode & 07777, 0)) == -1)
			snprintf(err, errlen, "%s", oci_layer_error(l));
	} else {
		rc = walk_entry(&w, dfd, slash + 1, name, 0);
	}
	close(dfd);
	return rc;
}

int
export_each_file(const char *dir, int (*fn)(void *, const char *), void *ctx)
{
	char **names, path[PATH_MAX];
	size_t n;
	int fd, rc = 0;
	struct stat st;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (list_names(fd, &names, &n) == -1) {
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) &&
		    pathf(path, sizeof(path), "%s/%s", dir, names[i]) == 0)
			rc = fn(ctx, path);
	free_names(names, n);
	close(fd);
	return rc;
}
