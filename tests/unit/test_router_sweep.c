/*
 * test_router_sweep.c - router_sweep (router/router.c), which crash
 * recovery calls at start: the nginx staging dir of a process that is gone
 * goes, whatever [router] kind is now; a live process's staging dir, the
 * sites and anything else in CONFIG_DIR/nginx stay.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/path.h"
#include "router/router.h"
#include "tests/unit/unit.h"

static char base[PATH_MAX];

/* base/rel as a dir (with a file in it), 0 or -1. */
static int
make_dir(const char *rel)
{
	char path[PATH_MAX], file[PATH_MAX];
	FILE *f;

	if (pathf(path, sizeof(path), "%s/%s", base, rel) == -1 ||
	    mkdirs(path, 0700) == -1 ||
	    pathf(file, sizeof(file), "%s/nginx.conf", path) == -1 ||
	    (f = fopen(file, "we")) == NULL)
		return -1;
	return fclose(f);
}

static int
exists(const char *rel)
{
	char path[PATH_MAX];
	struct stat sb;

	return pathf(path, sizeof(path), "%s/%s", base, rel) == 0 &&
	    stat(path, &sb) == 0;
}

int
main(void)
{
	char dir[] = "/tmp/test_router_sweep_XXXXXX", live[64];
	struct conf c;

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return unit_done();
	}
	snprintf(base, sizeof(base), "%s/nginx", dir);
	snprintf(live, sizeof(live), "stage-%ld", (long)getpid());
	/* 2^22 + 1 is above any pid_max Linux allows */
	CHECK(make_dir("stage-4194305") == 0);
	CHECK(make_dir("stage-0") == 0);
	CHECK(make_dir(live) == 0);
	CHECK(make_dir("sites") == 0);
	CHECK(make_dir("tmp") == 0);

	conf_defaults(&c);
	snprintf(c.router_config_dir, sizeof(c.router_config_dir), "%s", dir);
	router_sweep(&c); /* kind is caddy: nginx's leftovers go all the same */
	CHECK(!exists("stage-4194305"));
	CHECK(!exists("stage-0"));
	CHECK(exists(live));
	CHECK(exists("sites/nginx.conf"));
	CHECK(exists("tmp"));

	/* no nginx dir at all: nothing to do, no harm */
	CHECK(rmtree(dir) == 0);
	router_sweep(&c);
	CHECK(!exists("sites"));
	return unit_done();
}
