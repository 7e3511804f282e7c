# test_upstream_taken.sh - an app's stable upstream port is its own only
# while one of its relays holds it.  Stopped, anything may bind it: the
# next start or deploy moves the app to another port and points the proxy
# there, instead of failing (or routing the app's visitors to a stranger).
. "$(dirname "$0")/lib.sh"
start_server
W=$T/web

push_version() {
	echo "$1" > "$W/version"
	git -C "$W" add -A && git -C "$W" commit -qm "$1"
	git_as admin -C "$W" push -q "$(remote web)" main
}

upstream() { sql "SELECT upstream_port FROM apps WHERE name = 'web';"; }

squat_stop() { [ -f "$T/squat.pid" ] && kill "$(cat "$T/squat.pid")" 2>/dev/null; rm -f "$T/squat.pid"; return 0; }

# squat PORT: a stranger's HTTP server on 127.0.0.1:PORT answering "squatter"
squat() {
	squat_stop # one an earlier (failed) test left
	python3 -c 'import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "8"); self.end_headers(); self.wfile.write(b"squatter")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$1" &
	SQUAT=$!
	echo "$SQUAT" > "$T/squat.pid"
	for _ in $(seq 200); do
		curl -s -m 1 "http://127.0.0.1:$1/" 2>/dev/null | grep -q squatter && return 0
		sleep 0.05
	done
	echo "    the squatter did not listen on $1"
	return 1
}
trap 'squat_stop; cleanup' EXIT

app_up() {
	git init -q "$W"
	printf 'import os, http.server\nclass H(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        b = open("version").read().encode()\n        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)\nhttp.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()\n' > "$W/server.py"
	printf 'web: python3 server.py\n' > "$W/Procfile"
	push_version one
	http web.localhost / > "$T/out"; contains "$T/out" "one"
	expect "an upstream port recorded" [ "$(upstream)" -gt 0 ]
}

# stopped, a stranger binds the app's port; ps:start moves the app
start_moves() {
	local old new
	old=$(upstream)
	as admin ps:stop web > /dev/null
	squat "$old"
	as admin ps:start web > "$T/start.out" 2>&1 || { cat "$T/start.out"; return 1; }
	new=$(upstream)
	expect "the app moved off port $old (now $new)" [ "$new" != "$old" ] && [ "$new" -gt 0 ]
	http web.localhost / > "$T/out"; contains "$T/out" "one"
	expect "the squatter got none of the app's requests" fails grep -q squatter "$T/out"
	contains "$T/serve.log" "upstream port $old is taken by pid $SQUAT"
	squat_stop
}

# the same before a deploy: the push succeeds and serves the new version
deploy_moves() {
	local old new
	old=$(upstream)
	as admin ps:stop web > /dev/null
	squat "$old"
	push_version two
	new=$(upstream)
	expect "the app moved off port $old (now $new)" [ "$new" != "$old" ]
	http web.localhost / > "$T/out"; contains "$T/out" "two"
	expect "the squatter got none of the app's requests" fails grep -q squatter "$T/out"
	squat_stop
}

# the app's own relays on its port are no reason to move
redeploy_stays() {
	local old
	old=$(upstream)
	push_version three
	expect "a redeploy keeps port $old (now $(upstream))" [ "$(upstream)" = "$old" ]
	http web.localhost / > "$T/out"; contains "$T/out" "three"
}

t "an app answers on its first deploy" app_up
t "ps:start: a stranger on the stopped app's port moves the app" start_moves
t "a deploy: a stranger on the stopped app's port moves the app" deploy_moves
t "a redeploy over the app's own relays keeps its port" redeploy_stays
finish
