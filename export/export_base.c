/*
 * export_base.c - the first layers of an exported image.  With
 * `[export] base` set, an OCI image layout the operator provides: its
 * image (the only one in its index.json, or the one tagged "base"), whose
 * layer blobs are copied into the new layout (each hashed again on the way:
 * a blob that does not match its digest is refused) and whose Env is kept.
 * Otherwise berth's own base, one small layer: /etc/passwd and /etc/group
 * naming the image's user, /tmp, nothing of the host.
 */
#include "export/export_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/path.h"

#define BASE_ENV "PATH=/usr/local/bin:/usr/bin:/bin"
#define BASE_JSON_MAX (4 << 20)

/* berth's own base: one layer, the same for every app of a server. */
static int
own_base(const struct conf *c, const char *layout, struct oci_desc *d,
    char *err, size_t errlen)
{
	char passwd[256], group[256];
	struct oci_layer *l;
	int u = c->export_user;

	snprintf(passwd, sizeof(passwd), "root:x:0:0:root:/root:/sbin/nologin\n"
	    "app:x:%d:%d:app:/app:/sbin/nologin\n", u, u);
	snprintf(group, sizeof(group), "root:x:0:\napp:x:%d:\n", u);
	if ((l = oci_layer_begin(layout, err, errlen)) == NULL)
		return -1;
	if (oci_layer_dir(l, "etc", 0755, 0) == -1 ||
	    oci_layer_data(l, "etc/group", group, strlen(group), 0644, 0) == -1 ||
	    oci_layer_data(l, "etc/passwd", passwd, strlen(passwd), 0644, 0)
	    == -1 || oci_layer_dir(l, "tmp", 01777, 0) == -1) {
		snprintf(err, errlen, "base: %s", oci_layer_error(l));
		oci_layer_abort(l);
		return -1;
	}
	return oci_layer_end(l, d, err, errlen);
}

/* The JSON blob digest of the base layout. */
static json_t *
read_blob_json(const char *base, const char *digest, char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_error_t je;
	json_t *j;

	if (!oci_digest_valid(digest)) {
		snprintf(err, errlen, "base '%s': not a sha256 digest: '%.80s'",
		    base, digest);
		return NULL;
	}
	if (pathf(path, sizeof(path), "%s/blobs/sha256/%s", base, digest + 7)
	    == -1 || (j = json_load_file(path, JSON_DISABLE_EOF_CHECK, &je))
	    == NULL) {
		snprintf(err, errlen, "base '%s': cannot read blob %s: %s", base,
		    digest, je.text);
		return NULL;
	}
	return j;
}

/* Copy blob d from base to layout, checking its digest and size. */
static int
copy_blob(const char *base, const char *layout, struct oci_desc *d,
    char *err, size_t errlen)
{
	char path[PATH_MAX], buf[65536];
	struct oci_blob b;
	struct oci_desc got;
	FILE *f;
	size_t n;

	if (pathf(path, sizeof(path), "%s/blobs/sha256/%s", base, d->digest + 7)
	    == -1 || (f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "base: cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (oci_blob_open(&b, layout, err, errlen) == -1) {
		fclose(f);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (oci_blob_write(&b, buf, n) == -1)
			break;
	if (ferror(f) || n > 0) {
		snprintf(err, errlen, "base: cannot copy '%s'", path);
		fclose(f);
		oci_blob_abort(&b);
		return -1;
	}
	fclose(f);
	if (oci_blob_close(&b, &got, err, errlen) == -1)
		return -1;
	if (strcmp(got.digest, d->digest) != 0 || got.size != d->size) {
		snprintf(err, errlen, "base: blob %s does not match its digest"
		    " or size", d->digest);
		return -1;
	}
	return 0;
}

/* The manifest descriptor of the base's image: the only one, or "base". */
static const char *
pick_manifest(const char *base, json_t *index, char *err, size_t errlen)
{
	json_t *ms = json_object_get(index, "manifests"), *m, *pick = NULL;
	size_t i;

	json_array_foreach(ms, i, m) {
		const char *ref = json_string_value(json_object_get(
		    json_object_get(m, "annotations"),
		    "org.opencontainers.image.ref.name"));
		if (json_array_size(ms) == 1 || (ref && strcmp(ref, "base") == 0))
			pick = m;
	}
	if (pick == NULL || !json_is_string(json_object_get(pick, "digest"))) {
		snprintf(err, errlen, "base '%s': index.json has no single image"
		    " nor one tagged 'base'", base);
		return NULL;
	}
	return json_string_value(json_object_get(pick, "digest"));
}

/* Fill layers from the manifest's and config's lists.  0 or -1. */
static int
base_descs(const char *base, json_t *man, json_t *cfg, struct oci_desc *layers,
    size_t max, size_t *n, char *err, size_t errlen)
{
	json_t *ls = json_object_get(man, "layers");
	json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	json_t *l;
	size_t i;

	if (!json_is_array(ls) || json_array_size(ls) != json_array_size(ids) ||
	    json_array_size(ls) > max) {
		snprintf(err, errlen, "base '%s': its layers and diff_ids do not"
		    " match (or more than %zu layers)", base, max);
		return -1;
	}
	json_array_foreach(ls, i, l) {
		struct oci_desc *d = &layers[i];
		const char *mt = json_string_value(json_object_get(l, "mediaType"));
		const char *dg = json_string_value(json_object_get(l, "digest"));
		const char *id = json_string_value(json_array_get(ids, i));
		json_int_t sz = json_integer_value(json_object_get(l, "size"));
		if (mt == NULL || dg == NULL || id == NULL || sz < 0 ||
		    !oci_digest_valid(dg) || !oci_digest_valid(id) ||
		    strlen(mt) >= sizeof(d->media)) {
			snprintf(err, errlen, "base '%s': layer %zu is not a valid"
			    " descriptor", base, i);
			return -1;
		}
		snprintf(d->media, sizeof(d->media), "%s", mt);
		snprintf(d->digest, sizeof(d->digest), "%s", dg);
		snprintf(d->diff_id, sizeof(d->diff_id), "%s", id);
		d->size = (uint64_t)sz;
	}
	*n = i;
	return 0;
}

static int
their_base(const char *base, const char *layout, struct oci_desc *layers,
    size_t max, size_t *n, json_t **env, char *err, size_t errlen)
{
	char path[PATH_MAX];
	json_error_t je;
	json_t *index, *man = NULL, *cfg = NULL;
	const char *md;
	int rc = -1;

	if (pathf(path, sizeof(path), "%s/index.json", base) == -1 ||
	    (index = json_load_file(path, 0, &je)) == NULL) {
		snprintf(err, errlen, "[export] base: cannot read '%s': %s",
		    path, je.text);
		return -1;
	}
	if ((md = pick_manifest(base, index, err, errlen)) == NULL ||
	    (man = read_blob_json(base, md, err, errlen)) == NULL ||
	    (cfg = read_blob_json(base, json_string_value(json_object_get(
	    json_object_get(man, "config"), "digest")) ?: "", err, errlen))
	    == NULL || base_descs(base, man, cfg, layers, max, n, err, errlen)
	    == -1)
		goto out;
	for (size_t i = 0; i < *n; i++)
		if (copy_blob(base, layout, &layers[i], err, errlen) == -1)
			goto out;
	*env = json_object_get(json_object_get(cfg, "config"), "Env");
	*env = json_is_array(*env) ? json_deep_copy(*env) : json_array();
	rc = *env != NULL ? 0 : -1;
out:
	json_decref(index);
	json_decref(man);
	json_decref(cfg);
	return rc;
}

int
export_base_layers(const struct conf *c, const char *layout,
    struct oci_desc *layers, size_t max, size_t *n, json_t **env,
    char *err, size_t errlen)
{
	*n = 0;
	*env = NULL;
	if (c->export_base[0] != '\0')
		return their_base(c->export_base, layout, layers, max, n, env,
		    err, errlen);
	if (max < 1 || own_base(c, layout, &layers[0], err, errlen) == -1)
		return -1;
	*n = 1;
	*env = json_pack("[s]", BASE_ENV);
	return *env != NULL ? 0 : -1;
}
