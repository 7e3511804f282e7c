/*
 * export_int.h - what the files of export/ share, internal to the folder
 * (export.h is its face): the layers other than the release's, and a
 * directory helper.
 */
#ifndef BERTH_EXPORT_INT_H
#define BERTH_EXPORT_INT_H

#include "export/export.h"
#include "export/oci.h"

/* The base's layers (export_base.c): [export] base's image, or berth's
 * own one-layer base.  Fills layers (at most max), *n, and env (a JSON
 * array of "NAME=value", new reference) from the base's config.
 * 0 or -1 with err. */
int export_base_layers(const struct conf *c, const char *layout,
    struct oci_desc *layers, size_t max, size_t *n, json_t **env,
    char *err, size_t errlen);

/* The runtime layer (export_runtime.c).  0 or -1 with err. */
int export_runtime_layer(const char *layout, const struct export_release *r,
    struct oci_desc *d, char *err, size_t errlen);

/* fn(ctx, DIR/NAME) for each regular file of dir, in byte order of NAME;
 * a missing dir has none.  0, or -1 (errno) or fn's non-zero. */
int export_each_file(const char *dir, int (*fn)(void *, const char *),
    void *ctx);

/* A manifest being written (export_k8s.c, export_nomad.c): a failed
 * write sets bad and the writer goes on, checked once at the end. */
struct export_out {
	FILE *f;
	int bad;
	const struct export_release *r;
};

/* fmt onto w->f (export_quote.c); a failure sets w->bad. */
void export_printf(struct export_out *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* s quoted for YAML (hcl 0) or HCL (hcl 1) onto f (export_quote.c).
 * 0, or -1 (a write failed, or s is not UTF-8). */
int export_quote(FILE *f, const char *s, int hcl);

/* A process type as part of a Kubernetes name: lower case, '_' -> '-'. */
void export_kname(const char *in, char *out, size_t len);

#endif
