/*
 * web_resp.c - building a response (web.h): status, content type, a body
 * grown by printf or HTML-escaped text, a few headers, or a stream; and
 * the headers every answer of the endpoint carries (no caching, no
 * framing, no sniffing, no referrer: a login link must not leak).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/web.h"
#include "web/web_int.h"

static int grow(struct web_resp *, size_t);

void
web_resp_init(struct web_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	snprintf(resp->type, sizeof(resp->type), "text/html; charset=utf-8");
}

void
web_resp_release(struct web_resp *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = resp->cap = 0;
	if (resp->stream != NULL && resp->stream_done != NULL)
		resp->stream_done(resp->stream_arg);
	resp->stream = NULL;
}

void
web_resp_fail(struct web_resp *resp)
{
	web_resp_release(resp);
	web_resp_init(resp);
	if (web_resp_error(resp, 500, "internal error") == -1)
		resp->status = 500; /* an empty body, then */
	resp->failed = 0;
}

static int
grow(struct web_resp *resp, size_t more)
{
	size_t cap = resp->cap == 0 ? 1024 : resp->cap;
	char *nb;

	if (resp->failed)
		return -1;
	while (cap < resp->len + more + 1)
		cap *= 2;
	if (cap == resp->cap)
		return 0;
	if ((nb = realloc(resp->body, cap)) == NULL) {
		resp->failed = 1;
		return -1;
	}
	resp->body = nb;
	resp->cap = cap;
	return 0;
}

int
web_resp_set(struct web_resp *resp, int status, const char *type,
    const char *body, size_t len)
{
	resp->status = status;
	if (snprintf(resp->type, sizeof(resp->type), "%s", type) >=
	    (int)sizeof(resp->type) || strpbrk(type, "\r\n") != NULL) {
		resp->failed = 1;
		return -1;
	}
	resp->len = 0;
	if (grow(resp, len) == -1)
		return -1;
	memcpy(resp->body, body, len);
	resp->len = len;
	resp->body[len] = '\0';
	return 0;
}

int
web_resp_printf(struct web_resp *resp, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(resp, (size_t)n) == -1) {
		resp->failed = 1;
		return -1;
	}
	va_start(ap, fmt);
	(void)vsnprintf(resp->body + resp->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	resp->len += (size_t)n;
	return 0;
}

/* Runs of plain characters are copied at once; & < > " ' become
 * entities. */
int
web_resp_html(struct web_resp *resp, const char *text)
{
	const char *p = text;
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, "&<>\"'");
		if (n > 0) {
			if (grow(resp, n) == -1)
				return -1;
			memcpy(resp->body + resp->len, p, n);
			resp->len += n;
			resp->body[resp->len] = '\0';
			p += n;
			continue;
		}
		if (web_resp_printf(resp, "%s", *p == '&' ? "&amp;" : *p == '<' ?
		    "&lt;" : *p == '>' ? "&gt;" : *p == '"' ? "&quot;" :
		    "&#39;") == -1)
			return -1;
		p++;
	}
	return 0;
}

int
web_resp_header(struct web_resp *resp, const char *name, const char *value)
{
	int i = resp->nheaders;

	if (i >= WEB_HEADERS_MAX || strpbrk(name, "\r\n:") != NULL ||
	    strpbrk(value, "\r\n") != NULL ||
	    snprintf(resp->hname[i], WEB_HEADER_MAX, "%s", name) >=
	    WEB_HEADER_MAX ||
	    snprintf(resp->hvalue[i], WEB_HEADER_MAX, "%s", value) >=
	    WEB_HEADER_MAX) {
		resp->failed = 1;
		return -1;
	}
	resp->nheaders++;
	return 0;
}

int
web_resp_error(struct web_resp *resp, int status, const char *msg)
{
	if (web_resp_set(resp, status, "text/plain; charset=utf-8", msg,
	    strlen(msg)) == -1)
		return -1;
	return web_resp_printf(resp, "\n");
}

int
web_resp_redirect(struct web_resp *resp, const char *location)
{
	if (web_resp_set(resp, 303, "text/plain; charset=utf-8", "", 0) == -1)
		return -1;
	return web_resp_header(resp, "Location", location);
}

void
web_resp_stream(struct web_resp *resp, web_read_fn read, web_done_fn done,
    void *arg)
{
	resp->stream = read;
	resp->stream_done = done;
	resp->stream_arg = arg;
}

int
web_resp_common(const struct web_mhd *m, struct MHD_Response *r,
    const char *type)
{
	static const char *const common[][2] = {
		{ "Cache-Control", "no-store" },
		{ "X-Content-Type-Options", "nosniff" },
		{ "X-Frame-Options", "DENY" },
		{ "Referrer-Policy", "no-referrer" },
		{ "Content-Security-Policy", "default-src 'self'; "
		    "frame-ancestors 'none'; form-action 'self'" },
	};

	if (m->add_response_header(r, "Content-Type", type) != MHD_YES)
		return -1;
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (m->add_response_header(r, common[i][0], common[i][1]) !=
		    MHD_YES)
			return -1;
	return 0;
}
