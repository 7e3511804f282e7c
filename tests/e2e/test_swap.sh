# test_swap.sh - every replaced process set gets its whole grace period,
# even when deploys come back to back (the retire timer of one deploy must
# not stop the set a later deploy replaced; found by the zero-downtime
# benchmark), and is then stopped.  With keep_releases = 1, the release a
# draining set runs from is archived only after the set is gone.
. "$(dirname "$0")/lib.sh"
cp "$BERTH" "$T/berth"     # a copy the test can replace, as an upgrade does
BERTH=$T/berth
start_server "[health]" "grace = 3" "[build]" "keep_releases = 1"
W=$T/web

push_version() {
	echo "$1" > "$W/version"
	git -C "$W" add -A && git -C "$W" commit -qm "$1"
	git_as admin -C "$W" push -q "$(remote web)" main
}

routed_pid() { as admin ps web --json | python3 -c 'import json,sys; print([p["pid"] for p in json.load(sys.stdin) if p["routing"] == "running"][0])'; }

grace_is_kept() {
	git init -q "$W"
	printf 'import os, http.server\nclass H(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        b = open("version").read().encode()\n        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)\nhttp.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()\n' > "$W/server.py"
	printf 'web: python3 server.py\n' > "$W/Procfile"
	push_version one
	push_version two
	local t2 v2pid
	t2=$(date +%s.%N)
	v2pid=$(routed_pid)
	sleep 2
	push_version three       # drains v2; its own retire comes 3 s later
	# wait past the retire of push two (t2 + 3 s), well before push three's
	python3 -c 'import sys, time; time.sleep(max(0, float(sys.argv[1]) + 3.6 - time.time()))' "$t2"
	expect "v2's process still serving its grace" kill -0 "$v2pid"
	expect "v2's release kept while it drains" [ -f "$DATA/apps/web/releases/2/version" ]
	http web.localhost / > "$T/out"; contains "$T/out" "three"
	for _ in $(seq 40); do kill -0 "$v2pid" 2>/dev/null || break; sleep 0.1; done
	expect "and stopped after it" [ ! -e "/proc/$v2pid" ]
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

t "back-to-back deploys: each old set keeps its whole grace" grace_is_kept
t "the binary replaced under a running berth serve: deploys still start processes" binary_replaced
finish
