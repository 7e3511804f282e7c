/*
 * web_defer.c - slow work out of the endpoint's way (web.h's web_defer):
 * a forked child runs it while the endpoint answers other requests.  The
 * endpoint is single-threaded (web_server.c), so the fork is safe; its
 * loop reaps the children.  The child closes every descriptor but 0-2
 * first: the clients' sockets and the listening one are the endpoint's,
 * and a connection must end when the endpoint closes it.
 */
#include <signal.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/log.h"
#include "web/web.h"

int
web_defer(const struct web_req *req, const char *what,
    int (*fn)(const struct conf *conf, void *arg), void *arg)
{
	pid_t pid;

	if ((pid = fork()) == -1) {
		log_warn("web: cannot fork for %s", what);
		return -1;
	}
	if (pid == 0) {
		(void)prctl(PR_SET_NAME, "berth-web-job", 0, 0, 0);
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_DFL);
		(void)signal(SIGPIPE, SIG_DFL);
		(void)close_range(3, ~0U, 0);
		_exit(fn(req->conf, arg));
	}
	log_debug("web: %s runs as process %ld", what, (long)pid);
	return 0;
}
