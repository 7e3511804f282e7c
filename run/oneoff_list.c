/*
 * oneoff_list.c - the attached one-offs of an app that `ps` lists: one
 * file per one-off in DATA/apps/APP/oneoff/, named by its pid, holding
 * "VERSION STARTED COMMAND" (the command cut to a line of 200 bytes,
 * printable only).  The connection process running it writes the file
 * and removes it when it ends; an entry whose process is gone (the
 * connection was killed) is removed by the next listing.
 */
#include "run/oneoff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/datadir.h"
#include "core/log.h"
#include "core/names.h"
#include "core/num.h"
#include "core/path.h"
#include "core/text.h"
#include "run/oneoff_int.h"

static int
list_dir(const struct conf *c, const char *app, char *out, size_t len)
{
	return datadir_app_part(c->data_dir, app, "oneoff", out, len);
}

/* The command as one short printable line. */
static void
command_line(char *const *argv, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; argv[i] != NULL && n + 1 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? " " : "",
		    argv[i]);
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
}

void
oneoff_list_add(const struct oneoff *o, struct oneoff_proc *p)
{
	char dir[PATH_MAX], cmd[201];
	FILE *f;
	int fd;

	if (list_dir(o->conf, o->app->name, dir, sizeof(dir)) == -1 ||
	    (mkdir(dir, 0700) == -1 && errno != EEXIST) ||
	    pathf(p->listed, sizeof(p->listed), "%s/%ld", dir,
	    (long)p->pid) == -1) {
		p->listed[0] = '\0';
		return;
	}
	command_line(o->argv, cmd, sizeof(cmd));
	if ((fd = open(p->listed, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("cannot list one-off %ld", (long)p->pid);
		if (fd >= 0)
			close(fd);
		p->listed[0] = '\0';
		return;
	}
	fprintf(f, "%d %lld %s\n", o->version, (long long)time(NULL), cmd);
	if (fclose(f) == EOF)
		log_warn("cannot list one-off %ld", (long)p->pid);
}

void
oneoff_list_remove(struct oneoff_proc *p)
{
	if (p->listed[0] != '\0' && unlink(p->listed) == -1 && errno != ENOENT)
		log_warn("cannot unlist one-off %ld", (long)p->pid);
	p->listed[0] = '\0';
}

/* Read one entry; 1 when it names a one-off that still runs, -1 when
 * its process is gone, 0 when it is not one (or not written yet). */
static int
read_entry(int dfd, const char *name, struct oneoff_info *info)
{
	char buf[512];
	long long started;
	ssize_t n;
	long long pid;
	int fd, off = 0;

	if (num_parse(name, 2, 1 << 22, &pid) == -1)
		return 0;
	if (kill((pid_t)pid, 0) == -1 && errno == ESRCH)
		return -1;
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	info->pid = (pid_t)pid;
	if (sscanf(buf, "%d %lld %n", &info->version, &started, &off) < 2 ||
	    off == 0)
		return 0;
	info->started = (time_t)started;
	snprintf(info->command, sizeof(info->command), "%s", buf + off);
	return 1;
}

int
oneoff_each(const struct conf *c, const char *app,
    int (*fn)(void *arg, const struct oneoff_info *info), void *arg)
{
	struct oneoff_info info;
	struct dirent *de;
	char dir[PATH_MAX];
	DIR *d;
	int rc = 0;

	if (list_dir(c, app, dir, sizeof(dir)) == -1)
		return -1;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		memset(&info, 0, sizeof(info));
		switch (read_entry(dirfd(d), de->d_name, &info)) {
		case 1:
			rc = fn(arg, &info);
			break;
		case -1:
			(void)unlinkat(dirfd(d), de->d_name, 0);
			break;
		}
	}
	closedir(d);
	return rc;
}
