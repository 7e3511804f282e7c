/*
 * gitd_cmd_audit.c - audit [APP] [-n N]: who ran what, on which app, with
 * what outcome and how long it took, newest first (server admins only).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/names.h"
#include "core/num.h"
#include "gitd/gitd_dispatch.h"

/* Every text column goes through gitd_json_text: a row whose command
 * line was not UTF-8 is shown escaped, never dropped.  `at` is Unix
 * seconds, `time` the same in ISO 8601 (UTC), which the columns show. */
static int
audit_row(void *arg, const struct audit_rec *r)
{
	time_t at = (time_t)r->at;
	char iso[32] = "?";
	struct tm tm;

	if (gmtime_r(&at, &tm) != NULL)
		strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_array_append_new(arg, json_pack("{s:I, s:I, s:s, s:o, s:o, s:o, s:o,"
	    " s:o, s:I}", "id", (json_int_t)r->id, "at", (json_int_t)r->at,
	    "time", iso, "key",
	    gitd_json_text(r->key), "fingerprint", gitd_json_text(r->fingerprint),
	    "app", gitd_json_text(r->app), "command", gitd_json_text(r->command),
	    "outcome", gitd_json_text(r->outcome), "duration_ms",
	    (json_int_t)r->duration_ms));
	return 0;
}

int
cmd_audit(struct gitd_ctx *g, int argc, char **argv)
{
	static const char *const cols[] = { "id", "time", "key", "app", "command",
	    "outcome", "duration_ms", NULL };
	const char *app = NULL;
	char why[128];
	long long n = 50;
	json_t *rows;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			if (num_parse(argv[++i], 1, 10000, &n) == -1) {
				gitd_errorf(g, "berth: -n takes 1-10000");
				return 2;
			}
		} else if (app == NULL && name_app_valid(argv[i], why,
		    sizeof(why)) == 0) {
			app = argv[i];
		} else {
			gitd_errorf(g, "berth: unexpected '%.40s'\nusage: audit [APP]"
			    " [-n N] [--json]", argv[i]);
			return 2;
		}
	}
	rows = json_array();
	if (store_audit_each(g->st, app, (int)n, audit_row, rows) == -1) {
		json_decref(rows);
		gitd_errorf(g, "berth: %s", store_error(g->st));
		return 1;
	}
	return gitd_emit_list(g, rows, cols) == 0 ? 0 : 1;
}
