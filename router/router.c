/*
 * router.c - the router's front: one writer at a time (an flock on
 * DATA/locks/router.lock), the choice of back end from [router] kind, the
 * managed proxy's start (with the whole routing table, under the lock),
 * and helpers that run the proxy's own tools without a shell and keep
 * their messages (for a daemon that fails to start, the cause from its
 * log).  See router.h.
 */
#include "router/router.h"
#include "router/router_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/live.h"
#include "core/msg.h"
#include "core/num.h"
#include "core/path.h"
#include "core/spawn.h"

static int
router_lock(const struct conf *c, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	if (pathf(path, sizeof(path), "%s/locks/router.lock", c->data_dir) == -1 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "cannot open the router lock: %s",
		    strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			snprintf(err, errlen, "cannot lock the router: %s",
			    strerror(errno));
			close(fd);
			return -1;
		}
	return fd;
}

/*
 * Showing an app at a new release is recorded in sqlite (apps.current_release)
 * under the router lock, before rendering: every later render, by any
 * process, then includes it, so concurrent deploys and domain changes cannot
 * undo each other.  If the proxy rejects the result, the old value is put
 * back.
 */
int
router_update(const struct conf *c, struct store *st, const char *show, int at,
    char *err, size_t errlen)
{
	struct app_rec app = { 0 };
	struct routes r;
	char why[ERR_MAX];
	int lock, rc;

	err[0] = '\0';
	if ((lock = router_lock(c, err, errlen)) == -1)
		return -1;
	if (show != NULL && store_app_get(st, show, &app) != 0) {
		snprintf(err, errlen, "cannot record the release of '%s': %s",
		    show, store_error(st));
		close(lock);
		return -1;
	}
	if (show != NULL && live_record(st, app.id, at, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "cannot record the release of '%s': %s",
		    show, why);
		close(lock);
		return -1;
	}
	tls_wildcard_sync(c); /* the previews' certificate, router_tls.h */
	if (routes_collect(c, st, NULL, 0, &r, err, errlen) == -1) {
		rc = -1;
	} else {
		rc = router_backend(c)->apply(c, &r, err, errlen);
		if (rc == 0 && conf_https(c))
			tls_note_served(c, &r); /* router_tls.h */
		routes_free(&r);
	}
	if (rc == -1 && show != NULL && live_record(st, app.id,
	    app.current_release, why, sizeof(why)) == -1)
		snprintf(err + strlen(err), errlen - strlen(err), " (and the"
		    " release of '%s' could not be put back)", show);
	close(lock);
	return rc;
}

int
router_start(const struct conf *c, struct store *st, int *started, char *err,
    size_t errlen)
{
	struct routes r;
	int lock, rc;

	*started = 0;
	err[0] = '\0';
	if (!c->router_manage || router_pid(c) != 0)
		return router_update(c, st, NULL, 0, err, errlen);
	/* start it with the whole table: no moment with an empty config */
	if ((lock = router_lock(c, err, errlen)) == -1)
		return -1;
	tls_wildcard_sync(c);
	if ((rc = routes_collect(c, st, NULL, 0, &r, err, errlen)) == 0) {
		rc = router_backend(c)->start(c, &r, err, errlen);
		routes_free(&r);
	}
	close(lock);
	*started = rc == 0;
	return rc;
}

pid_t
router_pid(const struct conf *c)
{
	if (!c->router_manage)
		return 0;
	return router_backend(c)->pid(c);
}

struct out {
	char *buf;
	size_t len, cap;
};

static void
keep_line(void *ctx, const char *line)
{
	struct out *o = ctx;
	int n;

	if (o->len + 2 >= o->cap)
		return;
	n = snprintf(o->buf + o->len, o->cap - o->len, "%s%s",
	    o->len ? " | " : "", line);
	if (n > 0)
		o->len += (size_t)n < o->cap - o->len ? (size_t)n :
		    o->cap - o->len - 1;
}

int
router_run(char *const argv[], char *out, size_t outlen)
{
	extern char **environ;
	struct out o = { out, 0, outlen };
	struct spawn_opts so = { .argv = argv, .envp = environ, .timeout_s = 60,
	    .on_line = keep_line, .ctx = &o };
	struct spawn_result res;
	char err[128];

	out[0] = '\0';
	if (spawn_run(&so, &res, err, sizeof(err)) == -1) {
		snprintf(out, outlen, "%s", err);
		return -1;
	}
	if (res.exited && res.exit_code == 0)
		return 0;
	if (out[0] == '\0')
		spawn_describe(&res, out, outlen);
	return -1;
}

/* A JSON log entry of level error or fatal, as "msg: error". */
static int
json_error(const char *line, char *out, size_t len)
{
	json_t *j = json_loads(line, 0, NULL);
	const char *level, *msg, *e;
	int yes = 0;

	if (j == NULL)
		return 0;
	level = json_string_value(json_object_get(j, "level"));
	msg = json_string_value(json_object_get(j, "msg"));
	e = json_string_value(json_object_get(j, "error"));
	if (level && (strcmp(level, "error") == 0 || strcmp(level, "fatal") == 0)) {
		snprintf(out, len, "%s%s%s", msg ? msg : "", msg && e ? ": " : "",
		    e ? e : "");
		yes = 1;
	}
	json_decref(j);
	return yes;
}

/*
 * Why a daemon did not start, from what it wrote to its log after offset:
 * the first error line (Caddy: "Error: ..." other than its closing "caddy
 * process exited", or a JSON entry of level error; nginx: "[emerg]"), else
 * the last line.
 */
static void
log_cause(const char *path, long offset, char *out, size_t len)
{
	char line[1024], last[512] = "";
	FILE *f = fopen(path, "re");

	out[0] = '\0';
	if (f == NULL)
		return;
	if (offset > 0 && fseek(f, offset, SEEK_SET) == -1)
		rewind(f);
	while (out[0] == '\0' && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '\0')
			continue;
		snprintf(last, sizeof(last), "%.*s", (int)sizeof(last) - 1, line);
		if ((strncmp(line, "Error: ", 7) == 0 &&
		    strstr(line, "caddy process exited") == NULL) ||
		    strstr(line, "[emerg]") != NULL)
			snprintf(out, len, "%.*s", (int)len - 1, line);
		else if (line[0] == '{')
			(void)json_error(line, out, len);
	}
	fclose(f);
	if (out[0] == '\0')
		snprintf(out, len, "%.*s", (int)len - 1, last);
}

int
router_daemon(char *const argv[], const char *logfile,
    const struct ident *who, char *err, size_t errlen)
{
	extern char **environ;
	char cause[400];
	struct stat sb;
	long offset = stat(logfile, &sb) == 0 ? (long)sb.st_size : 0;
	int status, fd;
	pid_t pid;

	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		(void)setsid();
		fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
			_exit(126);
		if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1)
			(void)dup2(fd, 0);
		if (spawn_close_fds() == -1)
			_exit(126); /* nothing berth holds reaches the proxy */
		if (who != NULL && ident_drop(who) == -1) {
			dprintf(2, "cannot become uid %lu: %s\n",
			    (unsigned long)who->uid, strerror(errno));
			_exit(126);
		}
		execve(argv[0], argv, environ);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	log_cause(logfile, offset, cause, sizeof(cause));
	snprintf(err, errlen, "cannot start %s: %s (log: %s)", argv[0],
	    cause[0] ? cause : "it failed without a message", logfile);
	return -1;
}

/* 1 when process pid is alive (not a zombie nobody has reaped yet) and,
 * unless owner is (uid_t)-1, runs with real uid owner. */
static int
pid_live(long pid, uid_t owner)
{
	char path[64], line[256], state = '?';
	unsigned long uid;
	int uid_ok = owner == (uid_t)-1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "State: %c", &state) == 1)
			continue;
		if (sscanf(line, "Uid: %lu", &uid) == 1) {
			uid_ok = uid_ok || uid == (unsigned long)owner;
			break;
		}
	}
	fclose(f);
	return state != 'Z' && state != 'X' && state != '?' && uid_ok;
}

int
router_alive(pid_t pid)
{
	return pid > 1 && kill(pid, 0) == 0 && pid_live((long)pid, (uid_t)-1);
}

pid_t
router_pidfile(const char *pidfile, uid_t owner)
{
	char buf[32] = "";
	long long pid;
	int fd;
	ssize_t n;

	if ((fd = open(pidfile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (num_prefix(buf, 0, INT32_MAX, &pid, NULL) == -1)
		pid = 0;
	if (pid <= 1 || kill((pid_t)pid, 0) == -1)
		return 0;
	return pid_live(pid, owner) ? (pid_t)pid : 0;
}
