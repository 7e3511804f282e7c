/*
 * test_wildcard.c - which hosts the previews' wildcard certificate is for
 * (router/router_wildcard.c): exactly one label under [previews] domain
 * (what *.DOMAIN covers), never DOMAIN itself, a deeper name, an app's
 * APP.BASE_DOMAIN or a name that only ends like DOMAIN; and, with HTTPS
 * on but no wildcard, a preview host is not served over HTTPS (no ACME
 * order for it) while an app's real domain still is.
 */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "router/router_tls.h"
#include "tests/unit/unit.h"

int
main(void)
{
	struct conf c;

	conf_defaults(&c);
	snprintf(c.base_domain, sizeof(c.base_domain), "example.com");
	snprintf(c.preview_domain, sizeof(c.preview_domain), "preview.test");
	CHECK(tls_preview_host(&c, "shop--feature-a.preview.test"));
	CHECK(tls_preview_host(&c, "a.preview.test"));
	CHECK(!tls_preview_host(&c, "preview.test"));
	CHECK(!tls_preview_host(&c, ".preview.test"));
	CHECK(!tls_preview_host(&c, "x.shop--a.preview.test"));
	CHECK(!tls_preview_host(&c, "shop--a.xpreview.test"));
	CHECK(!tls_preview_host(&c, "shop.example.com"));
	CHECK(!tls_preview_host(&c, "shop--a.preview.test.evil"));
	/* the default domain: preview.BASE_DOMAIN */
	c.preview_domain[0] = '\0';
	CHECK(tls_preview_host(&c, "shop--a.preview.example.com"));
	CHECK(!tls_preview_host(&c, "shop.example.com"));

	/* HTTPS on, no [previews] cert: previews stay on HTTP */
	snprintf(c.https_listen, sizeof(c.https_listen), "127.0.0.1:8443");
	snprintf(c.https_listen_addr, sizeof(c.https_listen_addr), "127.0.0.1");
	c.https_listen_port = 8443;
	snprintf(c.router_config_dir, sizeof(c.router_config_dir),
	    "/nonexistent");
	CHECK(conf_https(&c));
	CHECK(tls_wanted(&c, "shop.example.com"));
	CHECK(!tls_wanted(&c, "shop--a.preview.example.com"));
	CHECK(!tls_has_cert(&c, "shop--a.preview.example.com"));
	/* set, but berth's copy is not there (not synced): still HTTP */
	snprintf(c.preview_cert, sizeof(c.preview_cert), "/etc/hostname");
	snprintf(c.preview_key, sizeof(c.preview_key), "/etc/hostname");
	CHECK(!tls_wildcard(&c));
	CHECK(!tls_wanted(&c, "shop--a.preview.example.com"));
	return unit_done();
}
