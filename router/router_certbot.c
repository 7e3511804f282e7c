/*
 * router_certbot.c - certificates for nginx from an ACME CA, with Debian's
 * certbot in webroot mode (see router_tls.h).
 *
 * berth runs certbot without a shell, its argv built from a domain that
 * name_domain_valid() accepted (checked again here, where it becomes an
 * argument) and from conf values checked at load.  certbot keeps its
 * account, certificates and logs under CONFIG_DIR/certbot, not in
 * /etc/letsencrypt, so it never mixes with certificates the operator
 * manages.  nginx serves CONFIG_DIR/certbot/webroot at
 * /.well-known/acme-challenge/ on every HTTP name (router_nginx_tls.c).
 * One certbot at a time (an flock), since two would trip over its own lock.
 */
#include "router/router_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/names.h"
#include "core/path.h"
#include "core/spawn.h"

#define CERTBOT "/usr/bin/certbot"
#define CERTBOT_TIMEOUT 120 /* seconds; an order polls the CA */

struct certbot_out {
	char *buf;
	size_t len, cap;
};

/* Keep what says why: not the banner lines certbot prints every time. */
static void
keep(void *ctx, const char *line)
{
	static const char *const noise[] = { "Saving debug log",
	    "Requesting a certificate", "Ask for help", "Account registered",
	    NULL };
	struct certbot_out *o = ctx;
	int n;

	line += strspn(line, " \t");
	if (*line == '\0')
		return;
	for (size_t i = 0; noise[i] != NULL; i++)
		if (strncmp(line, noise[i], strlen(noise[i])) == 0)
			return;
	if (o->len + 4 >= o->cap)
		return;
	n = snprintf(o->buf + o->len, o->cap - o->len, "%s%s",
	    o->len ? " | " : "", line);
	if (n > 0)
		o->len += (size_t)n < o->cap - o->len ? (size_t)n :
		    o->cap - o->len - 1;
}

/* CONFIG_DIR/certbot/{config,work,logs,webroot}: dirs[0..3]. */
static int
certbot_dirs(const struct conf *c, char dirs[4][PATH_MAX])
{
	static const char *const names[] = { "config", "work", "logs",
	    "webroot" };
	char base[PATH_MAX];

	/* nginx's workers (another uid) read the webroot: the way there is
	 * traversable, the webroot readable; the rest stays berth's */
	if (pathf(base, sizeof(base), "%s/certbot", c->router_config_dir) == -1 ||
	    mkdirs(base, 0711) == -1 || chmod(c->router_config_dir, 0711) == -1 ||
	    chmod(base, 0711) == -1)
		return -1;
	for (int i = 0; i < 4; i++)
		if (pathf(dirs[i], PATH_MAX, "%s/%s", base, names[i]) == -1 ||
		    mkdirs(dirs[i], i == 3 ? 0755 : 0700) == -1 ||
		    chmod(dirs[i], i == 3 ? 0755 : 0700) == -1)
			return -1;
	return 0;
}

static int
certbot_lock(const struct conf *c)
{
	char path[PATH_MAX];
	int fd;

	if (pathf(path, sizeof(path), "%s/certbot/certbot.lock",
	    c->router_config_dir) == -1 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

/* Run certbot with args (after the common ones). 0, or -1 with err. */
static int
certbot_run(const struct conf *c, char dirs[4][PATH_MAX], char **args,
    char *err, size_t errlen)
{
	char bundle[PATH_MAX + 32];
	char *argv[40], *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	    "LANG=C.UTF-8", c->acme_ca_root[0] ? bundle : NULL, NULL };
	struct certbot_out o = { err, 0, errlen };
	struct spawn_opts so = { .argv = argv, .envp = envp,
	    .timeout_s = CERTBOT_TIMEOUT, .on_line = keep, .ctx = &o };
	struct spawn_result res;
	size_t n = 0;

	/* certbot (python's requests) trusts the CA's HTTPS through this */
	snprintf(bundle, sizeof(bundle), "REQUESTS_CA_BUNDLE=%s",
	    c->acme_ca_root);
	argv[n++] = CERTBOT;
	while (*args != NULL && n < 30)
		argv[n++] = *args++;
	argv[n++] = "--non-interactive";
	argv[n++] = "--config-dir";
	argv[n++] = dirs[0];
	argv[n++] = "--work-dir";
	argv[n++] = dirs[1];
	argv[n++] = "--logs-dir";
	argv[n++] = dirs[2];
	argv[n++] = "--server";
	argv[n++] = (char *)c->acme_ca;
	argv[n] = NULL;
	err[0] = '\0';
	if (spawn_run(&so, &res, err, errlen) == -1)
		return -1;
	if (res.exited && res.exit_code == 0)
		return 0;
	if (err[0] == '\0')
		spawn_describe(&res, err, errlen);
	return -1;
}

int
certbot_obtain(const struct conf *c, const char *d, char *err, size_t errlen)
{
	char dirs[4][PATH_MAX], why[128];
	char *args[] = { "certonly", "--webroot", "-w", dirs[3], "-d",
	    (char *)d, "--cert-name", (char *)d, "--agree-tos",
	    "--keep-until-expiring", c->acme_email[0] ? "--email" :
	    "--register-unsafely-without-email", (char *)c->acme_email, NULL };
	int lock, rc;

	if (name_domain_valid(d, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "invalid domain '%.80s': %s", d, why);
		return -1;
	}
	if (!c->acme_email[0])
		args[11] = NULL;
	if (certbot_dirs(c, dirs) == -1 || (lock = certbot_lock(c)) == -1) {
		snprintf(err, errlen, "cannot prepare '%s/certbot': %s",
		    c->router_config_dir, strerror(errno));
		tls_note(c, d, err);
		return -1;
	}
	/* another berth process may have got it while we waited */
	rc = tls_has_cert(c, d) ? 0 : certbot_run(c, dirs, args, err, errlen);
	close(lock);
	tls_note(c, d, rc == 0 ? NULL : err);
	return rc;
}

int
certbot_delete(const struct conf *c, const char *d, char *err, size_t errlen)
{
	char dirs[4][PATH_MAX], why[128];
	char *args[] = { "delete", "--cert-name", (char *)d, NULL };
	int lock, rc;

	if (name_domain_valid(d, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "invalid domain '%.80s': %s", d, why);
		return -1;
	}
	if (certbot_dirs(c, dirs) == -1 || (lock = certbot_lock(c)) == -1) {
		snprintf(err, errlen, "cannot prepare '%s/certbot': %s",
		    c->router_config_dir, strerror(errno));
		return -1;
	}
	rc = certbot_run(c, dirs, args, err, errlen);
	close(lock);
	return rc;
}

int
certbot_renew(const struct conf *c, char *err, size_t errlen)
{
	char dirs[4][PATH_MAX];
	char *args[] = { "renew", "--no-random-sleep-on-renew", NULL };
	int lock, rc;

	if (certbot_dirs(c, dirs) == -1 || (lock = certbot_lock(c)) == -1) {
		snprintf(err, errlen, "cannot prepare '%s/certbot': %s",
		    c->router_config_dir, strerror(errno));
		return -1;
	}
	rc = certbot_run(c, dirs, args, err, errlen);
	close(lock);
	return rc;
}
