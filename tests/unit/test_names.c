/*
 * test_names.c - every check a user-supplied name passes before it becomes
 * a path, a row, a config line or an argv: app names, key names, the repo
 * argument of git's commands, domains, config var names, process types
 * (core/names.c, core/vars.c, run/procfile.c), and the ref names
 * berth leaves to libgit2 (gitd_receive.c's check_one).  Each with valid
 * inputs and an attacker's.
 */
#include <git2.h>
#include <stdio.h>
#include <string.h>

#include "core/names.h"
#include "core/vars.h"
#include "run/procfile.h"
#include "tests/unit/unit.h"

#define LONG64 "a123456789012345678901234567890123456789012345678901234567890123"
#define LONG63 "a12345678901234567890123456789012345678901234567890123456789012"

/* fn on each of names must answer want (0 accept, -1 refuse, with a why). */
static void
each(int (*fn)(const char *, char *, size_t), const char *const *names,
    int want)
{
	char why[128];

	for (; *names; names++) {
		int rc;
		why[0] = '\0';
		rc = fn(*names, why, sizeof(why));
		CHECK(rc == want && (want == 0 || why[0] != '\0'));
		if (rc != want)
			fprintf(stderr, "  '%s': got %d, want %d\n", *names, rc,
			    want);
	}
}

static void
test_app_names(void)
{
	static const char *const ok[] = { "a", "web", "my-app", "a1", "x-2-y",
		LONG63, NULL };
	static const char *const bad[] = { "", "-web", "web-", "1web", "Web",
		"web_app", "web.app", "../etc", "a/b", "web app", "web\n",
		"..", ".", "web;rm", "wéb", LONG64, "web\x01", NULL };

	CHECK(strlen(LONG63) == APP_NAME_MAX);
	each(name_app_valid, ok, 0);
	each(name_app_valid, bad, -1);
}

static void
test_key_names(void)
{
	static const char *const ok[] = { "ann", "Ann.B", "ci@host", "1key",
		"a_b-c", NULL };
	static const char *const bad[] = { "", ".hidden", "-x", "@x", "a b",
		"a/b", "../x", "a\nb", "a'b", "a;b", LONG64 "x", NULL };

	each(name_key_valid, ok, 0);
	each(name_key_valid, bad, -1);
}

static void
test_repo_arg(void)
{
	static const char *const ok[] = { "web", "web.git", "/web", "/web.git",
		"~/web", NULL };
	static const char *const bad[] = { "", "../web", "/../web", "web/x",
		"~root/web", "/srv/web", "WEB", "web.git.git", ".git", "~/",
		"'/web", NULL };
	char app[APP_NAME_MAX + 1], why[128];

	for (const char *const *a = ok; *a; a++) {
		int rc = name_repo_arg(*a, app, sizeof(app), why, sizeof(why));
		CHECK(rc == 0 && strcmp(app, "web") == 0);
		if (rc != 0)
			fprintf(stderr, "  '%s' refused: %s\n", *a, why);
	}
	for (const char *const *a = bad; *a; a++) {
		int rc = name_repo_arg(*a, app, sizeof(app), why, sizeof(why));
		CHECK(rc == -1);
		if (rc != -1)
			fprintf(stderr, "  '%s' accepted as '%s'\n", *a, app);
	}
}

static void
test_domains(void)
{
	static const char *const ok[] = { "example.com", "a.b.c.example.org",
		"x1.io", "my-shop.example.co.uk", "xn--bcher-kva.example", NULL };
	static const char *const bad[] = { "", "localhost", "example",
		"Example.com", "example.com.", ".example.com", "*.example.com",
		"ex_ample.com", "-a.example.com", "a-.example.com",
		"a..example.com", "127.0.0.1", "example.123", "[::1]",
		"a.example.com/x", "a example.com", "a.example.com\n",
		"a;b.example.com", "a\"b.example.com", "a{b}.example.com",
		"a$b.example.com", NULL };
	char long_label[80], long_name[300];

	each(name_domain_valid, ok, 0);
	each(name_domain_valid, bad, -1);
	/* a 64-character label; a 254-character name */
	snprintf(long_label, sizeof(long_label), "%s.com", LONG64);
	CHECK(name_domain_valid(long_label, long_name, 100) == -1);
	memset(long_name, 'a', sizeof(long_name));
	for (int i = 50; i < 254; i += 51)
		long_name[i] = '.';
	long_name[254] = '\0';
	CHECK(name_domain_valid(long_name, long_label, sizeof(long_label)) ==
	    -1);
	long_name[253] = '\0';
	CHECK(name_domain_valid(long_name, long_label, sizeof(long_label)) ==
	    0);
}

static void
test_var_names(void)
{
	static const char *const ok[] = { "FOO", "DATABASE_URL", "_X", "a1",
		NULL };
	static const char *const bad[] = { "", "1FOO", "FOO-BAR", "FOO BAR",
		"FOO=1", "FOO\n", "A.B", "$X", NULL };

	each(vars_name_valid, ok, 0);
	each(vars_name_valid, bad, -1);
}

/* The checks that answer yes or no, in each()'s shape. */
static int
proc_type(const char *name, char *why, size_t len)
{
	return procfile_name_valid(name) ? 0 :
	    (snprintf(why, len, "not a process type"), -1);
}

static int
ref_name(const char *name, char *why, size_t len)
{
	int valid = 0;

	if (git_reference_name_is_valid(&valid, name) < 0 || !valid) {
		snprintf(why, len, "not a valid ref name");
		return -1;
	}
	return 0;
}

static void
test_process_types(void)
{
	static const char *const ok[] = { "web", "worker", "clock_2", "a-b",
		"12345678901234567890123456789012", NULL };
	static const char *const bad[] = { "", "../web", "a/b", "a b", "a.b",
		"web\n", "a:b", "123456789012345678901234567890123", NULL };

	each(proc_type, ok, 0);
	each(proc_type, bad, -1);
}

/* berth takes libgit2's word on a pushed ref's name, then allows only
 * refs/heads/ and refs/tags/: the names an attacker would try. */
static void
test_refs(void)
{
	static const char *const ok[] = { "refs/heads/main", "refs/tags/v1.0",
		"refs/heads/feature/x", NULL };
	static const char *const bad[] = { "refs/heads/../../config",
		"refs/heads/a..b", "refs/heads/x.lock", "refs/heads/a@{1}",
		"refs/heads/a b", "refs/heads/a\nb", "refs/heads/a~1",
		"refs/heads/a^", "refs/heads/a:b", "refs/heads/a?", "refs/heads/*",
		"refs/heads/a\\b", "refs/heads/", "refs/heads/.hidden",
		"refs/heads/a/", "/refs/heads/a", "refs/heads//a", NULL };

	each(ref_name, ok, 0);
	each(ref_name, bad, -1);
}

int
main(void)
{
	git_libgit2_init();
	test_app_names();
	test_key_names();
	test_repo_arg();
	test_domains();
	test_var_names();
	test_process_types();
	test_refs();
	git_libgit2_shutdown();
	return unit_done();
}
