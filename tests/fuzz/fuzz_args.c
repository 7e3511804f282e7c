/* fuzz_args.c - the SSH command-line splitter and the name checks. */
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/vars.h"
#include "gitd/gitd_dispatch.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *line = malloc(len + 1), buf[4096], err[128], app[80];
	char *argv[ARGS_MAX];
	int argc;

	if (line == NULL)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	argc = gitd_split_args(line, buf, sizeof(buf), argv, ARGS_MAX, err,
	    sizeof(err));
	for (int i = 0; i < argc; i++) {
		(void)name_app_valid(argv[i], err, sizeof(err));
		(void)name_key_valid(argv[i], err, sizeof(err));
		(void)name_domain_valid(argv[i], err, sizeof(err));
		(void)name_repo_arg(argv[i], app, sizeof(app), err, sizeof(err));
		(void)vars_name_valid(argv[i], err, sizeof(err));
	}
	free(line);
	return 0;
}
