/*
 * gitd_upload.c - git-upload-pack, natively: the server side of `git clone`
 * and `git fetch`.  Implements gitprotocol-pack "Fetching Data From a Server"
 * for protocol v0 without multi_ack (a client asking for v2 falls back to v0
 * when it sees a v0 advertisement).
 *
 * Phases: advertise (HEAD first, symref), wants, negotiation (haves, ACK on
 * the first common commit, NAK on a flush while none is known, done), pack
 * (the objects the wants need beyond the common commits, gitd_fetchset.c,
 * written by reusing what the packs store, gitd_send.c; on side-band 1 when
 * negotiated, progress on band 2).  Thin packs when the client asks.
 * No shallow, no filter: they are not advertised.
 */
#include "gitd/gitd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"
#include "core/log.h"
#include "gitd/gitd_fetchset.h"
#include "gitd/gitd_pack.h"
#include "gitd/gitd_packset.h"
#include "gitd/gitd_refs.h"
#include "gitd/gitd_send.h"

#define UPLOAD_CAPS "side-band-64k side-band ofs-delta thin-pack " \
	"no-progress object-format=sha1 agent=berth/" BERTH_VERSION
#define MAX_WANTS 10000
#define MAX_HAVES 100000

struct upload {
	struct gitd_ctx *g;
	struct pkt_io io;
	git_repository *repo;
	struct ref_list refs;
	git_oid *wants, *commons;
	size_t nwants, ncommons;
	int sideband, no_progress, ofs_delta, thin;
	char line[PKT_DATA_MAX + 1];
};

static int upload_advertise(struct upload *u);
static int upload_wants(struct upload *u);
static int upload_negotiate(struct upload *u);
static int upload_pack(struct upload *u);
static void upload_free(struct upload *u);

int
gitd_upload_pack(struct gitd_ctx *g)
{
	struct upload *u;
	char path[PATH_MAX];
	int rc = 128;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		gitd_errorf(g, "berth: out of memory");
		return 128;
	}
	u->g = g;
	pkt_init(&u->io, &g->io.in_out);
	if (gitd_repo_path(g->conf, g->app.name, path, sizeof(path)) == -1 ||
	    git_repository_open_bare(&u->repo, path) < 0) {
		gitd_errorf(g, "berth: cannot open repository of '%s'",
		    g->app.name);
		goto out;
	}
	if (upload_advertise(u) == -1)
		goto out;
	switch (upload_wants(u)) {
	case 0:
		rc = 0; /* ls-remote: the client wants nothing */
		goto out;
	case -1:
		goto out;
	}
	if (upload_negotiate(u) == -1 || upload_pack(u) == -1)
		goto out;
	rc = 0;
out:
	upload_free(u);
	return rc;
}

static void
upload_free(struct upload *u)
{
	refs_list_free(&u->refs);
	free(u->wants);
	free(u->commons);
	git_repository_free(u->repo);
	free(u);
}

/* Protocol failure: band 3 when negotiated, else an ERR pkt-line. */
static int
upload_fail(struct upload *u, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gitd_protocol_fail(u->g, &u->io, u->sideband, 1, "upload-pack",
	    msg);
}

static int
upload_advertise(struct upload *u)
{
	char err[256], hex[GIT_OID_HEXSZ + 1], caps[512];
	const char *head_target = NULL;
	git_reference *head = NULL;
	git_oid head_id;
	int rc = 0, first = 1;

	if (refs_list(u->repo, &u->refs, err, sizeof(err)) == -1)
		return upload_fail(u, "%s", err);
	snprintf(caps, sizeof(caps), "%s", UPLOAD_CAPS);
	if (git_reference_lookup(&head, u->repo, "HEAD") == 0 &&
	    git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    git_reference_name_to_id(&head_id, u->repo, "HEAD") == 0) {
		head_target = git_reference_symbolic_target(head);
		snprintf(caps, sizeof(caps), "%s symref=HEAD:%s", UPLOAD_CAPS,
		    head_target);
		git_oid_tostr(hex, sizeof(hex), &head_id);
		rc = pkt_writef(&u->io, "%s HEAD%c%s\n", hex, '\0', caps);
		first = 0;
	}
	git_reference_free(head);
	for (size_t i = 0; i < u->refs.n && rc == 0; i++) {
		git_oid_tostr(hex, sizeof(hex), &u->refs.v[i].oid);
		rc = first ? pkt_writef(&u->io, "%s %s%c%s\n", hex,
		    u->refs.v[i].name, '\0', caps) :
		    pkt_writef(&u->io, "%s %s\n", hex, u->refs.v[i].name);
		first = 0;
		if (rc == 0 && u->refs.v[i].has_peeled) {
			git_oid_tostr(hex, sizeof(hex), &u->refs.v[i].peeled);
			rc = pkt_writef(&u->io, "%s %s^{}\n", hex,
			    u->refs.v[i].name);
		}
	}
	if (rc == 0 && first)
		rc = pkt_writef(&u->io, "%s capabilities^{}%c%s\n",
		    "0000000000000000000000000000000000000000", '\0', caps);
	if (rc == 0)
		rc = pkt_flush(&u->io);
	if (rc == 0)
		rc = pkt_send(&u->io);
	return rc == 0 ? 0 : upload_fail(u, "%s", u->io.err);
}

static int
is_advertised(const struct upload *u, const git_oid *id)
{
	for (size_t i = 0; i < u->refs.n; i++)
		if (git_oid_equal(&u->refs.v[i].oid, id) ||
		    (u->refs.v[i].has_peeled &&
		    git_oid_equal(&u->refs.v[i].peeled, id)))
			return 1;
	return 0;
}

static int
upload_caps(struct upload *u, const char *caps)
{
	char tok[128];

	if (pkt_cap_unknown(caps, UPLOAD_CAPS, tok, sizeof(tok)))
		return upload_fail(u, "unsupported capability '%s'", tok);
	if (pkt_cap_has(caps, "side-band-64k", NULL, 0))
		u->sideband = PKT_BAND_MAX;
	else if (pkt_cap_has(caps, "side-band", NULL, 0))
		u->sideband = 999; /* 1000-byte packets, band byte included */
	u->io.sideband = u->sideband;
	u->no_progress = pkt_cap_has(caps, "no-progress", NULL, 0);
	u->ofs_delta = pkt_cap_has(caps, "ofs-delta", NULL, 0);
	u->thin = pkt_cap_has(caps, "thin-pack", NULL, 0);
	return 0;
}

/* 1 when the client wants objects, 0 when it wants none, -1 on error. */
static int
upload_wants(struct upload *u)
{
	enum pkt_status st;
	size_t len, cap = 0;
	git_oid id;

	for (;;) {
		st = pkt_read_line(&u->io, u->line, &len);
		if (st == PKT_FLUSH || (st == PKT_EOF && u->nwants == 0))
			break;
		if (st != PKT_DATA)
			return upload_fail(u, "%s", st == PKT_ERROR ? u->io.err :
			    "unexpected end of the want list");
		if (len < 5 + GIT_OID_HEXSZ || strncmp(u->line, "want ", 5) != 0 ||
		    git_oid_fromstrn(&id, u->line + 5, GIT_OID_HEXSZ) < 0 ||
		    (u->line[5 + GIT_OID_HEXSZ] != '\0' &&
		    u->line[5 + GIT_OID_HEXSZ] != ' '))
			return upload_fail(u, "protocol error: expected 'want'"
			    " line, got '%.60s'", u->line);
		if (u->nwants == 0 && u->line[5 + GIT_OID_HEXSZ] == ' ' &&
		    upload_caps(u, u->line + 6 + GIT_OID_HEXSZ) == -1)
			return -1;
		if (!is_advertised(u, &id))
			return upload_fail(u, "upload-pack: not our ref %s",
			    u->line + 5);
		if (u->nwants == MAX_WANTS)
			return upload_fail(u, "too many wants");
		if (grow(&u->wants, &cap, u->nwants, sizeof(*u->wants), 16) == -1)
			return upload_fail(u, "out of memory");
		git_oid_cpy(&u->wants[u->nwants++], &id);
	}
	return u->nwants > 0;
}

/* Record a have that we also have (a commit): returns 1 if it is common. */
static int
have_common(struct upload *u, const git_oid *id, size_t *cap)
{
	git_odb *odb;
	size_t len;
	git_object_t type;
	int ok;

	if (git_repository_odb(&odb, u->repo) < 0)
		return 0;
	ok = git_odb_read_header(&len, &type, odb, id) == 0 &&
	    type == GIT_OBJECT_COMMIT;
	git_odb_free(odb);
	if (!ok || u->ncommons == MAX_HAVES)
		return 0;
	if (grow(&u->commons, cap, u->ncommons, sizeof(*u->commons), 64) == -1)
		return 0;
	git_oid_cpy(&u->commons[u->ncommons++], id);
	return 1;
}

static int
upload_negotiate(struct upload *u)
{
	enum pkt_status st;
	size_t len, cap = 0, haves = 0;
	git_oid id;

	for (;;) {
		st = pkt_read_line(&u->io, u->line, &len);
		if (st == PKT_FLUSH) {
			if (u->ncommons == 0 && (pkt_writef(&u->io, "NAK\n") == -1 ||
			    pkt_send(&u->io) == -1))
				return upload_fail(u, "%s", u->io.err);
			continue;
		}
		if (st != PKT_DATA)
			return upload_fail(u, "%s", st == PKT_ERROR ? u->io.err :
			    "connection closed during negotiation");
		if (strcmp(u->line, "done") == 0)
			break;
		if (len != 5 + GIT_OID_HEXSZ || strncmp(u->line, "have ", 5) != 0 ||
		    git_oid_fromstrn(&id, u->line + 5, GIT_OID_HEXSZ) < 0)
			return upload_fail(u, "protocol error: expected 'have'"
			    " or 'done', got '%.60s'", u->line);
		if (++haves > MAX_HAVES)
			return upload_fail(u, "too many haves");
		if (have_common(u, &id, &cap) && u->ncommons == 1 &&
		    (pkt_writef(&u->io, "ACK %s\n", u->line + 5) == -1 ||
		    pkt_send(&u->io) == -1))
			return upload_fail(u, "%s", u->io.err);
	}
	if (u->ncommons == 0 && (pkt_writef(&u->io, "NAK\n") == -1 ||
	    pkt_send(&u->io) == -1))
		return upload_fail(u, "%s", u->io.err);
	return 0;
}

static int
pack_chunk(void *payload, const void *buf, size_t size)
{
	struct upload *u = payload;

	if (u->sideband)
		return pkt_band(&u->io, 1, buf, size) == -1 ? -1 : 0;
	return pkt_write_raw(&u->io, buf, size) == -1 ? -1 : 0;
}

static int
upload_pack(struct upload *u)
{
	struct packset ps;
	struct fetchset fs;
	char msg[128], err[256];
	int rc = -1;

	memset(&fs, 0, sizeof(fs));
	if (packset_open(&ps, u->repo) == -1) {
		upload_fail(u, "cannot read the packs: %s", ps.err);
		goto out;
	}
	if (fetchset_build(&fs, u->repo, &ps, u->wants, u->nwants, u->commons,
	    u->ncommons, err, sizeof(err)) == -1) {
		upload_fail(u, "cannot pack: %s", err);
		goto out;
	}
	if (u->sideband && !u->no_progress) {
		int n = snprintf(msg, sizeof(msg), "berth: sending %zu objects\n",
		    fs.n);
		(void)pkt_band(&u->io, 2, msg, (size_t)n);
	}
	if (send_pack(&ps, &fs, u->ofs_delta, u->thin, pack_chunk, u, err,
	    sizeof(err)) == -1) {
		upload_fail(u, "sending pack failed: %s", u->io.err[0] ?
		    u->io.err : err);
		goto out;
	}
	if ((u->sideband && pkt_flush(&u->io) == -1) || pkt_send(&u->io) == -1)
		goto out;
	rc = 0;
out:
	fetchset_free(&fs);
	packset_close(&ps);
	return rc;
}
