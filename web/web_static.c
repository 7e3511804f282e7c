/*
 * web_static.c - the dashboard's two static files, compiled in: the
 * stylesheet (small, readable on a phone) and the script of the live
 * views (server-sent events into a <pre>; the pages work without it).
 * Served from 'self' only (the Content-Security-Policy of web_resp.c).
 */
#include <string.h>

#include "web/web_pages.h"

static const char style_css[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#222;"
    "background:#fafafa}\n"
    "header{background:#1d3557;padding:.6em 1em}\n"
    "header a{color:#fff;font-weight:bold;text-decoration:none}\n"
    "main{padding:1em;max-width:70em;margin:auto}\n"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\n"
    "table{border-collapse:collapse;width:100%;display:block;"
    "overflow-x:auto}\n"
    "th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd;"
    "white-space:nowrap}\n"
    "pre{background:#111;color:#eee;padding:.8em;overflow-x:auto;"
    "max-height:70vh;white-space:pre-wrap;word-break:break-all}\n"
    ".ok,.running,.succeeded{color:#2a7d2a}.crashed,.failed{color:#b00020}\n"
    "form{display:inline-block;margin:.2em .4em .2em 0}\n"
    "button{padding:.35em .8em}input{padding:.3em;width:10em}\n";

static const char live_js[] =
    "(function(){var p=document.getElementById('live');"
    "if(!p||!window.EventSource)return;"
    "var s=new EventSource(p.getAttribute('data-src'));"
    "s.onmessage=function(e){p.textContent+=e.data+'\\n';"
    "p.scrollTop=p.scrollHeight;};"
    "s.addEventListener('end',function(){s.close();});})();\n";

int
web_static(const struct web_req *req, struct web_resp *resp)
{
	if (strcmp(req->path, "/static/style.css") == 0)
		return web_resp_set(resp, 200, "text/css; charset=utf-8",
		    style_css, sizeof(style_css) - 1);
	if (strcmp(req->path, "/static/live.js") == 0)
		return web_resp_set(resp, 200, "text/javascript; charset=utf-8",
		    live_js, sizeof(live_js) - 1);
	return web_resp_error(resp, 404, "not found");
}
