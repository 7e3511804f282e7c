/*
 * test_limits.c - unit tests of gitd/gitd_limits.c with addresses no
 * loopback test can use: an IPv6 attacker with a whole /48 (65,536 /64s)
 * holds a quarter of the login slots at most, and its logins make room
 * for a newcomer; a login that has waited auth_timeout_busy makes room
 * when every slot is held by a different site; logins that finished free
 * their slot.  Each admitted connection is a real child process, so a
 * drop is seen as the SIGKILL it is.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "gitd/gitd_limits.h"
#include "unit.h"

#define KIDS 32

static pid_t kids[KIDS];
static int nkids;
static int hold[2] = { -1, -1 }; /* children wait on it; closed to end them */

static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, text, &s4->sin_addr);
	}
	return ss;
}

/* Admit a connection from text; if admitted, a child stands for it.
 * Returns the child's pid, or -1 when refused. */
static pid_t
connect_from(struct limits *l, const char *text)
{
	struct sockaddr_storage ss = addr(text);
	char shown[64];
	int slot = limits_admit(l, &ss, shown, sizeof(shown));
	pid_t pid;

	if (slot == -1)
		return -1;
	if ((pid = fork()) == 0) {
		char c;
		close(hold[1]);
		_exit(read(hold[0], &c, 1) == 0 ? 0 : 1);
	}
	limits_started(l, slot, pid);
	if (nkids < KIDS)
		kids[nkids++] = pid;
	return pid;
}

/* 1 when pid was killed by SIGKILL (and reap it into the limits). */
static int
was_dropped(struct limits *l, pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return 0;
	limits_exited(l, pid, status);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

/* End every child still there (they see the pipe close) and reap them. */
static void
end_all(struct limits *l)
{
	int status;

	close(hold[1]);
	for (int i = 0; i < nkids; i++)
		if (waitpid(kids[i], &status, 0) == kids[i])
			limits_exited(l, kids[i], status);
	nkids = 0;
	close(hold[0]);
	if (pipe(hold) == -1)
		CHECK(0);
}

static void
test_ipv6_site(struct limits *l)
{
	pid_t first, p;
	char a[64];

	/* one /48, different /64s: two logins (a quarter of 8), not three */
	CHECK((first = connect_from(l, "2001:db8:1:1::1")) > 0);
	CHECK(connect_from(l, "2001:db8:1:2::1") > 0);
	CHECK(connect_from(l, "2001:db8:1:3::1") == -1);
	/* three more /48s fill the slots */
	for (int i = 2; i <= 4; i++)
		for (int j = 0; j < 2; j++) {
			snprintf(a, sizeof(a), "2001:db8:%d:%d::1", i, j);
			CHECK(connect_from(l, a) > 0);
		}
	/* a newcomer takes the slot of the first site's oldest login */
	CHECK((p = connect_from(l, "2001:db8:99::1")) > 0);
	CHECK(was_dropped(l, first));
	/* the attacker's /48 comes back: it holds less than the others now,
	 * but nobody has waited long enough to give way */
	CHECK(connect_from(l, "2001:db8:1:7::1") == -1);
	/* logging in frees a slot: the attacker takes it, no one is dropped */
	limits_login(l, p);
	CHECK(connect_from(l, "2001:db8:1:7::1") > 0);
	end_all(l);
	CHECK(limits_children(l) == 0);
}

static void
test_busy_deadline(struct limits *l)
{
	pid_t first = -1, p;
	char a[64];

	/* eight sites, one login each: no site holds more than a newcomer
	 * would, so the newcomer waits for the oldest to be a second old */
	for (int i = 0; i < 8; i++) {
		snprintf(a, sizeof(a), "192.0.2.%d", i + 1);
		p = connect_from(l, a);
		CHECK(p > 0);
		if (i == 0)
			first = p;
	}
	CHECK(connect_from(l, "198.51.100.1") == -1);
	sleep(1);
	CHECK(connect_from(l, "198.51.100.1") > 0);
	CHECK(was_dropped(l, first));
	/* but not for a second login of a site that already holds one */
	sleep(1);
	CHECK(connect_from(l, "198.51.100.1") == -1);
	end_all(l);
}

int
main(void)
{
	struct conf c;
	struct limits *l;

	conf_defaults(&c);
	c.max_unauthenticated = 8;
	c.max_connections = 20;
	c.auth_timeout_busy = 1;
	if ((l = limits_new(&c)) == NULL || pipe(hold) == -1)
		return 1;
	test_ipv6_site(l);
	test_busy_deadline(l);
	limits_free(l);
	return unit_done();
}
