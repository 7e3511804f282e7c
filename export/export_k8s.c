/*
 * export_k8s.c - Kubernetes objects for an exported image (see
 * export/export.h), as YAML documents: per process type a Deployment
 * (apps/v1) running the Procfile command with replicas from ps:scale, as
 * the image's non-root user; for web, its port, a readiness probe on the
 * health check path, a Service (v1) and, when the app has domains, an
 * Ingress (networking.k8s.io/v1).  Config vars are referenced by name
 * from a Secret APP-config that the operator creates; no value is written.
 * Every string from the user is quoted (export_quote.c); the structure
 * and keys are berth's own.
 */
#include "export/export_int.h"

#include <string.h>

/* "key: "value"" at indent. */
static void
ykv(struct export_out *w, int indent, const char *key, const char *value)
{
	export_printf(w, "%*s%s: ", indent, "", key);
	if (export_quote(w->f, value, 0) == -1)
		w->bad = 1;
	export_printf(w, "\n");
}

static void
labels(struct export_out *w, int indent, const char *type)
{
	ykv(w, indent, "app.kubernetes.io/name", w->r->app);
	if (type != NULL)
		ykv(w, indent, "berth.dev/process", type);
}

static void
meta(struct export_out *w, const char *name, const char *type)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", w->r->version);
	export_printf(w, "metadata:\n");
	ykv(w, 2, "name", name);
	export_printf(w, "  labels:\n");
	labels(w, 4, type);
	export_printf(w, "  annotations:\n");
	ykv(w, 4, "berth.dev/release", v);
	ykv(w, 4, "berth.dev/commit", w->r->commit);
}

/* command: ["argv0", ...] */
static void
command(struct export_out *w, const char *type)
{
	char cmd[PROC_LIST_MAX];
	const char *sep = "";

	if (procfile_command_of(w->r->procs, type, cmd, sizeof(cmd)) == -1) {
		w->bad = 1;
		return;
	}
	export_printf(w, "          command: [");
	for (char *p = cmd; *p;) {
		size_t n = strcspn(p, " \t");
		char c = p[n];
		p[n] = '\0';
		if (n > 0) {
			export_printf(w, "%s", sep);
			if (export_quote(w->f, p, 0) == -1)
				w->bad = 1;
			sep = ", ";
		}
		p += n + (c != '\0');
	}
	export_printf(w, "]\n");
}

static void
env(struct export_out *w, const char *secret)
{
	char port[16];

	snprintf(port, sizeof(port), "%d", w->r->port);
	export_printf(w, "          env:\n");
	export_printf(w, "            - name: \"PORT\"\n");
	ykv(w, 14, "value", port);
	for (size_t i = 0; i < w->r->nvars; i++) {
		export_printf(w, "            - name: ");
		if (export_quote(w->f, w->r->vars[i], 0) == -1)
			w->bad = 1;
		export_printf(w, "\n              valueFrom:\n"
		    "                secretKeyRef:\n");
		ykv(w, 18, "name", secret);
		ykv(w, 18, "key", w->r->vars[i]);
	}
}

static void
deployment(struct export_out *w, const char *type, int replicas,
    const char *image, const char *secret)
{
	char kt[PROC_NAME_MAX + 1], name[STORE_NAME_MAX + PROC_NAME_MAX + 2];
	int web = strcmp(type, "web") == 0;

	export_kname(type, kt, sizeof(kt));
	snprintf(name, sizeof(name), "%s-%s", w->r->app, kt);
	export_printf(w, "---\napiVersion: apps/v1\nkind: Deployment\n");
	meta(w, name, type);
	export_printf(w, "spec:\n  replicas: %d\n  selector:\n"
	    "    matchLabels:\n", replicas);
	labels(w, 6, type);
	export_printf(w, "  template:\n    metadata:\n      labels:\n");
	labels(w, 8, type);
	export_printf(w, "    spec:\n      securityContext:\n"
	    "        runAsNonRoot: true\n        runAsUser: %d\n"
	    "        runAsGroup: %d\n      containers:\n", w->r->uid,
	    w->r->uid);
	ykv(w, 8, "- name", kt);
	ykv(w, 10, "image", image);
	command(w, type);
	export_printf(w, "          workingDir: \"/app\"\n");
	env(w, secret);
	if (!web)
		return;
	export_printf(w, "          ports:\n            - name: \"http\"\n"
	    "              containerPort: %d\n", w->r->port);
	export_printf(w, "          readinessProbe:\n            httpGet:\n");
	ykv(w, 14, "path", w->r->health);
	export_printf(w, "              port: \"http\"\n"
	    "            periodSeconds: 5\n");
}

static void
service(struct export_out *w)
{
	export_printf(w, "---\napiVersion: v1\nkind: Service\n");
	meta(w, w->r->app, NULL);
	export_printf(w, "spec:\n  selector:\n");
	labels(w, 4, "web");
	export_printf(w, "  ports:\n    - name: \"http\"\n      port: 80\n"
	    "      targetPort: \"http\"\n");
}

static void
ingress(struct export_out *w)
{
	export_printf(w, "---\napiVersion: networking.k8s.io/v1\n"
	    "kind: Ingress\n");
	meta(w, w->r->app, NULL);
	export_printf(w, "spec:\n  rules:\n");
	for (size_t i = 0; i < w->r->ndomains; i++) {
		ykv(w, 4, "- host", w->r->domains[i]);
		export_printf(w, "      http:\n        paths:\n"
		    "          - path: \"/\"\n"
		    "            pathType: \"Prefix\"\n"
		    "            backend:\n              service:\n");
		ykv(w, 16, "name", w->r->app);
		export_printf(w, "                port:\n"
		    "                  name: \"http\"\n");
	}
}

int
export_k8s(const struct export_release *r, const char *image, FILE *f,
    char *err, size_t errlen)
{
	struct export_out w = { f, 0, r };
	char secret[STORE_NAME_MAX + 8];
	int web = 0;

	snprintf(secret, sizeof(secret), "%s-config", r->app);
	export_printf(&w, "# %s release %d (commit %.12s), written by berth"
	    " export.\n", r->app, r->version, r->commit);
	if (r->nvars > 0)
		export_printf(&w, "# The config vars are read from the Secret"
		    " %s, which this file does not\n# create: kubectl create"
		    " secret generic %s --from-literal=NAME=VALUE ...\n",
		    secret, secret);
	for (size_t i = 0; i < r->ntypes; i++) {
		deployment(&w, r->types[i], r->scale[i], image, secret);
		web |= strcmp(r->types[i], "web") == 0;
	}
	if (web)
		service(&w);
	if (web && r->ndomains > 0)
		ingress(&w);
	if (w.bad)
		snprintf(err, errlen, "cannot write the Kubernetes manifests");
	return w.bad ? -1 : 0;
}
