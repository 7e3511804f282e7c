/*
 * test_libarchive.c - unit tests of core/libarchive.c, the loader that
 * opens libarchive on first use: it loads, a directory packed into a
 * tar.gz through it comes back whole, and the buildpacks' copy works.  With BERTH_TEST_LIBARCHIVE
 * pointing at a library that is not there, or at one without
 * libarchive's functions, the loader fails with an error that names the
 * library (and the missing function), and so does each path that loads
 * it (packing and unpacking a release, an image layer, the buildpacks'
 * copy), instead of crashing later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/libarchive.h"
#include "core/packs.h"
#include "core/path.h"
#include "deploy/archive.h"
#include "export/oci.h"
#include "unit.h"

static char tmp[] = "/tmp/berth-test-libarchive.XXXXXX";

static const char *
at(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmp, name);
	return p[i];
}

/* The real library: src packed and unpacked again holds the same file. */
static void
test_loads(void)
{
	struct libarchive la;
	char err[512] = "", got[8] = "";
	FILE *f;

	CHECK(libarchive_load(&la, err, sizeof(err)) == 0);
	CHECK(la.error_string != NULL && la.entry_gname != NULL);
	/* a second load finds the library loaded and fills the table again */
	CHECK(libarchive_load(&la, err, sizeof(err)) == 0);

	CHECK(mkdirs(at("src"), 0755) == 0);
	CHECK((f = fopen(at("src/hello"), "w")) != NULL && fputs("hi", f) >= 0 &&
	    fclose(f) == 0);
	CHECK(archive_pack_dir(at("src"), at("v1.tar.gz"), err, sizeof(err)) == 0);
	CHECK(archive_unpack(at("v1.tar.gz"), at("dst"), err, sizeof(err)) == 0);
	CHECK((f = fopen(at("dst/hello"), "r")) != NULL &&
	    fgets(got, sizeof(got), f) != NULL && fclose(f) == 0);
	CHECK(strcmp(got, "hi") == 0);
	CHECK(packs_install(at("src"), at("packs"), err, sizeof(err)) == 0);
	CHECK(access(at("packs/hello"), R_OK) == 0);
	CHECK(rmtree(at("packs")) == 0 && rmtree(at("dst")) == 0);
}

/* Each caller returns the loader's error, and writes nothing. */
static void
test_callers_refuse(const char *want)
{
	char err[512];

	err[0] = '\0';
	CHECK(archive_pack_dir(at("src"), at("v2.tar.gz"), err, sizeof(err)) == -1);
	CHECK(strstr(err, want) != NULL);
	CHECK(access(at("v2.tar.gz"), F_OK) == -1);
	err[0] = '\0';
	CHECK(archive_unpack(at("v1.tar.gz"), at("dst2"), err, sizeof(err)) == -1);
	CHECK(strstr(err, want) != NULL);
	err[0] = '\0';
	CHECK(packs_install(at("src"), at("packs"), err, sizeof(err)) == -1);
	CHECK(strstr(err, want) != NULL);
	CHECK(access(at("packs"), F_OK) == -1 && access(at("packs.new"), F_OK) == -1);
	err[0] = '\0';
	CHECK(oci_layer_begin(tmp, err, sizeof(err)) == NULL);
	CHECK(strstr(err, want) != NULL);
}

int
main(void)
{
	struct libarchive la;
	char err[512] = "";

	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_loads();

	setenv("BERTH_TEST_LIBARCHIVE", "libberth-no-such-archive.so.13", 1);
	CHECK(libarchive_load(&la, err, sizeof(err)) == -1);
	CHECK(strstr(err, "cannot load 'libberth-no-such-archive.so.13'") != NULL);
	CHECK(strstr(err, "install libarchive13") != NULL);
	test_callers_refuse("cannot load 'libberth-no-such-archive.so.13'");

	setenv("BERTH_TEST_LIBARCHIVE", "libz.so.1", 1);
	err[0] = '\0';
	CHECK(libarchive_load(&la, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "'libz.so.1' has no function 'archive_error_string'")
	    == 0);
	CHECK(la.error_string == NULL && la.write_new == NULL);
	test_callers_refuse("'libz.so.1' has no function");

	unsetenv("BERTH_TEST_LIBARCHIVE");
	CHECK(rmtree(tmp) == 0);
	return unit_done();
}
