/*
 * router_listen.c - who holds a TCP listening address (see router.h,
 * "Listeners").  The sockets in LISTEN state come from /proc/net/tcp and
 * /proc/net/tcp6 (a wildcard address on the same port counts: a bind
 * there conflicts), their holders from the socket:[INODE] links in
 * /proc/PID/fd, their commands from /proc/PID/cmdline.
 *
 * The managed proxy must be alone on http_listen: Caddy binds with
 * SO_REUSEPORT, so a second Caddy on the same port (a second berth, one
 * left from an earlier run) starts without error and the kernel splits
 * the requests between proxies that route different apps.  So berth looks
 * before it starts its proxy, and again after, and names the holder.
 */
#include "router/router.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/num.h"

#define SOCKETS_MAX 64

/* An address as the kernel's tables compare it. */
struct addr {
	int v6;
	unsigned char b[16];
};

struct sockets {
	unsigned long inode[SOCKETS_MAX];
	uid_t uid[SOCKETS_MAX];
	size_t n;
};

static int
parse_addr(const char *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1)
		return 0;
	a->v6 = 1;
	return inet_pton(AF_INET6, s, a->b) == 1 ? 0 : -1;
}

static int
is_any(const struct addr *a)
{
	static const unsigned char zero[16];

	return memcmp(a->b, zero, a->v6 ? 16 : 4) == 0;
}

/* The kernel prints each 32-bit word of the address in host order. */
static int
parse_hex(const char *hex, struct addr *a)
{
	size_t len = strlen(hex);

	memset(a, 0, sizeof(*a));
	if (len != 8 && len != 32)
		return -1;
	a->v6 = len == 32;
	for (size_t w = 0; w < len / 8; w++) {
		char word[9];
		unsigned long long x;
		uint32_t v;
		memcpy(word, hex + w * 8, 8);
		word[8] = '\0';
		if (num_parse_hex(word, UINT32_MAX, &x) == -1)
			return -1;
		v = (uint32_t)x;
		memcpy(a->b + w * 4, &v, 4);
	}
	/* ::ffff:a.b.c.d is the IPv4 address a.b.c.d */
	if (a->v6 && memcmp(a->b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
		memmove(a->b, a->b + 12, 4);
		memset(a->b + 4, 0, 12);
		a->v6 = 0;
	}
	return 0;
}

/* Would a bind to want conflict with a listener on have (same port)? */
static int
conflicts(const struct addr *want, const struct addr *have)
{
	if (want->v6 != have->v6)  /* a dual-stack wildcard takes both */
		return (want->v6 && is_any(want)) || (have->v6 && is_any(have));
	return is_any(want) || is_any(have) ||
	    memcmp(want->b, have->b, want->v6 ? 16 : 4) == 0;
}

static void
scan_table(const char *path, const struct addr *want, int port,
    struct sockets *out)
{
	char line[512], hex[40];
	unsigned int lport, state;
	unsigned long inode;
	unsigned int uid;
	struct addr have;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL && out->n < SOCKETS_MAX) {
		if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x"
		    " %*x:%*x %*x:%*x %*x %u %*d %lu", hex, &lport, &state, &uid,
		    &inode) != 5 || state != 0x0A || (int)lport != port ||
		    parse_hex(hex, &have) == -1 || !conflicts(want, &have))
			continue;
		out->inode[out->n] = inode;
		out->uid[out->n++] = (uid_t)uid;
	}
	fclose(f);
}

/* Which of the sockets does process pid hold?  Index, or -1. */
static int
holds(const char *pid, const struct sockets *s)
{
	char dir[64], path[PATH_MAX], link[64];
	struct dirent *de;
	unsigned long inode;
	ssize_t n;
	DIR *d;
	int found = -1;

	snprintf(dir, sizeof(dir), "/proc/%.20s/fd", pid);
	if ((d = opendir(dir)) == NULL)
		return -1;
	while (found == -1 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < 0 ||
		    (n = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &inode) != 1)
			continue;
		for (size_t i = 0; i < s->n; i++)
			if (s->inode[i] == inode)
				found = (int)i;
	}
	closedir(d);
	return found;
}

void
router_cmdline(pid_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(out, len, "?");
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(out, len, "?");
		return;
	}
	out[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (out[i] == '\0' || !isprint((unsigned char)out[i]))
			out[i] = ' ';
	while (n > 0 && out[n - 1] == ' ')
		out[--n] = '\0';
}

int
router_holders(const char *addr, int port, struct holder *out, size_t max,
    size_t *n)
{
	struct sockets s = { .n = 0 };
	struct addr want;
	struct dirent *de;
	int seen[SOCKETS_MAX] = { 0 };
	DIR *d;

	*n = 0;
	if (parse_addr(addr, &want) == -1)
		return -1;
	scan_table("/proc/net/tcp", &want, port, &s);
	scan_table("/proc/net/tcp6", &want, port, &s);
	if (s.n == 0)
		return 0;
	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && *n < max) {
		long long pid;
		int i;
		if (num_parse(de->d_name, 1, INT32_MAX, &pid) == -1 ||
		    (i = holds(de->d_name, &s)) == -1)
			continue;
		seen[i] = 1;
		out[*n].pid = (pid_t)pid;
		out[*n].uid = s.uid[i];
		router_cmdline(out[*n].pid, out[*n].cmd, sizeof(out[*n].cmd));
		(*n)++;
	}
	closedir(d);
	/* a socket whose holder /proc does not show (another user's, when
	 * berth is not root) still counts */
	for (size_t i = 0; i < s.n && *n < max; i++)
		if (!seen[i]) {
			out[*n].pid = 0;
			out[*n].uid = s.uid[i];
			snprintf(out[*n].cmd, sizeof(out[*n].cmd), "?");
			(*n)++;
		}
	return 0;
}

void
router_holder_describe(const struct holder *h, char *out, size_t len)
{
	if (h->pid == 0)
		snprintf(out, len, "a process of uid %lu that berth cannot see",
		    (unsigned long)h->uid);
	else
		snprintf(out, len, "pid %ld (%.120s)", (long)h->pid, h->cmd);
}

int
router_holds_file(pid_t pid, const char *path)
{
	char dir[64], fd[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	int found = 0;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    snprintf(fd, sizeof(fd), "%s/%s", dir, de->d_name) < 0 ||
		    (n = readlink(fd, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, path) == 0;
	}
	closedir(d);
	return found;
}

void
router_kill_wait(pid_t pid, int sig, int seconds)
{
	if (pid <= 1 || kill(pid, sig) == -1)
		return;
	for (int i = 0; i < seconds * 20 && router_alive(pid); i++)
		usleep(50000);
	if (router_alive(pid))
		(void)kill(pid, SIGKILL);
}

static void
listen_name(const struct conf *c, char *out, size_t len)
{
	int v6 = strchr(c->http_listen_addr, ':') != NULL;

	snprintf(out, len, "%s%s%s:%d", v6 ? "[" : "", c->http_listen_addr,
	    v6 ? "]" : "", c->http_listen_port);
}

int
router_listen_free(const struct conf *c, const char *proxy, char *err,
    size_t errlen)
{
	struct holder h[HOLDERS_MAX];
	char where[96], who[256];
	size_t n;

	listen_name(c, where, sizeof(where));
	if (router_holders(c->http_listen_addr, c->http_listen_port, h,
	    HOLDERS_MAX, &n) == -1) {
		snprintf(err, errlen, "[router] http_listen '%s' is not a numeric"
		    " address", where);
		return -1;
	}
	if (n == 0)
		return 0;
	router_holder_describe(&h[0], who, sizeof(who));
	snprintf(err, errlen, "not starting %s: %s is already in use by %s%s;"
	    " stop it, or set [router] http_listen to a free address", proxy,
	    where, who, n > 1 ? " (and others)" : "");
	return -1;
}

int
router_listen_ours(const struct conf *c, const char *proxy,
    int (*ours)(pid_t, void *), void *arg, char *err, size_t errlen)
{
	struct holder h[HOLDERS_MAX];
	char where[96], who[256];
	size_t n;

	listen_name(c, where, sizeof(where));
	if (router_holders(c->http_listen_addr, c->http_listen_port, h,
	    HOLDERS_MAX, &n) == -1) {
		snprintf(err, errlen, "[router] http_listen '%s' is not a numeric"
		    " address", where);
		return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s started but does not listen on %s",
		    proxy, where);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (h[i].pid == 0 || !ours(h[i].pid, arg)) {
			router_holder_describe(&h[i], who, sizeof(who));
			snprintf(err, errlen, "%s would share %s with %s, which"
			    " started listening there too (requests would be"
			    " split between them): stopped %s; stop the other,"
			    " or set [router] http_listen to a free address",
			    proxy, where, who, proxy);
			return -1;
		}
	return 0;
}
