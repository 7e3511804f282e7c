/*
 * router_wildcard.c - the previews' one certificate (see router_tls.h).
 *
 * Every preview answers at APP--LABEL.DOMAIN (core/preview.h), so the
 * operator's wildcard certificate for *.DOMAIN, [previews] cert and key
 * (checked at load by conf/conf_wildcard.c), serves them all: no ACME
 * order for any preview host, no per-preview file to clean up when a
 * preview goes.  Without it the preview hosts stay on plain HTTP (one
 * ACME order per branch would meet the CA's rate limits and delay every
 * new branch).
 *
 * The proxies serve berth's copy, CONFIG_DIR/tls/previews/{cert,key}.pem
 * (root's, 0600), never the operator's files: under the router lock,
 * before each render, tls_wildcard_sync copies the operator's files there
 * when their content changed and still passes conf_wildcard_check_pem.
 * So a renewal is picked up (berth serve's pass sees the change, and the
 * copy's stamp in tls/served makes nginx reload, or Caddy get the new
 * one), and a bad or half-written renewal is refused with a log line
 * (once per content) while the previous certificate keeps serving: it
 * never makes the proxy reject a config, which would stop every deploy.
 * nginx reads the copy (its master runs as root); Caddy runs as its own
 * uid and gets the copy's content inline, over the admin socket.
 *
 * Files under CONFIG_DIR/tls/previews: cert.pem, key.pem (the copy),
 * refused (the stamp of the content last refused, and why, for
 * `status`); all removed once the keys are unset.
 */
#include "router/router_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/path.h"
#include "core/preview.h"

#define STAMP_LEN 16 /* hex digits of SHA-256 */

int
tls_preview_host(const struct conf *c, const char *d)
{
	char dom[CONF_NAME_MAX + 16];
	size_t n = strlen(d), m;

	if (preview_domain(c, dom, sizeof(dom)) == -1)
		return 0;
	m = strlen(dom);
	/* one label, then ".DOMAIN": what *.DOMAIN covers */
	return n > m + 1 && d[n - m - 1] == '.' && strcmp(d + n - m, dom) == 0 &&
	    memchr(d, '.', n - m - 1) == NULL;
}

/* CONFIG_DIR/tls/previews/NAME */
static int
copy_path(const struct conf *c, const char *name, char *out, size_t len)
{
	return pathf(out, len, "%s/tls/previews/%s", c->router_config_dir, name);
}

int
tls_wildcard_paths(const struct conf *c, char *crt, char *key, size_t len)
{
	return copy_path(c, "cert.pem", crt, len) == -1 ||
	    copy_path(c, "key.pem", key, len) == -1 ? -1 : 0;
}

int
tls_wildcard(const struct conf *c)
{
	char crt[PATH_MAX], key[PATH_MAX];

	return c->preview_cert[0] != '\0' && c->preview_key[0] != '\0' &&
	    tls_wildcard_paths(c, crt, key, sizeof(crt)) == 0 &&
	    access(crt, R_OK) == 0 && access(key, R_OK) == 0;
}

static void
pem_free(char *crt, char *key)
{
	if (key != NULL)
		explicit_bzero(key, strlen(key));
	free(crt);
	free(key);
}

/* Both files' content (malloc'd), or -1 and neither. */
static int
read_pair(const char *crtpath, const char *keypath, char **crt, char **key)
{
	*key = NULL;
	if ((*crt = conf_read_pem(crtpath)) == NULL ||
	    (*key = conf_read_pem(keypath)) == NULL) {
		pem_free(*crt, *key);
		*crt = *key = NULL;
		return -1;
	}
	return 0;
}

int
tls_wildcard_pem(const struct conf *c, char **crt, char **key)
{
	char cp[PATH_MAX], kp[PATH_MAX];

	*crt = *key = NULL;
	return tls_wildcard_paths(c, cp, kp, sizeof(cp)) == -1 ? -1 :
	    read_pair(cp, kp, crt, key);
}

/* STAMP_LEN hex digits of the SHA-256 of crt and key into out. */
static int
stamp_of(const char *crt, const char *key, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int ok;

	ok = (ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, crt, strlen(crt)) == 1 &&
	    EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
	    EVP_DigestUpdate(ctx, key, strlen(key)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= STAMP_LEN / 2;
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; ok && i < STAMP_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return ok ? 0 : -1;
}

int
tls_wildcard_stamp(const struct conf *c, char *out, size_t len)
{
	char *crt, *key;
	int rc;

	if (len < STAMP_LEN + 1 || tls_wildcard_pem(c, &crt, &key) == -1)
		return -1;
	rc = stamp_of(crt, key, out);
	pem_free(crt, key);
	return rc;
}

/* The stamp of the operator's files now, and their content (malloc'd);
 * "" (and NULL) when they cannot be read. */
static void
source_stamp(const struct conf *c, char *out, char **crt, char **key)
{
	out[0] = '\0';
	if (read_pair(c->preview_cert, c->preview_key, crt, key) == 0 &&
	    stamp_of(*crt, *key, out) == -1)
		out[0] = '\0';
}

/* The one-line file CONFIG_DIR/tls/previews/NAME into out ("" if none). */
static void
note_read(const struct conf *c, const char *name, char *out, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	out[0] = '\0';
	if (copy_path(c, name, path, sizeof(path)) == -1 ||
	    (f = fopen(path, "re")) == NULL)
		return;
	if (fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* Write CONFIG_DIR/tls/previews/NAME (0600) through a rename. */
static int
put(const struct conf *c, const char *name, const char *body)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t len = strlen(body);
	int fd, ok;

	if (copy_path(c, name, path, sizeof(path)) == -1 ||
	    pathf(tmp, sizeof(tmp), "%s.tmp", path) == -1 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -1;
	ok = write(fd, body, len) == (ssize_t)len && fsync(fd) == 0;
	if (close(fd) == -1 || !ok || rename(tmp, path) == -1) {
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

int
tls_wildcard_changed(const struct conf *c)
{
	char now[STAMP_LEN + 1], have[STAMP_LEN + 1] = "", refused[64];
	char *crt = NULL, *key = NULL;

	if (c->preview_cert[0] == '\0')
		return 0;
	source_stamp(c, now, &crt, &key);
	pem_free(crt, key);
	if (now[0] == '\0')
		return 0; /* unreadable: the copy serves on (sync says why) */
	note_read(c, "refused", refused, sizeof(refused));
	if (tls_wildcard(c) && tls_wildcard_stamp(c, have, sizeof(have)) == -1)
		have[0] = '\0';
	return strcmp(now, have) != 0 && strcmp(now, refused) != 0;
}

/* Refuse the operator's content (stamp), saying why once per content. */
static void
refuse(const struct conf *c, const char *stamp, const char *why)
{
	char was[64], note[TLS_WHY_MAX + 64];

	note_read(c, "refused", was, sizeof(was));
	if (stamp[0] != '\0' && strcmp(was, stamp) == 0)
		return;
	log_warnx("previews: not serving the new wildcard certificate: %s; %s",
	    why, tls_wildcard(c) ? "the previous one serves on" :
	    "previews stay on plain HTTP");
	snprintf(note, sizeof(note), "%s\n%s\n", stamp, why);
	if (stamp[0] != '\0' && put(c, "refused", note) == -1)
		log_warn("cannot note the refused certificate");
}

static void
drop_note(const struct conf *c)
{
	char path[PATH_MAX];

	if (copy_path(c, "refused", path, sizeof(path)) == 0 &&
	    unlink(path) == -1 && errno != ENOENT)
		log_warn("cannot remove '%s'", path);
}

int
tls_wildcard_why(const struct conf *c, char *out, size_t len)
{
	char path[PATH_MAX], now[STAMP_LEN + 1], was[64], dom[CONF_NAME_MAX + 16];
	char *crt = NULL, *key = NULL;
	FILE *f;
	int found = 0;

	if (c->preview_cert[0] == '\0') {
		if (preview_domain(c, dom, sizeof(dom)) == -1)
			snprintf(dom, sizeof(dom), "DOMAIN");
		snprintf(out, len, "previews get no ACME certificate; set [previews]"
		    " cert and key to a wildcard certificate for *.%s", dom);
		return 1;
	}
	source_stamp(c, now, &crt, &key);
	pem_free(crt, key);
	if (copy_path(c, "refused", path, sizeof(path)) == -1 ||
	    (f = fopen(path, "re")) == NULL)
		return 0;
	if (fgets(was, sizeof(was), f) != NULL && fgets(out, (int)len, f) != NULL) {
		was[strcspn(was, "\n")] = '\0';
		out[strcspn(out, "\n")] = '\0';
		found = now[0] != '\0' && strcmp(was, now) == 0;
	}
	fclose(f);
	return found;
}

/* No [previews] cert any more: no copy of a key nobody serves. */
static void
drop_copy(const struct conf *c)
{
	const char *names[] = { "key.pem", "cert.pem", "refused" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (copy_path(c, names[i], path, sizeof(path)) == 0 &&
		    unlink(path) == -1 && errno != ENOENT)
			log_warn("cannot remove '%s'", path);
}

void
tls_wildcard_sync(const struct conf *c)
{
	char now[STAMP_LEN + 1], have[STAMP_LEN + 1] = "", dir[PATH_MAX];
	char why[1024], *crt = NULL, *key = NULL;

	if (c->preview_cert[0] == '\0') {
		drop_copy(c);
		return;
	}
	if (!conf_https(c))
		return;
	if (pathf(dir, sizeof(dir), "%s/tls/previews", c->router_config_dir) == -1 ||
	    mkdirs(dir, 0700) == -1) {
		log_warn("cannot create '%s/tls/previews'", c->router_config_dir);
		return;
	}
	source_stamp(c, now, &crt, &key);
	if (now[0] == '\0') {
		snprintf(why, sizeof(why), "cannot read '%.200s' or '%.200s': %s",
		    c->preview_cert, c->preview_key, strerror(errno));
		refuse(c, "", why);
	} else if (tls_wildcard(c) && tls_wildcard_stamp(c, have,
	    sizeof(have)) == 0 && strcmp(now, have) == 0) {
		; /* the copy is current */
	} else if (conf_wildcard_check_pem(c, crt, key, why, sizeof(why)) == -1) {
		refuse(c, now, why);
	} else if (put(c, "key.pem", key) == -1 || put(c, "cert.pem", crt) == -1) {
		log_warn("previews: cannot copy the wildcard certificate to '%s'",
		    dir);
	} else {
		log_info("previews: serving the wildcard certificate of '%s'",
		    c->preview_cert);
		drop_note(c);
	}
	pem_free(crt, key);
}

void
tls_site_url(const struct conf *c, const char *host, char *out, size_t len)
{
	size_t n;

	if (!tls_has_cert(c, host)) {
		snprintf(out, len, "http://%s:%d/", host, c->http_listen_port);
		return;
	}
	tls_url(c, host, out, len);
	if ((n = strlen(out)) + 1 < len) {
		out[n] = '/';
		out[n + 1] = '\0';
	}
}
