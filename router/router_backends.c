/*
 * router_backends.c - the table of router back ends, one per proxy
 * (router_caddy.c, router_nginx.c), and the choice of one by [router]
 * kind.  The names are conf's list of kinds (conf_router_kinds), which
 * conf_load checks the file against; tests/unit/test_render.c checks that
 * each has a back end here.  See router.h, struct router_backend.
 */
#include <string.h>

#include "core/log.h"
#include "router/router.h"

static const struct router_backend *const backends[] = {
	&router_caddy,
	&router_nginx,
};

#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

const struct router_backend *
router_backend_find(const char *name)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

/* A kind conf accepted without a back end is a bug. */
const struct router_backend *
router_backend(const struct conf *c)
{
	const struct router_backend *b = router_backend_find(c->router_kind);

	if (b == NULL)
		fatalx("%s:%d: no router back end '%s'", __FILE__, __LINE__,
		    c->router_kind);
	return b;
}

void
router_sweep(const struct conf *c)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (backends[i]->sweep != NULL)
			backends[i]->sweep(c);
}
