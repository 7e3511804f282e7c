/*
 * secret.h - config vars sealed at rest with AES-256-GCM (OpenSSL EVP).
 * The key is 32 random bytes in DATA/secret.key (0600), made on first use.
 * A sealed value is nonce(12) || ciphertext || tag(16); the app (by its
 * id, which survives a rename) and the var name are bound in as associated
 * data, so a value copied to another row does not open.
 */
#ifndef BERTH_SECRET_H
#define BERTH_SECRET_H

#include <stddef.h>

#include "conf/conf.h"

#define SECRET_KEY_LEN 32
#define SECRET_OVERHEAD (12 + 16)

struct secret {
	unsigned char key[SECRET_KEY_LEN];
};

/* Load (or create) the data dir's key. 0 or -1 with err. */
int secret_load(const struct conf *c, struct secret *s, char *err, size_t errlen);

/* out must hold len + SECRET_OVERHEAD bytes.  0 or -1. */
int secret_seal(const struct secret *s, const char *app, const char *name,
    const void *in, size_t len, unsigned char *out);

/* out must hold len - SECRET_OVERHEAD + 1 bytes (NUL-terminated).
 * 0 or -1 (tampered, wrong key). */
int secret_open(const struct secret *s, const char *app, const char *name,
    const unsigned char *in, size_t len, char *out, size_t *outlen);

#endif
