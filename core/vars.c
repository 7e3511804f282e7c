/*
 * vars.c - loading, setting and naming config vars; see vars.h.
 */
#include "core/grow.h"
#include "core/vars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secret.h"

struct load {
	const struct secret *key;
	const char *app; /* the app's id, as text: stable across renames */
	struct vars *out;
	size_t cap;
	int failed;
	char failed_name[VAR_NAME_MAX + 1];
};

static int
load_one(void *arg, const char *name, const void *blob, size_t len)
{
	struct load *l = arg;
	char *plain;
	size_t plen;

	if (grow(&l->out->v, &l->cap, l->out->n, sizeof(*l->out->v), 16) == -1)
		return l->failed = 1;
	if ((plain = malloc(len + 1)) == NULL)
		return l->failed = 1;
	if (secret_open(l->key, l->app, name, blob, len, plain, &plen) == -1) {
		free(plain);
		snprintf(l->failed_name, sizeof(l->failed_name), "%s", name);
		return l->failed = 1;
	}
	for (size_t i = 0; i < l->out->n; i++)
		if (strcmp(l->out->v[i].name, name) == 0) {
			/* a preview's own value over its app's */
			free(l->out->v[i].value);
			l->out->v[i].value = plain;
			return 0;
		}
	l->out->v[l->out->n].name = strdup(name);
	l->out->v[l->out->n].value = plain;
	if (l->out->v[l->out->n].name == NULL) {
		free(plain);
		return l->failed = 1;
	}
	l->out->n++;
	return 0;
}

int
vars_load(const struct conf *c, struct store *st, const struct app_rec *app,
    struct vars *out, char *err, size_t errlen)
{
	struct secret key;
	char id[32];
	struct load l = { &key, id, out, 0, 0, "" };
	int dbfail = 0;

	memset(out, 0, sizeof(*out));
	if (secret_load(c, &key, err, errlen) == -1)
		return -1;
	/* a preview (core/preview.h) has its app's vars, then its own */
	for (int pass = app->parent_id ? 0 : 1; pass < 2 && !l.failed &&
	    !dbfail; pass++) {
		int64_t of = pass == 0 ? app->parent_id : app->id;
		snprintf(id, sizeof(id), "app:%lld", (long long)of);
		dbfail = store_config_each(st, of, load_one, &l) == -1;
	}
	if (dbfail || l.failed) {
		if (l.failed_name[0])
			snprintf(err, errlen, "config var '%s' does not open with"
			    " this data dir's key", l.failed_name);
		else
			snprintf(err, errlen, "%s", l.failed ? "out of memory" :
			    store_error(st));
		vars_free(out);
		return -1;
	}
	return 0;
}

void
vars_free(struct vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}

const char *
vars_get(const struct vars *vs, const char *name)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].name, name) == 0)
			return vs->v[i].value;
	return NULL;
}

int
vars_set(const struct conf *c, struct store *st, const struct app_rec *app,
    const char *name, const char *value, char *err, size_t errlen)
{
	struct secret key;
	unsigned char *sealed;
	size_t len = strlen(value);
	char id[32];
	int rc = -1;

	if (len > VAR_VALUE_MAX) {
		snprintf(err, errlen, "value of '%s' is longer than %d bytes",
		    name, VAR_VALUE_MAX);
		return -1;
	}
	if (secret_load(c, &key, err, errlen) == -1)
		return -1;
	if ((sealed = malloc(len + SECRET_OVERHEAD)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(id, sizeof(id), "app:%lld", (long long)app->id);
	if (secret_seal(&key, id, name, value, len, sealed) == -1)
		snprintf(err, errlen, "cannot seal the value");
	else if (store_config_set(st, app->id, name, sealed,
	    len + SECRET_OVERHEAD) == -1)
		snprintf(err, errlen, "%s", store_error(st));
	else
		rc = 0;
	free(sealed);
	return rc;
}

int
vars_name_valid(const char *name, char *why, size_t whylen)
{
	size_t len = strlen(name);

	if (len == 0 || len > VAR_NAME_MAX) {
		snprintf(why, whylen, "config var names are 1-%d characters",
		    VAR_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		int ok = ch == '_' || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= 'a' && ch <= 'z') || (i > 0 && ch >= '0' && ch <= '9');
		if (!ok) {
			snprintf(why, whylen, "config var names are letters,"
			    " digits and '_', not starting with a digit");
			return -1;
		}
	}
	return 0;
}

/* Length of the longest secret at p: a value of at least VARS_REDACT_MIN
 * characters, or one such line of a multi-line value (output is read line
 * by line, so a PEM key shows a line at a time).  Its var in *which. */
static size_t
secret_at(const struct vars *vs, const char *p, const struct var **which)
{
	size_t best = 0;

	for (size_t i = 0; i < vs->n; i++)
		for (const char *l = vs->v[i].value; *l != '\0';) {
			size_t n = strcspn(l, "\n");
			if (n >= VARS_REDACT_MIN && n > best && strncmp(p, l, n) == 0) {
				best = n;
				*which = &vs->v[i];
			}
			l += n + (l[n] == '\n');
		}
	return best;
}

void
vars_redact(const struct vars *vs, const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	while (*in != '\0' && o + 1 < len) {
		const struct var *v = NULL;
		size_t n = secret_at(vs, in, &v);
		if (n == 0) {
			out[o++] = *in++;
			continue;
		}
		o += (size_t)snprintf(out + o, len - o, "[%s]", v->name);
		if (o >= len)
			o = len - 1;
		in += n;
	}
	out[o] = '\0';
}
