/*
 * export.h - a release handed to an existing engine (README.md, "From one
 * VPS to a cluster"): an OCI image layout of it, and Kubernetes and Nomad
 * manifests that run its process types.  Nothing here runs a container or
 * talks to a registry or daemon; the files are written with libarchive,
 * zlib, OpenSSL's sha256 and jansson, deterministically (the same release
 * exported twice gives the same digests).
 *
 * In: a release on disk (DATA/apps/APP/releases/N) and its rows; the
 * `[export]` settings.  Out: files under a directory the caller names, or
 * a tar of the layout on a write callback.  Run by `berth export` and by
 * the `export` command over SSH (gitd/gitd_cmd_export.c), in that
 * process; touches nothing of the app's.
 */
#ifndef BERTH_EXPORT_H
#define BERTH_EXPORT_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "conf/conf.h"
#include "core/store.h"
#include "run/procfile.h"

#define EXPORT_DOMAINS_MAX 64
#define EXPORT_VARS_MAX 256
#define EXPORT_TAG_MAX 128

/* What an export needs of a release, read once (export_load.c). */
struct export_release {
	char app[STORE_NAME_MAX];
	int version;
	char commit[STORE_OID_MAX];
	char procs[PROC_LIST_MAX];   /* checked: procfile_check */
	char dir[PATH_MAX];          /* the release's files */
	char health[256];            /* the health check path */
	int port;                    /* [export] port */
	int uid;                     /* [export] user */
	char types[PROC_TYPES_MAX][PROC_NAME_MAX + 1];
	int scale[PROC_TYPES_MAX];   /* ps:scale, 1 when never scaled */
	size_t ntypes;
	char domains[EXPORT_DOMAINS_MAX][256];
	size_t ndomains;
	char vars[EXPORT_VARS_MAX][128]; /* config var names, never values */
	size_t nvars;
};

/*
 * Read release version of app (0: the live one) and what goes with it.
 * Refused with err: no such release, its files archived or gone, a static
 * site (no process to run), a stored process list that does not check out.
 * 0 or -1.
 */
int export_load(const struct conf *c, struct store *st,
    const struct app_rec *app, int version, struct export_release *r,
    char *err, size_t errlen);

/* 1 when tag is a valid image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). */
int export_tag_valid(const char *tag);

/*
 * Write the release as an OCI image into the layout directory (created if
 * missing; an existing layout keeps its other images), tagged tag in its
 * index.json.  Layers: the base ([export] base's, or berth's own), the
 * runtime (the host programs the commands name, export_runtime.c), the
 * release under /app.  0 or -1 with err.
 */
int export_oci(const struct conf *c, const struct export_release *r,
    const char *layout, const char *tag, char *err, size_t errlen);

/* The layout directory as a tar (sorted, owner 0:0, mtime 0) on out,
 * written by libarchive (loaded first).  0 or -1 with err. */
typedef int (*export_write_fn)(void *ctx, const void *buf, size_t len);
int export_tar(const char *layout, export_write_fn out, void *ctx,
    char *err, size_t errlen);

/* Kubernetes objects for image, written to f as YAML documents: a
 * Deployment per process type, and for web a Service and, with domains,
 * an Ingress.  0 or -1 with err. */
int export_k8s(const struct export_release *r, const char *image, FILE *f,
    char *err, size_t errlen);

/* A Nomad job (HCL) for image, one group per process type.  0 or -1. */
int export_nomad(const struct export_release *r, const char *image, FILE *f,
    char *err, size_t errlen);

#endif
