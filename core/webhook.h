/*
 * webhook.h - a Git host's webhook delivery judged, as pure functions
 * (README.md, "Webhooks"): which host sent it and whether its signature
 * holds (GitHub's X-Hub-Signature-256, GitLab's X-Gitlab-Token, Gitea's
 * and Forgejo's X-Gitea-Signature / X-Forgejo-Signature), compared in
 * constant time, before anything of the body is parsed; then what the
 * verified body asks for (a ping, a push to the app's branch, something
 * else) with jansson.  The HTTP route (web/) reads the headers and the
 * capped body, calls these, and does the work they decide.
 */
#ifndef BERTH_WEBHOOK_H
#define BERTH_WEBHOOK_H

#include <stddef.h>

/* A header's value by its name (case-insensitive), NULL when absent. */
typedef const char *(*webhook_header_fn)(void *ctx, const char *name);

enum webhook_host { WEBHOOK_NONE, WEBHOOK_GITHUB, WEBHOOK_GITLAB,
	WEBHOOK_GITEA };

#define WEBHOOK_ID_MAX 128
#define WEBHOOK_EVENT_MAX 64

struct webhook_delivery {
	enum webhook_host host;
	char event[WEBHOOK_EVENT_MAX]; /* "push", "ping", "Push Hook", ... */
	char id[WEBHOOK_ID_MAX];       /* the delivery id, "" when none */
};

/* "github", "gitlab", "gitea" ("" for WEBHOOK_NONE). */
const char *webhook_host_name(enum webhook_host h);

/*
 * Find the signing header and check it against secret over body: 0 when
 * it holds (d filled: host, event, delivery id, each cleaned to printable
 * ASCII), -1 with why ("no signature header", "bad signature").  Nothing
 * of body is read but its bytes through the HMAC.
 */
int webhook_verify(webhook_header_fn hdr, void *ctx, const char *secret,
    const void *body, size_t len, struct webhook_delivery *d, char *why,
    size_t whylen);

/* 1 when hex (64 hex digits, either case) is HMAC-SHA256(secret, body),
 * compared in constant time; else 0. */
int webhook_hmac_ok(const char *secret, const void *body, size_t len,
    const char *hex);
/* 1 when token equals secret, compared in constant time (over their
 * SHA-256, so not even the length leaks); else 0. */
int webhook_token_ok(const char *secret, const char *token);

enum webhook_action {
	WEBHOOK_PING,   /* answer 200 */
	WEBHOOK_DEPLOY, /* a push to the branch: fetch and deploy (202) */
	WEBHOOK_IGNORE, /* another event or branch, a deletion (202, why) */
	WEBHOOK_BAD     /* a body that is not the event's JSON (400, why) */
};

/*
 * What a verified delivery asks for, given the app's branch: for
 * WEBHOOK_DEPLOY, commit gets the pushed tip's hex id (41 bytes).  why
 * always gets a short reason for the answer ("push to refs/heads/dev,
 * not main").
 */
enum webhook_action webhook_decide(const struct webhook_delivery *d,
    const void *body, size_t len, const char *branch, char *commit,
    char *why, size_t whylen);

#endif
