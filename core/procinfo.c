/*
 * procinfo.c - reading /proc/PID/status; see procinfo.h.
 */
#include "core/procinfo.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/num.h"

/* The value after "Name:\t" on a line of status text, or NULL. */
static const char *
field(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *l = text;

	while (l != NULL) {
		if (strncmp(l, name, n) == 0 && l[n] == ':')
			return l + n + 1 + strspn(l + n + 1, " \t");
		if ((l = strchr(l, '\n')) != NULL)
			l++;
	}
	return NULL;
}

int
procinfo_get(pid_t pid, struct procinfo *out)
{
	char path[64], buf[2048];
	const char *uid, *ppid, *state;
	long long u, pp;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((uid = field(buf, "Uid")) == NULL ||
	    (ppid = field(buf, "PPid")) == NULL ||
	    (state = field(buf, "State")) == NULL ||
	    num_prefix(uid, 0, UINT32_MAX, &u, NULL) == -1 ||
	    num_prefix(ppid, 0, INT32_MAX, &pp, NULL) == -1)
		return -1;
	out->uid = (uid_t)u;
	out->ppid = (pid_t)pp;
	out->state = *state;
	return 0;
}

int
procinfo_running(const struct procinfo *pi)
{
	return pi->state != 'Z' && pi->state != 'X';
}

int
procinfo_uid_running(uid_t uid, pid_t except)
{
	struct procinfo pi;
	struct dirent *de;
	DIR *d;
	int found = 0;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while (!found && (de = readdir(d)) != NULL) {
		long long pid;
		if (num_parse(de->d_name, 1, INT32_MAX, &pid) == -1 ||
		    pid == (long long)except)
			continue;
		found = procinfo_get((pid_t)pid, &pi) == 0 && pi.uid == uid &&
		    procinfo_running(&pi);
	}
	closedir(d);
	return found;
}

int
procinfo_kill_children(void)
{
	char path[64], buf[4096];
	const char *p, *end;
	long long pid;
	ssize_t n;
	int fd, count = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
	    (long)getpid());
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	for (p = buf + strspn(buf, " \n"); *p; p = end + strspn(end, " \n")) {
		if (num_prefix(p, 0, INT32_MAX, &pid, &end) == -1)
			break;
		if (pid > 1 && kill((pid_t)pid, SIGKILL) == 0)
			count++;
	}
	return count;
}
