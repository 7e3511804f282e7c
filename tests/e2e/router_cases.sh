# router_cases.sh - the router's end-to-end cases, sourced by
# test_router_caddy.sh and test_router_nginx.sh (which set ROUTER).  berth
# starts and manages the real proxy on a loopback port; requests go through
# it with curl and a Host header.
. "$(dirname "$0")/lib.sh"
start_server "[router]" "max_body_size = 64K"

static_app() { # static_app NAME TEXT
	local d=$T/$1
	[ -d "$d" ] || git init -q "$d"
	echo "<h1>$2</h1>" > "$d/index.html"
	git -C "$d" add . && git -C "$d" commit -qm "$2"
	git_as admin -C "$d" push -q "$(remote "$1")" main
}

two_apps() {
	static_app alpha "alpha one"
	static_app beta "beta one"
	http alpha.localhost / > "$T/out"; contains "$T/out" "alpha one"
	http beta.localhost / > "$T/out"; contains "$T/out" "beta one"
	http nobody.localhost / -o "$T/out" -w '%{http_code}' > "$T/code"
	contains "$T/code" 404
}

redeploy_switches() {
	static_app alpha "alpha two"
	http alpha.localhost / > "$T/out"; contains "$T/out" "alpha two"
	as admin rollback alpha > /dev/null
	http alpha.localhost / > "$T/out"; contains "$T/out" "alpha one"
	as admin rollback alpha v2 > /dev/null
	http alpha.localhost / > "$T/out"; contains "$T/out" "alpha two"
}

domains_add_remove() {
	as admin domains:add alpha WWW.Alpha-Site.example > "$T/out"
	contains "$T/out" "added www.alpha-site.example to alpha"
	http www.alpha-site.example / > "$T/out"; contains "$T/out" "alpha two"
	as admin domains alpha > "$T/out"
	contains "$T/out" "alpha.localhost"
	contains "$T/out" "www.alpha-site.example"
	as admin domains:remove alpha www.alpha-site.example > /dev/null
	http www.alpha-site.example / -o /dev/null -w '%{http_code}' > "$T/code"
	contains "$T/code" 404
	if as admin domains:remove alpha www.alpha-site.example 2> "$T/out"; then
		echo "removed a domain twice"; return 1
	fi
	contains "$T/out" "has no domain"
}

invalid_domains() {
	local d
	for d in '*.example.com' 'bad_domain.com' 'nodot' '-a.example' 'a..example' \
	    "$(printf 'a%.0s' $(seq 70)).example" '1.2.3.4' 'a.example.'; do
		if as admin domains:add alpha "$d" 2> "$T/out"; then
			echo "invalid domain '$d' accepted"; return 1
		fi
		contains "$T/out" "invalid domain"
	done
	as admin domains:add alpha shop.example > /dev/null
	if as admin domains:add beta shop.example 2> "$T/out"; then
		echo "a domain was given to two apps"; return 1
	fi
	contains "$T/out" "domain 'shop.example' already belongs to app 'alpha'"
	http beta.localhost / > "$T/out"; contains "$T/out" "beta one"
	http shop.example / > "$T/out"; contains "$T/out" "alpha two"
}

longest_domains() {
	# two names of 253 characters (four labels, the most RFC 1123 allows)
	# on two apps: accepted by berth, so the proxy must take them too
	local a b
	a=$(printf 'a%.0s' $(seq 63)).$(printf 'b%.0s' $(seq 63)).$(printf 'c%.0s' $(seq 63)).$(printf 'd%.0s' $(seq 61))
	b=$(printf 'e%.0s' $(seq 63)).${a#*.}
	expect "253 characters" [ "${#a}" = 253 ] && [ "${#b}" = 253 ]
	as admin domains:add alpha "$a" > /dev/null
	as admin domains:add beta "$b" > /dev/null
	http "$a" / > "$T/out"; contains "$T/out" "alpha two"
	http "$b" / > "$T/out"; contains "$T/out" "beta one"
	as admin domains:remove alpha "$a" > /dev/null
	as admin domains:remove beta "$b" > /dev/null
}

proxy_rejects_config() {
	# state the proxy rejects (bad_state, per proxy: see the test files)
	# stands in for any config it would refuse: the change fails with the
	# proxy's own message, nothing is applied, every other app keeps answering
	local rel
	rel=$(sql "select current_release from apps where name='beta'")
	bad_state "$rel"
	if as admin domains:add beta beta-site.example 2> "$T/out"; then
		echo "the proxy accepted a bad config?"; return 1
	fi
	contains "$T/out" "rejected the new configuration"
	contains "$T/out" "$BAD_MESSAGE"
	as admin domains beta > "$T/out"
	if grep -q beta-site.example "$T/out"; then echo "change kept"; return 1; fi
	http alpha.localhost / > "$T/out"; contains "$T/out" "alpha two"
	http beta.localhost / > "$T/out"; contains "$T/out" "beta one"
	# a deploy fails the same way and leaves the old release serving
	if git_as admin -C "$T/beta" commit -q --allow-empty -m x && \
	    git_as admin -C "$T/beta" push "$(remote beta)" main 2> "$T/out"; then
		echo "deploy with a rejected config succeeded"; return 1
	fi
	contains "$T/out" "rejected the new configuration"
	expect "beta still at its old release" [ "$(readlink "$DATA/apps/beta/current")" = "releases/$rel" ]
	http beta.localhost / > "$T/out"; contains "$T/out" "beta one"
	clean_state
	as admin domains:add beta beta-site.example > /dev/null
	http beta-site.example / > "$T/out"; contains "$T/out" "beta one"
}

# A web app that echoes what the proxy sent, answers websocket upgrades and
# POSTs; berth runs it as the app's web process.
proxied_app() {
	local d=$T/web1
	git init -q "$d"
	cat > "$d/upstream.py" <<'PY'
import http.server, json, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.end_headers()
            return
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        data = self.rfile.read(n)
        body = ("got %d bytes" % len(data)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	printf 'web: python3 upstream.py\n' > "$d/Procfile"
	git -C "$d" add . && git -C "$d" commit -qm web
	git_as admin -C "$d" push -q "$(remote web1)" main
	http web1.localhost /path > "$T/out"
	python3 - "$T/out" <<'PY'
import json, sys
h = json.load(open(sys.argv[1]))
assert h.get("x-forwarded-for", "").startswith("127.0.0.1"), h
assert h.get("x-forwarded-proto") == "http", h
assert h.get("x-forwarded-host") == "web1.localhost", h
assert h.get("host") == "web1.localhost", h
PY
	http web1.localhost / -o /dev/null -w '%{http_code}' -H 'Connection: Upgrade' \
	    -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
	    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' > "$T/code" || true
	contains "$T/code" 101
	head -c 1000 /dev/zero > "$T/small"
	http web1.localhost / --data-binary @"$T/small" > "$T/out"
	contains "$T/out" "got 1000 bytes"
	head -c 200000 /dev/zero > "$T/big"
	http web1.localhost / --data-binary @"$T/big" -o /dev/null -w '%{http_code}' > "$T/code" || true
	contains "$T/code" 413
	as admin ps:stop web1 > /dev/null
	http web1.localhost / -o "$T/out" -w '%{http_code}' > "$T/code" || true
	contains "$T/code" 503
	contains "$T/out" "no running web process"
}

# call at top level (it restarts the server), then check with t
restart() {
	stop_server   # also stops the proxy: the routes must come from sqlite
	start_server "[router]" "max_body_size = 64K"
}

routes_restored() {
	http alpha.localhost / > "$T/out"; contains "$T/out" "<h1>alpha"
	http shop.example / > "$T/out"; contains "$T/out" "<h1>alpha"
	http beta.localhost / > "$T/out"; contains "$T/out" "beta one"
}
