/*
 * router_caddy.c - Caddy as the router, through its admin API.
 *
 * berth renders Caddy's whole JSON config from the routing table and POSTs
 * it to /load.  Caddy provisions the new config completely before it
 * switches to it, and answers with an error (leaving the running config in
 * place) if anything in it is invalid: that is the validation, and it is
 * atomic for all apps at once.  Why the API and not a Caddyfile per app:
 * no file formats to quote, no `caddy reload` that could apply half a
 * directory, and the error text comes straight from Caddy.
 *
 * Servers: "berth" listens on [router] http_listen without automatic HTTPS;
 * with HTTPS on, real domains also go to "berth_tls" on https_listen with
 * Caddy's automatic HTTPS (router_caddy_tls.c), and their HTTP redirects
 * there once Caddy holds their certificate.  In managed mode the admin API listens on a unix
 * socket in CONFIG_DIR/caddy/home; unmanaged, on Caddy's default
 * localhost:2019.
 *
 * A managed Caddy started by a root berth runs as its own uid
 * (ident_of_proxy), with only CAP_NET_BIND_SERVICE.  What it may write is
 * CONFIG_DIR/caddy/home (its state, certificates, pid file and admin
 * socket); the config berth writes and the log stay root's in
 * CONFIG_DIR/caddy, so it cannot steer berth's writes with a symlink, and
 * its pid file only counts when it names a process of that uid.  The
 * config with the apps' routes reaches Caddy only over the admin socket;
 * the copy berth keeps (config.json) is root's alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/ident.h"
#include "core/log.h"
#include "core/path.h"
#include "core/testpoint.h"
#include "router/router.h"
#include "router/router_caddy_admin.h"
#include "router/router_tls.h"

#define CADDY "/usr/bin/caddy"

static json_t *
route_handlers(const struct route *r)
{
	json_t *h = json_array(), *ups;
	char body[128];

	if (r->dial[0] != '\0') { /* berth's endpoint; streams unbuffered */
		char dial[PATH_MAX + 8];
		snprintf(dial, sizeof(dial), "%s%s", r->dial[0] == '/' ?
		    "unix/" : "", r->dial);
		json_array_append_new(h, json_pack("{s:s, s:[{s:s}], s:i}",
		    "handler", "reverse_proxy", "upstreams", "dial", dial,
		    "flush_interval", -1));
	} else if (r->page != NULL) { /* maintenance: the processes run on */
		json_array_append_new(h, json_pack("{s:s, s:i, s:{s:[s], s:[s]},"
		    " s:s}", "handler", "static_response", "status_code", 503,
		    "headers", "Content-Type", "text/html; charset=utf-8",
		    "Retry-After", "120", "body", r->page));
	} else if (r->nports > 0) {
		ups = json_array();
		for (size_t i = 0; i < r->nports; i++) {
			char dial[32];
			snprintf(dial, sizeof(dial), "127.0.0.1:%d", r->ports[i]);
			json_array_append_new(ups, json_pack("{s:s}", "dial", dial));
		}
		/* an upstream that refuses (its process just died, berth serve
		 * restarts it) is skipped for 300 ms, and a request waits up
		 * to 5 s for one that answers: no 502 while one of several
		 * instances restarts, nor while the only one does */
		json_array_append_new(h, json_pack("{s:s, s:o, s:{s:s, s:s},"
		    " s:{s:{s:s, s:i}}}", "handler", "reverse_proxy", "upstreams",
		    ups, "load_balancing", "try_duration", "5s", "try_interval",
		    "50ms", "health_checks", "passive", "fail_duration", "300ms",
		    "max_fails", 1));
	} else if (r->static_root[0] != '\0') {
		json_array_append_new(h, json_pack("{s:s, s:s}", "handler",
		    "file_server", "root", r->static_root));
	} else {
		snprintf(body, sizeof(body), "app %s has no running web process\n",
		    r->app);
		json_array_append_new(h, json_pack("{s:s, s:i, s:s}", "handler",
		    "static_response", "status_code", 503, "body", body));
	}
	return h;
}

/* Routes of one server: the apps' hosts that belong on it. */
/*
 * The body size limit, once for the whole server (one compiled expression,
 * not one per app: a config with hundreds of apps loads in a fraction of
 * the time).  Caddy 2.6's request_body limit ends in a 502; a declared
 * oversized body gets 413 first, and the limit stays for chunked ones.
 */
static void
add_body_limit(const struct conf *c, json_t *routes)
{
	char expr[160];

	snprintf(expr, sizeof(expr), "{http.request.header.Content-Length} != \"\""
	    " && int({http.request.header.Content-Length}) > %llu",
	    (unsigned long long)c->router_max_body);
	json_array_append_new(routes, json_pack("{s:[{s:s}], s:[{s:s, s:i, s:s}]}",
	    "match", "expression", expr, "handle", "handler", "static_response",
	    "status_code", 413, "body", "request body too large\n"));
	json_array_append_new(routes, json_pack("{s:[{s:s, s:I}]}", "handle",
	    "handler", "request_body", "max_size", (json_int_t)c->router_max_body));
}

static json_t *
server_routes(const struct conf *c, const struct routes *rs, int tls)
{
	json_t *routes = json_array();

	for (size_t i = 0; i < rs->n; i++) {
		json_t *hosts = json_array();
		char id[80];
		json_t *redirect = tls ? NULL : caddy_tls_redirect(c, &rs->v[i]);
		/* HTTPS: the names to serve over TLS; HTTP: the rest, and
		 * those whose certificate Caddy has not got yet */
		for (size_t d = 0; d < rs->v[i].ndomains; d++) {
			const char *dom = rs->v[i].domains[d];
			if (tls ? tls_wanted(c, dom) : !tls_has_cert(c, dom))
				json_array_append_new(hosts, json_string(dom));
		}
		if (redirect != NULL)
			json_array_append_new(routes, redirect);
		if (json_array_size(hosts) == 0) {
			json_decref(hosts);
			continue;
		}
		snprintf(id, sizeof(id), "berth-%s%s", rs->v[i].app, tls ? "-tls" : "");
		json_array_append_new(routes, json_pack("{s:s, s:[{s:o}], s:o, s:b}",
		    "@id", id, "match", "host", hosts, "handle",
		    route_handlers(&rs->v[i]), "terminal", 1));
	}
	if (!tls)
		json_array_append_new(routes, json_pack("{s:[{s:s, s:i, s:s}]}",
		    "handle", "handler", "static_response", "status_code", 404,
		    "body", "no app here\n"));
	if (json_array_size(routes) > 0) {
		json_t *all = json_array();
		add_body_limit(c, all);
		json_array_extend(all, routes);
		json_decref(routes);
		routes = all;
	}
	return routes;
}

static json_t *
render(const struct conf *c, const struct routes *rs, const char *home)
{
	char listen[96], admin[PATH_MAX + 8], storage[PATH_MAX];
	json_t *servers, *tls;

	snprintf(listen, sizeof(listen), "%s%s%s:%d",
	    strchr(c->http_listen_addr, ':') ? "[" : "", c->http_listen_addr,
	    strchr(c->http_listen_addr, ':') ? "]" : "", c->http_listen_port);
	if ((c->router_manage ? pathf(admin, sizeof(admin), "unix/%s/admin.sock",
	    home) : pathf(admin, sizeof(admin), "localhost:2019")) == -1 ||
	    pathf(storage, sizeof(storage), "%s/data", home) == -1)
		return NULL;
	servers = json_pack("{s:{s:[s], s:o, s:{s:b}}}", "berth", "listen",
	    listen, "routes", server_routes(c, rs, 0), "automatic_https",
	    "disable", 1);
	/* HTTPS only on https_listen (router_caddy_tls.c) */
	if ((tls = caddy_tls_server(c, rs, server_routes(c, rs, 1))) != NULL)
		json_object_set_new(servers, "berth_tls", tls);
	/* managed: persist off, or Caddy rewrites its autosave.json on every
	 * load, and berth never starts it with --resume (caddy_start); an
	 * operator's Caddy may be */
	return json_pack("{s:{s:s, s:[s], s:{s:b}}, s:{s:s, s:s}, s:{s:{s:i,"
	    " s:i, s:o}, s:o}}", "admin", "listen", admin, "origins", "localhost",
	    "config", "persist", !c->router_manage,
	    "storage", "module", "file_system", "root", storage,
	    "apps", "http", "http_port", c->http_listen_port, "https_port",
	    conf_https(c) ? c->https_listen_port : 443, "servers", servers,
	    "tls", caddy_tls_app(c));
}

static void proxy_ident(const struct conf *c, struct ident *who);
static pid_t caddy_pid(const struct conf *c);

/* POST the config to the admin API's /load (router_caddy_admin.c): the
 * managed Caddy's socket, whose listener must be the proxy's uid, or an
 * operator's Caddy on localhost:2019. */
static int
post_load(const struct conf *c, const char *home, const char *body, char *err,
    size_t errlen)
{
	struct caddy_admin a = { NULL, 0, "localhost", "2019",
	    CADDY_ADMIN_TIMEOUT_MS };
	char sock[PATH_MAX];
	struct ident who;

	if (c->router_manage) {
		if (pathf(sock, sizeof(sock), "%s/admin.sock", home) == -1) {
			snprintf(err, errlen, "admin socket path too long");
			return -1;
		}
		proxy_ident(c, &who);
		a.sock = sock;
		a.peer = who.drop ? who.uid : geteuid();
	}
	return caddy_admin_load(&a, body, err, errlen);
}

/* Who the managed Caddy runs as: its own uid when berth is root. */
static void
proxy_ident(const struct conf *c, struct ident *who)
{
	ident_of_proxy(c, who);
	if (!c->router_manage)
		who->drop = 0;
}

/*
 * CONFIG_DIR/caddy (root's, traversable) and its home (the proxy's).  With
 * start, the way is made traversable and root's files left in the home by
 * a berth that ran Caddy as root are handed over (once per start, not on
 * every config change).
 */
static int
caddy_dirs(const struct conf *c, char *dir, char *home, int start)
{
	struct ident who;

	proxy_ident(c, &who);
	if (pathf(dir, PATH_MAX, "%s/caddy", c->router_config_dir) == -1 ||
	    pathf(home, PATH_MAX, "%s/home", dir) == -1 ||
	    mkdirs(home, 0700) == -1)
		return -1;
	if (!start || !who.drop)
		return 0;
	if (chmod(c->router_config_dir, 0711) == -1 || chmod(dir, 0711) == -1 ||
	    ident_give_tree(home, &who) == -1)
		return -1;
	return 0;
}

/*
 * Write dir/name (root's, in a directory only root can write) with mode.
 * config.json, the last config applied, lists every app's domains and
 * paths: 0600, for the operator only (Caddy gets it over the admin
 * socket).  boot.json, what a managed Caddy starts with before berth
 * loads the routes, holds no app and is the one file Caddy reads: 0644.
 */
static void
save(const char *dir, const char *name, const char *body, mode_t mode)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t len = strlen(body);
	int fd, ok;

	if (pathf(path, sizeof(path), "%s/%s", dir, name) == -1 ||
	    pathf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name) == -1 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		log_warn("cannot save %s/%s", dir, name);
		return;
	}
	ok = fchmod(fd, mode) == 0 && write(fd, body, len) == (ssize_t)len;
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		log_warn("cannot save %s", path);
		(void)unlink(tmp);
	}
}

/* The config for routes r, dumped with jansson's flags. */
static char *
render_dump(const struct conf *c, const struct routes *r, size_t flags)
{
	char home[PATH_MAX];
	json_t *cfg;
	char *body;

	if (pathf(home, sizeof(home), "%s/caddy/home",
	    c->router_config_dir) == -1 || (cfg = render(c, r, home)) == NULL)
		return NULL;
	body = json_dumps(cfg, flags);
	json_decref(cfg);
	return body;
}

/* The config for routes r as Caddy gets it (router.h), indented. */
char *
caddy_render(const struct conf *c, const struct routes *r)
{
	return render_dump(c, r, JSON_INDENT(1) | JSON_SORT_KEYS);
}

static int
caddy_apply(const struct conf *c, const struct routes *r, char *err,
    size_t errlen)
{
	char dir[PATH_MAX], home[PATH_MAX], *body;
	int rc;

	if (caddy_dirs(c, dir, home, 0) == -1) {
		snprintf(err, errlen, "cannot prepare '%s/caddy': %s",
		    c->router_config_dir, strerror(errno));
		return -1;
	}
	/* compact: half the bytes of the indented form for Caddy to read
	 * (and for config.json to hold) */
	if ((body = render_dump(c, r, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		snprintf(err, errlen, "cannot render the Caddy config");
		return -1;
	}
	testpoint(c, "router-reload");
	if ((rc = post_load(c, home, body, err, errlen)) == 0)
		save(dir, "config.json", body, 0600);
	else if (caddy_pid(c) == 0 && c->router_manage)
		snprintf(err + strlen(err), errlen - strlen(err), " (Caddy is not"
		    " running; berth serve starts it again within seconds, see"
		    " 'status')");
	free(body);
	return rc;
}

static pid_t
managed_pid(const struct conf *c, const char *home)
{
	char path[PATH_MAX];
	struct ident who;

	proxy_ident(c, &who);
	return pathf(path, sizeof(path), "%s/caddy.pid", home) == -1 ? 0 :
	    router_pidfile(path, who.drop ? who.uid : (uid_t)-1);
}

/* A Caddy started by a berth that ran it as root kept its pid file beside
 * the config: stop it (it holds the port) so ours can start. */
static void
stop_root_caddy(const char *dir)
{
	char path[PATH_MAX];
	pid_t pid;

	if (pathf(path, sizeof(path), "%s/caddy.pid", dir) == -1 ||
	    (pid = router_pidfile(path, 0)) == 0)
		return;
	log_info("stopping the Caddy an older berth ran as root (pid %d)",
	    (int)pid);
	(void)kill(pid, SIGTERM);
	for (int i = 0; i < 100 && kill(pid, 0) == 0; i++)
		usleep(50000);
	(void)unlink(path);
}

/* A Caddy left from an earlier run of this berth (its pid file lost, or
 * naming another uid since app_uid_base changed) runs with our config
 * file and holds the port: stop it. */
static void
stop_stale(const struct conf *c, const char *conf)
{
	struct holder h[HOLDERS_MAX];
	char want[PATH_MAX + 16];
	size_t n;

	snprintf(want, sizeof(want), " --config %s ", conf);
	if (router_holders(c->http_listen_addr, c->http_listen_port, h,
	    HOLDERS_MAX, &n) == -1)
		return;
	for (size_t i = 0; i < n; i++)
		if (h[i].pid > 1 && strstr(h[i].cmd, "caddy run ") != NULL &&
		    strstr(h[i].cmd, want) != NULL) {
			log_info("stopping a Caddy an earlier berth left running"
			    " with this config (pid %ld)", (long)h[i].pid);
			router_kill_wait(h[i].pid, SIGTERM, 5);
		}
}

static int
is_pid(pid_t pid, void *arg)
{
	return pid == *(const pid_t *)arg;
}

static int
caddy_start(const struct conf *c, const struct routes *r, char *err,
    size_t errlen)
{
	char dir[PATH_MAX], home[PATH_MAX], conf[PATH_MAX], pidf[PATH_MAX];
	char log[PATH_MAX], blocked[PATH_MAX], *body;
	const struct routes none = { NULL, 0 };
	struct ident who;
	pid_t pid;

	proxy_ident(c, &who);
	if (caddy_dirs(c, dir, home, 1) == -1) {
		snprintf(err, errlen, "cannot prepare '%s/caddy': %s",
		    c->router_config_dir, strerror(errno));
		return -1;
	}
	stop_root_caddy(dir);
	/* the way to its home (the home itself is its own) */
	if (who.drop && datadir_blocked(dir, blocked, sizeof(blocked)) == 0 &&
	    blocked[0] != '\0') {
		snprintf(err, errlen, "Caddy runs as uid %lu, who cannot enter"
		    " '%s' on the way to '%s': chmod o+x '%s'",
		    (unsigned long)who.uid, blocked, home, blocked);
		return -1;
	}
	if (pathf(conf, sizeof(conf), "%s/boot.json", dir) == -1 ||
	    pathf(pidf, sizeof(pidf), "%s/caddy.pid", home) == -1 ||
	    pathf(log, sizeof(log), "%s/caddy.log", dir) == -1 ||
	    (body = caddy_render(c, &none)) == NULL) {
		snprintf(err, errlen, "cannot render the Caddy config");
		return -1;
	}
	/* boot.json names no app (Caddy's uid reads it); the routes reach
	 * Caddy over its admin socket, once it runs */
	save(dir, "boot.json", body, 0644);
	free(body);
	stop_stale(c, conf);
	if (router_listen_free(c, "Caddy", err, errlen) == -1)
		return -1;
	setenv("HOME", home, 1); /* Caddy keeps its state under HOME/XDG dirs */
	setenv("XDG_DATA_HOME", home, 1);
	setenv("XDG_CONFIG_HOME", home, 1);
	(void)unlink(pidf);
	if (router_daemon((char *[]){ CADDY, "start", "--config", conf,
	    "--pidfile", pidf, NULL }, log, &who, err, errlen) != 0)
		return -1;
	/* `caddy start` may return before `caddy run` wrote its pid file */
	for (int i = 0; i < 100 && (pid = managed_pid(c, home)) == 0; i++)
		usleep(20000);
	if (pid == 0) {
		snprintf(err, errlen, "Caddy started but its pid file '%s' names"
		    " no process of uid %lu", pidf, (unsigned long)(who.drop ?
		    who.uid : geteuid()));
		return -1;
	}
	/* Caddy binds with SO_REUSEPORT: make sure nobody joined it */
	if (router_listen_ours(c, "Caddy", is_pid, &pid, err, errlen) == -1) {
		router_kill_wait(pid, SIGTERM, 5);
		return -1;
	}
	log_info("started caddy on %s:%d%s (pid %ld)", c->http_listen_addr,
	    c->http_listen_port, who.drop ? " as its own uid" : "", (long)pid);
	return caddy_apply(c, r, err, errlen);
}

static pid_t
caddy_pid(const struct conf *c)
{
	char home[PATH_MAX];

	if (pathf(home, sizeof(home), "%s/caddy/home",
	    c->router_config_dir) == -1)
		return 0;
	return managed_pid(c, home);
}

const struct router_backend router_caddy = {
	.name = "caddy",
	.apply = caddy_apply,
	.start = caddy_start,
	.pid = caddy_pid,
	.sweep = NULL,
};
