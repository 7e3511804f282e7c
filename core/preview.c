/*
 * preview.c - the names and hosts of preview deploys (see preview.h for
 * the rules and why they cannot collide).
 */
#include "core/preview.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/names.h"
#include "core/path.h"
#include "core/store_preview.h"

/* B lower-cased, runs of other characters one '-', trimmed; returns its
 * length (at most outlen - 1: the rest is cut). */
static size_t
label_clean(const char *branch, char *out, size_t outlen)
{
	size_t n = 0;

	for (const char *p = branch; *p != '\0' && n + 1 < outlen; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '-';
		if (c == '-' && (n == 0 || out[n - 1] == '-'))
			continue;
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
	return n;
}

static int
branch_hash(const char *branch, char *hex, size_t hexlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (hexlen < PREVIEW_HASH_LEN + 1 ||
	    EVP_Digest(branch, strlen(branch), md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen * 2 < PREVIEW_HASH_LEN)
		return -1;
	for (int i = 0; i < PREVIEW_HASH_LEN; i++)
		hex[i] = "0123456789abcdef"[(md[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	hex[PREVIEW_HASH_LEN] = '\0';
	return 0;
}

int
preview_name(const char *app, const char *branch, char *out, size_t outlen,
    char *why, size_t wlen)
{
	char label[PREVIEW_BRANCH_MAX], hex[PREVIEW_HASH_LEN + 1];
	size_t room, n;

	if (strlen(app) + 2 + PREVIEW_LABEL_MIN > APP_NAME_MAX) {
		snprintf(why, wlen, "app name '%s' is too long for previews (at"
		    " most %d characters leave room for the branch in one DNS"
		    " label)", app, APP_NAME_MAX - 2 - PREVIEW_LABEL_MIN);
		return -1;
	}
	room = APP_NAME_MAX - 2 - strlen(app);
	n = label_clean(branch, label, sizeof(label));
	if (n > room || strcmp(label, branch) != 0) {
		if (branch_hash(branch, hex, sizeof(hex)) == -1) {
			snprintf(why, wlen, "cannot hash the branch name");
			return -1;
		}
		n = n < room - PREVIEW_HASH_LEN - 1 ? n :
		    room - PREVIEW_HASH_LEN - 1;
		while (n > 0 && label[n - 1] == '-')
			n--;
		snprintf(label + n, sizeof(label) - n, "%s%s", n ? "-" : "", hex);
	}
	if (pathf(out, outlen, "%s--%s", app, label) == -1 ||
	    name_app_valid(out, why, wlen) == -1) {
		snprintf(why, wlen, "no preview name fits for branch '%.80s'",
		    branch);
		return -1;
	}
	return 0;
}

int
preview_domain(const struct conf *c, char *out, size_t outlen)
{
	if (c->preview_domain[0] != '\0')
		return pathf(out, outlen, "%s", c->preview_domain);
	return pathf(out, outlen, "preview.%s", c->base_domain);
}

int
preview_app_host(const struct conf *c, const char *name, int is_preview,
    char *out, size_t outlen)
{
	char dom[CONF_NAME_MAX + 16];

	if (!is_preview)
		return pathf(out, outlen, "%s.%s", name, c->base_domain);
	if (preview_domain(c, dom, sizeof(dom)) == -1)
		return -1;
	return pathf(out, outlen, "%s.%s", name, dom);
}

int
preview_branch_ok(const char *branch)
{
	size_t n = strlen(branch);

	if (n == 0 || n >= PREVIEW_BRANCH_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)branch[i] < 0x20 || branch[i] == 0x7f)
			return 0;
	return 1;
}

int
preview_pattern_valid(const char *pattern, char *why, size_t wlen)
{
	size_t n = strlen(pattern);

	if (n == 0 || n >= PREVIEW_PATTERN_MAX) {
		snprintf(why, wlen, "a pattern is 1-%d characters",
		    PREVIEW_PATTERN_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)pattern[i] <= 0x20 || pattern[i] == 0x7f) {
			snprintf(why, wlen, "a pattern has no spaces or control"
			    " characters");
			return -1;
		}
	return 0;
}
