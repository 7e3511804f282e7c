/*
 * test_conf.c - conf/conf.c: defaults, every key type, the example
 * conf/berth.ini, one error per kind of mistake (with its line number), the
 * default search, derived paths, relative paths resolved against the file
 * (or the start directory), and the size and listen parsers.
 * Run from the repository root (tests/run does).
 */
#include "conf/conf.h"
#include "tests/unit/unit.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERRLEN 512

/* Write text (len bytes) to a new temp file; its name goes in path. */
static void
write_file(char *path, const char *text, size_t len)
{
	int fd;

	strcpy(path, "/tmp/test_conf_XXXXXX");
	fd = mkstemp(path);
	CHECK(fd != -1);
	if (fd == -1)
		return;
	CHECK(write(fd, text, len) == (ssize_t)len);
	close(fd);
}

/* conf_load on a temp file holding text. */
static int
load_text(struct conf *c, const char *text, char *err)
{
	char path[64];
	int rc;

	write_file(path, text, strlen(text));
	err[0] = '\0';
	rc = conf_load(c, path, err, ERRLEN);
	unlink(path);
	return rc;
}

/* text must fail at line with a message containing what. */
static void
expect_error(const char *text, int line, const char *what)
{
	struct conf c;
	char err[ERRLEN], at[32];
	int ok;

	snprintf(at, sizeof(at), ":%d: ", line);
	CHECK(load_text(&c, text, err) == -1);
	ok = strncmp(err, "/tmp/test_conf_", 15) == 0 &&
	    strstr(err, at) != NULL && strstr(err, what) != NULL;
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  expected line %d, '%s'; got: %s\n", line,
		    what, err);
}

static void
expect_ok(const char *text)
{
	struct conf c;
	char err[ERRLEN];
	int rc = load_text(&c, text, err);

	CHECK(rc == 0);
	if (rc != 0)
		fprintf(stderr, "  unexpected error: %s\n", err);
}

/* All settings equal (path aside). */
static int
same_settings(const struct conf *a, const struct conf *b)
{
	return strcmp(a->listen_addr, b->listen_addr) == 0 &&
	    a->listen_port == b->listen_port &&
	    strcmp(a->data_dir, b->data_dir) == 0 &&
	    strcmp(a->host_key, b->host_key) == 0 &&
	    strcmp(a->deploy_branch, b->deploy_branch) == 0 &&
	    a->max_push_size == b->max_push_size &&
	    a->max_object_size == b->max_object_size &&
	    a->max_push_inflated == b->max_push_inflated &&
	    a->max_connections == b->max_connections &&
	    a->auth_timeout == b->auth_timeout &&
	    a->idle_timeout == b->idle_timeout &&
	    a->per_address_connections == b->per_address_connections &&
	    a->max_unauthenticated == b->max_unauthenticated &&
	    a->auth_fail_limit == b->auth_fail_limit &&
	    a->auth_fail_block == b->auth_fail_block &&
	    a->auth_timeout_busy == b->auth_timeout_busy &&
	    a->lock_timeout == b->lock_timeout &&
	    a->pack_timeout == b->pack_timeout &&
	    a->app_uid_base == b->app_uid_base &&
	    a->app_max_processes == b->app_max_processes &&
	    strcmp(a->router_kind, b->router_kind) == 0 &&
	    a->router_manage == b->router_manage &&
	    strcmp(a->http_listen_addr, b->http_listen_addr) == 0 &&
	    a->http_listen_port == b->http_listen_port &&
	    strcmp(a->router_config_dir, b->router_config_dir) == 0 &&
	    strcmp(a->router_reload, b->router_reload) == 0 &&
	    strcmp(a->base_domain, b->base_domain) == 0 &&
	    strcmp(a->router_https, b->router_https) == 0 &&
	    strcmp(a->https_listen, b->https_listen) == 0 &&
	    a->https_listen_port == b->https_listen_port &&
	    strcmp(a->acme_email, b->acme_email) == 0 &&
	    strcmp(a->acme_ca, b->acme_ca) == 0 &&
	    strcmp(a->acme_ca_root, b->acme_ca_root) == 0 &&
	    a->build_timeout == b->build_timeout &&
	    a->build_concurrency == b->build_concurrency &&
	    strcmp(a->buildpacks_dir, b->buildpacks_dir) == 0 &&
	    a->keep_releases == b->keep_releases &&
	    a->build_memory_limit == b->build_memory_limit &&
	    a->build_max_export == b->build_max_export &&
	    a->upkeep_interval == b->upkeep_interval &&
	    a->gc_auto_packs == b->gc_auto_packs &&
	    a->gc_grace_days == b->gc_grace_days &&
	    a->min_free_space == b->min_free_space &&
	    a->keep_archives == b->keep_archives &&
	    a->archive_max_days == b->archive_max_days &&
	    a->cache_max_size == b->cache_max_size &&
	    a->keep_deploys == b->keep_deploys &&
	    a->audit_max_days == b->audit_max_days &&
	    a->logs_max_days == b->logs_max_days &&
	    strcmp(a->health_path, b->health_path) == 0 &&
	    a->health_timeout == b->health_timeout &&
	    a->health_grace == b->health_grace;
}

static void
test_defaults(void)
{
	struct conf c;
	char err[ERRLEN];

	conf_defaults(&c);
	CHECK(strcmp(c.path, "") == 0);
	CHECK(strcmp(c.listen_addr, "127.0.0.1") == 0);
	CHECK(c.listen_port == 2222);
	CHECK(strcmp(c.data_dir, "./berth-data") == 0);
	CHECK(strcmp(c.host_key, "") == 0);
	CHECK(strcmp(c.deploy_branch, "main") == 0);
	CHECK(c.max_push_size == 1073741824ULL);
	CHECK(c.max_object_size == 100ULL << 20);
	CHECK(c.max_push_inflated == 8ULL << 30);
	CHECK(c.build_max_export == 2ULL << 30);
	CHECK(c.max_connections == 64);
	CHECK(c.auth_timeout == 30);
	CHECK(c.idle_timeout == 300);
	CHECK(strcmp(c.router_kind, "caddy") == 0);
	CHECK(c.router_manage == 1);
	CHECK(strcmp(c.http_listen_addr, "127.0.0.1") == 0);
	CHECK(c.http_listen_port == 8080);
	CHECK(strcmp(c.router_config_dir, "") == 0);
	CHECK(strcmp(c.router_reload, "") == 0);
	CHECK(strcmp(c.base_domain, "localhost") == 0);
	CHECK(c.build_timeout == 900);
	CHECK(c.build_concurrency == 2);
	CHECK(strcmp(c.buildpacks_dir, "") == 0);
	CHECK(c.keep_releases == 5);
	CHECK(c.gc_auto_packs == 8 && c.gc_grace_days == 14);
	CHECK(c.min_free_space == 1ULL << 30 && c.keep_archives == 10);
	CHECK(c.build_memory_limit == 1073741824ULL);
	CHECK(c.app_uid_base == 2000000000);
	CHECK(c.app_max_processes == 1024);
	CHECK(c.max_unauthenticated == 16);
	CHECK(c.auth_timeout_busy == 5);
	CHECK(c.lock_timeout == 120);
	CHECK(c.pack_timeout == 600);
	CHECK(strcmp(c.health_path, "/") == 0);
	CHECK(c.health_timeout == 30);
	CHECK(c.health_grace == 5);

	/* An empty file: defaults, the data dir beside the file, the derived
	 * paths under it, the buildpacks shipped with this binary. */
	CHECK(load_text(&c, "", err) == 0);
	CHECK(strncmp(c.path, "/tmp/test_conf_", 15) == 0);
	CHECK(strcmp(c.data_dir, "/tmp/berth-data") == 0);
	CHECK(strcmp(c.host_key, "/tmp/berth-data/host_ed25519") == 0);
	CHECK(strcmp(c.router_config_dir, "/tmp/berth-data/router") == 0);
	CHECK(c.auto_paths == (CONF_AUTO_DATA_DIR | CONF_AUTO_HOST_KEY |
	    CONF_AUTO_ROUTER_DIR | CONF_AUTO_BUILDPACKS));
	CHECK(c.buildpacks_dir[0] == '/' &&
	    strstr(c.buildpacks_dir, "/lib/berth/buildpacks") != NULL);
}

static void
test_every_type(void)
{
	struct conf c;
	char err[ERRLEN];
	const char *text =
	    "; comment\n"
	    "# another comment\n"
	    "\n"
	    "[server]\n"
	    "listen = [::1]:2022\n"
	    "data_dir = /var/lib/berth\n"
	    "host_key = /etc/berth/key\n"
	    "deploy_branch = release/v1.2_x-y\n"
	    "max_push_size = 512K\n"
	    "max_object_size = 2047M\n"
	    "max_push_inflated = 64G\n"
	    "max_connections = 10000\n"
	    "auth_timeout = 1\n"
	    "idle_timeout = 86400\n"
	    "app_max_processes = 64\n"
	    "[router]\n"
	    "kind = nginx\n"
	    "manage = off\n"
	    "http_listen = 0.0.0.0:80\n"
	    "config_dir = /etc/nginx/berth\n"
	    "reload = systemctl reload nginx ; inline comment\n"
	    "base_domain = apps.example-1.org\n"
	    "[build]\n"
	    "timeout = 60\n"
	    "concurrency = 4\n"
	    "buildpacks_dir = /opt/buildpacks\n"
	    "keep_releases = 3\n"
	    "memory_limit = 100M\n"
	    "max_export_size = 10M\n"
	    "[health]\n"
	    "path = /healthz?x=1\n"
	    "timeout = 10\n"
	    "grace = 0\n";
	int rc = load_text(&c, text, err);

	CHECK(rc == 0);
	if (rc != 0)
		fprintf(stderr, "  unexpected error: %s\n", err);
	CHECK(strcmp(c.listen_addr, "::1") == 0);
	CHECK(c.listen_port == 2022);
	CHECK(strcmp(c.data_dir, "/var/lib/berth") == 0);
	CHECK(strcmp(c.host_key, "/etc/berth/key") == 0);
	CHECK(strcmp(c.deploy_branch, "release/v1.2_x-y") == 0);
	CHECK(c.max_push_size == 512 * 1024);
	CHECK(c.max_object_size == 2047ULL << 20);
	CHECK(c.max_push_inflated == 64ULL << 30);
	CHECK(c.build_max_export == 10ULL << 20);
	CHECK(c.max_connections == 10000);
	CHECK(c.auth_timeout == 1);
	CHECK(c.idle_timeout == 86400);
	CHECK(c.app_max_processes == 64);
	CHECK(strcmp(c.router_kind, "nginx") == 0);
	CHECK(c.router_manage == 0);
	CHECK(strcmp(c.http_listen_addr, "0.0.0.0") == 0);
	CHECK(c.http_listen_port == 80);
	CHECK(strcmp(c.router_config_dir, "/etc/nginx/berth") == 0);
	CHECK(strcmp(c.router_reload, "systemctl reload nginx") == 0);
	CHECK(strcmp(c.base_domain, "apps.example-1.org") == 0);
	CHECK(c.build_timeout == 60);
	CHECK(c.build_concurrency == 4);
	CHECK(strcmp(c.buildpacks_dir, "/opt/buildpacks") == 0);
	CHECK(c.keep_releases == 3);
	CHECK(c.build_memory_limit == 100ULL << 20);
	CHECK(strcmp(c.health_path, "/healthz?x=1") == 0);
	CHECK(c.health_timeout == 10);
	CHECK(c.health_grace == 0);
}

static void
test_bools(void)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES" };
	static const char *const no[] = { "no", "false", "off", "0", "Off" };
	struct conf c;
	char text[64], err[ERRLEN];
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), "[router]\nmanage = %s\n", yes[i]);
		CHECK(load_text(&c, text, err) == 0 && c.router_manage == 1);
		snprintf(text, sizeof(text), "[router]\nmanage = %s\n", no[i]);
		CHECK(load_text(&c, text, err) == 0 && c.router_manage == 0);
	}
}

/* The shipped example loads and says exactly what the defaults say. */
static void
test_example(void)
{
	struct conf ex, def;
	char err[ERRLEN];
	int rc = conf_load(&ex, "conf/berth.ini", err, sizeof(err));

	char cwd[PATH_MAX], want[PATH_MAX + 32];

	CHECK(rc == 0);
	if (rc != 0)
		fprintf(stderr, "  conf/berth.ini: %s\n", err);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(want, sizeof(want), "%s/conf/berth.ini", cwd);
	CHECK(strcmp(ex.path, want) == 0);
	snprintf(want, sizeof(want), "%s/conf/berth-data", cwd);
	CHECK(strcmp(ex.data_dir, want) == 0);
	CHECK(load_text(&def, "", err) == 0);
	/* the example names its data dir; the rest it leaves to berth */
	CHECK(ex.auto_paths == (def.auto_paths & ~CONF_AUTO_DATA_DIR));
	/* the paths differ only by the file's directory */
	memcpy(def.data_dir, ex.data_dir, sizeof(def.data_dir));
	memcpy(def.host_key, ex.host_key, sizeof(def.host_key));
	memcpy(def.router_config_dir, ex.router_config_dir,
	    sizeof(def.router_config_dir));
	CHECK(same_settings(&ex, &def));
}

static void
test_errors(void)
{
	char line[300], text[400];

	expect_error("[server]\nlisten = 127.0.0.1:22\nport = 22\n", 3,
	    "unknown key 'server.port'");
	expect_error("[server]\n\n[serverr]\nlisten = 127.0.0.1:22\n", 3,
	    "unknown section 'serverr'");
	expect_error("[empty]\n", 1, "unknown section 'empty'");
	expect_error("[build]\ntimeout = ten\n", 2,
	    "bad value 'ten' for 'build.timeout': not an integer");
	expect_error("[build]\ntimeout = 12s\n", 2, "not an integer");
	expect_error("[build]\ntimeout =\n", 2, "not an integer");
	expect_error("[build]\n\nconcurrency = 65\n", 3,
	    "'build.concurrency': must be between 1 and 64");
	expect_error("[health]\ngrace = -1\n", 2, "must be between 0 and");
	expect_error("[server]\nidle_timeout = 99999999999999999999\n", 2,
	    "must be between");
	expect_error("[server]\nmax_push_size = 1.5G\n", 2,
	    "bad value '1.5G' for 'server.max_push_size': not a size");
	expect_error("[build]\nmemory_limit = 0\n", 2, "must be at least 1");
	expect_error("[upkeep]\ngc_grace_days = -1\n", 2,
	    "bad value '-1' for 'upkeep.gc_grace_days': must be");
	expect_error("[upkeep]\nkeep_deploys = 0\n", 2,
	    "bad value '0' for 'upkeep.keep_deploys': must be");
	expect_error("[upkeep]\nmin_free_space = lots\n", 2,
	    "bad value 'lots' for 'upkeep.min_free_space': not a size");
	expect_error("[server]\nmax_object_size = 2G\n", 2,
	    "bad value '2G' for 'server.max_object_size': must be at most"
	    " 2147483647");
	expect_error("[server]\nmax_push_inflated = 1\n", 2,
	    "must be at least 1024");
	expect_error("[server]\napp_max_processes = 2\n", 2,
	    "'server.app_max_processes': must be between 8 and");
	expect_error("[server]\nlisten = 127.0.0.1\n", 2,
	    "bad value '127.0.0.1' for 'server.listen'");
	expect_error("[router]\nhttp_listen = localhost:8080\n", 2,
	    "'router.http_listen'");
	expect_error("[router]\nmanage = maybe\n", 2, "not a boolean");
	expect_error("[router]\nkind = apache\n", 2,
	    "bad value 'apache' for 'router.kind': must be one of: caddy "
	    "nginx");
	expect_error("[router]\nkind = Caddy\n", 2, "must be one of");

	/* Lines inih would split or join. */
	memset(line, 'x', 250);
	line[250] = '\0';
	snprintf(text, sizeof(text), "[router]\n; ok\nreload = %s\n", line);
	expect_error(text, 3, "line too long (max 190 characters)");
	expect_error("[server]\nlisten = 127.0.0.1:22\n  data_dir = /x\n", 3,
	    "indented line: berth does not accept continuation lines");
	expect_error("[server]\n\tdata_dir = /x\n", 2, "indented line");
	expect_error("[server]\n  [router]\n", 2, "indented line");

	/* A value that does not fit its field (listen_addr holds 63). */
	memset(line, 'a', 70);
	line[70] = '\0';
	snprintf(text, sizeof(text), "[server]\nlisten = [%s]:22\n", line);
	expect_error(text, 2, "for 'server.listen'");

	/* Names inih would truncate. */
	expect_error("[server]\n"
	    "listen_but_with_a_name_far_longer_than_forty = 1\n", 2,
	    "key name too long (max 40 characters)");
	expect_error("[a_section_name_that_is_much_longer_than_forty]\n", 1,
	    "section name too long (max 40 characters)");

	/* Other mistakes. */
	expect_error("listen = 127.0.0.1:22\n", 1,
	    "key 'listen' before any [section]");
	expect_error("[build]\ntimeout = 1\n[server]\n[build]\ntimeout = 2\n",
	    5, "duplicate key 'build.timeout' (first set on line 2)");
	expect_error("[server]\nlisten\n", 2,
	    "expected '[section]' or 'key = value'");
	expect_error("[server\n", 1, "missing ']'");
	expect_error("[server] listen = 127.0.0.1:22\n", 1,
	    "unexpected text after ']'");
	expect_error("[server]\ndata_dir =\n", 2, "must not be empty");
	expect_error("[server]\ndeploy_branch = -main\n", 2,
	    "not a plain branch name");
	expect_error("[router]\nbase_domain = Example.com\n", 2,
	    "not a lower-case host name");
	expect_error("[health]\npath = healthz\n", 2, "must start with '/'");
	expect_error("[health]\npath = /a b\n", 2,
	    "must not contain spaces");
}

/* value for section.key loads (want 0) or is refused (want -1). */
static void
expect_value(const char *section, const char *key, const char *value,
    int want)
{
	struct conf c;
	char text[300], err[ERRLEN];
	int rc;

	snprintf(text, sizeof(text), "[%s]\n%s = %s\n", section, key, value);
	rc = load_text(&c, text, err);
	CHECK(rc == want);
	if (rc != want)
		fprintf(stderr, "  %s.%s = '%s': want %d, got %d %s\n", section,
		    key, value, want, rc, err);
}

static void
test_names(void)
{
	static const char *const good_branch[] = { "main", "feature/x",
		"v1.2", "a_b-c", "release/2024.1/rc" };
	static const char *const bad_branch[] = { "", "-x", "/x", "x/", "a//b",
		"a..b", "x.lock", "a/b.lock/c", ".x", "a/.b", "x.", "a b",
		"a@{1}", "a~1", "a:b" };
	static const char *const good_host[] = { "localhost", "example.com",
		"a-b.c1", "1.2.3.4", "x" };
	static const char *const bad_host[] = { "", "Example.com", "-a.com",
		"a-.com", "a..com", ".a", "a.", "a_b.com", "a b",
		("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		".com") }; /* a 64-character label */
	size_t i;

	for (i = 0; i < sizeof(good_branch) / sizeof(good_branch[0]); i++)
		expect_value("server", "deploy_branch", good_branch[i], 0);
	for (i = 0; i < sizeof(bad_branch) / sizeof(bad_branch[0]); i++)
		expect_value("server", "deploy_branch", bad_branch[i], -1);
	for (i = 0; i < sizeof(good_host) / sizeof(good_host[0]); i++)
		expect_value("router", "base_domain", good_host[i], 0);
	for (i = 0; i < sizeof(bad_host) / sizeof(bad_host[0]); i++)
		expect_value("router", "base_domain", bad_host[i], -1);
}

/* The edges of what the reader lets through. */
static void
test_reader_edges(void)
{
	struct conf c;
	char line[200], text[300], err[ERRLEN], path[64];
	int rc;

	/* 190 characters is fine, 191 is not. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "reload = ", 9);
	line[190] = '\0';
	snprintf(text, sizeof(text), "[router]\n%s\n", line);
	CHECK(load_text(&c, text, err) == 0);
	CHECK(strlen(c.router_reload) == 181);
	line[190] = 'x';
	line[191] = '\0';
	snprintf(text, sizeof(text), "[router]\n%s\n", line);
	expect_error(text, 2, "line too long");

	/* A byte-order mark, CRLF line ends, indented comments and blank
	 * lines, a last line without a newline. */
	expect_ok("\xEF\xBB\xBF[server]\r\nlisten = 10.0.0.1:22\r\n"
	    "  ; indented comment\n   \n\t\nidle_timeout = 5");
	/* A NUL byte in the middle of a line. */
	write_file(path, "[server]\ndata_dir = /a\0b\n", 25);
	rc = conf_load(&c, path, err, sizeof(err));
	unlink(path);
	CHECK(rc == -1 && strstr(err, ":2: line contains a NUL byte"));
}

/* A failed load leaves the struct as it was. */
static void
test_failed_reload(void)
{
	struct conf c;
	char err[ERRLEN];

	CHECK(load_text(&c, "[build]\ntimeout = 77\n", err) == 0);
	CHECK(load_text(&c, "[build]\ntimeout = 88\nbogus = 1\n", err) == -1);
	CHECK(c.build_timeout == 77);
}

static void
test_missing_and_derived(void)
{
	struct conf c;
	char err[ERRLEN];

	CHECK(conf_load(&c, "/nonexistent/berth.ini", err, sizeof(err)) ==
	    -1);
	CHECK(strcmp(err, "cannot open '/nonexistent/berth.ini': No such "
	    "file or directory") == 0);

	CHECK(load_text(&c, "[server]\ndata_dir = /srv/berth\n", err) == 0);
	CHECK(strcmp(c.host_key, "/srv/berth/host_ed25519") == 0);
	CHECK(strcmp(c.router_config_dir, "/srv/berth/router") == 0);
	CHECK(load_text(&c, "[server]\ndata_dir = /srv/berth\n"
	    "host_key = /k\n[router]\nconfig_dir = /r\n", err) == 0);
	CHECK(strcmp(c.host_key, "/k") == 0);
	CHECK(strcmp(c.router_config_dir, "/r") == 0);
	CHECK(c.auto_paths == CONF_AUTO_BUILDPACKS);

	/* a new data dir moves only the paths berth derived from it */
	CHECK(load_text(&c, "[server]\nhost_key = /k\n", err) == 0);
	CHECK(conf_move_data_dir(&c, "/var/lib/berth", err, sizeof(err)) == 0);
	CHECK(strcmp(c.data_dir, "/var/lib/berth") == 0);
	CHECK(strcmp(c.host_key, "/k") == 0);
	CHECK(strcmp(c.router_config_dir, "/var/lib/berth/router") == 0);
}

/* Relative paths resolve against the file's directory, once, at load. */
static void
test_relative(void)
{
	char dir[] = "/tmp/test_conf_rel_XXXXXX", sub[64], path[96];
	char cwd[PATH_MAX], err[ERRLEN];
	struct conf c;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/etc", dir);
	snprintf(path, sizeof(path), "%s/berth.ini", sub);
	CHECK(mkdir(sub, 0700) == 0);
	CHECK((f = fopen(path, "w")) != NULL);
	if (f == NULL)
		return;
	fputs("[server]\ndata_dir = ./data\nhost_key = ../keys/host\n"
	    "[router]\nconfig_dir = /abs/router\n"
	    "[build]\nbuildpacks_dir = packs\n", f);
	fclose(f);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	/* given as a relative name, from the file's parent */
	CHECK(chdir(dir) == 0);
	CHECK(conf_load(&c, "etc/berth.ini", err, sizeof(err)) == 0);
	CHECK(chdir(cwd) == 0);
	CHECK(strcmp(c.path, path) == 0);
	snprintf(path, sizeof(path), "%s/data", sub);
	CHECK(strcmp(c.data_dir, path) == 0);
	snprintf(path, sizeof(path), "%s/../keys/host", sub);
	CHECK(strcmp(c.host_key, path) == 0);
	CHECK(strcmp(c.router_config_dir, "/abs/router") == 0);
	snprintf(path, sizeof(path), "%s/packs", sub);
	CHECK(strcmp(c.buildpacks_dir, path) == 0);
	CHECK(c.auto_paths == 0);
	snprintf(path, sizeof(path), "%s/berth.ini", sub);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

/* path NULL: ./berth.ini, else /etc/berth/berth.ini, else defaults. */
static void
test_search(void)
{
	char cwd[4096], dir[] = "/tmp/test_conf_dir_XXXXXX", err[ERRLEN];
	struct conf c;
	FILE *f;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(mkdtemp(dir) != NULL);
	CHECK(chdir(dir) == 0);
	if (access("/etc/berth/berth.ini", F_OK) != 0) {
		char want[sizeof(dir) + 32];

		/* no file: relative to the start directory */
		CHECK(conf_load(&c, NULL, err, sizeof(err)) == 0);
		CHECK(strcmp(c.path, "") == 0);
		CHECK(c.listen_port == 2222);
		snprintf(want, sizeof(want), "%s/berth-data", dir);
		CHECK(strcmp(c.data_dir, want) == 0);
	}
	CHECK((f = fopen("berth.ini", "w")) != NULL);
	if (f != NULL) {
		fputs("[server]\nlisten = 127.0.0.1:2345\n", f);
		fclose(f);
	}
	char want[sizeof(dir) + 32];

	CHECK(conf_load(&c, NULL, err, sizeof(err)) == 0);
	snprintf(want, sizeof(want), "%s/berth.ini", dir);
	CHECK(strcmp(c.path, want) == 0);
	snprintf(want, sizeof(want), "%s/berth-data", dir);
	CHECK(strcmp(c.data_dir, want) == 0);
	CHECK(c.listen_port == 2345);
	unlink("berth.ini");
	CHECK(chdir(cwd) == 0);
	rmdir(dir);
}

static void
test_parse_size(void)
{
	uint64_t n = 7;

	CHECK(conf_parse_size("1024", &n) == 0 && n == 1024);
	CHECK(conf_parse_size("0", &n) == 0 && n == 0);
	CHECK(conf_parse_size("512K", &n) == 0 && n == 512ULL << 10);
	CHECK(conf_parse_size("100M", &n) == 0 && n == 100ULL << 20);
	CHECK(conf_parse_size("1G", &n) == 0 && n == 1ULL << 30);
	CHECK(conf_parse_size("2g", &n) == 0 && n == 2ULL << 30);
	CHECK(conf_parse_size("18446744073709551615", &n) == 0 &&
	    n == UINT64_MAX);
	CHECK(conf_parse_size("17179869183G", &n) == 0 &&
	    n == 17179869183ULL << 30);
	n = 7;
	CHECK(conf_parse_size("1.5G", &n) == -1);
	CHECK(conf_parse_size("", &n) == -1);
	CHECK(conf_parse_size("G", &n) == -1);
	CHECK(conf_parse_size("-1", &n) == -1);
	CHECK(conf_parse_size("+1", &n) == -1);
	CHECK(conf_parse_size(" 1", &n) == -1);
	CHECK(conf_parse_size("1 G", &n) == -1);
	CHECK(conf_parse_size("1GB", &n) == -1);
	CHECK(conf_parse_size("1T", &n) == -1);
	CHECK(conf_parse_size("18446744073709551616", &n) == -1);
	CHECK(conf_parse_size("99999999999999999999999", &n) == -1);
	CHECK(conf_parse_size("17179869184G", &n) == -1);
	CHECK(conf_parse_size("18014398509481984K", &n) == -1);
	CHECK(n == 7); /* untouched on failure */
}

static void
test_parse_listen(void)
{
	char addr[CONF_ADDR_MAX];
	int port = -1;

	CHECK(conf_parse_listen("127.0.0.1:2222", addr, sizeof(addr), &port) ==
	    0 && strcmp(addr, "127.0.0.1") == 0 && port == 2222);
	CHECK(conf_parse_listen("[::1]:2222", addr, sizeof(addr), &port) ==
	    0 && strcmp(addr, "::1") == 0 && port == 2222);
	CHECK(conf_parse_listen("0.0.0.0:22", addr, sizeof(addr), &port) == 0 &&
	    strcmp(addr, "0.0.0.0") == 0 && port == 22);
	CHECK(conf_parse_listen("[::]:1", addr, sizeof(addr), &port) == 0 &&
	    strcmp(addr, "::") == 0 && port == 1);
	CHECK(conf_parse_listen("[fe80::1:2]:65535", addr, sizeof(addr),
	    &port) == 0 && strcmp(addr, "fe80::1:2") == 0 && port == 65535);

	strcpy(addr, "keep");
	port = 9;
	CHECK(conf_parse_listen("127.0.0.1", addr, sizeof(addr), &port) == -1);
	CHECK(conf_parse_listen("127.0.0.1:", addr, sizeof(addr), &port) == -1);
	CHECK(conf_parse_listen("127.0.0.1:0", addr, sizeof(addr), &port) ==
	    -1);
	CHECK(conf_parse_listen("127.0.0.1:70000", addr, sizeof(addr), &port) ==
	    -1);
	CHECK(conf_parse_listen("127.0.0.1:65536", addr, sizeof(addr), &port) ==
	    -1);
	CHECK(conf_parse_listen("127.0.0.1:+22", addr, sizeof(addr), &port) ==
	    -1);
	CHECK(conf_parse_listen("127.0.0.1:22x", addr, sizeof(addr), &port) ==
	    -1);
	CHECK(conf_parse_listen(":22", addr, sizeof(addr), &port) == -1);
	CHECK(conf_parse_listen("::1:2222", addr, sizeof(addr), &port) == -1);
	CHECK(conf_parse_listen("[::1]", addr, sizeof(addr), &port) == -1);
	CHECK(conf_parse_listen("[::1]2222", addr, sizeof(addr), &port) == -1);
	CHECK(conf_parse_listen("[]:22", addr, sizeof(addr), &port) == -1);
	CHECK(conf_parse_listen("[127.0.0.1]:22", addr, sizeof(addr), &port) ==
	    -1);
	CHECK(conf_parse_listen("localhost:22", addr, sizeof(addr), &port) ==
	    -1);
	CHECK(conf_parse_listen("256.0.0.1:22", addr, sizeof(addr), &port) ==
	    -1);
	CHECK(conf_parse_listen("", addr, sizeof(addr), &port) == -1);
	CHECK(strcmp(addr, "keep") == 0 && port == 9); /* untouched */

	/* The address must fit addrlen, NUL included. */
	CHECK(conf_parse_listen("127.0.0.1:22", addr, 9, &port) == -1);
	CHECK(conf_parse_listen("127.0.0.1:22", addr, 10, &port) == 0 &&
	    strcmp(addr, "127.0.0.1") == 0);
}

/* One "key = value" of berth.ini, set or commented out ("; key = v"). */
struct ini_entry {
	char section[48], key[48], value[200];
	int used;
};

/* Read path's entries; a comment line counts only when it reads like
 * "; key = value" with a key that has no space. */
static size_t
ini_entries(const char *path, struct ini_entry *out, size_t max)
{
	char line[256], section[48] = "", key[48], value[200];
	size_t n = 0;
	FILE *f = fopen(path, "re");

	CHECK(f != NULL);
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL && n < max) {
		char *p = line;
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(p, "[%47[^]]]", section) == 1)
			continue;
		if (*p == ';' || *p == '#')
			for (p++; *p == ' '; p++)
				;
		value[0] = '\0';
		if (sscanf(p, "%47[a-z_] = %199[^\n]", key, value) < 1 ||
		    strncmp(p + strlen(key), " =", 2) != 0)
			continue;
		snprintf(out[n].section, sizeof(out[n].section), "%s", section);
		snprintf(out[n].key, sizeof(out[n].key), "%s", key);
		snprintf(out[n].value, sizeof(out[n].value), "%s", value);
		out[n++].used = 0;
	}
	fclose(f);
	return n;
}

/* conf/berth.ini against the table: every key there with its default, and
 * no key the table lacks. */
static void
test_ini_matches_table(void)
{
	static struct ini_entry e[256];
	const char *section, *name, *def;
	size_t n = ini_entries("conf/berth.ini", e, 256), i, j;

	CHECK(n > 30);
	for (i = 0; conf_key_default(i, &section, &name, &def) == 0; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(e[j].section, section) == 0 &&
			    strcmp(e[j].key, name) == 0)
				break;
		CHECK(j < n && strcmp(e[j].value, def) == 0);
		if (j == n)
			fprintf(stderr, "  conf/berth.ini lacks [%s] %s\n",
			    section, name);
		else if (strcmp(e[j].value, def) != 0)
			fprintf(stderr, "  conf/berth.ini: [%s] %s = '%s', the"
			    " default is '%s'\n", section, name, e[j].value, def);
		if (j < n)
			e[j].used = 1;
	}
	CHECK(i > 30);
	for (j = 0; j < n; j++) {
		CHECK(e[j].used);
		if (!e[j].used)
			fprintf(stderr, "  conf/berth.ini names [%s] %s, which"
			    " berth does not know\n", e[j].section, e[j].key);
	}
}

/* [router] https_listen, acme_email, acme_ca, acme_ca_root. */
static void
test_https(void)
{
	static const char *const good_email[] = { "", "ops@example.com",
		"a.b+c_d-e@mail.example.org", "X@EXAMPLE.COM" };
	static const char *const bad_email[] = { "ops", "@example.com",
		"ops@", "ops@localhost", "-x@example.com", "a b@example.com",
		"a\"b@example.com", "ops@exa mple.com", "ops@-x.com" };
	static const char *const good_ca[] = {
		"https://acme-staging-v02.api.letsencrypt.org/directory",
		"https://127.0.0.1:14000/dir" };
	static const char *const bad_ca[] = { "", "http://example.com/dir",
		"https://", "https:///dir", "https://a b/dir",
		"https://a/\"dir", "ftp://x" };
	struct conf c;
	char err[ERRLEN], root[64], text[128];
	size_t i;

	conf_defaults(&c);
	CHECK(strcmp(c.router_https, "auto") == 0);
	CHECK(strcmp(c.https_listen, "") == 0 && c.https_listen_port == 0);
	CHECK(strcmp(c.acme_ca,
	    "https://acme-v02.api.letsencrypt.org/directory") == 0);
	CHECK(c.acme_email[0] == '\0' && c.acme_ca_root[0] == '\0');
	/* auto without a listener is HTTP only: no *:443 nobody asked for */
	CHECK(!conf_https(&c));
	CHECK(load_text(&c, "[router]\nhttps_listen = 0.0.0.0:443\n", err) == 0);
	CHECK(conf_https(&c) && c.https_listen_port == 443 &&
	    strcmp(c.https_listen_addr, "0.0.0.0") == 0);
	CHECK(load_text(&c, "[router]\nhttps = off\nhttps_listen = [::1]:8443\n",
	    err) == 0);
	CHECK(!conf_https(&c) && c.https_listen_port == 8443 &&
	    strcmp(c.https_listen_addr, "::1") == 0);
	expect_error("[router]\nhttps_listen = localhost:443\n", 2,
	    "'router.https_listen'");
	expect_error("[router]\nhttps_listen = 443\n", 2, "address:port");
	for (i = 0; i < sizeof(good_email) / sizeof(good_email[0]); i++)
		expect_value("router", "acme_email", good_email[i], 0);
	for (i = 0; i < sizeof(bad_email) / sizeof(bad_email[0]); i++)
		expect_value("router", "acme_email", bad_email[i], -1);
	for (i = 0; i < sizeof(good_ca) / sizeof(good_ca[0]); i++)
		expect_value("router", "acme_ca", good_ca[i], 0);
	for (i = 0; i < sizeof(bad_ca) / sizeof(bad_ca[0]); i++)
		expect_value("router", "acme_ca", bad_ca[i], -1);
	/* a relative root resolves against the file's directory (/tmp) */
	write_file(root, "-----BEGIN CERTIFICATE-----\n", 28);
	snprintf(text, sizeof(text), "[router]\nacme_ca_root = %s\n", root + 5);
	CHECK(load_text(&c, text, err) == 0);
	CHECK(strcmp(c.acme_ca_root, root) == 0);
	unlink(root);
	/* one that cannot be read is refused (Caddy would refuse every
	 * config with it) */
	CHECK(load_text(&c, text, err) == -1);
	CHECK(strstr(err, "acme_ca_root: cannot read") != NULL);
}

/* [dashboard]: off by default; listen only on loopback or a socket. */
static void
test_dashboard(void)
{
	static const char *const good_listen[] = { "", "/run/berth/web.sock",
		"127.0.0.1:8099", "[::1]:8099", "127.0.0.2:80" };
	static const char *const bad_listen[] = { "0.0.0.0:8099",
		"10.0.0.1:80", "localhost:8099", "web.sock", "8099",
		"[::]:8099" };
	static const char *const bad_token[] = { "short", "has space in it!!",
		"quote\"quote\"quote\"quote" };
	struct conf c;
	size_t i;

	conf_defaults(&c);
	CHECK(c.dash_listen[0] == '\0' && c.dash_host[0] == '\0');
	CHECK(c.dash_max_body == 64 * 1024 && c.dash_login_ttl == 300 &&
	    c.dash_session_ttl == 43200 && c.dash_metrics_token[0] == '\0');
	for (i = 0; i < sizeof(good_listen) / sizeof(good_listen[0]); i++)
		expect_value("dashboard", "listen", good_listen[i], 0);
	for (i = 0; i < sizeof(bad_listen) / sizeof(bad_listen[0]); i++)
		expect_value("dashboard", "listen", bad_listen[i], -1);
	expect_value("dashboard", "host", "berth.example.com", 0);
	expect_value("dashboard", "host", "Berth.example.com", -1);
	expect_value("dashboard", "host", "a b", -1);
	expect_value("dashboard", "metrics_token", "0123456789abcdef", 0);
	for (i = 0; i < sizeof(bad_token) / sizeof(bad_token[0]); i++)
		expect_value("dashboard", "metrics_token", bad_token[i], -1);
	expect_value("dashboard", "max_body_size", "100", -1);
}

int
main(void)
{
	test_defaults();
	test_every_type();
	test_bools();
	test_example();
	test_ini_matches_table();
	test_errors();
	test_names();
	test_reader_edges();
	test_failed_reload();
	test_missing_and_derived();
	test_relative();
	test_search();
	test_parse_size();
	test_parse_listen();
	test_https();
	test_dashboard();
	return unit_done();
}
