/*
 * fuzz_release.c - bin/release YAML and the Procfile, checked for what
 * they mean, not only for memory errors.  The input goes through what a
 * build does with a buildpack's output (release_yaml_parse, then a
 * Procfile over it) and whatever is accepted must hold the rule every
 * later reader relies on, else abort():
 *   - every line of the canonical list is "NAME: COMMAND\n";
 *   - every NAME is a valid process type (it becomes logs/NAME.N.log);
 *   - every COMMAND is printable UTF-8 without a control character and
 *     without shell syntax, with nothing before or after it to trim;
 *   - the list reads back through procfile_check and procfile_command_of
 *     as it was written (the store gives back exactly this text);
 *   - a static_root is relative, has no ".." step and only plain
 *     path characters (it ends up in the proxy's config).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "run/procfile.h"

static void
check_list(const char *procs)
{
	char name[PROC_NAME_MAX + 2], cmd[PROC_LIST_MAX], why[256];
	const char *l, *colon, *nl;

	if (procfile_check(procs, why, sizeof(why)) == -1)
		abort();
	for (l = procs; *l; l = nl + 1) {
		if ((nl = strchr(l, '\n')) == NULL ||
		    (colon = memchr(l, ':', (size_t)(nl - l))) == NULL ||
		    (size_t)(colon - l) > PROC_NAME_MAX || colon[1] != ' ')
			abort();
		memcpy(name, l, (size_t)(colon - l));
		name[colon - l] = '\0';
		if (!procfile_name_valid(name) ||
		    !text_printable(colon + 2, (size_t)(nl - colon - 2), 1, NULL) ||
		    colon + 2 == nl || colon[2] == ' ' || colon[2] == '\t' ||
		    nl[-1] == ' ' || nl[-1] == '\t' ||
		    memchr(colon + 2, '\0', (size_t)(nl - colon - 2)) != NULL)
			abort();
		if (procfile_command_of(procs, name, cmd, sizeof(cmd)) == -1 ||
		    strlen(cmd) != (size_t)(nl - colon - 2) ||
		    memcmp(cmd, colon + 2, strlen(cmd)) != 0 ||
		    procfile_command_valid(cmd, why, sizeof(why)) == -1)
			abort();
	}
}

static void
check_static_root(const char *sr)
{
	size_t n = strlen(sr);

	if (n == 0)
		return;
	if (sr[0] == '/' || strspn(sr, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+@-") != n ||
	    strcmp(sr, "..") == 0 || strncmp(sr, "../", 3) == 0 ||
	    strstr(sr, "/../") != NULL || (n >= 3 && strcmp(sr + n - 3, "/..") == 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char procs[PROC_LIST_MAX], sr[256], err[256];
	char *text = malloc(len + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	if (release_yaml_parse(text, len, procs, sizeof(procs), sr, sizeof(sr),
	    err, sizeof(err)) == 0) {
		check_list(procs);
		check_static_root(sr);
	}
	/* the same bytes as an app's Procfile (it overrides bin/release) */
	if (procfile_parse(text, procs, sizeof(procs), err, sizeof(err)) == 0)
		check_list(procs);
	free(text);
	return 0;
}
