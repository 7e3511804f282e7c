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

#include <string.h>

static void
hq(struct export_out *w, const char *s)
{
	if (export_quote(w->f, s, 1) == -1)
		w->bad = 1;
}

/* key = "value" at indent. */
static void
hkv(struct export_out *w, int indent, const char *key, const char *value)
{
	export_printf(w, "%*s%s = ", indent, "", key);
	hq(w, value);
	export_printf(w, "\n");
}

/* command = "argv0" and args = [...] */
static void
command(struct export_out *w, const char *type)
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
			export_printf(w, "        args = [");
		} else {
			export_printf(w, "%s", sep);
			hq(w, p);
			sep = ", ";
		}
		p += len + (c != '\0');
		p += strspn(p, " \t");
	}
	export_printf(w, "]\n");
}

static void
web_parts(struct export_out *w)
{
	char name[STORE_NAME_MAX + 8];

	snprintf(name, sizeof(name), "%s-web", w->r->app);
	export_printf(w, "    network {\n      port \"http\" {\n"
	    "        to = %d\n      }\n    }\n", w->r->port);
	export_printf(w, "    service {\n");
	hkv(w, 6, "name", name);
	export_printf(w, "      port = \"http\"\n      check {\n"
	    "        type = \"http\"\n");
	hkv(w, 8, "path", w->r->health);
	export_printf(w, "        interval = \"10s\"\n"
	    "        timeout = \"2s\"\n      }\n    }\n");
}

static void
group(struct export_out *w, const char *type, int count, const char *image)
{
	char port[16], user[32], tmpl[512];
	int web = strcmp(type, "web") == 0;

	snprintf(port, sizeof(port), "%d", w->r->port);
	snprintf(user, sizeof(user), "%d:%d", w->r->uid, w->r->uid);
	export_printf(w, "  group ");
	hq(w, type);
	export_printf(w, " {\n    count = %d\n", count);
	if (web)
		web_parts(w);
	export_printf(w, "    task ");
	hq(w, type);
	export_printf(w, " {\n      driver = \"docker\"\n");
	hkv(w, 6, "user", user);
	export_printf(w, "      config {\n");
	hkv(w, 8, "image", image);
	command(w, type);
	export_printf(w, "        work_dir = \"/app\"\n");
	if (web)
		export_printf(w, "        ports = [\"http\"]\n");
	export_printf(w, "      }\n      env {\n");
	hkv(w, 8, "PORT", port);
	export_printf(w, "      }\n");
	if (w->r->nvars == 0) {
		export_printf(w, "    }\n  }\n");
		return;
	}
	snprintf(tmpl, sizeof(tmpl), "{{ with nomadVar \"nomad/jobs/%s\" }}"
	    "{{ range .Tuples }}{{ .K }}={{ .V | toJSON }}\n{{ end }}{{ end }}",
	    w->r->app);
	export_printf(w, "      template {\n");
	hkv(w, 8, "data", tmpl);
	export_printf(w, "        destination = \"secrets/config.env\"\n"
	    "        env = true\n      }\n    }\n  }\n");
}

int
export_nomad(const struct export_release *r, const char *image, FILE *f,
    char *err, size_t errlen)
{
	struct export_out w = { f, 0, r };
	char v[16];

	snprintf(v, sizeof(v), "%d", r->version);
	export_printf(&w, "# %s release %d (commit %.12s), written by berth"
	    " export.\n", r->app, r->version, r->commit);
	if (r->nvars > 0) {
		export_printf(&w, "# Its config vars are read from the Nomad"
		    " Variables at nomad/jobs/%s:", r->app);
		for (size_t i = 0; i < r->nvars; i++)
			export_printf(&w, " %s", r->vars[i]);
		export_printf(&w, "\n");
	}
	export_printf(&w, "job ");
	hq(&w, r->app);
	export_printf(&w, " {\n  type = \"service\"\n  meta {\n");
	hkv(&w, 4, "berth_release", v);
	hkv(&w, 4, "berth_commit", r->commit);
	export_printf(&w, "  }\n");
	for (size_t i = 0; i < r->ntypes; i++)
		group(&w, r->types[i], r->scale[i], image);
	export_printf(&w, "}\n");
	if (w.bad)
		snprintf(err, errlen, "cannot write the Nomad job");
	return w.bad ? -1 : 0;
}
