/*
 * web_dispatch.c - the endpoint's one gate: a request's route from the
 * table (web_routes.c), 404 or 405 when there is none, the handler's
 * failure turned into a 500; and the request getters handlers use
 * (headers, query, cookies, form fields), all read through MHD or with a
 * named bound.
 */
#include <ctype.h>
#include <string.h>

#include "core/log.h"
#include "web/web.h"
#include "web/web_int.h"

static int prefix_match(const char *, const char *);
static int unhex(int);
static int form_decode(const char *, size_t, char *, size_t);

void
web_dispatch(const struct web_req *req, struct web_resp *resp)
{
	const struct web_route *r;
	int path_seen = 0;

	if (req->path == NULL || req->path[0] != '/') {
		web_resp_error(resp, 400, "bad request path");
		return;
	}
	for (r = web_routes; r->method != NULL; r++) {
		if (!prefix_match(r->prefix, req->path))
			continue;
		path_seen = 1;
		if (strcmp(r->method, "*") != 0 &&
		    strcmp(r->method, req->method) != 0)
			continue;
		if (r->handler(req, resp) == -1 || resp->failed)
			web_resp_fail(resp);
		return;
	}
	if (path_seen)
		web_resp_error(resp, 405, "method not allowed");
	else
		web_resp_error(resp, 404, "not found");
}

/* "/a" matches "/a" and "/a/...", not "/ab"; "/" matches all. */
static int
prefix_match(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);

	if (strncmp(prefix, path, n) != 0)
		return 0;
	return n > 0 && (prefix[n - 1] == '/' || path[n] == '\0' ||
	    path[n] == '/');
}

const char *
web_header(const struct web_req *req, const char *name)
{
	return web_mhd_of(req)->lookup_connection_value(req->conn,
	    MHD_HEADER_KIND, name);
}

const char *
web_query(const struct web_req *req, const char *name)
{
	return web_mhd_of(req)->lookup_connection_value(req->conn,
	    MHD_GET_ARGUMENT_KIND, name);
}

const char *
web_cookie(const struct web_req *req, const char *name)
{
	return web_mhd_of(req)->lookup_connection_value(req->conn,
	    MHD_COOKIE_KIND, name);
}

int
web_form(const struct web_req *req, const char *name, char *out,
    size_t outlen)
{
	const char *p = req->body, *end = req->body + req->body_len, *amp, *eq;
	size_t n = strlen(name);

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && (size_t)(eq - p) == n &&
		    memcmp(p, name, n) == 0)
			return form_decode(eq + 1, (size_t)(amp - eq - 1), out,
			    outlen);
		p = amp + 1;
	}
	return 1;
}

static int
unhex(int c)
{
	if (!isxdigit(c))
		return -1;
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* %XX and '+' decoded; a NUL byte or a bad escape is malformed. */
static int
form_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;
	int hi, lo, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+')
			c = ' ';
		else if (c == '%') {
			if (i + 2 >= n ||
			    (hi = unhex((unsigned char)s[i + 1])) < 0 ||
			    (lo = unhex((unsigned char)s[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return 0;
}
