/*
 * store.h - berth's state in one sqlite file (WAL): apps, keys, per-app roles
 * and the audit log (later migrations add releases, deploys, config vars and
 * domains).  The schema is versioned with PRAGMA user_version and migrated
 * forward on open.  Every process opens its own handle (the daemon, each
 * forked connection, the local CLI); sqlite's locking and a busy timeout
 * serialise writers.
 *
 * Functions return 0 on success, -1 on a database error (message in the
 * store's err buffer, see store_error), and STORE_NOTFOUND where a lookup
 * finds nothing.
 */
#ifndef BERTH_STORE_H
#define BERTH_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_NOTFOUND 1
#define STORE_NAME_MAX 64
#define STORE_FP_MAX 128
#define STORE_KEYTYPE_MAX 64
#define STORE_KEYBLOB_MAX 4096

struct store;

/* Roles, ordered: a higher role includes the lower ones. */
enum role { ROLE_NONE = 0, ROLE_DEPLOYER = 1, ROLE_APP_ADMIN = 2, ROLE_SERVER_ADMIN = 3 };

struct key_rec {
	int64_t id;
	char name[STORE_NAME_MAX];
	char fingerprint[STORE_FP_MAX]; /* "SHA256:..." */
	char type[STORE_KEYTYPE_MAX];   /* "ssh-ed25519" */
	char blob[STORE_KEYBLOB_MAX];   /* base64 public key */
	int is_admin;
	int64_t created_at;
};

struct app_rec {
	int64_t id;
	char name[STORE_NAME_MAX];
	int64_t created_at;
	int current_release; /* 0: nothing deployed */
	int maintenance;     /* maintenance:on: the proxy answers 503 */
	int64_t parent_id;   /* a preview's app (core/store_preview.c), else 0 */
};

#define STORE_PROCS_MAX 4096
#define STORE_OID_MAX 41

struct release_rec {
	int64_t app_id;
	int version;
	char commit[STORE_OID_MAX];
	char buildpack[STORE_NAME_MAX];
	char process_types[STORE_PROCS_MAX]; /* "name: command" lines */
	char static_root[256];               /* "" unless served as files */
	int64_t created_at;
	int64_t build_ms;
};

struct deploy_rec {
	int64_t id;         /* global, internal */
	int number;         /* the app's own count: 1 is its first deploy */
	int64_t app_id;
	char kind[16];      /* push | pull | webhook | rollback */
	char commit[STORE_OID_MAX];
	int release;        /* the release it made live, 0 if none */
	char status[16];    /* running | succeeded | failed */
	char reason[1024];
	int64_t started_at;
	int64_t duration_ms;
};

int store_open(struct store **out, const char *path, char *err, size_t errlen);
void store_close(struct store *st);
const char *store_error(const struct store *st);
int store_schema_version(struct store *st);

int store_key_add(struct store *st, const struct key_rec *k);
int store_key_by_fingerprint(struct store *st, const char *fp, struct key_rec *out);
int store_key_by_name(struct store *st, const char *name, struct key_rec *out);
/* Calls fn for every key, ordered by name; stops early if fn returns non-zero. */
int store_key_each(struct store *st, int (*fn)(void *, const struct key_rec *), void *arg);
int store_key_remove(struct store *st, int64_t id);
int store_admin_count(struct store *st, int *count);

int store_app_create(struct store *st, const char *name, struct app_rec *out);
int store_app_get(struct store *st, const char *name, struct app_rec *out);
int store_app_delete(struct store *st, int64_t id);
int store_app_rename(struct store *st, int64_t id, const char *name);
int store_app_name(struct store *st, int64_t id, char *out, size_t len);
int store_app_set_maintenance(struct store *st, int64_t id, int on);
int store_app_each(struct store *st, int (*fn)(void *, const struct app_rec *), void *arg);

int store_role_set(struct store *st, int64_t key_id, int64_t app_id, enum role r);
int store_role_remove(struct store *st, int64_t key_id, int64_t app_id);
/* The key's role on the app (server admins get ROLE_SERVER_ADMIN). */
int store_role_get(struct store *st, const struct key_rec *k, int64_t app_id, enum role *out);

/* Releases and deploys (store_deploy.c). */
int store_release_next(struct store *st, int64_t app_id, int *version);
int store_release_add(struct store *st, const struct release_rec *r);
int store_release_get(struct store *st, int64_t app_id, int version,
    struct release_rec *out);
/* Newest first; stops early if fn returns non-zero. */
int store_release_each(struct store *st, int64_t app_id,
    int (*fn)(void *, const struct release_rec *), void *arg);
int store_app_set_current(struct store *st, int64_t app_id, int version);
/* The app's stable upstream port, 0 when it has none yet
 * (store_upstream.c). */
int store_app_upstream(struct store *st, int64_t app_id, int *port);
int store_app_set_upstream(struct store *st, int64_t app_id, int port);
/* The row of a release that never went live (its deploy failed). */
int store_release_delete(struct store *st, int64_t app_id, int version);

int store_deploy_start(struct store *st, int64_t app_id, const char *kind,
    const char *commit, int64_t *id);
int store_deploy_finish(struct store *st, int64_t id, const char *status,
    int release, const char *reason, int64_t duration_ms, const char *log);
/* Deploys of the app still "running" (their process died): failed. */
int store_deploy_interrupted(struct store *st, int64_t app_id);
/* Newest first, at most limit rows. */
int store_deploy_each(struct store *st, int64_t app_id, int limit,
    int (*fn)(void *, const struct deploy_rec *), void *arg);
/* The log of the app's deploy number; *log is malloc'd. */
int store_deploy_log(struct store *st, int64_t app_id, int number, char **log);

/* Config vars; values are stored sealed (see core/secret.h). */
int store_config_set(struct store *st, int64_t app_id, const char *name,
    const void *value, size_t len);
int store_config_unset(struct store *st, int64_t app_id, const char *name);
int store_config_each(struct store *st, int64_t app_id,
    int (*fn)(void *, const char *name, const void *value, size_t len),
    void *arg);

/* Domains (store_domain.c); a domain belongs to at most one app. */
int store_domain_add(struct store *st, int64_t app_id, const char *domain);
int store_domain_remove(struct store *st, int64_t app_id, const char *domain);
/* The app that has the domain: 0 (name in app), STORE_NOTFOUND or -1. */
int store_domain_owner(struct store *st, const char *domain, char *app,
    size_t applen);
int store_domain_each(struct store *st, int64_t app_id,
    int (*fn)(void *, const char *domain), void *arg);

/* The ports of an app's running web processes for a release (store_domain.c). */
int store_web_ports(struct store *st, int64_t app_id, int release, int *ports,
    size_t max, size_t *n);

/*
 * The routing table's rows (store_routes.c), in three queries whatever the
 * number of apps.  store_route_each: every app that shows a release,
 * ordered by name; the release shown is `at` for app show (when not
 * NULL), else the live one; has_release is 0 when that release has no
 * row.  store_domain_all and store_web_port_all: every domain (by app
 * name, then domain) and every running web process's port (by app name,
 * then instance), with the app's name.  Each stops early if fn returns
 * non-zero.
 */
struct route_rec {
	int64_t id;
	char name[STORE_NAME_MAX];
	int release;
	int has_release;
	int maintenance;
	int64_t parent_id;
	int upstream_port;
	char static_root[256];
};
int store_route_each(struct store *st, const char *show, int at,
    int (*fn)(void *, const struct route_rec *), void *arg);
int store_domain_all(struct store *st,
    int (*fn)(void *, const char *app, const char *domain), void *arg);
int store_web_port_all(struct store *st,
    int (*fn)(void *, const char *app, int port), void *arg);

/* Processes and formation (store_procs.c). */
struct proc_rec {
	int64_t id;
	int64_t app_id;
	int release;
	char type[40];
	int idx;
	int port;          /* web processes; 0 otherwise */
	char state[16];    /* starting | running | draining */
	int shim_pid;
	int64_t created_at;
};
int store_proc_add(struct store *st, struct proc_rec *p);  /* sets p->id */
int store_proc_get(struct store *st, int64_t id, struct proc_rec *out);
int store_proc_set_shim(struct store *st, int64_t id, int shim_pid);
int store_proc_delete(struct store *st, int64_t id);
/* app_id 0: every app.  state NULL: every state. */
int store_proc_each(struct store *st, int64_t app_id, const char *state,
    int (*fn)(void *, const struct proc_rec *), void *arg);
/* In one transaction: the old set (the app's `running` processes, listed
 * under its lock) becomes `draining`, ids become `running`.  undo reverses
 * exactly that, and nothing an earlier swap left draining. */
int store_proc_promote(struct store *st, const int64_t *ids, size_t n,
    const int64_t *old, size_t nold, int undo);
int store_formation_get(struct store *st, int64_t app_id, const char *type,
    int *count);  /* STORE_NOTFOUND when never scaled */
int store_formation_set(struct store *st, int64_t app_id, const char *type,
    int count);

/* What `berth serve` repaired by itself (store_state.c): a dead proxy, a
 * lost supervisor; ok 0 when the repair failed (what says why).  Only the
 * newest REPAIRS_KEEP rows are kept. */
#define REPAIRS_KEEP 200
struct repair_rec {
	int64_t id, at;
	char app[STORE_NAME_MAX]; /* "" for the proxy */
	char what[512];
	int ok;
};
int store_repair_add(struct store *st, const char *app, const char *what,
    int ok);
/* Newest first, at most limit. */
int store_repair_each(struct store *st, int limit,
    int (*fn)(void *, const struct repair_rec *), void *arg);

/* Settings berth keeps across starts (store_state.c), e.g. the
 * app_uid_base the apps' files belong to.  STORE_NOTFOUND when unset. */
int store_setting_get(struct store *st, const char *name, char *out,
    size_t len);
int store_setting_set(struct store *st, const char *name, const char *value);

/* Deploys from a Git host (store_source.c): the app's source
 * (apps:source), its webhook secret (sealed by the caller,
 * core/secret.h) and the webhook deliveries it has seen. */
#define STORE_URL_MAX 1024
struct source_rec {
	char url[STORE_URL_MAX];
	char branch[256];
	int64_t created_at;
};
int store_source_get(struct store *st, int64_t app_id, struct source_rec *out);
int store_source_set(struct store *st, int64_t app_id, const char *url,
    const char *branch);
int store_source_unset(struct store *st, int64_t app_id);
#define STORE_SECRET_MAX 256
int store_webhook_secret_set(struct store *st, int64_t app_id,
    const void *sealed, size_t len);
/* STORE_NOTFOUND when the app has none. */
int store_webhook_secret_get(struct store *st, int64_t app_id,
    unsigned char *out, size_t cap, size_t *len);
/* Remember delivery id at now (unix seconds), forgetting the app's
 * deliveries older than before: 1 when new, 0 when seen (a replay), -1. */
int store_delivery_add(struct store *st, int64_t app_id, const char *id,
    int64_t now, int64_t before);
/* The app's deliveries remembered since (unix seconds) into *n. */
int store_delivery_count(struct store *st, int64_t app_id, int64_t since,
    int *n);

int store_audit(struct store *st, const char *fingerprint, const char *app,
    const char *command, const char *outcome, int64_t duration_ms);

struct audit_rec {
	int64_t id, at, duration_ms;
	char fingerprint[STORE_FP_MAX];
	char key[STORE_NAME_MAX]; /* the key's name now, "" if removed */
	char app[STORE_NAME_MAX];
	char command[1024];
	char outcome[32];
};
/* Newest first, at most limit; app NULL: every app. */
int store_audit_each(struct store *st, const char *app, int limit,
    int (*fn)(void *, const struct audit_rec *), void *arg);

/* Upkeep (core/store_upkeep.c): the app's deploys (and their logs)
 * beyond the newest keep, audit rows older than before (a unix time);
 * each sets *n to the rows removed.  0 or -1. */
int store_deploys_prune(struct store *st, int64_t app_id, int keep, int *n);
int store_audit_prune(struct store *st, int64_t before, int *n);
/* Checkpoint the WAL into the database file (and truncate it), and
 * VACUUM when more than a quarter of the file (and over 1 MiB) is free
 * pages: *vacuumed 1 then.  0 or -1. */
int store_compact(struct store *st, int *vacuumed);

/* Scheduled jobs and deploy hooks (core/store_cron.c).  A job's row
 * (app, name) holds its last run (start time, exit status, -1 before
 * the first, duration) and the pid of the process running it now (0:
 * none), which claims it so that one job never runs twice at once. */
struct cron_rec {
	char name[40];
	int64_t last_run;
	int last_exit;
	int64_t last_ms;
	int running_pid;
};
/* The job's row (zeros and last_exit -1 when it never ran). */
int store_cron_get(struct store *st, int64_t app_id, const char *name,
    struct cron_rec *out);
/* Claim the job for pid at time now unless a run holds it (or held it:
 * stale_pid, when not 0, is a holder known to be gone, taken over).
 * *claimed 1 when pid holds it now, else 0 with *holder. */
int store_cron_claim(struct store *st, int64_t app_id, const char *name,
    int pid, int stale_pid, int64_t now, int *claimed, int *holder);
/* The run of pid ended with exit after ms; the job is free again. */
int store_cron_done(struct store *st, int64_t app_id, const char *name,
    int pid, int exit, int64_t ms);
/* Append "TEXT" to the hooks summary of deploy id ("; " between). */
int store_deploy_hooks_add(struct store *st, int64_t id, const char *text);
int store_deploy_hooks(struct store *st, int64_t id, char *out, size_t len);

#endif
