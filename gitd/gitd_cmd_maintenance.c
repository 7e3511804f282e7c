/*
 * gitd_cmd_maintenance.c - maintenance:on|off APP: the proxy answers
 * every request of the app with 503 and a page (router/router_page.c: the
 * release's own maintenance.html, else berth's), while its processes keep
 * running; off routes to them again.  The flag is in sqlite, so the proxy
 * rendered again at any time (a deploy, a restart of berth) keeps it.  If
 * the proxy refuses the change, the flag goes back.
 */
#include <stdio.h>
#include <string.h>

#include "gitd/gitd_dispatch.h"
#include "router/router.h"

static int
set_maintenance(struct gitd_ctx *g, int on)
{
	char err[1024];

	if (g->app.maintenance == on) {
		gitd_printf(g, "%s: maintenance is already %s\n", g->app.name,
		    on ? "on" : "off");
		return 0;
	}
	if (store_app_set_maintenance(g->st, g->app.id, on) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	if (router_update(g->conf, g->st, NULL, 0, err, sizeof(err)) == -1) {
		if (store_app_set_maintenance(g->st, g->app.id, !on) == -1)
			gitd_errorf(g, "berth: %s", store_error(g->st));
		gitd_errorf(g, "berth: the proxy refused the change: %s", err);
		return 1;
	}
	gitd_printf(g, on ? "%s: maintenance on; the proxy answers 503 (the"
	    " processes keep running)\n" : "%s: maintenance off; routed to the"
	    " app again\n", g->app.name);
	return 0;
}

int
cmd_maintenance_on(struct gitd_ctx *g, int argc, char **argv)
{
	(void)argc, (void)argv;
	return set_maintenance(g, 1);
}

int
cmd_maintenance_off(struct gitd_ctx *g, int argc, char **argv)
{
	(void)argc, (void)argv;
	return set_maintenance(g, 0);
}
