/*
 * test_seal.c - unit tests of what keeps a build from reaching further than
 * its release: the check of a sealed tree (ident_check_tree, core/ident.h)
 * refuses a FIFO, a file the take missed, a writable or setuid file; the
 * names kept out of buildpack steps (deploy/buildenv.c) are the loader's
 * and the interpreters' start-up variables, not the app's own settings.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ident.h"
#include "core/path.h"
#include "deploy/deploy.h"
#include "unit.h"

static char top[] = "/tmp/berth-seal-XXXXXX";

/* A sealed-looking tree owned by root and group gid: a/b/file, a link. */
static void
make_tree(gid_t gid)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/a/b", top);
	CHECK(mkdirs(p, 0750) == 0);
	snprintf(p, sizeof(p), "%s/a/b/file", top);
	CHECK((fd = open(p, O_WRONLY | O_CREAT, 0640)) >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/a/link", top);
	CHECK(symlink("b/file", p) == 0);
	const char *all[] = { "", "/a", "/a/b", "/a/b/file", "/a/link" };
	for (size_t i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s%s", top, all[i]);
		CHECK(lchown(p, 0, gid) == 0);
	}
}

static void
test_check_tree(void)
{
	struct ident app = { 4242, 4242, 1, 0, 0 };
	char bad[PATH_MAX + 96], p[PATH_MAX];

	if (geteuid() != 0) {
		printf("skip: the owner checks need root\n");
		return;
	}
	CHECK(mkdtemp(top) != NULL);
	make_tree(app.gid);
	CHECK(ident_check_tree(top, &app, bad, sizeof(bad)) == 0);
	snprintf(p, sizeof(p), "%s/a/b/pipe", top);
	CHECK(mkfifo(p, 0640) == 0 && lchown(p, 0, app.gid) == 0);
	CHECK(ident_check_tree(top, &app, bad, sizeof(bad)) == -1 &&
	    strcmp(bad, "'a/b/pipe' is not a file, a directory or a symlink") == 0);
	CHECK(unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/a/\x1b[2J\xff", top);   /* a hostile name */
	CHECK(mkfifo(p, 0640) == 0 && lchown(p, 0, app.gid) == 0);
	CHECK(ident_check_tree(top, &app, bad, sizeof(bad)) == -1 &&
	    strncmp(bad, "'a/?[2J?' is not a file", 23) == 0);
	CHECK(unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/a/b/file", top);
	CHECK(chown(p, 4243, app.gid) == 0);   /* missed by the take */
	CHECK(ident_check_tree(top, &app, bad, sizeof(bad)) == -1 &&
	    strstr(bad, "'a/b/file' is not the release's") == bad);
	CHECK(chown(p, 0, app.gid) == 0 && chmod(p, 0660) == 0);
	CHECK(ident_check_tree(top, &app, bad, sizeof(bad)) == -1 &&
	    strstr(bad, "writable by others") != NULL);
	CHECK(chmod(p, 04750) == 0);
	CHECK(ident_check_tree(top, &app, bad, sizeof(bad)) == -1 &&
	    strstr(bad, "setuid") != NULL);
	CHECK(chmod(p, 0640) == 0);
	CHECK(chown(top, 0, 0) == 0);   /* the top too */
	CHECK(ident_check_tree(top, &app, bad, sizeof(bad)) == -1 &&
	    strstr(bad, "'.' is not the release's") == bad);
	CHECK(rmtree(top) == 0);
}

static void
test_kept_out(void)
{
	const char *kept[] = { "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT",
	    "BASH_ENV", "BASH_FUNC_ls", "SHELLOPTS", "PS4", "GCONV_PATH",
	    "GLIBC_TUNABLES", "NODE_OPTIONS", "PYTHONPATH", "PYTHONSTARTUP",
	    "PERL5OPT", "RUBYOPT", "JAVA_TOOL_OPTIONS", NULL };
	const char *passed[] = { "NODE_ENV", "ENV", "DATABASE_URL", "LDAP_URL",
	    "PYTHONUNBUFFERED", "PATHS", "GOFLAGS", "BUILDPACK", NULL };

	for (const char **n = kept; *n; n++)
		CHECK(buildenv_kept_out(*n));
	for (const char **n = passed; *n; n++)
		CHECK(!buildenv_kept_out(*n));
}

int
main(void)
{
	test_check_tree();
	test_kept_out();
	return unit_done();
}
