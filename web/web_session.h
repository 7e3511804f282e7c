/*
 * web_session.h - who is asking: the dashboard's session cookie
 * (berth_session, set by GET /login, web_login.c) names a key; that key's
 * rights on each app are its rights over SSH (core/store.h roles).  Each
 * session has a CSRF token derived from its cookie; every POST form
 * carries it (web_session_csrf_ok).
 */
#ifndef BERTH_WEB_SESSION_H
#define BERTH_WEB_SESSION_H

#include "core/store.h"
#include "core/token.h"
#include "web/web.h"

#define WEB_COOKIE "berth_session"

struct web_user {
	struct key_rec key;
	char csrf[TOKEN_HASH_LEN + 1];
};

/* The store for one request (closed by the caller with store_close);
 * NULL after logging why. */
struct store *web_store(const struct conf *c);

/* The session's key in *u: 0; 1 when the request has no live session
 * (resp then holds a 401 page that says how to log in); -1 (logged). */
int web_session_user(const struct web_req *req, struct store *st,
    struct web_user *u, struct web_resp *resp);

/* The key's role on app (ROLE_NONE when it has none or on an error). */
enum role web_role(struct store *st, const struct web_user *u,
    const struct app_rec *app);

/* 1 when the form's csrf field is the session's token. */
int web_session_csrf_ok(const struct web_req *req, const struct web_user *u);

/* 1 when the browser reached the endpoint over HTTPS (the proxy says so
 * in X-Forwarded-Proto): cookies are then Secure. */
int web_https(const struct web_req *req);

#endif
