/*
 * health.c - is a new process ready?  A web process is healthy once
 * an HTTP GET of the health path on its port answers anything but a 5xx
 * (libcurl, retried every 200 ms until the timeout); any process fails at
 * once if its supervisor reports it crashed or restarting.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/procs.h"
#include "run/swap.h"

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

/* The status of one GET, or 0 when nothing answered. */
static long
probe(CURL *curl, int port, const char *path)
{
	char url[600];
	long code = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

int
health_wait(const struct conf *c, const char *app, const struct proc_rec *p,
    const char *path, int timeout_s, char *why, size_t whylen)
{
	struct proc_status ps;
	time_t deadline = time(NULL) + timeout_s;
	long code = 0;
	CURL *curl;

	if ((curl = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "cannot start an HTTP client");
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	for (;;) {
		proc_status(c->data_dir, app, p, &ps);
		if (strcmp(ps.state, "crashed") == 0 ||
		    strcmp(ps.state, "backoff") == 0 || ps.restarts > 0 ||
		    strcmp(ps.state, "gone") == 0) {
			snprintf(why, whylen, "%s.%d exited during start (see 'logs %s')",
			    p->type, p->idx, app);
			break;
		}
		if (p->port == 0) { /* no port: alive for a moment is enough */
			if (strcmp(ps.state, "running") == 0 && ps.started > 0 &&
			    time(NULL) - ps.started >= 1) {
				curl_easy_cleanup(curl);
				return 0;
			}
		} else if (strcmp(ps.state, "running") == 0 &&
		    (code = probe(curl, p->port, path)) >= 100 && code < 500) {
			curl_easy_cleanup(curl);
			return 0;
		}
		if (time(NULL) >= deadline) {
			if (code >= 500)
				snprintf(why, whylen, "%s.%d answered %s with HTTP %ld"
				    " for %d s", p->type, p->idx, path, code, timeout_s);
			else
				snprintf(why, whylen, "%s.%d did not answer on port %d"
				    " within %d s", p->type, p->idx, p->port, timeout_s);
			break;
		}
		usleep(200000);
	}
	curl_easy_cleanup(curl);
	return -1;
}
