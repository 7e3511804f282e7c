/*
 * procstat.h - a running process's resident memory and CPU time, from
 * /proc/PID/stat, for the listings (`apps:info`, the dashboard).
 */
#ifndef BERTH_PROCSTAT_H
#define BERTH_PROCSTAT_H

#include <sys/types.h>

struct procstat {
	long long rss_bytes;
	double cpu_s;       /* user + system, seconds */
};

/* 0, or -1 when pid is gone or /proc cannot be read (out zeroed). */
int procstat_get(pid_t pid, struct procstat *out);

#endif
