/*
 * export_oci.c - a release as an OCI image (image-spec 1.1): the layers
 * (base, runtime, release under /app), the image config (Cmd of the web
 * process, its port, /app, a non-root user, Env without any config var,
 * labels naming app, release and commit), the manifest, and the layout's
 * index.json, where the image is tagged.  No creation time anywhere: the
 * same release gives the same digests.
 */
#include "export/export_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"

#if defined(__x86_64__)
#define OCI_ARCH "amd64"
#elif defined(__aarch64__)
#define OCI_ARCH "arm64"
#elif defined(__i386__)
#define OCI_ARCH "386"
#else
#define OCI_ARCH "unknown"
#endif

/* The process the image runs by default: web, else the first type. */
static json_t *
image_cmd(const struct export_release *r)
{
	char cmd[PROC_LIST_MAX];
	json_t *a = json_array();

	if (procfile_command_of(r->procs, "web", cmd, sizeof(cmd)) == -1 &&
	    procfile_command_of(r->procs, r->types[0], cmd, sizeof(cmd)) == -1) {
		json_decref(a);
		return NULL;
	}
	for (char *p = cmd; *p;) {
		size_t n = strcspn(p, " \t");
		if (n > 0)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
		p += strspn(p, " \t");
	}
	return a;
}

static json_t *
labels(const struct export_release *r)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", r->version);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
	    "org.opencontainers.image.title", r->app,
	    "org.opencontainers.image.version", v,
	    "org.opencontainers.image.revision", r->commit,
	    "berth.app", r->app, "berth.release", v, "berth.commit", r->commit);
}

/* The base's Env without what the image sets itself, then PORT, HOME. */
static json_t *
image_env(const struct export_release *r, json_t *base)
{
	json_t *env = json_array(), *e;
	char buf[64];
	size_t i;

	json_array_foreach(base, i, e) {
		const char *s = json_string_value(e);
		if (s != NULL && strncmp(s, "PORT=", 5) != 0 &&
		    strncmp(s, "HOME=", 5) != 0)
			json_array_append(env, e);
	}
	snprintf(buf, sizeof(buf), "PORT=%d", r->port);
	json_array_append_new(env, json_string(buf));
	json_array_append_new(env, json_string("HOME=/app"));
	return env;
}

static json_t *
image_config(const struct export_release *r, json_t *base_env,
    const struct oci_desc *layers, size_t n)
{
	char user[32], port[32];
	json_t *ids = json_array(), *cmd = image_cmd(r);

	if (cmd == NULL) {
		json_decref(ids);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ids, json_string(layers[i].diff_id));
	snprintf(user, sizeof(user), "%d:%d", r->uid, r->uid);
	snprintf(port, sizeof(port), "%d/tcp", r->port);
	return json_pack("{s:s, s:s, s:{s:s, s:o, s:o, s:s, s:{s:{}}, s:o},"
	    " s:{s:s, s:o}}", "architecture", OCI_ARCH, "os", "linux",
	    "config", "User", user, "Env", image_env(r, base_env), "Cmd", cmd,
	    "WorkingDir", "/app", "ExposedPorts", port, "Labels", labels(r),
	    "rootfs", "type", "layers", "diff_ids", ids);
}

static int
write_manifest(const char *layout, const struct export_release *r,
    const struct oci_desc *cfg, const struct oci_desc *layers, size_t n,
    struct oci_desc *out, char *err, size_t errlen)
{
	json_t *ls = json_array(), *m;
	int rc;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(ls, oci_desc_json(&layers[i]));
	m = json_pack("{s:i, s:s, s:o, s:o, s:o}", "schemaVersion", 2,
	    "mediaType", OCI_MT_MANIFEST, "config", oci_desc_json(cfg),
	    "layers", ls, "annotations", labels(r));
	if (m == NULL) {
		snprintf(err, errlen, "cannot build the manifest");
		return -1;
	}
	rc = oci_blob_json(layout, m, OCI_MT_MANIFEST, out, err, errlen);
	json_decref(m);
	return rc;
}

/* index.json with man tagged tag: other tags stay, tag moves here. */
static int
write_index(const char *layout, const struct oci_desc *man, const char *tag,
    char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	json_t *idx, *ms = json_array(), *old, *m;
	json_error_t je;
	size_t i;
	int rc;

	if (pathf(path, sizeof(path), "%s/index.json", layout) == -1 ||
	    pathf(tmp, sizeof(tmp), "%s/.index.json.tmp", layout) == -1) {
		snprintf(err, errlen, "layout path too long: '%s'", layout);
		return -1;
	}
	old = json_load_file(path, 0, &je);
	json_array_foreach(json_object_get(old, "manifests"), i, m) {
		const char *ref = json_string_value(json_object_get(
		    json_object_get(m, "annotations"),
		    "org.opencontainers.image.ref.name"));
		if (ref == NULL || strcmp(ref, tag) != 0)
			json_array_append(ms, m);
	}
	json_decref(old);
	m = oci_desc_json(man);
	json_object_set_new(m, "annotations", json_pack("{s:s}",
	    "org.opencontainers.image.ref.name", tag));
	json_object_set_new(m, "platform", json_pack("{s:s, s:s}",
	    "architecture", OCI_ARCH, "os", "linux"));
	json_array_append_new(ms, m);
	idx = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType",
	    OCI_MT_INDEX, "manifests", ms);
	rc = json_dump_file(idx, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(idx);
	if (rc == -1 || chmod(tmp, 0644) == -1 || rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot write '%s': %s", path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
release_layer(const char *layout, const struct export_release *r,
    struct oci_desc *d, char *err, size_t errlen)
{
	struct oci_layer *l = oci_layer_begin(layout, err, errlen);

	if (l == NULL)
		return -1;
	if (oci_tree_add(l, r->dir, "app", OCI_TREE_NORMALISE, 0, err, errlen)
	    == -1) {
		oci_layer_abort(l);
		return -1;
	}
	return oci_layer_end(l, d, err, errlen);
}

int
export_oci(const struct conf *c, const struct export_release *r,
    const char *layout, const char *tag, char *err, size_t errlen)
{
	struct oci_desc layers[OCI_LAYERS_MAX], cfg, man;
	json_t *env = NULL, *config = NULL;
	size_t n = 0;
	int rc = -1;

	if (!export_tag_valid(tag)) {
		snprintf(err, errlen, "not a valid tag: '%.128s'", tag);
		return -1;
	}
	if (oci_layout_init(layout, err, errlen) == -1 ||
	    export_base_layers(c, layout, layers, OCI_LAYERS_MAX - 2, &n, &env,
	    err, errlen) == -1 ||
	    export_runtime_layer(layout, r, &layers[n++], err, errlen) == -1 ||
	    release_layer(layout, r, &layers[n++], err, errlen) == -1)
		goto out;
	if ((config = image_config(r, env, layers, n)) == NULL) {
		snprintf(err, errlen, "cannot build the image config");
		goto out;
	}
	if (oci_blob_json(layout, config, OCI_MT_CONFIG, &cfg, err, errlen)
	    == -1 || write_manifest(layout, r, &cfg, layers, n, &man, err,
	    errlen) == -1 || write_index(layout, &man, tag, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	json_decref(env);
	json_decref(config);
	return rc;
}
