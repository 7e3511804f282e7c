/*
 * gitd_cron.c - berth serve's scheduler chore (see gitd_cron.h): its
 * clock, a pass per minute, and the chores it wraps, so the daemon's loop
 * sees one set of callbacks (as gitd_upkeep_chore.c does).  Runs in the
 * front process: libc only.
 */
#include "gitd/gitd_cron.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/num.h"

static int cron_tick(void *arg);
static int cron_reaped(void *arg, pid_t pid, int status, int no_login);
static void cron_stop(void *arg);

static long long
real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The scheduler's time: real, or running scale times faster since the
 * chore started. */
static time_t
clock_now(const struct cron_chore *k)
{
	long long now = real_ms();

	return (time_t)((k->real0_ms + (now - k->real0_ms) * k->scale) / 1000);
}

void
cron_chore_init(struct cron_chore *k, const struct childexec *x,
    const struct gitd_chores *inner, struct gitd_chores *out)
{
	const char *scale = getenv("BERTH_TEST_CRON_SCALE");
	long long n;

	memset(k, 0, sizeof(*k));
	k->x = x;
	k->inner = *inner;
	k->scale = 1;
	if (scale != NULL && num_parse(scale, 1, CRON_SCALE_MAX, &n) == 0) {
		k->scale = n;
		log_info("cron: test clock, %lld times faster", n);
	}
	k->real0_ms = real_ms();
	k->checked = clock_now(k);
	*out = (struct gitd_chores){ cron_tick, cron_reaped, cron_stop, k,
	    inner->fd };
}

static void
start_pass(struct cron_chore *k, time_t from, time_t to)
{
	struct childexec_opts o = { { -1, -1, -1, -1 }, 0, 1 };
	char sfrom[24], sto[24];
	size_t slot = 0;
	pid_t pid;

	while (slot < CRON_PASSES_MAX && k->passes[slot] != 0)
		slot++;
	if (slot == CRON_PASSES_MAX) {
		log_warnx("cron: %d passes still wait for their jobs; the minute"
		    " of %lld is skipped", CRON_PASSES_MAX, (long long)to);
		return;
	}
	/* a run may be long: it must not hold the daemon's sockets (a
	 * restarted berth serve could not listen), nor outlive it */
	snprintf(sfrom, sizeof(sfrom), "%lld", (long long)from);
	snprintf(sto, sizeof(sto), "%lld", (long long)to);
	if ((pid = childexec_spawn(k->x, &o, (const char *const[]){ "cron",
	    sfrom, sto, NULL })) == -1)
		log_warn("cron: cannot fork a pass");
	else
		k->passes[slot] = pid;
}

static int
cron_tick(void *arg)
{
	struct cron_chore *k = arg;
	time_t now = clock_now(k);
	long long wait_ms;
	int inner;

	if (now / 60 > k->checked / 60) {
		start_pass(k, k->checked, now);
		k->checked = now;
	}
	/* to just after the next minute of the scheduler's clock */
	wait_ms = ((now / 60 + 1) * 60 - now) * 1000 / k->scale + 20;
	/* the inner chores' wait, unless they need none (-1) */
	if (k->inner.tick != NULL &&
	    (inner = k->inner.tick(k->inner.arg)) >= 0 && inner < wait_ms)
		wait_ms = inner;
	return (int)wait_ms;
}

static int
cron_reaped(void *arg, pid_t pid, int status, int no_login)
{
	struct cron_chore *k = arg;

	for (size_t i = 0; i < CRON_PASSES_MAX; i++)
		if (k->passes[i] == pid) {
			k->passes[i] = 0;
			return 1;
		}
	return k->inner.reaped != NULL ?
	    k->inner.reaped(k->inner.arg, pid, status, no_login) : 0;
}

static void
cron_stop(void *arg)
{
	struct cron_chore *k = arg;

	for (size_t i = 0; i < CRON_PASSES_MAX; i++)
		if (k->passes[i] > 0)
			(void)kill(k->passes[i], SIGTERM);
	if (k->inner.stop != NULL)
		k->inner.stop(k->inner.arg);
}
