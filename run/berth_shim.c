/*
 * berth_shim.c - berth-shim's main: the supervisor of one process
 * instance (see berth_shim.h for its command line and files).
 *
 * Loop: fork the app in its own process group (as the app's uid when run
 * as root, core/ident.h) in its release dir, with its output on a pipe
 * copied line by line to its log; a web process's relay (run/relay.h)
 * health-checks it and joins the app's upstream port.  When the app exits
 * by itself, start it again (at once after a run of BSHIM_FAST_SECONDS
 * or more, else after 1, 2, 4 ... 60 s), unless it crashed
 * fast BSHIM_FAST_CRASHES times in a row (state crashed, the shim exits).
 * SIGTERM: the relay retires (its connections go to the newest relay),
 * then the app gets SIGTERM (SIGKILL after BSHIM_STOP_TIMEOUT s), state
 * stopped.  The shim is a child subreaper: whatever the app leaves
 * behind comes to it and is killed when the app exits.
 *
 * One event loop (poll) serves the app's output, signals (a signalfd)
 * and the relay's epoll set.  What the command line carries becomes paths
 * and an argv, so it is checked again here, whoever wrote it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/ident.h"
#include "core/names.h"
#include "core/num.h"
#include "core/path.h"
#include "core/procinfo.h"
#include "run/berth_shim.h"
#include "run/relay.h"

struct shim {
	const char *data_dir, *id, *app, *type, *idx;
	int release, port;
	char release_dir[PATH_MAX];
	char **args;              /* berth-shim's own argv */
	char **argv;              /* the app's command */
	char *envbuf, *env[BSHIM_ENV_MAX + 1];
	struct ident ident;
	struct bshim_log log;
	struct relay *relay;      /* web processes only */
	int sfd;                  /* signalfd: TERM, INT, CHLD */
	int ready_fd;
	int term;                 /* SIGTERM came */
	long long term_at;        /* the app was sent SIGTERM (s) */
	int restarts;
	pid_t pid;                /* the app, 0 when not running */
	int status;               /* its wait status once it exited */
	int out_fd;               /* its output */
	char line[4097];
	size_t llen;
	int last_status;
};

static int
digits(const char *s)
{
	if (*s == '\0' || strlen(s) > 18)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int
type_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 63)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		    (*t >= '0' && *t <= '9') || *t == '_' || *t == '-'))
			return 0;
	return 1;
}

/* A health path as an HTTP request line can carry it. */
static int
health_valid(const char *p)
{
	return p[0] == '/' && strlen(p) <= RELAY_HEALTH_MAX &&
	    strpbrk(p, "@#\\ \t\r\n") == NULL;
}

static void
usage(void)
{
	dprintf(2, "usage: berth-shim shim DATA_DIR ID APP TYPE IDX RELEASE"
	    " UID NPROC PORT UPSTREAM INSTANCES GRACE_MS HEALTH READY_FD --"
	    " COMMAND [ARG...]\n");
	exit(2);
}

/* The relay's options from the command line. */
static int
relay_args(struct shim *s, char **a, struct relay_opts *o)
{
	long long up, instances, grace;

	memset(o, 0, sizeof(*o));
	if (num_parse(a[11], 1, 65535, &up) == -1 ||
	    num_parse(a[12], 0, INT_MAX, &instances) == -1 ||
	    num_parse(a[13], 0, INT_MAX, &grace) == -1 || s->port > 65535 ||
	    !health_valid(a[14]))
		return -1;
	o->upstream.sin_family = AF_INET;
	o->upstream.sin_port = htons((uint16_t)up);
	o->upstream.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	o->app_port = s->port;
	o->instances = (int)instances;
	o->grace_ms = (int)grace;
	snprintf(o->health, sizeof(o->health), "%s", a[14]);
	snprintf(o->self, sizeof(o->self), "%s/handoff", s->id);
	o->run_fd = -1;
	return 0;
}

/* Read the app's environment from descriptor 3. */
static int
read_env(struct shim *s)
{
	size_t len = 0, n = 0;
	ssize_t k;

	if ((s->envbuf = malloc(BSHIM_ENV_BYTES + 1)) == NULL)
		return -1;
	while (len < BSHIM_ENV_BYTES && (k = read(3, s->envbuf + len,
	    BSHIM_ENV_BYTES - len)) != 0) {
		if (k == -1 && errno != EINTR)
			return -1;
		if (k > 0)
			len += (size_t)k;
	}
	close(3);
	s->envbuf[len] = '\0';
	for (size_t at = 0; at < len && n < BSHIM_ENV_MAX;
	    at += strlen(s->envbuf + at) + 1)
		if (strchr(s->envbuf + at, '=') != NULL)
			s->env[n++] = s->envbuf + at;
	s->env[n] = NULL;
	return 0;
}

static int
parse(struct shim *s, int argc, char **argv)
{
	long long release, uid, nproc, port, ready = -1;

	if (argc < 18 || strcmp(argv[1], "shim") != 0 ||
	    strcmp(argv[16], "--") != 0)
		usage();
	s->data_dir = argv[2];
	s->id = argv[3];
	s->app = argv[4];
	s->type = argv[5];
	s->idx = argv[6];
	if (!digits(s->id) || name_app_valid(s->app, NULL, 0) == -1 ||
	    !type_valid(s->type) || !digits(s->idx) || !digits(argv[7]) ||
	    !digits(argv[8]) || !digits(argv[9]) || !digits(argv[10]) ||
	    s->data_dir[0] != '/')
		usage();
	if (num_parse(argv[7], 0, INT_MAX, &release) == -1 ||
	    num_parse(argv[8], 0, UINT32_MAX, &uid) == -1 ||
	    num_parse(argv[9], 0, LONG_MAX, &nproc) == -1 ||
	    num_parse(argv[10], 0, 65535, &port) == -1 ||
	    (strcmp(argv[15], "-") != 0 &&
	    num_parse(argv[15], 0, INT_MAX, &ready) == -1))
		usage();
	s->release = (int)release;
	s->port = (int)port;
	ident_of_uid((uid_t)uid, (unsigned long)nproc, &s->ident);
	s->ready_fd = (int)ready;
	s->args = argv;
	s->argv = argv + 17;
	if (pathf(s->release_dir, sizeof(s->release_dir), "%s/apps/%s/releases/%d",
	    s->data_dir, s->app, s->release) == -1)
		usage();
	return 0;
}

/* In the forked child: become the app and exec it; never returns. */
static void
exec_app(struct shim *s, int out)
{
	sigset_t none;

	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	umask(022);
	/* nothing of the shim's (its run dir, the relay) reaches the app */
	if (dup2(out, 1) == -1 || dup2(out, 2) == -1 ||
	    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		_exit(126);
	if (chdir(s->release_dir) == -1) {
		dprintf(2, "berth: cannot enter %s: %s\n", s->release_dir,
		    strerror(errno));
		_exit(126);
	}
	if (ident_drop(&s->ident) == -1) {
		dprintf(2, "berth: cannot become uid %lu: %s\n",
		    (unsigned long)s->ident.uid, strerror(errno));
		_exit(126);
	}
	if (access(".", R_OK | X_OK) == -1) {
		dprintf(2, "berth: the app runs as uid %lu, who cannot read %s:"
		    " %s (put data_dir under /var/lib/berth or chmod o+x its"
		    " parents)\n", (unsigned long)s->ident.uid, s->release_dir,
		    strerror(errno));
		_exit(126);
	}
	execvpe(s->argv[0], s->argv, s->env);
	dprintf(2, "berth: cannot run '%s': %s\n", s->argv[0], strerror(errno));
	_exit(127);
}

static int
start_app(struct shim *s)
{
	char msg[600];
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	snprintf(msg, sizeof(msg), "berth: starting %s of v%d%s%.0d: %.400s",
	    s->log.prefix, s->release, s->port ? " on port " : "", s->port,
	    s->argv[0]);
	bshim_line(&s->log, msg);
	if ((s->pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		s->pid = 0;
		return -1;
	}
	if (s->pid == 0)
		exec_app(s, fds[1]);
	close(fds[1]);
	(void)fcntl(fds[0], F_SETFL, O_NONBLOCK);
	s->out_fd = fds[0];
	s->llen = 0;
	bshim_putf(&s->log, "pid", s->pid);
	bshim_putf(&s->log, "started", (long long)time(NULL));
	bshim_putf(&s->log, "restarts", s->restarts);
	bshim_put(&s->log, "state", "running");
	if (s->relay != NULL)
		relay_app_started(s->relay);
	return 0;
}

/* Copy what the app wrote to the log, line by line. */
static void
copy_output(struct shim *s)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(s->out_fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || s->llen == sizeof(s->line) - 1) {
				s->line[s->llen] = '\0';
				bshim_line(&s->log, s->line);
				s->llen = 0;
				if (buf[i] == '\n')
					continue;
			}
			s->line[s->llen++] = buf[i];
		}
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		if (s->llen > 0) {
			s->line[s->llen] = '\0';
			bshim_line(&s->log, s->line);
			s->llen = 0;
		}
		close(s->out_fd);
		s->out_fd = -1;
	}
}

/* Reap what has exited: the app, or an orphan that came to us. */
static void
reap(struct shim *s)
{
	int st;
	pid_t w;

	while ((w = waitpid(-1, &st, WNOHANG)) > 0)
		if (w == s->pid) {
			s->status = st;
			s->pid = 0;
		}
}

static void
tell_ready(struct shim *s, const char *what)
{
	if (s->ready_fd < 0)
		return;
	if (write(s->ready_fd, what, strlen(what)) == -1) {
		/* berth gave up waiting: nothing to tell */
	}
	close(s->ready_fd);
	s->ready_fd = -1;
}

static void
on_signals(struct shim *s)
{
	struct signalfd_siginfo si;

	while (read(s->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(s);
		else if (!s->term) {
			s->term = 1;
			if (s->relay != NULL) {
				relay_retire(s->relay);
				bshim_put(&s->log, "state", "retiring");
			}
		}
	}
}

/* The relay's turn: joins, health results, retirement. */
static int
on_relay(struct shim *s)
{
	char msg[300];
	int rc;

	if ((rc = relay_step(s->relay)) == -1) {
		snprintf(msg, sizeof(msg), "berth: %s: %s", relay_error(s->relay),
		    strerror(errno));
		bshim_line(&s->log, msg);
		return -1;
	}
	if (rc == 1)
		tell_ready(s, "ready\n");
	if (relay_last_status(s->relay) != s->last_status) {
		s->last_status = relay_last_status(s->relay);
		bshim_putf(&s->log, "health", s->last_status);
	}
	return 0;
}

/* SIGTERM to the app once the relay has drained, SIGKILL later. */
static void
stop_app(struct shim *s)
{
	if (s->pid == 0 || !s->term)
		return;
	if (s->term_at == 0 && (s->relay == NULL || relay_drained(s->relay))) {
		s->term_at = (long long)time(NULL);
		(void)kill(-s->pid, SIGTERM);
	}
	if (s->term_at && time(NULL) - s->term_at >= BSHIM_STOP_TIMEOUT)
		(void)kill(-s->pid, SIGKILL);
}

/* Wait for and handle events for at most ms (-1: until one comes). */
static int
events(struct shim *s, int ms)
{
	struct pollfd pfd[3] = { { s->sfd, POLLIN, 0 },
	    { s->out_fd, POLLIN, 0 }, { -1, POLLIN, 0 } };
	int t;

	if (s->relay != NULL) {
		pfd[2].fd = relay_fd(s->relay);
		if ((t = relay_timeout(s->relay)) >= 0 && (ms < 0 || t < ms))
			ms = t;
	}
	if (s->term && (ms < 0 || ms > 200))
		ms = 200; /* the stop's own clock */
	if (poll(pfd, 3, ms) == -1 && errno != EINTR)
		return -1;
	if (pfd[0].revents & POLLIN)
		on_signals(s);
	if (s->out_fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP)))
		copy_output(s);
	if (s->relay != NULL && on_relay(s) == -1)
		return -1;
	stop_app(s);
	return 0;
}

/* Kill whatever the app left behind: its group, and every orphan that
 * came to the shim, until none is left or 3 s have passed. */
static void
end_leftovers(struct shim *s, pid_t app)
{
	(void)kill(-app, SIGKILL);
	for (int i = 0; i < 300; i++) {
		reap(s);
		if (waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD)
			return;
		if (procinfo_kill_children() == -1)
			return; /* the kernel lists no children */
		usleep(10000);
	}
}

/* Run the app once, until it exits (by itself, or stopped on SIGTERM). */
static int
run_once(struct shim *s)
{
	pid_t app;

	if (start_app(s) == -1)
		return -1;
	app = s->pid;
	while (s->pid != 0)
		if (events(s, -1) == -1)
			return -1;
	end_leftovers(s, app);
	while (s->out_fd >= 0)
		copy_output(s); /* what is left in the pipe */
	bshim_putf(&s->log, "pid", 0);
	return 0;
}

/* Wait ms, serving the relay and signals; ends early on SIGTERM. */
static int
pause_ms(struct shim *s, long long ms)
{
	struct timespec t0, t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long long left;
		(void)clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000LL +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (s->term || left <= 0)
			return 0;
		if (events(s, (int)left) == -1)
			return -1;
	}
}

/* The app exited by itself: 1 to start it again, 0 to give up. */
static int
after_exit(struct shim *s, time_t t0, int *fast)
{
	char msg[256];
	int st = s->status, delay;

	snprintf(msg, sizeof(msg), "berth: %s exited (%s %d) after %ld s",
	    s->log.prefix, WIFEXITED(st) ? "status" : "signal",
	    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
	    (long)(time(NULL) - t0));
	bshim_line(&s->log, msg);
	tell_ready(s, "exited\n");
	if (s->relay != NULL)
		relay_app_exited(s->relay);
	*fast = time(NULL) - t0 < BSHIM_FAST_SECONDS ? *fast + 1 : 0;
	if (*fast >= BSHIM_FAST_CRASHES) {
		bshim_line(&s->log, "berth: crashed too often; giving up"
		    " (ps:restart starts it again)");
		return 0;
	}
	s->restarts++;
	bshim_put(&s->log, "state", "backoff");
	/* after a long run at once (its requests wait in the relay's
	 * backlog), then 1, 2, 4 ... BSHIM_BACKOFF_MAX s */
	delay = *fast == 0 ? 0 : 1 << (*fast - 1);
	return pause_ms(s, (delay > BSHIM_BACKOFF_MAX ? BSHIM_BACKOFF_MAX :
	    delay) * 1000LL) == -1 ? 0 : 1;
}

static int
setup(struct shim *s)
{
	struct relay_opts o;
	char run[PATH_MAX];
	sigset_t set;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGCHLD);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (s->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		return -1;
	if (s->ready_fd >= 0 && fcntl(s->ready_fd, F_SETFD, FD_CLOEXEC) == -1)
		s->ready_fd = -1;
	if (s->port == 0)
		return 0;
	if (pathf(run, sizeof(run), "%s/apps/%s/run", s->data_dir,
	    s->app) == -1 || relay_args(s, s->args, &o) == -1 ||
	    (o.run_fd = open(run, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || (s->relay = relay_new(&o)) == NULL)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct shim s;
	int fast = 0, again = 1;

	memset(&s, 0, sizeof(s));
	s.out_fd = s.sfd = -1;
	parse(&s, argc, argv);
	if (read_env(&s) == -1 ||
	    bshim_log_open(&s.log, s.data_dir, s.app, s.id, s.type,
	    s.idx) == -1) {
		dprintf(2, "berth-shim: cannot start: %s\n", strerror(errno));
		return 1;
	}
	bshim_putf(&s.log, "shim.pid", (long long)getpid());
	if (setup(&s) == -1) {
		bshim_line(&s.log, "berth: cannot set up the supervisor");
		bshim_put(&s.log, "state", "crashed");
		return 1;
	}
	while (again && !s.term) {
		time_t t0 = time(NULL);
		if (run_once(&s) == -1) {
			bshim_line(&s.log, "berth: cannot run the process");
			bshim_put(&s.log, "state", "crashed");
			return 1;
		}
		if (!s.term && (again = after_exit(&s, t0, &fast)) == 0) {
			bshim_put(&s.log, "state", "crashed");
			return 1;
		}
	}
	while (s.relay != NULL && !relay_drained(s.relay))
		if (events(&s, -1) == -1)
			break;
	relay_free(s.relay);
	free(s.envbuf);
	bshim_put(&s.log, "state", "stopped");
	bshim_line(&s.log, "berth: stopped");
	return 0;
}
