/*
 * export_runtime.c - the image's runtime layer: the host programs that the
 * release's process commands name, as the host has them, so that the
 * release runs unchanged in the image.  For each command's argv[0]:
 *   - a name without '/' is looked up in the apps' PATH on the host;
 *   - a path in the release that is a link leading out of it (a python
 *     virtualenv's .venv/bin/python -> /usr/bin/python3) is followed;
 *   - a program of the release itself needs nothing here, but a script's
 *     interpreter does ("#!/bin/sh", "#!/usr/bin/env node"), and so does
 *     a host script's.
 * The program must be a system one (public_program): the app chooses it.
 * Each host path is taken with every link on its way (/lib64/ld-linux...,
 * /usr/bin/python3 -> python3.11), plus the shared libraries ldd names
 * for it (ldd runs only on the host's own programs, never on the app's),
 * plus, for a python3.N, its standard library PREFIX/lib/python3.N.  The
 * same host gives the same layer, so a new release shares it.
 */
#include "export/export_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/path.h"
#include "core/spawn.h"

#define RT_PATH "/usr/local/bin:/usr/bin:/bin"
#define RT_LINKS_MAX 40
#define RT_PATHS_MAX 20000
#define RT_ELF_MAX 512

struct pathset {
	char **v;
	size_t n, cap;
	char *elf[RT_ELF_MAX];   /* host files to ask ldd about */
	size_t nelf;
	char tree[PATH_MAX];     /* a directory taken whole, or "" */
	char *err;
	size_t errlen;
	int failed;
};

static int
set_add(struct pathset *s, const char *path)
{
	if (s->n == s->cap) {
		char **nv;
		s->cap = s->cap ? s->cap * 2 : 64;
		if (s->cap > RT_PATHS_MAX ||
		    (nv = realloc(s->v, s->cap * sizeof(*nv))) == NULL) {
			snprintf(s->err, s->errlen, "runtime: too many files");
			return -1;
		}
		s->v = nv;
	}
	if ((s->v[s->n] = strdup(path)) == NULL) {
		snprintf(s->err, s->errlen, "out of memory");
		return -1;
	}
	s->n++;
	return 0;
}

/* Take absolute path and every component on the way, following the links
 * met (each link is taken too). */
static int
add_chain(struct pathset *s, const char *path, int depth)
{
	char cur[PATH_MAX] = "", next[PATH_MAX], t[PATH_MAX];
	const char *p = path;
	struct stat st;
	ssize_t n;

	if (depth > RT_LINKS_MAX || path[0] != '/') {
		snprintf(s->err, s->errlen, "runtime: cannot follow '%s'", path);
		return -1;
	}
	while (*p) {
		size_t len;
		while (*p == '/')
			p++;
		if ((len = strcspn(p, "/")) == 0)
			break;
		if (len == 1 && p[0] == '.') {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			char *sl = strrchr(cur, '/');
			if (sl != NULL)
				*sl = '\0';
			p += len;
			continue;
		}
		if (pathf(next, sizeof(next), "%s/%.*s", cur, (int)len, p) == -1 ||
		    lstat(next, &st) == -1) {
			snprintf(s->err, s->errlen, "runtime: '%s': %s", next,
			    strerror(errno));
			return -1;
		}
		p += len;
		if (set_add(s, next) == -1)
			return -1;
		if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(next, t, sizeof(t) - 1)) < 0) {
				snprintf(s->err, s->errlen, "runtime: '%s': %s",
				    next, strerror(errno));
				return -1;
			}
			t[n] = '\0';
			if (pathf(next, sizeof(next), "%s%s%s%s", t[0] == '/' ?
			    "" : cur, t[0] == '/' ? "" : "/", t, p) == -1) {
				snprintf(s->err, s->errlen, "runtime: path too long");
				return -1;
			}
			return add_chain(s, next, depth + 1);
		}
		memcpy(cur, next, sizeof(cur));
	}
	return 0;
}

/* ldd's lines: "\tlibc.so.6 => /lib/.../libc.so.6 (0x...)" and
 * "\t/lib64/ld-linux-x86-64.so.2 (0x...)"; others are not paths. */
static void
ldd_line(void *ctx, const char *line)
{
	struct pathset *s = ctx;
	const char *p = strstr(line, "=> ");
	char path[PATH_MAX];

	if (line[0] != '\t' || s->failed)
		return;
	p = p ? p + 3 : line + 1;
	if (p[0] != '/' || snprintf(path, sizeof(path), "%.*s",
	    (int)strcspn(p, " "), p) >= (int)sizeof(path))
		return;
	if (add_chain(s, path, 0) == -1)
		s->failed = 1;
}

static int
run_ldd(struct pathset *s)
{
	char *argv[RT_ELF_MAX + 2];
	char *envp[] = { "PATH=" RT_PATH, "LC_ALL=C", NULL };
	struct spawn_opts so = { 0 };
	struct spawn_result res;

	if (s->nelf == 0)
		return 0;
	argv[0] = "/usr/bin/ldd";
	memcpy(argv + 1, s->elf, s->nelf * sizeof(char *));
	argv[s->nelf + 1] = NULL;
	so.argv = argv;
	so.envp = envp;
	so.timeout_s = 60;
	so.on_line = ldd_line;
	so.ctx = s;
	/* a static program makes ldd exit 1; its output is what counts */
	if (spawn_run(&so, &res, s->err, s->errlen) == -1)
		return -1;
	return s->failed ? -1 : 0;
}

static int
is_elf(const char *path)
{
	unsigned char m[4];
	FILE *f = fopen(path, "rb");
	int yes;

	if (f == NULL)
		return 0;
	yes = fread(m, 1, 4, f) == 4 && memcmp(m, "\177ELF", 4) == 0;
	fclose(f);
	return yes;
}

static int
add_elf(struct pathset *s, const char *path)
{
	if (s->nelf == RT_ELF_MAX || !is_elf(path))
		return 0;
	if ((s->elf[s->nelf] = strdup(path)) == NULL) {
		snprintf(s->err, s->errlen, "out of memory");
		return -1;
	}
	s->nelf++;
	return 0;
}

static int
add_elf_cb(void *s, const char *path)
{
	return add_elf(s, path);
}

/* python3.N's standard library (PREFIX/lib/python3.N for a
 * PREFIX/bin/python3.N), and its extension modules for ldd. */
static int
add_python(struct pathset *s, const char *real)
{
	const char *base = strrchr(real, '/') + 1;
	char prefix[PATH_MAX], dyn[PATH_MAX], *sl;

	if (strncmp(base, "python3.", 8) != 0 || base[8] == '\0' ||
	    strspn(base + 8, "0123456789") != strlen(base + 8))
		return 0;
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(base - real - 1), real);
	if ((sl = strrchr(prefix, '/')) == NULL)
		return 0;
	*sl = '\0'; /* PREFIX/bin -> PREFIX */
	if (pathf(s->tree, sizeof(s->tree), "%s/lib/%s", prefix, base) == -1 ||
	    access(s->tree, R_OK | X_OK) == -1) {
		s->tree[0] = '\0';
		return 0;
	}
	if (add_chain(s, s->tree, 0) == -1 ||
	    pathf(dyn, sizeof(dyn), "%s/lib-dynload", s->tree) == -1)
		return -1;
	return export_each_file(dyn, add_elf_cb, s);
}

/* argv[0] of a command: the host program it runs, or "" (the release's
 * own).  0 or -1 with err. */
static int
host_program(const char *reldir, const char *cmd, char *out, size_t len,
    char *err, size_t errlen)
{
	char argv0[PATH_MAX], cur[PATH_MAX], t[PATH_MAX];
	struct stat st;
	ssize_t n;

	out[0] = '\0';
	snprintf(argv0, sizeof(argv0), "%.*s", (int)strcspn(cmd, " \t"), cmd);
	if (strchr(argv0, '/') == NULL) {
		for (const char *d = RT_PATH; *d; d += strcspn(d, ":") +
		    (d[strcspn(d, ":")] == ':')) {
			if (pathf(cur, sizeof(cur), "%.*s/%s",
			    (int)strcspn(d, ":"), d, argv0) == 0 &&
			    access(cur, X_OK) == 0)
				return pathf(out, len, "%s", cur);
		}
		snprintf(err, errlen, "runtime: '%s' is not on the host's PATH"
		    " (%s)", argv0, RT_PATH);
		return -1;
	}
	if (argv0[0] == '/')
		return pathf(out, len, "%s", argv0);
	if (pathf(cur, sizeof(cur), "%s/%s", reldir, argv0) == -1)
		return -1;
	for (int i = 0; i < RT_LINKS_MAX; i++) {
		if (lstat(cur, &st) == -1 || !S_ISLNK(st.st_mode))
			return 0; /* the release's own (or missing) */
		if ((n = readlink(cur, t, sizeof(t) - 1)) < 0)
			return 0;
		t[n] = '\0';
		if (t[0] == '/')
			return pathf(out, len, "%s", t);
		if (strstr(t, "..") != NULL)
			return 0; /* stays the release's business */
		*strrchr(cur, '/') = '\0';
		if (pathf(cur + strlen(cur), sizeof(cur) - strlen(cur), "/%s",
		    t) == -1)
			return -1;
	}
	return 0;
}

/* The app names the program: only a system program may enter the image,
 * one any user of the host can read and run anyway (so an app cannot
 * have a file of the host's that it may not read exported). */
static int
public_program(const char *real, char *err, size_t errlen)
{
	static const char *const dirs[] = { "/usr/", "/bin/", "/sbin/",
	    "/lib/", "/lib64/", "/opt/" };
	struct stat st;
	int under = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		under |= strncmp(real, dirs[i], strlen(dirs[i])) == 0;
	if (!under || stat(real, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_IROTH | S_IXOTH)) != (S_IROTH | S_IXOTH)) {
		snprintf(err, errlen, "runtime: '%s' is not a system program"
		    " (a file under /usr, /bin, /sbin or /opt that anyone may"
		    " read and run)", real);
		return -1;
	}
	return 0;
}

static int
by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
set_free(struct pathset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	for (size_t i = 0; i < s->nelf; i++)
		free(s->elf[i]);
}

/* A script's interpreter, into out ("" when f is no script):
 * "#!/bin/sh -e" -> /bin/sh, "#!/usr/bin/env node" -> node on the PATH. */
static int
interpreter(int fd, char *out, size_t len, char *err, size_t errlen)
{
	char line[256], first[PATH_MAX], second[PATH_MAX];
	ssize_t n = read(fd, line, sizeof(line) - 1);
	int k;

	out[0] = '\0';
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	k = sscanf(line + 2, " %4095s %4095s", first, second);
	if (k < 1 || first[0] != '/')
		return 0;
	if (k == 2 && strcmp(first, "/usr/bin/env") == 0)
		return host_program("", second, out, len, err, errlen);
	return pathf(out, len, "%s", first);
}

/* A host program and what it needs, into s.  0 or -1 with err. */
static int
add_program(struct pathset *s, const char *prog, int depth)
{
	char real[PATH_MAX], interp[PATH_MAX];
	int fd, rc;

	if (realpath(prog, real) == NULL) {
		snprintf(s->err, s->errlen, "runtime: '%s': %s", prog,
		    strerror(errno));
		return -1;
	}
	if (public_program(real, s->err, s->errlen) == -1 ||
	    add_chain(s, prog, 0) == -1 || add_elf(s, real) == -1 ||
	    add_python(s, real) == -1)
		return -1;
	if (depth > 0 || (fd = open(real, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	rc = interpreter(fd, interp, sizeof(interp), s->err, s->errlen);
	close(fd);
	if (rc == -1 || interp[0] == '\0')
		return rc;
	return add_program(s, interp, depth + 1);
}

/* The interpreter of a script of the release's own (argv0 a path in it,
 * opened beneath it: no link and no ".." leads out), into out or "". */
static int
release_interpreter(const char *reldir, const char *cmd, char *out,
    size_t len, char *err, size_t errlen)
{
	char argv0[PATH_MAX];
	int dfd, fd, rc;

	out[0] = '\0';
	snprintf(argv0, sizeof(argv0), "%.*s", (int)strcspn(cmd, " \t"), cmd);
	if (argv0[0] == '/' || strchr(argv0, '/') == NULL ||
	    (dfd = open(reldir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	fd = path_open_beneath(dfd, argv0, O_RDONLY, 0);
	close(dfd);
	if (fd == -1)
		return 0;
	rc = interpreter(fd, out, len, err, errlen);
	close(fd);
	return rc;
}

/* Everything the commands need, in s.  0 or -1 with err. */
static int
collect(const struct export_release *r, struct pathset *s)
{
	char prog[PATH_MAX];

	for (const char *p = r->procs; *p; p = strchr(p, '\n') + 1) {
		const char *cmd = strchr(p, ':') + 2;
		if (host_program(r->dir, cmd, prog, sizeof(prog), s->err,
		    s->errlen) == -1)
			return -1;
		if (prog[0] == '\0' && release_interpreter(r->dir, cmd, prog,
		    sizeof(prog), s->err, s->errlen) == -1)
			return -1;
		if (prog[0] != '\0' && add_program(s, prog, 0) == -1)
			return -1;
	}
	return run_ldd(s);
}

int
export_runtime_layer(const char *layout, const struct export_release *r,
    struct oci_desc *d, char *err, size_t errlen)
{
	struct pathset s = { .err = err, .errlen = errlen };
	struct oci_layer *l;
	int rc = -1;

	if (collect(r, &s) == -1 || (l = oci_layer_begin(layout, err,
	    errlen)) == NULL) {
		set_free(&s);
		return -1;
	}
	if (s.n > 0)
		qsort(s.v, s.n, sizeof(*s.v), by_str);
	for (size_t i = 0; i < s.n; i++) {
		if (i > 0 && strcmp(s.v[i], s.v[i - 1]) == 0)
			continue;
		if (oci_tree_add_one(l, s.v[i], s.v[i] + 1, err, errlen) == -1)
			goto out;
	}
	if (s.tree[0] != '\0' && oci_tree_add(l, s.tree, s.tree + 1,
	    OCI_TREE_FIXDIRS | OCI_TREE_PUBLIC, 0, err, errlen) == -1)
		goto out;
	rc = oci_layer_end(l, d, err, errlen);
	l = NULL;
out:
	if (l != NULL)
		oci_layer_abort(l);
	set_free(&s);
	return rc;
}
