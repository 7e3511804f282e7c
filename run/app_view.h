/*
 * app_view.h - an app as the listings show it: `apps --json`, `apps:info
 * --json`, `status` and the dashboard's pages (web/) all read it here, so
 * they agree.
 */
#ifndef BERTH_APP_VIEW_H
#define BERTH_APP_VIEW_H

#include <jansson.h>

#include "conf/conf.h"
#include "core/store.h"

struct app_counts {
	int running, crashed, total; /* of the routed processes */
};

/* Count a's routed processes by what their supervisors report. */
void app_view_counts(const struct conf *c, struct store *st,
    const struct app_rec *a, struct app_counts *out);

/* {name, state, release, domains, processes, created_at}; with detail
 * also commit, buildpack and process_list (process, state, pid, port,
 * restarts, rss_bytes, cpu_s).  A new reference; NULL when out of
 * memory. */
json_t *app_view_json(const struct conf *c, struct store *st,
    const struct app_rec *a, int detail);

#endif
