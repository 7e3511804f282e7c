# test_processes.sh - running apps: real processes under berth's
# supervisor, real HTTP through the managed proxy on loopback.  Crash and
# restart, scaling, config changes, berth serve killed and restarted, a
# release that fails its health check (and leaves no release behind),
# logs -f, ps:stop/ps:start, workers, scaling and restarting only what is
# named, config changes to a stopped app, --no-restart.
. "$(dirname "$0")/lib.sh"
start_server "[health]" "timeout = 5" "grace = 1"
W=$T/web

# a small web app: answers "hello $GREETING from $DYNO", 500 when BROKEN
# exists in the release, exits at once when CRASH does
web_app() {
	git init -q "$W"
	cat > "$W/server.py" <<'PY'
import os, sys, http.server
if os.path.exists("CRASH"):
    print("crashing on purpose", flush=True)
    sys.exit(3)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 500 if os.path.exists("BROKEN") else 200
        body = ("hello %s from %s pid %d\n" % (os.environ.get("GREETING", "world"),
                os.environ["DYNO"], os.getpid())).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        print("request", self.path, flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	cat > "$W/worker.py" <<'PY'
import os, time
while True:
    with open(os.environ["MARK"], "a") as f:
        f.write("tick\n")
    time.sleep(0.5)
PY
	printf 'web: python3 server.py\n' > "$W/Procfile"
	git -C "$W" add . && git -C "$W" commit -qm web
}

# the pid of the routed instance (a draining one may still be around)
app_pid() { as admin ps web | awk -v p="$1" '$1 == p && $NF == "running" {print $3}'; }

# wait_ps PATTERN PRESENT(1|0): poll ps until the pattern shows (or is gone)
wait_ps() {
	for _ in $(seq 50); do
		as admin ps web > "$T/ps"
		if grep -q "$1" "$T/ps"; then [ "$2" = 1 ] && return 0
		else [ "$2" = 0 ] && return 0; fi
		sleep 0.2
	done
	cat "$T/ps"
	return 1
}

deploy_web_app() {
	web_app
	git_as admin -C "$W" push "$(remote web)" main 2> "$T/out"
	contains "$T/out" "web.1 healthy on port"
	http web.localhost / > "$T/out"
	contains "$T/out" "hello world from web.1"
	as admin ps web > "$T/ps"
	contains "$T/ps" "web.1"
	contains "$T/ps" "running"
	# berth runs as root here: the app runs as its own uid (app_uid_base + id)
	expect "app runs unprivileged" [ "$(ps -o uid= -p "$(app_pid web.1)")" -gt "$UID_BASE" ]
}

crash_is_restarted() {
	local before after
	before=$(app_pid web.1)
	kill -9 "$before"
	for _ in $(seq 50); do
		after=$(app_pid web.1)
		[ -n "$after" ] && [ "$after" != 0 ] && [ "$after" != "$before" ] && break
		sleep 0.1
	done
	expect "a new process" [ "$after" != "$before" ] && [ "$after" != 0 ]
	as admin ps web > "$T/ps"
	expect "restart counted" awk '$1 == "web.1" && $6 >= 1 {ok=1} END {exit !ok}' "$T/ps"
	http web.localhost / > "$T/out"; contains "$T/out" "hello world"
}

config_set_changes_output() {
	as admin config:set web GREETING=there > "$T/out"
	contains "$T/out" "healthy on port"
	http web.localhost / > "$T/out"; contains "$T/out" "hello there from web.1"
}

scale_up_and_down() {
	as admin ps:scale web web=2 > /dev/null
	wait_ps draining 0   # the old set is retired after the grace period
	contains "$T/ps" "web.1"
	contains "$T/ps" "web.2"
	expect "two processes routed" [ "$(grep -c ' running *$' "$T/ps")" = 2 ]
	: > "$T/seen"
	for _ in $(seq 20); do http web.localhost / >> "$T/seen"; done
	contains "$T/seen" "from web.1"
	contains "$T/seen" "from web.2"
	as admin ps:scale web web=1 > /dev/null
	wait_ps "web\.2" 0 || { echo "web.2 still there"; return 1; }
	if as admin ps:scale web nosuch=1 2> "$T/out"; then echo "unknown type scaled"; return 1; fi
	contains "$T/out" "has no 'nosuch' process"
	if as admin ps:scale web web=99 2> "$T/out"; then echo "scaled to 99"; return 1; fi
}

failed_health_check_keeps_old() {
	touch "$W/BROKEN"
	git -C "$W" add BROKEN && git -C "$W" commit -qm broken
	if git_as admin -C "$W" push "$(remote web)" main 2> "$T/out"; then
		echo "unhealthy release was deployed"; return 1
	fi
	contains "$T/out" "answered / with HTTP 500"
	http web.localhost / > "$T/out"; contains "$T/out" "hello there"
	git -C "$W" rm -q BROKEN && git -C "$W" commit -qm fixed
	touch "$W/CRASH" && git -C "$W" add CRASH && git -C "$W" commit -qm crash
	if git_as admin -C "$W" push "$(remote web)" main 2> "$T/out"; then
		echo "crashing release was deployed"; return 1
	fi
	contains "$T/out" "exited during start"
	http web.localhost / > "$T/out"; contains "$T/out" "hello there"
	# the failed releases left only their deploy rows and logs
	local live
	live=$(sql "select current_release from apps where name='web'")
	expect "no release row beyond the live one" [ "$(sql "select max(version) from releases r join apps a on a.id = r.app_id where a.name='web'")" = "$live" ]
	expect "no release dir beyond the live one" [ ! -e "$DATA/apps/web/releases/$((live + 1))" ]
	as admin releases web > "$T/out"
	expect "releases lists only what went live" [ "$(grep -c '^[0-9]' "$T/out")" = "$live" ]
	expect "both failures are in the deploy history" [ "$(as admin deploys web | grep -c failed)" = 2 ]
	as admin logs web --build > "$T/out"; contains "$T/out" "exited during start"
	if as admin rollback web $((live + 1)) 2> "$T/out"; then echo "rolled back to a failed release"; return 1; fi
	contains "$T/out" "has no release v$((live + 1))"
	git -C "$W" rm -q CRASH && git -C "$W" commit -qm "no crash"
	git_as admin -C "$W" push -q "$(remote web)" main
	wait_ps draining 0 || { echo "the old set was not retired"; return 1; }
	expect "only the new set is left" [ "$(grep -c 'web\.' "$T/ps")" = 1 ]
	expect "the next release takes the next number" [ "$(sql "select current_release from apps where name='web'")" = $((live + 1)) ]
}

logs_follow() {
	as admin logs web -f > "$T/follow" 2>&1 &
	local pid=$!
	sleep 1
	http web.localhost /marker-after-start > /dev/null
	for _ in $(seq 30); do
		grep -q "request /marker-after-start" "$T/follow" && break
		sleep 0.1
	done
	kill_tree "$pid"
	contains "$T/follow" "web.1 | request /marker-after-start"
	# the client is gone: its connection process notices and ends (the
	# repair and upkeep passes come and go on their own)
	for _ in $(seq 100); do
		[ -z "$(conn_pids)" ] && break
		sleep 0.1
	done
	expect "no connection process left after the client went away" [ -z "$(conn_pids)" ]
	as admin logs web -n 3 > "$T/out"
	expect "-n 3 gives 3 lines" [ "$(wc -l < "$T/out")" = 3 ]
}

stop_and_start() {
	as admin ps:stop web > /dev/null
	http web.localhost / -o /dev/null -w '%{http_code}' > "$T/code" || true
	contains "$T/code" 503
	as admin ps:start web > /dev/null
	http web.localhost / > "$T/out"; contains "$T/out" "hello there"
}

worker_runs() {
	as admin config:set web MARK="$T/marks" > /dev/null
	chmod 777 "$T"; touch "$T/marks"; chmod 666 "$T/marks"
	printf 'web: python3 server.py\nworker: python3 worker.py\n' > "$W/Procfile"
	git -C "$W" commit -qam worker
	git_as admin -C "$W" push "$(remote web)" main 2> "$T/out"
	contains "$T/out" "worker.1 running"
	sleep 1.2
	expect "the worker works" [ "$(wc -l < "$T/marks")" -ge 2 ]
	chmod 711 "$T"
}

pid_of() { as admin ps web --json | python3 -c 'import json,sys; print([p["pid"] for p in json.load(sys.stdin) if p["process"] == sys.argv[1] and p["routing"] == "running"][0])' "$1"; }

# ps:scale starts and stops only the instances it adds or removes;
# ps:restart APP TYPE replaces only that type's
scale_and_restart_touch_only_what_they_name() {
	local web worker
	web=$(pid_of web.1); worker=$(pid_of worker.1)
	as admin ps:scale web web=2 > "$T/out"
	contains "$T/out" "web.2 healthy on port"
	expect "web.1 was not restarted" [ "$(pid_of web.1)" = "$web" ]
	expect "worker.1 was not restarted" [ "$(pid_of worker.1)" = "$worker" ]
	as admin ps:scale web web=1 > "$T/out"
	contains "$T/out" "web.2 stops after 1 s"
	wait_ps "web\.2" 0
	expect "web.1 was not restarted" [ "$(pid_of web.1)" = "$web" ]
	as admin ps:restart web worker > "$T/out"
	contains "$T/out" "worker.1 running"
	expect "worker.1 was replaced" [ "$(pid_of worker.1)" != "$worker" ]
	expect "web.1 was not restarted" [ "$(pid_of web.1)" = "$web" ]
	if as admin ps:restart web nosuch 2> "$T/out"; then echo "restarted a type it does not have"; return 1; fi
	contains "$T/out" "has no 'nosuch' process"
}

# a stopped app stays stopped through config changes; they apply when it
# starts; --no-restart (before or after the app) leaves it as it runs
config_waits_for_start() {
	local web
	as admin ps:stop web > /dev/null
	as admin config:set web GREETING=stopped > "$T/out"
	contains "$T/out" "web is stopped (ps:stop): the change applies when it starts"
	as admin config:unset web NOSUCH > "$T/out"
	contains "$T/out" "web is stopped"
	as admin ps:scale web web=2 > "$T/out"
	contains "$T/out" "web is stopped"
	expect "nothing runs" [ -z "$(as admin ps web --json | python3 -c 'import json,sys; print(json.load(sys.stdin) or "")')" ]
	http web.localhost / -o /dev/null -w '%{http_code}' > "$T/code" || true
	contains "$T/code" 503
	as admin ps:start web > /dev/null
	http web.localhost / > "$T/out"; contains "$T/out" "hello stopped from web."
	expect "the new formation applies" [ "$(as admin ps web | grep -c '^web\.[12] .*running *$')" = 2 ]
	as admin ps:scale web web=1 > /dev/null
	wait_ps "web\.2" 0
	web=$(pid_of web.1)
	as admin config:set --no-restart web GREETING=there > "$T/out"
	contains "$T/out" "not restarted (--no-restart)"
	as admin config:unset web --no-restart NOSUCH > "$T/out"
	contains "$T/out" "not restarted (--no-restart)"
	expect "web.1 was not restarted" [ "$(pid_of web.1)" = "$web" ]
	http web.localhost / > "$T/out"; contains "$T/out" "hello stopped"
	as admin ps:restart web > /dev/null
	http web.localhost / > "$T/out"; contains "$T/out" "hello there"
	if as admin config:get web --no-restart GREETING 2> "$T/out"; then echo "--no-restart taken by config:get"; return 1; fi
}

serve_killed_apps_survive() {
	http web.localhost / > "$T/out"; contains "$T/out" "hello there"
	expect "same process" [ "$(ps -o pid= -p "$PID_BEFORE" | tr -d ' ')" = "$PID_BEFORE" ]
}

t "a web app deploys and answers through the proxy" deploy_web_app
t "a crashed process is restarted" crash_is_restarted
t "config:set restarts the app with the new value" config_set_changes_output
t "ps:scale up and down" scale_up_and_down
t "a release that fails its health check leaves the old one answering" failed_health_check_keeps_old
t "logs -f shows a line printed after it started" logs_follow
t "ps:stop and ps:start" stop_and_start
t "a worker process runs" worker_runs
t "ps:scale and ps:restart TYPE touch only what they name" scale_and_restart_touch_only_what_they_name
t "a stopped app stays stopped through config changes; --no-restart" config_waits_for_start
# kill -9 berth serve (at top level: the harness owns SERVER_PID)
PID_BEFORE=$(app_pid web.1)
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
t "kill -9 of berth serve: the app keeps answering" serve_killed_apps_survive
# restart berth serve on the same data dir and ports: it finds the processes
"$BERTH" -c "$T/berth.ini" serve >> "$T/serve.log" 2>&1 &
SERVER_PID=$!
wait_listening || echo "berth serve did not listen again"
found_again() {
	as admin ps web > "$T/ps"
	contains "$T/ps" "web.1"
	contains "$T/ps" "running"
	contains "$T/ps" "$PID_BEFORE"
	http web.localhost / > "$T/out"; contains "$T/out" "hello there"
}
t "a restarted berth serve shows the running processes" found_again
finish
