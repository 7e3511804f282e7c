/*
 * gitd_pack.c - pack reception: header check, streaming into berth's
 * indexer (gitd_index.h) inside a quarantine directory, migration into
 * objects/pack.  See gitd_pack.h and gitprotocol-pack "Pack Protocol" /
 * gitformat-pack.
 *
 * End detection: the indexer parses every entry, so it knows where the
 * objects end; the pack is complete when the 20 bytes after them equal the
 * SHA-1 of everything before.  Bytes after the trailer are refused.
 */
#include "gitd/gitd_pack.h"

#include "core/datadir.h"
#include "core/log.h"
#include "core/path.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int read_exact(struct pkt_io *io, unsigned char *buf, size_t len,
    char *err, size_t errlen);
static int parse_header(const unsigned char *h, uint32_t *count, char *err,
    size_t errlen);
static int receive_empty(struct pkt_io *io, const unsigned char *hdr,
    char *err, size_t errlen);
static int make_quarantine(git_repository *repo, struct pack_quarantine *q,
    char *err, size_t errlen);
static int stream_pack(struct pkt_io *io, const struct conf *conf,
    struct pack_quarantine *q, char *err, size_t errlen);
static int index_slot(const struct conf *conf, char *err, size_t errlen);

static double
seconds(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

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
pack_receive(struct pkt_io *io, git_repository *repo, const struct conf *conf,
    struct pack_quarantine *q, char *err, size_t errlen)
{
	struct pack_limits lim = { .max_object = conf->max_object_size,
	    .max_inflated = conf->max_push_inflated };
	unsigned char hdr[PACK_HDR];
	char packdir[PATH_MAX];
	struct packset ps;
	uint32_t count;
	int rc = -1, slot = -1, ps_open = 0;
	double t0 = seconds(), t1, t2;

	memset(q, 0, sizeof(*q));
	if (read_exact(io, hdr, PACK_HDR, err, errlen) == -1 ||
	    parse_header(hdr, &count, err, errlen) == -1)
		return -1;
	if (count == 0)
		return receive_empty(io, hdr, err, errlen);
	if (count > pack_max_objects(conf->max_push_size)) {
		snprintf(err, errlen, "pack declares %u objects, more than the %u"
		    " a push of at most %llu bytes can hold", count,
		    pack_max_objects(conf->max_push_size),
		    (unsigned long long)conf->max_push_size);
		return -1;
	}
	q->objects = count;
	q->bytes = PACK_HDR;
	if (make_quarantine(repo, q, err, errlen) == -1)
		goto out;
	if (pathf(packdir, sizeof(packdir), "%s/pack", q->dir) == -1) {
		snprintf(err, errlen, "quarantine path too long");
		goto out;
	}
	if (pindex_new(&q->ix, packdir, hdr, count, &lim, err, errlen) == -1 ||
	    stream_pack(io, conf, q, err, errlen) == -1)
		goto out;
	t1 = seconds();
	if (q->ix->inflated > PACK_LIGHT &&
	    (slot = index_slot(conf, err, errlen)) == -1)
		goto out;
	ps_open = 1;
	if (packset_open(&ps, repo) == -1) {
		snprintf(err, errlen, "cannot read the repository: %s", ps.err);
		goto out;
	}
	t2 = seconds();
	if (pindex_finish(q->ix, &ps, err, errlen) == -1)
		goto out;
	snprintf(q->name, sizeof(q->name), "%s", q->ix->name);
	log_info("pack of %u objects, %llu bytes (%llu inflated, %u thin"
	    " bases): streamed in %.2f s, resolved in %.2f s", count,
	    (unsigned long long)q->bytes, (unsigned long long)q->ix->inflated,
	    q->ix->thin, t1 - t0, seconds() - t2);
	rc = 0;
out:
	if (slot != -1)
		close(slot);
	if (ps_open)
		packset_close(&ps);
	if (rc == -1)
		pack_discard(q);
	return rc;
}

/* Feed the pack to the indexer until its trailer. */
static int
stream_pack(struct pkt_io *io, const struct conf *conf,
    struct pack_quarantine *q, char *err, size_t errlen)
{
	unsigned char buf[PKT_IOBUF];
	ssize_t n, used;

	while (!q->ix->complete) {
		if ((n = pkt_read_raw(io, buf, sizeof(buf))) < 0) {
			snprintf(err, errlen, "reading pack: %s", io->err);
			return -1;
		}
		if (n == 0) {
			snprintf(err, errlen, "pack truncated: received %u of %u"
			    " objects", q->ix->n, q->objects);
			return -1;
		}
		q->bytes += (uint64_t)n;
		if (conf->max_push_size > 0 && q->bytes > conf->max_push_size) {
			snprintf(err, errlen, "push is larger than max_push_size"
			    " (%llu bytes)",
			    (unsigned long long)conf->max_push_size);
			return -1;
		}
		if ((used = pindex_feed(q->ix, buf, (size_t)n, err, errlen)) ==
		    -1)
			return -1;
		if (used < n) {
			snprintf(err, errlen, "bad pack: %zd bytes after its"
			    " trailer", n - used);
			return -1;
		}
	}
	return 0;
}

/* One of the machine-wide slots for resolving a large pack: an flock'd fd,
 * or -1 with err.  Waits (polling) while every slot is taken. */
static int
index_slot(const struct conf *conf, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int said = 0;

	for (;;) {
		for (int k = 0; k < PACK_SLOTS; k++) {
			char name[32];
			int fd;
			snprintf(name, sizeof(name), "index-slot-%d.lock", k);
			if (datadir_lock(conf->data_dir, name, path,
			    sizeof(path)) == -1 ||
			    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC,
			    0600)) == -1) {
				snprintf(err, errlen, "cannot open an index slot"
				    " lock: %s", strerror(errno));
				return -1;
			}
			if (flock(fd, LOCK_EX | LOCK_NB) == 0)
				return fd;
			close(fd);
		}
		if (!said++)
			log_info("waiting for an index slot (%d large pushes"
			    " unpacking)", PACK_SLOTS);
		usleep(100000);
	}
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
	pindex_free(q->ix);
	q->ix = NULL;
	if (q->dir[0] == '\0')
		return;
	(void)rmtree(q->dir);
	q->dir[0] = '\0';
}
