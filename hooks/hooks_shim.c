/*
 * hooks_shim.c - the supervisor of one process instance, run as
 * `berth shim DATA_DIR PROC_ID UID NPROC` in its own session (see
 * hooks_procs.h).
 *
 * Loop: read the process row, the release's command and the app's config
 * vars (opened from sqlite on every start, so no secret is ever written to
 * a file); fork the app in its own process group (as the app's own uid when
 * berth runs as root, see core/ident.h) with stdout and stderr on a pipe; copy each output line to the
 * process's log with a time stamp and its name; when the app exits, wait
 * 1, 2, 4 ... 60 s and start it again, unless it crashed fast
 * SHIM_FAST_CRASHES times in a row (state crashed, the shim exits).
 * SIGTERM: stop the app (SIGTERM to its group, SIGKILL after
 * SHIM_STOP_TIMEOUT s), state stopped, exit.  The shim is a child
 * subreaper: what the app starts and leaves (a setsid daemon) comes to it,
 * and when the app exits, all of that is killed too, so a stopped or
 * restarted process leaves nothing running.
 *
 * The shim runs as root and writes under the app's dirs, so what it reads
 * from the store is checked again where it becomes a path or an argv (the
 * app's name, the process type, the release's process list), and its
 * files are opened relative to the log and run dirs' descriptors with
 * O_NOFOLLOW, and rotated with renameat under the same descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/ident.h"
#include "core/names.h"
#include "core/path.h"
#include "core/procinfo.h"
#include "core/spawn.h"
#include "core/vars.h"
#include "hooks/hooks_procfile.h"
#include "hooks/hooks_procs.h"

#define ARGV_MAX 64
#define ENV_MAX 300

struct shim {
	const char *data_dir;
	struct proc_rec p;
	char app[STORE_NAME_MAX];
	char release_dir[PATH_MAX];
	char log_name[PROC_NAME_MAX + 32];  /* TYPE.N.log in the logs dir */
	char procs[PROC_LIST_MAX];          /* the release's process list */
	char command[2048];
	struct ident ident;
	int run_fd;   /* DATA/apps/APP/run/ID */
	int logs_fd;  /* DATA/apps/APP/logs */
	int log_fd;
	int restarts;
	int generations;  /* rotated logs kept: [server] log_generations */
};

static volatile sig_atomic_t got_term;
static int sig_pipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	if (write(sig_pipe[1], "x", 1) == -1) {
		/* full: poll wakes anyway */
	}
	errno = saved;
}

/* Open name in the directory dfd for writing: a regular file only, never
 * through a symlink (a FIFO would block us, a link would lead anywhere). */
static int
open_in(int dfd, const char *name, int flags, mode_t mode)
{
	struct stat sb;
	int fd;

	if ((fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | flags, mode)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Replace the run dir's file name with text, atomically (a temp file
 * renamed over it). */
static void
put_text(const struct shim *s, const char *name, const char *text)
{
	char tmp[64];
	size_t len = strlen(text);
	int fd;

	if (snprintf(tmp, sizeof(tmp), ".%s", name) >= (int)sizeof(tmp) ||
	    (fd = open_in(s->run_fd, tmp, O_CREAT | O_TRUNC, 0644)) == -1)
		return;
	if (write(fd, text, len) == (ssize_t)len && close(fd) == 0)
		(void)renameat(s->run_fd, tmp, s->run_fd, name);
	else
		close(fd);
}

static void
put_file(const struct shim *s, const char *name, const char *fmt, long long v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), fmt, v);
	put_text(s, name, buf);
}

static void
put_state(const struct shim *s, const char *state)
{
	put_text(s, "state", state);
}

/* Move TYPE.N.log.K to .K+1 (the oldest kept is overwritten), the log to
 * .1, and start a new one, all under the logs dir's descriptor. */
static void
rotate_log(struct shim *s)
{
	char old[sizeof(s->log_name) + 16], older[sizeof(s->log_name) + 16];

	for (int k = s->generations - 1; k >= 1; k--) {
		snprintf(old, sizeof(old), "%s.%d", s->log_name, k);
		snprintf(older, sizeof(older), "%s.%d", s->log_name, k + 1);
		(void)renameat(s->logs_fd, old, s->logs_fd, older);
	}
	snprintf(old, sizeof(old), "%s.1", s->log_name);
	(void)renameat(s->logs_fd, s->log_name, s->logs_fd, old);
	close(s->log_fd);
	s->log_fd = open_in(s->logs_fd, s->log_name, O_CREAT | O_APPEND, 0640);
}

/* Append one time-stamped line to the log, rotating it by size. */
static void
log_line(struct shim *s, const char *line)
{
	char buf[4200], stamp[32];
	struct timespec ts;
	struct tm tm;
	struct stat sb;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(buf, sizeof(buf), "%s.%03ldZ %s.%d | %s\n", stamp,
	    ts.tv_nsec / 1000000, s->p.type, s->p.idx, line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (s->log_fd >= 0 && fstat(s->log_fd, &sb) == 0 &&
	    sb.st_size > LOG_ROTATE_BYTES)
		rotate_log(s);
	if (s->log_fd >= 0 && write(s->log_fd, buf, (size_t)n) != n) {
		/* a full disk loses log lines, not the app */
	}
}

/* The process row and its release's process list, from the store. */
static int
load(struct shim *s, int64_t id, char *err, size_t errlen)
{
	struct store *st;
	struct release_rec rel;
	char db[PATH_MAX], gens[16];
	int rc = -1;

	if (pathf(db, sizeof(db), "%s/berth.db", s->data_dir) == -1 ||
	    store_open(&st, db, err, errlen) == -1)
		return -1;
	if (store_proc_get(st, id, &s->p) != 0) {
		snprintf(err, errlen, "no process %lld", (long long)id);
		goto out;
	}
	if (store_release_get(st, s->p.app_id, s->p.release, &rel) != 0) {
		snprintf(err, errlen, "no release v%d", s->p.release);
		goto out;
	}
	snprintf(s->procs, sizeof(s->procs), "%s", rel.process_types);
	s->generations = 3;
	if (store_setting_get(st, "log_generations", gens, sizeof(gens)) == 0 &&
	    atoi(gens) >= 1 && atoi(gens) <= 100)
		s->generations = atoi(gens);
	rc = 0;
out:
	store_close(st);
	return rc;
}

/* The command of the process: its type becomes a file name and its
 * command an argv, so both are checked again, whatever wrote them. */
static int
find_command(struct shim *s, char *err, size_t errlen)
{
	if (!procfile_name_valid(s->p.type)) {
		snprintf(err, errlen, "process %lld has a bad type",
		    (long long)s->p.id);
		return -1;
	}
	if (procfile_check(s->procs, err, errlen) == -1)
		return -1;
	if (procfile_command_of(s->procs, s->p.type, s->command,
	    sizeof(s->command)) == -1) {
		snprintf(err, errlen, "release v%d has no '%s' process",
		    s->p.release, s->p.type);
		return -1;
	}
	return 0;
}

/* The app's name for a process row (the shim only knows ids). */
static int
app_name(const char *data_dir, int64_t app_id, char *out, size_t len)
{
	struct store *st;
	char db[PATH_MAX], err[256];
	int rc;

	if (pathf(db, sizeof(db), "%s/berth.db", data_dir) == -1 ||
	    store_open(&st, db, err, sizeof(err)) == -1)
		return -1;
	rc = store_app_name(st, app_id, out, len);
	store_close(st);
	if (rc == 0 && name_app_valid(out, err, sizeof(err)) == -1)
		return -1; /* it becomes a path */
	return rc;
}

static int
build_env(struct shim *s, char **env, size_t *n)
{
	struct store *st;
	struct app_rec app;
	struct vars vs;
	struct conf c;
	char db[PATH_MAX], err[256], buf[VAR_VALUE_MAX + VAR_NAME_MAX + 2];

	*n = 0;
#define ADD(...) do { snprintf(buf, sizeof(buf), __VA_ARGS__); \
	if (*n < ENV_MAX && (env[*n] = strdup(buf)) != NULL) (*n)++; } while (0)
	ADD("PATH=/usr/local/bin:/usr/bin:/bin");
	ADD("HOME=%s", s->release_dir);
	ADD("LANG=C.UTF-8");
	ADD("STACK=berth-1");
	ADD("DYNO=%s.%d", s->p.type, s->p.idx);
	ADD("APP_NAME=%s", s->app);
	if (s->p.port > 0)
		ADD("PORT=%d", s->p.port);
	conf_defaults(&c);
	snprintf(c.data_dir, sizeof(c.data_dir), "%s", s->data_dir);
	if (pathf(db, sizeof(db), "%s/berth.db", s->data_dir) == -1 ||
	    store_open(&st, db, err, sizeof(err)) == -1)
		return -1;
	if (store_app_get(st, s->app, &app) != 0 ||
	    vars_load(&c, st, &app, &vs, err, sizeof(err)) == -1) {
		store_close(st);
		log_line(s, "berth: cannot read the app's config vars");
		return -1;
	}
	store_close(st);
	for (size_t i = 0; i < vs.n; i++) {
		int dup = 0;
		for (size_t k = 0; k < *n; k++)
			if (strncmp(env[k], vs.v[i].name, strlen(vs.v[i].name)) == 0 &&
			    env[k][strlen(vs.v[i].name)] == '=' &&
			    (strcmp(vs.v[i].name, "PORT") == 0 ||
			    strcmp(vs.v[i].name, "DYNO") == 0))
				dup = 1;
		if (!dup)
			ADD("%s=%s", vs.v[i].name, vs.v[i].value);
	}
	vars_free(&vs);
	env[*n] = NULL;
#undef ADD
	return 0;
}

static void
free_env(char **env, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(env[i]);
}

/* Fork the app.  Returns its pid (its own process group) or -1. */
static pid_t
start_app(struct shim *s, int out_fd, char **env)
{
	char cmd[2048], *argv[ARGV_MAX + 1];
	size_t argc = 0;
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "%s", s->command);
	for (char *tok = strtok(cmd, " \t"); tok && argc < ARGV_MAX;
	    tok = strtok(NULL, " \t"))
		argv[argc++] = tok;
	argv[argc] = NULL;
	if (argc == 0 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		umask(022);
		/* nothing of the shim's (the db, the logs dir) reaches the app */
		if (dup2(out_fd, 1) == -1 || dup2(out_fd, 2) == -1 ||
		    spawn_close_fds() == -1)
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
			char blocked[PATH_MAX];
			if (datadir_blocked(s->release_dir, blocked,
			    sizeof(blocked)) == 0 && blocked[0])
				dprintf(2, "berth: the app runs as uid %lu, who cannot"
				    " enter '%s'; put data_dir under /var/lib/berth or"
				    " chmod o+x it\n", (unsigned long)s->ident.uid,
				    blocked);
			else
				dprintf(2, "berth: cannot read %s: %s\n",
				    s->release_dir, strerror(errno));
			_exit(126);
		}
		execvpe(argv[0], argv, env);
		dprintf(2, "berth: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Reap whatever has exited (the app, or an orphan that came to us); 1
 * when the app has, with its status. */
static int
reap(pid_t app, int *status)
{
	int st, exited = 0;
	pid_t w;

	while ((w = waitpid(-1, &st, WNOHANG)) > 0)
		if (w == app) {
			*status = st;
			exited = 1;
		}
	return exited;
}

/* Kill whatever the app left behind: its process group, and every orphan
 * that came to the shim (a daemon in a session of its own), until none is
 * left or 3 s have passed. */
static void
end_leftovers(pid_t app)
{
	int status;

	(void)kill(-app, SIGKILL);
	for (int i = 0; i < 300; i++) {
		(void)reap(app, &status);
		if (waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD)
			return;
		if (procinfo_kill_children() == -1)
			return; /* the kernel lists no children */
		usleep(10000);
	}
}

/* Copy the app's output to the log until it exits or SIGTERM comes. */
static int
supervise(struct shim *s, pid_t pid, int out_fd)
{
	char buf[4096], line[4097];
	size_t llen = 0;
	int status = 0, exited = 0;
	long long term_at = 0;

	while (!exited) {
		struct pollfd pfd[2] = { { out_fd, POLLIN, 0 },
		    { sig_pipe[0], POLLIN, 0 } };
		(void)poll(pfd, 2, 500); /* a negative fd is ignored */
		if (pfd[1].revents & POLLIN)
			while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
				;
		if (out_fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(out_fd, buf, sizeof(buf));
			if (n <= 0) {
				close(out_fd);
				out_fd = -1;
			}
			for (ssize_t i = 0; i < n; i++) {
				if (buf[i] == '\n' || llen == sizeof(line) - 1) {
					line[llen] = '\0';
					log_line(s, line);
					llen = 0;
					if (buf[i] == '\n')
						continue;
				}
				line[llen++] = buf[i];
			}
		}
		if (got_term && term_at == 0) {
			term_at = (long long)time(NULL);
			(void)kill(-pid, SIGTERM);
		}
		if (term_at && time(NULL) - term_at >= SHIM_STOP_TIMEOUT)
			(void)kill(-pid, SIGKILL);
		exited = reap(pid, &status);
	}
	if (llen > 0) {
		line[llen] = '\0';
		log_line(s, line);
	}
	if (out_fd >= 0)
		close(out_fd);
	end_leftovers(pid);
	return status;
}

/* mkdir -p path (mode), then open it as a directory, not through a
 * symlink in its last step. */
static int
open_dir(const char *path, unsigned int mode)
{
	if (mkdirs(path, mode) == -1)
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Read what the shim of process id runs, and open its run dir and log. */
static int
shim_open(struct shim *s, int64_t id, char *err, size_t errlen)
{
	char run[PATH_MAX], logs[PATH_MAX];

	if (load(s, id, err, errlen) == -1)
		return -1;
	if (app_name(s->data_dir, s->p.app_id, s->app, sizeof(s->app)) != 0 ||
	    proc_run_dir(s->data_dir, s->app, id, run, sizeof(run)) == -1 ||
	    (s->run_fd = open_dir(run, 0755)) == -1) {
		snprintf(err, errlen, "cannot open the run dir of process %lld",
		    (long long)id);
		return -1;
	}
	if (find_command(s, err, errlen) == -1)
		return -1;
	if (pathf(s->release_dir, sizeof(s->release_dir), "%s/apps/%s/releases/%d",
	    s->data_dir, s->app, s->p.release) == -1 ||
	    pathf(logs, sizeof(logs), "%s/apps/%s/logs", s->data_dir,
	    s->app) == -1 || (s->logs_fd = open_dir(logs, 0700)) == -1) {
		snprintf(err, errlen, "cannot open the logs dir: %s",
		    strerror(errno));
		return -1;
	}
	snprintf(s->log_name, sizeof(s->log_name), "%s.%d.log", s->p.type,
	    s->p.idx);
	s->log_fd = open_in(s->logs_fd, s->log_name, O_CREAT | O_APPEND, 0640);
	return 0;
}

static void
sleep_interruptible(int seconds)
{
	for (int i = 0; i < seconds * 10 && !got_term; i++)
		usleep(100000);
}

int
shim_main(const char *data_dir, int64_t proc_id, unsigned long uid,
    unsigned long nproc)
{
	struct shim s;
	char err[256], msg[512], *env[ENV_MAX + 1];
	int fast = 0;

	memset(&s, 0, sizeof(s));
	s.data_dir = data_dir;
	s.run_fd = s.logs_fd = s.log_fd = -1;
	ident_of_uid((uid_t)uid, nproc, &s.ident);
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (shim_open(&s, proc_id, err, sizeof(err)) == -1) {
		if (s.run_fd >= 0)
			put_state(&s, "crashed");
		return 1;
	}
	put_file(&s, "shim.pid", "%lld", (long long)getpid());
	while (!got_term) {
		int fds[2], status;
		size_t nenv;
		time_t t0 = time(NULL);
		pid_t pid;

		if (pipe2(fds, O_CLOEXEC) == -1 || build_env(&s, env, &nenv) == -1) {
			put_state(&s, "crashed");
			return 1;
		}
		snprintf(msg, sizeof(msg), "berth: starting %s.%d of v%d%s%.0d: %.400s",
		    s.p.type, s.p.idx, s.p.release, s.p.port ? " on port " : "",
		    s.p.port, s.command);
		log_line(&s, msg);
		pid = start_app(&s, fds[1], env);
		close(fds[1]);
		free_env(env, nenv);
		if (pid == -1) {
			close(fds[0]);
			put_state(&s, "crashed");
			return 1;
		}
		put_file(&s, "pid", "%lld", (long long)pid);
		put_file(&s, "started", "%lld", (long long)t0);
		put_file(&s, "restarts", "%lld", s.restarts);
		put_state(&s, "running");
		status = supervise(&s, pid, fds[0]);
		put_file(&s, "pid", "%lld", 0);
		if (got_term)
			break;
		snprintf(msg, sizeof(msg), "berth: %s.%d exited (%s %d) after %ld s",
		    s.p.type, s.p.idx, WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    (long)(time(NULL) - t0));
		log_line(&s, msg);
		fast = time(NULL) - t0 < SHIM_FAST_SECONDS ? fast + 1 : 0;
		if (fast >= SHIM_FAST_CRASHES) {
			log_line(&s, "berth: crashed too often; giving up (ps:restart"
			    " starts it again)");
			put_state(&s, "crashed");
			return 1;
		}
		s.restarts++;
		put_state(&s, "backoff");
		sleep_interruptible(fast == 0 ? 1 : (1 << (fast - 1)) >
		    SHIM_BACKOFF_MAX ? SHIM_BACKOFF_MAX : (1 << (fast - 1)));
	}
	put_state(&s, "stopped");
	log_line(&s, "berth: stopped");
	return 0;
}
