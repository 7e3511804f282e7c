/*
 * fuzz_webhook.c - a webhook delivery as POST /hooks/APP gets it
 * (core/webhook.h), and the source URL and branch apps:source checks
 * (core/source.h).  The first byte picks the signing host and the event,
 * the first line is the signature (and a URL, and a branch), the rest is
 * the body: verified against a fixed secret, and decided upon as if it
 * had been verified, so the JSON path runs on every input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/source.h"
#include "core/webhook.h"

struct hdr {
	const char *name, *value, *event_name, *event;
};

static const char *
get(void *ctx, const char *name)
{
	const struct hdr *h = ctx;

	if (strcasecmp(name, h->name) == 0)
		return h->value;
	if (strcasecmp(name, h->event_name) == 0)
		return h->event;
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const names[][2] = {
		{ "X-Hub-Signature-256", "X-GitHub-Event" },
		{ "X-Gitlab-Token", "X-Gitlab-Event" },
		{ "X-Gitea-Signature", "X-Gitea-Event" },
		{ "X-Forgejo-Signature", "X-Forgejo-Event" },
	};
	static const char *const events[] = { "push", "ping", "Push Hook",
		"issues" };
	struct webhook_delivery d;
	char *copy, *nl, why[300], commit[41];
	const char *body;
	struct hdr h;
	size_t blen;

	if (len < 1 || (copy = malloc(len)) == NULL)
		return 0;
	memcpy(copy, data + 1, len - 1);
	copy[len - 1] = '\0';
	nl = memchr(copy, '\n', len - 1);
	body = nl ? nl + 1 : "";
	blen = nl ? (size_t)(copy + len - 1 - body) : 0;
	if (nl)
		*nl = '\0';
	h = (struct hdr){ names[data[0] & 3][0], copy, names[data[0] & 3][1],
	    events[(data[0] >> 2) & 3] };
	(void)webhook_verify(get, &h, "secret", body, blen, &d, why, sizeof(why));
	memset(&d, 0, sizeof(d));
	d.host = (enum webhook_host)(1 + (data[0] & 3) % 3);
	strcpy(d.event, h.event);
	(void)webhook_decide(&d, body, blen, "main", commit, why, sizeof(why));
	(void)source_check_url(copy, why, sizeof(why));
	(void)source_check_branch(copy, why, sizeof(why));
	free(copy);
	return 0;
}
