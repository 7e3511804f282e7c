/*
 * router_caddy_admin.h - berth's HTTP/1.1 client for Caddy's admin API:
 * one POST of a whole config to /load, and what Caddy answered.
 *
 * router_caddy.c renders the config and hands it here.  The admin API is
 * the managed Caddy's unix socket (CONFIG_DIR/caddy/home/admin.sock, whose
 * listener must be the proxy's uid) or an operator's Caddy on
 * localhost:2019 over TCP.
 */
#ifndef BERTH_ROUTER_CADDY_ADMIN_H
#define BERTH_ROUTER_CADDY_ADMIN_H

#include <stddef.h>
#include <sys/types.h>

/* The whole exchange's deadline, connect to the end of the reply: Caddy
 * provisions the new config (certificates included) before it answers. */
#define CADDY_ADMIN_TIMEOUT_MS 60000

/* The bytes of Caddy's reply kept (status line, headers and enough of an
 * error's body for its message); the rest is read and dropped. */
#define CADDY_ADMIN_REPLY_MAX 4096

struct caddy_admin {
	const char *sock; /* the unix socket, or NULL for TCP to host:port */
	uid_t peer;       /* with sock: the uid whose listener must hold it */
	const char *host; /* with TCP: a name or address ("localhost") */
	const char *port; /* with TCP: a port number ("2019") */
	int timeout_ms;   /* CADDY_ADMIN_TIMEOUT_MS but in tests */
};

/*
 * POST body (JSON) to a's /load.  0 when Caddy answered 200 (it runs the
 * new config); -1 with err saying what failed, and Caddy keeps its running
 * config: the connection (refused, timed out), the socket's uid (checked
 * before anything is sent), a reply that is not HTTP/1.x, or Caddy's
 * refusal ("Caddy rejected the new configuration: " and its message).
 */
int caddy_admin_load(const struct caddy_admin *a, const char *body,
    char *err, size_t errlen);

#endif
