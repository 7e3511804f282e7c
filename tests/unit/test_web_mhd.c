/*
 * test_web_mhd.c - unit tests of web/web_mhd.c, the loader that opens
 * libmicrohttpd when the HTTP endpoint starts: it loads and a server made
 * through its table starts and stops; with BERTH_TEST_LIBMHD pointing at
 * a library that is not there, or at one without MHD's functions, loading
 * fails with an error that names it, and so does web_server_start
 * (logged; NULL) instead of crashing.
 */
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "web/web_int.h"
#include "web/web_mhd.h"
#include "unit.h"

int
main(void)
{
	struct web_mhd m;
	struct conf c;
	struct web_server *srv;
	char err[512] = "";

	memset(&c, 0, sizeof(c));
	CHECK(web_mhd_load(&m, err, sizeof(err)) == 0);
	CHECK(m.start_daemon != NULL && m.destroy_response != NULL);
	/* a server with no socket of its own, as the fuzz target makes */
	CHECK((srv = web_server_start(&c, -1)) != NULL);
	if (srv != NULL) {
		CHECK(web_server_step(srv, 0) == 0);
		web_server_stop(srv);
	}

	setenv("BERTH_TEST_LIBMHD", "libberth-no-such-mhd.so.12", 1);
	CHECK(web_mhd_load(&m, err, sizeof(err)) == -1);
	CHECK(strstr(err, "cannot load 'libberth-no-such-mhd.so.12'") != NULL);
	CHECK(strstr(err, "install libmicrohttpd12") != NULL);
	CHECK(web_server_start(&c, -1) == NULL);

	setenv("BERTH_TEST_LIBMHD", "libz.so.1", 1);
	CHECK(web_mhd_load(&m, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "'libz.so.1' has no function 'MHD_start_daemon'") == 0);
	return unit_done();
}
