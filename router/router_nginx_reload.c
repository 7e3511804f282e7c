/*
 * router_nginx_reload.c - have the managed nginx load its new files and
 * wait until every new request sees them (router_nginx.c installs the
 * files; this is its last step).
 *
 * SIGHUP makes nginx's master parse the config again and fork new workers,
 * and only then sleep 100 ms before telling the old workers to stop
 * accepting.  During that sleep old and new workers take connections from
 * the one listening socket, so a request may still see the old config.
 * berth does not wait those 100 ms: as soon as a new worker exists (the
 * master accepted the config), it sends the old workers what the master
 * would send them, SIGQUIT: each closes its listening sockets at once and
 * finishes what it serves (websockets too).  A connection that arrives
 * before a new worker watches the socket waits in the socket's queue, so
 * none is refused.  If no new worker shows up (the master refused the
 * config), the old workers are left alone: they are the running config.
 * Any child the master forks after the signal runs the new config, even
 * the replacement of an old worker that died (the master's config is the
 * new one by then).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/num.h"
#include "router/router.h"

#define RELOAD_WAIT_MS 3000
#define PIDS_MAX 64

struct pids {
	pid_t v[PIDS_MAX];
	size_t n;
};

/* The children of master (its workers). */
static void
children(pid_t master, struct pids *p)
{
	char path[64], buf[1024];
	const char *s = buf;
	long long v;
	FILE *f;

	p->n = 0;
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)master, (long)master);
	if ((f = fopen(path, "re")) == NULL)
		return;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	while (p->n < PIDS_MAX) {
		s += strspn(s, " ");
		if (num_prefix(s, 2, INT_MAX, &v, &s) == -1)
			break;
		p->v[p->n++] = (pid_t)v;
	}
}

static int
has(const struct pids *p, pid_t pid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i] == pid)
			return 1;
	return 0;
}

/* 1 once master has a child that before did not list: a new worker. */
static int
new_worker(pid_t master, const struct pids *before)
{
	struct pids now;

	children(master, &now);
	for (size_t i = 0; i < now.n; i++)
		if (!has(before, now.v[i]))
			return 1;
	return 0;
}

/* pid's process title ("" once it is gone or a zombie, which has none). */
static void
title_of(pid_t pid, char *title, size_t len)
{
	char path[64];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((f = fopen(path, "re")) != NULL) {
		n = fread(title, 1, len - 1, f);
		fclose(f);
	}
	title[n] = '\0';
}

/* 1 while pid is an nginx worker that still accepts requests: not gone,
 * and not yet retitled "shutting down" (it serves what it has, takes
 * nothing new). */
static int
still_accepting(pid_t pid)
{
	char title[256];

	title_of(pid, title, sizeof(title));
	return strncmp(title, "nginx: worker", 13) == 0 &&
	    strstr(title, "shutting down") == NULL;
}

static int
any_accepting(const struct pids *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (still_accepting(p->v[i]))
			return 1;
	return 0;
}

/* Sleep 1 ms, then 2 ms each round: the master parses the whole config
 * before it forks (8 ms with 100 sites, 20 ms with 500), and a longer
 * step (20 ms) was up to that much late on every change.  A round reads
 * two small /proc files. */
static void
pause_ms(int *ms)
{
	usleep((useconds_t)*ms * 1000);
	*ms = 2;
}

int
nginx_reload_master(pid_t master, char *err, size_t errlen)
{
	long long end = clock_ms() + RELOAD_WAIT_MS;
	struct pids before;
	int ms = 1, told = 0;

	children(master, &before);
	if (kill(master, SIGHUP) == -1) {
		snprintf(err, errlen, "nginx reload failed: %s", strerror(errno));
		return -1;
	}
	while (any_accepting(&before)) {
		if (!told && new_worker(master, &before)) {
			for (size_t i = 0; i < before.n; i++)
				if (still_accepting(before.v[i]))
					(void)kill(before.v[i], SIGQUIT);
			told = 1;
			ms = 1;
			continue;
		}
		if (clock_ms() >= end) {
			log_warnx("old nginx workers still accept requests %d ms"
			    " after a reload%s", RELOAD_WAIT_MS, told ? "" :
			    " (no new worker: see nginx's error.log)");
			return 0;
		}
		pause_ms(&ms);
	}
	return 0;
}
