/*
 * fetch.h - one branch of an app's Git source fetched with libgit2 into
 * the app's bare repository (deploy/fetch.c): objects only, no ref moves
 * (deploy/pull.c moves the branch once the deploy succeeded).  https
 * checks the host's certificate against [webhooks] ca_file, or the
 * system's CA bundle (parsed here, not at libgit2's start: gitlib.c);
 * ssh logs in with the
 * app's deploy key (core/source.h) and trusts the host key it sees first,
 * refusing a changed one afterwards.  Debian's libgit2 is built with
 * mbedTLS, which reads the system's CA bundle (not SSL_CERT_FILE) and
 * matches a certificate's DNS names only, not IP addresses.
 */
#ifndef BERTH_DEPLOY_FETCH_H
#define BERTH_DEPLOY_FETCH_H

#include <git2.h>
#include <stdint.h>

struct fetch_req {
	const char *url;
	const char *branch;
	const char *key_priv, *key_pub; /* ssh: the deploy key's files */
	const char *known_host;         /* ssh: the host key's SHA-256, hex,
	                                 * written on first use */
	uint64_t max_bytes;             /* the pack, as received */
	const char *ca_file;            /* https: the CAs to trust, or NULL
	                                 * for libgit2's (the system's) */
	int timeout;                    /* seconds for the whole fetch */
};

/* Fetch f->branch into repo; its tip in *tip.  0, or -1 with err (the
 * host's or libgit2's reason: "cannot connect ...", "the host has no
 * branch 'main'").  A fetch still running after f->timeout seconds is
 * interrupted (SIGALRM without SA_RESTART: the blocked read or connect
 * fails with EINTR, so libgit2 gives up); the caller must not use
 * alarm(2) meanwhile. */
int fetch_branch(git_repository *repo, const struct fetch_req *f,
    git_oid *tip, char *err, size_t errlen);

#endif
