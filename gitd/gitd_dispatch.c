/*
 * gitd_dispatch.c - the command table and the one gate in front of it
 * (see gitd_dispatch.h).  The gate's order: split, look up, arity, app name,
 * app existence (a server admin's push creates the app), role, handler,
 * audit.  Refusals print the reason and the usage to stderr and return a
 * non-zero exit status, which the SSH client passes on to scripts.
 */
#include "gitd/gitd_dispatch.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/names.h"
#include "core/path.h"
#include "core/vars.h"

#define AUDIT_HIDDEN "[hidden]"

static int git_receive(struct gitd_ctx *g, int argc, char **argv);
static int git_upload(struct gitd_ctx *g, int argc, char **argv);

const struct command gitd_commands[] = {
	{ "git-receive-pack", "git-receive-pack APP", "receive a push (git)",
	  git_receive, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "git-upload-pack", "git-upload-pack APP", "serve a clone or fetch (git)",
	  git_upload, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "help", "help [COMMAND]", "list commands, or show one's usage",
	  cmd_help, 0, ROLE_NONE, 0, 1, 0 },
	{ "version", "version", "berth's version",
	  cmd_version, 0, ROLE_NONE, 0, 0, 0 },
	{ "whoami", "whoami", "your key, and your role on each app",
	  cmd_whoami, 0, ROLE_NONE, 0, 0, 0 },
	{ "dashboard:login", "dashboard:login", "a one-time link that logs a"
	  " browser into the dashboard as your key", cmd_dashboard_login, 0,
	  ROLE_NONE, 0, 0, 0 },
	{ "dashboard:logout-all", "dashboard:logout-all", "end your key's"
	  " dashboard sessions", cmd_dashboard_logout_all, 0, ROLE_NONE, 0, 0,
	  0 },
	{ "apps", "apps", "list the apps you can use",
	  cmd_apps, 0, ROLE_NONE, 0, 0, 0 },
	{ "apps:create", "apps:create APP", "create an app",
	  cmd_apps_create, 0, ROLE_SERVER_ADMIN, 1, 1, 0 },
	{ "apps:info", "apps:info APP", "an app's state, release, domains, processes",
	  cmd_apps_info, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "apps:destroy", "apps:destroy APP --force", "delete an app and all it has",
	  cmd_apps_destroy, 1, ROLE_SERVER_ADMIN, 1, 2, 0 },
	{ "apps:rename", "apps:rename OLD NEW", "rename an app (restarts it)",
	  cmd_apps_rename, 1, ROLE_SERVER_ADMIN, 2, 2, 0 },
	{ "apps:gc", "apps:gc APP", "repack the app's repository now",
	  cmd_apps_gc, 1, ROLE_APP_ADMIN, 1, 1, 0 },
	{ "apps:purge-cache", "apps:purge-cache APP", "empty the app's build cache",
	  cmd_apps_purge_cache, 1, ROLE_APP_ADMIN, 1, 1, 0 },
	{ "apps:source", "apps:source APP [URL [--branch BRANCH] | --unset]",
	  "deploy from a Git host: show or set the app's source (ssh: a deploy key)",
	  cmd_apps_source, 1, ROLE_APP_ADMIN, 1, 4, 0 },
	{ "apps:pull", "apps:pull APP", "fetch the app's source and deploy it now",
	  cmd_apps_pull, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "webhooks:secret", "webhooks:secret APP",
	  "make (or rotate) the app's webhook secret and print it",
	  cmd_webhooks_secret, 1, ROLE_APP_ADMIN, 1, 1, 0 },
	{ "status", "status", "server version, uptime, apps, processes, disk",
	  cmd_status, 0, ROLE_SERVER_ADMIN, 0, 0, 0 },
	{ "audit", "audit [APP] [-n N]", "who ran what, newest first",
	  cmd_audit, 0, ROLE_SERVER_ADMIN, 0, 3, 0 },
	{ "keys", "keys", "list keys with their fingerprints",
	  cmd_keys, 0, ROLE_SERVER_ADMIN, 0, 0, 0 },
	{ "keys:add", "keys:add NAME [--admin]  (public key on stdin)",
	  "add a key", cmd_keys_add, 0, ROLE_SERVER_ADMIN, 1, 2, 0 },
	{ "keys:remove", "keys:remove NAME", "remove a key",
	  cmd_keys_remove, 0, ROLE_SERVER_ADMIN, 1, 1, 0 },
	{ "grant", "grant KEY APP deployer|admin", "give a key a role on an app",
	  cmd_grant, 0, ROLE_SERVER_ADMIN, 3, 3, 0 },
	{ "revoke", "revoke KEY APP", "take a key's role on an app away",
	  cmd_revoke, 0, ROLE_SERVER_ADMIN, 2, 2, 0 },
	{ "config", "config APP", "show an app's config vars",
	  cmd_config, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "config:get", "config:get APP NAME", "show one config var",
	  cmd_config_get, 1, ROLE_DEPLOYER, 2, 2, 0 },
	{ "config:set", "config:set APP [--no-restart] [--preview BRANCH]"
	  " NAME=VALUE ...",
	  "set config vars (restarts a running app unless --no-restart)",
	  cmd_config_set, 1, ROLE_DEPLOYER, 2, ARGS_MAX, 1 },
	{ "config:unset", "config:unset APP [--no-restart] [--preview BRANCH]"
	  " NAME ...",
	  "remove config vars (restarts a running app unless --no-restart)",
	  cmd_config_unset, 1, ROLE_DEPLOYER, 2, ARGS_MAX, 0 },
	{ "releases", "releases APP", "list an app's releases",
	  cmd_releases, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "deploys", "deploys APP", "deploy history with outcome and duration",
	  cmd_deploys, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "rollback", "rollback APP [RELEASE]", "make an earlier release live",
	  cmd_rollback, 1, ROLE_DEPLOYER, 1, 2, 0 },
	{ "logs", "logs APP [-n N] [-f] | logs APP --build [DEPLOY]",
	  "show (and follow) app logs, or a build's log",
	  cmd_logs, 1, ROLE_DEPLOYER, 1, 4, 0 },
	{ "ps", "ps APP", "list an app's processes",
	  cmd_ps, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "ps:scale", "ps:scale APP TYPE=COUNT ...", "set how many of each process run",
	  cmd_ps_scale, 1, ROLE_DEPLOYER, 2, ARGS_MAX, 0 },
	{ "ps:restart", "ps:restart APP [TYPE]",
	  "replace the processes, or one type's (no downtime)",
	  cmd_ps_restart, 1, ROLE_DEPLOYER, 1, 2, 0 },
	{ "ps:stop", "ps:stop APP", "stop all processes",
	  cmd_ps_stop, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "ps:start", "ps:start APP", "start the processes again",
	  cmd_ps_start, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "run", "run APP COMMAND [ARGS...]",
	  "run a one-off command in the live release (ssh -t: on a terminal)",
	  cmd_run, 1, ROLE_DEPLOYER, 2, ARGS_MAX - 1, 1 },
	{ "cron", "cron APP", "scheduled jobs: schedule, next and last run, exit",
	  cmd_cron, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "cron:run", "cron:run APP JOB", "run a scheduled job now",
	  cmd_cron_run, 1, ROLE_DEPLOYER, 2, 2, 0 },
	{ "maintenance:on", "maintenance:on APP",
	  "answer 503 with a maintenance page; processes keep running",
	  cmd_maintenance_on, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "maintenance:off", "maintenance:off APP", "route to the app again",
	  cmd_maintenance_off, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "export", "export APP [--release N] [--oci DIR[:TAG]|-] [--k8s DIR|-]"
	  " [--nomad FILE|-] [--image REF]",
	  "an OCI image of a release (a tar on stdout) and k8s/Nomad manifests",
	  cmd_export, 1, ROLE_DEPLOYER, 1, 11, 0 },
	{ "domains", "domains APP", "list an app's domains",
	  cmd_domains, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "domains:add", "domains:add APP DOMAIN", "route a domain to an app",
	  cmd_domains_add, 1, ROLE_APP_ADMIN, 2, 2, 0 },
	{ "domains:remove", "domains:remove APP DOMAIN", "stop routing a domain",
	  cmd_domains_remove, 1, ROLE_APP_ADMIN, 2, 2, 0 },
	{ "previews", "previews APP", "an app's preview deploys: branch, URL,"
	  " commit, age, state", cmd_previews, 1, ROLE_DEPLOYER, 1, 1, 0 },
	{ "previews:enable", "previews:enable APP [--pattern GLOB]",
	  "deploy pushed branches (matching GLOB) as previews",
	  cmd_previews_enable, 1, ROLE_APP_ADMIN, 1, 3, 0 },
	{ "previews:disable", "previews:disable APP",
	  "only store pushed branches again", cmd_previews_disable, 1,
	  ROLE_APP_ADMIN, 1, 1, 0 },
	{ "previews:destroy", "previews:destroy APP BRANCH",
	  "destroy a branch's preview", cmd_previews_destroy, 1, ROLE_DEPLOYER,
	  2, 2, 0 },
	{ NULL, NULL, NULL, NULL, 0, ROLE_NONE, 0, 0, 0 },
};

static const char *const role_names[] = { "none", "deployer", "admin",
	"server admin" };

int
gitd_split_args(const char *line, char *buf, size_t buflen, char **argv,
    int maxargs, char *err, size_t errlen)
{
	const char *p = line;
	size_t o = 0;
	int argc = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return argc;
		if (argc == maxargs) {
			snprintf(err, errlen, "too many arguments (max %d)", maxargs);
			return -1;
		}
		argv[argc++] = buf + o;
		while (*p != '\0' && *p != ' ' && *p != '\t') {
			char c = *p++, q;
			if (c == '\'' || c == '"') {
				q = c;
				while (*p != '\0' && *p != q) {
					if (q == '"' && *p == '\\' &&
					    (p[1] == '"' || p[1] == '\\'))
						p++;
					if (o + 1 >= buflen)
						goto long_line;
					buf[o++] = *p++;
				}
				if (*p != q) {
					snprintf(err, errlen, "unterminated %c"
					    " quote", q);
					return -1;
				}
				p++;
				continue;
			}
			if (c == '\\' && *p != '\0')
				c = *p++;
			if ((unsigned char)c < 0x20) {
				snprintf(err, errlen, "control character in"
				    " command");
				return -1;
			}
			if (o + 1 >= buflen)
				goto long_line;
			buf[o++] = c;
		}
		if (o + 1 >= buflen)
			goto long_line;
		buf[o++] = '\0';
	}
long_line:
	snprintf(err, errlen, "command line too long");
	return -1;
}

int
gitd_dispatch_line(struct gitd_ctx *g, const char *line)
{
	char buf[4096], err[128];
	char *argv[ARGS_MAX];
	int argc;

	argc = gitd_split_args(line, buf, sizeof(buf), argv, ARGS_MAX, err,
	    sizeof(err));
	if (argc <= 0) {
		gitd_errorf(g, "berth: %s", argc == 0 ? "empty command; try"
		    " 'help'" : err);
		return 2;
	}
	return gitd_dispatch(g, argc, argv);
}

static const struct command *
command_find(const char *name)
{
	for (const struct command *c = gitd_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* The app named by argv[1]: 0 ready, else an exit status. */
static int
gate_app(struct gitd_ctx *g, const struct command *c, char **argv)
{
	char why[128] = "", name[APP_NAME_MAX + 1], err[256];
	int rc;

	if (c->handler == git_receive || c->handler == git_upload)
		rc = name_repo_arg(argv[1], name, sizeof(name), why, sizeof(why));
	else
		rc = pathf(name, sizeof(name), "%s", argv[1]) == -1 ? -1 :
		    name_app_valid(name, why, sizeof(why));
	if (rc == -1) {
		gitd_errorf(g, "berth: invalid app name '%.80s': %s", argv[1],
		    rc == -1 && why[0] ? why : "too long");
		return 2;
	}
	rc = store_app_get(g->st, name, &g->app);
	if (rc == STORE_NOTFOUND && c->handler == git_receive &&
	    g->key.is_admin) {
		if (gitd_app_create(g, name, err, sizeof(err)) == -1) {
			gitd_errorf(g, "berth: cannot create app '%s': %s", name,
			    err);
			return 1;
		}
		gitd_errorf(g, "berth: created app '%s'", name);
		rc = store_app_get(g->st, name, &g->app);
	}
	if (rc == STORE_NOTFOUND) {
		gitd_errorf(g, "berth: app '%s' does not exist%s", name,
		    g->key.is_admin ? "; create it with 'apps:create'" : "");
		return 1;
	}
	if (rc == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return 0;
}

static int
gate_role(struct gitd_ctx *g, const struct command *c)
{
	enum role r = g->key.is_admin ? ROLE_SERVER_ADMIN : ROLE_NONE;

	/* a preview's rights are its app's (core/preview.h) */
	if (c->needs_app && store_role_get(g->st, &g->key, g->app.parent_id ?
	    g->app.parent_id : g->app.id, &r) == -1) {
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	if (r >= c->min_role)
		return 0;
	if (c->needs_app && r > ROLE_NONE && c->min_role == ROLE_SERVER_ADMIN)
		gitd_errorf(g, "berth: key '%s' is %s of app '%s', and %s needs a"
		    " server admin key", g->key.name, role_names[r], g->app.name,
		    c->name);
	else if (c->needs_app && r > ROLE_NONE)
		gitd_errorf(g, "berth: key '%s' is %s of app '%s', and %s needs"
		    " the %s role (a server admin can give it: grant %s %s %s)",
		    g->key.name, role_names[r], g->app.name, c->name,
		    role_names[c->min_role], g->key.name, g->app.name,
		    role_names[c->min_role]);
	else if (c->needs_app)
		gitd_errorf(g, "berth: key '%s' has no access to app '%s'"
		    " (%s needs the %s role)", g->key.name, g->app.name, c->name,
		    role_names[c->min_role]);
	else
		gitd_errorf(g, "berth: key '%s' may not run '%s' (it needs a"
		    " server admin key)", g->key.name, c->name);
	return 1;
}

/* Options as users type them, before the app (`logs -f APP`): when
 * argv[1] is an option, the first argument that can be an app name (it
 * starts with a letter; option values here are numbers) moves to argv[1],
 * the rest keep their order.  Not for run, whose words are the command's. */
static void
app_first(const struct command *c, int argc, char **argv)
{
	char *app;

	if (!c->needs_app || c->handler == cmd_run || argc < 3 ||
	    argv[1][0] != '-')
		return;
	for (int i = 2; i < argc; i++)
		if (argv[i][0] >= 'a' && argv[i][0] <= 'z') {
			app = argv[i];
			memmove(&argv[2], &argv[1], (size_t)(i - 1) * sizeof(*argv));
			argv[1] = app;
			return;
		}
}

static int
gate(struct gitd_ctx *g, const struct command *c, int argc, char **argv)
{
	int rc;

	if (argc - 1 < c->min_args || argc - 1 > c->max_args) {
		gitd_errorf(g, "berth: wrong number of arguments\nusage: %s",
		    c->usage);
		return 2;
	}
	app_first(c, argc, argv);
	if (c->needs_app && (rc = gate_app(g, c, argv)) != 0)
		return rc;
	if ((rc = gate_role(g, c)) != 0)
		return rc;
	return c->handler(g, argc, argv);
}

/* Argument i as the audit row shows it, for a command whose arguments may
 * be secrets (c NULL: an unknown one, which may be a mistyped such command).
 * Blanked whatever its shape; what is kept: the app name when it is the app
 * the command ran on, and a valid NAME of a NAME=VALUE. */
static const char *
audit_arg(const struct gitd_ctx *g, const struct command *c, int i,
    const char *arg, char *buf, size_t len)
{
	const char *eq = strchr(arg, '=');
	char why[128];

	if (c == NULL)
		return AUDIT_HIDDEN;
	if (i == 1)
		return c->needs_app && strcmp(arg, g->app.name) == 0 ? arg :
		    AUDIT_HIDDEN;
	if (eq == NULL || (size_t)(eq - arg) > VAR_NAME_MAX ||
	    pathf(buf, len, "%.*s", (int)(eq - arg), arg) == -1 ||
	    vars_name_valid(buf, why, sizeof(why)) == -1)
		return AUDIT_HIDDEN;
	strcat(buf, "=");
	return buf;
}

/* The command line for the audit row. */
static void
audit_line(const struct gitd_ctx *g, const struct command *c, int argc,
    char **argv, char *line, size_t len)
{
	char name[VAR_NAME_MAX + 2];
	size_t o = 0;

	line[0] = '\0';
	for (int i = 0; i < argc && o + 1 < len; i++) {
		const char *a = argv[i];
		if (i > 0 && (c == NULL || c->hide_args))
			a = audit_arg(g, c, i, a, name, sizeof(name));
		o += (size_t)snprintf(line + o, len - o, "%s%s", i ? " " : "", a);
	}
}

int
gitd_dispatch(struct gitd_ctx *g, int argc, char **argv)
{
	const struct command *c = command_find(argv[0]);
	char line[1024], outcome[32];
	int64_t start = clock_ms();
	int rc;

	/* --json, anywhere after the command name, asks for JSON listings;
	 * --no-restart, anywhere after config:set or config:unset, keeps the
	 * app's processes as they are; nothing is taken out of the command
	 * that `run` runs */
	for (int i = 1; i < argc && strcmp(argv[0], "run") != 0; i++)
		if (strcmp(argv[i], "--json") == 0 ||
		    (strcmp(argv[i], "--no-restart") == 0 &&
		    (strcmp(argv[0], "config:set") == 0 ||
		    strcmp(argv[0], "config:unset") == 0))) {
			if (argv[i][2] == 'j')
				g->json = 1;
			else
				g->no_restart = 1;
			memmove(&argv[i], &argv[i + 1],
			    (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			i--;
		}
	if (c == NULL) {
		gitd_errorf(g, "berth: unknown command '%.80s'; try 'help'",
		    argv[0]);
		rc = 2;
	} else {
		rc = gate(g, c, argc, argv);
	}
	/* secrets never reach the audit row, whatever the outcome */
	audit_line(g, c, argc, argv, line, sizeof(line));
	snprintf(outcome, sizeof(outcome), rc == 0 ? "ok" : "exit %d", rc);
	if (store_audit(g->st, g->local ? "local" : g->key.fingerprint,
	    g->app.name[0] ? g->app.name : NULL, line, outcome,
	    clock_ms() - start) == -1)
		log_warnx("audit: %s", store_error(g->st));
	return rc;
}

/* A preview has no repository of its own: its app's holds its branch. */
static int
not_preview(struct gitd_ctx *g)
{
	char parent[STORE_NAME_MAX] = "?";

	if (g->app.parent_id == 0)
		return 0;
	(void)store_app_name(g->st, g->app.parent_id, parent, sizeof(parent));
	gitd_errorf(g, "berth: '%s' is a preview of app '%s'; push its branch"
	    " to '%s' (see 'previews %s')", g->app.name, parent, parent, parent);
	return 1;
}

static int
git_receive(struct gitd_ctx *g, int argc, char **argv)
{
	(void)argc, (void)argv;
	return not_preview(g) ? 1 : gitd_receive_pack(g);
}

static int
git_upload(struct gitd_ctx *g, int argc, char **argv)
{
	(void)argc, (void)argv;
	return not_preview(g) ? 1 : gitd_upload_pack(g);
}
