/*
 * gitd_upkeep.c - berth serve's upkeep passes (see gitd_upkeep.h).  The
 * daemon forks each pass, as it does its repairs: a repack or a vacuum may
 * take a while, and the accept loop must not; a pass opens its own sqlite
 * handle and libgit2 state.  The chore wraps the repairs' chore: the
 * daemon's loop sees one set of callbacks.
 */
#include "gitd/gitd_upkeep.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "core/applock.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/store.h"
#include "core/upkeep.h"
#include "gitd/gitd.h"
#include "gitd/gitd_gc.h"
#include "run/preview.h"

static int upkeep_tick(void *arg);
static int upkeep_reaped(void *arg, pid_t pid, int status);
static void upkeep_stop(void *arg);

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void
upkeep_chore_init(struct upkeep_chore *u, const struct conf *c,
    const struct gitd_chores *inner, struct gitd_chores *out)
{
	memset(u, 0, sizeof(*u));
	u->conf = *c;
	u->conf.test_pause[0] = '\0';
	u->inner = *inner;
	u->next_full_ms = now_ms() + UPKEEP_FIRST_MS;
	u->next_check_ms = u->next_full_ms;
	*out = (struct gitd_chores){ upkeep_tick, upkeep_reaped, upkeep_stop,
	    u };
}

static void
start_pass(struct upkeep_chore *u, long long now)
{
	int full = now >= u->next_full_ms;
	pid_t pid;

	if ((pid = fork()) == -1) {
		log_warn("cannot fork an upkeep pass");
	} else if (pid == 0) {
		(void)prctl(PR_SET_NAME, "berth-upkeep", 0, 0, 0);
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_DFL);
		(void)signal(SIGCHLD, SIG_DFL);
		/* background work: pushes and apps come first */
		if (setpriority(PRIO_PROCESS, 0, UPKEEP_NICE) == -1)
			log_warn("upkeep: cannot lower its priority");
		_exit(upkeep_pass(&u->conf, full));
	} else {
		u->child = pid;
	}
	if (full)
		u->next_full_ms = now + u->conf.upkeep_interval * 1000LL;
	u->next_check_ms = u->next_full_ms;
}

static int
upkeep_tick(void *arg)
{
	struct upkeep_chore *u = arg;
	long long now = now_ms(), wait;
	int inner = u->inner.tick(u->inner.arg);

	if (u->child == 0 && now >= u->next_check_ms)
		start_pass(u, now);
	wait = u->child != 0 ? 1000 : u->next_check_ms - now;
	if (wait < 0)
		wait = 0;
	return inner >= 0 && inner < wait ? inner : (int)wait;
}

static int
upkeep_reaped(void *arg, pid_t pid, int status)
{
	struct upkeep_chore *u = arg;
	long long soon;
	int own;

	if (pid == u->child) {
		u->child = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_warnx("upkeep pass %ld ended %s %d", (long)pid,
			    WIFSIGNALED(status) ? "by signal" : "with status",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
		return 1;
	}
	own = u->inner.reaped(u->inner.arg, pid, status);
	soon = now_ms() + UPKEEP_SOON_MS;
	if (!own && u->next_check_ms > soon)
		u->next_check_ms = soon; /* a push may have added a pack */
	return own;
}

/* A repack killed half-way is safe (gitd_gc.h): stop the pass now. */
static void
upkeep_stop(void *arg)
{
	struct upkeep_chore *u = arg;
	int status;

	u->inner.stop(u->inner.arg);
	if (u->child == 0)
		return;
	(void)kill(u->child, SIGTERM);
	while (waitpid(u->child, &status, 0) == -1 && errno == EINTR)
		;
	u->child = 0;
}

struct pass {
	const struct conf *c;
	struct store *st;
	int full, failed;
	int git;               /* libgit2 initialised (only for a pass that
	                          works on a repository: its init parses the
	                          system's CA bundle, ~10 ms of CPU) */
	struct app_rec *apps;  /* listed first: no read stays open while */
	size_t napps;          /* a repack runs or a prune writes */
};

static void
gc_app(struct pass *p, const struct app_rec *a, const char *repo)
{
	struct gc_result r;
	char err[512];

	if (gc_repo(p->c, repo, (long long)p->c->gc_grace_days * 86400, &r, err,
	    sizeof(err)) == -1) {
		log_warnx("upkeep: gc of '%s' failed: %s", a->name, err);
		p->failed = 1;
		return;
	}
	log_info("upkeep: repacked '%s': %u packs -> %u, %u objects, %llu ->"
	    " %llu bytes in %.2f s", a->name, r.packs_before, r.packs_after,
	    r.objects, (unsigned long long)r.bytes_before,
	    (unsigned long long)r.bytes_after, r.seconds);
}

static int
list_app(void *arg, const struct app_rec *a)
{
	struct pass *p = arg;
	struct app_rec *nv;

	if ((nv = realloc(p->apps, (p->napps + 1) * sizeof(*nv))) == NULL) {
		log_warnx("upkeep: out of memory");
		p->failed = 1;
		return 1;
	}
	p->apps = nv;
	p->apps[p->napps++] = *a;
	return 0;
}

static void
pass_app(struct pass *p, const struct app_rec *a)
{
	char repo[PATH_MAX], err[512];
	int packs, fd, want_gc;

	if (gitd_repo_path(p->c, a->name, repo, sizeof(repo)) == -1)
		return;
	packs = upkeep_new_packs(repo);
	want_gc = p->c->gc_auto_packs > 0 && packs >= p->c->gc_auto_packs;
	if (!want_gc && !p->full)
		return;
	if (!p->git && git_libgit2_init() < 0) {
		log_warnx("upkeep: cannot initialise libgit2");
		p->failed = 1;
		return;
	}
	p->git = 1;
	if (applock_try(p->c, a->name, "berth serve's upkeep", &fd, err,
	    sizeof(err)) != 1) {
		log_debug("upkeep: '%s' is busy; next pass", a->name);
		return;
	}
	if (want_gc)
		gc_app(p, a, repo);
	if (p->full && upkeep_app(p->c, p->st, a, err, sizeof(err)) == -1) {
		log_warnx("upkeep: %s: %s", a->name, err);
		p->failed = 1;
	}
	close(fd);
}

int
upkeep_pass(const struct conf *c, int full)
{
	struct pass p = { c, NULL, full, 0, 0, NULL, 0 };
	char db[PATH_MAX], err[512] = "data dir path too long";
	int expired;

	if (datadir_db(c->data_dir, db, sizeof(db)) == -1 ||
	    store_open(&p.st, db, err, sizeof(err)) == -1) {
		log_warnx("upkeep: %s", err);
		return 1;
	}
	log_debug("upkeep pass%s", full ? " (full)" : "");
	/* previews idle past [previews] ttl go first (run/preview.h) */
	if (full && preview_expire(c, p.st, &expired) == -1)
		p.failed = 1;
	if (store_app_each(p.st, list_app, &p) == -1) {
		log_warnx("upkeep: %s", store_error(p.st));
		p.failed = 1;
	}
	for (size_t i = 0; i < p.napps; i++)
		pass_app(&p, &p.apps[i]);
	free(p.apps);
	if (full && upkeep_db(c, p.st, err, sizeof(err)) == -1) {
		log_warnx("upkeep: %s", err);
		p.failed = 1;
	}
	store_close(p.st);
	if (p.git)
		git_libgit2_shutdown();
	return p.failed;
}
