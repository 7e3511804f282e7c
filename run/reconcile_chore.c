/*
 * reconcile_chore.c - the daemon's side of the repairs (see reconcile.h):
 * the clock that starts one pass at a time as a process of its own
 * (`berth __child ... repair MAY FIRST FD`, core/childexec.h), the pidfds
 * of what the last pass found running, and the back-off after a failed
 * proxy start, read from the pass's exit status.  Runs in the front
 * process: libc only.
 */
#include "run/reconcile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/num.h"

int
reconcile_init(struct reconcile *r, const struct childexec *x)
{
	memset(r, 0, sizeof(*r));
	r->x = x;
	r->out = -1;
	r->next_ms = clock_ms() + RECONCILE_INTERVAL_MS;
	r->said = malloc(RECONCILE_OUT_MAX);
	r->watch = calloc(RECONCILE_WATCH_MAX, sizeof(*r->watch));
	if (r->said == NULL || r->watch == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	if ((r->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_warn("epoll_create1");
		return -1;
	}
	return 0;
}

/* The next pass no later than at (and never closer than the gap to the
 * last one). */
static void
pass_by(struct reconcile *r, long long at)
{
	if (at < r->last_ms + RECONCILE_GAP_MS)
		at = r->last_ms + RECONCILE_GAP_MS;
	if (r->next_ms > at)
		r->next_ms = at;
}

static void
unwatch_all(struct reconcile *r)
{
	for (size_t i = 0; i < r->nwatch; i++)
		close(r->watch[i]); /* closing drops it from the epoll set */
	r->nwatch = 0;
}

/* Watch pid; 0, or -1 when it is gone already (or cannot be watched). */
static int
watch(struct reconcile *r, long long pid)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	if (r->nwatch == RECONCILE_WATCH_MAX)
		return 0; /* the idle passes look at the rest */
	if ((fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0)) == -1)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		close(fd);
		return -1;
	}
	ev.data.fd = fd;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		close(fd);
		return -1;
	}
	r->watch[r->nwatch++] = fd;
	return 0;
}

/* Read what the running pass has written so far (keeping what fits). */
static void
read_said(struct reconcile *r)
{
	char drop[4096];
	ssize_t n;

	while (r->out != -1) {
		if (r->nsaid < RECONCILE_OUT_MAX - 1)
			n = read(r->out, r->said + r->nsaid,
			    RECONCILE_OUT_MAX - 1 - r->nsaid);
		else
			n = read(r->out, drop, sizeof(drop));
		if (n > 0 && r->nsaid < RECONCILE_OUT_MAX - 1)
			r->nsaid += (size_t)n;
		if (n > 0 || (n == -1 && errno == EINTR))
			continue;
		if (n == 0) { /* the pass is done writing */
			close(r->out);
			r->out = -1;
		}
		return;
	}
}

/* A watched process ended, or the pass's pipe has words: take them in. */
static void
take_events(struct reconcile *r)
{
	struct epoll_event ev[64];
	int n;

	while ((n = epoll_wait(r->ep, ev, 64, 0)) > 0) {
		for (int i = 0; i < n; i++) {
			if (ev[i].data.fd == r->out) {
				read_said(r);
				continue;
			}
			/* what the last pass found running has ended: look
			 * again now (its pidfd is dropped, the pass renews
			 * the set) */
			for (size_t k = 0; k < r->nwatch; k++)
				if (r->watch[k] == ev[i].data.fd) {
					close(r->watch[k]);
					r->watch[k] = r->watch[--r->nwatch];
					break;
				}
			log_debug("repair: a watched process ended");
			pass_by(r, clock_ms());
		}
		if (n < 64)
			break;
	}
}

static void
start_pass(struct reconcile *r, long long now)
{
	struct childexec_opts o = { { -1, -1, -1, -1 }, 0, 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	char sfd[16];
	int p[2];
	pid_t pid;

	r->next_ms = now + RECONCILE_INTERVAL_MS; /* if it cannot start */
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("cannot start a repair pass");
		return;
	}
	ev.data.fd = p[0];
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, p[0], &ev) == -1) {
		log_warn("cannot start a repair pass");
		close(p[0]);
		close(p[1]);
		return;
	}
	o.keep[0] = p[1];
	snprintf(sfd, sizeof(sfd), "%d", p[1]);
	pid = childexec_spawn(r->x, &o, (const char *const[]){ "repair",
	    now >= r->proxy_retry_ms ? "1" : "0",
	    r->proxy_fails == 0 ? "1" : "0", sfd, NULL });
	close(p[1]);
	if (pid == -1) {
		log_warn("cannot fork a repair pass");
		close(p[0]);
		return;
	}
	r->child = pid;
	r->out = p[0];
	r->nsaid = 0;
	r->last_ms = now;
}

int
reconcile_tick(void *arg)
{
	struct reconcile *r = arg;
	long long now;

	take_events(r);
	now = clock_ms();
	if (r->child == 0 && now >= r->next_ms)
		start_pass(r, now);
	if (r->child != 0)
		return RECONCILE_INTERVAL_MS;
	return r->next_ms > now ? (int)(r->next_ms - now) : 0;
}

/* The pass ended: the pids it found running are the ones watched now.
 * Returns 1 when it asked for another look soon, or did not say all it
 * had to (its last line is "end"). */
static int
take_said(struct reconcile *r)
{
	char *line, *next;
	long long pid;
	int again = 0, ended = 0;

	read_said(r);
	if (r->out != -1) { /* a writer it left behind: not waited for */
		close(r->out);
		r->out = -1;
	}
	unwatch_all(r);
	r->said[r->nsaid] = '\0';
	for (line = r->said; (next = strchr(line, '\n')) != NULL; line = next) {
		*next++ = '\0';
		if (strcmp(line, "end") == 0)
			ended = 1;
		else if (strcmp(line, "again") == 0)
			again = 1;
		else if (strncmp(line, "watch ", 6) == 0 &&
		    num_parse(line + 6, 1, INT32_MAX, &pid) == 0 &&
		    watch(r, pid) == -1)
			again = 1; /* gone since: look again */
	}
	return again || !ended;
}

int
reconcile_reaped(void *arg, pid_t pid, int status, int no_login)
{
	struct reconcile *r = arg;
	long long now = clock_ms();
	int backoff, again;

	if (pid != r->child) {
		/* a connection ended: what it did may want a look soon (but
		 * many short connections must not run passes back to back);
		 * one that never logged in did nothing */
		if (!no_login)
			pass_by(r, now + RECONCILE_SOON_MS);
		return 0;
	}
	r->child = 0;
	again = take_said(r);
	r->next_ms = now + (again ? RECONCILE_INTERVAL_MS : RECONCILE_IDLE_MS);
	log_debug("repair: pass %ld done; watching %zu process(es)%s",
	    (long)pid, r->nwatch, again ? "; another pass soon" : "");
	if (WIFEXITED(status) && WEXITSTATUS(status) == RECONCILE_PROXY_FAILED) {
		r->proxy_fails++;
		backoff = r->proxy_fails > 5 ? RECONCILE_PROXY_BACKOFF :
		    1 << (r->proxy_fails - 1);
		if (backoff > RECONCILE_PROXY_BACKOFF)
			backoff = RECONCILE_PROXY_BACKOFF;
		r->proxy_retry_ms = now + backoff * 1000LL;
		if (r->next_ms > r->proxy_retry_ms)
			r->next_ms = r->proxy_retry_ms;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) ==
	    RECONCILE_PROXY_OK) {
		r->proxy_fails = 0;
		r->proxy_retry_ms = 0;
	} else if (!WIFEXITED(status) ||
	    WEXITSTATUS(status) != RECONCILE_PROXY_WAITING) {
		log_warnx("repair pass %ld ended %s %d", (long)pid,
		    WIFSIGNALED(status) ? "by signal" : "with status",
		    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		r->next_ms = now + RECONCILE_INTERVAL_MS;
	}
	return 1;
}

void
reconcile_stop(void *arg)
{
	struct reconcile *r = arg;
	int status;

	/* first: a pass with more to say than the pipe holds must not wait
	 * for a reader that waits for it (it gets EPIPE and ends) */
	if (r->out != -1)
		close(r->out);
	r->out = -1;
	while (r->child != 0 && waitpid(r->child, &status, 0) == -1 &&
	    errno == EINTR)
		;
	r->child = 0;
	unwatch_all(r);
	close(r->ep);
	free(r->said);
	free(r->watch);
}
