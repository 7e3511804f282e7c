/* fuzz_sshkey.c - public key lines as given to keys:add and init. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/sshkey.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct key_rec k;
	char *line = malloc(len + 1), err[256];

	if (line == NULL)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	(void)sshkey_parse_line(line, &k, err, sizeof(err));
	free(line);
	return 0;
}
