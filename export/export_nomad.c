/*
 * export_nomad.c - a Nomad job (HCL) for an exported image (see
 * export/export.h): one group per process type with its ps:scale count,
 * a docker task running the Procfile command as the image's user; for
 * web, a port mapped to the image's PORT and a service with an HTTP check
 * on the health check path.  Config vars come from the job's Nomad
 * Variables (nomad/jobs/APP) through a template into the task's env; no
 * value is written.  User strings are quoted for HCL (export_quote.c).
 */
#include "export/export_int.h"

#include <stdarg.h>
#include <string.h>

struct hw {
	FILE *f;
	int bad;
	const struct export_release *r;
};

static void hraw(struct hw *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
hraw(struct hw *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vfprintf(w->f, fmt, ap) < 0)
		w->bad = 1;
	va_end(ap);
}

static void
hq(struct hw *w, const char *s)
{
	if (export_quote(w->f, s, 1) == -1)
		w->bad = 1;
}

/* key = "value" at indent. */
static void
hkv(struct hw *w, int indent, const char *key, const char *value)
{
	hraw(w, "%*s%s = ", indent, "", key);
	hq(w, value);
	hraw(w, "\n");
}

/* command = "argv0" and args = [...] */
static void
command(struct hw *w, const char *type)
{
	char cmd[PROC_LIST_MAX];
	const char *sep = "";
	size_t n = 0;

	if (procfile_command_of(w->r->procs, type, cmd, sizeof(cmd)) == -1) {
		w->bad = 1;
		return;
	}
	for (char *p = cmd; *p; n++) {
		size_t len = strcspn(p, " \t");
		char c = p[len];
		p[len] = '\0';
		if (n == 0) {
			hkv(w, 8, "command", p);
			hraw(w, "        args = [");
		} else {
			hraw(w, "%s", sep);
			hq(w, p);
			sep = ", ";
		}
		p += len + (c != '\0');
		p += strspn(p, " \t");
	}
	hraw(w, "]\n");
}

static void
web_parts(struct hw *w)
{
	char name[STORE_NAME_MAX + 8];

	snprintf(name, sizeof(name), "%s-web", w->r->app);
	hraw(w, "    network {\n      port \"http\" {\n        to = %d\n"
	    "      }\n    }\n", w->r->port);
	hraw(w, "    service {\n");
	hkv(w, 6, "name", name);
	hraw(w, "      port = \"http\"\n      check {\n"
	    "        type = \"http\"\n");
	hkv(w, 8, "path", w->r->health);
	hraw(w, "        interval = \"10s\"\n        timeout = \"2s\"\n"
	    "      }\n    }\n");
}

static void
group(struct hw *w, const char *type, int count, const char *image)
{
	char port[16], user[32], tmpl[512];
	int web = strcmp(type, "web") == 0;

	snprintf(port, sizeof(port), "%d", w->r->port);
	snprintf(user, sizeof(user), "%d:%d", w->r->uid, w->r->uid);
	hraw(w, "  group ");
	hq(w, type);
	hraw(w, " {\n    count = %d\n", count);
	if (web)
		web_parts(w);
	hraw(w, "    task ");
	hq(w, type);
	hraw(w, " {\n      driver = \"docker\"\n");
	hkv(w, 6, "user", user);
	hraw(w, "      config {\n");
	hkv(w, 8, "image", image);
	command(w, type);
	hraw(w, "        work_dir = \"/app\"\n");
	if (web)
		hraw(w, "        ports = [\"http\"]\n");
	hraw(w, "      }\n      env {\n");
	hkv(w, 8, "PORT", port);
	hraw(w, "      }\n");
	if (w->r->nvars == 0) {
		hraw(w, "    }\n  }\n");
		return;
	}
	snprintf(tmpl, sizeof(tmpl), "{{ with nomadVar \"nomad/jobs/%s\" }}"
	    "{{ range .Tuples }}{{ .K }}={{ .V | toJSON }}\n{{ end }}{{ end }}",
	    w->r->app);
	hraw(w, "      template {\n");
	hkv(w, 8, "data", tmpl);
	hraw(w, "        destination = \"secrets/config.env\"\n"
	    "        env = true\n      }\n    }\n  }\n");
}

int
export_nomad(const struct export_release *r, const char *image, FILE *f,
    char *err, size_t errlen)
{
	struct hw w = { f, 0, r };
	char v[16];

	snprintf(v, sizeof(v), "%d", r->version);
	hraw(&w, "# %s release %d (commit %.12s), written by berth export.\n",
	    r->app, r->version, r->commit);
	if (r->nvars > 0) {
		hraw(&w, "# Its config vars are read from the Nomad Variables at"
		    " nomad/jobs/%s:", r->app);
		for (size_t i = 0; i < r->nvars; i++)
			hraw(&w, " %s", r->vars[i]);
		hraw(&w, "\n");
	}
	hraw(&w, "job ");
	hq(&w, r->app);
	hraw(&w, " {\n  type = \"service\"\n  meta {\n");
	hkv(&w, 4, "berth_release", v);
	hkv(&w, 4, "berth_commit", r->commit);
	hraw(&w, "  }\n");
	for (size_t i = 0; i < r->ntypes; i++)
		group(&w, r->types[i], r->scale[i], image);
	hraw(&w, "}\n");
	if (w.bad)
		snprintf(err, errlen, "cannot write the Nomad job");
	return w.bad ? -1 : 0;
}
