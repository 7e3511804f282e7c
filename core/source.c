/*
 * source.c - an app's Git source: URL and branch checks, and its deploy
 * key (see source.h).  The key pair is made with libssh (as the host key
 * is, core/sshkey.c) in the OpenSSH format that libgit2's ssh transport
 * (libssh2) reads.
 */
#include <errno.h>
#include <libssh/libssh.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/path.h"
#include "core/source.h"

static int
printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return 0;
	return 1;
}

/* HOST[:PORT] up to the first '/' of rest; a non-empty path after it. */
static int
check_authority(const char *rest, int user_ok)
{
	const char *slash = strchr(rest, '/'), *at;
	size_t hostlen;

	if (slash == NULL || slash[1] == '\0')
		return -1;
	at = memchr(rest, '@', (size_t)(slash - rest));
	if (at != NULL && (!user_ok || at == rest))
		return -1;
	rest = at ? at + 1 : rest;
	hostlen = strcspn(rest, ":/");
	return hostlen == 0 || rest[0] == '-' ? -1 : 0;
}

/* scp-like USER@HOST:PATH: a user, a host not starting with '-', no '/'
 * before the colon, a path not starting with '-'. */
static int
check_scp(const char *url)
{
	const char *at = strchr(url, '@'), *colon = strchr(url, ':');

	if (at == NULL || colon == NULL || at == url || at + 1 >= colon ||
	    at[1] == '-' || colon[1] == '\0' || colon[1] == '-' ||
	    memchr(url, '/', (size_t)(colon - url)) != NULL)
		return -1;
	return 0;
}

int
source_check_url(const char *url, char *why, size_t whylen)
{
	size_t n = strlen(url);

	if (n == 0 || n > SOURCE_URL_MAX || !printable(url) || url[0] == '-') {
		snprintf(why, whylen, "a source URL is 1-%d printable characters,"
		    " without blanks, not starting with '-'", SOURCE_URL_MAX);
		return -1;
	}
	if (strncmp(url, "https://", 8) == 0 && check_authority(url + 8, 0) == 0)
		return SOURCE_HTTPS;
	if (strncmp(url, "ssh://", 6) == 0 && check_authority(url + 6, 1) == 0)
		return SOURCE_SSH;
	if (strstr(url, "://") == NULL && check_scp(url) == 0)
		return SOURCE_SSH;
	snprintf(why, whylen, "'%.80s' is not an https:// or ssh:// URL (or"
	    " USER@HOST:PATH)", url);
	return -1;
}

int
source_check_branch(const char *b, char *why, size_t whylen)
{
	size_t n = strlen(b);

	if (n == 0 || n > SOURCE_BRANCH_MAX ||
	    strspn(b, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._/-") != n || b[0] == '-' || b[0] == '/' ||
	    b[0] == '.' || b[n - 1] == '/' || b[n - 1] == '.' ||
	    strstr(b, "..") || strstr(b, "//") || strstr(b, "/.") ||
	    (n >= 5 && strcmp(b + n - 5, ".lock") == 0)) {
		snprintf(why, whylen, "'%.80s' is not a branch name berth takes"
		    " (1-%d of A-Z a-z 0-9 . _ / -, as git names them)", b,
		    SOURCE_BRANCH_MAX);
		return -1;
	}
	return 0;
}

static int
source_dir(const struct conf *c, const char *app, char *out, size_t len)
{
	return datadir_app_part(c->data_dir, app, "source", out, len);
}

int
source_key_paths(const struct conf *c, const char *app, char *priv,
    char *pub, size_t len)
{
	char dir[PATH_MAX];

	if (source_dir(c, app, dir, sizeof(dir)) == -1 ||
	    pathf(priv, len, "%s/deploy_key", dir) == -1 ||
	    pathf(pub, len, "%s/deploy_key.pub", dir) == -1)
		return -1;
	return 0;
}

int
source_key_read(const struct conf *c, const char *app, char *pub,
    size_t publen, char *err, size_t errlen)
{
	char priv[PATH_MAX], pubf[PATH_MAX];
	FILE *f;

	if (source_key_paths(c, app, priv, pubf, sizeof(priv)) == -1) {
		snprintf(err, errlen, "deploy key path too long");
		return -1;
	}
	if ((f = fopen(pubf, "re")) == NULL) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "cannot read '%s': %s", pubf,
		    strerror(errno));
		return -1;
	}
	if (fgets(pub, (int)publen, f) == NULL)
		pub[0] = '\0';
	fclose(f);
	pub[strcspn(pub, "\n")] = '\0';
	if (pub[0] == '\0' || access(priv, R_OK) == -1) {
		snprintf(err, errlen, "the deploy key in '%s' is incomplete;"
		    " apps:source APP --unset, then set the source again", pubf);
		return -1;
	}
	return 0;
}

/* The public line of key into path (tmp, then renamed). */
static int
write_pub(const ssh_key key, const char *app, const char *path,
    char *pub, size_t publen)
{
	char tmp[PATH_MAX + 8], *b64 = NULL;
	FILE *f;
	int rc = -1;

	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		return -1;
	snprintf(pub, publen, "ssh-ed25519 %s berth-%s", b64, app);
	ssh_string_free_char(b64);
	if (pathf(tmp, sizeof(tmp), "%s.tmp", path) == -1 ||
	    (f = fopen(tmp, "we")) == NULL)
		return -1;
	if (fprintf(f, "%s\n", pub) >= 0)
		rc = 0;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -1;
	if (rc == -1)
		unlink(tmp);
	return rc;
}

int
source_key_ensure(const struct conf *c, const char *app, char *pub,
    size_t publen, char *err, size_t errlen)
{
	char dir[PATH_MAX], priv[PATH_MAX], pubf[PATH_MAX];
	ssh_key key = NULL;
	mode_t old;
	int rc;

	if ((rc = source_key_read(c, app, pub, publen, err, errlen)) != 1)
		return rc;
	if (source_dir(c, app, dir, sizeof(dir)) == -1 ||
	    source_key_paths(c, app, priv, pubf, sizeof(priv)) == -1) {
		snprintf(err, errlen, "deploy key path too long");
		return -1;
	}
	if (mkdirs(dir, 0700) == -1 || chmod(dir, 0700) == -1) {
		snprintf(err, errlen, "cannot make '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
		snprintf(err, errlen, "cannot generate a deploy key");
		return -1;
	}
	(void)unlink(priv); /* libssh refuses to overwrite nothing, but be sure */
	old = umask(077);   /* libssh creates the file with fopen: 0600 */
	rc = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, priv);
	umask(old);
	if (rc != SSH_OK || write_pub(key, app, pubf, pub, publen) == -1) {
		snprintf(err, errlen, "cannot write the deploy key in '%s': %s",
		    dir, strerror(errno));
		(void)unlink(priv);
		ssh_key_free(key);
		return -1;
	}
	ssh_key_free(key);
	return 0;
}

int
source_key_remove(const struct conf *c, const char *app, char *err,
    size_t errlen)
{
	char dir[PATH_MAX];

	if (source_dir(c, app, dir, sizeof(dir)) == -1) {
		snprintf(err, errlen, "deploy key path too long");
		return -1;
	}
	if (rmtree(dir) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}
