/*
 * oneoff.c - a one-off process of an app (see oneoff.h): its environment
 * and release dir, run to the end under a keeper (core/spawn.h), or
 * started attached to pipes or a pseudo-terminal.  The list that `ps`
 * reads is in oneoff_list.c.
 *
 * The environment is the one the supervisor gives the app's processes
 * (run/berth_shim.c): PATH, HOME (the release dir), LANG, STACK, DYNO,
 * APP_NAME, then the app's config vars over them (DYNO excepted).
 */
#include "run/oneoff.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utmp.h>

#include "core/clock.h"
#include "core/datadir.h"
#include "core/ident.h"
#include "core/names.h"
#include "core/path.h"
#include "core/vars.h"
#include "run/oneoff_int.h"

#define STOP_GRACE_MS 3000

struct env {
	char *v[ONEOFF_ENV_MAX + 1];
	size_t n;
};

static int env_make(const struct oneoff *o, const char *dir,
    const char *term, struct env *e, char *err, size_t errlen);
static void env_free(struct env *e);

int
oneoff_release_dir(const struct oneoff *o, char *out, size_t len, char *err,
    size_t errlen)
{
	char why[128];

	if (name_app_valid(o->app->name, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s", why); /* it becomes a path */
		return -1;
	}
	if (o->version <= 0) {
		snprintf(err, errlen, "app '%s' has not been deployed yet",
		    o->app->name);
		return -1;
	}
	if (datadir_release(o->conf->data_dir, o->app->name, o->version, out,
	    len) == -1) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	return 0;
}

int
oneoff_run(const struct oneoff *o, int timeout_s,
    void (*on_line)(void *ctx, const char *line), void *ctx,
    struct spawn_result *res, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct ident id;
	struct spawn_opts so;
	struct env e;
	int rc;

	if (oneoff_release_dir(o, dir, sizeof(dir), err, errlen) == -1 ||
	    env_make(o, dir, NULL, &e, err, errlen) == -1)
		return -1;
	ident_of_app(o->conf, o->app->id, &id);
	so = (struct spawn_opts){ .argv = o->argv, .envp = e.v, .cwd = dir,
	    .timeout_s = timeout_s, .on_line = on_line, .ctx = ctx,
	    .ident = &id, .reap_all = 1, .keep_uid = 1, .path_search = 1 };
	rc = spawn_run(&so, res, err, errlen);
	env_free(&e);
	return rc;
}

static int
env_add(struct env *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
env_add(struct env *e, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (e->n == ONEOFF_ENV_MAX)
		return -1;
	va_start(ap, fmt);
	rc = vasprintf(&e->v[e->n], fmt, ap);
	va_end(ap);
	if (rc == -1)
		return -1;
	e->v[++e->n] = NULL;
	return 0;
}

/* The index of NAME=... in e, or -1. */
static int
env_find(const struct env *e, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->v[i], name, len) == 0 && e->v[i][len] == '=')
			return (int)i;
	return -1;
}

static int
env_make(const struct oneoff *o, const char *dir, const char *term,
    struct env *e, char *err, size_t errlen)
{
	struct vars vs;
	int bad = 0, at;

	e->n = 0;
	e->v[0] = NULL;
	if (vars_load(o->conf, o->st, o->app, &vs, err, errlen) == -1)
		return -1;
	bad |= env_add(e, "PATH=/usr/local/bin:/usr/bin:/bin");
	bad |= env_add(e, "HOME=%s", dir);
	bad |= env_add(e, "LANG=C.UTF-8");
	bad |= env_add(e, "STACK=berth-1");
	bad |= env_add(e, "DYNO=%s", o->dyno);
	bad |= env_add(e, "APP_NAME=%s", o->app->name);
	if (term != NULL)
		bad |= env_add(e, "TERM=%s", term);
	for (size_t i = 0; i < vs.n && !bad; i++) {
		if (strcmp(vs.v[i].name, "DYNO") == 0)
			continue;
		if ((at = env_find(e, vs.v[i].name)) >= 0) {
			free(e->v[at]);
			e->v[at] = e->v[--e->n]; /* order does not matter */
			e->v[e->n] = NULL;
		}
		bad |= env_add(e, "%s=%s", vs.v[i].name, vs.v[i].value);
	}
	vars_free(&vs);
	if (bad) {
		env_free(e);
		snprintf(err, errlen, "out of memory (or more than %d variables)",
		    ONEOFF_ENV_MAX);
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

/* The caller's ends (in, out, err) and the child's (cin, cout, cerr). */
struct ends {
	int in, out, err, cin, cout, cerr;
	char slave[64];
};

static void
ends_close(struct ends *x)
{
	int *all[] = { &x->in, &x->out, &x->err, &x->cin, &x->cout, &x->cerr };

	if (x->out == x->in)
		x->out = -1; /* the terminal's master, once */
	for (size_t i = 0; i < 6; i++) {
		if (*all[i] >= 0)
			close(*all[i]);
		*all[i] = -1;
	}
}

/* A pseudo-terminal of size ws: the master for the caller, the slave's
 * name for the child; or three pipes. */
static int
ends_open(struct ends *x, const struct winsize *ws, char *err, size_t errlen)
{
	int p[3][2];

	memset(x, -1, offsetof(struct ends, slave));
	x->slave[0] = '\0';
	if (ws != NULL) {
		if ((x->in = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
		    grantpt(x->in) == -1 || unlockpt(x->in) == -1 ||
		    ptsname_r(x->in, x->slave, sizeof(x->slave)) != 0 ||
		    ioctl(x->in, TIOCSWINSZ, ws) == -1) {
			snprintf(err, errlen, "cannot open a terminal: %s",
			    strerror(errno));
			ends_close(x);
			return -1;
		}
		x->out = x->in;
		return 0;
	}
	for (int i = 0; i < 3; i++)
		if (pipe2(p[i], O_CLOEXEC) == -1) {
			snprintf(err, errlen, "pipe: %s", strerror(errno));
			while (i-- > 0) {
				close(p[i][0]);
				close(p[i][1]);
			}
			return -1;
		}
	x->cin = p[0][0], x->in = p[0][1];
	x->out = p[1][0], x->cout = p[1][1];
	x->err = p[2][0], x->cerr = p[2][1];
	return 0;
}

/* In the child: its session, its stdio, the app's uid, the release. */
static void
child_exec(const struct oneoff *o, struct ends *x, const char *dir,
    struct env *e)
{
	struct ident id;
	pid_t parent = getppid();
	int fd;

	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	umask(022);
	if (x->slave[0] != '\0') {
		/* login_tty: a new session with the slave as its terminal */
		if ((fd = open(x->slave, O_RDWR)) == -1 || login_tty(fd) == -1)
			_exit(126);
	} else if (setsid() == -1 || dup2(x->cin, 0) == -1 ||
	    dup2(x->cout, 1) == -1 || dup2(x->cerr, 2) == -1) {
		_exit(126);
	}
	if (spawn_close_fds() == -1)
		_exit(126);
	ident_of_app(o->conf, o->app->id, &id);
	if (ident_drop(&id) == -1) {
		dprintf(2, "berth: cannot become uid %lu: %s\n",
		    (unsigned long)id.uid, strerror(errno));
		_exit(126);
	}
	/* the caller gone for good (killed): so is the one-off */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1 ||
	    getppid() != parent)
		_exit(126);
	if (chdir(dir) == -1) {
		dprintf(2, "berth: cannot enter the release: %s\n",
		    strerror(errno));
		_exit(126);
	}
	execvpe(o->argv[0], o->argv, e->v);
	dprintf(2, "berth: cannot run '%s': %s\n", o->argv[0], strerror(errno));
	_exit(127);
}

int
oneoff_start(const struct oneoff *o, const struct winsize *ws,
    const char *term, struct oneoff_proc *p, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct ends x;
	struct env e;

	memset(p, 0, sizeof(*p));
	p->pid = -1;
	if (oneoff_release_dir(o, dir, sizeof(dir), err, errlen) == -1 ||
	    env_make(o, dir, term, &e, err, errlen) == -1)
		return -1;
	if (ends_open(&x, ws, err, errlen) == -1) {
		env_free(&e);
		return -1;
	}
	if ((p->pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		ends_close(&x);
		env_free(&e);
		return -1;
	}
	if (p->pid == 0)
		child_exec(o, &x, dir, &e);
	env_free(&e);
	p->in = x.in, p->out = x.out, p->err = x.err;
	if (x.cin >= 0)
		close(x.cin), close(x.cout), close(x.cerr);
	oneoff_list_add(o, p);
	return 0;
}

/* Wait for pid until deadline (ms, 0: for ever); 1 with *status. */
static int
wait_until(pid_t pid, long long deadline, int *status)
{
	pid_t w;

	for (;;) {
		w = waitpid(pid, status, deadline ? WNOHANG : 0);
		if (w == pid)
			return 1;
		if (w == -1 && errno != EINTR)
			return 0;
		if (deadline && clock_ms() >= deadline)
			return 0;
		if (deadline)
			usleep(20000);
	}
}

int
oneoff_finish(struct oneoff_proc *p, int stop)
{
	int status = 0, done = 0;

	if (p->pid > 0 && stop) {
		(void)kill(-p->pid, SIGHUP);
		(void)kill(-p->pid, SIGTERM);
		done = wait_until(p->pid, clock_ms() + STOP_GRACE_MS, &status);
	}
	if (p->pid > 0) {
		if (!done && stop)
			(void)kill(-p->pid, SIGKILL);
		if (!done && !wait_until(p->pid, 0, &status))
			status = SIGKILL;
		(void)kill(-p->pid, SIGKILL); /* what it left in its group */
	}
	if (p->in >= 0)
		close(p->in);
	if (p->out >= 0 && p->out != p->in)
		close(p->out);
	if (p->err >= 0)
		close(p->err);
	p->in = p->out = p->err = -1;
	oneoff_list_remove(p);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
