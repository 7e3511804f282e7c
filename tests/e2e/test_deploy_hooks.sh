# test_deploy_hooks.sh - an app's own deploy hooks and its cron lines at
# deploy time, with real pushes and processes: a Piku Procfile with a
# cron line and a preflight deploys (the cron line is not started as a
# process); a failing predeploy (app.json) rejects the push with its own
# last line while the old release still serves through the proxy; a
# failing postdeploy keeps the new release, is said and recorded in
# `deploys` and the build log; bad schedules (Procfile, app.json) and
# shell syntax in a hook are refused, naming the line; app.json's cron
# entries become jobs (`cron APP`).
. "$(dirname "$0")/lib.sh"
start_server "[health]" "timeout = 10" "grace = 1"
W=$T/w

# a web app that answers "version N", with hook scripts that say where
# they ran and exit with the status in their file (default 0)
make_app() {
	git init -q "$W"
	cat > "$W/server.py" <<'PY'
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = open("VERSION").read().encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	cat > "$W/hook.py" <<'PY'
import os, sys
name = sys.argv[1]
print("%s ran as %s in %s uid %d" % (name, os.environ["DYNO"], os.getcwd(), os.getuid()), flush=True)
code = int(open(name + ".exit").read()) if os.path.exists(name + ".exit") else 0
if code:
    print("%s: the database is not there" % name, flush=True)
sys.exit(code)
PY
	echo "version 1" > "$W/VERSION"
	printf 'web: python3 server.py\ncron-tick: */5 * * * * python3 hook.py tick\npreflight: python3 hook.py preflight\n' > "$W/Procfile"
	git -C "$W" add . && git -C "$W" commit -qm one
}

push() { git_as admin -C "$W" push "$(remote hooks)" main > "$T/out" 2>&1; }

piku_cron_and_preflight_deploy() {
	make_app
	push || { cat "$T/out"; return 1; }
	contains "$T/out" "Running preflight: python3 hook.py preflight"
	contains "$T/out" "preflight ran as preflight.1 in $DATA/apps/hooks/releases/1"
	contains "$T/out" "preflight exit 0 in"
	http hooks.localhost / > "$T/page"
	contains "$T/page" "version 1"
	as admin ps hooks > "$T/ps"
	contains "$T/ps" "web.1"
	expect "the cron line is not a process" fails grep -q "cron-tick" "$T/ps"
	expect "nor the preflight" fails grep -q "preflight" "$T/ps"
	# and a cron type is not scaled
	expect "ps:scale refuses a cron type" fails as admin ps:scale hooks cron-tick=2 2> "$T/err"
	contains "$T/err" "'cron-tick' runs once"
	expect "ps:restart refuses it too" fails as admin ps:restart hooks cron-tick 2> "$T/err"
	contains "$T/err" "'cron-tick' runs once"
}

failing_predeploy_rejects() {
	# Dokku's app.json instead of the Procfile's preflight
	printf 'web: python3 server.py\n' > "$W/Procfile"
	echo '{"scripts": {"dokku": {"predeploy": "python3 hook.py predeploy", "postdeploy": "python3 hook.py postdeploy"}}}' > "$W/app.json"
	echo 3 > "$W/predeploy.exit"
	echo "version 2" > "$W/VERSION"
	git -C "$W" add . && git -C "$W" commit -qm two
	expect "push rejected" fails push
	contains "$T/out" "predeploy ran as predeploy.1"
	contains "$T/out" "deploy failed: predeploy failed (exit status 3): predeploy: the database is not there"
	expect "postdeploy never ran" fails grep -q "postdeploy ran" "$T/out"
	http hooks.localhost / > "$T/page"
	contains "$T/page" "version 1"
	as admin deploys hooks > "$T/deploys"
	contains "$T/deploys" "predeploy exit 3"
}

failing_postdeploy_keeps_release() {
	git -C "$W" rm -q predeploy.exit
	echo 4 > "$W/postdeploy.exit"
	git -C "$W" add . && git -C "$W" commit -qm three
	push || { cat "$T/out"; return 1; }
	contains "$T/out" "predeploy exit 0 in"
	contains "$T/out" "postdeploy ran as postdeploy.1 in $DATA/apps/hooks/releases/2"
	contains "$T/out" "postdeploy failed (exit status 4): postdeploy: the database is not there"
	contains "$T/out" "v2 stays live"
	http hooks.localhost / > "$T/page"
	contains "$T/page" "version 2"
	as admin deploys hooks > "$T/deploys"
	contains "$T/deploys" "predeploy exit 0 in"
	contains "$T/deploys" "postdeploy exit 4 in"
	as admin logs hooks --build > "$T/log"
	contains "$T/log" "postdeploy failed (exit status 4)"
	contains "$T/log" "predeploy exit 0 in"
}

bad_schedules_refused() {
	printf 'web: python3 server.py\ncron-x: 61 * * * * python3 hook.py x\n' > "$W/Procfile"
	git -C "$W" add . && git -C "$W" commit -qm bad1
	expect "bad minute refused" fails push
	contains "$T/out" "Procfile line 2: cron-x: bad minute '61' (0-59)"
	printf 'web: python3 server.py\ncron-x: 0 0 30 2 * python3 hook.py x\n' > "$W/Procfile"
	git -C "$W" add . && git -C "$W" commit -qm bad2
	expect "30 February refused" fails push
	contains "$T/out" "cron-x: the schedule never comes"
	printf 'web: python3 server.py\n' > "$W/Procfile"
	echo '{"cron": [{"command": "python3 hook.py a", "schedule": "@daily"}, {"command": "python3 hook.py b", "schedule": "0 3 * * * *"}]}' > "$W/app.json"
	git -C "$W" add . && git -C "$W" commit -qm bad3
	expect "six fields refused" fails push
	contains "$T/out" "app.json cron[2]: bad schedule '0 3 * * * *': more than five fields"
	echo '{"scripts": {"dokku": {"predeploy": "./migrate && ./seed"}}}' > "$W/app.json"
	git -C "$W" add . && git -C "$W" commit -qm bad4
	expect "shell syntax refused" fails push
	contains "$T/out" "app.json scripts.dokku.predeploy: '&' is shell syntax"
	http hooks.localhost / > "$T/page"
	contains "$T/page" "version 2"
}

appjson_cron_listed() {
	echo '{"cron": [{"command": "python3 hook.py nightly", "schedule": "@daily"}, {"command": "python3 hook.py often", "schedule": "*/10 * * * *"}]}' > "$W/app.json"
	git -C "$W" add . && git -C "$W" commit -qm jobs
	push || { cat "$T/out"; return 1; }
	as admin cron hooks > "$T/cron"
	grep -E '^cron-json-1 +@daily +[0-9-]+T00:00:00Z +- +- ' "$T/cron" > /dev/null ||
		{ cat "$T/cron"; return 1; }
	contains "$T/cron" "python3 hook.py nightly"
	grep -E '^cron-json-2 +\*/10 \* \* \* \* ' "$T/cron" > /dev/null ||
		{ cat "$T/cron"; return 1; }
	as admin ps hooks > "$T/ps"
	expect "app.json jobs are not processes" fails grep -q cron "$T/ps"
}

t "a Piku Procfile with a cron line and a preflight deploys" piku_cron_and_preflight_deploy
t "a failing predeploy rejects the push; the old release serves" failing_predeploy_rejects
t "a failing postdeploy keeps the new release, said and recorded" failing_postdeploy_keeps_release
t "bad schedules and shell syntax in hooks are refused" bad_schedules_refused
t "app.json's cron list becomes jobs that cron lists" appjson_cron_listed
finish
