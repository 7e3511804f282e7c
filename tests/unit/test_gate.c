/*
 * test_gate.c - the command gate (gitd/gitd_dispatch.c) without a session:
 * a gitd_ctx on an in-memory store, its streams captured in memory, and
 * command lines as a client would send them.  Arity, unknown commands and
 * bad quoting; app names and missing apps; every role against commands
 * that need more; an audit row for each, with the outcome; and secrets
 * kept out of the audit row whatever the shape of the line (config:set's
 * values, a mistyped command's arguments, an app that does not exist).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/path.h"
#include "gitd/gitd_dispatch.h"
#include "tests/unit/unit.h"

struct capture {
	char out[16384], err[16384];
	size_t nout, nerr;
};

static struct conf conf;
static struct store *st;
static struct capture cap;
static struct key_rec root, dep, adm, none;
static struct app_rec shop;

static void
append(char *buf, size_t *n, size_t cap_len, const void *data, size_t len)
{
	if (len > cap_len - 1 - *n)
		len = cap_len - 1 - *n;
	memcpy(buf + *n, data, len);
	*n += len;
	buf[*n] = '\0';
}

static int
cap_write(void *ctx, const void *buf, size_t len, char *err, size_t errlen)
{
	(void)ctx, (void)err, (void)errlen;
	append(cap.out, &cap.nout, sizeof(cap.out), buf, len);
	return 0;
}

static int
cap_write_err(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	append(cap.err, &cap.nerr, sizeof(cap.err), buf, len);
	return 0;
}

static ssize_t
no_input(void *ctx, void *buf, size_t len, char *err, size_t errlen)
{
	(void)ctx, (void)buf, (void)len, (void)err, (void)errlen;
	return 0;
}

/* Run line as key k; its exit status, output in cap. */
static int
run(const struct key_rec *k, const char *line)
{
	struct gitd_ctx g;

	memset(&g, 0, sizeof(g));
	memset(&cap, 0, sizeof(cap));
	g.conf = &conf;
	g.st = st;
	g.key = *k;
	g.io.in_out = (struct pkt_transport){ .read = no_input,
	    .write = cap_write, .ctx = NULL };
	g.io.write_err = cap_write_err;
	return gitd_dispatch_line(&g, line);
}

static struct audit_rec last_row;

static int
keep_row(void *arg, const struct audit_rec *a)
{
	(void)arg;
	last_row = *a;
	return 1;
}

/* The newest audit row must be line (as kept), outcome, by key k. */
static void
audited(const struct key_rec *k, const char *line, const char *outcome)
{
	int ok;

	memset(&last_row, 0, sizeof(last_row));
	CHECK(store_audit_each(st, NULL, 1, keep_row, NULL) == 0);
	ok = strcmp(last_row.command, line) == 0 &&
	    strcmp(last_row.outcome, outcome) == 0 &&
	    strcmp(last_row.fingerprint, k->fingerprint) == 0;
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  audit row '%s' '%s' by %s; want '%s' '%s' by"
		    " %s\n", last_row.command, last_row.outcome,
		    last_row.fingerprint, line, outcome, k->fingerprint);
}

/* rc, and the caller's stderr holds what. */
static void
refused(const struct key_rec *k, const char *line, int rc, const char *what)
{
	int got = run(k, line);

	CHECK(got == rc && strstr(cap.err, what) != NULL);
	if (got != rc || strstr(cap.err, what) == NULL)
		fprintf(stderr, "  '%s' as %s: exit %d, stderr '%s'; want exit"
		    " %d and '%s'\n", line, k->name, got, cap.err, rc, what);
}

static void
allowed(const struct key_rec *k, const char *line)
{
	int got = run(k, line);

	CHECK(got == 0);
	if (got != 0)
		fprintf(stderr, "  '%s' as %s: exit %d: %s\n", line, k->name,
		    got, cap.err);
}

static struct key_rec
add_key(const char *name, int admin)
{
	struct key_rec k;

	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "%s", name);
	snprintf(k.fingerprint, sizeof(k.fingerprint), "SHA256:%s", name);
	snprintf(k.type, sizeof(k.type), "ssh-ed25519");
	snprintf(k.blob, sizeof(k.blob), "AAAA");
	k.is_admin = admin;
	CHECK(store_key_add(st, &k) == 0);
	CHECK(store_key_by_name(st, name, &k) == 0);
	return k;
}

static void
test_arity(void)
{
	refused(&root, "apps extra", 2, "wrong number of arguments\nusage: apps");
	audited(&root, "apps extra", "exit 2");
	refused(&root, "releases", 2, "usage: releases APP");
	refused(&root, "rollback shop 1 2", 2, "usage: rollback APP");
	refused(&root, "grant dep shop", 2, "usage: grant KEY APP");
	refused(&root, "   ", 2, "empty command");
	refused(&root, "frobnicate shop", 2, "unknown command 'frobnicate'");
	audited(&root, "frobnicate [hidden]", "exit 2");
	refused(&root, "releases 'shop", 2, "unterminated ' quote");
	refused(&root, "releases sh\001op", 2, "control character");
}

static void
test_app_names(void)
{
	refused(&root, "releases ../etc", 2, "invalid app name '../etc'");
	refused(&root, "releases Shop", 2, "invalid app name");
	refused(&root, "releases nosuch", 1, "app 'nosuch' does not exist;"
	    " create it with 'apps:create'");
	audited(&root, "releases nosuch", "exit 1");
	refused(&dep, "releases nosuch", 1, "app 'nosuch' does not exist");
	CHECK(strstr(cap.err, "apps:create") == NULL); /* only for admins */
}

static void
test_roles(void)
{
	refused(&none, "releases shop", 1, "key 'none' has no access to app"
	    " 'shop' (releases needs the deployer role)");
	audited(&none, "releases shop", "exit 1");
	allowed(&dep, "releases shop");
	audited(&dep, "releases shop", "ok");
	refused(&dep, "releases blog", 1, "no access to app 'blog'");
	refused(&dep, "domains:add shop x.example.com", 1, "key 'dep' is"
	    " deployer of app 'shop', and domains:add needs the admin role (a"
	    " server admin can give it: grant dep shop admin)");
	refused(&dep, "apps:create newapp", 1, "key 'dep' may not run"
	    " 'apps:create' (it needs a server admin key)");
	refused(&dep, "keys", 1, "may not run 'keys'");
	refused(&adm, "keys", 1, "may not run 'keys'");
	refused(&adm, "apps:destroy shop --force", 1, "key 'adm' is admin of"
	    " app 'shop', and apps:destroy needs a server admin key");
	allowed(&adm, "domains shop");
	allowed(&none, "apps");
	allowed(&none, "help");
	allowed(&root, "keys");
	CHECK(strstr(cap.out, "dep") != NULL && strstr(cap.out, "adm") != NULL);
	allowed(&root, "releases blog");
}

static int
no_secret_row(void *arg, const struct audit_rec *a)
{
	CHECK(strstr(a->command, "s3cret") == NULL);
	++*(int *)arg;
	return 0;
}

static int
no_secret_var(void *arg, const char *name, const void *v, size_t len)
{
	(void)name;
	CHECK(memmem(v, len, "s3cret", 6) == NULL); /* sealed at rest */
	++*(int *)arg;
	return 0;
}

static void
test_secrets(void)
{
	int n = 0;

	allowed(&dep, "config:set shop --no-restart FOO=s3cret BAR=x=s3cret");
	audited(&dep, "config:set shop FOO= BAR=", "ok");
	allowed(&dep, "config:get shop FOO");
	CHECK(strcmp(cap.out, "s3cret\n") == 0);
	refused(&none, "config:set shop FOO=s3cret", 1, "no access");
	audited(&none, "config:set shop FOO=", "exit 1");
	refused(&root, "config:set nosuch FOO=s3cret", 1, "does not exist");
	audited(&root, "config:set [hidden] FOO=", "exit 1");
	refused(&dep, "config:set shop s3cret", 2, "expected NAME=VALUE");
	audited(&dep, "config:set shop [hidden]", "exit 2");
	refused(&dep, "config:set shop 1X=s3cret", 2, "invalid name");
	audited(&dep, "config:set shop [hidden]", "exit 2");
	refused(&dep, "config:sett shop FOO=s3cret", 2, "unknown command");
	audited(&dep, "config:sett [hidden] [hidden]", "exit 2");
	refused(&dep, "config:set", 2, "usage: config:set");
	refused(&dep, "config:set 'shop' \"FOO=s3\\\"cret\" s3cret", 2,
	    "expected NAME=VALUE");
	audited(&dep, "config:set shop FOO= [hidden]", "exit 2");
	CHECK(store_audit_each(st, NULL, 1000, no_secret_row, &n) == 0 &&
	    n > 20);
	n = 0;
	CHECK(store_config_each(st, shop.id, no_secret_var, &n) == 0 && n == 2);
}

int
main(void)
{
	char dir[] = "/tmp/test_gate_XXXXXX", err[256], path[PATH_MAX];
	struct app_rec blog;

	conf_defaults(&conf);
	if (mkdtemp(dir) == NULL ||
	    pathf(conf.data_dir, sizeof(conf.data_dir), "%s", dir) == -1 ||
	    store_open(&st, ":memory:", err, sizeof(err)) != 0) {
		CHECK(0);
		return unit_done();
	}
	root = add_key("root", 1);
	dep = add_key("dep", 0);
	adm = add_key("adm", 0);
	none = add_key("none", 0);
	CHECK(store_app_create(st, "shop", &shop) == 0);
	CHECK(store_app_create(st, "blog", &blog) == 0);
	CHECK(store_role_set(st, dep.id, shop.id, ROLE_DEPLOYER) == 0);
	CHECK(store_role_set(st, adm.id, shop.id, ROLE_APP_ADMIN) == 0);
	test_arity();
	test_app_names();
	test_roles();
	test_secrets();
	store_close(st);
	if (pathf(path, sizeof(path), "%s/secret.key", dir) == 0)
		(void)unlink(path);
	(void)rmdir(dir);
	return unit_done();
}
