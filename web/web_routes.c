/*
 * web_routes.c - the endpoint's routes: method, path prefix, handler
 * (web.h).  The first match wins, so a longer prefix comes before a
 * shorter one it starts with.  A route is one line here and a handler in
 * a file of its own.
 */
#include "web/web.h"
#include "web/web_hooks.h"
#include "web/web_pages.h"

const struct web_route web_routes[] = {
	{ "GET", "/health", web_health },
	{ "POST", "/hooks/", web_hooks },
	{ "GET", "/login", web_login },
	{ "POST", "/logout", web_logout },
	{ "GET", "/static/", web_static },
	{ "GET", "/metrics", web_metrics },
	{ "GET", "/apps/", web_app_get },
	{ "POST", "/apps/", web_app_post },
	{ "GET", "/", web_apps },
	{ NULL, NULL, NULL },
};
