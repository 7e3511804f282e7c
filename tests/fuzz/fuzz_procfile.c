/* fuzz_procfile.c - Procfile, bin/release YAML and app.json parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/appjson.h"
#include "run/procfile.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char out[4096], sr[256], err[256];
	char *text = malloc(len + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	(void)procfile_parse(text, out, sizeof(out), err, sizeof(err));
	(void)release_yaml_parse(text, len, out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err));
	out[0] = '\0';
	(void)appjson_parse(text, len, out, sizeof(out), err, sizeof(err));
	free(text);
	return 0;
}
