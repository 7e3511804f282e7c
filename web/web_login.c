/*
 * web_login.c - GET /login?t=TOKEN: a link from `dashboard:login`
 * (gitd/gitd_cmd_dashboard.c) becomes a session.  The link's row is
 * deleted as it is read (store_dash_find consumes it), so a link works
 * once, and only before [dashboard] login_ttl runs out.  The session's
 * cookie is HttpOnly, SameSite=Strict, Secure behind HTTPS.  The answer
 * is a page that moves on to / itself: a redirect from a link opened in
 * another program would be a cross-site navigation, and a Strict cookie
 * would not go with it.  next=/PATH (a plain path on this host) is where
 * that page goes instead of /.  POST /logout ends this browser's session.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/store_dash.h"
#include "web/web_page.h"
#include "web/web_pages.h"
#include "web/web_session.h"

/* next=: a path of this host only ("/apps/x", not "//evil" nor a URL),
 * in characters an attribute carries as they are; else "/". */
static const char *
next_path(const struct web_req *req)
{
	const char *n = web_query(req, "next");

	if (n == NULL || n[0] != '/' || n[1] == '/' || strlen(n) > 200 ||
	    strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/_.-") != strlen(n))
		return "/";
	return n;
}

static int
new_session(const struct web_req *req, struct store *st, int64_t key_id,
    struct web_resp *resp)
{
	char token[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN + 1], cookie[256];
	int ttl = req->conf->dash_session_ttl;

	if (token_new(token) == -1 || token_hash(token, hash) == -1) {
		log_warn("web: cannot make a session token");
		return -1;
	}
	if (store_dash_add(st, hash, DASH_SESSION, key_id,
	    (int64_t)time(NULL) + ttl) == -1) {
		log_warnx("web: %s", store_error(st));
		return -1;
	}
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; Max-Age=%d; HttpOnly;"
	    " SameSite=Strict%s", WEB_COOKIE, token, ttl,
	    web_https(req) ? "; Secure" : "");
	if (web_resp_header(resp, "Set-Cookie", cookie) == -1)
		return -1;
	web_resp_printf(resp, "<!doctype html>\n<html><head><meta "
	    "http-equiv=\"refresh\" content=\"0;url=%s\"><title>berth</title>"
	    "</head><body><p>Logged in. <a href=\"%s\">Continue</a></p>"
	    "</body></html>\n", next_path(req), next_path(req));
	return 0;
}

int
web_login(const struct web_req *req, struct web_resp *resp)
{
	const char *t = web_query(req, "t");
	char hash[TOKEN_HASH_LEN + 1];
	struct store *st;
	int64_t key_id;
	int rc;

	if (t == NULL || !token_shape(t))
		return web_resp_error(resp, 400, "no login token");
	if (token_hash(t, hash) == -1 || (st = web_store(req->conf)) == NULL)
		return -1;
	rc = store_dash_find(st, hash, DASH_LOGIN, 1, &key_id);
	if (rc == 0) {
		log_info("web: login of key %lld from %s", (long long)key_id,
		    req->peer);
		rc = new_session(req, st, key_id, resp);
	} else if (rc == STORE_NOTFOUND) {
		rc = web_resp_error(resp, 403, "this login link is used or "
		    "expired; run dashboard:login again");
	} else {
		log_warnx("web: %s", store_error(st));
	}
	store_close(st);
	return rc;
}

int
web_logout(const struct web_req *req, struct web_resp *resp)
{
	const char *token = web_cookie(req, WEB_COOKIE);
	char cookie[128], hash[TOKEN_HASH_LEN + 1];
	struct store *st;
	int64_t key_id;

	if (token != NULL && token_shape(token) &&
	    token_hash(token, hash) == 0 &&
	    (st = web_store(req->conf)) != NULL) {
		if (store_dash_find(st, hash, DASH_SESSION, 1, &key_id) == -1)
			log_warnx("web: %s", store_error(st));
		store_close(st);
	}
	snprintf(cookie, sizeof(cookie), "%s=; Path=/; Max-Age=0; HttpOnly;"
	    " SameSite=Strict", WEB_COOKIE);
	if (web_resp_header(resp, "Set-Cookie", cookie) == -1)
		return -1;
	return web_resp_redirect(resp, "/");
}
