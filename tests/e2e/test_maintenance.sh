# test_maintenance.sh - maintenance:on|off with a real proxy (Caddy here,
# nginx in test_maintenance_nginx.sh): the proxy answers 503 with berth's
# page, then with the app's own maintenance.html (a deploy in maintenance
# keeps it), the app's process keeps running all along, and off routes to
# it again.  The app's page carries what a config could choke on: quotes,
# a backslash, '$', braces and a semicolon.
. "$(dirname "$0")/lib.sh"
start_server "[health]" "timeout = 10" "grace = 1"
W=$T/w

web_app() {
	git init -q "$W"
	cat > "$W/server.py" <<'PY'
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("v=%s\n" % open("VERSION").read().strip()).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	echo 1 > "$W/VERSION"
	printf 'web: python3 server.py\n' > "$W/Procfile"
	git -C "$W" add . && git -C "$W" commit -qm web
	git_as admin -C "$W" push -q "$(remote shop)" main
}

web_pid() { as admin ps shop | awk '$1 == "web.1" && $NF == "running" {print $3}'; }

code() { http shop.localhost / -o "$T/body" -D "$T/headers" -w '%{http_code}'; }

maintenance_page_then_back() {
	local pid
	web_app
	expect "served" [ "$(code)" = 200 ]
	pid=$(web_pid)
	as admin maintenance:on shop > "$T/out"
	contains "$T/out" "maintenance on"
	expect "503 in maintenance" [ "$(code)" = 503 ]
	contains "$T/body" "shop is down for maintenance"
	grep -qi "^retry-after: 120" "$T/headers"
	grep -qi "^content-type: text/html" "$T/headers"
	expect "the process runs on" [ "$(web_pid)" = "$pid" ]
	as admin maintenance:off shop > "$T/out"
	expect "200 again" [ "$(code)" = 200 ]
	contains "$T/body" "v=1"
	expect "the same process" [ "$(web_pid)" = "$pid" ]
}

own_page_survives_a_deploy() {
	cat > "$W/maintenance.html" <<'HTML'
<h1>Back soon</h1>
<p class="x">costs $5 \ {braces}; "quoted" $HOME</p>
HTML
	echo 2 > "$W/VERSION"
	git -C "$W" add . && git -C "$W" commit -qm v2
	as admin maintenance:on shop > /dev/null
	git_as admin -C "$W" push -q "$(remote shop)" main
	expect "still 503 after the deploy" [ "$(code)" = 503 ]
	# nginx's strings have no escape for '$': it goes as the HTML entity,
	# which a browser shows as the same '$'
	[ "${ROUTER:-caddy}" = caddy ] || sed -i 's/&#36;/$/g' "$T/body"
	contains "$T/body" '<p class="x">costs $5 \ {braces}; "quoted" $HOME</p>'
	expect "nothing of berth's page" fails grep -q "down for maintenance" "$T/body"
	# a deployer may do it too
	as admin keys:add dev < "$T/dev.pub" > /dev/null
	as admin grant dev shop deployer > /dev/null
	as dev maintenance:off shop > /dev/null
	expect "200 again" [ "$(code)" = 200 ]
	contains "$T/body" "v=2"
	expect "a stranger may not" fails as stranger maintenance:on shop 2> /dev/null
}

t maintenance_page_then_back maintenance_page_then_back
t own_page_survives_a_deploy own_page_survives_a_deploy
finish
