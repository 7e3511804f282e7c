/*
 * conf.h - berth's configuration: one struct, filled from built-in defaults
 * and then from an ini file (inih).  Every key is optional.  The table of keys
 * lives in conf.c; an unknown key, a bad value, or an ini construct that
 * Debian's inih would silently mangle (long lines, indented continuation
 * lines, long names) is an error that names the file and the line.
 *
 * The loaded struct is the only global state berth keeps; it is filled once
 * at start and read everywhere else (a changed file takes a restart).
 */
#ifndef BERTH_CONF_H
#define BERTH_CONF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_ADDR_MAX 64
#define CONF_NAME_MAX 256

/* Paths berth chose, not the file (struct conf's auto_paths). */
#define CONF_AUTO_DATA_DIR   0x1 /* ./berth-data, relative to the base */
#define CONF_AUTO_HOST_KEY   0x2 /* DATA_DIR/host_ed25519 */
#define CONF_AUTO_ROUTER_DIR 0x4 /* DATA_DIR/router */
#define CONF_AUTO_BUILDPACKS 0x8 /* the buildpacks shipped with berth */

struct conf {
	char path[PATH_MAX]; /* absolute path of the file read; "" if none */
	char test_pause[32]; /* not from the ini: core/testpoint.h */
	unsigned auto_paths; /* CONF_AUTO_*: which paths berth chose */

	/* [server] */
	char listen_addr[CONF_ADDR_MAX]; /* "127.0.0.1", "::1", "0.0.0.0" */
	int listen_port;                 /* 2222 */
	char data_dir[PATH_MAX];         /* BASE/berth-data */
	char host_key[PATH_MAX];         /* default: DATA_DIR/host_ed25519 */
	char deploy_branch[CONF_NAME_MAX]; /* main */
	uint64_t max_push_size;          /* bytes, "1G" in the file */
	uint64_t max_object_size;        /* one object, inflated: 100M */
	uint64_t max_push_inflated;      /* a push's objects, inflated: 8G */
	int max_connections;             /* 64 */
	int auth_timeout;                /* seconds to authenticate, 30 */
	int idle_timeout;                /* seconds of silence mid-protocol, 300 */
	int max_unauthenticated;         /* connections still logging in, 16 */
	int auth_timeout_busy;           /* seconds a login is safe from being
	                                  * dropped when the slots are full, 5 */
	int per_address_connections;     /* at once from one address, 16 */
	int auth_fail_limit;             /* failed logins a minute per address, 10 */
	int auth_fail_block;             /* seconds such an address is refused, 300 */
	int lock_timeout;                /* seconds to wait for a busy app, 120 */
	int pack_timeout;                /* seconds a push may hold its app's lock
	                                  * before its pack is in, 600 */
	int app_uid_base;                /* 2000000000: apps base + id, builds +1e9 */
	int app_max_processes;           /* 1024: RLIMIT_NPROC of an app's uid */
	int log_generations;             /* rotated files kept of each process's
	                                  * log (TYPE.N.log.1 ...), 3 */

	/* [router] */
	char router_kind[16];            /* caddy | nginx */
	int router_manage;               /* yes/no */
	char http_listen_addr[CONF_ADDR_MAX];
	int http_listen_port;            /* 127.0.0.1:8080 */
	char router_config_dir[PATH_MAX]; /* default: DATA_DIR/router */
	char router_reload[PATH_MAX];    /* command for an unmanaged proxy */
	char base_domain[CONF_NAME_MAX]; /* localhost */
	char router_https[8];            /* auto | off */
	char https_listen[CONF_ADDR_MAX + 8]; /* "" (no TLS) or addr:port */
	char https_listen_addr[CONF_ADDR_MAX]; /* derived from https_listen */
	int https_listen_port;           /* 0 when https_listen is empty */
	char acme_email[CONF_NAME_MAX];  /* "" (no account email) */
	char acme_ca[CONF_NAME_MAX];     /* the ACME directory URL */
	char acme_ca_root[PATH_MAX];     /* "" or a PEM file: the CA's TLS root */
	uint64_t router_max_body;        /* request body limit, "100M" */

	/* [build] */
	int build_timeout;               /* seconds, 900 */
	int build_concurrency;           /* 2 */
	char buildpacks_dir[PATH_MAX];   /* default: the shipped ones */
	int keep_releases;               /* 5 */
	uint64_t build_memory_limit;     /* bytes, "1G" */
	uint64_t build_max_export;       /* files a deploy exports, "2G" */

	/* [webhooks] (core/webhook.h, web/web_hooks.c); a delivery's body
	 * is capped by [dashboard] max_body_size */
	int webhook_rate_limit;          /* deliveries an app accepts a minute, 10 */
	char source_ca_file[PATH_MAX];   /* CAs for https sources; "": libgit2's
	                                  * own, the system's store */
	int source_fetch_timeout;        /* seconds a fetch may take, 300 */

	/* [upkeep] (gitd/gitd_gc.h, core/upkeep.h) */
	int upkeep_interval;             /* seconds between retention passes, 600 */
	int gc_auto_packs;               /* repack a repo with this many packs, 8;
	                                  * 0: only on demand (apps:gc) */
	int gc_grace_days;               /* unreachable objects kept, 14 days */
	uint64_t min_free_space;         /* pushes refused below, "1G"; 0 off */
	int keep_archives;               /* release archives kept per app, 10 */
	int archive_max_days;            /* and none older, 0 (no age limit) */
	uint64_t cache_max_size;         /* one app's build cache, "1G" */
	int keep_deploys;                /* deploy rows (and logs) per app, 100 */
	int audit_max_days;              /* audit rows kept, 365 days */
	int logs_max_days;               /* logs of processes gone, 30 days */

	/* [cron] (run/cron_sched.h) */
	int cron_timeout;                /* seconds a scheduled job may run, 3600 */

	/* [dashboard] (web/) */
	char dash_listen[PATH_MAX];      /* "" (off), a unix socket path, or a
	                                  * loopback address:port */
	char dash_host[CONF_NAME_MAX];   /* "" or the host name the proxy routes */
	uint64_t dash_max_body;          /* a request's body, "64K" */
	int dash_login_ttl;              /* seconds a login link works, 300 */
	int dash_session_ttl;            /* seconds a session lasts, 43200 */
	char dash_metrics_token[CONF_NAME_MAX]; /* "" (/metrics off) */

	/* [health] */
	char health_path[CONF_NAME_MAX]; /* / */
	int health_timeout;              /* seconds, 30 */
	int health_grace;                /* seconds, 5 */

	/* [previews] (core/preview.h) */
	char preview_domain[CONF_NAME_MAX]; /* "": preview.BASE_DOMAIN */
	int preview_max;                 /* previews per app, 5 */
	int preview_ttl;                 /* seconds without a push, 7 days */
	char preview_cert[PATH_MAX];     /* "" or *.DOMAIN's PEM chain */
	char preview_key[PATH_MAX];      /* "" or its PEM key */

	/* [export] (export/export.h) */
	char export_base[PATH_MAX];      /* "" (berth's own) or an OCI layout dir */
	int export_user;                 /* the image's uid and gid, 10001 */
	int export_port;                 /* the image's PORT, 5000 */
};

/* The names [router] kind may take, NULL-terminated: the proxies
 * router/ has a back end for. */
extern const char *const conf_router_kinds[];

/* Fill c with the built-in defaults (data dir ./berth-data, listen
 * 127.0.0.1:2222, ...): each key's default in conf.c's table.  Never
 * fails. */
void conf_defaults(struct conf *c);

/* Key i of the table: its section, name and default as berth.ini spells
 * it.  0, or -1 past the last key. */
int conf_key_default(size_t i, const char **section, const char **name,
    const char **def);

/*
 * Load the configuration: defaults first, then the file.  path NULL means the
 * default search: ./berth.ini if present, else /etc/berth/berth.ini if
 * present, else defaults only.  An explicit path that cannot be read is an
 * error.  After the file is read, every path is made absolute, once:
 * relative ones (data_dir, host_key, config_dir, buildpacks_dir, defaults
 * included) resolve against the directory of the file, or against the
 * current directory when there is no file.  Paths left empty are derived:
 * host_key and router_config_dir under data_dir, buildpacks_dir the
 * buildpacks shipped with this binary (conf_shipped_buildpacks).
 * Returns 0 on success; -1 with a message "FILE:LINE: problem" (or
 * "cannot open 'FILE': reason") in err, and *c left unchanged.
 */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);

/* Point c at another data dir (an absolute path), and with it the paths
 * derived from it (host_key, router_config_dir when berth chose them).
 * 0, or -1 with err if a path gets too long (c unchanged). */
int conf_move_data_dir(struct conf *c, const char *dir, char *err,
    size_t errlen);

/* The buildpacks shipped with the running binary: DIR/buildpacks when that
 * directory exists beside it (a berth run from its checkout), else
 * DIR/../lib/berth/buildpacks (an installed berth: /usr/bin/berth uses
 * /usr/lib/berth/buildpacks).  0, or -1 (errno) if /proc/self/exe cannot
 * be read or the path is too long. */
int conf_shipped_buildpacks(char *out, size_t len);

/* Parse "host:port", "[v6]:port" into addr/port. 0 on success, -1 if bad. */
int conf_parse_listen(const char *s, char *addr, size_t addrlen, int *port);

/* [previews] cert and key (conf_wildcard.c): both empty, or a readable
 * PEM chain whose certificate covers *.DOMAIN (core/preview.h) and the
 * key that matches it, at paths a proxy's config can carry.  0, or -1
 * with what is wrong in err.  conf_load calls it. */
int conf_wildcard_check(const struct conf *c, char *err, size_t errlen);
/* The same for the files' content crt and key, read from c's paths. */
int conf_wildcard_check_pem(const struct conf *c, const char *crt,
    const char *key, char *err, size_t errlen);
#define CONF_PEM_MAX (1024 * 1024) /* a PEM chain or key, bytes */
/* The PEM file at path (at most CONF_PEM_MAX bytes), malloc'd and
 * NUL-terminated, or NULL with errno. */
char *conf_read_pem(const char *path);

/* 1 when the proxy serves HTTPS: [router] https = auto and https_listen set. */
int conf_https(const struct conf *c);

/* Parse a size: "1024", "512K", "100M", "1G" (powers of 1024). 0 or -1. */
int conf_parse_size(const char *s, uint64_t *out);

#endif
