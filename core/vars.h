/*
 * vars.h - an app's config vars in clear, loaded from the store and opened
 * with the data dir's key (core/secret.h).  Used by the config commands and
 * to build a release's environment.  Values never go to the log.
 */
#ifndef BERTH_VARS_H
#define BERTH_VARS_H

#include <stddef.h>

#include "conf/conf.h"
#include "core/store.h"

#define VAR_NAME_MAX 128
#define VAR_VALUE_MAX 32768

struct var {
	char *name;
	char *value;
};

struct vars {
	struct var *v;
	size_t n;
};

int vars_load(const struct conf *c, struct store *st, const struct app_rec *app,
    struct vars *out, char *err, size_t errlen);
void vars_free(struct vars *vs);
/* NULL when unset. */
const char *vars_get(const struct vars *vs, const char *name);

/* Copy in to out with every value of VARS_REDACT_MIN or more characters
 * (or such a line of a multi-line value) replaced by [NAME] (cut to fit). */
#define VARS_REDACT_MIN 8
void vars_redact(const struct vars *vs, const char *in, char *out, size_t len);

int vars_set(const struct conf *c, struct store *st, const struct app_rec *app,
    const char *name, const char *value, char *err, size_t errlen);

/* Names: [A-Za-z_][A-Za-z0-9_]*, at most VAR_NAME_MAX. 0 or -1 with why. */
int vars_name_valid(const char *name, char *why, size_t whylen);

#endif
