/*
 * berth.c - the command line on the server (design.md "The command line on
 * the server"):
 *   berth init [-c FILE] --admin-key PUBKEY_FILE [--admin-name NAME]
 *   berth serve [-c FILE]
 *   berth check [-c FILE]
 *   berth [-c FILE] COMMAND ...   any SSH command, run locally as admin
 *   berth shim DATA_DIR PROC_ID UID NPROC  (internal) the supervisor of one
 *                                          process
 *   berth retire DATA_DIR APP SECONDS ID...  (internal) stop an old set
 * It loads the one config struct (paths resolved once, and for a root
 * berth settled where the apps' uids can reach them: core/datadir.h),
 * prepares the data dir, and hands over to gitd (the daemon, or the command
 * gate for local commands).
 */
#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/names.h"
#include "core/sshkey.h"
#include "core/store.h"
#include "core/testpoint.h"
#include "gitd/gitd.h"
#include "gitd/gitd_dispatch.h"
#include "gitd/gitd_server.h"
#include "hooks/hooks.h"
#include "hooks/hooks_procs.h"
#include "hooks/hooks_reconcile.h"
#include "hooks/hooks_swap.h"
#include "router/router.h"

static struct conf config; /* the one config struct */

static int usage(void);
static int cmd_init(int argc, char **argv, const char *note);
static int cmd_serve(const char *note);
static int cmd_local(int argc, char **argv);
static int prepare(struct store **st, int *created_key);

int
main(int argc, char **argv)
{
	const char *conf_path = NULL;
	char err[512], note[PATH_MAX + 256];
	int i = 1;

	umask(077);
	log_init("berth", getenv("BERTH_DEBUG") != NULL);
	/* -c FILE may stand before or right after the subcommand */
	if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
		conf_path = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return usage();
	if (i + 2 < argc && strcmp(argv[i + 1], "-c") == 0) {
		conf_path = argv[i + 2];
		memmove(&argv[i + 1], &argv[i + 3],
		    (size_t)(argc - i - 3 + 1) * sizeof(*argv));
		argc -= 2;
	}
	if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
		return usage();
	/* the supervisor of one app process (started by berth, not by people) */
	if (strcmp(argv[i], "shim") == 0 && argc - i == 5) {
		log_init("berth shim", 0);
		return shim_main(argv[i + 1], strtoll(argv[i + 2], NULL, 10),
		    strtoul(argv[i + 3], NULL, 10), strtoul(argv[i + 4], NULL, 10));
	}
	/* retire an app's old processes after a grace period (started by berth) */
	if (strcmp(argv[i], "retire") == 0 && argc - i >= 4) {
		log_init("berth retire", 0);
		return swap_retire_main(argv[i + 1], argv[i + 2],
		    atoi(argv[i + 3]), argv + i + 4, argc - i - 4);
	}
	if (strcmp(argv[i], "version") == 0 || strcmp(argv[i], "--version") == 0) {
		printf("berth %s\n", BERTH_VERSION);
		return 0;
	}
	if (conf_load(&config, conf_path, err, sizeof(err)) == -1 ||
	    datadir_settle(&config, note, sizeof(note), err, sizeof(err)) == -1) {
		fprintf(stderr, "berth: %s\n", err);
		return 1;
	}
	if (strcmp(argv[i], "check") == 0) {
		printf("configuration OK%s%s\n", config.path[0] ? ": " : "",
		    config.path[0] ? config.path : " (built-in defaults)");
		if (note[0] != '\0')
			printf("%s\n", note);
		return 0;
	}
	if (git_libgit2_init() < 0) {
		fprintf(stderr, "berth: cannot initialise libgit2\n");
		return 1;
	}
	if (strcmp(argv[i], "init") == 0)
		return cmd_init(argc - i, argv + i, note);
	if (strcmp(argv[i], "serve") == 0)
		return argc - i == 1 ? cmd_serve(note) : usage();
	return cmd_local(argc - i, argv + i);
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: berth init [-c FILE] --admin-key PUBKEY_FILE [--admin-name NAME]\n"
	    "       berth serve [-c FILE]\n"
	    "       berth check [-c FILE]\n"
	    "       berth [-c FILE] COMMAND [ARGS...]   (see 'berth help')\n");
	return 2;
}

/* Data dir, host key and database: created when missing. */
static int
prepare(struct store **st, int *created_key)
{
	char err[512], db[PATH_MAX];

	char abs[PATH_MAX];

	if (datadir_init(&config, err, sizeof(err)) == -1 ||
	    sshkey_host_ensure(config.host_key, created_key, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "berth: %s\n", err);
		return -1;
	}
	/* from here on paths under the data dir are absolute: releases and
	 * proxy configs refer to them from elsewhere */
	if (realpath(config.data_dir, abs) == NULL) {
		fprintf(stderr, "berth: cannot resolve '%s': %s\n",
		    config.data_dir, strerror(errno));
		return -1;
	}
	snprintf(config.data_dir, sizeof(config.data_dir), "%s", abs);
	if (datadir_db(&config, db, sizeof(db)) == -1) {
		fprintf(stderr, "berth: data dir path too long\n");
		return -1;
	}
	if (store_open(st, db, err, sizeof(err)) == -1) {
		fprintf(stderr, "berth: %s\n", err);
		return -1;
	}
	return 0;
}

static int
read_file_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "berth: cannot open '%s': %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	return 0;
}

static int
cmd_init(int argc, char **argv, const char *note)
{
	const char *keyfile = NULL, *name = "admin";
	struct key_rec k, old;
	struct store *st;
	char line[8192], err[256];
	int created = 0, rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--admin-key") == 0 && i + 1 < argc)
			keyfile = argv[++i];
		else if (strcmp(argv[i], "--admin-name") == 0 && i + 1 < argc)
			name = argv[++i];
		else
			return usage();
	}
	memset(&k, 0, sizeof(k));
	if (name_key_valid(name, err, sizeof(err)) == -1) {
		fprintf(stderr, "berth: invalid key name '%s': %s\n", name, err);
		return 1;
	}
	if (keyfile != NULL && (read_file_line(keyfile, line, sizeof(line)) == -1 ||
	    sshkey_parse_line(line, &k, err, sizeof(err)) == -1)) {
		if (line[0] != '\0')
			fprintf(stderr, "berth: '%s': %s\n", keyfile, err);
		return 1;
	}
	if (prepare(&st, &created) == -1)
		return 1;
	if (note[0] != '\0')
		printf("%s\n", note);
	if (created)
		printf("created host key %s\n", config.host_key);
	if (keyfile == NULL) {
		printf("data dir %s ready (no admin key given)\n", config.data_dir);
		rc = 0;
	} else if (store_key_by_fingerprint(st, k.fingerprint, &old) == 0) {
		printf("key %s is already registered as '%s'; nothing changed\n",
		    k.fingerprint, old.name);
		rc = 0;
	} else if (store_key_by_name(st, name, &old) == 0) {
		fprintf(stderr, "berth: a different key is already named '%s';"
		    " pick another --admin-name\n", name);
	} else {
		snprintf(k.name, sizeof(k.name), "%s", name);
		k.is_admin = 1;
		if (store_key_add(st, &k) == -1)
			fprintf(stderr, "berth: %s\n", store_error(st));
		else {
			printf("added admin key '%s' %s\n", k.name, k.fingerprint);
			rc = 0;
		}
	}
	store_close(st);
	return rc;
}

/* DATA/serve.started: when this daemon started, for `status`. */
static void
stamp_start(void)
{
	char path[PATH_MAX];
	FILE *f;

	if (datadir_path(&config, "serve.started", path, sizeof(path)) == -1 ||
	    (f = fopen(path, "we")) == NULL)
		return;
	fprintf(f, "%lld\n", (long long)time(NULL));
	fclose(f);
}

static int
cmd_serve(const char *note)
{
	struct reconcile *rec;
	struct gitd_chores chores;
	struct store *st;
	char err[1024], packs[PATH_MAX + 256], log_gens[16];
	int created = 0, keys = 0, started, rc;

	snprintf(log_gens, sizeof(log_gens), "%d", config.log_generations);
	log_init("berth serve", getenv("BERTH_DEBUG") != NULL);
	if (prepare(&st, &created) == -1)
		return 1;
	if (datadir_buildpacks(&config, packs, sizeof(packs), err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		store_close(st);
		return 1;
	}
	if (note[0] != '\0')
		log_info("%s", note);
	if (packs[0] != '\0')
		log_info("%s", packs);
	if (created)
		log_info("created host key %s", config.host_key);
	if (store_admin_count(st, &keys) == 0 && keys == 0)
		log_warnx("no admin key yet: run 'berth init --admin-key FILE'");
	stamp_start();
	/* the apps' files and processes follow a changed app_uid_base */
	if (hooks_uidbase(&config, st, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		store_close(st);
		return 1;
	}
	/* the supervisors (hooks_shim.c) read it at each start */
	if (store_setting_set(st, "log_generations", log_gens) == -1)
		log_warnx("%s", store_error(st));
	/* what a crash or kill -9 left half-done; processes before routing */
	hooks_recover(&config, st);
	if (router_start(&config, st, &started, err, sizeof(err)) == -1)
		log_warnx("router: %s (apps are not reachable over HTTP until"
		    " this is fixed; berth serve tries again; pushes still work;"
		    " draining processes are kept)", err);
	else
		hooks_recover_routed(&config, st);
	testpoint_arm(&config);
	store_close(st);
	/* forked children open their own libgit2 and sqlite state */
	git_libgit2_shutdown();
	/* from now on, what dies is repaired (hooks/hooks_reconcile.h) */
	if ((rec = malloc(sizeof(*rec))) == NULL) {
		log_warnx("out of memory");
		return 1;
	}
	reconcile_init(rec, &config);
	chores = (struct gitd_chores){ reconcile_tick, reconcile_reaped,
	    reconcile_stop, rec };
	rc = gitd_serve(&config, &chores);
	free(rec);
	return rc;
}

static ssize_t
local_read(void *ctx, void *buf, size_t len, char *err, size_t errlen)
{
	ssize_t n;

	(void)ctx;
	while ((n = read(0, buf, len)) == -1 && errno == EINTR)
		;
	if (n == -1)
		snprintf(err, errlen, "read: %s", strerror(errno));
	return n;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
local_write(void *ctx, const void *buf, size_t len, char *err, size_t errlen)
{
	(void)ctx;
	if (write_all(1, buf, len) == -1) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
local_write_err(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	return write_all(2, buf, len);
}

static int
cmd_local(int argc, char **argv)
{
	struct gitd_ctx g;
	struct store *st;
	int created = 0, rc;

	if (prepare(&st, &created) == -1)
		return 1;
	memset(&g, 0, sizeof(g));
	g.conf = &config;
	g.st = st;
	g.local = 1;
	g.key.is_admin = 1;
	snprintf(g.key.name, sizeof(g.key.name), "local");
	snprintf(g.key.fingerprint, sizeof(g.key.fingerprint), "local");
	g.io.in_out = (struct pkt_transport){ .read = local_read,
	    .write = local_write, .ctx = NULL };
	g.io.write_err = local_write_err;
	rc = gitd_dispatch(&g, argc, argv);
	store_close(st);
	return rc;
}
