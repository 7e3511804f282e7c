/*
 * gitd_cmd_dashboard.c - `dashboard:login` prints a one-time link that
 * logs a browser into the dashboard (web/) as the calling key, valid
 * [dashboard] login_ttl seconds; `dashboard:logout-all` ends every
 * session (and unused link) of the calling key.  Any key may run them:
 * the dashboard then shows what that key may see.  The link's token is
 * stored hashed (core/store_dash.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/store_dash.h"
#include "core/token.h"
#include "gitd/gitd_dispatch.h"
#include "router/router_tls.h"

/* Where a browser reaches the dashboard: [dashboard] host through the
 * proxy (https when it serves the host over TLS), else the endpoint's
 * own loopback address. */
static void
dashboard_base(const struct conf *c, char *out, size_t len)
{
	int tls = c->dash_host[0] != '\0' && tls_wanted(c, c->dash_host);
	int port = tls ? c->https_listen_port : c->http_listen_port;

	if (c->dash_host[0] == '\0')
		snprintf(out, len, "http://%s", c->dash_listen);
	else if (port == (tls ? 443 : 80))
		snprintf(out, len, "%s://%s", tls ? "https" : "http",
		    c->dash_host);
	else
		snprintf(out, len, "%s://%s:%d", tls ? "https" : "http",
		    c->dash_host, port);
}

static int
refuse_local(struct gitd_ctx *g)
{
	gitd_errorf(g, "berth: the dashboard logs in a key; run this over"
	    " ssh with yours");
	return 1;
}

int
cmd_dashboard_login(struct gitd_ctx *g, int argc, char **argv)
{
	char token[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN + 1], base[PATH_MAX + 64];
	char url[PATH_MAX + 160];
	int64_t expires = (int64_t)time(NULL) + g->conf->dash_login_ttl;

	(void)argc, (void)argv;
	if (g->local)
		return refuse_local(g);
	if (g->conf->dash_listen[0] == '\0' || (g->conf->dash_listen[0] ==
	    '/' && g->conf->dash_host[0] == '\0')) {
		gitd_errorf(g, "berth: the dashboard is off or out of a"
		    " browser's reach (set [dashboard] listen and host in"
		    " berth.ini)");
		return 1;
	}
	if (token_new(token) == -1 || token_hash(token, hash) == -1) {
		gitd_errorf(g, "berth: cannot make a token");
		return 1;
	}
	if (store_dash_add(g->st, hash, DASH_LOGIN, g->key.id, expires) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	dashboard_base(g->conf, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/login?t=%s", base, token);
	if (g->json)
		return gitd_emit_object(g, json_pack("{s:s, s:i}", "url", url,
		    "expires_in", g->conf->dash_login_ttl), NULL) == 0 ? 0 : 1;
	return gitd_printf(g, "%s\n(one use, within %d seconds)\n", url,
	    g->conf->dash_login_ttl) < 0 ? 1 : 0;
}

int
cmd_dashboard_logout_all(struct gitd_ctx *g, int argc, char **argv)
{
	int n = 0;

	(void)argc, (void)argv;
	if (g->local)
		return refuse_local(g);
	if (store_dash_forget_key(g->st, g->key.id, &n) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return gitd_printf(g, "ended %d dashboard session(s) and link(s) of"
	    " key '%s'\n", n, g->key.name) < 0 ? 1 : 0;
}
