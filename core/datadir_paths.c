/*
 * datadir_paths.c - the data dir's layout, one function per place (see
 * datadir.h); nothing else in the tree spells "%s/apps/%s/...".  An app
 * name is checked (core/names.h) here, where it becomes a path, whatever
 * checked it where it came in.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/datadir.h"
#include "core/names.h"
#include "core/path.h"

/* DATA/apps/APP followed by what fmt adds ("" for the app dir itself). */
static int
app_pathf(const char *data_dir, const char *app, char *out, size_t len,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
app_pathf(const char *data_dir, const char *app, char *out, size_t len,
    const char *fmt, ...)
{
	char tail[64];
	va_list ap;
	int n;

	if (name_app_valid(app, NULL, 0) == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tail))
		return -1;
	return pathf(out, len, "%s/apps/%s%s", data_dir, app, tail);
}

int
datadir_path(const char *data_dir, const char *name, char *out, size_t len)
{
	return pathf(out, len, "%s/%s", data_dir, name);
}

int
datadir_db(const char *data_dir, char *out, size_t len)
{
	return datadir_path(data_dir, "berth.db", out, len);
}

int
datadir_app(const char *data_dir, const char *app, char *out, size_t len)
{
	return app_pathf(data_dir, app, out, len, "%s", "");
}

int
datadir_app_part(const char *data_dir, const char *app, const char *part,
    char *out, size_t len)
{
	return app_pathf(data_dir, app, out, len, "/%s", part);
}

int
datadir_release(const char *data_dir, const char *app, int version,
    char *out, size_t len)
{
	return app_pathf(data_dir, app, out, len, "/releases/%d", version);
}

int
datadir_run(const char *data_dir, const char *app, long long proc_id,
    char *out, size_t len)
{
	return app_pathf(data_dir, app, out, len, "/run/%lld", proc_id);
}

int
datadir_repo(const char *data_dir, const char *app, char *out, size_t len)
{
	if (name_app_valid(app, NULL, 0) == -1)
		return -1;
	return pathf(out, len, "%s/repos/%s.git", data_dir, app);
}

int
datadir_lock(const char *data_dir, const char *name, char *out, size_t len)
{
	return pathf(out, len, "%s/locks/%s", data_dir, name);
}
