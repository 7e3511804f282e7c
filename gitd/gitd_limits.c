/*
 * gitd_limits.c - the accept loop's accounting (see gitd_limits.h).
 *
 * Three tables, all owned by the daemon's accept loop:
 *  - peers: per address (an IPv6 one cut to its /64), its open
 *    connections and failed logins; 1024 of them, an entry with nothing
 *    open is reused;
 *  - sites: per site (an IPv4 address, an IPv6 /48), the login slots it
 *    holds; max_unauthenticated + 1 entries, an entry holding none is free;
 *  - kids: per connection process (max_connections), its peer, its site
 *    while it holds a login slot, and since when.
 * A child that logs in tells the daemon through a pipe (limits_login); a
 * child dropped to make room is killed at once and no longer counts,
 * though its process slot stays taken until it is reaped.  A child that
 * logged in just before it was picked, before the daemon read the pipe,
 * can be dropped: its client connects again.
 */
#include "gitd/gitd_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "gitd/gitd_session.h"

#define PEERS_MAX 1024
#define FAIL_WINDOW 60  /* seconds over which failed logins count */
#define LOG_EVERY 60    /* seconds between two lines of one reason and site */
#define LOG_SUMMARY 10  /* seconds between summaries of what was not logged */
#define LOG_SLOTS 64    /* reason and site pairs remembered */
#define ADDR_TEXT 64

enum why { WHY_FULL, WHY_PEERS, WHY_ADDR, WHY_SHARE, WHY_LOGINS, WHY_DROP };

struct peer {
	char addr[ADDR_TEXT]; /* the address; an IPv6 one cut to its /64 */
	int live;             /* connections open now */
	int fails;            /* failed logins in the current window */
	time_t window;        /* start of that window */
	time_t blocked_until; /* refused until then */
};

struct site {
	char key[ADDR_TEXT];  /* an IPv4 address, or an IPv6 /48 */
	int held;             /* login slots it holds; 0: the entry is free */
};

struct kid {
	pid_t pid;            /* 0: a free slot */
	int peer;             /* index into peers */
	int site;             /* index into sites, while it holds a slot */
	int authed;           /* its client has logged in */
	int dropped;          /* killed to make room for another */
	long long since;      /* when it came in (ms, monotonic) */
};

struct logged {
	enum why why;
	char site[ADDR_TEXT];
	time_t last;          /* 0: a free entry */
};

struct limits {
	const struct conf *c;
	struct peer peers[PEERS_MAX];
	size_t npeers;
	struct site *sites;
	int nsites;           /* max_unauthenticated + 1 */
	struct kid *kids;     /* max_connections */
	int children;
	int unauthed;         /* login slots taken */
	struct logged logged[LOG_SLOTS];
	unsigned long unlogged;  /* refusals and drops since the last summary */
	long long unlogged_since;
};

struct limits *
limits_new(const struct conf *c)
{
	struct limits *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->c = c;
	l->nsites = c->max_unauthenticated + 1;
	if ((l->sites = calloc((size_t)l->nsites, sizeof(*l->sites))) == NULL ||
	    (l->kids = calloc((size_t)c->max_connections,
	    sizeof(*l->kids))) == NULL) {
		limits_free(l);
		return NULL;
	}
	return l;
}

void
limits_free(struct limits *l)
{
	if (l == NULL)
		return;
	free(l->sites);
	free(l->kids);
	free(l);
}

int
limits_children(const struct limits *l)
{
	return l->children;
}

/* 1 when a line of why for site may be logged now; else the event is
 * counted for the next summary. */
static int
log_due(struct limits *l, enum why why, const char *site)
{
	struct logged *spare = NULL;
	time_t now = time(NULL);

	for (int i = 0; i < LOG_SLOTS; i++) {
		struct logged *e = &l->logged[i];
		if (e->last != 0 && e->why == why && strcmp(e->site, site) == 0) {
			if (now - e->last < LOG_EVERY)
				goto count;
			e->last = now;
			return 1;
		}
		if (spare == NULL && now - e->last >= LOG_EVERY)
			spare = e;
	}
	if (spare != NULL) {
		spare->why = why;
		snprintf(spare->site, sizeof(spare->site), "%s", site);
		spare->last = now;
		return 1;
	}
count:
	if (l->unlogged++ == 0)
		l->unlogged_since = clock_ms();
	return 0;
}

int
limits_tick(struct limits *l)
{
	long long now = clock_ms(), due = l->unlogged_since + LOG_SUMMARY * 1000;

	if (l->unlogged == 0)
		return -1;
	if (now < due)
		return (int)(due - now);
	log_warnx("%lu more connection(s) refused or dropped in the last %lld s"
	    " (each reason is logged once a minute per address)", l->unlogged,
	    (now - l->unlogged_since + 999) / 1000);
	l->unlogged = 0;
	return -1;
}

/* Refuse: log it (within the rate) and return -1. */
static int __attribute__((format(printf, 4, 5)))
refuse(struct limits *l, enum why why, const char *site, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!log_due(l, why, site))
		return -1;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warnx("%s", line);
	return -1;
}

/* The address of ss as text, the key its peer entry counts under (an
 * IPv6 address for its /64) and its site (an IPv6 address for its /48). */
static void
names(const struct sockaddr_storage *ss, char *addr, char *peer, char *site)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    host, sizeof(host));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr,
		    host, sizeof(host));
	snprintf(addr, ADDR_TEXT, "%s", host);
	snprintf(peer, ADDR_TEXT, "%s", host);
	snprintf(site, ADDR_TEXT, "%s", host);
	if (ss->ss_family == AF_INET6) {
		struct in6_addr a6 = ((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&a6) || IN6_IS_ADDR_LOOPBACK(&a6))
			return;
		memset(a6.s6_addr + 8, 0, 8); /* one subnet: its /64 */
		inet_ntop(AF_INET6, &a6, peer, ADDR_TEXT);
		memset(a6.s6_addr + 6, 0, 2); /* one site: its /48 */
		inet_ntop(AF_INET6, &a6, site, ADDR_TEXT);
	}
}

/* The peer entry for key: its own, a new one, or when the table is full
 * the one with nothing open whose block ends first.  -1 only when every
 * entry has a connection open: the caller refuses. */
static int
peer_find(struct limits *l, const char *key)
{
	size_t i, pick = PEERS_MAX;

	for (i = 0; i < l->npeers; i++)
		if (strcmp(l->peers[i].addr, key) == 0)
			return (int)i;
	if (l->npeers < PEERS_MAX)
		i = l->npeers++;
	else {
		for (i = 0; i < PEERS_MAX; i++)
			if (l->peers[i].live == 0 && (pick == PEERS_MAX ||
			    l->peers[i].blocked_until < l->peers[pick].blocked_until ||
			    (l->peers[i].blocked_until == l->peers[pick].blocked_until &&
			    l->peers[i].window < l->peers[pick].window)))
				pick = i;
		if (pick == PEERS_MAX)
			return -1;
		i = pick;
	}
	memset(&l->peers[i], 0, sizeof(l->peers[i]));
	snprintf(l->peers[i].addr, sizeof(l->peers[i].addr), "%s", key);
	return (int)i;
}

/* The site entry holding slots for key, or -1 when it holds none. */
static int
site_find(const struct limits *l, const char *key)
{
	for (int i = 0; i < l->nsites; i++)
		if (l->sites[i].held > 0 && strcmp(l->sites[i].key, key) == 0)
			return i;
	return -1;
}

/* The site entry for key, taking a free one if it holds no slot yet (one
 * is always free: there are more entries than slots). */
static int
site_take(struct limits *l, const char *key)
{
	int i = site_find(l, key);

	if (i >= 0)
		return i;
	for (i = 0; l->sites[i].held > 0; i++)
		;
	snprintf(l->sites[i].key, sizeof(l->sites[i].key), "%s", key);
	return i;
}

/* Kid k no longer holds a login slot. */
static void
unhold(struct limits *l, struct kid *k)
{
	l->unauthed--;
	l->sites[k->site].held--;
}

/* Whom to drop for a newcomer whose site holds `held` slots (see
 * gitd_limits.h), or NULL. */
static struct kid *
victim(struct limits *l, int held)
{
	long long now = clock_ms(), grace = (long long)l->c->auth_timeout_busy * 1000;
	struct kid *first = NULL, *waited = NULL;
	int top = 0;

	for (int i = 1; i < l->nsites; i++)
		if (l->sites[i].held > l->sites[top].held)
			top = i;
	for (int i = 0; i < l->c->max_connections; i++) {
		struct kid *k = &l->kids[i];
		if (k->pid <= 0 || k->authed || k->dropped)
			continue;
		if (k->site == top && (first == NULL || k->since < first->since))
			first = k;
		if (l->sites[k->site].held >= held + 1 && now - k->since >= grace &&
		    (waited == NULL || k->since < waited->since))
			waited = k;
	}
	if (first != NULL && l->sites[top].held >= held + 2)
		return first;
	return waited;
}

/* Every login slot is taken: drop one for the newcomer, or refuse. */
static int
make_room(struct limits *l, int held, const char *addr, const char *site)
{
	struct kid *k = victim(l, held);
	struct site *vs;

	if (k == NULL)
		return refuse(l, WHY_LOGINS, site, "refusing %s: %d connections"
		    " still logging in", addr, l->unauthed);
	vs = &l->sites[k->site];
	if (log_due(l, WHY_DROP, vs->key))
		log_warnx("dropping a login from %s after %lld s (its site holds"
		    " %d of the %d login slots) to make room for %s",
		    l->peers[k->peer].addr, (clock_ms() - k->since) / 1000, vs->held,
		    l->c->max_unauthenticated, addr);
	(void)kill(k->pid, SIGKILL);
	k->dropped = 1;
	unhold(l, k);
	return 0;
}

/* The limits that refuse outright.  0, or -1 (refused). */
static int
refused(struct limits *l, const struct peer *p, const char *addr,
    const char *site, int held)
{
	const struct conf *c = l->c;

	if (l->children >= c->max_connections)
		return refuse(l, WHY_FULL, site, "refusing %s: %d connections"
		    " already", addr, l->children);
	if (p == NULL)
		return refuse(l, WHY_PEERS, site, "refusing %s: %d addresses have"
		    " connections open", addr, PEERS_MAX);
	if (p->blocked_until > time(NULL))
		return -1; /* logged when the block began */
	if (p->live >= c->per_address_connections)
		return refuse(l, WHY_ADDR, site, "refusing %s: %d connections"
		    " from it already", addr, p->live);
	/* one site may hold only a share of the slots for logging in */
	if (held >= (c->max_unauthenticated + 3) / 4)
		return refuse(l, WHY_SHARE, site, "refusing %s: %d connections"
		    " from it still logging in", addr, held);
	return 0;
}

int
limits_admit(struct limits *l, const struct sockaddr_storage *ss, char *addr,
    size_t addrlen)
{
	char text[ADDR_TEXT], peer[ADDR_TEXT], site[ADDR_TEXT];
	int pi, si, slot, held;

	names(ss, text, peer, site);
	snprintf(addr, addrlen, "%s", text);
	pi = peer_find(l, peer);
	si = site_find(l, site);
	held = si >= 0 ? l->sites[si].held : 0;
	if (refused(l, pi >= 0 ? &l->peers[pi] : NULL, text, site, held) == -1)
		return -1;
	if (l->unauthed >= l->c->max_unauthenticated &&
	    make_room(l, held, text, site) == -1)
		return -1;
	for (slot = 0; slot < l->c->max_connections && l->kids[slot].pid != 0;
	    slot++)
		;
	if (slot == l->c->max_connections) /* dropped ones not reaped yet */
		return refuse(l, WHY_FULL, site, "refusing %s: %d connections"
		    " already", text, l->children);
	si = site_take(l, site);
	l->kids[slot] = (struct kid){ -1, pi, si, 0, 0, clock_ms() };
	l->children++;
	l->unauthed++;
	l->sites[si].held++;
	l->peers[pi].live++;
	return slot;
}

/* Free slot k, and what it counted. */
static void
release(struct limits *l, struct kid *k)
{
	l->children--;
	if (!k->authed && !k->dropped)
		unhold(l, k);
	l->peers[k->peer].live--;
	memset(k, 0, sizeof(*k));
}

void
limits_started(struct limits *l, int slot, pid_t pid)
{
	if (pid > 0)
		l->kids[slot].pid = pid;
	else
		release(l, &l->kids[slot]); /* fork failed */
}

void
limits_login(struct limits *l, pid_t pid)
{
	for (int i = 0; i < l->c->max_connections; i++) {
		struct kid *k = &l->kids[i];
		if (k->pid != pid)
			continue;
		if (!k->authed && !k->dropped)
			unhold(l, k);
		k->authed = 1;
		return;
	}
}

static void
count_failure(const struct conf *c, struct peer *p)
{
	time_t now = time(NULL);

	if (now - p->window > FAIL_WINDOW) {
		p->window = now;
		p->fails = 0;
	}
	if (++p->fails >= c->auth_fail_limit) {
		p->blocked_until = now + c->auth_fail_block;
		p->fails = 0;
		log_warnx("blocking %s for %d s: %d failed logins within %d s",
		    p->addr, c->auth_fail_block, c->auth_fail_limit, FAIL_WINDOW);
	}
}

void
limits_exited(struct limits *l, pid_t pid, int status)
{
	for (int i = 0; i < l->c->max_connections; i++) {
		struct kid *k = &l->kids[i];
		if (k->pid != pid)
			continue;
		if (WIFEXITED(status) && WEXITSTATUS(status) == SESSION_AUTH_FAILED)
			count_failure(l->c, &l->peers[k->peer]);
		if (WIFSIGNALED(status) && WTERMSIG(status) != SIGALRM &&
		    !k->dropped)
			log_warnx("connection process %ld killed by signal %d",
			    (long)pid, WTERMSIG(status));
		release(l, k);
		return;
	}
}
