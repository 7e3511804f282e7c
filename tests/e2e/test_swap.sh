# test_swap.sh - a replaced web process leaves the app's upstream at once,
# finishes the request it is serving (within [health] grace), and is then
# stopped.  With keep_releases = 1, the release a
# draining set runs from is archived only after the set is gone.
. "$(dirname "$0")/lib.sh"
cp "$BERTH" "$T/berth"     # a copy the test can replace, as an upgrade does
cp "$(dirname "$BERTH")/berth-shim" "$T/berth-shim"
cp "$(dirname "$BERTH")/berth-serve" "$T/berth-serve"
BERTH=$T/berth
start_server "[health]" "grace = 3" "[build]" "keep_releases = 1"
W=$T/web

push_version() {
	echo "$1" > "$W/version"
	git -C "$W" add -A && git -C "$W" commit -qm "$1"
	git_as admin -C "$W" push -q "$(remote web)" main
}

routed_pid() { as admin ps web --json | python3 -c 'import json,sys; print([p["pid"] for p in json.load(sys.stdin) if p["routing"] == "running"][0])'; }

slow_server() {
	printf 'import os, time, http.server\nclass H(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        if self.path == "/slow": time.sleep(2)\n        b = open("version").read().encode()\n        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)\nhttp.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()\n' > "$W/server.py"
}

# A deploy retires the old web process at once (its relay leaves the app's
# upstream port), but a request it is serving runs to its end within the
# grace, and only then does the old process stop.
in_flight_request_finishes() {
	git init -q "$W"
	slow_server
	printf 'web: python3 server.py\n' > "$W/Procfile"
	push_version one
	push_version two
	local v2pid t0 slow
	v2pid=$(routed_pid)
	http web.localhost /slow > "$T/slow.out" &
	slow=$!
	sleep 0.5                # the slow request is inside v2 now
	t0=$(date +%s.%N)
	push_version three       # retires v2 while it answers /slow
	http web.localhost / > "$T/out"; contains "$T/out" "three"
	expect "v2 still serves its request in flight" kill -0 "$v2pid"
	expect "v2's release kept while it drains" [ -f "$DATA/apps/web/releases/2/version" ]
	wait "$slow"
	contains "$T/slow.out" "two"
	for _ in $(seq 40); do kill -0 "$v2pid" 2>/dev/null || break; sleep 0.1; done
	expect "and stopped once it was done" [ ! -e "/proc/$v2pid" ]
	expect "well before the grace (3 s) was over" python3 -c 'import sys, time; sys.exit(time.time() - float(sys.argv[1]) > 3.5)' "$t0"
}

# A redeploy behind the app's stable upstream changes no proxy config, so
# the proxy is not reloaded (a reload closes idle keep-alive connections);
# a domain change still is.
# (Caddy logs "load complete" for a config it found unchanged too; "server
# running" only when it really started the servers of a new config)
loads() { grep -c '"msg":"server running"' "$DATA/router/caddy/caddy.log" || true; }
no_reload_on_deploy() {
	local before
	before=$(loads)
	push_version three-b
	http web.localhost / > "$T/out"; contains "$T/out" "three-b"
	expect "Caddy did not load a new config ($before -> $(loads))" [ "$(loads)" = "$before" ]
	as admin domains:add web swap.example > /dev/null
	expect "a domain change does ($before -> $(loads))" [ "$(loads)" -gt "$before" ]
	http swap.example / > "$T/out"; contains "$T/out" "three-b"
	as admin domains:remove web swap.example > /dev/null
}

binary_replaced() {
	# `make install`-style upgrade: a new file renamed over the running one
	cp "$T/berth" "$T/berth.new" && mv -f "$T/berth.new" "$T/berth"
	push_version four
	http web.localhost / > "$T/out"; contains "$T/out" "four"
	expect "v2 archived once nothing runs from it" [ -f "$DATA/apps/web/releases/2.tar.gz" ] && [ ! -d "$DATA/apps/web/releases/2" ]
	as admin ps:restart web > /dev/null
	http web.localhost / > "$T/out"; contains "$T/out" "four"
}

t "a request in flight on the old release finishes; then it stops" in_flight_request_finishes
t "a redeploy does not reload the proxy" no_reload_on_deploy
t "the binary replaced under a running berth serve: deploys still start processes" binary_replaced
finish
