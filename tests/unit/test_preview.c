/*
 * test_preview.c - the names of preview deploys (core/preview.c): a
 * branch that already is a DNS label keeps its name; one that is not
 * (case, '/', '_', runs of '-', 80 characters) gets a cut, cleaned label
 * with a hash of the branch, so two branches that clean alike differ; the
 * name is always a valid app name of at most 63 characters holding "--"
 * once after the app; an app name too long for previews is refused; the
 * host is under [previews] domain, or preview.BASE_DOMAIN.
 */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "core/names.h"
#include "core/preview.h"
#include "tests/unit/unit.h"

static void
name_is(const char *app, const char *branch, const char *want)
{
	char out[APP_NAME_MAX + 1], why[256];

	CHECK(preview_name(app, branch, out, sizeof(out), why,
	    sizeof(why)) == 0);
	CHECK(strcmp(out, want) == 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "  '%s' '%s': got '%s', want '%s'\n", app, branch,
		    out, want);
}

/* A valid app name of at most 63, APP then "--" then a label without
 * "--" that does not start or end with '-'. */
static void
name_sound(const char *app, const char *branch)
{
	char out[APP_NAME_MAX + 1], why[256];
	const char *label;

	CHECK(preview_name(app, branch, out, sizeof(out), why,
	    sizeof(why)) == 0);
	CHECK(name_app_valid(out, why, sizeof(why)) == 0);
	CHECK(strncmp(out, app, strlen(app)) == 0);
	label = out + strlen(app);
	CHECK(strncmp(label, "--", 2) == 0);
	label += 2;
	CHECK(*label != '\0' && *label != '-' && strstr(label, "--") == NULL);
	CHECK(label[strlen(label) - 1] != '-');
}

static void
test_names(void)
{
	char a[APP_NAME_MAX + 1], b[APP_NAME_MAX + 1], why[256];
	char long80[81];

	name_is("shop", "feature-a", "shop--feature-a");
	name_is("shop", "fix2", "shop--fix2");
	/* changed by cleaning: a hash of the branch as it was */
	CHECK(preview_name("shop", "feature/Auth_Fix", a, sizeof(a), why,
	    sizeof(why)) == 0);
	CHECK(strncmp(a, "shop--feature-auth-fix-", 23) == 0 && strlen(a) == 29);
	CHECK(preview_name("shop", "feature/auth-fix", b, sizeof(b), why,
	    sizeof(why)) == 0);
	CHECK(strcmp(a, b) != 0);
	/* the attacker's: a branch that cleans to another's label */
	CHECK(preview_name("shop", "Feature-A", a, sizeof(a), why,
	    sizeof(why)) == 0);
	CHECK(strcmp(a, "shop--feature-a") != 0);
	memset(long80, 'x', 80);
	long80[80] = '\0';
	CHECK(preview_name("shop", long80, a, sizeof(a), why, sizeof(why)) == 0);
	CHECK(strlen(a) == APP_NAME_MAX);
	long80[79] = 'y';
	CHECK(preview_name("shop", long80, b, sizeof(b), why, sizeof(why)) == 0);
	CHECK(strcmp(a, b) != 0);
	for (const char *const *br = (const char *const[]){ "a", "-x-", "___",
	    "a--b", "x/-/y", "UPPER", "dots.in.it", "feature/Auth_Fix",
	    "0starts-with-digit", long80, "--", "é", NULL }; *br; br++)
		name_sound("shop", *br);
	/* "a--b" is no label: it would read as app "shop--a", branch "b" */
	CHECK(preview_name("shop", "a--b", a, sizeof(a), why, sizeof(why)) == 0);
	CHECK(strncmp(a, "shop--a-b-", 10) == 0);
	/* room: APP--LABEL in one DNS label */
	memset(a, 'a', 53);
	a[53] = '\0';
	name_sound(a, long80);
	a[53] = 'a';
	a[54] = '\0';
	CHECK(preview_name(a, "x", b, sizeof(b), why, sizeof(why)) == -1);
	CHECK(strstr(why, "too long for previews") != NULL);
}

static void
test_hosts(void)
{
	struct conf c;
	char h[256], why[64];

	conf_defaults(&c);
	CHECK(preview_app_host(&c, "shop--a", 1, h, sizeof(h)) == 0 &&
	    strcmp(h, "shop--a.preview.localhost") == 0);
	CHECK(preview_app_host(&c, "shop", 0, h, sizeof(h)) == 0 &&
	    strcmp(h, "shop.localhost") == 0);
	snprintf(c.preview_domain, sizeof(c.preview_domain), "pr.example.com");
	CHECK(preview_app_host(&c, "shop--a", 1, h, sizeof(h)) == 0 &&
	    strcmp(h, "shop--a.pr.example.com") == 0);
	CHECK(preview_pattern_valid("feature/*", why, sizeof(why)) == 0);
	CHECK(preview_pattern_valid("a b", why, sizeof(why)) == -1);
	CHECK(preview_pattern_valid("", why, sizeof(why)) == -1);
	CHECK(preview_branch_ok("feature/x") && !preview_branch_ok("a\nb"));
}

int
main(void)
{
	test_names();
	test_hosts();
	return unit_done();
}
