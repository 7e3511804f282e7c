/*
 * gitd_limits.h - who may connect to `berth serve`, decided in the accept
 * loop before anything is forked: max_connections, per_address_connections
 * (an IPv6 client counted per /64), the failed-login block, and the login
 * slots (max_unauthenticated), which a few addresses cannot exhaust:
 *  - one site (an IPv4 address, or an IPv6 /48) holds at most a quarter;
 *  - when all are taken, a newcomer takes the slot of the oldest login of
 *    the site holding the most, if that site holds at least two more than
 *    the newcomer's would;
 *  - failing that, of the oldest login that has waited auth_timeout_busy
 *    seconds, if its site holds at least one more than the newcomer's.
 * So a client from a fresh site gets a slot unless every slot is held by
 * a different site and none of them has been waiting auth_timeout_busy.
 *
 * Refusals and drops are logged once per reason and site a minute; the
 * rest are counted and summed up in one line every 10 seconds.
 */
#ifndef BERTH_GITD_LIMITS_H
#define BERTH_GITD_LIMITS_H

#include <sys/socket.h>
#include <sys/types.h>

#include "conf/conf.h"

struct limits;

/* The accounting for conf's limits, or NULL when out of memory. */
struct limits *limits_new(const struct conf *conf);
void limits_free(struct limits *l);

/* May a connection from ss come in?  Its slot (>= 0), with its address as
 * text in addr, or -1: refused (and logged, within the rate).  Admitting
 * it may drop (SIGKILL) an older connection still logging in. */
int limits_admit(struct limits *l, const struct sockaddr_storage *ss,
    char *addr, size_t addrlen);

/* The connection admitted into slot is served by process pid. */
void limits_started(struct limits *l, int slot, pid_t pid);

/* Process pid's client has logged in: it holds no login slot any more. */
void limits_login(struct limits *l, pid_t pid);

/* Process pid ended with status (from waitpid). */
void limits_exited(struct limits *l, pid_t pid, int status);

/* Connection processes running. */
int limits_children(const struct limits *l);

/* Log the summary of refusals not logged one by one, when one is due.
 * Returns the milliseconds until the next is due, or -1 if none is. */
int limits_tick(struct limits *l);

#endif
