/*
 * webhook_secret.c - an app's webhook secret, made with RAND_bytes and
 * sealed at rest (see webhook_secret.h).
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "core/secret.h"
#include "core/webhook_secret.h"

#define SECRET_NAME "webhook-secret"
#define SECRET_BYTES 32

static void
app_id(const struct app_rec *app, char *out, size_t len)
{
	snprintf(out, len, "app:%lld", (long long)app->id);
}

int
webhook_secret_make(const struct conf *c, struct store *st,
    const struct app_rec *app, char *hex, char *err, size_t errlen)
{
	unsigned char raw[SECRET_BYTES], sealed[WEBHOOK_SECRET_HEX +
	    SECRET_OVERHEAD];
	struct secret key;
	char id[32];

	if (secret_load(c, &key, err, errlen) == -1)
		return -1;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		snprintf(err, errlen, "no random bytes for the secret");
		return -1;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	app_id(app, id, sizeof(id));
	if (secret_seal(&key, id, SECRET_NAME, hex, 2 * SECRET_BYTES,
	    sealed) == -1) {
		snprintf(err, errlen, "cannot seal the secret");
		return -1;
	}
	if (store_webhook_secret_set(st, app->id, sealed,
	    2 * SECRET_BYTES + SECRET_OVERHEAD) == -1) {
		snprintf(err, errlen, "%s", store_error(st));
		return -1;
	}
	return 0;
}

int
webhook_secret_load(const struct conf *c, struct store *st,
    const struct app_rec *app, char *hex, char *err, size_t errlen)
{
	unsigned char sealed[STORE_SECRET_MAX];
	struct secret key;
	size_t len, plen;
	char id[32];
	int rc;

	if ((rc = store_webhook_secret_get(st, app->id, sealed, sizeof(sealed),
	    &len)) != 0) {
		if (rc == -1)
			snprintf(err, errlen, "%s", store_error(st));
		return rc;
	}
	if (len != 2 * SECRET_BYTES + SECRET_OVERHEAD) {
		snprintf(err, errlen, "the stored webhook secret is damaged");
		return -1;
	}
	if (secret_load(c, &key, err, errlen) == -1)
		return -1;
	app_id(app, id, sizeof(id));
	if (secret_open(&key, id, SECRET_NAME, sealed, len, hex, &plen) == -1 ||
	    plen != 2 * SECRET_BYTES) {
		snprintf(err, errlen, "the webhook secret does not open with this"
		    " data dir's key");
		return -1;
	}
	return 0;
}
