/*
 * webhook.c - a webhook delivery's signature and meaning (see
 * webhook.h).  The signature is checked over the raw body with OpenSSL's
 * HMAC and CRYPTO_memcmp; only a verified body reaches jansson.
 */
#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "core/webhook.h"

#define SHA256_LEN 32

const char *
webhook_host_name(enum webhook_host h)
{
	switch (h) {
	case WEBHOOK_GITHUB: return "github";
	case WEBHOOK_GITLAB: return "gitlab";
	case WEBHOOK_GITEA: return "gitea";
	default: return "";
	}
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
webhook_hmac_ok(const char *secret, const void *body, size_t len,
    const char *hex)
{
	unsigned char mac[EVP_MAX_MD_SIZE], want[SHA256_LEN];
	unsigned int maclen = 0;

	if (strlen(hex) != 2 * SHA256_LEN)
		return 0;
	for (size_t i = 0; i < SHA256_LEN; i++) {
		int hi = unhex((unsigned char)hex[2 * i]);
		int lo = unhex((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		want[i] = (unsigned char)(hi << 4 | lo);
	}
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, mac,
	    &maclen) == NULL || maclen != SHA256_LEN)
		return 0;
	return CRYPTO_memcmp(mac, want, SHA256_LEN) == 0;
}

int
webhook_token_ok(const char *secret, const char *token)
{
	unsigned char a[SHA256_LEN], b[SHA256_LEN];

	if (EVP_Digest(secret, strlen(secret), a, NULL, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(token, strlen(token), b, NULL, EVP_sha256(), NULL) != 1)
		return 0;
	return CRYPTO_memcmp(a, b, SHA256_LEN) == 0;
}

/* A header's value, cut to fit and cleaned to printable ASCII and
 * spaces (it reaches the audit log and the deploy log; GitLab's events
 * are "Push Hook", "Tag Push Hook" ...). */
static void
copy_clean(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src != NULL && src[i] != '\0' && i + 1 < len; i++)
		dst[i] = src[i] >= 0x20 && src[i] <= 0x7e ? src[i] : '?';
	dst[i] = '\0';
}

/* Which host signed, by the header it signs with; its signature (without
 * GitHub's "sha256=") in *sig. */
static enum webhook_host
find_host(webhook_header_fn hdr, void *ctx, const char **sig)
{
	const char *v;

	if ((v = hdr(ctx, "X-Hub-Signature-256")) != NULL) {
		*sig = strncmp(v, "sha256=", 7) == 0 ? v + 7 : "";
		return WEBHOOK_GITHUB;
	}
	if ((*sig = hdr(ctx, "X-Gitlab-Token")) != NULL)
		return WEBHOOK_GITLAB;
	if ((*sig = hdr(ctx, "X-Forgejo-Signature")) != NULL ||
	    (*sig = hdr(ctx, "X-Gitea-Signature")) != NULL)
		return WEBHOOK_GITEA;
	return WEBHOOK_NONE;
}

/* The event and delivery id each host names. */
static void
describe(webhook_header_fn hdr, void *ctx, struct webhook_delivery *d)
{
	static const char *const names[][3] = {
		[WEBHOOK_GITHUB] = { "X-GitHub-Event", "X-GitHub-Delivery", NULL },
		[WEBHOOK_GITLAB] = { "X-Gitlab-Event", "X-Gitlab-Event-UUID", NULL },
		[WEBHOOK_GITEA] = { "X-Gitea-Event", "X-Gitea-Delivery", NULL },
	};
	const char *ev = hdr(ctx, names[d->host][0]);
	const char *id = hdr(ctx, names[d->host][1]);

	if (d->host == WEBHOOK_GITEA && ev == NULL)
		ev = hdr(ctx, "X-Forgejo-Event");
	if (d->host == WEBHOOK_GITEA && id == NULL)
		id = hdr(ctx, "X-Forgejo-Delivery");
	copy_clean(d->event, sizeof(d->event), ev);
	copy_clean(d->id, sizeof(d->id), id);
}

int
webhook_verify(webhook_header_fn hdr, void *ctx, const char *secret,
    const void *body, size_t len, struct webhook_delivery *d, char *why,
    size_t whylen)
{
	const char *sig = NULL;
	int ok;

	memset(d, 0, sizeof(*d));
	if ((d->host = find_host(hdr, ctx, &sig)) == WEBHOOK_NONE) {
		snprintf(why, whylen, "no signature header (X-Hub-Signature-256,"
		    " X-Gitlab-Token, X-Gitea-Signature, X-Forgejo-Signature)");
		return -1;
	}
	if (secret == NULL || secret[0] == '\0') {
		snprintf(why, whylen, "the app has no webhook secret"
		    " (webhooks:secret APP)");
		return -1;
	}
	ok = d->host == WEBHOOK_GITLAB ? webhook_token_ok(secret, sig) :
	    webhook_hmac_ok(secret, body, len, sig);
	if (!ok) {
		snprintf(why, whylen, "bad %s signature",
		    webhook_host_name(d->host));
		return -1;
	}
	describe(hdr, ctx, d);
	return 0;
}

/* 1 for the host's push event, 0 for another; ping is GitHub's alone. */
static int
is_push(const struct webhook_delivery *d)
{
	return strcmp(d->event, d->host == WEBHOOK_GITLAB ? "Push Hook" :
	    "push") == 0;
}

static int
is_hex_oid(const char *s)
{
	size_t i = 0;

	for (; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return i == 40;
}

enum webhook_action
webhook_decide(const struct webhook_delivery *d, const void *body, size_t len,
    const char *branch, char *commit, char *why, size_t whylen)
{
	const char *ref = NULL, *after = NULL;
	enum webhook_action a = WEBHOOK_BAD;
	char want[300];
	json_t *j;

	commit[0] = '\0';
	if (d->host == WEBHOOK_GITHUB && strcmp(d->event, "ping") == 0) {
		snprintf(why, whylen, "pong");
		return WEBHOOK_PING;
	}
	if (!is_push(d)) {
		snprintf(why, whylen, "event '%s' ignored: only pushes deploy",
		    d->event);
		return WEBHOOK_IGNORE;
	}
	if ((j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    json_unpack(j, "{s:s, s:s}", "ref", &ref, "after", &after) != 0) {
		snprintf(why, whylen, "a push event without 'ref' and 'after'");
		json_decref(j);
		return WEBHOOK_BAD;
	}
	snprintf(want, sizeof(want), "refs/heads/%s", branch);
	if (strcmp(ref, want) != 0) {
		snprintf(why, whylen, "push to %.100s ignored: the app deploys %s",
		    ref, branch);
		a = WEBHOOK_IGNORE;
	} else if (strspn(after, "0") == strlen(after) && after[0] != '\0') {
		snprintf(why, whylen, "deletion of %s ignored", branch);
		a = WEBHOOK_IGNORE;
	} else if (!is_hex_oid(after)) {
		snprintf(why, whylen, "'after' is not a commit id");
	} else {
		memcpy(commit, after, 41);
		snprintf(why, whylen, "push to %s at %.7s: deploying", branch,
		    after);
		a = WEBHOOK_DEPLOY;
	}
	json_decref(j);
	return a;
}
