/*
 * gitd_receive.c - git-receive-pack, natively: the server side of `git push`.
 * Implements gitprotocol-pack "Pushing Data To a Server" (protocol v0/v1).
 *
 * gitd_receive_pack() reads as the protocol's phases in order:
 *   room      refused up front when the data dir is low on space
 *   lock      one push per app at a time (core/applock.c); from here
 *             until the pack is in, at most pack_timeout
 *   advertise refs and capabilities
 *   commands  read the update commands (and push options)
 *   pack      receive the pack into quarantine (gitd_pack.c)
 *   connect   every object the new tips need is there (gitd_connect.c)
 *   check     ref names, objects present, policy
 *   deploy    the receive hook (deploy/), which may reject updates
 *   update    migrate the pack, move refs with compare-and-swap
 *   report    report-status (on side-band 1 when negotiated)
 * A malformed stream ends the session with a message on stderr; per-ref
 * failures are reported as "ng REF reason" and nothing of them is kept.
 */
#include "gitd/gitd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/applock.h"
#include "core/grow.h"
#include "core/log.h"
#include "core/path.h"
#include "core/upkeep.h"
#include "gitd/gitd_connect.h"
#include "gitd/gitd_pack.h"
#include "gitd/gitd_refs.h"
#include "deploy/receive.h"

#define RECEIVE_CAPS "report-status side-band-64k delete-refs ofs-delta " \
	"atomic quiet push-options object-format=sha1 agent=berth/" BERTH_VERSION
#define MAX_COMMANDS 1000
#define MAX_PUSH_OPTIONS 100

struct receive {
	struct gitd_ctx *g;
	struct pkt_io io;
	git_repository *repo;
	int lockfd;
	char caps[PKT_DATA_MAX + 1]; /* capabilities the client asked for */
	int report, sideband, atomic, quiet;
	struct ref_cmd *cmds;
	size_t ncmds;
	struct pack_quarantine q;
	char unpack_err[256];        /* "" when the pack was fine */
	char conn_err[256];          /* "" when nothing is missing */
	char line[PKT_DATA_MAX + 1];
};

static int receive_room(struct receive *r);
static int receive_lock(struct receive *r);
static void receive_deadline(struct receive *r, int on);
static int receive_open(struct receive *r);
static int receive_advertise(struct receive *r);
static int receive_commands(struct receive *r);
static void receive_pack(struct receive *r);
static void receive_connect(struct receive *r);
static void receive_check(struct receive *r);
static void receive_deploy(struct receive *r);
static void receive_update(struct receive *r);
static int receive_report(struct receive *r);
static void receive_free(struct receive *r);
static void say(void *ctx, const char *line);

int
gitd_receive_pack(struct gitd_ctx *g)
{
	struct receive *r;
	int rc = 128;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		gitd_errorf(g, "berth: out of memory");
		return 128;
	}
	r->g = g;
	r->lockfd = -1;
	pkt_init(&r->io, &g->io.in_out);
	if (receive_room(r) == -1 || receive_lock(r) == -1 ||
	    receive_open(r) == -1 ||
	    receive_advertise(r) == -1)
		goto out;
	switch (receive_commands(r)) {
	case 0:
		rc = 0; /* nothing to update: the client only listed refs */
		goto out;
	case -1:
		goto out;
	}
	receive_pack(r);
	receive_deadline(r, 0);
	receive_connect(r);
	receive_check(r);
	receive_deploy(r);
	receive_update(r);
	if (receive_report(r) == 0)
		rc = 0;
out:
	receive_free(r);
	return rc;
}

static void
receive_free(struct receive *r)
{
	pack_discard(&r->q);
	free(r->cmds);
	git_repository_free(r->repo);
	if (r->lockfd != -1)
		close(r->lockfd); /* releases the flock */
	free(r);
}

/* Protocol failure: tell the client on stderr (and band 3 when possible). */
/* Protocol failure: tell the client (band 3 when possible, else stderr). */
static int
receive_fail(struct receive *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gitd_protocol_fail(r->g, &r->io, r->sideband, 0, "receive-pack",
	    msg);
}

static void
lock_waiting(void *arg, const char *busy)
{
	struct receive *r = arg;

	gitd_errorf(r->g, "berth: app '%s' is busy: %s; waiting for it to"
	    " finish (at most %d s)", r->g->app.name, busy,
	    r->g->conf->lock_timeout);
}

/* Set or clear the deadline for the pack (pack_timeout) on the stream. */
static void
receive_deadline(struct receive *r, int on)
{
	char why[160];

	if (r->g->io.set_deadline == NULL)
		return;
	snprintf(why, sizeof(why), "the push held app '%s' for %d s before"
	    " its pack was in ([server] pack_timeout)", r->g->app.name,
	    r->g->conf->pack_timeout);
	r->g->io.set_deadline(r->g->io.in_out.ctx, on ? r->g->conf->pack_timeout :
	    0, why);
}

/* Up front, before anything is read or locked: room on the data dir
 * ([upkeep] min_free_space, core/upkeep.h). */
static int
receive_room(struct receive *r)
{
	char err[512];

	if (upkeep_disk_check(r->g->conf, err, sizeof(err)) == -1)
		return gitd_protocol_fail(r->g, &r->io, 0, 1, "receive-pack", err);
	return 0;
}

/* The app's lock, then a deadline: a push that idles or trickles cannot
 * hold the app (and every command that needs it) for longer than
 * pack_timeout before its pack has arrived. */
static int
receive_lock(struct receive *r)
{
	char err[256], holder[APPLOCK_WHAT_MAX];

	gitd_holder(r->g, "a push", holder, sizeof(holder));
	r->lockfd = applock_take(r->g->conf, r->g->app.name, holder,
	    lock_waiting, r, err, sizeof(err));
	if (r->lockfd == -1)
		return receive_fail(r, "%s", err);
	receive_deadline(r, 1);
	return 0;
}

static int
receive_open(struct receive *r)
{
	char path[PATH_MAX];

	if (gitd_repo_path(r->g->conf, r->g->app.name, path, sizeof(path)) == -1)
		return receive_fail(r, "repository path too long");
	if (git_repository_open_bare(&r->repo, path) < 0)
		return receive_fail(r, "cannot open repository of '%s': %s",
		    r->g->app.name, git_errmsg("?"));
	return 0;
}

static int
receive_advertise(struct receive *r)
{
	struct ref_list refs;
	char err[256], hex[GIT_OID_HEXSZ + 1];
	int rc = 0;

	if (refs_list(r->repo, &refs, err, sizeof(err)) == -1)
		return receive_fail(r, "%s", err);
	if (refs.n == 0)
		rc = pkt_writef(&r->io, "%s capabilities^{}%c%s\n",
		    "0000000000000000000000000000000000000000", '\0',
		    RECEIVE_CAPS);
	for (size_t i = 0; i < refs.n && rc == 0; i++) {
		git_oid_tostr(hex, sizeof(hex), &refs.v[i].oid);
		if (i == 0)
			rc = pkt_writef(&r->io, "%s %s%c%s\n", hex,
			    refs.v[i].name, '\0', RECEIVE_CAPS);
		else
			rc = pkt_writef(&r->io, "%s %s\n", hex, refs.v[i].name);
	}
	refs_list_free(&refs);
	if (rc == 0)
		rc = pkt_flush(&r->io);
	if (rc == 0)
		rc = pkt_send(&r->io);
	return rc == 0 ? 0 : receive_fail(r, "%s", r->io.err);
}

/* Check the client's capabilities against what we advertised. */
static int
receive_caps(struct receive *r)
{
	char tok[128];

	if (pkt_cap_unknown(r->caps, RECEIVE_CAPS, tok, sizeof(tok)))
		return receive_fail(r, "unsupported capability '%s'", tok);
	r->report = pkt_cap_has(r->caps, "report-status", NULL, 0);
	r->sideband = pkt_cap_has(r->caps, "side-band-64k", NULL, 0);
	r->atomic = pkt_cap_has(r->caps, "atomic", NULL, 0);
	r->quiet = pkt_cap_has(r->caps, "quiet", NULL, 0);
	if (r->sideband)
		r->io.sideband = PKT_BAND_MAX;
	return 0;
}

/* "old new name": 0 or -1 (bad line). */
static int
parse_command(struct receive *r, const char *line, size_t len,
    struct ref_cmd *c)
{
	size_t namelen;

	memset(c, 0, sizeof(*c));
	if (len < 2 * GIT_OID_HEXSZ + 3 || line[GIT_OID_HEXSZ] != ' ' ||
	    line[2 * GIT_OID_HEXSZ + 1] != ' ' ||
	    git_oid_fromstrn(&c->old_id, line, GIT_OID_HEXSZ) < 0 ||
	    git_oid_fromstrn(&c->new_id, line + GIT_OID_HEXSZ + 1,
	    GIT_OID_HEXSZ) < 0)
		return receive_fail(r, "malformed update command '%.80s'", line);
	namelen = len - 2 * GIT_OID_HEXSZ - 2;
	if (namelen == 0 || namelen >= sizeof(c->name) ||
	    memchr(line + 2 * GIT_OID_HEXSZ + 2, '\0', namelen) != NULL)
		return receive_fail(r, "malformed ref name in update command");
	memcpy(c->name, line + 2 * GIT_OID_HEXSZ + 2, namelen);
	c->name[namelen] = '\0';
	return 0;
}

/* 1 when there are commands, 0 when the client sent none, -1 on error. */
static int
receive_commands(struct receive *r)
{
	size_t len, cap = 0;
	enum pkt_status st;

	for (;;) {
		st = pkt_read_line(&r->io, r->line, &len);
		if (st == PKT_FLUSH || (st == PKT_EOF && r->ncmds == 0))
			break;
		if (st != PKT_DATA)
			return receive_fail(r, "%s", st == PKT_EOF ?
			    "connection closed in the middle of the commands" :
			    st == PKT_ERROR ? r->io.err : "unexpected packet");
		if (strncmp(r->line, "shallow ", 8) == 0)
			return receive_fail(r, "pushing from a shallow clone is"
			    " not supported");
		if (r->ncmds == 0) {
			size_t cmdlen = strlen(r->line);
			if (cmdlen < len)
				snprintf(r->caps, sizeof(r->caps), "%s",
				    r->line + cmdlen + 1);
			len = cmdlen;
			if (receive_caps(r) == -1)
				return -1;
		}
		if (r->ncmds == MAX_COMMANDS)
			return receive_fail(r, "too many update commands (max"
			    " %d)", MAX_COMMANDS);
		if (grow(&r->cmds, &cap, r->ncmds, sizeof(*r->cmds), 8) == -1)
			return receive_fail(r, "out of memory");
		if (parse_command(r, r->line, len, &r->cmds[r->ncmds]) == -1)
			return -1;
		r->ncmds++;
	}
	if (r->ncmds == 0)
		return 0;
	if (pkt_cap_has(r->caps, "push-options", NULL, 0)) {
		for (int n = 0;; n++) {
			st = pkt_read_line(&r->io, r->line, &len);
			if (st == PKT_FLUSH)
				break;
			if (st != PKT_DATA || n == MAX_PUSH_OPTIONS)
				return receive_fail(r, "bad push options: %s",
				    st == PKT_ERROR ? r->io.err :
				    "too many or truncated");
		}
	}
	return 1;
}

static int
all_deletes(const struct receive *r)
{
	for (size_t i = 0; i < r->ncmds; i++)
		if (!ref_cmd_is_delete(&r->cmds[i]))
			return 0;
	return 1;
}

static void
receive_pack(struct receive *r)
{
	char err[256];

	if (all_deletes(r))
		return;
	if (pack_receive(&r->io, r->repo, r->g->conf, &r->q, err,
	    sizeof(err)) == -1) {
		snprintf(r->unpack_err, sizeof(r->unpack_err), "%s", err);
		log_warnx("push to '%s' refused: %s", r->g->app.name, err);
	}
}

/* Everything the new tips need is in the pack or the repository; then the
 * quarantine is shown to the repository for the checks and the deploy. */
static void
receive_connect(struct receive *r)
{
	git_oid *tips;
	size_t n = 0;
	char err[256];

	if (all_deletes(r) || r->unpack_err[0] != '\0')
		return;
	if ((tips = calloc(r->ncmds, sizeof(*tips))) == NULL) {
		snprintf(r->conn_err, sizeof(r->conn_err), "out of memory");
		return;
	}
	for (size_t i = 0; i < r->ncmds; i++)
		if (!ref_cmd_is_delete(&r->cmds[i]))
			git_oid_cpy(&tips[n++], &r->cmds[i].new_id);
	if (connect_check(r->repo, r->q.ix, tips, n, err, sizeof(err)) == -1) {
		snprintf(r->conn_err, sizeof(r->conn_err), "%s", err);
		log_warnx("push to '%s' refused: %s", r->g->app.name, err);
	}
	free(tips);
	if (r->conn_err[0] == '\0' &&
	    pack_expose(r->repo, &r->q, err, sizeof(err)) == -1) {
		snprintf(r->unpack_err, sizeof(r->unpack_err), "%s", err);
		log_warnx("push to '%s' refused: %s", r->g->app.name, err);
	}
	if (r->conn_err[0] != '\0' || r->unpack_err[0] != '\0')
		pack_discard(&r->q);
}

static void
cmd_error(struct ref_cmd *c, const char *msg)
{
	if (c->error[0] == '\0')
		snprintf(c->error, sizeof(c->error), "%s", msg);
}

static int
is_deploy_branch(const struct receive *r, const char *ref)
{
	return strncmp(ref, "refs/heads/", 11) == 0 &&
	    strcmp(ref + 11, r->g->conf->deploy_branch) == 0;
}

/* 1 when the ref is not at the command's old id (so the CAS would fail). */
static int
ref_stale(git_repository *repo, const struct ref_cmd *c)
{
	git_oid cur;
	int rc = git_reference_name_to_id(&cur, repo, c->name);

	if (rc == GIT_ENOTFOUND)
		return !ref_cmd_is_create(c);
	return rc < 0 || git_oid_cmp(&cur, &c->old_id) != 0;
}

static void
check_one(struct receive *r, struct ref_cmd *c, git_odb *odb)
{
	size_t len;
	git_object_t type;
	int valid = 0;

	if (git_reference_name_is_valid(&valid, c->name) < 0 || !valid)
		return cmd_error(c, "invalid ref name");
	if (strncmp(c->name, "refs/heads/", 11) != 0 &&
	    strncmp(c->name, "refs/tags/", 10) != 0)
		return cmd_error(c, "only refs/heads/ and refs/tags/ can be"
		    " pushed");
	if (ref_cmd_is_create(c) && ref_cmd_is_delete(c))
		return cmd_error(c, "bad command: zero old and new id");
	if (ref_stale(r->repo, c))
		return cmd_error(c, "stale info: the ref is not at the old id"
		    " the client sent");
	if (ref_cmd_is_delete(c)) {
		if (is_deploy_branch(r, c->name))
			cmd_error(c, "refusing to delete the deploy branch");
		return;
	}
	if (git_odb_read_header(&len, &type, odb, &c->new_id) < 0)
		return cmd_error(c, "missing necessary objects");
	if (strncmp(c->name, "refs/heads/", 11) == 0 && type != GIT_OBJECT_COMMIT)
		return cmd_error(c, "a branch must point to a commit");
}

static void
receive_check(struct receive *r)
{
	git_odb *odb = NULL;

	for (size_t i = 0; i < r->ncmds; i++) {
		if (r->unpack_err[0] != '\0') {
			cmd_error(&r->cmds[i], "unpacker error");
			continue;
		}
		if (r->conn_err[0] != '\0' && !ref_cmd_is_delete(&r->cmds[i]))
			cmd_error(&r->cmds[i], r->conn_err);
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->cmds[i].name, r->cmds[j].name) == 0)
				cmd_error(&r->cmds[i], "duplicate ref");
	}
	if (r->unpack_err[0] != '\0')
		return;
	if (git_repository_odb(&odb, r->repo) < 0) {
		for (size_t i = 0; i < r->ncmds; i++)
			cmd_error(&r->cmds[i], "cannot open object database");
		return;
	}
	for (size_t i = 0; i < r->ncmds; i++)
		check_one(r, &r->cmds[i], odb);
	git_odb_free(odb);
	if (r->atomic)
		for (size_t i = 0; i < r->ncmds; i++)
			if (r->cmds[i].error[0] != '\0') {
				for (size_t j = 0; j < r->ncmds; j++)
					cmd_error(&r->cmds[j], "atomic push failed");
				break;
			}
}

static void
say(void *ctx, const char *line)
{
	struct receive *r = ctx;
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s\n", line);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (r->sideband)
		(void)pkt_band(&r->io, 2, buf, (size_t)n);
	else
		(void)r->g->io.write_err(r->g->io.in_out.ctx, buf, (size_t)n);
}

static int
store_objects(void *ctx, char *err, size_t errlen)
{
	struct receive *r = ctx;

	return pack_migrate(r->repo, &r->q, err, errlen);
}

static void
receive_deploy(struct receive *r)
{
	struct hook_update *u;
	struct hook_push push;
	size_t n = 0;

	if ((u = calloc(r->ncmds ? r->ncmds : 1, sizeof(*u))) == NULL) {
		for (size_t i = 0; i < r->ncmds; i++)
			cmd_error(&r->cmds[i], "out of memory");
		return;
	}
	for (size_t i = 0; i < r->ncmds; i++) {
		if (r->cmds[i].error[0] != '\0')
			continue;
		u[n].ref = r->cmds[i].name;
		u[n].old_id = r->cmds[i].old_id;
		u[n].new_id = r->cmds[i].new_id;
		n++;
	}
	push = (struct hook_push){ .conf = r->g->conf, .st = r->g->st,
	    .app = r->g->app.name, .repo = r->repo, .updates = u, .n = n,
	    .say = say, .say_ctx = r, .store_objects = store_objects,
	    .atomic = r->atomic };
	if (n > 0)
		hooks_receive(&push);
	for (size_t i = 0, k = 0; i < r->ncmds && k < n; i++) {
		if (r->cmds[i].error[0] != '\0')
			continue;
		if (u[k].reject[0] != '\0')
			cmd_error(&r->cmds[i], u[k].reject);
		k++;
	}
	free(u);
}

static void
receive_update(struct receive *r)
{
	char err[256];
	int any = 0;

	for (size_t i = 0; i < r->ncmds; i++)
		if (r->cmds[i].error[0] == '\0')
			any = 1;
	if (!any)
		return; /* receive_free discards the quarantine */
	if (pack_migrate(r->repo, &r->q, err, sizeof(err)) == -1) {
		log_warnx("push to '%s': %s", r->g->app.name, err);
		for (size_t i = 0; i < r->ncmds; i++)
			cmd_error(&r->cmds[i], "cannot store objects");
		return;
	}
	refs_apply(r->repo, r->cmds, r->ncmds, r->atomic);
	for (size_t i = 0; i < r->ncmds; i++)
		log_info("push %s %s by '%s': %s", r->g->app.name,
		    r->cmds[i].name, r->g->key.name,
		    r->cmds[i].error[0] ? r->cmds[i].error : "ok");
}

/* Append one pkt-line to a report buffer. */
static void
report_add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) || *len + (size_t)n + 4 >= cap)
		return;
	*len += (size_t)snprintf(buf + *len, cap - *len, "%04x%s", n + 4, line);
}

static int
receive_report(struct receive *r)
{
	size_t cap = 64 + r->ncmds * (REF_NAME_MAX + 300), len = 0;
	char *buf;
	int rc = 0, failed = r->unpack_err[0] != '\0';

	for (size_t i = 0; i < r->ncmds; i++)
		if (r->cmds[i].error[0] != '\0')
			failed = 1;
	if (!r->report) {
		if (pkt_send(&r->io) == -1)
			return -1;
		return failed ? -1 : 0;
	}
	if ((buf = malloc(cap)) == NULL)
		return -1;
	report_add(buf, cap, &len, "unpack %s\n", r->unpack_err[0] ?
	    r->unpack_err : "ok");
	for (size_t i = 0; i < r->ncmds; i++) {
		if (r->cmds[i].error[0] == '\0')
			report_add(buf, cap, &len, "ok %s\n", r->cmds[i].name);
		else
			report_add(buf, cap, &len, "ng %s %s\n", r->cmds[i].name,
			    r->cmds[i].error);
	}
	memcpy(buf + len, "0000", 4);
	len += 4;
	if (r->sideband)
		rc = pkt_band(&r->io, 1, buf, len) == -1 || pkt_flush(&r->io) == -1;
	else
		rc = pkt_write_raw(&r->io, buf, len) == -1;
	free(buf);
	if (rc != 0 || pkt_send(&r->io) == -1)
		return -1;
	return failed ? -1 : 0;
}
