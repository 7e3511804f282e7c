/*
 * test_reason.c - deploy/reason.c: which line a failed build step is
 * rejected with, and that the limits are named only when one was hit.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy.h"
#include "tests/unit/unit.h"

/* The reason for a step that printed lines (NULL-ended) and ended as res. */
static const char *
reason_of(struct deploy *d, const struct conf *c, const char *const *lines,
    struct spawn_result res)
{
	free(d->log);
	memset(d, 0, sizeof(*d));
	d->conf = c;
	d->build_ident.drop = 1;
	for (size_t i = 0; lines[i] != NULL; i++)
		reason_note_line(d, lines[i]);
	CHECK(reason_build_failed(d, &res) == -1);
	return d->reason;
}

int
main(void)
{
	struct spawn_result exit1 = { .exited = 1, .exit_code = 1 };
	struct spawn_result killed = { .signal = SIGKILL };
	static const char *const own[] = { "-----> Installing", "       fetching",
	    " !     npm ERR! 404 Not Found", "       cleaning up", NULL };
	static const char *const last[] = { "       compiling",
	    "make: *** [all] Error 2", "   ", NULL };
	static const char *const memory[] = { "MemoryError", NULL };
	static const char *const fork[] = { "sh: 0: Cannot fork", NULL };
	static const char *const none[] = { NULL };
	struct deploy d;
	struct conf c;

	memset(&d, 0, sizeof(d));
	conf_defaults(&c);
	CHECK(strcmp(reason_of(&d, &c, own, exit1),
	    "build failed (exit status 1): npm ERR! 404 Not Found") == 0);
	CHECK(strcmp(reason_of(&d, &c, last, exit1),
	    "build failed (exit status 1): make: *** [all] Error 2") == 0);
	CHECK(strcmp(reason_of(&d, &c, none, exit1),
	    "build failed (exit status 1)") == 0);
	CHECK(strstr(reason_of(&d, &c, memory, exit1),
	    "): MemoryError (builds may use 1024 MiB of memory") != NULL);
	CHECK(strstr(reason_of(&d, &c, fork, exit1),
	    "and 1024 processes, [server] app_max_processes)") != NULL);
	CHECK(strstr(reason_of(&d, &c, none, killed),
	    "killed by signal 9 (out of memory?)) (builds may use") != NULL);
	free(d.log);
	return unit_done();
}
