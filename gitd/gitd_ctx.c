/*
 * gitd_ctx.c - small services every command handler uses: printing to the
 * caller's stdout and stderr, the path of an app's repository, and creating
 * an app (repository first, then its row, so a re-run after a crash between
 * the two finishes the job).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/datadir.h"
#include "core/log.h"
#include "core/path.h"
#include "gitd/gitd.h"
#include "gitd/gitd_dispatch.h"
#include "gitd/gitd_pack.h"

void
gitd_errorf(struct gitd_ctx *g, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)g->io.write_err(g->io.in_out.ctx, buf, (size_t)n);
}

int
gitd_protocol_fail(struct gitd_ctx *g, struct pkt_io *io, int sideband,
    int err_pkt, const char *service, const char *msg)
{
	char band[600];
	int n;

	log_warnx("%s '%s': %s", service, g->app.name, msg);
	if (sideband) {
		n = snprintf(band, sizeof(band), "berth: %s\n", msg);
		(void)pkt_band(io, 3, band, (size_t)n < sizeof(band) ? (size_t)n :
		    sizeof(band) - 1);
	} else if (err_pkt) {
		(void)pkt_writef(io, "ERR %s\n", msg);
		(void)pkt_send(io);
	} else {
		gitd_errorf(g, "berth: %s", msg);
	}
	return -1;
}

void
gitd_holder(const struct gitd_ctx *g, const char *what, char *out, size_t len)
{
	if (g->local)
		snprintf(out, len, "%s run on the server", what);
	else
		snprintf(out, len, "%s by key '%s'", what, g->key.name);
}

int
gitd_printf(struct gitd_ctx *g, const char *fmt, ...)
{
	char buf[4096], err[128], *big = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf)) { /* a long listing: format it again */
		va_start(ap, fmt);
		n = vasprintf(&big, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
	}
	rc = g->io.in_out.write(g->io.in_out.ctx, big ? big : buf, (size_t)n, err,
	    sizeof(err));
	free(big);
	return rc;
}

int
gitd_repo_path(const struct conf *c, const char *app, char *out, size_t len)
{
	return datadir_repo(c->data_dir, app, out, len);
}

int
gitd_app_name_free(const struct conf *c, const char *name, char *err,
    size_t errlen)
{
	char host[CONF_NAME_MAX + 80];

	if (c->dash_host[0] == '\0' ||
	    pathf(host, sizeof(host), "%s.%s", name, c->base_domain) == -1 ||
	    strcmp(host, c->dash_host) != 0)
		return 0;
	snprintf(err, errlen, "an app named '%s' would answer at %s, the"
	    " dashboard's host ([dashboard] host); pick another name", name,
	    host);
	return -1;
}

int
gitd_app_create(struct gitd_ctx *g, const char *name, char *err, size_t errlen)
{
	git_repository_init_options opts;
	git_repository *repo = NULL;
	char path[PATH_MAX], head[300];
	struct app_rec app;

	if (gitd_app_name_free(g->conf, name, err, errlen) == -1)
		return -1;
	if (gitd_repo_path(g->conf, name, path, sizeof(path)) == -1 ||
	    pathf(head, sizeof(head), "refs/heads/%s",
	    g->conf->deploy_branch) == -1) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	if (git_repository_init_options_init(&opts,
	    GIT_REPOSITORY_INIT_OPTIONS_VERSION) < 0) {
		snprintf(err, errlen, "%s", git_errmsg("libgit2 init failed"));
		return -1;
	}
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	opts.mode = GIT_REPOSITORY_INIT_SHARED_UMASK;
	opts.initial_head = head;
	if (git_repository_init_ext(&repo, path, &opts) < 0) {
		snprintf(err, errlen, "%s", git_errmsg("cannot create repository"));
		return -1;
	}
	git_repository_free(repo);
	if (store_app_create(g->st, name, &app) == -1) {
		snprintf(err, errlen, "%s", store_error(g->st));
		return -1;
	}
	return 0;
}
