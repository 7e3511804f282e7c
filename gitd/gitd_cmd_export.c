/*
 * gitd_cmd_export.c - `export APP [--release N] [--oci DIR[:TAG]|-]
 * [--k8s DIR|-] [--nomad FILE|-] [--image REF]`: a release handed to an
 * existing engine (export/export.h).  Over SSH nothing is written on the
 * server's disk: only "-" (the caller's stdout) is accepted, and the
 * default is the OCI layout as a tar on stdout (built in a temp dir under
 * the data dir, removed after; one a killed export left goes a day
 * later).  `berth export` on the server may name
 * directories and files.  Only one of the outputs may be "-".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/num.h"
#include "core/path.h"
#include "export/export.h"
#include "gitd/gitd_dispatch.h"

#define IMAGE_REF_MAX 256
#define EXPORT_TEMP_MAX_AGE 86400 /* seconds */

struct export_args {
	int release;
	const char *oci, *k8s, *nomad, *image;
	char tag[EXPORT_TAG_MAX + 1];
	char dir[PATH_MAX];          /* --oci's DIR */
};

static int
parse_args(struct gitd_ctx *g, int argc, char **argv, struct export_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 2; i < argc; i++) {
		const char **slot = NULL;
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "--release") == 0) {
			long long v;
			if (num_parse(argv[++i], 1, 1000000000, &v) == -1)
				goto usage;
			a->release = (int)v;
			continue;
		}
		if (strcmp(argv[i], "--oci") == 0)
			slot = &a->oci;
		else if (strcmp(argv[i], "--k8s") == 0)
			slot = &a->k8s;
		else if (strcmp(argv[i], "--nomad") == 0)
			slot = &a->nomad;
		else if (strcmp(argv[i], "--image") == 0)
			slot = &a->image;
		if (slot == NULL || *slot != NULL)
			goto usage;
		*slot = argv[++i];
	}
	return 0;
usage:
	gitd_errorf(g, "usage: export APP [--release N] [--oci DIR[:TAG]|-]"
	    " [--k8s DIR|-] [--nomad FILE|-] [--image REF]");
	return -1;
}

/* Where each output goes is allowed, and --oci's DIR and TAG. */
static int
check_args(struct gitd_ctx *g, struct export_args *a)
{
	const char *outs[] = { a->oci, a->k8s, a->nomad };
	int dashes = 0;
	char *colon;

	if (a->oci == NULL && a->k8s == NULL && a->nomad == NULL)
		a->oci = "-";
	for (size_t i = 0; i < 3; i++) {
		if (outs[i] == NULL)
			continue;
		dashes += strcmp(outs[i], "-") == 0;
		if (!g->local && strcmp(outs[i], "-") != 0) {
			gitd_errorf(g, "export: over SSH the output is your"
			    " stdout ('-'); `berth export` on the server writes"
			    " files");
			return -1;
		}
	}
	if (dashes > 1) {
		gitd_errorf(g, "export: only one output can be '-'");
		return -1;
	}
	if (a->image != NULL && (strlen(a->image) > IMAGE_REF_MAX ||
	    strspn(a->image, "abcdefghijklmnopqrstuvwxyz0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ._-/:@") != strlen(a->image))) {
		gitd_errorf(g, "export: not an image reference: '%.256s'",
		    a->image);
		return -1;
	}
	if (a->oci == NULL || strcmp(a->oci, "-") == 0)
		return 0;
	snprintf(a->dir, sizeof(a->dir), "%s", a->oci);
	colon = strrchr(a->dir, ':');
	if (colon != NULL && strchr(colon, '/') == NULL) {
		*colon = '\0';
		if (!export_tag_valid(colon + 1) || a->dir[0] == '\0') {
			gitd_errorf(g, "export: not a valid DIR:TAG: '%s'", a->oci);
			return -1;
		}
		snprintf(a->tag, sizeof(a->tag), "%s", colon + 1);
	}
	return 0;
}

static int
to_caller(void *ctx, const void *buf, size_t len)
{
	struct gitd_ctx *g = ctx;
	char err[256];

	return g->io.in_out.write(g->io.in_out.ctx, buf, len, err, sizeof(err));
}

/* Temp dirs that an export killed half-way left (a day old: one may be
 * another connection's, running now). */
static void
sweep_temp(const char *data_dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(data_dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "export.", 7) == 0 &&
		    pathf(path, sizeof(path), "%s/%s", data_dir, de->d_name)
		    == 0 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_mtime < time(NULL) - EXPORT_TEMP_MAX_AGE)
			(void)rmtree(path); /* tried again next time */
	closedir(d);
}

/* The layout as a tar on the caller's stdout, built in a temp dir. */
static int
oci_stream(struct gitd_ctx *g, const struct export_release *r,
    const char *tag, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int rc;

	sweep_temp(g->conf->data_dir);
	if (pathf(tmp, sizeof(tmp), "%s/export.XXXXXX", g->conf->data_dir)
	    == -1 || mkdtemp(tmp) == NULL) {
		snprintf(err, errlen, "cannot create a temp dir in '%.512s': %s",
		    g->conf->data_dir, strerror(errno));
		return -1;
	}
	rc = export_oci(g->conf, r, tmp, tag, err, errlen);
	if (rc == 0)
		rc = export_tar(tmp, to_caller, g, err, errlen);
	if (rmtree(tmp) == -1 && rc == 0) {
		snprintf(err, errlen, "cannot remove '%.512s': %s", tmp,
		    strerror(errno));
		rc = -1;
	}
	return rc;
}

typedef int (*manifest_fn)(const struct export_release *, const char *,
    FILE *, char *, size_t);

/* A manifest to the caller's stdout ("-") or into path. */
static int
manifest(struct gitd_ctx *g, manifest_fn fn, const struct export_release *r,
    const char *image, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = strcmp(path, "-") == 0 ? open_memstream(&buf, &len) :
	    fopen(path, "w");
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "cannot write '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	rc = fn(r, image, f, err, errlen);
	if (fclose(f) == EOF && rc == 0) {
		snprintf(err, errlen, "cannot write '%s': %s", path,
		    strerror(errno));
		rc = -1;
	}
	if (rc == 0 && buf != NULL && to_caller(g, buf, len) == -1) {
		snprintf(err, errlen, "cannot write to the caller");
		rc = -1;
	}
	free(buf);
	return rc;
}

static int
run_export(struct gitd_ctx *g, struct export_args *a,
    const struct export_release *r, char *err, size_t errlen)
{
	char image[IMAGE_REF_MAX + EXPORT_TAG_MAX + 80], path[PATH_MAX];

	if (a->tag[0] == '\0')
		snprintf(a->tag, sizeof(a->tag), "v%d", r->version);
	snprintf(image, sizeof(image), "%s", a->image ? a->image : "");
	if (a->image == NULL)
		snprintf(image, sizeof(image), "%s:%s", r->app, a->tag);
	if (a->oci != NULL && strcmp(a->oci, "-") == 0 &&
	    oci_stream(g, r, a->tag, err, errlen) == -1)
		return -1;
	if (a->oci != NULL && strcmp(a->oci, "-") != 0) {
		if (export_oci(g->conf, r, a->dir, a->tag, err, errlen) == -1)
			return -1;
		gitd_errorf(g, "export: %s release %d -> %s:%s", r->app,
		    r->version, a->dir, a->tag);
	}
	if (a->k8s != NULL) {
		if (strcmp(a->k8s, "-") != 0 && (mkdirs(a->k8s, 0755) == -1 ||
		    pathf(path, sizeof(path), "%s/%s.yaml", a->k8s, r->app)
		    == -1)) {
			snprintf(err, errlen, "cannot create '%s': %s", a->k8s,
			    strerror(errno));
			return -1;
		}
		if (manifest(g, export_k8s, r, image, strcmp(a->k8s, "-") ?
		    path : "-", err, errlen) == -1)
			return -1;
	}
	if (a->nomad != NULL && manifest(g, export_nomad, r, image, a->nomad,
	    err, errlen) == -1)
		return -1;
	return 0;
}

int
cmd_export(struct gitd_ctx *g, int argc, char **argv)
{
	struct export_args a;
	struct export_release *r;
	char err[1024];
	int rc = 1;

	if (parse_args(g, argc, argv, &a) == -1 || check_args(g, &a) == -1)
		return 1;
	if ((r = malloc(sizeof(*r))) == NULL) {
		gitd_errorf(g, "berth: out of memory");
		return 1;
	}
	if (export_load(g->conf, g->st, &g->app, a.release, r, err,
	    sizeof(err)) == -1 || run_export(g, &a, r, err, sizeof(err)) == -1)
		gitd_errorf(g, "export: %s", err);
	else
		rc = 0;
	free(r);
	return rc;
}
