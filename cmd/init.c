/*
 * init.c - berth init [--admin-key PUBKEY_FILE] [--admin-name NAME]: the
 * data dir, host key and database made ready, and the first admin key
 * registered (again: a no-op when that key is there already).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/names.h"
#include "core/sshkey.h"

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

int
cmd_init(struct conf *c, int argc, char **argv, const char *note)
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
			return cmd_usage();
	}
	memset(&k, 0, sizeof(k));
	line[0] = '\0'; /* read_file_line may fail before filling it */
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
	if (cmd_prepare(c, &st, &created) == -1)
		return 1;
	if (note[0] != '\0')
		printf("%s\n", note);
	if (created)
		printf("created host key %s\n", c->host_key);
	if (keyfile == NULL) {
		printf("data dir %s ready (no admin key given)\n", c->data_dir);
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
