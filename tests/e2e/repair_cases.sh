# repair_cases.sh - what berth serve repairs by itself, against real
# processes and a real managed proxy (sourced by test_repair.sh with Caddy
# and test_repair_nginx.sh with nginx): kill -9 of the proxy, of an app's
# supervisor and its app, of both, of every berth process at once (a
# reboot), and of one of two instances under a stream of requests.  Each
# measures the seconds until the site answers again, prints the figure and
# asserts a bound generous enough for a loaded machine.  Then a proxy that
# cannot start because another process holds its port: berth names the
# holder and starts it once the port is free.
. "$(dirname "$0")/lib.sh"
start_server "[health]" "timeout = 10" "grace = 1" "[build]" "keep_releases = 1"
W=$T/solo
BOUND=10   # seconds; the goal is under 2 (tests/bench/recovery.sh)

make_app() { # make_app DIR: answers "hello from DYNO pid PID"
	git init -q "$1"
	cat > "$1/server.py" <<'PY'
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from %s pid %d\n" % (os.environ["DYNO"], os.getpid())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	printf 'web: python3 server.py\n' > "$1/Procfile"
	git -C "$1" add . && git -C "$1" commit -qm web
}

proxy_pid() {
	if [ "${ROUTER:-caddy}" = nginx ]; then cat "$DATA/router/nginx/nginx.pid"
	else cat "$DATA/router/caddy/home/caddy.pid"; fi 2>/dev/null
}

# every process of the proxy: nginx's master and its workers
proxy_pids() {
	local p
	p=$(proxy_pid) || return 0
	echo "$p" $(pgrep -P "$p")
}

gone() { # gone PID: no such process, or a zombie nobody reaped yet
	[ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2> /dev/null
}

row() { # row APP PROC COLUMN: of the routed instance PROC (web.1)
	sql "select p.$3 from processes p join apps a on a.id = p.app_id
	     where a.name = '$1' and p.type || '.' || p.idx = '$2' and p.state = 'running'"
}

# kill -9 the supervisor of APP's PROC and its app (the app's process group)
kill_shim() {
	local shim app
	shim=$(row "$1" "$2" shim_pid)
	app=$(cat "$DATA/apps/$1/run/$(row "$1" "$2" id)/pid")
	kill -9 "$shim"
	kill -9 -- "-$app"
}

# answered HOST TEXT START: poll until HOST answers with TEXT (at most 30 s);
# prints the seconds since START (date +%s.%N) and checks them against BOUND
answered() {
	local end took
	for _ in $(seq 600); do
		if curl -s -m 2 -H "Host: $1" "http://127.0.0.1:$HTTP_PORT/" 2> /dev/null | grep -q "$2"; then
			end=$(date +%s.%N)
			took=$(python3 -c "print('%.2f' % ($end - $3))")
			echo "$took" > "$T/took"
			echo "    answered again after $took s"
			python3 -c "import sys; sys.exit(0 if $took < $BOUND else 1)" ||
				{ echo "    more than $BOUND s"; return 1; }
			return 0
		fi
		sleep 0.05
	done
	echo "    no answer within 30 s"
	return 1
}

figure() { # figure WHAT: print the last time measured (outside `t`)
	[ -s "$T/took" ] && echo "    ${ROUTER:-caddy}, $1: answered again after $(cat "$T/took") s"
	rm -f "$T/took"
}

repaired() { # repaired TEXT: `status` lists a repair with TEXT
	for _ in $(seq 50); do
		as admin status > "$T/status"
		grep -q "^repaired: .*$1" "$T/status" && return 0
		sleep 0.1
	done
	cat "$T/status"
	return 1
}

deploy_solo() {
	make_app "$W"
	git_as admin -C "$W" push -q "$(remote solo)" main
	git -C "$W" commit -q --allow-empty -m two   # v1 is archived
	git_as admin -C "$W" push -q "$(remote solo)" main
	http solo.localhost / > "$T/out"; contains "$T/out" "hello from web.1"
	as admin status > "$T/status"
	contains "$T/status" "proxy:"
	contains "$T/status" "running (pid $(proxy_pid))"
}

proxy_killed() {
	local old start
	old=$(proxy_pid)
	start=$(date +%s.%N)
	kill -9 $(proxy_pids)
	answered solo.localhost "hello from web.1" "$start"
	expect "a new proxy" [ "$(proxy_pid)" != "$old" ]
	repaired "${ROUTER:-caddy} restarted"
	grep -q "repair: ${ROUTER:-caddy} was not running: restarted it" "$T/serve.log"
	as admin status --json > "$T/j"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["proxy"]["running"] and d["proxy"]["pid"] > 0, d; assert any(r["ok"] and r["what"].endswith("restarted") and r["app"] == "" for r in d["repairs"]), d' "$T/j"
}

shim_killed() {
	local port start
	port=$(row solo web.1 port)
	start=$(date +%s.%N)
	kill_shim solo web.1
	answered solo.localhost "hello from web.1" "$start"
	repaired "web.1 of solo restarted"
	expect "on the same port" [ "$(row solo web.1 port)" = "$port" ]
	as admin ps solo > "$T/ps"
	expect "ps shows it running" grep -q "web.1 .*running" "$T/ps"
	as admin apps > "$T/apps"
	expect "apps shows solo running" grep -q "^solo  *running" "$T/apps"
}

both_killed() {
	local start
	start=$(date +%s.%N)
	kill -9 $(proxy_pids)
	kill_shim solo web.1
	answered solo.localhost "hello from web.1" "$start"
	as admin ps solo > "$T/ps"
	expect "ps shows it running" grep -q "web.1 .*running" "$T/ps"
}

# a reboot: every berth process dies at once, then berth serve starts
# (at top level: the harness owns SERVER_PID); the start time goes to
# $T/start for the test that follows
reboot_now() {
	local pids
	pids="$SERVER_PID $(proxy_pids) $(pgrep -f "berth shim $DATA ")"
	for f in "$DATA"/apps/*/run/*/pid; do
		[ -s "$f" ] && [ "$(cat "$f")" != 0 ] && pids="$pids -$(cat "$f")"
	done
	kill -9 -- $pids 2> /dev/null
	wait "$SERVER_PID" 2> /dev/null
	SERVER_PID=
	for _ in $(seq 50); do
		curl -s -m 1 -H "Host: solo.localhost" "http://127.0.0.1:$HTTP_PORT/" > /dev/null 2>&1 || break
		sleep 0.1
	done
	date +%s.%N > "$T/start"
	"$BERTH" -c "$T/berth.ini" serve >> "$T/serve.log" 2>&1 &
	SERVER_PID=$!
}

after_reboot() {
	answered solo.localhost "hello from web.1" "$(cat "$T/start")"
	as admin ps solo > "$T/ps"
	expect "ps shows it running" grep -q "web.1 .*running" "$T/ps"
}

# web=2, one instance's supervisor and app killed under a stream of
# requests: the proxy sends them to the other one; not one fails
one_of_two_killed() {
	as admin ps:scale solo web=2 > /dev/null
	for _ in $(seq 50); do
		[ "$(sql "select count(*) from processes p join apps a on a.id = p.app_id where a.name = 'solo' and p.state = 'running'")" = 2 ] &&
			[ "$(sql "select count(*) from processes p join apps a on a.id = p.app_id where a.name = 'solo' and p.state != 'running'")" = 0 ] && break
		sleep 0.1
	done
	python3 - "$HTTP_PORT" > "$T/stream" <<'PY' &
import http.client, sys, time
ok = failed = 0
end = time.time() + 4
while time.time() < end:
    try:
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
        c.request("GET", "/", headers={"Host": "solo.localhost"})
        r = c.getresponse()
        body = r.read()
        if r.status == 200 and b"hello" in body:
            ok += 1
        else:
            failed += 1
            print("failed: HTTP %d %r" % (r.status, body[:80]), flush=True)
        c.close()
    except Exception as e:
        failed += 1
        print("failed: %s" % e, flush=True)
print("%d ok %d failed" % (ok, failed))
PY
	local stream=$!
	sleep 1
	kill_shim solo web.2
	wait "$stream"
	cat "$T/stream" | tail -3
	expect "requests went through" grep -qE '^[1-9][0-9]* ok' "$T/stream"
	expect "not one failed" grep -q ' ok 0 failed$' "$T/stream"
	repaired "web.2 of solo restarted"
}

# another program holds http_listen (top level: berth serve is restarted
# with its proxy down and a listener of python's on the port)
take_port() {
	kill "$SERVER_PID"; wait "$SERVER_PID" 2> /dev/null; SERVER_PID=
	kill -9 $(proxy_pids)
	python3 -c 'import socket,sys,time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(60)' "$HTTP_PORT" &
	echo $! > "$T/holder"
	for _ in $(seq 50); do listeners | grep -q . && break; sleep 0.1; done
	"$BERTH" -c "$T/berth.ini" serve >> "$T/serve.log" 2>&1 &
	SERVER_PID=$!
}

listeners() { # the sockets listening on http_listen
	grep "$(printf ':%04X 00000000:0000 0A' "$HTTP_PORT")" /proc/net/tcp
}

# berth names the holder and does not start its proxy there; once the
# port is free, the proxy starts within the back-off
port_named() {
	local holder start
	holder=$(cat "$T/holder")
	for _ in $(seq 50); do
		as admin status > "$T/status" 2> /dev/null && grep -q "already in use by pid $holder" "$T/status" && break
		sleep 0.2
	done
	contains "$T/status" "NOT RUNNING"
	contains "$T/status" "already in use by pid $holder ("
	contains "$T/status" "python3 -c import socket"
	contains "$T/serve.log" "127.0.0.1:$HTTP_PORT is already in use by pid $holder"
	start=$(date +%s.%N)
	kill "$holder"
	answered solo.localhost "hello from web" "$start"
	repaired "${ROUTER:-caddy} restarted"
	expect "one listener on the port" [ "$(listeners | wc -l)" = 1 ]
}
