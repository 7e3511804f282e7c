# test_crash.sh - kill -9 of berth serve and the connection's process at
# stages of a push, then a restart: the repo passes git fsck, the db passes
# PRAGMA integrity_check, `current` points at a complete release, the old
# release answers HTTP, nothing half-done is left, and the next push works.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/buildpacks/slow/bin"
cat > "$T/buildpacks/slow/bin/detect" <<'PACK'
#!/bin/sh
[ -f "$1/slow" ] && echo slow
PACK
# a nap no other process on the machine has, so a crash can kill it by name
NAP=30.$$
cat > "$T/buildpacks/slow/bin/compile" <<PACK
#!/bin/sh
echo "compiling slowly"
sleep $NAP
PACK
printf '#!/bin/sh\necho "---"\necho "static_root: ."\n' > "$T/buildpacks/slow/bin/release"
chmod +x "$T/buildpacks/slow/bin/"*
cp -r "$REPO/buildpacks/." "$T/buildpacks/"
INI=("[health]" "grace = 1" "timeout = 10")
start_server "${INI[@]}"
W=$T/site

# kill -9 the daemon and every process of its connections (not the apps)
crash() {
	local kids
	kids=$(pgrep -P "$SERVER_PID" | tr '\n' ' ')
	kill -9 "$SERVER_PID" $kids 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
	pkill -9 -f "sleep $NAP" 2>/dev/null
	# until the killed connections are gone (and their app locks with them)
	for _ in $(seq 100); do
		local alive=
		for k in $kids; do kill -0 "$k" 2>/dev/null && alive=1; done
		[ -z "$alive" ] && break
		sleep 0.05
	done
	sleep 0.2
}

restart() { # restart [TESTPOINT]: with BERTH_TEST_PAUSE (core/testpoint.h)
	BERTH_TEST_PAUSE=${1:-} "$BERTH" -c "$T/berth.ini" serve >> "$T/serve.log" 2>&1 &
	SERVER_PID=$!
	wait_listening
}

# wait_for FILE TEXT: until the file shows TEXT (at most 30 s)
wait_for() {
	for _ in $(seq 300); do
		grep -aq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$1"
	return 1
}

consistent() { # consistent APP TEXT-THE-LIVE-RELEASE-SERVES
	fsck_clean "$1"
	expect "db intact" [ "$(sql 'pragma integrity_check')" = ok ]
	local cur
	cur=$(readlink "$DATA/apps/$1/current")
	expect "current -> a complete release" [ -f "$DATA/apps/$1/$cur/index.html" ]
	http "$1.localhost" / > "$T/out"; contains "$T/out" "$2"
	expect "no quarantine left" [ -z "$(ls -d "$DATA/repos/$1.git/objects/incoming-"* 2>/dev/null)" ]
	expect "no build dir left" [ -z "$(ls -A "$DATA/apps/$1/releases" | grep '^\.')" ]
	expect "no deploy left running" [ "$(sql "select count(*) from deploys where status='running'")" = 0 ]
}

next_push_works() { # next_push_works DIR APP TEXT
	echo "<h1>$3</h1>" > "$1/index.html"
	rm -f "$1/slow"
	git -C "$1" add -A && git -C "$1" commit -qm "$3"
	git_as admin -C "$1" push -q "$(remote "$2")" main
	http "$2.localhost" / > "$T/out"; contains "$T/out" "$3"
}

# --- stage 1: while the pack streams in
new_repo "$W"
echo "<h1>one</h1>" > "$W/index.html"; git -C "$W" commit -qam one
git_as admin -C "$W" push -q "$(remote site)" main
echo "<h1>two</h1>" > "$W/index.html"; head -c 300000 /dev/urandom > "$W/blob"
git -C "$W" add -A && git -C "$W" commit -qm two
OLD=$(git -C "$W" rev-parse HEAD~1); NEW=$(git -C "$W" rev-parse HEAD)
printf '%s\n^%s\n' "$NEW" "$OLD" | git -C "$W" pack-objects --revs --stdout -q > "$T/pack"
{ pkt "$OLD $NEW refs/heads/main\0report-status\n"; printf 0000; head -c 150000 "$T/pack"; sleep "$NAP"; } |
	ssh -i "$T/admin" $SSH_OPTS -p "$PORT" deploy@127.0.0.1 "git-receive-pack 'site'" > /dev/null 2>&1 &
CLIENT=$!
for _ in $(seq 50); do ls -d "$DATA/repos/site.git/objects/incoming-"* > /dev/null 2>&1 && break; sleep 0.1; done
crash; kill "$CLIENT" 2>/dev/null
restart
stage_pack() {
	expect "main did not move" [ "$(server_rev site refs/heads/main)" = "$OLD" ]
	consistent site "one"
	next_push_works "$W" site "three"
}
t "killed while receiving the pack" stage_pack

# --- stage 2: during the build
build_stage() {
	as admin config:set site BUILDPACK=slow > /dev/null
	touch "$W/slow"; git -C "$W" add slow && git -C "$W" commit -qm slow
	git_as admin -C "$W" push "$(remote site)" main > /dev/null 2> "$T/push2" &
	echo $! > "$T/client2"
	wait_for "$T/push2" "compiling slowly"
}
t "a slow build is under way" build_stage
crash; kill "$(cat "$T/client2")" 2>/dev/null
restart
stage_build() {
	expect "main did not move" [ "$(server_rev site refs/heads/main)" != "$(git -C "$W" rev-parse HEAD)" ]
	consistent site "three"
	expect "the deploy is recorded as interrupted" [ "$(sql "select count(*) from deploys where reason like 'interrupted%'")" -ge 1 ]
	as admin config:unset site BUILDPACK > /dev/null
	next_push_works "$W" site "four"
}
t "killed during the build" stage_build

# --- stage 3: the new process is healthy, the router not switched yet
web_stage() {
	local d=$T/web
	git init -q "$d"
	cat > "$d/server.py" <<'PY'
import os, time, http.server
if os.path.exists("SLOW_START"):
    pass
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = open("version").read().encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	printf 'web: python3 server.py\nworker: python3 -u worker.py\n' > "$d/Procfile"
	printf 'import time\nprint("worker up", flush=True)\ntime.sleep(3)\nwhile True:\n    time.sleep(1)\n' > "$d/worker.py"
	echo "web one" > "$d/version"
	git -C "$d" add . && git -C "$d" commit -qm one
	git_as admin -C "$d" push -q "$(remote web)" main
}
t "a web app is live" web_stage
# berth stops where the new set is healthy and nothing is switched yet
crash; restart healthy
push_to_healthy() {
	echo "web two" > "$T/web/version"
	git -C "$T/web" commit -qam two
	git_as admin -C "$T/web" push "$(remote web)" main > /dev/null 2> "$T/push3" &
	echo $! > "$T/client3"
	wait_for "$T/serve.log" "testpoint healthy reached"
}
t "a new web process is healthy, the switch not done" push_to_healthy
crash; kill "$(cat "$T/client3")" 2>/dev/null
restart
stage_switch() {
	http web.localhost / > "$T/out"; contains "$T/out" "web one"
	as admin ps web --json > "$T/j"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all(p["routing"] == "running" and p["release"] == 1 for p in d), d' "$T/j"
	expect "db intact" [ "$(sql 'pragma integrity_check')" = ok ]
	fsck_clean web
	git -C "$T/web" commit -q --allow-empty -m three
	git_as admin -C "$T/web" push -q "$(remote web)" main
	http web.localhost / > "$T/out"; contains "$T/out" "web two"
}
t "killed after the health check, before the switch" stage_switch

# stages 4 and 5 stop berth at a testpoint (core/testpoint.h), then kill it
# web_at TESTPOINT TEXT: push a commit serving TEXT; wait until berth stops
# (berth restarted with the testpoint armed first, outside `t`'s subshell)
web_at() {
	echo "$2" > "$T/web/version"
	git -C "$T/web" commit -qam "$2"
	git_as admin -C "$T/web" push "$(remote web)" main > /dev/null 2> "$T/push.$1" &
	echo $! > "$T/client.$1"
	wait_for "$T/serve.log" "testpoint $1 reached"
}

# after_crash OLD NEW: consistent, and the old or the new release answers
after_crash() {
	expect "main did not move" [ "$(server_rev web refs/heads/main)" = "$MAIN_BEFORE" ]
	expect "db intact" [ "$(sql 'pragma integrity_check')" = ok ]
	fsck_clean web
	local cur want
	cur=$(readlink "$DATA/apps/web/current")
	want="releases/$(sql "select current_release from apps where name='web'")"
	expect "current ($cur) is the release the db routes to ($want)" [ "$cur" = "$want" ]
	expect "current -> a complete release" [ -f "$DATA/apps/web/$cur/version" ]
	http web.localhost / > "$T/out"
	expect "the old or the new release answers" grep -qE "^($1|$2)\$" "$T/out"
	expect "no deploy left running" [ "$(sql "select count(*) from deploys where status='running'")" = 0 ]
	# what the cut-off swap left draining is retired after the grace period
	for _ in $(seq 60); do
		[ "$(sql "select count(*) from processes p join apps a on a.id = p.app_id where a.name='web' and p.state != 'running'")" = 0 ] && break
		sleep 0.1
	done
	as admin ps web --json > "$T/j"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d and all(p["routing"] == "running" for p in d), d' "$T/j"
	expect "the running processes are of the release the db routes to" [ \
		"$(sql "select distinct p.release_version from processes p join apps a on a.id = p.app_id where a.name='web'")" = \
		"$(sql "select current_release from apps where name='web'")" ]
}

next_web_push() { # next_web_push TEXT
	echo "$1" > "$T/web/version"
	git -C "$T/web" commit -qam "$1"
	git_as admin -C "$T/web" push -q "$(remote web)" main
	http web.localhost / > "$T/out"; contains "$T/out" "$1"
}

MAIN_BEFORE=$(server_rev web refs/heads/main)
crash; restart activated
push_to_activated() { web_at activated "web four"; }
t "the new release is live, the ref not yet moved" push_to_activated
crash; kill "$(cat "$T/client.activated")" 2>/dev/null
restart
stage_activated() {
	after_crash "web three" "web four"
	next_web_push "web five"
}
t "killed between the symlink swap and the ref update" stage_activated

MAIN_BEFORE=$(server_rev web refs/heads/main)
crash; restart router-reload
push_to_reload() { web_at router-reload "web six"; }
t "the router's new config is about to be applied" push_to_reload
crash; kill "$(cat "$T/client.router-reload")" 2>/dev/null
restart
stage_router() {
	after_crash "web five" "web six"
	next_web_push "web seven"
}
t "killed during the router reload" stage_router
MAIN_BEFORE=$(server_rev web refs/heads/main)
crash; restart promoted
push_to_promoted() { web_at promoted "web eight"; }
t "the new processes are promoted, the router not yet told" push_to_promoted
crash; kill "$(cat "$T/client.promoted")" 2>/dev/null
restart
stage_promoted() {
	after_crash "web seven" "web eight"
	# the promoted set is healthy and running: the db, the router and
	# current follow it, the old set is retired
	http web.localhost / > "$T/out"; contains "$T/out" "web eight"
	next_web_push "web nine"
}
t "killed between the promote and the router switch" stage_promoted
finish
