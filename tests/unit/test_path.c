/*
 * test_path.c - unit tests of core/path.c's rmtree on real directories: a
 * chain 5,000 deep (deeper than PATH_MAX and than the open files allowed
 * here) is removed with a limit of 32 open files, wide directories and
 * files among the levels too; symlinks are removed, never followed, so
 * what they point at outside the tree survives.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"
#include "unit.h"

static char base[64];

/* A chain depth deep under dir: d/d/d/..., with a file, a symlink to
 * outside and a few siblings every 100 levels.  0 or -1. */
static int
make_chain(const char *dir, int depth, const char *outside)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY), next, f;

	for (int i = 0; fd != -1 && i < depth; i++) {
		if (i % 100 == 0) {
			if ((f = openat(fd, "file", O_WRONLY | O_CREAT, 0600)) != -1)
				close(f);
			if (symlinkat(outside, fd, "link") == -1 ||
			    mkdirat(fd, "side", 0700) == -1 ||
			    mkdirat(fd, "other", 0500) == -1) { /* not writable */
				close(fd);
				return -1;
			}
		}
		if (mkdirat(fd, "d", 0700) == -1 ||
		    (next = openat(fd, "d", O_RDONLY | O_DIRECTORY)) == -1) {
			close(fd);
			return -1;
		}
		close(fd);
		fd = next;
	}
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

static void
test_deep_tree(void)
{
	char tree[128], outside[128], keep[160];
	struct rlimit old, low = { 32, 32 };
	struct stat sb;
	int f;

	snprintf(tree, sizeof(tree), "%s/tree", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	snprintf(keep, sizeof(keep), "%s/keep", outside);
	CHECK(mkdir(tree, 0700) == 0 && mkdir(outside, 0700) == 0);
	CHECK((f = open(keep, O_WRONLY | O_CREAT, 0600)) != -1);
	if (f != -1)
		close(f);
	CHECK(make_chain(tree, 5000, outside) == 0);
	CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
	low.rlim_max = old.rlim_max;
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	CHECK(rmtree(tree) == 0);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	CHECK(lstat(tree, &sb) == -1 && errno == ENOENT);
	CHECK(stat(keep, &sb) == 0);  /* the links' target is untouched */
	CHECK(rmtree(outside) == 0);
	CHECK(rmtree(outside) == 0);  /* gone already: fine */
}

static void
test_link_and_file(void)
{
	char link[128], file[128], target[128];
	struct stat sb;
	int f;

	snprintf(target, sizeof(target), "%s/target", base);
	snprintf(link, sizeof(link), "%s/link", base);
	snprintf(file, sizeof(file), "%s/file", base);
	CHECK(mkdir(target, 0700) == 0 && symlink(target, link) == 0);
	CHECK((f = open(file, O_WRONLY | O_CREAT, 0600)) != -1);
	if (f != -1)
		close(f);
	CHECK(rmtree(link) == 0);     /* the link goes, not what it names */
	CHECK(lstat(link, &sb) == -1 && stat(target, &sb) == 0);
	CHECK(rmtree(file) == 0 && lstat(file, &sb) == -1);
	CHECK(rmtree(target) == 0);
}

int
main(void)
{
	snprintf(base, sizeof(base), "/tmp/test_path_%ld", (long)getpid());
	if (mkdir(base, 0700) == -1) {
		perror(base);
		return 1;
	}
	test_deep_tree();
	test_link_and_file();
	CHECK(rmtree(base) == 0);
	return unit_done();
}
