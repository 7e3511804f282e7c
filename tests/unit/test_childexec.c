/*
 * test_childexec.c - the daemon's config handed to its children
 * (core/childexec.h): what berth serve seals is what a child reads; the
 * memfd cannot be changed once sealed; a file that is not such a config,
 * or one from a build with another struct conf, is refused with a
 * message that says so; and a spawned child keeps the fds it was given
 * and no other.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/childexec.h"
#include "unit.h"

static struct conf a, b;

static int
memfd_with(const void *buf, size_t len)
{
	int fd = memfd_create("t", MFD_CLOEXEC);

	if (fd == -1 || write(fd, buf, len) != (ssize_t)len)
		return -1;
	return fd;
}

static void
round_trip(void)
{
	struct childexec x;
	char err[256] = "";

	memset(&a, 0, sizeof(a));
	snprintf(a.data_dir, sizeof(a.data_dir), "/var/lib/berth");
	a.listen_port = 2222;
	a.max_push_size = 1ULL << 30;
	snprintf(a.test_pause, sizeof(a.test_pause), "deploy-swap");
	CHECK(childexec_open(&x, &a, err, sizeof(err)) == 0);
	CHECK(x.berth_fd >= 0 && x.conf_fd >= 0);
	memset(&b, 0x55, sizeof(b));
	CHECK(childexec_conf(x.conf_fd, &b, err, sizeof(err)) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	/* sealed: neither a write nor a truncation goes through */
	CHECK(pwrite(x.conf_fd, "x", 1, 20) == -1 && errno == EPERM);
	CHECK(ftruncate(x.conf_fd, 8) == -1 && errno == EPERM);
	/* both close-on-exec in the daemon itself */
	CHECK(fcntl(x.conf_fd, F_GETFD) == FD_CLOEXEC);
	CHECK(fcntl(x.berth_fd, F_GETFD) == FD_CLOEXEC);
	close(x.conf_fd);
	close(x.berth_fd);
}

static void
refusals(void)
{
	char err[256] = "", buf[64 + sizeof(struct conf)];
	int fd;

	/* not a config at all */
	memset(buf, 'z', sizeof(buf));
	CHECK((fd = memfd_with(buf, sizeof(buf))) >= 0);
	CHECK(childexec_conf(fd, &b, err, sizeof(err)) == -1);
	CHECK(strstr(err, "holds no berth config") != NULL);
	close(fd);
	/* a header from a build whose struct conf is bigger */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "berthcf", 8);
	*(unsigned *)(buf + 8) = (unsigned)sizeof(struct conf) + 8;
	CHECK((fd = memfd_with(buf, sizeof(buf))) >= 0);
	CHECK(childexec_conf(fd, &b, err, sizeof(err)) == -1);
	CHECK(strstr(err, "another build of berth") != NULL);
	close(fd);
	/* cut short */
	CHECK((fd = memfd_with("berthcf", 8)) >= 0);
	CHECK(childexec_conf(fd, &b, err, sizeof(err)) == -1);
	close(fd);
	/* not even a file */
	CHECK(childexec_conf(-1, &b, err, sizeof(err)) == -1);
}

/* A spawned child runs the held binary with exactly the fds it keeps
 * (and the config's).  /bin/sh stands in for berth: given the argv
 * "berth __child CONF_FD conn KEPT PIPE" it runs the script "__child" in
 * the current directory, which lists its open fds into PIPE. */
static void
spawn_keeps_only_its_fds(void)
{
	struct childexec x;
	struct childexec_opts o = { { -1, -1, -1, -1 }, 0, 0 };
	char err[256], out[256] = "", dir[] = "/tmp/berth-childexec.XXXXXX";
	char want[64], skept[16], spipe[16], sother[16];
	const char *script = "cd /proc/$$/fd && echo \" $(echo *) \" >&$4\n";
	int p[2], kept, other, status, fd;
	ssize_t n;
	pid_t pid;

	memset(&a, 0, sizeof(a));
	CHECK(mkdtemp(dir) != NULL && chdir(dir) == 0);
	CHECK((fd = open("__child", O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0);
	CHECK(write(fd, script, strlen(script)) == (ssize_t)strlen(script));
	close(fd);
	CHECK(childexec_open(&x, &a, err, sizeof(err)) == 0);
	close(x.berth_fd);
	CHECK((x.berth_fd = open("/bin/sh", O_PATH | O_CLOEXEC)) >= 0);
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK((kept = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
	CHECK((other = open("/dev/null", O_RDONLY)) >= 0); /* not kept */
	o.keep[0] = kept;
	o.keep[1] = p[1];
	snprintf(skept, sizeof(skept), "%d", kept);
	snprintf(spipe, sizeof(spipe), "%d", p[1]);
	snprintf(sother, sizeof(sother), " %d ", other);
	CHECK(fcntl(other, F_SETFD, FD_CLOEXEC) == 0);
	pid = childexec_spawn(&x, &o, (const char *const[]){ "conn", skept,
	    spipe, NULL });
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	CHECK(n > 0);
	out[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), " %d ", x.conf_fd);
	CHECK(strstr(out, want) != NULL);
	snprintf(want, sizeof(want), " %d ", kept);
	CHECK(strstr(out, want) != NULL);
	snprintf(want, sizeof(want), " %d ", p[1]);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, sother) == NULL);
	/* and the front's own copies stay close-on-exec */
	CHECK(fcntl(kept, F_GETFD) == FD_CLOEXEC);
	close(p[0]);
	close(kept);
	close(other);
	close(x.berth_fd);
	close(x.conf_fd);
	CHECK(unlink("__child") == 0 && chdir("/") == 0 && rmdir(dir) == 0);
}

int
main(void)
{
	round_trip();
	refusals();
	spawn_keeps_only_its_fds();
	return unit_done();
}
