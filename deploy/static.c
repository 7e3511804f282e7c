/*
 * static.c - what a static site may put in front of the proxy.
 *
 * The proxy serves a release's static_root as it is on disk, following
 * symlinks, with whatever files its uid can read.  So before a release
 * with a static_root goes live (the tree is root's and immutable by then,
 * release_seal), the static root must be a real directory inside the app,
 * reached without symlinks, and every symlink under it must resolve
 * beneath it: every step of the resolution, not just where it ends, so a
 * chain of ".." links or a /proc magic link cannot lead the proxy out
 * later.  openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) is that check.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"
#include "core/text.h"
#include "deploy/deploy.h"

#define STATIC_DEPTH_MAX 64

/* Every symlink in directory rel of the static root sfd resolves beneath
 * sfd.  0; -2 with the offending link in bad; -1 when the tree could not
 * be read (errno, and the path in bad). */
static int
links_beneath(int sfd, const char *rel, char *bad, size_t len, int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *dp;
	int fd, rc = 0;

	if (depth > STATIC_DEPTH_MAX) {
		snprintf(bad, len, "%s", rel);
		errno = ELOOP;
		return -1;
	}
	if ((fd = openat(sfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (dp = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		snprintf(bad, len, "%s", rel);
		return -1;
	}
	while (rc == 0 && (de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (pathf(path, sizeof(path), "%s/%s", rel, de->d_name) == -1 ||
		    fstatat(dirfd(dp), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			snprintf(bad, len, "%s/%s", rel, de->d_name);
			rc = -1;
		} else if (S_ISLNK(sb.st_mode)) {
			if ((fd = path_open_beneath(sfd, path, O_PATH,
			    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)) == -1) {
				snprintf(bad, len, "%s", path);
				rc = errno == ENOSYS ? -1 : -2;
			} else {
				close(fd);
			}
		} else if (S_ISDIR(sb.st_mode)) {
			rc = links_beneath(sfd, path, bad, len, depth + 1);
		}
	}
	closedir(dp);
	return rc;
}

int
release_check_static(struct deploy *d)
{
	const char *sr = d->rel.static_root;
	char bad[PATH_MAX], shown[160];
	int root, sfd, rc;

	if (sr[0] == '\0')
		return 0;
	if ((root = open(d->build_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return deploy_fail(d, "cannot open the build dir: %s",
		    strerror(errno));
	sfd = path_open_beneath(root, sr, O_RDONLY | O_DIRECTORY,
	    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	close(root);
	if (sfd == -1 && errno == ENOSYS)
		return deploy_fail(d, "a static site needs openat2 (Linux 5.6 or"
		    " later) to check its symlinks");
	if (sfd == -1 && errno == ELOOP)
		return deploy_fail(d, "static_root '%s' goes through a symlink;"
		    " name the directory itself", sr);
	if (sfd == -1)
		return deploy_fail(d, "static_root '%s' is not a directory inside"
		    " the app: %s", sr, strerror(errno));
	rc = links_beneath(sfd, ".", bad, sizeof(bad), 0);
	close(sfd);
	/* a name from the pushed tree: any bytes but '/' and NUL */
	text_shown(strncmp(bad, "./", 2) == 0 ? bad + 2 : bad, shown,
	    sizeof(shown));
	if (rc == -2)
		return deploy_fail(d, "'%s/%s' is a symlink that leads outside %s/"
		    " (or nowhere): the proxy serves %s/ as it is", sr, shown, sr,
		    sr);
	if (rc == -1)
		return deploy_fail(d, "cannot check '%s/%s': %s", sr, shown,
		    strerror(errno));
	return 0;
}
