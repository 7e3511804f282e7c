/*
 * web_health.c - GET /health: the endpoint answers "ok" when it runs.
 * No login, no state read: a probe for the proxy, the tests and an
 * operator's curl.
 */
#include <string.h>

#include "web/web_pages.h"

int
web_health(const struct web_req *req, struct web_resp *resp)
{
	(void)req;
	return web_resp_set(resp, 200, "text/plain; charset=utf-8", "ok\n",
	    strlen("ok\n"));
}
