/*
 * gitd_pack.c - pack reception: header check, streaming into libgit2's
 * indexer inside a quarantine directory, end-of-pack detection from the
 * trailer, migration into objects/pack.  See gitd_pack.h and
 * gitprotocol-pack "Pack Protocol" / gitformat-pack.
 *
 * End detection: a pack ends with the SHA-1 of all bytes before it.  We keep
 * a running SHA-1 that trails the stream by 20 bytes; once the indexer has
 * seen every object it announced, the pack is complete when the held-back
 * 20 bytes equal the digest of everything before them.
 */
#include "gitd/gitd_pack.h"

#include "core/path.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PACK_HDR 12
#define PACK_TRAILER 20

struct pack_stream {
	EVP_MD_CTX *sha;
	unsigned char hold[PACK_TRAILER];
	size_t held;
};

static int read_exact(struct pkt_io *io, unsigned char *buf, size_t len,
    char *err, size_t errlen);
static int parse_header(const unsigned char *h, uint32_t *count, char *err,
    size_t errlen);
static int receive_empty(struct pkt_io *io, const unsigned char *hdr,
    char *err, size_t errlen);
static int make_quarantine(git_repository *repo, struct pack_quarantine *q,
    char *err, size_t errlen);
static int stream_feed(struct pack_stream *ps, const unsigned char *p,
    size_t len);
static int stream_complete(struct pack_stream *ps);

const char *
git_errmsg(const char *fallback)
{
	const git_error *e = git_error_last();

	return e != NULL && e->message != NULL ? e->message : fallback;
}

uint32_t
pack_max_objects(uint64_t max_bytes)
{
	uint64_t n = max_bytes / 64;

	return n > 5000000 ? 5000000 : n < 10000 ? 10000 : (uint32_t)n;
}

int
pack_receive(struct pkt_io *io, git_repository *repo, uint64_t max_bytes,
    struct pack_quarantine *q, char *err, size_t errlen)
{
	unsigned char hdr[PACK_HDR], buf[PKT_IOBUF];
	struct pack_stream ps = { 0 };
	git_indexer_options opts;
	git_indexer_progress stats = { 0 };
	git_indexer *idx = NULL;
	git_odb *odb = NULL;
	char packdir[PATH_MAX];
	uint32_t count;
	int complete = 0, rc = -1;
	ssize_t n;

	memset(q, 0, sizeof(*q));
	if (read_exact(io, hdr, PACK_HDR, err, errlen) == -1 ||
	    parse_header(hdr, &count, err, errlen) == -1)
		return -1;
	if (count == 0)
		return receive_empty(io, hdr, err, errlen);
	if (count > pack_max_objects(max_bytes)) {
		snprintf(err, errlen, "pack declares %u objects, more than the %u"
		    " a push of at most %llu bytes can hold", count,
		    pack_max_objects(max_bytes), (unsigned long long)max_bytes);
		return -1;
	}
	q->objects = count;
	q->bytes = PACK_HDR;
	if (make_quarantine(repo, q, err, errlen) == -1)
		return -1;
	if (pathf(packdir, sizeof(packdir), "%s/pack", q->dir) == -1 ||
	    git_indexer_options_init(&opts, GIT_INDEXER_OPTIONS_VERSION) < 0) {
		snprintf(err, errlen, "quarantine path too long");
		goto out;
	}
	opts.verify = 1;
	if ((ps.sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ps.sha, EVP_sha1(), NULL) != 1) {
		snprintf(err, errlen, "cannot start SHA-1");
		goto out;
	}
	if (git_repository_odb(&odb, repo) < 0 ||
	    git_indexer_new(&idx, packdir, 0, odb, &opts) < 0) {
		snprintf(err, errlen, "cannot start indexer: %s",
		    git_errmsg("unknown error"));
		goto out;
	}
	if (stream_feed(&ps, hdr, PACK_HDR) == -1 ||
	    git_indexer_append(idx, hdr, PACK_HDR, &stats) < 0)
		goto bad_pack;
	while (!complete) {
		if ((n = pkt_read_raw(io, buf, sizeof(buf))) < 0) {
			snprintf(err, errlen, "reading pack: %s", io->err);
			goto out;
		}
		if (n == 0)
			break;
		q->bytes += (uint64_t)n;
		if (max_bytes > 0 && q->bytes > max_bytes) {
			snprintf(err, errlen, "push is larger than max_push_size"
			    " (%llu bytes)", (unsigned long long)max_bytes);
			goto out;
		}
		if (stream_feed(&ps, buf, (size_t)n) == -1 ||
		    git_indexer_append(idx, buf, (size_t)n, &stats) < 0)
			goto bad_pack;
		if (stats.received_objects == stats.total_objects &&
		    stream_complete(&ps))
			complete = 1;
	}
	if (!complete) {
		snprintf(err, errlen, "pack truncated: received %u of %u"
		    " objects", stats.received_objects, count);
		goto out;
	}
	if (git_indexer_commit(idx, &stats) < 0)
		goto bad_pack;
	snprintf(q->name, sizeof(q->name), "pack-%s", git_indexer_name(idx));
	rc = 0;
	goto out;
bad_pack:
	snprintf(err, errlen, "bad pack: %s", git_errmsg("indexer failed"));
out:
	git_indexer_free(idx);
	git_odb_free(odb);
	EVP_MD_CTX_free(ps.sha);
	if (rc == -1)
		pack_discard(q);
	return rc;
}

static int
read_exact(struct pkt_io *io, unsigned char *buf, size_t len, char *err,
    size_t errlen)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pkt_read_raw(io, buf + got, len - got);
		if (n < 0) {
			snprintf(err, errlen, "reading pack: %s", io->err);
			return -1;
		}
		if (n == 0) {
			snprintf(err, errlen, "pack truncated: stream ended"
			    " after %zu bytes", got);
			return -1;
		}
		got += (size_t)n;
	}
	return 0;
}

static int
parse_header(const unsigned char *h, uint32_t *count, char *err, size_t errlen)
{
	uint32_t version;

	if (memcmp(h, "PACK", 4) != 0) {
		snprintf(err, errlen, "bad pack: no PACK signature");
		return -1;
	}
	version = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 |
	    (uint32_t)h[6] << 8 | h[7];
	if (version != 2 && version != 3) {
		snprintf(err, errlen, "bad pack: unsupported version %u", version);
		return -1;
	}
	*count = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 |
	    (uint32_t)h[10] << 8 | h[11];
	return 0;
}

/* A pack with no objects: header plus trailer, nothing to index. */
static int
receive_empty(struct pkt_io *io, const unsigned char *hdr, char *err,
    size_t errlen)
{
	unsigned char trailer[PACK_TRAILER], digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	if (read_exact(io, trailer, sizeof(trailer), err, errlen) == -1)
		return -1;
	if (EVP_Digest(hdr, PACK_HDR, digest, &dlen, EVP_sha1(), NULL) != 1 ||
	    dlen != PACK_TRAILER || memcmp(digest, trailer, PACK_TRAILER) != 0) {
		snprintf(err, errlen, "bad pack: checksum mismatch");
		return -1;
	}
	return 0;
}

static int
make_quarantine(git_repository *repo, struct pack_quarantine *q, char *err,
    size_t errlen)
{
	char pack[PATH_MAX];

	if (pathf(q->dir, sizeof(q->dir), "%sobjects/incoming-XXXXXX",
	    git_repository_path(repo)) == -1 || mkdtemp(q->dir) == NULL) {
		snprintf(err, errlen, "cannot create quarantine: %s",
		    strerror(errno));
		q->dir[0] = '\0';
		return -1;
	}
	if (pathf(pack, sizeof(pack), "%s/pack", q->dir) == -1 ||
	    mkdir(pack, 0700) == -1) {
		snprintf(err, errlen, "cannot create '%s': %s", pack,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Hash everything but the last 20 bytes seen so far. */
static int
stream_feed(struct pack_stream *ps, const unsigned char *p, size_t len)
{
	if (len >= PACK_TRAILER) {
		if (EVP_DigestUpdate(ps->sha, ps->hold, ps->held) != 1 ||
		    EVP_DigestUpdate(ps->sha, p, len - PACK_TRAILER) != 1)
			return -1;
		memcpy(ps->hold, p + len - PACK_TRAILER, PACK_TRAILER);
		ps->held = PACK_TRAILER;
		return 0;
	}
	if (ps->held + len > PACK_TRAILER) {
		size_t spill = ps->held + len - PACK_TRAILER;
		if (EVP_DigestUpdate(ps->sha, ps->hold, spill) != 1)
			return -1;
		memmove(ps->hold, ps->hold + spill, ps->held - spill);
		ps->held -= spill;
	}
	memcpy(ps->hold + ps->held, p, len);
	ps->held += len;
	return 0;
}

static int
stream_complete(struct pack_stream *ps)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *copy;
	int ok = 0;

	if (ps->held != PACK_TRAILER || (copy = EVP_MD_CTX_new()) == NULL)
		return 0;
	if (EVP_MD_CTX_copy_ex(copy, ps->sha) == 1 &&
	    EVP_DigestFinal_ex(copy, digest, &dlen) == 1 &&
	    dlen == PACK_TRAILER && memcmp(digest, ps->hold, PACK_TRAILER) == 0)
		ok = 1;
	EVP_MD_CTX_free(copy);
	return ok;
}

int
pack_expose(git_repository *repo, const struct pack_quarantine *q, char *err,
    size_t errlen)
{
	git_odb *odb;
	int rc;

	if (q->dir[0] == '\0')
		return 0;
	if (git_repository_odb(&odb, repo) < 0) {
		snprintf(err, errlen, "cannot open odb: %s", git_errmsg("?"));
		return -1;
	}
	rc = git_odb_add_disk_alternate(odb, q->dir);
	git_odb_free(odb);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read quarantine: %s",
		    git_errmsg("?"));
		return -1;
	}
	return 0;
}

int
pack_migrate(git_repository *repo, struct pack_quarantine *q, char *err,
    size_t errlen)
{
	static const char *const exts[] = { ".pack", ".idx" };
	char from[PATH_MAX], to[PATH_MAX];
	git_odb *odb;

	if (q->dir[0] == '\0')
		return 0;
	/* the .pack first: a pack is only found through its .idx */
	for (size_t i = 0; i < 2; i++) {
		if (pathf(from, sizeof(from), "%s/pack/%s%s", q->dir, q->name,
		    exts[i]) == -1 || pathf(to, sizeof(to), "%sobjects/pack/%s%s",
		    git_repository_path(repo), q->name, exts[i]) == -1 ||
		    rename(from, to) == -1) {
			snprintf(err, errlen, "cannot move '%s' into place: %s",
			    from, strerror(errno));
			return -1;
		}
	}
	pack_discard(q);
	if (git_repository_odb(&odb, repo) == 0) {
		(void)git_odb_refresh(odb);
		git_odb_free(odb);
	}
	return 0;
}

void
pack_discard(struct pack_quarantine *q)
{
	if (q->dir[0] == '\0')
		return;
	(void)rmtree(q->dir);
	q->dir[0] = '\0';
}
