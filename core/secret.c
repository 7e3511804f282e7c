/*
 * secret.c - sealing and opening config values; see secret.h.
 */
#include "core/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/path.h"

#define NONCE_LEN 12
#define TAG_LEN 16

static int
read_key(const char *path, struct secret *s)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	n = read(fd, s->key, sizeof(s->key));
	close(fd);
	if (n != (ssize_t)sizeof(s->key)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
secret_load(const struct conf *c, struct secret *s, char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd;

	if (pathf(path, sizeof(path), "%s/secret.key", c->data_dir) == -1 ||
	    pathf(tmp, sizeof(tmp), "%s/secret.key.%ld", c->data_dir,
	    (long)getpid()) == -1) {
		snprintf(err, errlen, "data dir path too long");
		return -1;
	}
	if (read_key(path, s) == 0)
		return 0;
	if (errno != ENOENT) {
		snprintf(err, errlen, "cannot read '%s': %s", path,
		    errno == EINVAL ? "not a 32-byte key" : strerror(errno));
		return -1;
	}
	if (RAND_bytes(s->key, sizeof(s->key)) != 1) {
		snprintf(err, errlen, "no randomness for a new key");
		return -1;
	}
	/* write beside, then link into place: a racing creator keeps its key */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1 ||
	    write(fd, s->key, sizeof(s->key)) != (ssize_t)sizeof(s->key) ||
	    fsync(fd) == -1 || close(fd) == -1) {
		snprintf(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	if (link(tmp, path) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create '%s': %s", path,
		    strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	(void)unlink(tmp);
	if (read_key(path, s) == -1) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
add_aad(EVP_CIPHER_CTX *ctx, const char *app, const char *name)
{
	int n;

	return EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)app,
	    (int)strlen(app) + 1) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)name,
	    (int)strlen(name)) == 1 ? 0 : -1;
}

int
secret_seal(const struct secret *s, const char *app, const char *name,
    const void *in, size_t len, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx;
	int n, fin, rc = -1;

	if (RAND_bytes(out, NONCE_LEN) != 1 || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, s->key, out) == 1 &&
	    add_aad(ctx, app, name) == 0 &&
	    EVP_EncryptUpdate(ctx, out + NONCE_LEN, &n, in, (int)len) == 1 &&
	    EVP_EncryptFinal_ex(ctx, out + NONCE_LEN + n, &fin) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    out + NONCE_LEN + len) == 1)
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int
secret_open(const struct secret *s, const char *app, const char *name,
    const unsigned char *in, size_t len, char *out, size_t *outlen)
{
	EVP_CIPHER_CTX *ctx;
	size_t ctlen;
	int n, fin, rc = -1;

	if (len < SECRET_OVERHEAD || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	ctlen = len - SECRET_OVERHEAD;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, s->key, in) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)app,
	    (int)strlen(app) + 1) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)name,
	    (int)strlen(name)) == 1 &&
	    EVP_DecryptUpdate(ctx, (unsigned char *)out, &n, in + NONCE_LEN,
	    (int)ctlen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    (void *)(in + NONCE_LEN + ctlen)) == 1 &&
	    EVP_DecryptFinal_ex(ctx, (unsigned char *)out + n, &fin) == 1) {
		out[ctlen] = '\0';
		*outlen = ctlen;
		rc = 0;
	}
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}
