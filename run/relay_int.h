/*
 * relay_int.h - the relay's state, shared by its files (run/ internal):
 * relay.c (the listener, the connections, the loop), relay_pump.c (moving
 * bytes with splice and finding request boundaries), relay_health.c (the
 * health check), relay_handoff.c (passing connections between relays).
 */
#ifndef BERTH_RUN_RELAY_INT_H
#define BERTH_RUN_RELAY_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "run/relay.h"

#define RELAY_PIPE_SZ 65536
#define RELAY_POOL_MAX 64
#define RELAY_PEERS_MAX 32
#define RELAY_EVENTS 64
#define RELAY_HEALTH_FIRST_MS 2
#define RELAY_HEALTH_MAX_MS 100

enum relay_tag { T_LISTEN = 1, T_HLISTEN, T_HPEER, T_HEALTH, T_CLIENT, T_APP };

struct relay_tagged {
	enum relay_tag tag;
};

struct relay_conn;

struct relay_end {
	enum relay_tag tag;      /* T_CLIENT or T_APP */
	struct relay_conn *c;
	int fd;
	uint32_t mask;           /* interest registered with epoll */
	unsigned rd : 1;         /* readable, no EAGAIN seen since */
};

struct relay_conn {
	struct relay_end cl, ap;
	int ca[2], ac[2];        /* pipes: client->app, app->client */
	size_t n_ca, n_ac;       /* bytes in them */
	unsigned c_eof : 1, a_eof : 1, a_shut : 1, c_shut : 1;
	unsigned connecting : 1;
	unsigned fresh : 1;      /* no byte in either direction yet */
	unsigned want_start : 1; /* the next app bytes start a response */
	unsigned final_seen : 1; /* a final response since the client's bytes */
	unsigned tunnel : 1;     /* a 101 went through: no boundaries */
	unsigned dead : 1;       /* closed; freed at the end of relay_step */
	struct relay_conn *prev, *next;
};

struct relay_peer {
	struct relay_tagged t;
	int fd;
};

struct relay {
	struct relay_opts o;
	int ep;
	int lfd, hlfd, hout;     /* listener, handoff listener, handoff out */
	struct relay_tagged t_listen, t_hlisten, t_health;
	int joined, accepting, draining;
	int64_t drain_deadline;
	struct relay_conn *conns;
	struct relay_conn *dead; /* closed in this step (epoll may still
	                          * hold an event for them): freed after it */
	int nconns;
	int pool[RELAY_POOL_MAX][2];
	int npool;
	struct relay_peer peers[RELAY_PEERS_MAX];
	/* the health check */
	int hfd, hstate;         /* hstate: 0 idle, 1 connecting, 2 reading */
	int64_t hnext, hdelay;
	char hbuf[64];
	size_t hlen;
	int last_status;
	const char *error;
};

int64_t relay_now_ms(void);
int relay_ep(struct relay *r, int fd, void *tag, uint32_t ev, int op);

/* relay.c */
void relay_conn_new(struct relay *r, int fd);
void relay_conn_close(struct relay *r, struct relay_conn *c, int hard);

/* relay_pump.c: move what can be moved; -1 when c was closed. */
int relay_pump(struct relay *r, struct relay_conn *c);
int relay_boundary(const struct relay_conn *c);
int relay_at_request(const struct relay_conn *c);
void relay_conn_event(struct relay *r, struct relay_end *e, uint32_t ev);

/* relay_health.c */
void relay_health_try(struct relay *r);
int relay_health_event(struct relay *r);

/* relay_handoff.c */
int relay_handoff_listen(struct relay *r);
void relay_handoff_close(struct relay *r);
int relay_handoff_send(struct relay *r, int fd);
void relay_handoff_accept(struct relay *r);
void relay_handoff_in(struct relay *r, struct relay_peer *p);
/* Pass c's client to the newest relay, or close it. */
void relay_retire_conn(struct relay *r, struct relay_conn *c);

#endif
