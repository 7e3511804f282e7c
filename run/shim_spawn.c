/*
 * shim_spawn.c - the command line and environment of a berth-shim, made
 * by berth from the store (see shim_spawn.h, run/berth_shim.h).  The
 * process type and the release's command are checked again here, where
 * they become an argv; the environment goes to the shim in a memfd (the
 * config vars are secrets: no file, and not the shim's own environment).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/ident.h"
#include "core/names.h"
#include "core/path.h"
#include "core/vars.h"
#include "run/procfile.h"
#include "run/shim_spawn.h"

/* Append NAME=VALUE\0 to the memfd; -1 on a write error. */
static int
env_put(int fd, const char *name, const char *value)
{
	size_t a = strlen(name), b = strlen(value);

	if (write(fd, name, a) != (ssize_t)a || write(fd, "=", 1) != 1 ||
	    write(fd, value, b + 1) != (ssize_t)(b + 1))
		return -1;
	return 0;
}

/* The app's environment: berth's own variables, then its config vars
 * (which may not override PORT or DYNO). */
static int
make_env(const struct conf *c, struct store *st, const char *app,
    const struct proc_rec *p, int fd, char *err, size_t errlen)
{
	char home[PATH_MAX], dyno[64], port[16];
	struct app_rec a;
	struct vars vs;
	int rc = 0;

	if (datadir_release(c->data_dir, app, p->release, home,
	    sizeof(home)) == -1) {
		snprintf(err, errlen, "the release path is too long");
		return -1;
	}
	snprintf(dyno, sizeof(dyno), "%s.%d", p->type, p->idx);
	snprintf(port, sizeof(port), "%d", p->port);
	if (env_put(fd, "PATH", "/usr/local/bin:/usr/bin:/bin") == -1 ||
	    env_put(fd, "HOME", home) == -1 || env_put(fd, "LANG",
	    "C.UTF-8") == -1 || env_put(fd, "STACK", "berth-1") == -1 ||
	    env_put(fd, "DYNO", dyno) == -1 || env_put(fd, "APP_NAME",
	    app) == -1 || (p->port > 0 && env_put(fd, "PORT", port) == -1)) {
		snprintf(err, errlen, "cannot write the environment: %s",
		    strerror(errno));
		return -1;
	}
	if (store_app_get(st, app, &a) != 0 ||
	    vars_load(c, st, &a, &vs, err, errlen) == -1) {
		snprintf(err, errlen, "cannot read the config vars of '%s'", app);
		return -1;
	}
	for (size_t i = 0; i < vs.n && rc == 0; i++)
		if (strcmp(vs.v[i].name, "PORT") != 0 &&
		    strcmp(vs.v[i].name, "DYNO") != 0)
			rc = env_put(fd, vs.v[i].name, vs.v[i].value);
	vars_free(&vs);
	if (rc == -1 || lseek(fd, 0, SEEK_SET) == -1) {
		snprintf(err, errlen, "cannot write the environment: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The release's command for p's type, split into words (no shell). */
static int
make_command(struct store *st, const struct proc_rec *p, struct shim_cmd *sc,
    size_t at, char *err, size_t errlen)
{
	struct release_rec *rel = malloc(sizeof(*rel));
	size_t n = 0;
	char *save;

	if (rel == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (store_release_get(st, p->app_id, p->release, rel) != 0 ||
	    !procfile_name_valid(p->type) ||
	    procfile_check(rel->process_types, err, errlen) == -1 ||
	    procfile_command_of(rel->process_types, p->type, sc->command,
	    sizeof(sc->command)) == -1) {
		snprintf(err, errlen, "release v%d has no valid '%s' process",
		    p->release, p->type);
		free(rel);
		return -1;
	}
	free(rel);
	for (char *w = strtok_r(sc->command, " \t", &save); w &&
	    n < SHIM_ARGS_MAX; w = strtok_r(NULL, " \t", &save))
		sc->argv[at + n++] = w;
	sc->argv[at + n] = NULL;
	if (n == 0) {
		snprintf(err, errlen, "the '%s' process has no command", p->type);
		return -1;
	}
	return 0;
}

/* The health path: [health] path, or the app's HEALTHCHECK_PATH. */
static void
health_of(const struct conf *c, struct store *st, const char *app, char *out,
    size_t len)
{
	struct app_rec a;
	struct vars vs;
	char err[256];
	const char *v;

	snprintf(out, len, "%s", c->health_path);
	if (store_app_get(st, app, &a) != 0 ||
	    vars_load(c, st, &a, &vs, err, sizeof(err)) == -1)
		return;
	if ((v = vars_get(&vs, "HEALTHCHECK_PATH")) != NULL && v[0] == '/' &&
	    strlen(v) < len && strpbrk(v, "@#\\ \t\r\n") == NULL)
		snprintf(out, len, "%s", v);
	vars_free(&vs);
}

static int
words(const struct conf *c, struct store *st, const char *app,
    const struct proc_rec *p, struct shim_cmd *sc, char *err, size_t errlen)
{
	struct ident who;
	int upstream = 0, count = 1;

	ident_of_app(c, p->app_id, &who);
	if (p->port > 0) {
		struct app_rec a;
		if (store_app_get(st, app, &a) != 0 ||
		    upstream_port(c, st, &a, &upstream, err, errlen) == -1)
			return -1;
		if (store_formation_get(st, p->app_id, p->type, &count) != 0 ||
		    count < 1)
			count = 1;
	}
	snprintf(sc->words[0], PATH_MAX, "%lld", (long long)p->id);
	snprintf(sc->words[1], PATH_MAX, "%d", p->idx);
	snprintf(sc->words[2], PATH_MAX, "%d", p->release);
	snprintf(sc->words[3], PATH_MAX, "%lu", who.drop ?
	    (unsigned long)who.uid : 0UL);
	snprintf(sc->words[4], PATH_MAX, "%lu", who.nproc);
	snprintf(sc->words[5], PATH_MAX, "%d", p->port);
	snprintf(sc->words[6], PATH_MAX, "%d", upstream);
	snprintf(sc->words[7], PATH_MAX, "%d", count);
	snprintf(sc->words[8], PATH_MAX, "%d", c->health_grace * 1000);
	health_of(c, st, app, sc->words[9], 256);
	return 0;
}

int
shim_prepare(const struct conf *c, struct store *st, const char *app,
    const struct proc_rec *p, struct shim_cmd *sc, char *err, size_t errlen)
{
	char **v = sc->argv;

	sc->env_fd = -1;
	snprintf(sc->gens, sizeof(sc->gens), "BERTH_LOG_GENERATIONS=%d",
	    c->log_generations);
	if (name_app_valid(app, err, errlen) == -1)
		return -1;
	if (path_beside_berth("berth-shim", sc->path, sizeof(sc->path)) == -1) {
		snprintf(err, errlen, "cannot find berth-shim beside berth");
		return -1;
	}
	if (words(c, st, app, p, sc, err, errlen) == -1)
		return -1;
	/* berth-shim shim DATA ID APP TYPE IDX RELEASE UID NPROC PORT
	 * UPSTREAM INSTANCES GRACE_MS HEALTH READY_FD -- COMMAND... */
	v[0] = "berth-shim";
	v[1] = "shim";
	v[2] = (char *)c->data_dir;
	v[3] = sc->words[0];
	v[4] = (char *)app;
	v[5] = (char *)p->type;
	for (int i = 1; i <= 9; i++)
		v[5 + i] = sc->words[i];
	v[15] = "-";
	v[16] = "--";
	if (make_command(st, p, sc, 17, err, errlen) == -1)
		return -1;
	if ((sc->env_fd = memfd_create("berth-env", MFD_CLOEXEC)) == -1) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if (make_env(c, st, app, p, sc->env_fd, err, errlen) == -1) {
		shim_cmd_release(sc);
		return -1;
	}
	return 0;
}

void
shim_cmd_release(struct shim_cmd *sc)
{
	if (sc->env_fd >= 0)
		close(sc->env_fd);
	sc->env_fd = -1;
}

void
shim_exec(const struct shim_cmd *sc, int ready_fd)
{
	char *env[3] = { NULL, NULL, NULL }, path[PATH_MAX + 8];
	char *argv[SHIM_ARGV_MAX + 1];
	const char *p = getenv("PATH");
	int e, r = -1;
	size_t i;

	/* the shim finds the app's command on berth's PATH, as before */
	snprintf(path, sizeof(path), "PATH=%s", p ? p : "/usr/bin:/bin");
	env[0] = path;
	env[1] = (char *)sc->gens; /* the shim's own, not the app's */
	for (i = 0; sc->argv[i] != NULL && i < SHIM_ARGV_MAX; i++)
		argv[i] = sc->argv[i];
	argv[i] = NULL;
	if ((e = fcntl(sc->env_fd, F_DUPFD, 10)) == -1 ||
	    (ready_fd >= 0 && (r = fcntl(ready_fd, F_DUPFD, 10)) == -1) ||
	    dup2(e, 3) == -1 || (r >= 0 && dup2(r, 4) == -1))
		return;
	if (r >= 0)
		argv[15] = "4";
	(void)close_range(5, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(sc->path, argv, env);
}
