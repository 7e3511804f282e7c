/*
 * web_page.c - the pages' frame and formatting (web_page.h).
 */
#include <time.h>

#include "web/web_page.h"

void
web_page_begin(struct web_resp *resp, const char *title)
{
	web_resp_printf(resp, "<!doctype html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" content=\""
	    "width=device-width, initial-scale=1\"><title>");
	web_resp_html(resp, title);
	web_resp_printf(resp, " - berth</title><link rel=\"stylesheet\" href="
	    "\"/static/style.css\"></head><body><header><a href=\"/\">berth"
	    "</a></header><main><h1>");
	web_resp_html(resp, title);
	web_resp_printf(resp, "</h1>\n");
}

void
web_page_end(struct web_resp *resp)
{
	web_resp_printf(resp, "</main></body></html>\n");
}

void
web_page_time(struct web_resp *resp, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm) == 0) {
		web_resp_printf(resp, "-");
		return;
	}
	web_resp_printf(resp, "%s", buf);
}

void
web_page_bytes(struct web_resp *resp, long long n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	web_resp_printf(resp, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}
