/*
 * fetch.c - a branch of a Git host fetched with libgit2 (see fetch.h):
 * connect, list the host's refs, download what the branch needs unless
 * the repository has it already, disconnect.  Debian's libgit2 1.5 speaks
 * ssh through libssh2 and https through mbedTLS.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/path.h"
#include "deploy/fetch.h"
#include "deploy/gitlib.h"

/* The alarm only interrupts: whether the deadline passed is read from
 * the clock (struct fetch_cb's start), so no state is shared. */
static void
on_alarm(int sig)
{
	(void)sig;
}

static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Arm (on) or disarm the fetch's deadline. */
static void
deadline(int on, int seconds, struct sigaction *old)
{
	struct sigaction sa;

	if (!on) {
		alarm(0);
		(void)sigaction(SIGALRM, old, NULL);
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: blocked calls fail */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGALRM, &sa, old);
	alarm((unsigned int)seconds);
}

struct fetch_cb {
	const struct fetch_req *f;
	int tries;          /* credentials asked for */
	time_t start;       /* now_s() when the deadline was armed */
	char why[512];      /* our own reason, before libgit2's */
};

static const char *
git_reason(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

static int
credentials(git_credential **out, const char *url, const char *user,
    unsigned int allowed, void *payload)
{
	struct fetch_cb *cb = payload;

	(void)url;
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY) || cb->f->key_priv == NULL) {
		snprintf(cb->why, sizeof(cb->why), "the host asks for a login:"
		    " berth fetches https sources without one; use an ssh URL"
		    " and the app's deploy key");
		return -1;
	}
	if (cb->tries++ > 0) {
		snprintf(cb->why, sizeof(cb->why), "the host refused the app's"
		    " deploy key (add its public half, shown by apps:source APP,"
		    " as a deploy key on the host)");
		return -1;
	}
	return git_credential_ssh_key_new(out, user ? user : "git",
	    cb->f->key_pub, cb->f->key_priv, NULL);
}

/* Trust on first use: the first host key seen is written down; later
 * ones must match it. */
static int
known_host(struct fetch_cb *cb, const git_cert_hostkey *hk)
{
	char hex[65] = "", seen[80] = "";
	FILE *fp;

	if (!(hk->type & GIT_CERT_SSH_SHA256)) {
		snprintf(cb->why, sizeof(cb->why), "the host's key has no SHA-256");
		return -1;
	}
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", hk->hash_sha256[i]);
	if ((fp = fopen(cb->f->known_host, "re")) != NULL) {
		if (fgets(seen, sizeof(seen), fp) == NULL)
			seen[0] = '\0';
		fclose(fp);
		seen[strcspn(seen, "\n")] = '\0';
		if (strcmp(seen, hex) == 0)
			return 0;
		snprintf(cb->why, sizeof(cb->why), "the host's ssh key changed"
		    " (SHA-256 %.16s..., was %.16s...); if that is right, set the"
		    " source again (apps:source APP URL) to trust the new one",
		    hex, seen);
		return -1;
	}
	if (errno != ENOENT || (fp = fopen(cb->f->known_host, "wxe")) == NULL) {
		snprintf(cb->why, sizeof(cb->why), "cannot keep the host's key in"
		    " '%s': %s", cb->f->known_host, strerror(errno));
		return -1;
	}
	fprintf(fp, "%s\n", hex);
	return fclose(fp) == 0 ? 0 : -1;
}

static int
certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	struct fetch_cb *cb = payload;

	(void)valid, (void)host;
	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2 &&
	    cb->f->known_host != NULL)
		return known_host(cb, (const git_cert_hostkey *)cert);
	return GIT_PASSTHROUGH; /* x509: libgit2 checks it against the CAs */
}

static int
progress(const git_indexer_progress *st, void *payload)
{
	struct fetch_cb *cb = payload;

	if (st->received_bytes > cb->f->max_bytes) {
		snprintf(cb->why, sizeof(cb->why), "the host sends more than"
		    " [server] max_push_size (%llu bytes)",
		    (unsigned long long)cb->f->max_bytes);
		return -1;
	}
	return 0;
}

/* The host's id for refs/heads/BRANCH: 0, or -1 with err. */
static int
remote_tip(git_remote *r, const char *branch, git_oid *tip, char *err,
    size_t errlen)
{
	const git_remote_head **heads;
	char want[300];
	size_t n;

	snprintf(want, sizeof(want), "refs/heads/%s", branch);
	if (git_remote_ls(&heads, &n, r) < 0) {
		snprintf(err, errlen, "cannot list the host's refs: %s",
		    git_reason());
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(heads[i]->name, want) == 0) {
			*tip = heads[i]->oid;
			return 0;
		}
	snprintf(err, errlen, "the host has no branch '%s'", branch);
	return -1;
}

static void
fail(struct fetch_cb *cb, const char *what, char *err, size_t errlen)
{
	if (now_s() - cb->start >= cb->f->timeout)
		snprintf(err, errlen, "%s: no answer within [webhooks]"
		    " fetch_timeout (%d s)", what, cb->f->timeout);
	else
		snprintf(err, errlen, "%s: %s", what, cb->why[0] ? cb->why :
		    git_reason());
}

int
fetch_branch(git_repository *repo, const struct fetch_req *f, git_oid *tip,
    char *err, size_t errlen)
{
	struct fetch_cb cb = { .f = f };
	git_fetch_options opts;
	char spec[300], *specs[1] = { spec };
	git_strarray refspecs = { specs, 1 };
	struct sigaction old_alarm;
	git_remote *r = NULL;
	git_odb *odb = NULL;
	int rc = -1;

	cb.start = now_s();
	if (git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION) < 0) {
		fail(&cb, "libgit2", err, errlen);
		return -1;
	}
	opts.callbacks.credentials = credentials;
	opts.callbacks.certificate_check = certificate;
	opts.callbacks.transfer_progress = progress;
	opts.callbacks.payload = &cb;
	opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	opts.update_fetchhead = 0;
	snprintf(spec, sizeof(spec), "refs/heads/%s", f->branch);
	if (f->ca_file != NULL && git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
	    f->ca_file, NULL) < 0) {
		fail(&cb, "cannot read [webhooks] ca_file", err, errlen);
		return -1;
	}
	/* the system's CAs, which libgit2's start left owed (gitlib.c) */
	if (f->ca_file == NULL && strncmp(f->url, "https://", 8) == 0 &&
	    gitlib_load_cas(err, errlen) == -1)
		return -1;
	if (git_remote_create_anonymous(&r, repo, f->url) < 0) {
		fail(&cb, "bad source URL", err, errlen);
		return -1;
	}
	deadline(1, f->timeout, &old_alarm);
	if (git_remote_connect(r, GIT_DIRECTION_FETCH, &opts.callbacks, NULL,
	    NULL) < 0) {
		fail(&cb, "cannot connect to the source", err, errlen);
		goto out;
	}
	if (remote_tip(r, f->branch, tip, err, errlen) == -1)
		goto out;
	if (git_repository_odb(&odb, repo) < 0) {
		fail(&cb, "cannot open the repository's objects", err, errlen);
		goto out;
	}
	if (!git_odb_exists(odb, tip) &&
	    git_remote_download(r, &refspecs, &opts) < 0) {
		fail(&cb, "cannot fetch from the source", err, errlen);
		goto out;
	}
	if (!git_odb_exists(odb, tip)) {
		snprintf(err, errlen, "the host did not send commit %.12s",
		    git_oid_tostr_s(tip));
		goto out;
	}
	rc = 0;
out:
	git_odb_free(odb);
	(void)git_remote_disconnect(r);
	deadline(0, 0, &old_alarm);
	git_remote_free(r);
	return rc;
}
