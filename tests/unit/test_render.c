/*
 * test_render.c - router/: the two renderers against golden files, and the
 * back-end table against conf's list of kinds.
 *
 * Each case is a fixed routing table (struct routes) and a few settings;
 * caddy_render's JSON goes to tests/unit/golden/caddy/CASE.json, and nginx's
 * output to tests/unit/golden/nginx/CASE.conf: the main config of a managed
 * nginx, then each site file after a line "# --- sites/APP.conf" (that line
 * is this test's, not nginx's).  A difference fails with `diff -u` of the
 * golden file and the output.
 *
 * A change to a renderer that is meant: regenerate with
 *     BERTH_GOLDEN_UPDATE=1 build/tests/test_render
 * (from the repository root, as tests/run runs it), then read the diff in
 * git before committing it.
 */
#include "conf/conf.h"
#include "router/router.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GOLDEN "tests/unit/golden"
#define OUT_MAX (256 * 1024)

/* A route: app, release, domains (NULL-ended), static root, ports (0-ended). */
static struct route
route(const char *app, int release, const char *const *domains,
    const char *static_root, const int *ports)
{
	struct route r;

	memset(&r, 0, sizeof(r));
	snprintf(r.app, sizeof(r.app), "%s", app);
	r.release = release;
	for (; domains && *domains; domains++) /* static: never freed */
		r.domains[r.ndomains++] = (char *)*domains;
	snprintf(r.static_root, sizeof(r.static_root), "%s",
	    static_root ? static_root : "");
	for (; ports && *ports; ports++)
		r.ports[r.nports++] = *ports;
	return r;
}

/* The settings every case starts from: the defaults, fixed paths. */
static void
base_conf(struct conf *c)
{
	conf_defaults(c);
	strcpy(c->data_dir, "/srv/berth");
	strcpy(c->router_config_dir, "/srv/berth/router");
}

static int
write_all(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "we");
	int ok;

	if (f == NULL)
		return -1;
	ok = fwrite(text, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Show how got differs from the golden file (diff -u, no shell). */
static void
show_diff(const char *golden, const char *got, size_t len)
{
	char tmp[] = "/tmp/test_render_XXXXXX";
	int fd = mkstemp(tmp), status;
	pid_t pid = -1;

	if (fd == -1)
		return;
	close(fd);
	if (write_all(tmp, got, len) == 0 && (pid = fork()) == 0) {
		execlp("diff", "diff", "-u", golden, tmp, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	unlink(tmp);
}

/* got must equal the golden file byte for byte (or becomes it, when
 * BERTH_GOLDEN_UPDATE is set). */
static void
golden(const char *kind, const char *name, const char *ext, const char *got)
{
	char path[256], *want;
	size_t len = strlen(got), n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s.%s", GOLDEN, kind, name, ext);
	if (getenv("BERTH_GOLDEN_UPDATE") != NULL) {
		CHECK(write_all(path, got, len) == 0);
		return;
	}
	want = calloc(1, OUT_MAX);
	CHECK(want != NULL);
	if (want == NULL)
		return;
	if ((f = fopen(path, "re")) != NULL) {
		n = fread(want, 1, OUT_MAX - 1, f);
		fclose(f);
	}
	CHECK(f != NULL);
	CHECK(n == len && memcmp(want, got, len) == 0);
	if (n != len || memcmp(want, got, len) != 0) {
		fprintf(stderr, "  %s differs from the output:\n", path);
		show_diff(path, got, len);
	}
	free(want);
}

/* Both renderers on one case. */
static void
render_case(const char *name, const struct conf *c, const struct route *v,
    size_t n)
{
	const struct routes rs = { (struct route *)v, n };
	char *out = malloc(OUT_MAX), *json, dir[PATH_MAX + 8], sites[PATH_MAX + 16];
	int len, o;

	CHECK(out != NULL);
	if (out == NULL)
		return;
	json = caddy_render(c, &rs);
	CHECK(json != NULL);
	if (json != NULL) {
		golden("caddy", name, "json", json);
		free(json);
	}
	snprintf(dir, sizeof(dir), "%s/nginx", c->router_config_dir);
	snprintf(sites, sizeof(sites), "%s/sites", dir);
	o = nginx_render_main(c, dir, sites, out, OUT_MAX);
	CHECK(o > 0);
	for (size_t i = 0; o > 0 && i < n; i++) {
		o += snprintf(out + o, OUT_MAX - (size_t)o,
		    "# --- sites/%s.conf\n", v[i].app);
		len = nginx_render_site(c, &v[i], out + o, OUT_MAX - (size_t)o);
		CHECK(len > 0);
		o = len > 0 ? o + len : -1;
	}
	if (o > 0)
		golden("nginx", name, "conf", out);
	free(out);
}

static const char *const web_domains[] = { "web.localhost", NULL };
static const char *const site_domains[] = { "site.localhost", NULL };
static const char *const dash_domains[] = { "berth.example.com", NULL };
static const char *const shop_domains[] = { "shop.localhost",
	"shop.example.com", "www.shop.example.com", "shop.localhost.example",
	"api.localhost", NULL };
static const int two_webs[] = { 41001, 41002, 0 };
static const int one_web[] = { 41003, 0 };

static void
test_cases(void)
{
	struct conf c;
	const struct route none_v[1] = { { .app = "" } };
	struct route v[3];

	base_conf(&c);
	render_case("empty", &c, none_v, 0);

	v[0] = route("site", 3, site_domains,
	    "/srv/berth/apps/site/releases/3/public", NULL);
	render_case("static", &c, v, 1);

	v[0] = route("web", 7, web_domains, NULL, two_webs);
	render_case("procfile_web2", &c, v, 1);

	v[0] = route("web", 2, web_domains, NULL, NULL);
	render_case("no_web_process", &c, v, 1);

	v[0] = route("shop", 12, shop_domains, NULL, one_web);
	render_case("domains", &c, v, 1);

	/* HTTPS on a listener of its own, certificates from the CA (none on
	 * disk yet: nginx serves the names over HTTP with the challenge dir) */
	strcpy(c.https_listen, "0.0.0.0:443");
	strcpy(c.https_listen_addr, "0.0.0.0");
	c.https_listen_port = 443;
	strcpy(c.acme_email, "ops@example.com");
	render_case("https_listen", &c, v, 1);
	base_conf(&c);

	v[0] = route("shop", 12, shop_domains, NULL, one_web);
	v[1] = route("site", 3, site_domains,
	    "/srv/berth/apps/site/releases/3/public", NULL);
	v[2] = route("web", 7, web_domains, NULL, two_webs);
	render_case("three_apps", &c, v, 3);

	strcpy(c.router_https, "off");
	render_case("https_off", &c, v, 3);

	base_conf(&c);
	c.router_max_body = 1ULL << 20;
	render_case("max_body_1m", &c, v, 1);

	base_conf(&c);
	strcpy(c.http_listen_addr, "::1");
	c.http_listen_port = 8081;
	render_case("listen_ipv6", &c, v, 1);

	base_conf(&c);
	c.router_manage = 0;
	render_case("unmanaged", &c, v, 1);

	/* the dashboard (router_model.c's collect_dashboard), first of all,
	 * on a unix socket and on a loopback port */
	base_conf(&c);
	v[1] = v[0];
	v[0] = route(ROUTE_DASHBOARD, 0, dash_domains, NULL, NULL);
	strcpy(v[0].dial, "/srv/berth/web.sock");
	render_case("dashboard_unix", &c, v, 2);
	strcpy(v[0].dial, "127.0.0.1:8099");
	render_case("dashboard_port", &c, v, 1);
}

/* Every kind conf accepts has a back end of that name. */
static void
test_backends(void)
{
	for (const char *const *k = conf_router_kinds; *k; k++) {
		const struct router_backend *b = router_backend_find(*k);
		CHECK(b != NULL && strcmp(b->name, *k) == 0);
		CHECK(b != NULL && b->apply && b->start && b->pid);
	}
	CHECK(router_backend_find("apache") == NULL);
	CHECK(router_backend_find("") == NULL);
	CHECK(router_backend_find("Caddy") == NULL);
}

int
main(void)
{
	test_backends();
	test_cases();
	return unit_done();
}
