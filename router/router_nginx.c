/*
 * router_nginx.c - nginx as the router: one server block per app in
 * CONFIG_DIR/nginx/sites/APP.conf.
 *
 * Applying a routing table: render every app's file; write the changed
 * ones into a staging dir with a list that includes them and every other
 * file of sites/ (any file an operator dropped there by hand comes along
 * too; router_nginx_stage.c); `nginx -t` a main config that includes
 * that list; only if nginx
 * accepts it, rename the changed files into place, remove the files of
 * apps that are gone, and reload (router_nginx_reload.c).  So
 * a config nginx rejects never reaches the running nginx, and the error the
 * caller sees is nginx's own.  In managed mode berth also writes the main
 * config (CONFIG_DIR/nginx/nginx.conf) and starts nginx with it; otherwise
 * the operator includes the sites dir (sites/NAME.conf) from their own
 * nginx.conf and sets [router] reload.  The staging dir of a process that
 * died mid-apply is swept at the next start (nginx_sweep).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/num.h"
#include "core/path.h"
#include "core/testpoint.h"
#include "router/router.h"
#include "router/router_tls.h"

#define NGINX "/usr/sbin/nginx"
/* nginx stores each server_name in a hash bucket with its length and a
 * pointer: a 253-character name needs 272 bytes, and the default bucket
 * (64 bytes on x86-64) refuses names over 46 characters once two servers share
 * a port.  1024 holds three of the longest names per bucket; a table of
 * up to 16384 buckets keeps thousands of domains on the fast path. */
#define NGINX_NAMES_BUCKET 1024
#define NGINX_NAMES_MAX 16384

static int write_main(const struct conf *c, const char *dir,
    const char *sites, char *err, size_t errlen);
static int write_file(const char *path, const char *data, size_t len);
static int reload(const struct conf *c, char *err, size_t errlen);

static int
dirs(const struct conf *c, char *base, char *sites, char *stg)
{
	return pathf(base, PATH_MAX, "%s/nginx", c->router_config_dir) == -1 ||
	    pathf(sites, PATH_MAX, "%s/sites", base) == -1 ||
	    pathf(stg, PATH_MAX, "%s/stage-%ld", base, (long)getpid()) == -1 ||
	    mkdirs(sites, 0755) == -1 ? -1 : 0;
}

/* nginx's message names the staging copies: name the real files instead
 * (a hand-written sites/ file is copied byte for byte, so its line numbers
 * hold; berth's own files are named where they will be installed). */
static void
unstage(char *msg, const char *stg, const char *base)
{
	size_t sl = strlen(stg), bl = strlen(base);
	char *p = msg;

	while ((p = strstr(p, stg)) != NULL) {
		memcpy(p, base, bl);
		memmove(p + bl, p + sl, strlen(p + sl) + 1);
		p += bl;
	}
}

static int
nginx_apply(const struct conf *c, const struct routes *r, char *err,
    size_t errlen)
{
	char base[PATH_MAX], sites[PATH_MAX], stg[PATH_MAX], out[4096];
	char conf[PATH_MAX], list[PATH_MAX];
	struct nginx_stage s = { 0 };
	int rc = -1;

	if (dirs(c, base, sites, stg) == -1) {
		snprintf(err, errlen, "cannot create '%s/nginx/sites': %s",
		    c->router_config_dir, strerror(errno));
		return -1;
	}
	(void)rmtree(stg);
	/* the staged main config includes stg/list/sites.conf, the list
	 * of every site file (router_nginx_stage.c) */
	if (pathf(list, sizeof(list), "%s/list", stg) == -1 ||
	    write_main(c, stg, list, err, errlen) == -1 ||
	    nginx_stage(c, r, sites, stg, &s) == -1) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot stage the nginx config: %s",
			    strerror(errno));
		goto out;
	}
	/* the same files, and (with HTTPS) the same certificate files as
	 * when nginx last loaded them: a renewal changes only the latter */
	if (s.nfresh == 0 && s.stale == 0 && nginx_applied(base) &&
	    (!conf_https(c) || !tls_served_changed(c, r))) {
		testpoint(c, "router-reload"); /* the same moment, for the tests */
		rc = 0; /* nothing to apply: no reload */
		goto out;
	}
	if (pathf(conf, sizeof(conf), "%s/nginx.conf", stg) == -1 ||
	    router_run((char *[]){ NGINX, "-t", "-q", "-p", stg, "-c", conf,
	    NULL }, out, sizeof(out)) != 0) {
		unstage(out, stg, base);
		snprintf(err, errlen, "nginx rejected the new configuration: %s",
		    out);
		goto out;
	}
	if (nginx_applied_mark(base, 0) == -1 ||
	    nginx_stage_install(r, &s, sites, stg, err, errlen) == -1)
		goto out;
	testpoint(c, "router-reload"); /* new files in place, nginx not told */
	if (reload(c, err, errlen) == -1)
		goto out;
	if (nginx_applied_mark(base, 1) == -1)
		log_warn("cannot mark the nginx config applied");
	rc = 0;
out:
	nginx_stage_free(&s);
	(void)rmtree(stg);
	return rc;
}

/* One character of a page inside an nginx "..." string (NULL: as it
 * is): quotes and backslashes escaped, newline as \n; '$' (which nginx would read as a
 * variable, with no escape for it) as the HTML entity, the same on a
 * page.  The page holds no other control character (router_page.c). */
static const char *
nginx_char(char ch)
{
	switch (ch) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '$':
		return "&#36;";
	}
	return NULL; /* as it is */
}

/* An app's plain server (the names without a certificate), then its
 * HTTPS servers (router_nginx_tls.c). */
int
nginx_render_site(const struct conf *c, const struct route *r, char *out,
    size_t len)
{
	char acme[PATH_MAX + 128];
	size_t o = 0, plain = 0;
	int n;

#define EMIT(...) do { \
	n = snprintf(out + o, len - o, __VA_ARGS__); \
	if (n < 0 || (size_t)n >= len - o) return -1; \
	o += (size_t)n; } while (0)

	/* no release here: a deploy behind the same upstream changes nothing */
	EMIT("# berth: app %s (generated; edits are overwritten)\n", r->app);
	if (r->nports > 0) {
		EMIT("upstream berth_%s {\n", r->app);
		for (size_t i = 0; i < r->nports; i++)
			/* never "down": it is the same port for every
			 * instance (router_model.c) */
			EMIT("\tserver 127.0.0.1:%d max_fails=0;\n", r->ports[i]);
		EMIT("\tkeepalive 16;\n}\n");
	}
	for (size_t i = 0; i < r->ndomains; i++)
		plain += !tls_has_cert(c, r->domains[i]);
	if (plain > 0) {
		if (nginx_tls_challenge(c, acme, sizeof(acme)) == -1)
			return -1;
		EMIT("server {\n\tlisten %s%s%s:%d;\n\tserver_name",
		    strchr(c->http_listen_addr, ':') ? "[" : "",
		    c->http_listen_addr, strchr(c->http_listen_addr, ':') ?
		    "]" : "", c->http_listen_port);
		for (size_t i = 0; i < r->ndomains; i++)
			if (!tls_has_cert(c, r->domains[i]))
				EMIT(" %s", r->domains[i]);
		EMIT(";\n%s", acme);
		if (nginx_site_body(c, r, out, len, &o) == -1)
			return -1;
		EMIT("}\n");
	}
#undef EMIT
	if (nginx_tls_render(c, r, out, len, &o) == -1)
		return -1;
	return (int)o;
}

int
nginx_site_body(const struct conf *c, const struct route *r, char *out,
    size_t len, size_t *op)
{
	size_t o = *op;
	int n;

#define EMIT(...) do { \
	n = snprintf(out + o, len - o, __VA_ARGS__); \
	if (n < 0 || (size_t)n >= len - o) return -1; \
	o += (size_t)n; } while (0)

	EMIT("\tclient_max_body_size %llu;\n",
	    (unsigned long long)c->router_max_body);
	if (r->dial[0] != '\0') { /* berth's endpoint; streams unbuffered */
		EMIT("\tlocation / {\n\t\tproxy_pass http://%s%s%s;\n"
		    "\t\tproxy_http_version 1.1;\n"
		    "\t\tproxy_set_header Host $host;\n"
		    "\t\tproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
		    "\t\tproxy_set_header X-Forwarded-Proto $scheme;\n"
		    "\t\tproxy_buffering off;\n"
		    "\t\tproxy_read_timeout 1h;\n"
		    "\t}\n", r->dial[0] == '/' ? "unix:" : "", r->dial,
		    r->dial[0] == '/' ? ":" : "");
	} else if (r->page != NULL) { /* maintenance: the processes run on */
		EMIT("\tlocation / {\n\t\tdefault_type \"text/html; charset=utf-8\";\n"
		    "\t\tadd_header Retry-After 120 always;\n\t\treturn 503 \"");
		for (const char *p = r->page; *p != '\0'; p++) {
			const char *esc = nginx_char(*p);
			if (esc != NULL)
				EMIT("%s", esc);
			else
				EMIT("%c", *p);
		}
		EMIT("\";\n\t}\n");
	} else if (r->nports > 0) {
		EMIT("\tlocation / {\n\t\tproxy_pass http://berth_%s;\n"
		    "\t\tproxy_http_version 1.1;\n"
		    "\t\tproxy_set_header Host $host;\n"
		    "\t\tproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
		    "\t\tproxy_set_header X-Forwarded-Proto $scheme;\n"
		    "\t\tproxy_set_header X-Forwarded-Host $host;\n"
		    "\t\tproxy_set_header Upgrade $http_upgrade;\n"
		    "\t\tproxy_set_header Connection $berth_connection_upgrade;\n"
		    "\t\tproxy_next_upstream error timeout http_502;\n"
		    "\t}\n", r->app);
	} else if (r->static_root[0] != '\0') {
		EMIT("\troot \"%s\";\n\tindex index.html;\n"
		    "\tlocation / {\n\t\ttry_files $uri $uri/ =404;\n\t}\n",
		    r->static_root);
	} else {
		EMIT("\tlocation / {\n\t\treturn 503 \"app %s has no running web"
		    " process\\n\";\n\t}\n", r->app);
	}
#undef EMIT
	*op = o;
	return 0;
}

int
nginx_render_main(const struct conf *c, const char *dir, const char *sites,
    char *out, size_t len)
{
	char tls[256], acme[PATH_MAX + 128];
	int n;

	/* HTTPS: the challenges on the default server, a default TLS server */
	if (nginx_tls_main(c, tls, sizeof(tls)) == -1 ||
	    nginx_tls_challenge(c, acme, sizeof(acme)) == -1)
		return -1;
	n = snprintf(out, len,
	    "# berth: managed nginx (generated)\n"
	    "worker_processes 1;\n"
	    "pid %s/nginx.pid;\n"
	    "error_log %s/error.log;\n"
	    "events { worker_connections 1024; }\n"
	    "http {\n"
	    "\tinclude /etc/nginx/mime.types;\n"
	    "\tdefault_type application/octet-stream;\n"
	    "\taccess_log off;\n"
	    /* every RFC 1123 name (up to 253 characters) fits a bucket */
	    "\tserver_names_hash_bucket_size %d;\n"
	    "\tserver_names_hash_max_size %d;\n"
	    "\tclient_body_temp_path %s/tmp/body;\n"
	    "\tproxy_temp_path %s/tmp/proxy;\n"
	    "\tfastcgi_temp_path %s/tmp/fastcgi;\n"
	    "\tuwsgi_temp_path %s/tmp/uwsgi;\n"
	    "\tscgi_temp_path %s/tmp/scgi;\n"
	    "\tmap $http_upgrade $berth_connection_upgrade {\n"
	    "\t\tdefault upgrade;\n\t\t'' close;\n\t}\n"
	    "\tserver {\n\t\tlisten %s%s%s:%d default_server;\n%s"
	    "\t\tlocation / {\n\t\t\treturn 404 \"no app here\\n\";\n\t\t}\n"
	    "\t}\n%s"
	    "\tinclude %s/*.conf;\n"
	    "}\n", dir, dir, NGINX_NAMES_BUCKET, NGINX_NAMES_MAX, dir, dir, dir,
	    dir, dir,
	    strchr(c->http_listen_addr, ':') ? "[" : "", c->http_listen_addr,
	    strchr(c->http_listen_addr, ':') ? "]" : "", c->http_listen_port,
	    acme, tls, sites);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

static int
write_main(const struct conf *c, const char *dir, const char *sites, char *err,
    size_t errlen)
{
	char path[PATH_MAX], buf[8192];
	int n;

	n = nginx_render_main(c, dir, sites, buf, sizeof(buf));
	if (n < 0 ||
	    pathf(path, sizeof(path), "%s/tmp", dir) == -1 ||
	    mkdirs(path, 0700) == -1 ||
	    pathf(path, sizeof(path), "%s/nginx.conf", dir) == -1 ||
	    write_file(path, buf, (size_t)n) == -1) {
		snprintf(err, errlen, "cannot write the nginx main config in"
		    " '%s': %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Config files list every app's domains and paths: only nginx's master
 * (root, or berth's own user) reads them, so they are 0600. */
static int
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* The pid of the managed nginx, or 0. */
static pid_t
managed_pid(const struct conf *c)
{
	char path[PATH_MAX];

	return pathf(path, sizeof(path), "%s/nginx/nginx.pid",
	    c->router_config_dir) == -1 ? 0 : router_pidfile(path, (uid_t)-1);
}

static int
reload(const struct conf *c, char *err, size_t errlen)
{
	char out[1024];
	pid_t pid;

	if (!c->router_manage) {
		if (c->router_reload[0] == '\0')
			return 0;
		if (router_run((char *[]){ "/bin/sh", "-c",
		    (char *)c->router_reload, NULL }, out, sizeof(out)) != 0) {
			snprintf(err, errlen, "reload command failed: %s", out);
			return -1;
		}
		return 0;
	}
	if ((pid = managed_pid(c)) == 0)
		return 0; /* not running: it reads the files when it starts */
	/* what `nginx -s reload` does, without parsing the whole config once
	 * more in a new process (nginx -t already checked it) */
	return nginx_reload_master(pid, err, errlen);
}

/* The parent of pid, 0 if unknown. */
static pid_t
parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	long ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL ||
	    (p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %ld",
	    &ppid) != 1)
		ppid = 0;
	fclose(f);
	return (pid_t)ppid;
}

/* The master or one of its workers. */
static int
is_ours(pid_t pid, void *arg)
{
	pid_t master = *(const pid_t *)arg;

	return pid == master || parent_of(pid) == master;
}

/* A kill -9 of the master leaves its workers serving the old config and
 * holding the port, where no reload reaches them.  Ours have our error
 * log open: stop them (SIGQUIT: they finish what they serve) so a new
 * master can bind. */
static void
stop_orphans(const struct conf *c, const char *base)
{
	struct holder h[HOLDERS_MAX];
	char errlog[PATH_MAX];
	size_t n;

	if (pathf(errlog, sizeof(errlog), "%s/error.log", base) == -1 ||
	    router_holders(c->http_listen_addr, c->http_listen_port, h,
	    HOLDERS_MAX, &n) == -1)
		return;
	for (size_t i = 0; i < n; i++)
		if (h[i].pid > 1 && strncmp(h[i].cmd, "nginx: ", 7) == 0 &&
		    router_holds_file(h[i].pid, errlog)) {
			log_info("stopping nginx pid %ld (%s): its master is gone",
			    (long)h[i].pid, h[i].cmd);
			router_kill_wait(h[i].pid, SIGQUIT, 2);
		}
}

static int
nginx_start(const struct conf *c, const struct routes *r, char *err,
    size_t errlen)
{
	char base[PATH_MAX], sites[PATH_MAX], stg[PATH_MAX], conf[PATH_MAX];
	char log[PATH_MAX];
	pid_t pid = 0;

	if (dirs(c, base, sites, stg) == -1 ||
	    write_main(c, base, sites, err, errlen) == -1 ||
	    pathf(conf, sizeof(conf), "%s/nginx.conf", base) == -1 ||
	    pathf(log, sizeof(log), "%s/start.log", base) == -1) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot prepare '%s/nginx': %s",
			    c->router_config_dir, strerror(errno));
		return -1;
	}
	/* the sites as the db has them (nginx is not running: no reload) */
	if (nginx_apply(c, r, err, errlen) == -1)
		return -1;
	stop_orphans(c, base);
	if (router_listen_free(c, "nginx", err, errlen) == -1)
		return -1;
	/* the master binds the port and drops its workers by itself */
	if (router_daemon((char *[]){ NGINX, "-p", base, "-c", conf, NULL }, log,
	    NULL, err, errlen) != 0)
		return -1;
	/* the master writes its pid file after it has left its parent */
	for (int i = 0; i < 100 && (pid = managed_pid(c)) == 0; i++)
		usleep(20000);
	if (pid == 0) {
		snprintf(err, errlen, "nginx started but wrote no pid file in '%s'",
		    base);
		return -1;
	}
	if (router_listen_ours(c, "nginx", is_ours, &pid, err, errlen) == -1) {
		router_kill_wait(pid, SIGQUIT, 5);
		return -1;
	}
	log_info("started nginx on %s:%d (pid %ld)", c->http_listen_addr,
	    c->http_listen_port, (long)pid);
	return 0;
}

static pid_t
nginx_pid(const struct conf *c)
{
	return managed_pid(c);
}

/* CONFIG_DIR/nginx/stage-PID dirs of processes that are gone. */
static void
nginx_sweep(const struct conf *c)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (pathf(dir, sizeof(dir), "%s/nginx", c->router_config_dir) == -1 ||
	    (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		long long pid;
		if (strncmp(de->d_name, "stage-", 6) != 0)
			continue;
		if (num_prefix(de->d_name + 6, 1, INT32_MAX, &pid, NULL) == 0 &&
		    kill((pid_t)pid, 0) == 0)
			continue;
		if (pathf(path, sizeof(path), "%s/%s", dir, de->d_name) == 0 &&
		    rmtree(path) == 0)
			log_info("recovery: removed %s", path);
	}
	closedir(d);
}

const struct router_backend router_nginx = {
	.name = "nginx",
	.apply = nginx_apply,
	.start = nginx_start,
	.pid = nginx_pid,
	.sweep = nginx_sweep,
};
