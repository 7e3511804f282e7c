# test_lifecycle.sh - the app lifecycle a Heroku user expects: the release
# phase (the Procfile's `release:` runs once per deploy, before any new
# process starts, and fails the deploy when it fails or takes too long,
# with the old release still serving), and `run APP CMD` over SSH (the
# app's uid and config, stdin/stdout/stderr and the exit status over the
# channel, a terminal with ssh -t, listed by ps, stopped when the client
# goes, no shell of berth's, in the audit).
. "$(dirname "$0")/lib.sh"
start_server "[build]" "timeout = 20" "[health]" "timeout = 10" "grace = 1"
W=$T/web
MARKS=$T/marks
mkdir -p "$MARKS" && chmod 1777 "$MARKS"

# a web app that says how many migrations had run when it started, and a
# release command that prints who it runs as, fails on MIGRATE_FAIL, and
# with MIGRATE_SLEEP leaves a daemon behind and outlives the timeout
web_app() {
	git init -q "$W"
	cat > "$W/server.py" <<'PY'
import os, http.server
def count():
    try:
        return len(open(os.path.join(os.environ["MARKS"], "migrated")).readlines())
    except OSError:
        return 0
at_start = count()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("v=%s migrated=%d\n" % (open("VERSION").read().strip(), at_start)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	cat > "$W/migrate.py" <<'PY'
import os, subprocess, sys, time
print("migrating uid=%d dyno=%s greeting=%s" % (os.getuid(), os.environ["DYNO"],
      os.environ.get("GREETING")), flush=True)
if os.environ.get("MIGRATE_SLEEP"):
    subprocess.Popen(["sleep", "300"], start_new_session=True)
    time.sleep(120)
if os.environ.get("MIGRATE_FAIL"):
    print('error: relation "users" does not exist', flush=True)
    sys.exit(1)
with open(os.path.join(os.environ["MARKS"], "migrated"), "a") as f:
    f.write("v%s\n" % open("VERSION").read().strip())
PY
	echo 1 > "$W/VERSION"
	printf 'web: python3 server.py\nrelease: python3 migrate.py\n' > "$W/Procfile"
	git -C "$W" add . && git -C "$W" commit -qm web
}

new_version() { echo "$1" > "$W/VERSION" && git -C "$W" commit -qam "v$1"; }

web_pid() { as admin ps web | awk '$1 == "web.1" && $NF == "running" {print $3}'; }

release_runs_before_the_processes() {
	web_app
	as admin apps:create web > /dev/null
	as admin config:set web MARKS="$MARKS" GREETING=hi > /dev/null
	as admin keys:add dev < "$T/dev.pub" > /dev/null
	as admin grant dev web deployer > /dev/null
	as admin keys:add stranger < "$T/stranger.pub" > /dev/null
	git_as admin -C "$W" push "$(remote web)" main 2> "$T/out"
	contains "$T/out" "Running release command: python3 migrate.py"
	contains "$T/out" "dyno=release.1 greeting=hi"
	uid=$(sed -n 's/.*migrating uid=\([0-9]*\).*/\1/p' "$T/out")
	expect "the release command runs as the app's uid" [ "$uid" -gt "$UID_BASE" ]
	expect "not as the build's" [ "$uid" -lt $((UID_BASE + 1000000000)) ]
	http web.localhost / > "$T/out"
	# the new web process started after the migration had run
	contains "$T/out" "v=1 migrated=1"
}

failing_release_keeps_the_old_one() {
	local before pid
	before=$(server_rev web refs/heads/main)
	pid=$(web_pid)
	as admin config:set web --no-restart MIGRATE_FAIL=1 > /dev/null
	new_version 2
	expect "push rejected" fails git_as dev -C "$W" push "$(remote web)" main 2> "$T/out"
	contains "$T/out" '(deploy failed: release command failed (exit status 1): error: relation "users" does not exist)'
	expect "branch unchanged" [ "$(server_rev web refs/heads/main)" = "$before" ]
	http web.localhost / > "$T/out"
	contains "$T/out" "v=1 migrated=1"
	expect "old process untouched" [ "$(web_pid)" = "$pid" ]
	as admin releases web > "$T/out"
	expect "no release v2 kept" fails grep -q "^ *2 " "$T/out"
}

release_timeout_ends_everything_it_started() {
	local pid uid
	pid=$(web_pid)
	uid=$(ps -o uid= -p "$pid" | tr -d ' ')
	as admin config:unset web --no-restart MIGRATE_FAIL > /dev/null
	as admin config:set web --no-restart MIGRATE_SLEEP=1 > /dev/null
	new_version 3
	expect "push rejected" fails git_as dev -C "$W" push "$(remote web)" main 2> "$T/out"
	contains "$T/out" "deploy failed: release command timed out after 20 s"
	# its setsid daemon is gone; the live app, same uid, is not
	expect "no leftover sleep" fails pgrep -u "$uid" -f "sleep 300"
	expect "the live process runs on" [ "$(web_pid)" = "$pid" ]
	http web.localhost / > "$T/out"
	contains "$T/out" "v=1"
	as admin config:unset web --no-restart MIGRATE_SLEEP > /dev/null
	git_as dev -C "$W" push "$(remote web)" main 2> "$T/out"
	http web.localhost / > "$T/out"
	contains "$T/out" "v=3 migrated=2"
}

run_streams_and_exit_status() {
	local rc=0 uid
	echo "from stdin" | as dev run web python3 -c "'import os, sys
print(os.getuid(), os.environ[\"DYNO\"], os.environ[\"GREETING\"], os.getcwd())
print(sys.stdin.read().strip())
print(\"to stderr\", file=sys.stderr)
sys.exit(7)'" > "$T/out" 2> "$T/err" || rc=$?
	expect "exit status 7 comes back (got $rc)" [ "$rc" = 7 ]
	contains "$T/out" "from stdin"
	contains "$T/out" " hi $DATA/apps/web/releases/"
	contains "$T/err" "to stderr"
	expect "stderr kept apart" fails grep -q "to stderr" "$T/out"
	uid=$(awk 'NR == 1 {print $1}' "$T/out")
	expect "run as the app's uid" [ "$uid" -gt "$UID_BASE" ]
	grep -q "^$uid run\.[0-9]* hi" "$T/out"
	# the argv as given: no shell expands or splits it
	as dev run web echo "'\$HOME; id'" '`id`' > "$T/out"
	contains "$T/out" '$HOME; id `id`'
	rc=0
	as dev run web no-such-program > "$T/out" 2>&1 || rc=$?
	expect "127 for a missing program (got $rc)" [ "$rc" = 127 ]
	contains "$T/out" "cannot run 'no-such-program'"
	expect "stranger refused" fails as stranger run web id 2> "$T/out"
	contains "$T/out" "no access to app 'web'"
	as admin audit web > "$T/out"
	contains "$T/out" "run web"
}

run_on_a_terminal() {
	TERM=xterm-test ssh -tt -i "$T/dev" $SSH_OPTS -p "$PORT" deploy@127.0.0.1 \
		run web python3 -c "'import os, sys; print(\"tty\", os.isatty(0), os.isatty(1), os.environ.get(\"TERM\"))'" \
		< /dev/null > "$T/out" 2>&1
	contains "$T/out" "tty True True xterm-test"
}

run_listed_and_stopped_when_client_goes() {
	local job pid=
	as dev run web sleep 120 > /dev/null 2>&1 &
	job=$!
	for _ in $(seq 100); do
		as dev ps web > "$T/ps"
		pid=$(awk '$1 ~ /^run\./ {print $3}' "$T/ps")
		[ -n "$pid" ] && break
		sleep 0.2
	done
	expect "ps lists the one-off" [ -n "$pid" ]
	contains "$T/ps" "one-off"
	expect "the one-off is the sleep" grep -q "sleep" "/proc/$pid/cmdline"
	kill_tree "$job"
	for _ in $(seq 100); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	expect "stopped when the client went" [ ! -d "/proc/$pid" ]
	as dev ps web > "$T/ps"
	expect "no longer listed" fails grep -q "^run\." "$T/ps"
}

# a buildpack (pinned with BUILDPACK=failing) whose compile does what
# $T/failing-how says: prints an error line of its own, or only output,
# or runs out of memory
failing_buildpack() {
	local b=$T/buildpacks/failing
	mkdir -p "$b/bin"
	printf '#!/bin/sh\necho failing\n' > "$b/bin/detect"
	printf '#!/bin/sh\necho "--- {}"\n' > "$b/bin/release"
	cat > "$b/bin/compile" <<'SH'
#!/bin/sh
how=$(cat "$1/how")
echo "-----> Installing dependencies"
echo "       fetching left-pad"
case $how in
own) echo ' !     npm ERR! 404 Not Found - GET https://registry.example/left-pad' >&2
     echo "       cleaning up"; exit 1 ;;
last) echo "       make: *** [all] Error 2"; exit 2 ;;
memory) python3 -c 'bytearray(1 << 40)' ;;
esac
SH
	chmod 755 "$b/bin/"*
	git init -q "$T/f" && echo start > "$T/f/how" && git -C "$T/f" add . &&
		git -C "$T/f" commit -qm f
	as admin apps:create fail > /dev/null
	as admin config:set fail BUILDPACK=failing > /dev/null
}

push_fail() { # push_fail HOW: push the failing app with HOW, output in $T/out
	echo "$1" > "$T/f/how" && git -C "$T/f" commit -qam "$1"
	expect "push rejected" fails git_as admin -C "$T/f" push "$(remote fail)" main 2> "$T/out"
}

rejections_say_the_true_reason() {
	failing_buildpack
	push_fail own
	contains "$T/out" "(deploy failed: build failed (exit status 1): npm ERR! 404 Not Found - GET https://registry.example/left-pad)"
	expect "no limits hint for a plain failure" fails grep -q "builds may use" "$T/out"
	# detail lines indented once, as the buildpack wrote them
	grep -q "^remote:        fetching left-pad" "$T/out"
	expect "not twice" fails grep -q "^remote:               fetching" "$T/out"
	push_fail last
	contains "$T/out" "(deploy failed: build failed (exit status 2): make: *** [all] Error 2)"
	expect "no limits hint" fails grep -q "builds may use" "$T/out"
	# a limit really hit (RLIMIT_DATA: MemoryError): now the hint
	push_fail memory
	contains "$T/out" "build failed (exit status 1): MemoryError (builds may use 1024 MiB of memory, [build] memory_limit"
}

the_small_list() {
	local rc
	# options before the app, as users type them
	for args in "logs -f web" "logs web -f"; do
		rc=0
		timeout 4 ssh -i "$T/dev" $SSH_OPTS -p "$PORT" deploy@127.0.0.1 $args > "$T/out" 2>&1 || rc=$?
		expect "'$args' follows (exit $rc)" [ "$rc" = 124 ]
		expect "'$args' takes web as the app" fails grep -q "invalid app name" "$T/out"
	done
	as dev logs -n 5 web > /dev/null
	# deploys numbered per app: each app's first is 1
	as dev logs web --build 1 > "$T/out"
	contains "$T/out" "Deploying web at"
	as admin logs fail --build 1 > "$T/out"
	contains "$T/out" "Deploying fail at"
	as admin deploys fail --json > "$T/out"
	python3 -c 'import json,sys; ids=[d["id"] for d in json.load(open(sys.argv[1]))]; sys.exit(sorted(ids) != [1, 2, 3])' "$T/out"
	# audit in ISO times
	as admin audit web -n 3 > "$T/out"
	grep -Eq '20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z' "$T/out"
	# a deployer is told what it is and what it lacks
	expect "deployer cannot add domains" fails as dev domains:add web w.example 2> "$T/out"
	contains "$T/out" "key 'dev' is deployer of app 'web', and domains:add needs the admin role (a server admin can give it: grant dev web admin)"
	as dev version > "$T/out"
	contains "$T/out" "berth 0.1.0"
	as dev whoami > "$T/out"
	contains "$T/out" "dev"
	contains "$T/out" "web: deployer"
	# index.html beside a Procfile with web: served by web, and said so
	echo "<h1>files</h1>" > "$W/index.html" && git -C "$W" add index.html
	# and a process whose log rotates 4 times: 3 generations kept (the
	# default of [server] log_generations)
	printf 'import time\nfor i in range(50000):\n    print("x" * 100, flush=False)\nprint("spewed", flush=True)\ntime.sleep(600)\n' > "$W/spew.py"
	printf 'spew: python3 spew.py\n' >> "$W/Procfile"
	git -C "$W" add spew.py Procfile
	new_version 4
	git_as dev -C "$W" push "$(remote web)" main 2> "$T/out"
	expect "not detected as static" fails grep -q "Static site" "$T/out"
	contains "$T/out" "Detected Procfile app"
	http web.localhost / > "$T/out"
	contains "$T/out" "v=4"
	local logs=$DATA/apps/web/logs
	for _ in $(seq 100); do
		grep -q spewed "$logs/spew.1.log" 2> /dev/null && break
		sleep 0.2
	done
	expect "rotated generations kept" [ -f "$logs/spew.1.log.1" ] && [ -f "$logs/spew.1.log.2" ] && [ -f "$logs/spew.1.log.3" ]
	expect "no more than 3" [ ! -e "$logs/spew.1.log.4" ]
}

t release_runs_before_the_processes release_runs_before_the_processes
t failing_release_keeps_the_old_one failing_release_keeps_the_old_one
t release_timeout_ends_everything_it_started release_timeout_ends_everything_it_started
t run_streams_and_exit_status run_streams_and_exit_status
t run_on_a_terminal run_on_a_terminal
t run_listed_and_stopped_when_client_goes run_listed_and_stopped_when_client_goes
t rejections_say_the_true_reason rejections_say_the_true_reason
t the_small_list the_small_list
finish
