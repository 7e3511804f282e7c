/*
 * build.c - the build stage: pick a buildpack (the one pinned with
 * BUILDPACK, else the first whose bin/detect succeeds, in the order of
 * BUILDPACKS_DIR/order then the rest alphabetically), run bin/compile with a
 * timeout and a clean environment (deploy/buildenv.c: nothing of the
 * daemon's), run bin/release, and once the tree is sealed read the process
 * types from the Procfile or bin/release's output.  Every output line of
 * the buildpack is streamed to the pusher, config values hidden.
 *
 * Each step runs as the build's own uid with reap_all (core/spawn.h): when
 * it ends, nothing it started runs on, so nothing can still write to the
 * tree once it is sealed.  ENV_DIR exists only while bin/compile runs.
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
#include "core/log.h"
#include "core/path.h"
#include "core/spawn.h"
#include "deploy/deploy.h"
#include "run/procfile.h"

#define MAX_BUILDPACKS 64
#define RELEASE_OUT_MAX 65536

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
	reason_note_line(d, clean);
	/* a buildpack that indents its own detail lines (Heroku's "       "
	 * and " !     ") is shown as it wrote them, not indented twice */
	if (strncmp(clean, "-----> ", 7) == 0 ||
	    strncmp(clean, "       ", 7) == 0 || strncmp(clean, " !", 2) == 0)
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

/* Run bin/STEP of the chosen (or given) buildpack as the build's uid;
 * compile gets CACHE_DIR and ENV_DIR (its files seen by it alone). */
static int
run_step(struct deploy *d, const char *pack_dir, const char *step,
    int timeout, say_fn on_line, void *ctx,
    struct spawn_result *res)
{
	char prog[PATH_MAX], err[256];
	int compile = strcmp(step, "compile") == 0;
	char *argv[5];
	struct spawn_file *files = NULL;
	struct env e;
	struct spawn_opts o;
	size_t nfiles = 0;
	int rc;

	if (pathf(prog, sizeof(prog), "%s/bin/%s", pack_dir, step) == -1)
		return deploy_fail(d, "buildpack path too long");
	argv[0] = prog;
	argv[1] = d->build_dir;
	argv[2] = compile ? d->cache_dir : NULL;
	argv[3] = compile ? d->env_dir : NULL;
	argv[4] = NULL;
	if (buildenv_make(d, &e) == -1)
		return deploy_fail(d, "out of memory");
	if (compile && buildenv_files(d, &files, &nfiles) == -1) {
		buildenv_free(&e);
		return deploy_fail(d, "out of memory");
	}
	o = (struct spawn_opts){ .argv = argv, .envp = e.v, .cwd = d->build_dir,
	    .timeout_s = timeout, .on_line = on_line, .ctx = ctx,
	    .memory_limit = d->conf->build_memory_limit,
	    .ident = &d->build_ident, .reap_all = 1,
	    .files_dir = compile ? d->env_dir : NULL, .files = files,
	    .nfiles = nfiles };
	rc = spawn_run(&o, res, err, sizeof(err));
	buildenv_free(&e);
	free(files);
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
	for (size_t i = 0; d->build_ident.drop && i < 2; i++)
		if (datadir_blocked(paths[i], blocked, sizeof(blocked)) == 0 &&
		    blocked[0] != '\0')
			return deploy_fail(d, "builds run as uid %lu, who cannot"
			    " enter '%s' on the way to '%s': let others through"
			    " it (chmod o+x '%s'), or set %s in berth.ini to a"
			    " directory they can reach", (unsigned long)
			    d->build_ident.uid, blocked, paths[i], blocked,
			    i == 0 ? "buildpacks_dir" : "data_dir");
	return 0;
}

/* The buildpack at dir is the app's: say so with the first line of its
 * bin/detect's output (config values hidden). */
static int
detected(struct deploy *d, const char *name, const char *dir, char *out,
    int pinned)
{
	char shown[512 * 2];

	snprintf(d->buildpack, sizeof(d->buildpack), "%s", name);
	snprintf(d->buildpack_dir, sizeof(d->buildpack_dir), "%s", dir);
	out[strcspn(out, "\n")] = '\0';
	vars_redact(&d->vars, out, shown, sizeof(shown));
	deploy_say(d, "-----> Detected %s app (buildpack '%s'%s)",
	    shown[0] ? shown : name, name, pinned ? ", pinned by BUILDPACK" : "");
	return 0;
}

static int
none_accepts(struct deploy *d)
{
	return deploy_fail(d, "no buildpack accepts this app (add a Procfile,"
	    " index.html, package.json, requirements.txt or go.mod, or pin one"
	    " with config:set %s BUILDPACK=name)", d->app.name);
}

/*
 * The detects of several buildpacks in one step: one shell runs each
 * bin/detect in turn, stops at the first that accepts, prints only its
 * output and says which by its exit status (100 + its place; 1: none).
 * One keeper and one sweep for them all: a keeper per detect is a fork of
 * this big process and another for its sweep, about 4 ms of CPU each time,
 * four or five times a deploy.  A detect only looks at the tree; anything
 * one leaves running ends with the step, before bin/compile.  The script
 * is berth's own text: the build dir and the buildpacks' dirs reach it as
 * arguments, never inside it.  60 s for each detect, as one alone has.
 */
static const char detect_loop[] =
    "b=$1; shift; i=0\n"
    "for d in \"$@\"; do\n"
    "\tif out=$(\"$d/bin/detect\" \"$b\" 2>&1); then\n"
    "\t\tprintf '%s\\n' \"$out\"; exit $((100 + i))\n"
    "\tfi\n"
    "\ti=$((i + 1))\n"
    "done\n"
    "exit 1\n";

static int
detect_first(struct deploy *d, char names[][64], size_t n)
{
	char (*dirs)[PATH_MAX], *argv[MAX_BUILDPACKS + 6], out[512], how[64],
	    err[256];
	struct capture cap = { out, 0, sizeof(out), 0 };
	struct spawn_result res;
	struct spawn_opts o;
	struct env e;
	size_t k = 0;
	int rc;

	if ((dirs = calloc(n, sizeof(*dirs))) == NULL)
		return deploy_fail(d, "out of memory");
	argv[k++] = "/bin/sh";
	argv[k++] = "-c";
	argv[k++] = (char *)detect_loop;
	argv[k++] = "berth-detect";
	argv[k++] = d->build_dir;
	for (size_t i = 0; i < n; i++) {
		if (pathf(dirs[i], sizeof(dirs[i]), "%s/%s",
		    d->conf->buildpacks_dir, names[i]) == -1) {
			free(dirs);
			return deploy_fail(d, "buildpack path too long");
		}
		argv[k++] = dirs[i];
	}
	argv[k] = NULL;
	if (buildenv_make(d, &e) == -1) {
		free(dirs);
		return deploy_fail(d, "out of memory");
	}
	out[0] = '\0';
	o = (struct spawn_opts){ .argv = argv, .envp = e.v, .cwd = d->build_dir,
	    .timeout_s = 60 * (int)n, .on_line = capture_line, .ctx = &cap,
	    .memory_limit = d->conf->build_memory_limit,
	    .ident = &d->build_ident, .reap_all = 1 };
	rc = spawn_run(&o, &res, err, sizeof(err));
	buildenv_free(&e);
	if (rc == -1) {
		free(dirs);
		return deploy_fail(d, "cannot run the buildpacks' bin/detect: %s",
		    err);
	}
	if (res.exited && res.exit_code >= 100 &&
	    (size_t)res.exit_code < 100 + n) {
		size_t i = (size_t)res.exit_code - 100;
		rc = detected(d, names[i], dirs[i], out, 0);
		free(dirs);
		return rc;
	}
	free(dirs);
	if (res.exited && res.exit_code == 1)
		return none_accepts(d);
	if (res.timed_out)
		return deploy_fail(d, "the buildpacks' bin/detect did not end"
		    " within %d s", o.timeout_s);
	spawn_describe(&res, how, sizeof(how));
	return deploy_fail(d, "the buildpacks' bin/detect ended with %s", how);
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
	buildenv_say_kept_out(d);
	if (pinned == NULL) {
		if (list_buildpacks(d, names, &n) == -1)
			return -1;
		if (n > 1)
			return detect_first(d, names, n);
		if (n == 0)
			return none_accepts(d);
	} else {
		if (!buildpack_name_valid(pinned))
			return deploy_fail(d, "BUILDPACK '%.60s' is not a valid"
			    " buildpack name", pinned);
		if (!installed(d, pinned))
			return deploy_fail(d, "pinned buildpack '%s' is not in %s",
			    pinned, d->conf->buildpacks_dir);
		snprintf(names[0], sizeof(names[0]), "%s", pinned);
	}
	if (pathf(dir, sizeof(dir), "%s/%s", d->conf->buildpacks_dir,
	    names[0]) == -1)
		return deploy_fail(d, "buildpack path too long");
	cap = (struct capture){ out, 0, sizeof(out), 0 };
	out[0] = '\0';
	if (run_step(d, dir, "detect", 60, capture_line, &cap, &res) == -1)
		return -1;
	if (res.exited && res.exit_code == 0)
		return detected(d, names[0], dir, out, pinned != NULL);
	if (pinned != NULL)
		return deploy_fail(d, "pinned buildpack '%s' does not"
		    " accept this app", pinned);
	return none_accepts(d);
}

/* 1 when the filesystem of path has less than 1 MiB left. */
static int
disk_full(const char *path)
{
	struct statvfs sv;

	return statvfs(path, &sv) == 0 &&
	    (unsigned long long)sv.f_bavail * sv.f_frsize < (1ULL << 20);
}

/* ENV_DIR goes as soon as bin/compile is over: as root it was an empty
 * mount point (the files were on the step's own tmpfs); else the files
 * are on disk and go now. */
static int
remove_env_dir(struct deploy *d)
{
	if (rmdir(d->env_dir) == 0)
		return 0;
	if (errno == ENOTEMPTY || errno == EEXIST) {
		if (d->build_ident.drop)
			log_info("deploy %lld: the config vars for bin/compile were"
			    " on disk (no private mount here); removing them",
			    (long long)d->deploy_id);
		if (rmtree(d->env_dir) == 0)
			return 0;
	}
	return deploy_fail(d, "cannot remove '%s': %s", d->env_dir,
	    strerror(errno));
}

int
build_compile(struct deploy *d)
{
	struct spawn_result res;
	char how[64];
	int rc;

	deploy_say(d, "-----> Building with '%s' (timeout %d s)", d->buildpack,
	    d->conf->build_timeout);
	if (mkdir(d->env_dir, 0700) == -1)
		return deploy_fail(d, "cannot create '%s': %s", d->env_dir,
		    strerror(errno));
	rc = run_step(d, d->buildpack_dir, "compile", d->conf->build_timeout,
	    stream_line, d, &res);
	if (remove_env_dir(d) == -1 || rc == -1)
		return -1;
	if (res.timed_out)
		return deploy_fail(d, "build timed out after %d s",
		    d->conf->build_timeout);
	if (!res.exited || res.exit_code != 0) {
		spawn_describe(&res, how, sizeof(how));
		if (disk_full(d->build_dir))
			return deploy_fail(d, "build failed (%s): the disk that holds"
			    " %s is full", how, d->conf->data_dir);
		return reason_build_failed(d, &res);
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

/* bin/release, before the seal (it may read the tree, as the build's uid);
 * its output is only kept here and read by build_describe. */
int
build_release(struct deploy *d)
{
	struct capture cap = { NULL, 0, RELEASE_OUT_MAX, 0 };
	struct spawn_result res;

	if ((cap.buf = malloc(RELEASE_OUT_MAX)) == NULL)
		return deploy_fail(d, "out of memory");
	cap.buf[0] = '\0';
	d->release_out = cap.buf;
	if (run_step(d, d->buildpack_dir, "release", 60, capture_line, &cap,
	    &res) == -1)
		return -1;
	if (!res.exited || res.exit_code != 0 || cap.overflow)
		return deploy_fail(d, "buildpack's bin/release failed");
	d->release_len = cap.len;
	return 0;
}

/* After the seal: the process types from bin/release's output, then the
 * Procfile of the sealed tree over them. */
int
build_describe(struct deploy *d)
{
	char procfile[RELEASE_OUT_MAX], procs[STORE_PROCS_MAX], err[256];
	int rc;

	/* the Procfile's errors first: they name its line (a buildpack's
	 * bin/release may have read the same bad line) */
	if ((rc = read_procfile(d, procfile, sizeof(procfile))) == -1)
		return deploy_fail(d, "cannot read the Procfile (too large?)");
	if (rc == 1 && procfile_parse(procfile, procs, sizeof(procs), err,
	    sizeof(err)) == -1)
		return deploy_fail(d, "%s", err);
	if (release_yaml_parse(d->release_out, d->release_len,
	    d->rel.process_types, sizeof(d->rel.process_types),
	    d->rel.static_root, sizeof(d->rel.static_root), err,
	    sizeof(err)) == -1)
		return deploy_fail(d, "%s", err);
	if (rc == 1)
		memcpy(d->rel.process_types, procs, sizeof(procs));
	return 0;
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
