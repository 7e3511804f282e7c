/*
 * gitd_session.c - one SSH connection in a forked child (see
 * gitd_session.h).  libssh server mode with callbacks; the pitfalls that
 * shape this file:
 *  - the pubkey callback checks signature_state itself (libssh would accept
 *    a bad signature if told to);
 *  - channel callbacks are set when the channel is opened, so the exec
 *    request in the same poll is not missed;
 *  - no data callback: after the exec request the command reads the channel
 *    with blocking ssh_channel_read_timeout from the main flow, never from a
 *    callback, so flow control and window adjusts stay inside libssh.
 * The whole pre-command phase runs under alarm(auth_timeout): a client that
 * does not authenticate and ask for a command in time is dropped.
 */
#include "gitd/gitd_session.h"

#include <git2.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/sshkey.h"
#include "core/store.h"
#include "core/upkeep.h"
#include "deploy/gitlib.h"
#include "gitd/gitd.h"
#include "gitd/gitd_dispatch.h"
#include "gitd/gitd_pack.h"
#include "gitd/gitd_relay.h"

#define MAX_AUTH_ATTEMPTS 6
#define COMMAND_MAX 4096

struct session {
	const struct conf *conf;
	ssh_session s;
	ssh_channel chan;
	struct ssh_server_callbacks_struct scb;
	struct ssh_channel_callbacks_struct ccb;
	struct store *st;
	struct key_rec key;
	int authed, attempts, told_unknown, want_shell, have_command;
	int login_fd;         /* told our pid once authenticated; -1 after */
	long long deadline;   /* reads must be done by then (ms), 0: none */
	char deadline_why[200];
	char command[COMMAND_MAX];
	char peer[64];
	int pty;              /* a pty-req came: its size and TERM below */
	struct winsize ws;
	char term[64];
	int pty_fd;           /* a one-off's terminal while it runs, else -1 */
	int git;              /* libgit2 initialised (for the command) */
	int disk_quiet;       /* the command left no repo wanting upkeep */
};

static int session_setup(struct session *ss, ssh_bind bind, int fd);
static int session_wait_command(struct session *ss);
static int session_run_command(struct session *ss);
static void session_close(struct session *ss, int status);
static int disk_quiet(const struct conf *c, const struct gitd_ctx *g);

int
gitd_session_run(const struct conf *conf, ssh_bind bind, int fd,
    const char *peer, int login_fd)
{
	struct session ss;
	char err[256], tag[96], db[PATH_MAX];
	int status;

	memset(&ss, 0, sizeof(ss));
	ss.conf = conf;
	ss.login_fd = login_fd;
	ss.pty_fd = -1;
	snprintf(ss.peer, sizeof(ss.peer), "%s", peer);
	snprintf(tag, sizeof(tag), "berth conn %s", peer);
	log_init(tag, 0);
	alarm((unsigned int)conf->auth_timeout);
	if (datadir_db(conf->data_dir, db, sizeof(db)) == -1 ||
	    store_open(&ss.st, db, err, sizeof(err)) == -1) {
		log_warnx("%s", datadir_db(conf->data_dir, db, sizeof(db)) == -1 ?
		    "data dir path too long" : err);
		close(fd);
		return SESSION_NO_AUTH;
	}
	/* libgit2 only once a key has logged in and asked for a command: a
	 * connection that never logs in must not cost its start (1.5 ms of
	 * CPU; 11 ms before deploy/gitlib.c left the CA bundle for later) */
	if (session_setup(&ss, bind, fd) == 0 && session_wait_command(&ss) == 0) {
		alarm(0);
		if ((ss.git = gitlib_init() >= 0) && git_libgit2_opts(
		    GIT_OPT_SET_PACK_MAX_OBJECTS,
		    (size_t)pack_max_objects(conf->max_push_size)) >= 0) {
			status = session_run_command(&ss);
		} else {
			log_warnx("cannot initialise libgit2");
			status = 1;
		}
		session_close(&ss, status);
	}
	if (ss.s != NULL) {
		ssh_disconnect(ss.s);
		ssh_free(ss.s);
	}
	store_close(ss.st);
	if (ss.git)
		git_libgit2_shutdown();
	if (ss.authed)
		return ss.disk_quiet ? SESSION_OK_DISK_QUIET : SESSION_OK;
	return ss.attempts > 0 ? SESSION_AUTH_FAILED : SESSION_NO_AUTH;
}

static int
auth_pubkey(ssh_session s, const char *user, struct ssh_key_struct *pubkey,
    char sigstate, void *ud)
{
	struct session *ss = ud;
	struct key_rec k;
	char fp[STORE_FP_MAX], err[256];

	(void)s;
	(void)user; /* any user name: the key decides */
	if (++ss->attempts > MAX_AUTH_ATTEMPTS)
		return SSH_AUTH_DENIED;
	if (sshkey_fingerprint(pubkey, fp, sizeof(fp), err, sizeof(err)) == -1)
		return SSH_AUTH_DENIED;
	if (store_key_by_fingerprint(ss->st, fp, &k) != 0 ||
	    sshkey_matches(pubkey, &k) != 1) {
		if (sigstate == SSH_PUBLICKEY_STATE_NONE && !ss->told_unknown) {
			log_info("unknown key %s", fp);
			ss->told_unknown = 1;
		}
		return SSH_AUTH_DENIED;
	}
	if (sigstate == SSH_PUBLICKEY_STATE_NONE)
		return SSH_AUTH_SUCCESS; /* a probe: "this key would do" */
	if (sigstate != SSH_PUBLICKEY_STATE_VALID)
		return SSH_AUTH_DENIED;
	ss->key = k;
	ss->authed = 1;
	log_info("key '%s' (%s) authenticated", k.name, k.fingerprint);
	if (ss->login_fd >= 0) {
		int32_t pid = (int32_t)getpid();
		if (write(ss->login_fd, &pid, sizeof(pid)) != sizeof(pid))
			log_warn("cannot tell the daemon about the login");
		close(ss->login_fd);
		ss->login_fd = -1;
	}
	return SSH_AUTH_SUCCESS;
}

static int
chan_exec(ssh_session s, ssh_channel ch, const char *command, void *ud)
{
	struct session *ss = ud;

	(void)s;
	(void)ch;
	if (ss->have_command || ss->want_shell ||
	    strlen(command) >= sizeof(ss->command))
		return 1;
	snprintf(ss->command, sizeof(ss->command), "%s", command);
	ss->have_command = 1;
	return 0;
}

static int
chan_shell(ssh_session s, ssh_channel ch, void *ud)
{
	struct session *ss = ud;

	(void)s;
	(void)ch;
	if (ss->have_command)
		return 1;
	ss->want_shell = 1;
	return 0;
}

static int
chan_env(ssh_session s, ssh_channel ch, const char *name, const char *value,
    void *ud)
{
	(void)s, (void)ch, (void)name, (void)value, (void)ud;
	return 0; /* accepted and ignored: GIT_PROTOCOL=version=2 falls back */
}

/* `ssh -t`: a terminal for `run`; the other commands print plain text
 * anyway.  A TERM that is not a short plain name is not passed on. */
static int
chan_pty(ssh_session s, ssh_channel ch, const char *term, int w, int h,
    int pw, int ph, void *ud)
{
	struct session *ss = ud;

	(void)s, (void)ch;
	if (w < 0 || h < 0 || w > 10000 || h > 10000 || pw < 0 || ph < 0 ||
	    pw > 65535 || ph > 65535)
		return 1;
	ss->pty = 1;
	ss->ws = (struct winsize){ .ws_row = (unsigned short)h,
	    .ws_col = (unsigned short)w, .ws_xpixel = (unsigned short)pw,
	    .ws_ypixel = (unsigned short)ph };
	ss->term[0] = '\0';
	if (term != NULL && strlen(term) < sizeof(ss->term) &&
	    strspn(term, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-+._") == strlen(term))
		snprintf(ss->term, sizeof(ss->term), "%s", term);
	return 0;
}

static int
chan_resize(ssh_session s, ssh_channel ch, int w, int h, int pw, int ph,
    void *ud)
{
	struct session *ss = ud;

	(void)s, (void)ch;
	if (w < 0 || h < 0 || w > 10000 || h > 10000 || pw < 0 || ph < 0 ||
	    pw > 65535 || ph > 65535)
		return 1;
	ss->ws = (struct winsize){ .ws_row = (unsigned short)h,
	    .ws_col = (unsigned short)w, .ws_xpixel = (unsigned short)pw,
	    .ws_ypixel = (unsigned short)ph };
	if (ss->pty_fd >= 0)
		(void)ioctl(ss->pty_fd, TIOCSWINSZ, &ss->ws);
	return 0;
}

static ssh_channel
chan_open(ssh_session s, void *ud)
{
	struct session *ss = ud;

	if (!ss->authed || ss->chan != NULL)
		return NULL;
	if ((ss->chan = ssh_channel_new(s)) == NULL)
		return NULL;
	memset(&ss->ccb, 0, sizeof(ss->ccb));
	ss->ccb.userdata = ss;
	ss->ccb.channel_exec_request_function = chan_exec;
	ss->ccb.channel_shell_request_function = chan_shell;
	ss->ccb.channel_env_request_function = chan_env;
	ss->ccb.channel_pty_request_function = chan_pty;
	ss->ccb.channel_pty_window_change_function = chan_resize;
	ssh_callbacks_init(&ss->ccb);
	if (ssh_set_channel_callbacks(ss->chan, &ss->ccb) != SSH_OK) {
		ssh_channel_free(ss->chan);
		ss->chan = NULL;
	}
	return ss->chan;
}

static int
session_setup(struct session *ss, ssh_bind bind, int fd)
{
	if ((ss->s = ssh_new()) == NULL) {
		log_warnx("out of memory");
		close(fd);
		return -1;
	}
	if (ssh_bind_accept_fd(bind, ss->s, fd) != SSH_OK) {
		log_warnx("accept: %s", ssh_get_error(bind));
		close(fd);
		return -1;
	}
	memset(&ss->scb, 0, sizeof(ss->scb));
	ss->scb.userdata = ss;
	ss->scb.auth_pubkey_function = auth_pubkey;
	ss->scb.channel_open_request_session_function = chan_open;
	ssh_callbacks_init(&ss->scb);
	if (ssh_set_server_callbacks(ss->s, &ss->scb) != SSH_OK) {
		log_warnx("cannot set callbacks: %s", ssh_get_error(ss->s));
		return -1;
	}
	ssh_set_auth_methods(ss->s, SSH_AUTH_METHOD_PUBLICKEY);
	if (ssh_handle_key_exchange(ss->s) != SSH_OK) {
		log_info("key exchange failed: %s", ssh_get_error(ss->s));
		return -1;
	}
	return 0;
}

static int
session_wait_command(struct session *ss)
{
	ssh_event ev;
	int rc = -1;

	if ((ev = ssh_event_new()) == NULL)
		return -1;
	if (ssh_event_add_session(ev, ss->s) != SSH_OK) {
		ssh_event_free(ev);
		return -1;
	}
	while (!ss->have_command && !ss->want_shell) {
		if (ssh_event_dopoll(ev, 1000) == SSH_ERROR ||
		    !ssh_is_connected(ss->s))
			break;
	}
	if (ss->have_command || ss->want_shell)
		rc = 0;
	else if (!ss->authed)
		log_info("disconnected before authenticating");
	ssh_event_remove_session(ev, ss->s);
	ssh_event_free(ev);
	return rc;
}

static void
chan_deadline(void *ctx, int seconds, const char *why)
{
	struct session *ss = ctx;

	ss->deadline = seconds > 0 ? clock_ms() + (long long)seconds * 1000 : 0;
	snprintf(ss->deadline_why, sizeof(ss->deadline_why), "%s", why);
}

/* Transport over the channel for the command's stdin/stdout.  A read
 * waits idle_timeout at most, and never past the deadline. */
static ssize_t
chan_read(void *ctx, void *buf, size_t len, char *err, size_t errlen)
{
	struct session *ss = ctx;
	long long ms = (long long)ss->conf->idle_timeout * 1000;
	int n;

	if (len > 65536)
		len = 65536;
	if (ss->deadline != 0 && ss->deadline - clock_ms() < ms)
		ms = ss->deadline - clock_ms();
	if (ms <= 0) {
		snprintf(err, errlen, "%s", ss->deadline_why);
		return -1;
	}
	n = ssh_channel_read_timeout(ss->chan, buf, (uint32_t)len, 0,
	    (int)ms);
	if (n == SSH_ERROR) {
		snprintf(err, errlen, "connection lost: %s",
		    ssh_get_error(ss->s));
		return -1;
	}
	if (n > 0)
		return n;
	if (ssh_channel_is_eof(ss->chan) || !ssh_channel_is_open(ss->chan))
		return 0;
	if (ss->deadline != 0 && clock_ms() >= ss->deadline)
		snprintf(err, errlen, "%s", ss->deadline_why);
	else
		snprintf(err, errlen, "idle timeout (%d s without data)",
		    ss->conf->idle_timeout);
	return -1;
}

static int
chan_write_stream(struct session *ss, int is_stderr, const void *buf,
    size_t len, char *err, size_t errlen)
{
	const char *p = buf;

	while (len > 0) {
		uint32_t chunk = len > 32768 ? 32768 : (uint32_t)len;
		int n = is_stderr ? ssh_channel_write_stderr(ss->chan, p, chunk) :
		    ssh_channel_write(ss->chan, p, chunk);
		if (n == SSH_ERROR || n <= 0) {
			if (err != NULL)
				snprintf(err, errlen, "connection lost: %s",
				    ssh_get_error(ss->s));
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
chan_write(void *ctx, const void *buf, size_t len, char *err, size_t errlen)
{
	struct session *ss = ctx;

	if (len == 0) { /* a probe: is the client still there? */
		/* EOF only means no more input (ssh < /dev/null): not gone.  But
		 * after EOF libssh reads no more, so a client that died shows
		 * only on the socket: the peer closed its end */
		struct pollfd pfd = { ssh_get_fd(ss->s), POLLRDHUP, 0 };
		int r = ssh_channel_poll_timeout(ss->chan, 1, 0);
		if (r == SSH_ERROR || !ssh_channel_is_open(ss->chan) ||
		    !ssh_is_connected(ss->s) || (poll(&pfd, 1, 0) == 1 &&
		    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))) {
			snprintf(err, errlen, "the client went away");
			return -1;
		}
		return 0;
	}
	return chan_write_stream(ctx, 0, buf, len, err, errlen);
}

static int
chan_write_err(void *ctx, const void *buf, size_t len)
{
	return chan_write_stream(ctx, 1, buf, len, NULL, 0);
}

static int
chan_relay(void *ctx, struct oneoff_proc *p)
{
	struct session *ss = ctx;
	int rc;

	ss->pty_fd = p->err < 0 ? p->out : -1;
	rc = gitd_relay(ss->s, ss->chan, p);
	ss->pty_fd = -1;
	return rc;
}

static int
session_run_command(struct session *ss)
{
	struct gitd_ctx g;
	int rc;

	memset(&g, 0, sizeof(g));
	g.conf = ss->conf;
	g.st = ss->st;
	g.key = ss->key;
	g.io.in_out = (struct pkt_transport){ .read = chan_read,
	    .write = chan_write, .ctx = ss };
	g.io.write_err = chan_write_err;
	g.io.set_deadline = chan_deadline;
	g.io.relay = chan_relay;
	g.io.pty = ss->pty;
	g.io.ws = ss->ws;
	snprintf(g.io.term, sizeof(g.io.term), "%s", ss->term);
	if (ss->want_shell) {
		gitd_errorf(&g, "berth: no interactive shell here; try 'ssh"
		    " %s help'", "HOST");
		return 1;
	}
	rc = gitd_dispatch_line(&g, ss->command);
	ss->disk_quiet = disk_quiet(ss->conf, &g);
	return rc;
}

/* Whether the command left its app's repository (the only one a command
 * writes objects to) short of [upkeep] gc_auto_packs new packs, so the
 * daemon need not start an upkeep pass to count them (the pass is an
 * exec of berth, ~10 ms of CPU, after every push).  A repository that
 * cannot be read is not quiet: the pass looks. */
static int
disk_quiet(const struct conf *c, const struct gitd_ctx *g)
{
	char repo[PATH_MAX];
	int packs;

	if (c->gc_auto_packs == 0 || g->app.name[0] == '\0')
		return 1;
	if (gitd_repo_path(c, g->app.name, repo, sizeof(repo)) == -1 ||
	    (packs = upkeep_new_packs(repo)) == -1)
		return 0;
	return packs < c->gc_auto_packs;
}

/*
 * A push refused in the middle of its pack leaves the client writing the
 * rest, and until it has, its ssh neither shows our answer reliably nor
 * hangs up: a disconnect from our side then cuts the answer off.  So when
 * input is still waiting, read and drop it while it keeps coming, up to
 * max_push_size and 10 s.  A session whose client sends nothing more (a
 * command run from a terminal) does not wait at all.
 */
static void
session_drain(struct session *ss)
{
	char buf[32768];
	uint64_t total = 0;
	time_t end = time(NULL) + 10;
	int n;

	if (ssh_channel_poll(ss->chan, 0) <= 0)
		return;
	while (total < ss->conf->max_push_size && time(NULL) < end &&
	    ssh_channel_is_open(ss->chan) && !ssh_channel_is_eof(ss->chan)) {
		n = ssh_channel_read_timeout(ss->chan, buf, sizeof(buf), 0, 200);
		if (n <= 0)
			return;  /* an error, or 200 ms without data */
		total += (uint64_t)n;
	}
}

static void
session_close(struct session *ss, int status)
{
	ssh_event ev;

	if (ss->chan == NULL)
		return;
	(void)ssh_channel_request_send_exit_status(ss->chan, status);
	(void)ssh_channel_send_eof(ss->chan);
	session_drain(ss);
	(void)ssh_channel_close(ss->chan);
	/* let the client read everything and hang up first (at most 5 s) */
	if ((ev = ssh_event_new()) != NULL) {
		if (ssh_event_add_session(ev, ss->s) == SSH_OK) {
			for (int i = 0; i < 50 && ssh_is_connected(ss->s); i++)
				if (ssh_event_dopoll(ev, 100) == SSH_ERROR)
					break;
			ssh_event_remove_session(ev, ss->s);
		}
		ssh_event_free(ev);
	}
}
