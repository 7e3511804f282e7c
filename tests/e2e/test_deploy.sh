# test_deploy.sh - the deploy pipeline with the shipped buildpacks, through
# a real `git push`: static site, Procfile app, node app, python app, a
# failing build, config vars in the build, rollback, submodules, file modes.
. "$(dirname "$0")/lib.sh"
start_server
W=$T/work

current() { readlink "$DATA/apps/$1/current"; }

static_site() {
	new_repo "$W"
	git_as admin -C "$W" push "$(remote site)" main 2> "$T/out"
	contains "$T/out" "remote: -----> Detected Static site app (buildpack 'static')"
	contains "$T/out" "remote: -----> Released v1 of site"
	expect "current -> releases/1" [ "$(current site)" = releases/1 ]
	expect "index.html live" grep -q "<h1>work</h1>" "$DATA/apps/site/current/index.html"
	expect "static root recorded" [ "$(sql "select static_root from releases r join apps a on a.id=r.app_id where a.name='site'")" = . ]
	expect "deploy row" [ "$(sql "select status from deploys where commit_id='$(git -C "$W" rev-parse HEAD)'")" = succeeded ]
	expect "no build dirs left" [ -z "$(ls -A "$DATA/apps/site/releases" | grep '^\.')" ]
}

second_release_and_rollback() {
	echo "<h1>v2</h1>" > "$W/index.html"
	git -C "$W" commit -qam v2
	git_as admin -C "$W" push -q "$(remote site)" main
	expect "v2 live" [ "$(current site)" = releases/2 ]
	as admin rollback site > "$T/out"
	contains "$T/out" "Rolled back site to v1"
	expect "v1 live again" [ "$(current site)" = releases/1 ]
	expect "db agrees" [ "$(sql "select current_release from apps where name='site'")" = 1 ]
	as admin releases site --json > "$T/out"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [x["version"] for x in r if x["live"]] == [1], r' "$T/out"
	as admin rollback site v2 > /dev/null
	expect "v2 live" grep -q v2 "$DATA/apps/site/current/index.html"
	if as admin rollback site 99 2> "$T/out"; then echo "rollback to a missing release"; return 1; fi
	contains "$T/out" "has no release v99"
	if as admin rollback site v2 2> "$T/out"; then echo "rollback to the live release"; return 1; fi
	contains "$T/out" "already live"
	if as admin rollback site abc 2> "$T/out"; then echo "bad release number"; return 1; fi
	contains "$T/out" "not a release number"
}

procfile_app() {
	local d=$T/proc
	git init -q "$d"
	printf 'import os, http.server\nhttp.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), http.server.SimpleHTTPRequestHandler).serve_forever()\n' > "$d/server.py"
	printf 'import time\nwhile True:\n    time.sleep(1)\n' > "$d/worker.py"
	echo "served by the procfile app" > "$d/hello.txt"
	printf 'web: python3 server.py\nworker: python3 worker.py\n' > "$d/Procfile"
	git -C "$d" add . && git -C "$d" commit -qm proc
	git_as admin -C "$d" push "$(remote proc)" main 2> "$T/out"
	contains "$T/out" "buildpack 'procfile'"
	contains "$T/out" "web: python3 server.py"
	contains "$T/out" "worker.1 running"
	expect "release records processes" [ "$(sql "select process_types from releases r join apps a on a.id=r.app_id where a.name='proc'")" = "web: python3 server.py
worker: python3 worker.py" ]
	http proc.localhost /hello.txt > "$T/out"
	contains "$T/out" "served by the procfile app"
}

procfile_with_shell_syntax() {
	local d=$T/proc
	printf 'web: python3 server.py | tee log\n' > "$d/Procfile"
	git -C "$d" commit -qam shelly
	if git_as admin -C "$d" push "$(remote proc)" main 2> "$T/out"; then
		echo "Procfile with a pipe was accepted"; return 1
	fi
	contains "$T/out" "Procfile line 1"
	contains "$T/out" "without a shell"
	expect "branch did not move" [ "$(server_rev proc refs/heads/main)" = "$(git -C "$d" rev-parse HEAD~1)" ]
}

node_app() {
	local d=$T/node
	git init -q "$d"
	printf '{"name":"t","version":"1.0.0","scripts":{"start":"node server.js"}}\n' > "$d/package.json"
	printf 'require("http").createServer((q,s)=>s.end("node")).listen(process.env.PORT)\n' > "$d/server.js"
	git -C "$d" add . && git -C "$d" commit -qm node
	git_as admin -C "$d" push "$(remote nodeapp)" main 2> "$T/out"
	contains "$T/out" "buildpack 'node'"
	contains "$T/out" "web: npm start"
	expect "built into the release" [ -f "$DATA/apps/nodeapp/current/server.js" ]
}

python_app() {
	local d=$T/py
	git init -q "$d"
	printf '# nothing\n' > "$d/requirements.txt"
	cat > "$d/app.py" <<'PY'
import os, sys, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("python %s in %s\n" % (sys.version.split()[0], sys.prefix)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	git -C "$d" add . && git -C "$d" commit -qm py
	git_as admin -C "$d" push "$(remote pyapp)" main 2> "$T/out"
	contains "$T/out" "buildpack 'python'"
	expect "venv in the release" [ -x "$DATA/apps/pyapp/current/.venv/bin/python" ]
	expect "venv works after the rename" "$DATA/apps/pyapp/current/.venv/bin/python" -c 'print(1)'
	http pyapp.localhost / > "$T/out"
	contains "$T/out" "/.venv"
}

failing_build() {
	local d=$T/node before
	before=$(server_rev nodeapp refs/heads/main)
	printf '{"name":"t","version":"1.0.0","scripts":{"start":"node server.js","build":"echo building-now && exit 3"}}\n' > "$d/package.json"
	git -C "$d" commit -qam broken
	if git_as admin -C "$d" push "$(remote nodeapp)" main 2> "$T/out"; then
		echo "failing build was accepted"; return 1
	fi
	contains "$T/out" "building-now"
	contains "$T/out" "[remote rejected] main -> main (deploy failed: build failed"
	expect "branch unchanged" [ "$(server_rev nodeapp refs/heads/main)" = "$before" ]
	expect "old release still current" [ "$(current nodeapp)" = releases/1 ]
	expect "no half-built release" [ -z "$(ls -A "$DATA/apps/nodeapp/releases" | grep -v '^1$')" ]
	as admin logs nodeapp --build > "$T/log"
	contains "$T/log" "building-now"
	contains "$T/log" "build failed"
	as admin deploys nodeapp > "$T/out"
	contains "$T/out" "failed"
}

config_vars_reach_build() {
	local d=$T/cfg
	mkdir -p "$T/buildpacks/envcheck/bin"
	printf '#!/bin/sh\n[ -f "$1/envcheck" ] && echo envcheck\n' > "$T/buildpacks/envcheck/bin/detect"
	printf '#!/bin/sh\n[ "$GREETING" = hello-there ] && [ "$(cat "$3/GREETING")" = hello-there ] && echo "greeting reached the build"\necho "greeting=$GREETING source=$SOURCE_VERSION"\nenv | grep -q BERTH && echo LEAK\nexit 0\n' > "$T/buildpacks/envcheck/bin/compile"
	printf '#!/bin/sh\necho "---"\n' > "$T/buildpacks/envcheck/bin/release"
	chmod +x "$T/buildpacks/envcheck/bin/"*
	git init -q "$d" && touch "$d/envcheck" && git -C "$d" add . && git -C "$d" commit -qm env
	as admin apps:create cfg > /dev/null
	as admin config:set cfg GREETING=hello-there BUILDPACK=envcheck > /dev/null
	as admin config:get cfg GREETING > "$T/out"
	contains "$T/out" "hello-there"
	expect "value sealed at rest" [ -z "$(sql "select name from config_vars where instr(value, 'hello-there') > 0")" ]
	expect "value not in the audit" [ -z "$(sql "select command from audit where command like '%hello-there%'")" ]
	git_as admin -C "$d" push "$(remote cfg)" main 2> "$T/out"
	contains "$T/out" "pinned by BUILDPACK"
	contains "$T/out" "greeting reached the build"
	# a build that prints a config value shows its name instead
	contains "$T/out" "greeting=[GREETING] source=$(git -C "$d" rev-parse HEAD)"
	as admin logs cfg --build > "$T/log"
	contains "$T/log" "greeting=[GREETING]"
	if grep -q hello-there "$T/out" "$T/log"; then echo "a config value in the build log"; return 1; fi
	if grep -q LEAK "$T/out"; then echo "daemon env leaked into the build"; return 1; fi
	if as admin config:set cfg 'BAD-NAME=x' 2> "$T/out"; then echo "bad var name accepted"; return 1; fi
	contains "$T/out" "invalid name"
	as admin config:unset cfg GREETING > /dev/null
	if as admin config:get cfg GREETING 2> /dev/null; then echo "unset var still there"; return 1; fi
}

# The buildpacks' detects run in one step (deploy/build.c detect_first):
# the first that accepts wins and only its output is shown; what a detect
# leaves running is ended with the step; none accepting says so.
detects_in_one_step() {
	local d=$T/lurk b=$T/buildpacks
	mkdir -p "$b/aaa-lurker/bin" "$b/zzz-taker/bin"
	printf '#!/bin/sh\nsetsid sleep 3017 > /dev/null 2>&1 &\necho LURKER-OUTPUT\nexit 1\n' > "$b/aaa-lurker/bin/detect"
	printf '#!/bin/sh\n[ -f "$1/lurk" ] && echo Taker\n' > "$b/zzz-taker/bin/detect"
	printf '#!/bin/sh\necho "taker compile: $(pgrep -f -c "sleep 301[7]" || true) lurking"\nexit 1\n' > "$b/zzz-taker/bin/compile"
	printf '#!/bin/sh\necho "---"\n' > "$b/zzz-taker/bin/release"
	chmod +x "$b"/aaa-lurker/bin/* "$b"/zzz-taker/bin/*
	git init -q "$d" && touch "$d/lurk" && git -C "$d" add . && git -C "$d" commit -qm lurk
	as admin apps:create lurk > /dev/null
	if git_as admin -C "$d" push "$(remote lurk)" main 2> "$T/out"; then
		echo "    the taker's failing compile was accepted"; return 1
	fi
	contains "$T/out" "Detected Taker app (buildpack 'zzz-taker')"
	contains "$T/out" "taker compile: 0 lurking"
	if grep -q LURKER-OUTPUT "$T/out"; then echo "    a refusing detect's output shown"; return 1; fi
	expect "nothing a detect started runs on" fails pgrep -f "sleep 301[7]"
	rm -f "$d/lurk" && git -C "$d" commit -qam none
	if git_as admin -C "$d" push "$(remote lurk)" main 2> "$T/out"; then
		echo "    an app no buildpack accepts deployed"; return 1
	fi
	contains "$T/out" "no buildpack accepts this app"
	rm -rf "$b/aaa-lurker" "$b/zzz-taker"
}

submodule_refused() {
	local d=$T/sub
	new_repo "$d"
	git -C "$d" update-index --add --cacheinfo 160000,$(git -C "$d" rev-parse HEAD),vendor/lib
	git -C "$d" commit -qm "add a submodule"
	if git_as admin -C "$d" push "$(remote sub)" main 2> "$T/out"; then
		echo "submodule accepted"; return 1
	fi
	contains "$T/out" "submodules are not supported yet ('vendor/lib')"
}

modes_and_symlinks() {
	local d=$T/modes
	new_repo "$d"
	printf '#!/bin/sh\necho hi\n' > "$d/run.sh" && chmod +x "$d/run.sh"
	ln -s index.html "$d/link.html"
	git -C "$d" add . && git -C "$d" commit -qm modes
	git_as admin -C "$d" push -q "$(remote modes)" main
	expect "exec bit kept" [ -x "$DATA/apps/modes/current/run.sh" ]
	expect "plain file not exec" [ ! -x "$DATA/apps/modes/current/index.html" ]
	expect "symlink kept" [ "$(readlink "$DATA/apps/modes/current/link.html")" = index.html ]
	# links out of the app (a static site would serve them) are refused
	ln -s /etc/passwd "$d/pw" && git -C "$d" add pw && git -C "$d" commit -qm abs
	if git_as admin -C "$d" push "$(remote modes)" main 2> "$T/out"; then
		echo "an absolute symlink was deployed"; return 1; fi
	contains "$T/out" "points outside the app"
	git -C "$d" rm -q pw && mkdir -p "$d/sub" && ln -s ../../x "$d/sub/up"
	git -C "$d" add -A && git -C "$d" commit -qm up
	if git_as admin -C "$d" push "$(remote modes)" main 2> "$T/out"; then
		echo "a climbing symlink was deployed"; return 1; fi
	contains "$T/out" "points outside the app"
}

other_branches_do_not_deploy() {
	git -C "$W" checkout -q -b feature
	echo "<h1>feature</h1>" > "$W/index.html"
	git -C "$W" commit -qam feature
	git_as admin -C "$W" push "$(remote site)" feature 2> "$T/out"
	if grep -q "Deploying" "$T/out"; then echo "a feature branch deployed"; return 1; fi
	expect "feature stored" server_rev site refs/heads/feature
	git -C "$W" checkout -q main
}

t "static site deploys; current -> releases/1" static_site
t "second release, rollback and roll forward" second_release_and_rollback
t "Procfile app" procfile_app
t "Procfile with shell syntax is refused" procfile_with_shell_syntax
t "node app with no dependencies (offline)" node_app
t "python app with no requirements" python_app
t "failing build: rejected, branch and current unchanged, log kept" failing_build
t "config vars reach the build, sealed at rest; pinned buildpack" config_vars_reach_build
t "detects in one step: the first that accepts, nothing left running" detects_in_one_step
t "submodules are refused clearly" submodule_refused
t "exec bits and symlinks survive the export" modes_and_symlinks
t "pushes to other branches are stored, not deployed" other_branches_do_not_deploy
finish
