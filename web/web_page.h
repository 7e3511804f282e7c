/*
 * web_page.h - the frame of every dashboard page: a head with the
 * stylesheet (/static/style.css) and a viewport for phones, a header, and
 * helpers that write escaped text and numbers.  Every byte of stored or
 * user text goes through web_resp_html.
 */
#ifndef BERTH_WEB_PAGE_H
#define BERTH_WEB_PAGE_H

#include <stdint.h>

#include "web/web.h"

/* <!doctype html>... <main>; title is escaped. */
void web_page_begin(struct web_resp *resp, const char *title);
/* </main></body></html> */
void web_page_end(struct web_resp *resp);
/* a time (unix seconds) as "2026-12-03 05:20 UTC", "-" for 0 */
void web_page_time(struct web_resp *resp, int64_t t);
/* bytes as "12.3 MiB" */
void web_page_bytes(struct web_resp *resp, long long n);

#endif
