/*
 * gitd_dispatch.h - the command gate.  Every command, over SSH or run
 * locally as `berth COMMAND`, goes through one table of
 * {name, usage, handler, needs_app, min_role, min_args, max_args} and one
 * gate that splits the line without a shell, looks the command up, checks
 * arity, validates the app name, checks the caller's role on the app, then
 * runs the handler and writes an audit row.  Handlers never re-check rights.
 */
#ifndef BERTH_GITD_DISPATCH_H
#define BERTH_GITD_DISPATCH_H

#include "gitd/gitd.h"

#define ARGS_MAX 64

/* Split a command line: whitespace separates, '...' is literal, "..." allows
 * \" and \\, a backslash outside quotes escapes the next character.
 * Returns argc (>= 0) or -1 with err. argv strings point into buf. */
int gitd_split_args(const char *line, char *buf, size_t buflen,
    char **argv, int maxargs, char *err, size_t errlen);

/* Run one command line through the gate; returns the exit status. */
int gitd_dispatch_line(struct gitd_ctx *g, const char *line);
int gitd_dispatch(struct gitd_ctx *g, int argc, char **argv);

/* Listings (gitd_output.c): print rows (a jansson array of objects, whose
 * reference is taken) as JSON with --json, else as aligned columns `cols`
 * (NULL-terminated field names).  The object form prints "key: value". */
#include <jansson.h>
int gitd_emit_list(struct gitd_ctx *g, json_t *rows, const char *const *cols);
int gitd_emit_object(struct gitd_ctx *g, json_t *obj, const char *const *keys);
/* A JSON string of text as stored: bytes that are not UTF-8, and control
 * characters, are shown as \xNN (jansson refuses such text outright). */
json_t *gitd_json_text(const char *text);

/* Write to the caller's stdout. */
int gitd_printf(struct gitd_ctx *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* -1 with why when NAME's own host (NAME.base_domain) is [dashboard]
 * host, which the proxy gives the dashboard: no app may take that name. */
int gitd_app_name_free(const struct conf *c, const char *name, char *err,
    size_t errlen);

/* Create an app: its bare repository (HEAD -> deploy branch), then its row.
 * Safe to re-run after a crash between the two.  0 or -1 with err. */
int gitd_app_create(struct gitd_ctx *g, const char *name, char *err,
    size_t errlen);

/* Handlers (gitd_cmd_*.c). argv[0] is the command name. */
int cmd_help(struct gitd_ctx *g, int argc, char **argv);
int cmd_apps(struct gitd_ctx *g, int argc, char **argv);
int cmd_apps_create(struct gitd_ctx *g, int argc, char **argv);
int cmd_apps_info(struct gitd_ctx *g, int argc, char **argv);
int cmd_apps_destroy(struct gitd_ctx *g, int argc, char **argv);
int cmd_apps_rename(struct gitd_ctx *g, int argc, char **argv);
int cmd_status(struct gitd_ctx *g, int argc, char **argv);
int cmd_apps_gc(struct gitd_ctx *g, int argc, char **argv);
int cmd_apps_purge_cache(struct gitd_ctx *g, int argc, char **argv);
/* status's disk figures (gitd_cmd_upkeep.c) */
json_t *upkeep_app_json(const struct conf *c, const char *app);
json_t *upkeep_disk_json(const struct conf *c);
void upkeep_status_text(struct gitd_ctx *g, json_t *disk, json_t *apps);
int cmd_audit(struct gitd_ctx *g, int argc, char **argv);
int cmd_keys(struct gitd_ctx *g, int argc, char **argv);
int cmd_keys_add(struct gitd_ctx *g, int argc, char **argv);
int cmd_keys_remove(struct gitd_ctx *g, int argc, char **argv);
int cmd_grant(struct gitd_ctx *g, int argc, char **argv);
int cmd_revoke(struct gitd_ctx *g, int argc, char **argv);
int cmd_config(struct gitd_ctx *g, int argc, char **argv);
int cmd_config_get(struct gitd_ctx *g, int argc, char **argv);
int cmd_config_set(struct gitd_ctx *g, int argc, char **argv);
int cmd_config_unset(struct gitd_ctx *g, int argc, char **argv);
int cmd_releases(struct gitd_ctx *g, int argc, char **argv);
int cmd_deploys(struct gitd_ctx *g, int argc, char **argv);
int cmd_rollback(struct gitd_ctx *g, int argc, char **argv);
int cmd_logs(struct gitd_ctx *g, int argc, char **argv);
int cmd_domains(struct gitd_ctx *g, int argc, char **argv);
int cmd_ps(struct gitd_ctx *g, int argc, char **argv);
int cmd_ps_scale(struct gitd_ctx *g, int argc, char **argv);
int cmd_ps_restart(struct gitd_ctx *g, int argc, char **argv);
int cmd_ps_stop(struct gitd_ctx *g, int argc, char **argv);
int cmd_ps_start(struct gitd_ctx *g, int argc, char **argv);
int cmd_version(struct gitd_ctx *g, int argc, char **argv);
int cmd_whoami(struct gitd_ctx *g, int argc, char **argv);
int cmd_dashboard_login(struct gitd_ctx *g, int argc, char **argv);
int cmd_dashboard_logout_all(struct gitd_ctx *g, int argc, char **argv);
int cmd_maintenance_on(struct gitd_ctx *g, int argc, char **argv);
int cmd_maintenance_off(struct gitd_ctx *g, int argc, char **argv);
int cmd_run(struct gitd_ctx *g, int argc, char **argv);
int cmd_cron(struct gitd_ctx *g, int argc, char **argv);
int cmd_cron_run(struct gitd_ctx *g, int argc, char **argv);
int cmd_domains_add(struct gitd_ctx *g, int argc, char **argv);
int cmd_export(struct gitd_ctx *g, int argc, char **argv);
int cmd_domains_remove(struct gitd_ctx *g, int argc, char **argv);
int cmd_previews(struct gitd_ctx *g, int argc, char **argv);
int cmd_previews_enable(struct gitd_ctx *g, int argc, char **argv);
int cmd_previews_disable(struct gitd_ctx *g, int argc, char **argv);
int cmd_previews_destroy(struct gitd_ctx *g, int argc, char **argv);
/* config:set|unset APP --preview BRANCH ...: g->app becomes the branch's
 * preview and *first the index of the first var (else 2).  0, or an exit
 * status after saying why (gitd_cmd_previews.c). */
int gitd_preview_target(struct gitd_ctx *g, int argc, char **argv,
    int *first);
/* gitd_cmd_source.c: deploys from a Git host */
int cmd_apps_source(struct gitd_ctx *g, int argc, char **argv);
int cmd_apps_pull(struct gitd_ctx *g, int argc, char **argv);
int cmd_webhooks_secret(struct gitd_ctx *g, int argc, char **argv);

/* For help: the table, ended by a NULL name. */
struct command {
	const char *name;
	const char *usage;
	const char *summary;
	int (*handler)(struct gitd_ctx *g, int argc, char **argv);
	int needs_app;      /* argv[1] names an existing app */
	enum role min_role; /* on that app, or ROLE_SERVER_ADMIN */
	int min_args, max_args; /* after the command name */
	int hide_args;      /* arguments after the app may hold secrets: the
	                     * audit row keeps no more than their NAME= */
};
extern const struct command gitd_commands[];

#endif
