# test_dashboard_browser.sh - the dashboard in a real browser (headless
# Chromium, Debian's package): a login link opens the app's page (the
# cookie set, then the page loads with its stylesheet, and a screenshot
# of it at a phone's width is taken), and the page of a deploy that is
# still running shows its log arriving live (server-sent events and
# /static/live.js) while the push runs.  Skips when chromium is absent.
. "$(dirname "$0")/lib.sh"
if ! command -v chromium > /dev/null; then
	echo "SKIP $(basename "$0"): no chromium (apt-get install chromium)"
	echo "0 passed, 0 failed"
	exit 0
fi
WEB_PORT=$(free_port)
start_server "[health]" "timeout = 30" "grace = 1" "[dashboard]" \
    "listen = 127.0.0.1:$WEB_PORT" "host = berth.localhost"
W=$T/w

# browse NEXT ARGS...: log in with a fresh link and go to NEXT
browse() {
	local url next=$1
	shift
	url=$(as admin dashboard:login | head -1)
	timeout 90 chromium --headless --no-sandbox --disable-gpu \
	    --no-first-run --user-data-dir="$T/chrome" --window-size=412,900 \
	    "$@" "$url&next=$next" 2> "$T/chrome.log"
}

setup() {
	for _ in $(seq 300); do
		[ "$(http berth.localhost /health 2>/dev/null)" = ok ] && break
		sleep 0.1
	done
	git init -q "$W"
	cat > "$W/server.py" <<'PY'
import os, time, http.server
time.sleep(int(open("DELAY").read()))
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hi\n")
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	echo 0 > "$W/DELAY"
	printf 'web: python3 server.py\n' > "$W/Procfile"
	git -C "$W" add . && git -C "$W" commit -qm v1
	git_as admin -C "$W" push -q "$(remote shop)" main 2> /dev/null
}

app_page_loads() {
	browse /apps/shop --virtual-time-budget=5000 --dump-dom > "$T/dom" || true
	contains "$T/dom" "<h1>shop</h1>"
	contains "$T/dom" "Processes"
	contains "$T/dom" "web.1"
	browse /apps/shop --virtual-time-budget=5000 \
	    --screenshot="$T/app.png" > /dev/null 2>&1 || true
	expect "a screenshot" [ -s "$T/app.png" ]
	expect "a PNG" [ "$(head -c 4 "$T/app.png" | tail -c 3)" = PNG ]
}

live_deploy_log() {
	local push
	echo 4 > "$W/DELAY"
	git -C "$W" commit -qam v2
	git_as admin -C "$W" push -q "$(remote shop)" main 2> /dev/null &
	push=$!
	for _ in $(seq 300); do
		[ "$(sql "select status from deploys where number = 2")" = \
		    running ] && break
		sleep 0.05
	done
	browse /apps/shop/deploys/2 --virtual-time-budget=30000 --dump-dom \
	    > "$T/dom" || true
	wait "$push"
	contains "$T/dom" 'id="live"'
	contains "$T/dom" "-----&gt; Starting 1 process of v2"
}

t setup setup
t app_page_loads app_page_loads
t live_deploy_log live_deploy_log
finish
