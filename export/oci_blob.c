/*
 * oci_blob.c - content-addressed blobs of an OCI image layout (see
 * export/oci.h): each is written to a temp file beside its final place
 * while OpenSSL's sha256 runs over it, then renamed to
 * blobs/sha256/HEX.  A blob already there (the same digest from an
 * earlier export) is simply replaced by identical bytes.
 */
#include "export/oci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/path.h"

#define OCI_LAYOUT_FILE "{\"imageLayoutVersion\":\"1.0.0\"}"

int
oci_digest_valid(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s + 7) != 64)
		return 0;
	for (s += 7; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

void *
oci_sha_new(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		md = NULL;
	}
	return md;
}

int
oci_sha_update(void *md, const void *p, size_t n)
{
	return EVP_DigestUpdate(md, p, n) == 1 ? 0 : -1;
}

int
oci_sha_final(void *md, char *out, size_t len)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = EVP_DigestFinal_ex(md, h, &n);

	EVP_MD_CTX_free(md);
	if (rc != 1 || n != 32 || len < OCI_DIGEST_MAX)
		return -1;
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", h[i]);
	return 0;
}

void
oci_sha_free(void *md)
{
	EVP_MD_CTX_free(md);
}

int
oci_layout_init(const char *layout, char *err, size_t errlen)
{
	char p[4096];
	FILE *f;
	static const char *const dirs[] = { "", "/blobs", "/blobs/sha256" };

	if (pathf(p, sizeof(p), "%s/blobs/sha256", layout) == -1 ||
	    mkdirs(p, 0755) == -1) {
		snprintf(err, errlen, "cannot create '%s': %s", p,
		    strerror(errno));
		return -1;
	}
	/* readable by all, whatever berth's umask: the layout is for other
	 * tools (skopeo, a registry push) run by other users */
	for (size_t i = 0; i < 3; i++)
		if (pathf(p, sizeof(p), "%s%s", layout, dirs[i]) == -1 ||
		    chmod(p, 0755) == -1) {
			snprintf(err, errlen, "cannot chmod '%s': %s", p,
			    strerror(errno));
			return -1;
		}
	if (pathf(p, sizeof(p), "%s/oci-layout", layout) == -1 ||
	    (f = fopen(p, "w")) == NULL) {
		snprintf(err, errlen, "cannot write '%s': %s", p,
		    strerror(errno));
		return -1;
	}
	if (fchmod(fileno(f), 0644) == -1 || fputs(OCI_LAYOUT_FILE, f) == EOF) {
		snprintf(err, errlen, "cannot write '%s': %s", p,
		    strerror(errno));
		fclose(f);
		return -1;
	}
	if (fclose(f) == EOF) {
		snprintf(err, errlen, "cannot write '%s': %s", p,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
oci_blob_open(struct oci_blob *b, const char *layout, char *err,
    size_t errlen)
{
	int fd;

	memset(b, 0, sizeof(*b));
	if (pathf(b->dir, sizeof(b->dir), "%s/blobs/sha256", layout) == -1 ||
	    pathf(b->tmp, sizeof(b->tmp), "%s/.tmp-XXXXXX", b->dir) == -1) {
		snprintf(err, errlen, "layout path too long: '%s'", layout);
		return -1;
	}
	if ((fd = mkstemp(b->tmp)) == -1) {
		snprintf(err, errlen, "cannot create a blob in '%s': %s",
		    b->dir, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0644) == -1 || (b->f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "cannot open '%s': %s", b->tmp,
		    strerror(errno));
		close(fd);
		unlink(b->tmp);
		return -1;
	}
	if ((b->md = oci_sha_new()) == NULL) {
		snprintf(err, errlen, "sha256: cannot initialise");
		oci_blob_abort(b);
		return -1;
	}
	return 0;
}

int
oci_blob_write(struct oci_blob *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (fwrite(p, 1, n, b->f) != n || oci_sha_update(b->md, p, n) == -1)
		return -1;
	b->size += n;
	return 0;
}

int
oci_blob_close(struct oci_blob *b, struct oci_desc *d, char *err,
    size_t errlen)
{
	char final[4200];
	void *md = b->md;

	b->md = NULL;
	if (oci_sha_final(md, d->digest, sizeof(d->digest)) == -1) {
		snprintf(err, errlen, "sha256: cannot finish");
		oci_blob_abort(b);
		return -1;
	}
	d->size = b->size;
	if (fflush(b->f) == EOF || fsync(fileno(b->f)) == -1) {
		snprintf(err, errlen, "cannot write '%s': %s", b->tmp,
		    strerror(errno));
		oci_blob_abort(b);
		return -1;
	}
	if (fclose(b->f) == EOF) {
		b->f = NULL;
		snprintf(err, errlen, "cannot write '%s': %s", b->tmp,
		    strerror(errno));
		oci_blob_abort(b);
		return -1;
	}
	b->f = NULL;
	if (pathf(final, sizeof(final), "%s/%s", b->dir, d->digest + 7) == -1 ||
	    rename(b->tmp, final) == -1) {
		snprintf(err, errlen, "cannot rename '%s': %s", b->tmp,
		    strerror(errno));
		unlink(b->tmp);
		b->tmp[0] = '\0';
		return -1;
	}
	b->tmp[0] = '\0';
	return 0;
}

void
oci_blob_abort(struct oci_blob *b)
{
	if (b->f != NULL)
		fclose(b->f);
	b->f = NULL;
	if (b->md != NULL)
		oci_sha_free(b->md);
	b->md = NULL;
	if (b->tmp[0] != '\0')
		unlink(b->tmp);
	b->tmp[0] = '\0';
}

int
oci_blob_json(const char *layout, const json_t *j, const char *media,
    struct oci_desc *d, char *err, size_t errlen)
{
	struct oci_blob b;
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	memset(d, 0, sizeof(*d));
	if (text == NULL) {
		snprintf(err, errlen, "cannot encode %s", media);
		return -1;
	}
	snprintf(d->media, sizeof(d->media), "%s", media);
	if (oci_blob_open(&b, layout, err, errlen) == -1) {
		free(text);
		return -1;
	}
	if (oci_blob_write(&b, text, strlen(text)) == -1) {
		snprintf(err, errlen, "cannot write '%s': %s", b.tmp,
		    strerror(errno));
		free(text);
		oci_blob_abort(&b);
		return -1;
	}
	free(text);
	return oci_blob_close(&b, d, err, errlen);
}

json_t *
oci_desc_json(const struct oci_desc *d)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", d->media, "digest",
	    d->digest, "size", (json_int_t)d->size);
}
