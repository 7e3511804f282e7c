/* fuzz_conf.c - the ini loader (conf/conf.c in front of inih). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char path[64];
	struct conf c;
	char err[512];
	uint64_t size;
	FILE *f;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/berth-fuzz-conf.%ld.ini",
		    (long)getpid());
	if ((f = fopen(path, "w")) == NULL)
		return 0;
	if (fwrite(data, 1, len, f) != len) {
		fclose(f);
		return 0;
	}
	fclose(f);
	(void)conf_load(&c, path, err, sizeof(err));
	if (len < 64) {
		char s[64], addr[64];
		int port;
		memcpy(s, data, len);
		s[len] = '\0';
		(void)conf_parse_size(s, &size);
		(void)conf_parse_listen(s, addr, sizeof(addr), &port);
	}
	return 0;
}
