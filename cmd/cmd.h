/*
 * cmd.h - the server's sub-commands (cmd/berth.c's table) and what they
 * share.  Each handler gets the loaded config (the one config struct,
 * owned by main) and its arguments after the sub-command's name; it
 * returns the process's exit status (0 ok, 1 failed, 2 usage).
 */
#ifndef BERTH_CMD_H
#define BERTH_CMD_H

#include "conf/conf.h"
#include "core/store.h"

/* berth init [--admin-key FILE] [--admin-name NAME] (cmd/init.c) */
int cmd_init(struct conf *c, int argc, char **argv, const char *note);
/* berth serve (cmd/serve.c) */
int cmd_serve(struct conf *c, int argc, char **argv, const char *note);
/* berth __child CONF_FD KIND ...: a connection or a chore pass that the
 * front of berth serve starts (cmd/child.c) */
int cmd_child(struct conf *c, int argc, char **argv, const char *note);
/* How berth serve hands its fds to the front (cmd/front.c): this variable
 * holds "BERTH_FD,CONF_FD,LISTEN_FD,WEB_FD"; the front removes it. */
#define FRONT_FDS_ENV "BERTH_FRONT_FDS"

/* berth COMMAND ...: an SSH command run locally as admin (cmd/local.c) */
int cmd_local(struct conf *c, int argc, char **argv, const char *note);

/* The data dir, host key and database, created when missing; from then on
 * c->data_dir is absolute (cmd/prepare.c).  Errors are printed (this is
 * the edge).  0 with *st open, or -1. */
int cmd_prepare(struct conf *c, struct store **st, int *created_key);

/* The usage text on stderr; returns 2. */
int cmd_usage(void);

#endif
