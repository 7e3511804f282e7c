/*
 * test_webhook.c - core/webhook.c and core/source.c: each host's
 * signature (GitHub's documented test vector; a flipped byte, a cut or
 * missing header, a wrong secret, a token of another length), the
 * delivery's meaning (ping, a push to the branch, another branch, a
 * deletion, another event, a body that lies), and the URL and branch
 * checks with hostile input.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/source.h"
#include "core/webhook.h"
#include "tests/unit/unit.h"

#define OID "0123456789abcdef0123456789abcdef01234567"

struct hdrs {
	const char *name[8], *value[8];
};

static const char *
get(void *ctx, const char *name)
{
	struct hdrs *h = ctx;

	for (int i = 0; i < 8 && h->name[i]; i++)
		if (strcasecmp(h->name[i], name) == 0)
			return h->value[i];
	return NULL;
}

static void
hmac_hex(const char *secret, const char *body, char *out)
{
	unsigned char mac[32];
	unsigned int n = 0;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const void *)body,
	    strlen(body), mac, &n);
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
}

static void
test_github_vector(void)
{
	/* docs.github.com, "Validating webhook deliveries" */
	const char *sig = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f43"
	    "79c8b043e17";
	char bad[65];

	CHECK(webhook_hmac_ok("It's a Secret to Everybody", "Hello, World!", 13,
	    sig));
	CHECK(!webhook_hmac_ok("It's a Secret to Everybody", "Hello, World?", 13,
	    sig));
	CHECK(!webhook_hmac_ok("It's a secret to everybody", "Hello, World!", 13,
	    sig));
	snprintf(bad, sizeof(bad), "%s", sig);
	bad[10] = bad[10] == '0' ? '1' : '0';
	CHECK(!webhook_hmac_ok("It's a Secret to Everybody", "Hello, World!", 13,
	    bad));
	bad[63] = '\0';
	CHECK(!webhook_hmac_ok("It's a Secret to Everybody", "Hello, World!", 13,
	    bad));
	CHECK(!webhook_hmac_ok("s", "b", 1, ""));
	CHECK(!webhook_hmac_ok("s", "b", 1, "zz57107ea0eb2509fc211221cce984b8a375"
	    "70b6d7586c22c46f4379c8b043e17"));
}

static void
test_verify(void)
{
	const char *body = "{\"ref\":\"refs/heads/main\",\"after\":\"" OID "\"}";
	char mac[65], ghsig[80], why[200];
	struct webhook_delivery d;
	struct hdrs gh = { { "X-Hub-Signature-256", "X-GitHub-Event",
	    "X-GitHub-Delivery" }, { ghsig, "push", "d-1\x01\xff" } };
	struct hdrs gl = { { "X-Gitlab-Token", "X-Gitlab-Event",
	    "X-Gitlab-Event-UUID" }, { "sekret", "Push Hook", "u-2" } };
	struct hdrs fj = { { "X-Forgejo-Signature", "X-Forgejo-Event",
	    "X-Forgejo-Delivery" }, { mac, "push", "f-3" } };
	struct hdrs none = { { "X-GitHub-Event" }, { "push" } };

	hmac_hex("sekret", body, mac);
	snprintf(ghsig, sizeof(ghsig), "sha256=%s", mac);
	CHECK(webhook_verify(get, &gh, "sekret", body, strlen(body), &d, why,
	    sizeof(why)) == 0 && d.host == WEBHOOK_GITHUB &&
	    strcmp(d.event, "push") == 0 && strcmp(d.id, "d-1??") == 0);
	CHECK(webhook_verify(get, &gh, "other", body, strlen(body), &d, why,
	    sizeof(why)) == -1 && strstr(why, "bad github") != NULL);
	CHECK(webhook_verify(get, &gh, "sekret", body, strlen(body) - 1, &d, why,
	    sizeof(why)) == -1);
	gh.value[0] = mac; /* without "sha256=" */
	CHECK(webhook_verify(get, &gh, "sekret", body, strlen(body), &d, why,
	    sizeof(why)) == -1);
	CHECK(webhook_verify(get, &gl, "sekret", body, strlen(body), &d, why,
	    sizeof(why)) == 0 && d.host == WEBHOOK_GITLAB &&
	    strcmp(d.id, "u-2") == 0 && strcmp(d.event, "Push Hook") == 0);
	CHECK(webhook_verify(get, &gl, "sekret2", body, strlen(body), &d, why,
	    sizeof(why)) == -1);
	CHECK(webhook_verify(get, &gl, "sekre", body, strlen(body), &d, why,
	    sizeof(why)) == -1);
	CHECK(webhook_token_ok("a", "a") && !webhook_token_ok("a", "") &&
	    !webhook_token_ok("", "a"));
	CHECK(webhook_verify(get, &fj, "sekret", body, strlen(body), &d, why,
	    sizeof(why)) == 0 && d.host == WEBHOOK_GITEA &&
	    strcmp(d.id, "f-3") == 0);
	fj.name[0] = "X-Gitea-Signature";
	CHECK(webhook_verify(get, &fj, "sekret", body, strlen(body), &d, why,
	    sizeof(why)) == 0 && d.host == WEBHOOK_GITEA);
	CHECK(webhook_verify(get, &none, "sekret", body, strlen(body), &d, why,
	    sizeof(why)) == -1 && strstr(why, "no signature") != NULL);
	/* no secret set: nothing verifies, not even an empty signature */
	gl.value[0] = "";
	CHECK(webhook_verify(get, &gl, "", body, strlen(body), &d, why,
	    sizeof(why)) == -1);
}

static enum webhook_action
decide(enum webhook_host h, const char *event, const char *body,
    char *commit, char *why)
{
	struct webhook_delivery d = { .host = h };

	snprintf(d.event, sizeof(d.event), "%s", event);
	return webhook_decide(&d, body, strlen(body), "main", commit, why, 200);
}

static void
test_decide(void)
{
	char c[41], why[200];

	CHECK(decide(WEBHOOK_GITHUB, "ping", "{}", c, why) == WEBHOOK_PING);
	CHECK(decide(WEBHOOK_GITHUB, "push", "{\"ref\":\"refs/heads/main\","
	    "\"after\":\"" OID "\"}", c, why) == WEBHOOK_DEPLOY &&
	    strcmp(c, OID) == 0);
	CHECK(decide(WEBHOOK_GITLAB, "Push Hook", "{\"ref\":\"refs/heads/main\","
	    "\"after\":\"" OID "\"}", c, why) == WEBHOOK_DEPLOY);
	CHECK(decide(WEBHOOK_GITLAB, "push", "{\"ref\":\"refs/heads/main\","
	    "\"after\":\"" OID "\"}", c, why) == WEBHOOK_IGNORE);
	CHECK(decide(WEBHOOK_GITEA, "push", "{\"ref\":\"refs/heads/dev\","
	    "\"after\":\"" OID "\"}", c, why) == WEBHOOK_IGNORE &&
	    strstr(why, "refs/heads/dev") != NULL && c[0] == '\0');
	CHECK(decide(WEBHOOK_GITHUB, "push", "{\"ref\":\"refs/heads/main\","
	    "\"after\":\"0000000000000000000000000000000000000000\"}", c, why) ==
	    WEBHOOK_IGNORE && strstr(why, "deletion") != NULL);
	CHECK(decide(WEBHOOK_GITHUB, "issues", "not json", c, why) ==
	    WEBHOOK_IGNORE);
	CHECK(decide(WEBHOOK_GITHUB, "push", "not json", c, why) == WEBHOOK_BAD);
	CHECK(decide(WEBHOOK_GITHUB, "push", "{\"ref\":\"refs/heads/main\","
	    "\"after\":\"../../etc/passwd\"}", c, why) == WEBHOOK_BAD);
	CHECK(decide(WEBHOOK_GITHUB, "push", "{\"ref\":\"refs/heads/main\","
	    "\"after\":\"" OID "\",\"ref\":\"refs/heads/main\"}", c, why) ==
	    WEBHOOK_BAD); /* duplicate keys */
	CHECK(decide(WEBHOOK_GITHUB, "push", "{\"ref\":1,\"after\":2}", c, why) ==
	    WEBHOOK_BAD);
}

static void
test_urls(void)
{
	char why[200];

	CHECK(source_check_url("https://github.com/a/b.git", why, 200) ==
	    SOURCE_HTTPS);
	CHECK(source_check_url("https://127.0.0.1:8443/cgi-bin/git/a.git", why,
	    200) == SOURCE_HTTPS);
	CHECK(source_check_url("ssh://git@github.com/a/b.git", why, 200) ==
	    SOURCE_SSH);
	CHECK(source_check_url("ssh://git@127.0.0.1:2200/srv/a.git", why, 200) ==
	    SOURCE_SSH);
	CHECK(source_check_url("git@github.com:a/b.git", why, 200) == SOURCE_SSH);
	CHECK(source_check_url("http://github.com/a/b.git", why, 200) == -1);
	CHECK(source_check_url("https://user:token@github.com/a", why, 200) ==
	    -1);
	CHECK(source_check_url("file:///etc", why, 200) == -1);
	CHECK(source_check_url("/srv/repo.git", why, 200) == -1);
	CHECK(source_check_url("-oProxyCommand=x:y", why, 200) == -1);
	CHECK(source_check_url("git@-oProxy:y", why, 200) == -1);
	CHECK(source_check_url("ssh://-oProxyCommand=x/y", why, 200) == -1);
	CHECK(source_check_url("https://github.com/a b", why, 200) == -1);
	CHECK(source_check_url("https://github.com/a\nb", why, 200) == -1);
	CHECK(source_check_url("https://github.com/", why, 200) == -1);
	CHECK(source_check_url("https:///a", why, 200) == -1);
	CHECK(source_check_url("ext::sh -c x", why, 200) == -1);
	CHECK(source_check_url("", why, 200) == -1);
}

static void
test_branches(void)
{
	char why[200], longb[300];

	CHECK(source_check_branch("main", why, 200) == 0);
	CHECK(source_check_branch("release/1.2", why, 200) == 0);
	CHECK(source_check_branch("", why, 200) == -1);
	CHECK(source_check_branch("-f", why, 200) == -1);
	CHECK(source_check_branch("a..b", why, 200) == -1);
	CHECK(source_check_branch("a//b", why, 200) == -1);
	CHECK(source_check_branch("a/", why, 200) == -1);
	CHECK(source_check_branch("a.lock", why, 200) == -1);
	CHECK(source_check_branch("a/.b", why, 200) == -1);
	CHECK(source_check_branch("a b", why, 200) == -1);
	CHECK(source_check_branch("a\nb", why, 200) == -1);
	CHECK(source_check_branch("a~1", why, 200) == -1);
	memset(longb, 'a', sizeof(longb) - 1);
	longb[sizeof(longb) - 1] = '\0';
	CHECK(source_check_branch(longb, why, 200) == -1);
}

int
main(void)
{
	test_github_vector();
	test_verify();
	test_decide();
	test_urls();
	test_branches();
	return unit_done();
}
