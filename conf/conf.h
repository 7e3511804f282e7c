/*
 * conf.h - berth's configuration: one struct, filled from built-in defaults
 * and then from an ini file (inih).  Every key is optional.  The table of keys
 * lives in conf.c; an unknown key, a bad value, or an ini construct that
 * Debian's inih would silently mangle (long lines, indented continuation
 * lines, long names) is an error that names the file and the line.
 *
 * The loaded struct is the only global state berth keeps; it is filled once
 * at start (and again on SIGHUP) and read everywhere else.
 */
#ifndef BERTH_CONF_H
#define BERTH_CONF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_ADDR_MAX 64
#define CONF_NAME_MAX 256

struct conf {
	char path[PATH_MAX]; /* file that was read; "" when only defaults */
	char test_pause[32]; /* not from the ini: core/testpoint.h */

	/* [server] */
	char listen_addr[CONF_ADDR_MAX]; /* "127.0.0.1", "::1", "0.0.0.0" */
	int listen_port;                 /* 2222 */
	char data_dir[PATH_MAX];         /* ./berth-data */
	char host_key[PATH_MAX];         /* default: DATA_DIR/host_ed25519 */
	char deploy_branch[CONF_NAME_MAX]; /* main */
	uint64_t max_push_size;          /* bytes, "1G" in the file */
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

	/* [router] */
	char router_kind[16];            /* caddy | nginx */
	int router_manage;               /* yes/no */
	char http_listen_addr[CONF_ADDR_MAX];
	int http_listen_port;            /* 127.0.0.1:8080 */
	char router_config_dir[PATH_MAX]; /* default: DATA_DIR/router */
	char router_reload[PATH_MAX];    /* command for an unmanaged proxy */
	char base_domain[CONF_NAME_MAX]; /* localhost */
	char router_https[8];            /* auto | off (Caddy's automatic HTTPS) */
	uint64_t router_max_body;        /* request body limit, "100M" */

	/* [build] */
	int build_timeout;               /* seconds, 900 */
	int build_concurrency;           /* 2 */
	char buildpacks_dir[PATH_MAX];   /* default: ./buildpacks */
	int keep_releases;               /* 5 */
	uint64_t build_memory_limit;     /* bytes, "1G" */

	/* [health] */
	char health_path[CONF_NAME_MAX]; /* / */
	int health_timeout;              /* seconds, 30 */
	int health_grace;                /* seconds, 5 */
};

/* Fill c with the built-in defaults (data dir ./berth-data, listen
 * 127.0.0.1:2222, ...).  Never fails. */
void conf_defaults(struct conf *c);

/*
 * Load the configuration: defaults first, then the file.  path NULL means the
 * default search: ./berth.ini if present, else /etc/berth/berth.ini if
 * present, else defaults only.  An explicit path that cannot be read is an
 * error.  Derived values (host_key, router_config_dir when empty) are filled
 * in after the file is read.
 * Returns 0 on success; -1 with a message "FILE:LINE: problem" (or
 * "cannot open 'FILE': reason") in err, and *c left unchanged (so a failed
 * reload keeps the running configuration).
 */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);

/* Parse "host:port", "[v6]:port" into addr/port. 0 on success, -1 if bad. */
int conf_parse_listen(const char *s, char *addr, size_t addrlen, int *port);

/* Parse a size: "1024", "512K", "100M", "1G" (powers of 1024). 0 or -1. */
int conf_parse_size(const char *s, uint64_t *out);

#endif
