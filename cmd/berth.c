/*
 * berth.c - main: the command line on the server (README "The command
 * line on the server"):
 *   berth init [-c FILE] --admin-key PUBKEY_FILE [--admin-name NAME]
 *   berth serve [-c FILE]
 *   berth check [-c FILE]
 *   berth [-c FILE] COMMAND ...   any SSH command, run locally as admin
 *   berth retire DATA_DIR APP SECONDS ID...  (internal) stop an old set
 *   berth __child CONF_FD KIND ...  (internal) a connection or a chore
 *                                   pass of berth serve: cmd/child.c
 * (The supervisor of each app process is a program of its own, berth-shim:
 * run/berth_shim.c; so is berth serve's front process, berth-serve:
 * cmd/front.c.)
 * One table of sub-commands, each with its arity and whether it needs the
 * config; what is not in it is an SSH command for the gate
 * (cmd/local.c).  main loads the one config struct (paths resolved once,
 * and for a root berth settled where the apps' uids can reach them:
 * core/datadir.h) and hands it to the sub-command.
 */
#include <git2.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "conf/conf.h"
#include "core/datadir.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/num.h"
#include "deploy/gitlib.h"
#include "gitd/gitd.h"
#include "run/procs.h"
#include "run/swap.h"

static struct conf config; /* the one config struct */

#define CMD_CONF 1 /* loads the config first */
#define CMD_GIT  2 /* and libgit2 */
#define ARGS_ANY -1

struct command {
	const char *name;
	int min_args, max_args; /* after the name; ARGS_ANY: no limit */
	int flags;
	int (*run)(struct conf *c, int argc, char **argv, const char *note);
};

static int cmd_retire(struct conf *c, int argc, char **argv,
    const char *note);
static int cmd_version(struct conf *c, int argc, char **argv,
    const char *note);
static int cmd_check(struct conf *c, int argc, char **argv, const char *note);
static int cmd_help(struct conf *c, int argc, char **argv, const char *note);

static const struct command commands[] = {
	{ "retire", 3, ARGS_ANY, 0, cmd_retire },
	{ "__child", 2, ARGS_ANY, 0, cmd_child },
	{ "version", 0, ARGS_ANY, 0, cmd_version },
	{ "--version", 0, ARGS_ANY, 0, cmd_version },
	{ "-h", 0, ARGS_ANY, 0, cmd_help },
	{ "--help", 0, ARGS_ANY, 0, cmd_help },
	{ "check", 0, ARGS_ANY, CMD_CONF, cmd_check },
	{ "init", 0, ARGS_ANY, CMD_CONF | CMD_GIT, cmd_init },
	{ "serve", 0, 0, CMD_CONF | CMD_GIT, cmd_serve },
};

/* any other name: an SSH command, run locally through the gate */
static const struct command local = { NULL, 0, ARGS_ANY,
    CMD_CONF | CMD_GIT, cmd_local };

static const struct command *
command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return &local;
}

/* -c FILE may stand before or right after the sub-command; *conf_path is
 * set and the pair taken out.  The index of the sub-command, or -1. */
static int
take_conf_option(int *argc, char **argv, const char **conf_path)
{
	int i = 1;

	if (i + 1 < *argc && strcmp(argv[i], "-c") == 0) {
		*conf_path = argv[i + 1];
		i += 2;
	}
	if (i >= *argc)
		return -1;
	if (i + 2 < *argc && strcmp(argv[i + 1], "-c") == 0) {
		*conf_path = argv[i + 2];
		memmove(&argv[i + 1], &argv[i + 3],
		    (size_t)(*argc - i - 3 + 1) * sizeof(*argv));
		*argc -= 2;
	}
	return i;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	const char *conf_path = NULL;
	char err[ERR_MAX], note[PATH_MAX + 256] = "";
	int i, nargs;

	umask(077);
	log_init("berth", getenv("BERTH_DEBUG") != NULL);
	if ((i = take_conf_option(&argc, argv, &conf_path)) == -1)
		return cmd_usage();
	cmd = command_find(argv[i]);
	nargs = argc - i - 1;
	if (nargs < cmd->min_args ||
	    (cmd->max_args != ARGS_ANY && nargs > cmd->max_args))
		return cmd_usage();
	if ((cmd->flags & CMD_CONF) &&
	    (conf_load(&config, conf_path, err, sizeof(err)) == -1 ||
	    datadir_settle(&config, note, sizeof(note), err,
	    sizeof(err)) == -1)) {
		fprintf(stderr, "berth: %s\n", err);
		return 1;
	}
	if ((cmd->flags & CMD_GIT) && gitlib_init() < 0) {
		fprintf(stderr, "berth: cannot initialise libgit2\n");
		return 1;
	}
	return cmd->run(&config, argc - i, argv + i, note);
}

int
cmd_usage(void)
{
	fprintf(stderr,
	    "usage: berth init [-c FILE] --admin-key PUBKEY_FILE [--admin-name NAME]\n"
	    "       berth serve [-c FILE]\n"
	    "       berth check [-c FILE]\n"
	    "       berth [-c FILE] COMMAND [ARGS...]   (see 'berth help')\n");
	return 2;
}

static int
cmd_help(struct conf *c, int argc, char **argv, const char *note)
{
	(void)c, (void)argc, (void)argv, (void)note;
	return cmd_usage();
}

static int
cmd_version(struct conf *c, int argc, char **argv, const char *note)
{
	(void)c, (void)argc, (void)argv, (void)note;
	printf("berth %s\n", BERTH_VERSION);
	return 0;
}

static int
cmd_check(struct conf *c, int argc, char **argv, const char *note)
{
	(void)argc, (void)argv;
	printf("configuration OK%s%s\n", c->path[0] ? ": " : "",
	    c->path[0] ? c->path : " (built-in defaults)");
	if (note[0] != '\0')
		printf("%s\n", note);
	return 0;
}

/* berth retire DATA_DIR APP SECONDS ID...: stop an app's old processes
 * after a grace period (started by berth; run/swap.c) */
static int
cmd_retire(struct conf *c, int argc, char **argv, const char *note)
{
	long long grace;

	(void)c, (void)note;
	log_init("berth retire", 0);
	if (num_parse(argv[3], 0, INT32_MAX, &grace) == -1) {
		log_warnx("retire: expected DATA_DIR APP SECONDS ID...");
		return 2;
	}
	return swap_retire_main(argv[1], argv[2], (int)grace, argv + 4,
	    argc - 4);
}
