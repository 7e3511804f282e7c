/*
 * conf.c - load berth's configuration.
 *
 * In: an ini file (conf/berth.ini shows every key).  Out: a struct conf
 * (conf.h) that every other module reads.  Every key is a row in conf_keys[]
 * below: {section, name, type, field, limits, check, default}; the handler
 * looks the key up there and a per-type setter parses and stores the value.
 * The defaults go through the same setters, and tests/unit/test_conf.c
 * holds conf/berth.ini to them.
 *
 * Debian's inih (r55) cannot be rebuilt with our options, so we feed it
 * through our own line reader (conf_reader_next), which counts lines for
 * "FILE:LINE: problem" messages and refuses what inih would silently mangle:
 * long lines (it splits them), indented lines (continuations of the previous
 * value) and long section or key names (it truncates them).
 *
 * Paths resolve once, here, at load: a relative path in the file is relative to the file's
 * directory, and without a file to the directory berth started in, so a
 * build or a proxy running elsewhere sees the same absolute path.
 *
 * Nothing here prints or keeps state: errors go back in err, and the parse
 * state is a struct conf_reader on conf_load's stack.
 */
#include "conf/conf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/num.h"
#include "core/path.h"

#define CONF_LINE_MAX 190 /* bytes, without the line end; inih's limit is 197 */
#define CONF_KEY_MAX 40   /* section and key names; inih truncates at 49 */
#define CONF_SEARCH_1 "berth.ini"
#define CONF_SEARCH_2 "/etc/berth/berth.ini"

enum conf_type { T_STRING, T_INT, T_BOOL, T_SIZE, T_LISTEN, T_ENUM, T_NTYPES };

struct conf_key {
	const char *section;
	const char *name;
	enum conf_type type;
	size_t off;                   /* the field in struct conf */
	size_t size;                  /* its size */
	size_t port_off;              /* T_LISTEN: the port field */
	long min, max;                /* T_INT range; T_SIZE range (max 0: none) */
	const char *const *choices;   /* T_ENUM: NULL-terminated */
	const char *(*check)(const char *value); /* problem, or NULL if fine */
	unsigned auto_bit;            /* CONF_AUTO_* that setting it clears */
	const char *def;              /* the default, as berth.ini spells it */
};

/* One file being parsed: the user pointer for both reader and handler. */
struct conf_reader {
	FILE *f;
	const char *file;
	int line;
	char *buf;       /* getline's buffer */
	size_t cap;
	int read_errno;  /* nonzero if getline failed other than at EOF */
	struct conf *c;
	int *seen;       /* per key: line where it was set, 0 if not yet */
	int failed;
	char *err;
	size_t errlen;
};

typedef int (*conf_setter)(const struct conf_key *, struct conf *,
    const char *, char *, size_t);

/* Table of contents. */
static const char *conf_search(void);
static int conf_read_file(struct conf *, const char *, char *, size_t);
static int conf_parse(struct conf_reader *);
static char *conf_reader_next(char *, int, void *);
static int conf_check_line(struct conf_reader *, const char *, size_t);
static int conf_check_section(struct conf_reader *, const char *);
static int conf_check_name(struct conf_reader *, const char *);
static int conf_handle(void *, const char *, const char *, const char *);
static int conf_set(struct conf_reader *, const char *, const char *,
    const char *);
static int conf_derive(struct conf *, char *, size_t);
static int conf_base(struct conf *, char *, size_t);
static int conf_resolve(char *, size_t, const char *);
static int conf_check_export_base(const struct conf *, char *, size_t);
static int conf_derive_data(struct conf *);
static int conf_fail(struct conf_reader *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
static const struct conf_key *conf_key_find(const char *, const char *);
static int conf_section_known(const char *, size_t);
static int set_string(const struct conf_key *, struct conf *, const char *,
    char *, size_t);
static int set_int(const struct conf_key *, struct conf *, const char *,
    char *, size_t);
static int set_bool(const struct conf_key *, struct conf *, const char *,
    char *, size_t);
static int set_size(const struct conf_key *, struct conf *, const char *,
    char *, size_t);
static int set_listen(const struct conf_key *, struct conf *, const char *,
    char *, size_t);
static int set_enum(const struct conf_key *, struct conf *, const char *,
    char *, size_t);
static const char *check_nonempty(const char *);
static const char *check_branch(const char *);
static const char *check_hostname(const char *);
static const char *check_hostname_opt(const char *);
static const char *check_url_path(const char *);
static const char *check_listen_opt(const char *);
static const char *check_email(const char *);
static const char *check_https_url(const char *);
static const char *check_dash_listen(const char *);
static const char *check_token(const char *);
static int parse_port(const char *, int *);
static int size_shift(const char *);

/* router/router.c has a back end for each (tests/unit/test_render.c) */
const char *const conf_router_kinds[] = { "caddy", "nginx", NULL };
static const char *const https_modes[] = { "auto", "off", NULL };

#define FIELD(f) .off = offsetof(struct conf, f), \
	.size = sizeof(((struct conf *)0)->f)
#define STR(s, k, f, chk, d) \
	{ s, k, T_STRING, FIELD(f), .check = chk, .def = d }
#define INT(s, k, f, lo, hi, d) \
	{ s, k, T_INT, FIELD(f), .min = lo, .max = hi, .def = d }
#define BOOL(s, k, f, d) { s, k, T_BOOL, FIELD(f), .def = d }
#define SIZE(s, k, f, lo, d) { s, k, T_SIZE, FIELD(f), .min = lo, .def = d }
#define SIZE_TO(s, k, f, lo, hi, d) \
	{ s, k, T_SIZE, FIELD(f), .min = lo, .max = hi, .def = d }
#define ENUM(s, k, f, list, d) \
	{ s, k, T_ENUM, FIELD(f), .choices = list, .def = d }
#define LISTEN(s, k, a, p, d) { s, k, T_LISTEN, FIELD(a), \
	.port_off = offsetof(struct conf, p), .def = d }

static const struct conf_key conf_keys[] = {
	LISTEN("server", "listen", listen_addr, listen_port, "127.0.0.1:2222"),
	{ "server", "data_dir", T_STRING, FIELD(data_dir),
	    .check = check_nonempty, .auto_bit = CONF_AUTO_DATA_DIR,
	    .def = "./berth-data" },
	STR("server", "host_key", host_key, NULL, ""),
	STR("server", "deploy_branch", deploy_branch, check_branch, "main"),
	SIZE("server", "max_push_size", max_push_size, 1, "1G"),
	SIZE_TO("server", "max_object_size", max_object_size, 1024,
	    (1L << 31) - 1, "100M"),
	SIZE("server", "max_push_inflated", max_push_inflated, 1024, "8G"),
	INT("server", "max_connections", max_connections, 1, 10000, "64"),
	INT("server", "auth_timeout", auth_timeout, 1, 3600, "30"),
	INT("server", "idle_timeout", idle_timeout, 1, 86400, "300"),
	INT("server", "max_unauthenticated", max_unauthenticated, 1, 10000,
	    "16"),
	INT("server", "auth_timeout_busy", auth_timeout_busy, 1, 3600, "5"),
	INT("server", "per_address_connections", per_address_connections, 1, 10000,
	    "16"),
	INT("server", "auth_fail_limit", auth_fail_limit, 1, 100000, "10"),
	INT("server", "auth_fail_block", auth_fail_block, 1, 86400, "300"),
	INT("server", "lock_timeout", lock_timeout, 1, 86400, "120"),
	INT("server", "pack_timeout", pack_timeout, 1, 86400, "600"),
	INT("server", "app_uid_base", app_uid_base, 1000, 2100000000,
	    "2000000000"),
	INT("server", "app_max_processes", app_max_processes, 8, 1000000,
	    "1024"),
	INT("server", "log_generations", log_generations, 1, 100, "3"),

	ENUM("router", "kind", router_kind, conf_router_kinds, "caddy"),
	BOOL("router", "manage", router_manage, "yes"),
	LISTEN("router", "http_listen", http_listen_addr, http_listen_port,
	    "127.0.0.1:8080"),
	STR("router", "config_dir", router_config_dir, NULL, ""),
	STR("router", "reload", router_reload, NULL, ""),
	STR("router", "base_domain", base_domain, check_hostname, "localhost"),
	ENUM("router", "https", router_https, https_modes, "auto"),
	SIZE("router", "max_body_size", router_max_body, 1, "100M"),
	STR("router", "https_listen", https_listen, check_listen_opt, ""),
	STR("router", "acme_email", acme_email, check_email, ""),
	STR("router", "acme_ca", acme_ca, check_https_url,
	    "https://acme-v02.api.letsencrypt.org/directory"),
	STR("router", "acme_ca_root", acme_ca_root, NULL, ""),

	INT("build", "timeout", build_timeout, 1, 86400, "900"),
	INT("build", "concurrency", build_concurrency, 1, 64, "2"),
	STR("build", "buildpacks_dir", buildpacks_dir, NULL, ""),
	INT("build", "keep_releases", keep_releases, 1, 1000, "5"),
	SIZE("build", "memory_limit", build_memory_limit, 1, "1G"),
	SIZE("build", "max_export_size", build_max_export, 1024, "2G"),

	INT("webhooks", "rate_limit", webhook_rate_limit, 1, 100000, "10"),
	STR("webhooks", "ca_file", source_ca_file, NULL, ""),
	INT("webhooks", "fetch_timeout", source_fetch_timeout, 1, 86400, "300"),

	INT("upkeep", "interval", upkeep_interval, 1, 86400, "600"),
	INT("upkeep", "gc_auto_packs", gc_auto_packs, 0, 10000, "8"),
	INT("upkeep", "gc_grace_days", gc_grace_days, 0, 3650, "14"),
	SIZE("upkeep", "min_free_space", min_free_space, 0, "1G"),
	INT("upkeep", "keep_archives", keep_archives, 0, 10000, "10"),
	INT("upkeep", "archive_max_days", archive_max_days, 0, 36500, "0"),
	SIZE("upkeep", "cache_max_size", cache_max_size, 0, "1G"),
	INT("upkeep", "keep_deploys", keep_deploys, 1, 1000000, "100"),
	INT("upkeep", "audit_max_days", audit_max_days, 1, 36500, "365"),
	INT("upkeep", "logs_max_days", logs_max_days, 1, 36500, "30"),

	INT("cron", "timeout", cron_timeout, 1, 604800, "3600"),

	STR("dashboard", "listen", dash_listen, check_dash_listen, ""),
	STR("dashboard", "host", dash_host, check_hostname_opt, ""),
	SIZE_TO("dashboard", "max_body_size", dash_max_body, 1024, 1 << 24,
	    "64K"),
	INT("dashboard", "login_ttl", dash_login_ttl, 10, 86400, "300"),
	INT("dashboard", "session_ttl", dash_session_ttl, 60, 31 * 86400,
	    "43200"),
	STR("dashboard", "metrics_token", dash_metrics_token, check_token, ""),

	STR("health", "path", health_path, check_url_path, "/"),
	INT("health", "timeout", health_timeout, 1, 3600, "30"),
	INT("health", "grace", health_grace, 0, 3600, "5"),

	STR("previews", "domain", preview_domain, check_hostname_opt, ""),
	INT("previews", "max_per_app", preview_max, 1, 1000, "5"),
	INT("previews", "ttl", preview_ttl, 1, 365 * 86400, "604800"),
	STR("previews", "cert", preview_cert, NULL, ""),
	STR("previews", "key", preview_key, NULL, ""),

	STR("export", "base", export_base, NULL, ""),
	INT("export", "user", export_user, 1, 2147483646, "10001"),
	INT("export", "port", export_port, 1, 65535, "5000"),
};

#define CONF_NKEYS (sizeof(conf_keys) / sizeof(conf_keys[0]))

static const conf_setter conf_setters[T_NTYPES] = {
	[T_STRING] = set_string,
	[T_INT] = set_int,
	[T_BOOL] = set_bool,
	[T_SIZE] = set_size,
	[T_LISTEN] = set_listen,
	[T_ENUM] = set_enum,
};

/* Each key's default, through its own setter: the table is the one place a
 * default is written (test_conf checks conf/berth.ini against it). */
void
conf_defaults(struct conf *c)
{
	char why[128];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];
		/* a default its own row refuses is a bug (test_conf) */
		if ((k->check != NULL && k->check(k->def) != NULL) ||
		    conf_setters[k->type](k, c, k->def, why, sizeof(why)) == -1)
			abort();
	}
}

int
conf_key_default(size_t i, const char **section, const char **name,
    const char **def)
{
	if (i >= CONF_NKEYS)
		return -1;
	*section = conf_keys[i].section;
	*name = conf_keys[i].name;
	*def = conf_keys[i].def;
	return 0;
}

/* Build the result in a scratch copy so that a failed load leaves *c as it
 * was. */
int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	struct conf tmp;

	conf_defaults(&tmp);
	if (path == NULL)
		path = conf_search();
	tmp.auto_paths = CONF_AUTO_DATA_DIR;
	if (path != NULL && conf_read_file(&tmp, path, err, errlen) == -1)
		return -1;
	if (conf_derive(&tmp, err, errlen) == -1)
		return -1;
	*c = tmp;
	return 0;
}

/* The default search: the first file that exists, or NULL for defaults. */
static const char *
conf_search(void)
{
	if (access(CONF_SEARCH_1, F_OK) == 0)
		return CONF_SEARCH_1;
	if (access(CONF_SEARCH_2, F_OK) == 0)
		return CONF_SEARCH_2;
	return NULL;
}

static int
conf_read_file(struct conf *c, const char *path, char *err, size_t errlen)
{
	int seen[CONF_NKEYS] = { 0 };
	struct conf_reader r = { .file = path, .c = c, .seen = seen,
		.err = err, .errlen = errlen };
	int rc;

	if (strlen(path) >= sizeof(c->path)) {
		snprintf(err, errlen, "path too long: '%.64s...'", path);
		return -1;
	}
	strcpy(c->path, path);
	if ((r.f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	rc = conf_parse(&r);
	free(r.buf);
	fclose(r.f);
	return rc;
}

/* Run inih over the open file; turn any complaint into one message. */
static int
conf_parse(struct conf_reader *r)
{
	int rc = ini_parse_stream(conf_reader_next, r, conf_handle, r);

	if (r->failed)
		return -1;
	if (r->read_errno != 0) {
		snprintf(r->err, r->errlen, "cannot read '%s': %s", r->file,
		    strerror(r->read_errno));
		return -1;
	}
	if (rc > 0) {
		r->line = rc;
		return conf_fail(r, "expected '[section]' or 'key = value'");
	}
	if (rc != 0) {
		snprintf(r->err, r->errlen, "cannot parse '%s'", r->file);
		return -1;
	}
	return 0;
}

/*
 * inih's reader: hand over one checked line, or NULL to end the parse (at
 * EOF, on a read error, or after the first problem).
 */
static char *
conf_reader_next(char *str, int num, void *stream)
{
	struct conf_reader *r = stream;
	ssize_t n;

	if (r->failed)
		return NULL;
	errno = 0;
	if ((n = getline(&r->buf, &r->cap, r->f)) == -1) {
		if (ferror(r->f))
			r->read_errno = errno ? errno : EIO;
		return NULL;
	}
	r->line++;
	if (conf_check_line(r, r->buf, (size_t)n) == -1)
		return NULL;
	if ((size_t)n >= (size_t)num) {
		conf_fail(r, "line too long (max %d characters)",
		    CONF_LINE_MAX);
		return NULL;
	}
	memcpy(str, r->buf, (size_t)n + 1);
	return str;
}

/* Refuse what inih would accept but mangle.  0 if the line is fine. */
static int
conf_check_line(struct conf_reader *r, const char *line, size_t n)
{
	const char *s;

	if (strlen(line) != n)
		return conf_fail(r, "line contains a NUL byte");
	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (n > CONF_LINE_MAX)
		return conf_fail(r, "line too long (max %d characters)",
		    CONF_LINE_MAX);
	if (r->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;
	for (s = line; isspace((unsigned char)*s); s++)
		;
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (s > line)
		return conf_fail(r, "indented line: berth does not accept "
		    "continuation lines");
	if (*s == '[')
		return conf_check_section(r, s + 1);
	return conf_check_name(r, s);
}

/* s follows the '['. */
static int
conf_check_section(struct conf_reader *r, const char *s)
{
	const char *end = strchr(s, ']'), *rest;
	size_t n;

	if (end == NULL)
		return conf_fail(r, "missing ']' after section name");
	n = (size_t)(end - s);
	if (n > CONF_KEY_MAX)
		return conf_fail(r, "section name too long (max %d characters)",
		    CONF_KEY_MAX);
	for (rest = end + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest != '\0' && *rest != ';')
		return conf_fail(r, "unexpected text after ']'");
	if (!conf_section_known(s, n))
		return conf_fail(r, "unknown section '%.*s'", (int)n, s);
	return 0;
}

/* s starts a "key = value" line (inih also takes "key: value"). */
static int
conf_check_name(struct conf_reader *r, const char *s)
{
	size_t n = strcspn(s, "=:");

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n > CONF_KEY_MAX)
		return conf_fail(r, "key name too long (max %d characters)",
		    CONF_KEY_MAX);
	return 0;
}

/* inih's handler: nonzero means the pair was accepted. */
static int
conf_handle(void *user, const char *section, const char *name,
    const char *value)
{
	return conf_set(user, section, name, value) == 0;
}

/* Find the key, refuse a second setting, check and store the value. */
static int
conf_set(struct conf_reader *r, const char *section, const char *name,
    const char *value)
{
	const struct conf_key *k;
	const char *why = NULL;
	char buf[128];
	size_t i;

	if (*section == '\0')
		return conf_fail(r, "key '%s' before any [section]", name);
	if ((k = conf_key_find(section, name)) == NULL)
		return conf_fail(r, "unknown key '%s.%s'", section, name);
	i = (size_t)(k - conf_keys);
	if (r->seen[i])
		return conf_fail(r, "duplicate key '%s.%s' (first set on "
		    "line %d)", section, name, r->seen[i]);
	r->seen[i] = r->line;
	r->c->auto_paths &= ~k->auto_bit;
	if (k->check != NULL)
		why = k->check(value);
	if (why == NULL &&
	    conf_setters[k->type](k, r->c, value, buf, sizeof(buf)) == -1)
		why = buf;
	if (why != NULL)
		return conf_fail(r, "bad value '%.64s%s' for '%s.%s': %s",
		    value, strlen(value) > 64 ? "..." : "", section, name, why);
	return 0;
}

/*
 * Make every path absolute against the base (the file's directory, or the
 * current one), and fill in the ones left empty: the host key and router
 * files under data_dir, the buildpacks shipped with this binary.
 */
static int
conf_derive(struct conf *c, char *err, size_t errlen)
{
	char base[PATH_MAX];

	if (conf_base(c, base, sizeof(base)) == -1) {
		snprintf(err, errlen, "cannot resolve the directory of '%s': %s",
		    c->path[0] ? c->path : ".", strerror(errno));
		return -1;
	}
	/* an app named "a--b" answers at a--b.BASE_DOMAIN: previews
	 * (core/preview.h) must live under another name */
	if (strcmp(c->preview_domain, c->base_domain) == 0) {
		snprintf(err, errlen, "[previews] domain: must not be [router]"
		    " base_domain ('%s'), whose names are the apps'",
		    c->base_domain);
		return -1;
	}
	if (c->host_key[0] == '\0')
		c->auto_paths |= CONF_AUTO_HOST_KEY;
	if (c->router_config_dir[0] == '\0')
		c->auto_paths |= CONF_AUTO_ROUTER_DIR;
	/* checked by check_listen_opt when it was read */
	if (c->https_listen[0] != '\0' && conf_parse_listen(c->https_listen,
	    c->https_listen_addr, sizeof(c->https_listen_addr),
	    &c->https_listen_port) == -1) {
		snprintf(err, errlen, "https_listen: not a numeric address:port");
		return -1;
	}
	if (c->buildpacks_dir[0] == '\0') {
		c->auto_paths |= CONF_AUTO_BUILDPACKS;
		if (conf_shipped_buildpacks(c->buildpacks_dir,
		    sizeof(c->buildpacks_dir)) == -1) {
			snprintf(err, errlen, "cannot find the shipped "
			    "buildpacks: %s; set [build] buildpacks_dir",
			    strerror(errno));
			return -1;
		}
	}
	if (conf_resolve(c->data_dir, sizeof(c->data_dir), base) == -1 ||
	    conf_resolve(c->host_key, sizeof(c->host_key), base) == -1 ||
	    conf_resolve(c->router_config_dir, sizeof(c->router_config_dir),
	    base) == -1 ||
	    conf_resolve(c->buildpacks_dir, sizeof(c->buildpacks_dir),
	    base) == -1 || conf_resolve(c->acme_ca_root,
	    sizeof(c->acme_ca_root), base) == -1 || conf_resolve(c->export_base,
	    sizeof(c->export_base), base) == -1 ||
	    conf_resolve(c->source_ca_file, sizeof(c->source_ca_file),
	    base) == -1 || conf_resolve(c->preview_cert,
	    sizeof(c->preview_cert), base) == -1 || conf_resolve(c->preview_key,
	    sizeof(c->preview_key), base) == -1 || conf_derive_data(c) == -1) {
		snprintf(err, errlen, "path too long under '%.64s...'", base);
		return -1;
	}
	/* a root Caddy cannot read would make it refuse every config */
	if (c->acme_ca_root[0] != '\0' && access(c->acme_ca_root, R_OK) == -1) {
		snprintf(err, errlen, "acme_ca_root: cannot read '%s': %s",
		    c->acme_ca_root, strerror(errno));
		return -1;
	}
	if (c->source_ca_file[0] != '\0' &&
	    access(c->source_ca_file, R_OK) == -1) {
		snprintf(err, errlen, "[webhooks] ca_file: cannot read '%s': %s",
		    c->source_ca_file, strerror(errno));
		return -1;
	}
	if (conf_wildcard_check(c, err, errlen) == -1)
		return -1;
	return conf_check_export_base(c, err, errlen);
}

/* [export] base, when set, is an OCI layout: its index.json readable. */
static int
conf_check_export_base(const struct conf *c, char *err, size_t errlen)
{
	char index[PATH_MAX];

	if (c->export_base[0] == '\0')
		return 0;
	if (pathf(index, sizeof(index), "%s/index.json", c->export_base) == -1 ||
	    access(index, R_OK) == -1) {
		snprintf(err, errlen, "[export] base: cannot read '%.512s/index.json'"
		    " (an OCI image layout): %s", c->export_base, strerror(errno));
		return -1;
	}
	return 0;
}

/* The directory relative paths are relative to; c->path becomes absolute. */
static int
conf_base(struct conf *c, char *base, size_t len)
{
	char cwd[PATH_MAX], dir[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	if (c->path[0] == '\0')
		return pathf(base, len, "%s", cwd);
	if (conf_resolve(c->path, sizeof(c->path), cwd) == -1)
		return -1;
	memcpy(dir, c->path, sizeof(dir));
	return pathf(base, len, "%s", dirname(dir));
}

/* An empty or absolute path stays; "x" and "./x" become "BASE/x". */
static int
conf_resolve(char *path, size_t len, const char *base)
{
	char joined[PATH_MAX];
	const char *rel = path;

	if (path[0] == '\0' || path[0] == '/')
		return 0;
	while (rel[0] == '.' && rel[1] == '/')
		for (rel += 2; *rel == '/'; rel++)
			;
	if (strcmp(rel, ".") == 0 || *rel == '\0')
		rel = "";
	if (pathf(joined, sizeof(joined), "%s%s%s", base,
	    strcmp(base, "/") == 0 || *rel == '\0' ? "" : "/", rel) == -1 ||
	    strlen(joined) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(path, joined);
	return 0;
}

/* The paths berth chose under data_dir.  0 or -1 (too long). */
static int
conf_derive_data(struct conf *c)
{
	if ((c->auto_paths & CONF_AUTO_HOST_KEY) &&
	    pathf(c->host_key, sizeof(c->host_key), "%s/host_ed25519",
	    c->data_dir) == -1)
		return -1;
	if ((c->auto_paths & CONF_AUTO_ROUTER_DIR) &&
	    pathf(c->router_config_dir, sizeof(c->router_config_dir),
	    "%s/router", c->data_dir) == -1)
		return -1;
	return 0;
}

int
conf_move_data_dir(struct conf *c, const char *dir, char *err, size_t errlen)
{
	struct conf tmp = *c;

	if (pathf(tmp.data_dir, sizeof(tmp.data_dir), "%s", dir) == -1 ||
	    conf_derive_data(&tmp) == -1) {
		snprintf(err, errlen, "path too long under '%.64s...'", dir);
		return -1;
	}
	*c = tmp;
	return 0;
}

int
conf_shipped_buildpacks(char *out, size_t len)
{
	char exe[PATH_MAX], *slash;
	struct stat sb;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL) {
		errno = ENOENT;
		return -1;
	}
	*slash = '\0';
	if (pathf(out, len, "%s/buildpacks", exe) == -1)
		return -1;
	if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode))
		return 0;
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	return pathf(out, len, "%s/lib/berth/buildpacks", exe);
}

/* Record the first problem as "FILE:LINE: problem".  Returns -1. */
static int
conf_fail(struct conf_reader *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->failed++)
		return -1;
	n = snprintf(r->err, r->errlen, "%s:%d: ", r->file, r->line);
	if (n < 0 || (size_t)n >= r->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct conf_key *
conf_key_find(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

static int
conf_section_known(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strlen(conf_keys[i].section) == n &&
		    memcmp(conf_keys[i].section, s, n) == 0)
			return 1;
	return 0;
}

/*
 * Setters: parse value into k's field of c.  0, or -1 with the reason in
 * why (the caller adds file, line, key and value).
 */

static int
set_string(const struct conf_key *k, struct conf *c, const char *v,
    char *why, size_t whylen)
{
	if (strlen(v) >= k->size) {
		snprintf(why, whylen, "too long (max %zu characters)",
		    k->size - 1);
		return -1;
	}
	strcpy((char *)c + k->off, v);
	return 0;
}

static int
set_int(const struct conf_key *k, struct conf *c, const char *v, char *why,
    size_t whylen)
{
	const char *digits = v[0] == '-' ? v + 1 : v;
	long long n;

	if (num_parse(v, k->min, k->max, &n) == 0) {
		*(int *)((char *)c + k->off) = (int)n;
		return 0;
	}
	if (*digits != '\0' && digits[strspn(digits, "0123456789")] == '\0')
		snprintf(why, whylen, "must be between %ld and %ld", k->min,
		    k->max);
	else
		snprintf(why, whylen, "not an integer");
	return -1;
}

static int
set_bool(const struct conf_key *k, struct conf *c, const char *v, char *why,
    size_t whylen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*(int *)((char *)c + k->off) = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	snprintf(why, whylen, "not a boolean (yes/no, true/false, on/off, "
	    "1/0)");
	return -1;
}

static int
set_size(const struct conf_key *k, struct conf *c, const char *v, char *why,
    size_t whylen)
{
	uint64_t n;

	if (conf_parse_size(v, &n) == -1) {
		snprintf(why, whylen, "not a size (such as 1024, 512K, 100M, "
		    "1G)");
		return -1;
	}
	if (n < (uint64_t)k->min) {
		snprintf(why, whylen, "must be at least %ld", k->min);
		return -1;
	}
	if (k->max > 0 && n > (uint64_t)k->max) {
		snprintf(why, whylen, "must be at most %ld", k->max);
		return -1;
	}
	*(uint64_t *)((char *)c + k->off) = n;
	return 0;
}

static int
set_listen(const struct conf_key *k, struct conf *c, const char *v,
    char *why, size_t whylen)
{
	int port;

	if (conf_parse_listen(v, (char *)c + k->off, k->size, &port) == -1) {
		snprintf(why, whylen, "not a numeric address:port (such as "
		    "127.0.0.1:2222 or [::1]:2222)");
		return -1;
	}
	*(int *)((char *)c + k->port_off) = port;
	return 0;
}

static int
set_enum(const struct conf_key *k, struct conf *c, const char *v, char *why,
    size_t whylen)
{
	const char *const *p;
	size_t n;

	for (p = k->choices; *p != NULL; p++)
		if (strcmp(v, *p) == 0)
			return set_string(k, c, v, why, whylen);
	n = (size_t)snprintf(why, whylen, "must be one of:");
	for (p = k->choices; *p != NULL && n < whylen; p++)
		n += (size_t)snprintf(why + n, whylen - n, " %s", *p);
	return -1;
}

/*
 * Validators: the problem with a raw value, or NULL.  They run before the
 * setter, for string keys that have a shape to keep.
 */

static const char *
check_nonempty(const char *v)
{
	return *v == '\0' ? "must not be empty" : NULL;
}

/* A plain branch name, a little stricter than git check-ref-format. */
static const char *
check_branch(const char *v)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./";
	const char *bad = "not a plain branch name";
	const char *part;
	size_t n = strlen(v), len;

	if (n == 0 || strspn(v, ok) != n || v[0] == '-' || v[n - 1] == '.' ||
	    strstr(v, "..") != NULL)
		return bad;
	for (part = v; ; part += len + 1) {
		len = strcspn(part, "/");
		if (len == 0 || part[0] == '.' ||
		    (len >= 5 && strncmp(part + len - 5, ".lock", 5) == 0))
			return bad; /* also "/x", "x/", "x//y" */
		if (part[len] == '\0')
			return NULL;
	}
}

/* RFC 1123: dot-separated labels of 1..63 of [a-z0-9-], no '-' at
 * either end of a label; 253 characters in all. */
static const char *
check_hostname(const char *v)
{
	const char *bad = "not a lower-case host name";
	size_t n = strlen(v), len;

	if (n == 0 || n > 253)
		return bad;
	for (;; v += len + 1) {
		len = strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (len == 0 || len > 63 || v[0] == '-' || v[len - 1] == '-')
			return bad;
		if (v[len] == '\0')
			return NULL;
		if (v[len] != '.')
			return bad;
	}
}

/* The path berth requests to check an app's health. */
static const char *
check_url_path(const char *v)
{
	if (v[0] != '/')
		return "must start with '/'";
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || *v == 0x7f)
			return "must not contain spaces or control characters";
	return NULL;
}

/* Empty (no dashboard), an absolute unix socket path, or a numeric
 * loopback address:port: the proxy in front reaches it, nobody else. */
static const char *
check_dash_listen(const char *v)
{
	char addr[CONF_ADDR_MAX];
	int port;

	if (*v == '\0' || (*v == '/' && strlen(v) < 108 && strspn(v,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "/._-") == strlen(v)))
		return NULL; /* a path the proxies' configs carry as it is */
	if (conf_parse_listen(v, addr, sizeof(addr), &port) == 0 &&
	    (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0))
		return NULL;
	return "not a unix socket path (/..., letters, digits, '/._-'), a "
	    "loopback address:port "
	    "(such as 127.0.0.1:8099), nor empty";
}

/* Empty, or 16 to 128 characters of [A-Za-z0-9._-]: it is compared with
 * a bearer token, never written into a config file. */
static const char *
check_token(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || (n >= 16 && n <= 128 && strspn(v, "abcdefghijklmnopq"
	    "rstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n))
		return NULL;
	return "not a token of 16 to 128 letters, digits, '.', '_' or '-'";
}

/* Empty (no HTTPS listener) or a numeric address:port. */
/* [previews] domain: empty (preview.BASE_DOMAIN) or a host name */
static const char *
check_hostname_opt(const char *v)
{
	return *v == '\0' || check_hostname(v) == NULL ? NULL :
	    "not a lower-case host name, nor empty";
}

static const char *
check_listen_opt(const char *v)
{
	char addr[CONF_ADDR_MAX];
	int port;

	if (*v == '\0' || conf_parse_listen(v, addr, sizeof(addr), &port) == 0)
		return NULL;
	return "not a numeric address:port (such as 0.0.0.0:443), nor empty";
}

/* Empty, or local@host with a plain local part: it goes into certbot's
 * argv and Caddy's JSON. */
static const char *
check_email(const char *v)
{
	static const char local[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-";
	const char *at = strchr(v, '@');
	char host[CONF_NAME_MAX];
	size_t i;

	if (*v == '\0')
		return NULL;
	if (at == NULL || at == v || v[0] == '-' ||
	    strspn(v, local) != (size_t)(at - v))
		return "not an email address (local@host.name)";
	for (i = 0; at[1 + i] != '\0' && i < sizeof(host) - 1; i++)
		host[i] = (char)tolower((unsigned char)at[1 + i]);
	host[i] = '\0';
	return check_hostname(host) == NULL && strchr(host, '.') != NULL ?
	    NULL : "not an email address (local@host.name)";
}

/* An https:// URL without spaces, quotes or control characters. */
static const char *
check_https_url(const char *v)
{
	if (strncmp(v, "https://", 8) != 0 || v[8] == '\0' || v[8] == '/')
		return "must be an https:// URL";
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || *v == 0x7f || *v == '"' ||
		    *v == '\\')
			return "must not contain spaces, quotes or control"
			    " characters";
	return NULL;
}

int
conf_https(const struct conf *c)
{
	return strcmp(c->router_https, "auto") == 0 && c->https_listen_port > 0;
}

int
conf_parse_listen(const char *s, char *addr, size_t addrlen, int *port)
{
	char host[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *h = s, *colon;
	int family = AF_INET, p;
	size_t n;

	if (*s == '[') {
		if ((colon = strchr(s, ']')) == NULL || colon[1] != ':')
			return -1;
		h = s + 1;
		n = (size_t)(colon++ - h);
		family = AF_INET6;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		n = (size_t)(colon - s);
	}
	if (n == 0 || n >= sizeof(host) || n >= addrlen ||
	    parse_port(colon + 1, &p) == -1)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (inet_pton(family, host, bin) != 1)
		return -1;
	memcpy(addr, host, n + 1);
	*port = p;
	return 0;
}

/* 1..65535, digits only. */
static int
parse_port(const char *s, int *port)
{
	long n = 0;
	size_t i;

	for (i = 0; isdigit((unsigned char)s[i]); i++)
		if ((n = n * 10 + (s[i] - '0')) > 65535)
			return -1;
	if (i == 0 || s[i] != '\0' || n == 0)
		return -1;
	*port = (int)n;
	return 0;
}

int
conf_parse_size(const char *s, uint64_t *out)
{
	uint64_t n = 0;
	unsigned d;
	int shift;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		d = (unsigned)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	if ((shift = size_shift(s)) == -1 || n > UINT64_MAX >> shift)
		return -1;
	*out = n << shift;
	return 0;
}

/* "", "K", "M", "G" (either case) as a power of two; -1 otherwise. */
static int
size_shift(const char *suffix)
{
	if (suffix[0] == '\0')
		return 0;
	if (suffix[1] != '\0')
		return -1;
	switch (toupper((unsigned char)suffix[0])) {
	case 'K':
		return 10;
	case 'M':
		return 20;
	case 'G':
		return 30;
	}
	return -1;
}
