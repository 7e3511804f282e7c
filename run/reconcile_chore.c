/*
 * reconcile_chore.c - the daemon's side of the repairs (see reconcile.h):
 * the clock that starts one pass at a time as a process of its own
 * (`berth __child ... repair MAY FIRST`, core/childexec.h), and the
 * back-off after a failed proxy start, read from the pass's exit status.
 * Runs in the front process: libc only.
 */
#include "run/reconcile.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "core/log.h"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void
reconcile_init(struct reconcile *r, const struct childexec *x)
{
	memset(r, 0, sizeof(*r));
	r->x = x;
	r->next_ms = now_ms() + RECONCILE_INTERVAL_MS;
}

int
reconcile_tick(void *arg)
{
	struct childexec_opts o = { { -1, -1, -1, -1 }, 0, 0 };
	struct reconcile *r = arg;
	long long now = now_ms();
	int may, first;
	pid_t pid;

	if (r->child == 0 && now >= r->next_ms) {
		may = now >= r->proxy_retry_ms;
		first = r->proxy_fails == 0;
		if ((pid = childexec_spawn(r->x, &o, (const char *const[]){
		    "repair", may ? "1" : "0", first ? "1" : "0", NULL })) == -1) {
			log_warn("cannot fork a repair pass");
		} else {
			r->child = pid;
			r->last_ms = now;
		}
		r->next_ms = now + RECONCILE_INTERVAL_MS;
	}
	if (r->child != 0)
		return RECONCILE_INTERVAL_MS;
	return r->next_ms > now ? (int)(r->next_ms - now) : 0;
}

int
reconcile_reaped(void *arg, pid_t pid, int status)
{
	struct reconcile *r = arg;
	long long now = now_ms();
	int backoff;

	if (pid != r->child) {
		/* a connection ended: what it did may want a look soon (but
		 * many short connections must not run passes back to back) */
		long long soon = now + RECONCILE_SOON_MS;
		if (soon < r->last_ms + RECONCILE_GAP_MS)
			soon = r->last_ms + RECONCILE_GAP_MS;
		if (r->next_ms > soon)
			r->next_ms = soon;
		return 0;
	}
	r->child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == RECONCILE_PROXY_FAILED) {
		r->proxy_fails++;
		backoff = r->proxy_fails > 5 ? RECONCILE_PROXY_BACKOFF :
		    1 << (r->proxy_fails - 1);
		if (backoff > RECONCILE_PROXY_BACKOFF)
			backoff = RECONCILE_PROXY_BACKOFF;
		r->proxy_retry_ms = now + backoff * 1000LL;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) ==
	    RECONCILE_PROXY_OK) {
		r->proxy_fails = 0;
		r->proxy_retry_ms = 0;
	} else if (!WIFEXITED(status) ||
	    WEXITSTATUS(status) != RECONCILE_PROXY_WAITING) {
		log_warnx("repair pass %ld ended %s %d", (long)pid,
		    WIFSIGNALED(status) ? "by signal" : "with status",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	return 1;
}

void
reconcile_stop(void *arg)
{
	struct reconcile *r = arg;
	int status;

	while (r->child != 0 && waitpid(r->child, &status, 0) == -1 &&
	    errno == EINTR)
		;
	r->child = 0;
}

