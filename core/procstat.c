/*
 * procstat.c - /proc/PID/stat's utime, stime (fields 14, 15) and rss
 * (field 24), read after the command name's closing parenthesis: the
 * name itself may hold spaces and parentheses.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/procstat.h"

int
procstat_get(pid_t pid, struct procstat *out)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long long rss;
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	size_t n;
	FILE *f;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (pid <= 0 || tick <= 0 || page <= 0 ||
	    (f = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after ") ": state(3) ... utime(14) stime(15) ... rss(24) */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d"
	    " %*d %*d %*d %*d %*u %*u %lld", &ut, &st, &rss) != 3)
		return -1;
	out->cpu_s = (double)(ut + st) / (double)tick;
	out->rss_bytes = rss * page;
	return 0;
}
