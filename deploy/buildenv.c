/*
 * buildenv.c - what a buildpack step sees of the app's config: its
 * environment (PATH, HOME, LANG, STACK, SOURCE_VERSION, then the app's
 * config vars; the standard ones win) and, for bin/compile, the files of
 * ENV_DIR (core/privdir.h: on a tmpfs only the step sees, where berth is
 * root).
 *
 * Some names are kept out of both, though the app's own processes still
 * get them (they are its choice there): the variables that make a program
 * load or run other code before or instead of its own.  The buildpack's
 * programs are the operator's; a deployer's config:set must not change
 * which code they are (LD_PRELOAD=./evil.so in the pushed tree would
 * otherwise write bin/release's output).  The list:
 *   - the dynamic loader's and glibc's: LD_*, and what glibc itself
 *     ignores for setuid programs because it loads modules or parses data
 *     from there: GCONV_PATH, GETCONF_DIR, GLIBC_TUNABLES, LOCPATH, NLSPATH;
 *   - the shells' start-up: BASH_ENV (a file every bash script sources
 *     first), BASH_FUNC_* (functions imported over any command),
 *     SHELLOPTS and BASHOPTS (xtrace, with PS4, runs a command on every
 *     line), PS4.  Not ENV: only interactive shells read it, and apps
 *     often use the name for their own setting;
 *   - the interpreters' start-up: NODE_OPTIONS, NODE_PATH; PYTHONPATH,
 *     PYTHONHOME, PYTHONSTARTUP, PYTHONUSERBASE (modules imported at
 *     start), PYTHONWARNINGS, PYTHONBREAKPOINT, PYTHONINSPECT; PERL5OPT,
 *     PERL5LIB, PERLLIB, PERL5DB; RUBYOPT, RUBYLIB; JAVA_TOOL_OPTIONS,
 *     _JAVA_OPTIONS, JDK_JAVA_OPTIONS (-javaagent).
 * Settings of the tools bin/compile runs (npm_config_*, GOFLAGS, GIT_*,
 * PIP_*) are the app's build settings and do reach it: compile runs the
 * app's own code anyway (npm scripts, setup.py), as the app's build uid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy.h"

static const char *const kept_prefix[] = { "LD_", "BASH_FUNC_", NULL };
static const char *const kept_name[] = {
	"GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH",
	"BASH_ENV", "SHELLOPTS", "BASHOPTS", "PS4",
	"NODE_OPTIONS", "NODE_PATH",
	"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE",
	"PYTHONWARNINGS", "PYTHONBREAKPOINT", "PYTHONINSPECT",
	"PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB", "RUBYOPT", "RUBYLIB",
	"JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS",
	NULL
};

int
buildenv_kept_out(const char *name)
{
	for (const char *const *p = kept_prefix; *p; p++)
		if (strncmp(name, *p, strlen(*p)) == 0)
			return 1;
	for (const char *const *p = kept_name; *p; p++)
		if (strcmp(name, *p) == 0)
			return 1;
	return 0;
}

void
buildenv_say_kept_out(struct deploy *d)
{
	char names[768];
	size_t len = 0;
	int n = 0;

	names[0] = '\0';
	for (size_t i = 0; i < d->vars.n; i++) {
		const char *name = d->vars.v[i].name;
		if (!buildenv_kept_out(name))
			continue;
		n++;
		if (len + strlen(name) + 3 < sizeof(names))
			len += (size_t)snprintf(names + len, sizeof(names) - len,
			    "%s%s", len ? ", " : "", name);
	}
	if (n > 0)
		deploy_say(d, "-----> Not passed to the buildpack (%s change%s what"
		    " code its programs load; the app still gets %s): %s",
		    n == 1 ? "it" : "they", n == 1 ? "s" : "", n == 1 ? "it" :
		    "them", names);
}

static int
env_add(struct env *e, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;

	for (size_t i = 0; i < e->n; i++)
		if (strncmp(e->v[i], name, strlen(name)) == 0 &&
		    e->v[i][strlen(name)] == '=')
			return 0; /* the standard variables win */
	if (e->n == BUILDENV_MAX || (e->v[e->n] = malloc(len)) == NULL)
		return -1;
	snprintf(e->v[e->n++], len, "%s=%s", name, value);
	e->v[e->n] = NULL;
	return 0;
}

int
buildenv_make(struct deploy *d, struct env *e)
{
	e->n = 0;
	e->v[0] = NULL;
	if (env_add(e, "PATH", "/usr/local/bin:/usr/bin:/bin") == -1 ||
	    env_add(e, "HOME", d->home_dir) == -1 ||
	    env_add(e, "LANG", "C.UTF-8") == -1 ||
	    env_add(e, "STACK", "berth-1") == -1 ||
	    env_add(e, "SOURCE_VERSION", d->commit_hex) == -1) {
		buildenv_free(e);
		return -1;
	}
	for (size_t i = 0; i < d->vars.n; i++)
		if (!buildenv_kept_out(d->vars.v[i].name) &&
		    env_add(e, d->vars.v[i].name, d->vars.v[i].value) == -1) {
			buildenv_free(e);
			return -1;
		}
	return 0;
}

void
buildenv_free(struct env *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i]);
	e->n = 0;
}

int
buildenv_files(struct deploy *d, struct spawn_file **files, size_t *n)
{
	*n = 0;
	if ((*files = calloc(d->vars.n + 1, sizeof(**files))) == NULL)
		return -1;
	for (size_t i = 0; i < d->vars.n; i++)
		if (!buildenv_kept_out(d->vars.v[i].name)) {
			(*files)[*n].name = d->vars.v[i].name;
			(*files)[(*n)++].data = d->vars.v[i].value;
		}
	return 0;
}
