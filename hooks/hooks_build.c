/*
 * hooks_build.c - the build stage: pick a buildpack (the one pinned with
 * BUILDPACK, else the first whose bin/detect succeeds, in the order of
 * BUILDPACKS_DIR/order then the rest alphabetically), run bin/compile with a
 * timeout and a clean environment (PATH, HOME, LANG, STACK, SOURCE_VERSION and
 * the app's config vars, nothing of the daemon's), and read the process
 * types from the Procfile or bin/release.  Every output line of the
 * buildpack is streamed to the pusher, config values hidden.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/path.h"
#include "core/spawn.h"
#include "hooks/hooks_deploy.h"
#include "hooks/hooks_procfile.h"

#define MAX_BUILDPACKS 64
#define ENV_MAX 300
#define RELEASE_OUT_MAX 65536

struct env {
	char *v[ENV_MAX + 1];
	size_t n;
};

static int env_build(struct deploy *d, struct env *e);
static void env_free(struct env *e);
static int list_buildpacks(struct deploy *d, char names[][64], size_t *n);
static int installed(struct deploy *d, const char *name);
static int buildpack_name_valid(const char *s);

/* A line of bin/compile's output, to the pusher and the deploy log, with
 * the app's config values hidden (core/vars.h). */
static void
stream_line(void *ctx, const char *line)
{
	struct deploy *d = ctx;
	char clean[SPAWN_LINE_MAX * 2];

	vars_redact(&d->vars, line, clean, sizeof(clean));
	if (strncmp(clean, "-----> ", 7) == 0)
		deploy_say(d, "%s", clean);
	else
		deploy_say(d, "       %s", clean);
}

struct capture {
	char *buf;
	size_t len, cap;
	int overflow;
};

static void
capture_line(void *ctx, const char *line)
{
	struct capture *c = ctx;
	size_t n = strlen(line);

	if (c->len + n + 2 > c->cap) {
		c->overflow = 1;
		return;
	}
	memcpy(c->buf + c->len, line, n);
	c->len += n;
	c->buf[c->len++] = '\n';
	c->buf[c->len] = '\0';
}

/* Run bin/STEP of the chosen (or given) buildpack. */
static int
run_step(struct deploy *d, const char *pack_dir, const char *step,
    int timeout, void (*on_line)(void *, const char *), void *ctx,
    struct spawn_result *res)
{
	char prog[PATH_MAX], err[256];
	char *argv[5];
	struct env e;
	struct spawn_opts o;
	int rc;

	if (pathf(prog, sizeof(prog), "%s/bin/%s", pack_dir, step) == -1)
		return deploy_fail(d, "buildpack path too long");
	argv[0] = prog;
	argv[1] = d->build_dir;
	argv[2] = strcmp(step, "compile") == 0 ? d->cache_dir : NULL;
	argv[3] = strcmp(step, "compile") == 0 ? d->env_dir : NULL;
	argv[4] = NULL;
	if (env_build(d, &e) == -1)
		return deploy_fail(d, "out of memory");
	o = (struct spawn_opts){ .argv = argv, .envp = e.v, .cwd = d->build_dir,
	    .timeout_s = timeout, .on_line = on_line, .ctx = ctx,
	    .memory_limit = d->conf->build_memory_limit, .ident = &d->ident };
	rc = spawn_run(&o, res, err, sizeof(err));
	env_free(&e);
	if (rc == -1)
		return deploy_fail(d, "cannot run %s: %s", prog, err);
	return 0;
}

/* The build runs as the app's uid: it must reach the buildpacks and its
 * build dir, or every bin/detect would fail as "no buildpack accepts". */
static int
reachable(struct deploy *d)
{
	char releases[PATH_MAX], blocked[PATH_MAX];
	/* the way to the build dir (the build dir itself is the app's) */
	const char *paths[] = { d->conf->buildpacks_dir, releases };

	if (pathf(releases, sizeof(releases), "%s/releases", d->app_dir) == -1)
		return deploy_fail(d, "path too long");
	for (size_t i = 0; d->ident.drop && i < 2; i++)
		if (datadir_blocked(paths[i], blocked, sizeof(blocked)) == 0 &&
		    blocked[0] != '\0')
			return deploy_fail(d, "builds run as uid %lu, who cannot"
			    " enter '%s' on the way to '%s': put berth under /opt"
			    " and data_dir under /var/lib/berth, or chmod o+x '%s'",
			    (unsigned long)d->ident.uid, blocked, paths[i], blocked);
	return 0;
}

int
build_detect(struct deploy *d)
{
	char names[MAX_BUILDPACKS][64], dir[PATH_MAX];
	struct capture cap = { 0 };
	char out[512];
	const char *pinned = vars_get(&d->vars, "BUILDPACK");
	struct spawn_result res;
	size_t n = 0;

	if (reachable(d) == -1)
		return -1;
	if (pinned != NULL) {
		if (!buildpack_name_valid(pinned))
			return deploy_fail(d, "BUILDPACK '%.60s' is not a valid"
			    " buildpack name", pinned);
		snprintf(names[0], sizeof(names[0]), "%s", pinned);
		n = 1;
	} else if (list_buildpacks(d, names, &n) == -1) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (pathf(dir, sizeof(dir), "%s/%s", d->conf->buildpacks_dir,
		    names[i]) == -1)
			continue;
		if (pinned != NULL && !installed(d, pinned))
			return deploy_fail(d, "pinned buildpack '%s' is not in %s",
			    pinned, d->conf->buildpacks_dir);
		cap = (struct capture){ out, 0, sizeof(out), 0 };
		out[0] = '\0';
		if (run_step(d, dir, "detect", 60, capture_line, &cap, &res) == -1)
			return -1;
		if (res.exited && res.exit_code == 0) {
			snprintf(d->buildpack, sizeof(d->buildpack), "%s", names[i]);
			snprintf(d->buildpack_dir, sizeof(d->buildpack_dir), "%s", dir);
			char shown[sizeof(out) * 2];
			out[strcspn(out, "\n")] = '\0';
			vars_redact(&d->vars, out, shown, sizeof(shown));
			deploy_say(d, "-----> Detected %s app (buildpack '%s'%s)",
			    shown[0] ? shown : names[i], names[i],
			    pinned ? ", pinned by BUILDPACK" : "");
			return 0;
		}
		if (pinned != NULL)
			return deploy_fail(d, "pinned buildpack '%s' does not"
			    " accept this app", pinned);
	}
	return deploy_fail(d, "no buildpack accepts this app (add a Procfile,"
	    " index.html, package.json, requirements.txt or go.mod, or pin one"
	    " with config:set %s BUILDPACK=name)", d->app.name);
}

/* 1 when the filesystem of path has less than 1 MiB left. */
static int
disk_full(const char *path)
{
	struct statvfs sv;

	return statvfs(path, &sv) == 0 &&
	    (unsigned long long)sv.f_bavail * sv.f_frsize < (1ULL << 20);
}

int
build_compile(struct deploy *d)
{
	struct spawn_result res;
	char how[64];

	deploy_say(d, "-----> Building with '%s' (timeout %d s)", d->buildpack,
	    d->conf->build_timeout);
	if (run_step(d, d->buildpack_dir, "compile", d->conf->build_timeout,
	    stream_line, d, &res) == -1)
		return -1;
	if (res.timed_out)
		return deploy_fail(d, "build timed out after %d s",
		    d->conf->build_timeout);
	if (!res.exited || res.exit_code != 0) {
		spawn_describe(&res, how, sizeof(how));
		if (disk_full(d->build_dir))
			return deploy_fail(d, "build failed (%s): the disk that holds"
			    " %s is full", how, d->conf->data_dir);
		if (d->ident.drop)
			return deploy_fail(d, "build failed (%s; builds may use %llu"
			    " MiB of memory, [build] memory_limit, and the app %d"
			    " processes, [server] app_max_processes)", how,
			    (unsigned long long)(d->conf->build_memory_limit >> 20),
			    d->conf->app_max_processes);
		return deploy_fail(d, "build failed (%s; builds may use %llu MiB of"
		    " memory, [build] memory_limit)", how,
		    (unsigned long long)(d->conf->build_memory_limit >> 20));
	}
	return 0;
}

/* Read BUILD_DIR/Procfile into buf; 1 read, 0 absent, -1 error. */
static int
read_procfile(struct deploy *d, char *buf, size_t len)
{
	char path[PATH_MAX];
	struct stat sb;
	ssize_t n;
	int fd;

	if (pathf(path, sizeof(path), "%s/Procfile", d->build_dir) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0 || (size_t)n == len - 1)
		return -1;
	buf[n] = '\0';
	return 1;
}

int
build_release_info(struct deploy *d)
{
	char yaml[RELEASE_OUT_MAX], procfile[RELEASE_OUT_MAX], err[256];
	struct capture cap = { yaml, 0, sizeof(yaml), 0 };
	struct spawn_result res;
	int rc;

	yaml[0] = '\0';
	if (run_step(d, d->buildpack_dir, "release", 60, capture_line, &cap,
	    &res) == -1)
		return -1;
	if (!res.exited || res.exit_code != 0 || cap.overflow)
		return deploy_fail(d, "buildpack's bin/release failed");
	if (release_yaml_parse(yaml, cap.len, d->rel.process_types,
	    sizeof(d->rel.process_types), d->rel.static_root,
	    sizeof(d->rel.static_root), err, sizeof(err)) == -1)
		return deploy_fail(d, "%s", err);
	if ((rc = read_procfile(d, procfile, sizeof(procfile))) == -1)
		return deploy_fail(d, "cannot read the Procfile (too large?)");
	if (rc == 1 && procfile_parse(procfile, d->rel.process_types,
	    sizeof(d->rel.process_types), err, sizeof(err)) == -1)
		return deploy_fail(d, "%s", err);
	return 0;
}

static int
env_add(struct env *e, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;

	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->v[i], name, strlen(name)) == 0 &&
		    e->v[i][strlen(name)] == '=')
			return 0; /* the standard variables win */
	if (e->n == ENV_MAX || (e->v[e->n] = malloc(len)) == NULL)
		return -1;
	snprintf(e->v[e->n++], len, "%s=%s", name, value);
	e->v[e->n] = NULL;
	return 0;
}

static int
env_build(struct deploy *d, struct env *e)
{
	e->n = 0;
	e->v[0] = NULL;
	if (env_add(e, "PATH", "/usr/local/bin:/usr/bin:/bin") == -1 ||
	    env_add(e, "HOME", d->home_dir) == -1 ||
	    env_add(e, "LANG", "C.UTF-8") == -1 ||
	    env_add(e, "STACK", "berth-1") == -1 ||
	    env_add(e, "SOURCE_VERSION", d->commit_hex) == -1) {
		env_free(e);
		return -1;
	}
	for (size_t i = 0; i < d->vars.n; i++)
		if (env_add(e, d->vars.v[i].name, d->vars.v[i].value) == -1) {
			env_free(e);
			return -1;
		}
	return 0;
}

static void
env_free(struct env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
}

static int
buildpack_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= 64 || s[0] == '.')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == len;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
listed(char names[][64], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* 1 when buildpack name has an executable bin/detect. */
static int
installed(struct deploy *d, const char *name)
{
	char detect[PATH_MAX];

	return pathf(detect, sizeof(detect), "%s/%s/bin/detect",
	    d->conf->buildpacks_dir, name) == 0 && access(detect, X_OK) == 0;
}

/* The order file first, then every other buildpack dir alphabetically;
 * only those installed. */
static int
list_buildpacks(struct deploy *d, char names[][64], size_t *n)
{
	char path[PATH_MAX], line[128];
	size_t ordered;
	struct dirent *de;
	FILE *f;
	DIR *dir;

	*n = 0;
	if (pathf(path, sizeof(path), "%s/order", d->conf->buildpacks_dir) == 0 &&
	    (f = fopen(path, "re")) != NULL) {
		while (*n < MAX_BUILDPACKS && fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, " \t\r\n#")] = '\0';
			if (buildpack_name_valid(line) && !listed(names, *n, line) &&
			    installed(d, line))
				memcpy(names[(*n)++], line, strlen(line) + 1);
		}
		fclose(f);
	}
	ordered = *n;
	if ((dir = opendir(d->conf->buildpacks_dir)) == NULL)
		return deploy_fail(d, "cannot read buildpacks dir '%s': %s",
		    d->conf->buildpacks_dir, strerror(errno));
	while (*n < MAX_BUILDPACKS && (de = readdir(dir)) != NULL) {
		if (!buildpack_name_valid(de->d_name) ||
		    listed(names, *n, de->d_name) || !installed(d, de->d_name))
			continue;
		memcpy(names[(*n)++], de->d_name, strlen(de->d_name) + 1);
	}
	closedir(dir);
	qsort(names + ordered, *n - ordered, sizeof(names[0]), name_cmp);
	return 0;
}
