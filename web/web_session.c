/*
 * web_session.c - a request's session and rights (web_session.h).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "core/datadir.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/store_dash.h"
#include "web/web_page.h"
#include "web/web_session.h"

struct store *
web_store(const struct conf *c)
{
	char db[PATH_MAX], err[ERR_MAX];
	struct store *st;

	if (datadir_db(c->data_dir, db, sizeof(db)) == -1) {
		log_warnx("web: data dir path too long");
		return NULL;
	}
	if (store_open(&st, db, err, sizeof(err)) == -1) {
		log_warnx("web: %s", err);
		return NULL;
	}
	return st;
}

struct key_find {
	int64_t id;
	struct key_rec *out;
	int found;
};

static int
key_one(void *arg, const struct key_rec *k)
{
	struct key_find *f = arg;

	if (k->id != f->id)
		return 0;
	*f->out = *k;
	f->found = 1;
	return 1;
}

static int
need_login(struct web_resp *resp)
{
	resp->status = 401;
	web_page_begin(resp, "Log in");
	web_resp_printf(resp, "<p>Run <code>ssh deploy@HOST dashboard:login"
	    "</code> and open the link it prints.</p>");
	web_page_end(resp);
	return 1;
}

int
web_session_user(const struct web_req *req, struct store *st,
    struct web_user *u, struct web_resp *resp)
{
	const char *token = web_cookie(req, WEB_COOKIE);
	char hash[TOKEN_HASH_LEN + 1];
	struct key_find f = { 0, &u->key, 0 };
	int rc;

	memset(u, 0, sizeof(*u));
	if (token == NULL || !token_shape(token))
		return need_login(resp);
	if (token_hash(token, hash) == -1 ||
	    token_derive("csrf:", token, u->csrf) == -1) {
		log_warnx("web: cannot hash a token");
		return -1;
	}
	if ((rc = store_dash_find(st, hash, DASH_SESSION, 0, &f.id)) ==
	    STORE_NOTFOUND)
		return need_login(resp);
	if (rc == -1 || store_key_each(st, key_one, &f) == -1) {
		log_warnx("web: %s", store_error(st));
		return -1;
	}
	return f.found ? 0 : need_login(resp);
}

enum role
web_role(struct store *st, const struct web_user *u, const struct app_rec *app)
{
	enum role r;

	if (store_role_get(st, &u->key, app->id, &r) == -1)
		return ROLE_NONE;
	return r;
}

int
web_session_csrf_ok(const struct web_req *req, const struct web_user *u)
{
	char got[TOKEN_HASH_LEN + 1];

	if (web_form(req, "csrf", got, sizeof(got)) != 0 ||
	    strlen(got) != TOKEN_HASH_LEN)
		return 0;
	return CRYPTO_memcmp(got, u->csrf, TOKEN_HASH_LEN) == 0;
}

int
web_https(const struct web_req *req)
{
	const char *p = web_header(req, "X-Forwarded-Proto");

	return p != NULL && strcmp(p, "https") == 0;
}
