/*
 * prepare.c - what every sub-command that touches the data dir does first
 * (see cmd.h): create the data dir and the host key when missing, make the
 * data dir's path absolute (releases and proxy configs refer to it from
 * elsewhere), open the database.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/datadir.h"
#include "core/msg.h"
#include "core/sshkey.h"

int
cmd_prepare(struct conf *c, struct store **st, int *created_key)
{
	char err[ERR_MAX], db[PATH_MAX], abs[PATH_MAX];

	if (datadir_init(c, err, sizeof(err)) == -1 ||
	    sshkey_host_ensure(c->host_key, created_key, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "berth: %s\n", err);
		return -1;
	}
	if (realpath(c->data_dir, abs) == NULL) {
		fprintf(stderr, "berth: cannot resolve '%s': %s\n",
		    c->data_dir, strerror(errno));
		return -1;
	}
	snprintf(c->data_dir, sizeof(c->data_dir), "%s", abs);
	if (datadir_db(c->data_dir, db, sizeof(db)) == -1) {
		fprintf(stderr, "berth: data dir path too long\n");
		return -1;
	}
	if (store_open(st, db, err, sizeof(err)) == -1) {
		fprintf(stderr, "berth: %s\n", err);
		return -1;
	}
	return 0;
}
