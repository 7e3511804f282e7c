/*
 * test_export.c - unit tests of export/: quoting of user strings for YAML
 * (read back with libyaml: the same text) and HCL (template sequences
 * doubled), tag and digest checks, and the layer writer's determinism: a
 * tree written twice gives the same digest and diff_id, a gzip header
 * without a time, tar entries owned 0:0 at mtime 0 in sorted order; the
 * Kubernetes YAML of a release with hostile commands parses.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "core/libarchive.h"
#include "core/path.h"
#include "export/export_int.h"
#include "unit.h"

/* Parse text as YAML; the first scalar value after key "k", or NULL. */
static char *
yaml_value(const char *text, int *docs)
{
	yaml_parser_t p;
	yaml_event_t ev;
	char *out = NULL;
	int next = 0, done = 0;

	*docs = 0;
	if (!yaml_parser_initialize(&p))
		return NULL;
	yaml_parser_set_input_string(&p, (const unsigned char *)text,
	    strlen(text));
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			*docs = -1;
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT)
			(*docs)++;
		if (ev.type == YAML_SCALAR_EVENT) {
			const char *v = (const char *)ev.data.scalar.value;
			if (next && out == NULL)
				out = strdup(v);
			next = strcmp(v, "k") == 0;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return out;
}

static char *
quoted(const char *s, int hcl, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!hcl)
		fputs("k: ", f);
	*rc = export_quote(f, s, hcl);
	fclose(f);
	return buf;
}

static void
test_quote(void)
{
	static const char *const hostile[] = { "a\"b", "line\nnext: x",
	    "- [x]", "#c", "%{x}", "${y}", "\xc3\xa9t\xc3\xa9", "\x01\x7f",
	    "c1\xc2\x85\xc2\x9f", "bom\xef\xbb\xbf", "nc\xef\xbf\xbe",
	    "'single'", "\\", "a: b", "*alias", "&anchor", "!tag", "" };
	int rc, docs;

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char *y = quoted(hostile[i], 0, &rc), *v;
		CHECK(rc == 0);
		v = yaml_value(y, &docs);
		CHECK(docs == 1 && v != NULL && strcmp(v, hostile[i]) == 0);
		free(v);
		free(y);
	}
	free(quoted("\xff", 0, &rc));
	CHECK(rc == -1); /* not UTF-8: refused, not written half */
	{
		char *h = quoted("${x} %{y} $z", 1, &rc);
		CHECK(rc == 0 && strcmp(h, "\"$${x} %%{y} $z\"") == 0);
		free(h);
		h = quoted("a\"b\nc", 1, &rc);
		CHECK(rc == 0 && strcmp(h, "\"a\\\"b\\nc\"") == 0);
		free(h);
	}
}

static void
test_names(void)
{
	char long_tag[200];

	CHECK(export_tag_valid("v1"));
	CHECK(export_tag_valid("latest"));
	CHECK(export_tag_valid("a.b-c_d"));
	CHECK(!export_tag_valid(""));
	CHECK(!export_tag_valid(".x"));
	CHECK(!export_tag_valid("-x"));
	CHECK(!export_tag_valid("a/b"));
	CHECK(!export_tag_valid("a:b"));
	memset(long_tag, 'a', sizeof(long_tag) - 1);
	long_tag[sizeof(long_tag) - 1] = '\0';
	CHECK(!export_tag_valid(long_tag));
	CHECK(oci_digest_valid("sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	CHECK(!oci_digest_valid("sha256:"
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	CHECK(!oci_digest_valid("sha256:../../etc/passwd"));
	CHECK(!oci_digest_valid("sha512:0123"));
}

static int
put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int
write_layer(const char *layout, const char *tree, struct oci_desc *d)
{
	char err[512];
	struct oci_layer *l;

	if (oci_layout_init(layout, err, sizeof(err)) == -1 ||
	    (l = oci_layer_begin(layout, err, sizeof(err))) == NULL)
		return -1;
	if (oci_tree_add(l, tree, "app", OCI_TREE_NORMALISE, 0, err,
	    sizeof(err)) == -1) {
		oci_layer_abort(l);
		return -1;
	}
	return oci_layer_end(l, d, err, sizeof(err));
}

/* The entries of the layer blob: names joined by ' ', all owned 0:0 at
 * mtime 0 without owner names, and a gzip header without a time (else
 * *ok = 0). */
static void
read_layer(const char *layout, const struct oci_desc *d, char *names,
    size_t len, int *ok)
{
	struct libarchive la;
	char p[512], err[512];
	struct archive *a;
	struct archive_entry *e;
	unsigned char head[10];
	FILE *f;

	*ok = 1;
	names[0] = '\0';
	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", layout, d->digest + 7);
	if ((f = fopen(p, "rb")) == NULL || fread(head, 1, 10, f) != 10)
		*ok = 0;
	else /* gzip magic, and MTIME (bytes 4-7) zero */
		*ok = head[0] == 0x1f && head[1] == 0x8b && head[4] == 0 &&
		    head[5] == 0 && head[6] == 0 && head[7] == 0;
	if (f != NULL)
		fclose(f);
	if (libarchive_load(&la, err, sizeof(err)) == -1 ||
	    (a = la.read_new()) == NULL) {
		*ok = 0;
		return;
	}
	la.read_support_filter_gzip(a);
	la.read_support_format_tar(a);
	if (la.read_open_filename(a, p, 10240) != ARCHIVE_OK) {
		*ok = 0;
		la.read_free(a);
		return;
	}
	while (la.read_next_header(a, &e) == ARCHIVE_OK) {
		if (la.entry_uid(e) != 0 || la.entry_gid(e) != 0 ||
		    la.entry_mtime(e) != 0 ||
		    (la.entry_uname(e) && *la.entry_uname(e)) ||
		    (la.entry_gname(e) && *la.entry_gname(e)))
			*ok = 0;
		snprintf(names + strlen(names), len - strlen(names), "%s%s",
		    names[0] ? " " : "", la.entry_pathname(e));
	}
	la.read_free(a);
}

static void
test_layer(void)
{
	char base[] = "/tmp/test_export.XXXXXX", tree[256], l1[256], l2[256];
	char names[1024], a[300];
	struct oci_desc d1, d2;
	int ok;

	if (mkdtemp(base) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(tree, sizeof(tree), "%s/tree", base);
	snprintf(a, sizeof(a), "%s/a", tree);
	snprintf(l1, sizeof(l1), "%s/one", base);
	snprintf(l2, sizeof(l2), "%s/two", base);
	CHECK(mkdir(tree, 0700) == 0 && mkdir(a, 0750) == 0);
	CHECK(put(tree, "b", "bee\n", 0600) == 0 &&
	    put(tree, "a-b", "x", 0700) == 0 && put(a, "x", "inner", 0640) == 0);
	CHECK(write_layer(l1, tree, &d1) == 0);
	sleep(1);
	CHECK(put(tree, "b", "bee\n", 0600) == 0); /* a new mtime, same bytes */
	CHECK(write_layer(l2, tree, &d2) == 0);
	CHECK(strcmp(d1.digest, d2.digest) == 0);
	CHECK(strcmp(d1.diff_id, d2.diff_id) == 0);
	CHECK(oci_digest_valid(d1.digest) && oci_digest_valid(d1.diff_id));
	CHECK(strcmp(d1.digest, d1.diff_id) != 0);
	CHECK(strcmp(d1.media, OCI_MT_LAYER_GZ) == 0);
	read_layer(l1, &d1, names, sizeof(names), &ok);
	CHECK(ok);
	CHECK(strcmp(names, "app/ app/a/ app/a/x app/a-b app/b") == 0);
	CHECK(rmtree(base) == 0);
}

/* A release whose commands and domain carry YAML and HCL syntax. */
static void
test_manifests(void)
{
	struct export_release *r = calloc(1, sizeof(*r));
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f;
	int docs, rc;

	if (r == NULL) {
		CHECK(0);
		return;
	}
	snprintf(r->app, sizeof(r->app), "shop");
	r->version = 3;
	snprintf(r->commit, sizeof(r->commit), "%040d", 0);
	snprintf(r->procs, sizeof(r->procs), "web: bin/web --x=%%{y} #z\n"
	    "Bad_Type: run: [a] {b} *c &d !e\n");
	snprintf(r->health, sizeof(r->health), "/up?x=1");
	r->port = 5000;
	r->uid = 10001;
	r->ntypes = 2;
	snprintf(r->types[0], sizeof(r->types[0]), "web");
	snprintf(r->types[1], sizeof(r->types[1]), "Bad_Type");
	r->scale[0] = 2;
	r->ndomains = 1;
	snprintf(r->domains[0], sizeof(r->domains[0]), "shop.example.com");
	r->nvars = 1;
	snprintf(r->vars[0], sizeof(r->vars[0]), "DATABASE_URL");
	f = open_memstream(&buf, &len);
	rc = export_k8s(r, "registry.example.com/shop:v3", f, err, sizeof(err));
	fclose(f);
	CHECK(rc == 0);
	free(yaml_value(buf, &docs));
	CHECK(docs == 4); /* two Deployments, a Service, an Ingress */
	CHECK(strstr(buf, "name: \"shop-bad-type\"") != NULL);
	CHECK(strstr(buf, "[\"run:\", \"[a]\", \"{b}\", \"*c\", \"&d\", \"!e\"]")
	    != NULL);
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	rc = export_nomad(r, "registry.example.com/shop:v3", f, err, sizeof(err));
	fclose(f);
	CHECK(rc == 0 && strstr(buf, "\"--x=%%{y}\"") != NULL);
	CHECK(strstr(buf, "count = 2") != NULL);
	free(buf);
	free(r);
}

int
main(void)
{
	test_quote();
	test_names();
	test_layer();
	test_manifests();
	return unit_done();
}
