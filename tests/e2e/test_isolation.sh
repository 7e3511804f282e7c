# test_isolation.sh - when berth runs as root, each app's processes run as
# the app's own unprivileged uid and its builds as another uid of the app's
# own (core/ident.h): a build cannot read berth's db or another app's
# cache, cannot keep a setuid bit or a writable file in its release, leaves
# nothing running behind, and one app cannot read another's config vars
# from /proc or its release (only a static root is open to the proxy); the
# running app cannot touch its own build cache.  Real pushes, real
# buildpack, real processes.  (tests/e2e/test_attacks.sh has the hostile
# buildpacks.)
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "skip: berth drops privileges only when it runs as root"
	echo "0 passed, 0 failed"
	exit 0
fi
SETTINGS=("[health]" "timeout = 10" "grace = 0" "[build]" "keep_releases = 2"
	"[server]" "app_max_processes = 40")
start_server "${SETTINGS[@]}"

# A buildpack that reports who it runs as and tries what it must not do.
mkdir -p "$T/buildpacks/probe/bin"
cat > "$T/buildpacks/probe/bin/detect" <<'SH'
#!/bin/sh
[ -f "$1/probe" ] && echo probe
SH
cat > "$T/buildpacks/probe/bin/compile" <<SH
#!/bin/sh
echo "build uid \$(id -u) gid \$(id -g) groups \$(id -G)"
cat "$DATA/berth.db" > /dev/null 2>&1 && echo "LEAK: read the db" || echo "db: refused"
ls "$DATA/apps/alpha/cache/home" > /dev/null 2>&1 && [ "\$(id -u)" != "\$(stat -c %u "$DATA/apps/alpha/cache")" ] &&
	echo "LEAK: read alpha's cache" || echo "other cache: refused or own"
touch "\$2/home/mark" && echo "cache: writable"
echo hi > "\$1/suid" && chmod 4755 "\$1/suid" && chmod 0666 "\$1/probe"
echo "#!/bin/sh" > "\$1/run" && chmod 755 "\$1/run"
echo mine > "\$1/private" && chmod 600 "\$1/private"
exit 0
SH
printf '#!/bin/sh\nprintf -- "---\\ndefault_process_types:\\n  web: python3 web.py\\n"\n' > "$T/buildpacks/probe/bin/release"
chmod 755 "$T/buildpacks/probe/bin/"*

# A buildpack whose build makes a static site; the tree's `linker` file
# says how: "leak" links to /etc/passwd, "climb" to the app's root (out of
# the static root), "chain" leaves the app and comes back in through a
# link that looks inside (where it ends is inside), "symroot" makes the static root a symlink, "deep" serves
# site/www, "page" links to a page beside it.
mkdir -p "$T/buildpacks/linker/bin"
printf '#!/bin/sh\n[ -f "$1/linker" ] && echo linker\n' > "$T/buildpacks/linker/bin/detect"
cat > "$T/buildpacks/linker/bin/compile" <<'SH'
#!/bin/sh
cd "$1"
mkdir -p public && echo "<h1>linked</h1>" > public/index.html
case $(cat linker) in
leak) ln -s /etc/passwd public/leak ;;
escape) ln -s /etc/passwd "public/$(printf 'x\033[2Jy')" ;;
climb) ln -s .. public/up ;;
chain) mkdir public/sub && ln -s .. public/sub/up &&
	ln -s "sub/up/../../$(basename "$1")/public/index.html" public/out ;;
symroot) mv public dist && ln -s dist public ;;
deep) mkdir -p site/www && mv public/index.html site/www/ && echo secret > site/other &&
	echo odd > site/odd && chmod 0004 site/odd && echo site/www > .static_root ;;
*) ln -s index.html public/alias ;;
esac
SH
cat > "$T/buildpacks/linker/bin/release" <<'SH'
#!/bin/sh
root=public
[ -f "$1/.static_root" ] && root=$(cat "$1/.static_root")
printf -- "---\nstatic_root: %s\n" "$root"
SH
chmod 755 "$T/buildpacks/linker/bin/"*

# A buildpack whose build forks without end (200 sleeps, in the background).
mkdir -p "$T/buildpacks/bomb/bin"
printf '#!/bin/sh\n[ -f "$1/bomb" ] && echo bomb\n' > "$T/buildpacks/bomb/bin/detect"
cat > "$T/buildpacks/bomb/bin/compile" <<'SH'
#!/bin/sh
i=0
while [ $i -lt 200 ]; do sleep 60 & i=$((i+1)); done
echo "forked them all"
SH
chmod 755 "$T/buildpacks/bomb/bin/"*

# a buildpack named in the order file but not installed is passed over
sed -i '1i ghost' "$T/buildpacks/order"

uid_of() { echo $(( UID_BASE + $(sql "SELECT id FROM apps WHERE name='$1'") )); }
build_uid_of() { echo $(( $(uid_of "$1") + 1000000000 )); }
live() { ps -u "$1" -o stat= | grep -v '^Z'; } # what runs as uid $1

probe_app() { # probe_app DIR: a tree the probe buildpack takes; its web process
	git init -q "$1"
	echo probe > "$1/probe"
	cat > "$1/web.py" <<'PY'
import os, subprocess, http.server
if os.path.exists("straggler"):  # a daemon that leaves its supervisor's group
    subprocess.Popen(["setsid", "sleep", "1234"], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("uid %d\nprivate %s\n" % (os.getuid(),
                open("private").read().strip())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	git -C "$1" add . && git -C "$1" commit -qm probe
}

build_runs_as_its_own_uid() {
	probe_app "$T/alpha"
	git_as admin -C "$T/alpha" push -q "$(remote alpha)" main > "$T/push.log" 2>&1
	u=$(build_uid_of alpha)
	contains "$T/push.log" "build uid $u gid $u groups $u"
	contains "$T/push.log" "db: refused"
	contains "$T/push.log" "cache: writable"
	expect "no leak" fails grep -q LEAK "$T/push.log"
}

release_belongs_to_root() {
	r=$DATA/apps/alpha/releases/1
	expect "root owns the release" [ "$(stat -c %u "$r" "$r/suid" "$r/probe" | sort -u)" = 0 ]
	expect "no setuid bit kept" [ "$(stat -c %a "$r/suid")" = 755 ]
	expect "no world-writable file kept" [ "$(stat -c %a "$r/probe")" = 644 ]
	expect "the cache stays the build's" [ "$(stat -c %u "$DATA/apps/alpha/cache/home/mark")" = "$(build_uid_of alpha)" ]
	expect "the running app cannot write its build cache" fails setpriv --reuid="$(uid_of alpha)" \
		--regid="$(uid_of alpha)" --clear-groups touch "$DATA/apps/alpha/cache/home/x" 2> /dev/null
	expect "the app's group, closed to others" [ "$(stat -c %g:%a "$r")" = "$(uid_of alpha):750" ]
	expect "a file the build kept to itself stays readable by the app" \
		[ "$(stat -c %g:%a "$r/private")" = "$(uid_of alpha):640" ]
	expect "another uid cannot read the release" fails setpriv --reuid=65534 \
		--regid=65534 --clear-groups cat "$r/web.py" > /dev/null 2>&1
}

processes_run_as_the_app() {
	http alpha.localhost / > "$T/out"
	contains "$T/out" "uid $(uid_of alpha)"
	contains "$T/out" "private mine"
	expect "a process under alpha's uid" pgrep -u "$(uid_of alpha)" -f web.py
}

apps_cannot_read_each_other() {
	as admin config:set alpha SECRET_TOKEN=s3cr3t-alpha > /dev/null
	probe_app "$T/beta"
	git_as admin -C "$T/beta" push -q "$(remote beta)" main > "$T/push.log" 2>&1
	contains "$T/push.log" "build uid $(build_uid_of beta)"
	expect "other cache refused" fails grep -q "LEAK" "$T/push.log"
	for _ in $(seq 50); do
		pid=$(pgrep -u "$(uid_of alpha)" -f web.py | head -1)
		[ -n "$pid" ] && grep -qa s3cr3t-alpha "/proc/$pid/environ" && break
		sleep 0.1
	done
	expect "alpha's process has its secret" grep -qa s3cr3t-alpha "/proc/$pid/environ"
	expect "beta's uid cannot read it" fails setpriv --reuid="$(uid_of beta)" \
		--regid="$(uid_of beta)" --clear-groups cat "/proc/$pid/environ" > /dev/null 2>&1
	expect "nor alpha's cache" fails setpriv --reuid="$(uid_of beta)" \
		--regid="$(uid_of beta)" --clear-groups ls "$DATA/apps/alpha/cache" > /dev/null 2>&1
	expect "nor alpha's code" fails setpriv --reuid="$(uid_of beta)" \
		--regid="$(uid_of beta)" --clear-groups cat "$DATA/apps/alpha/current/web.py" > /dev/null 2>&1
}

hard_link_not_given() {
	# a hard link to a root file planted in the cache (possible where
	# fs.protected_hardlinks is off), and a missing HOME that makes berth
	# hand the cache over again: the linked file must stay root's
	echo canary > "$T/canary"
	ln "$T/canary" "$DATA/apps/alpha/cache/linked"
	rm -rf "$DATA/apps/alpha/cache/home"
	git -C "$T/alpha" commit -q --allow-empty -m again
	git_as admin -C "$T/alpha" push -q "$(remote alpha)" main
	expect "the cache is the build's again" [ "$(stat -c %u "$DATA/apps/alpha/cache/home")" = "$(build_uid_of alpha)" ]
	expect "the hard-linked root file is not" [ "$(stat -c %u "$T/canary")" = 0 ]
}

# daemon_of UID: the pid of the daemon gamma's web process starts
daemon_of() {
	for _ in $(seq 100); do pgrep -u "$1" -f "sleep 1234" && return 0; sleep 0.1; done
	return 1
}

old_cache_starts_afresh() {
	# an older berth gave the cache to the app's own uid, whose running
	# processes may still hold its files open for writing
	chown -R "$(uid_of alpha):$(uid_of alpha)" "$DATA/apps/alpha/cache"
	echo planted > "$DATA/apps/alpha/cache/home/planted"
	git -C "$T/alpha" commit -q --allow-empty -m fresh
	git_as admin -C "$T/alpha" push "$(remote alpha)" main 2> "$T/err" || { cat "$T/err"; return 1; }
	contains "$T/err" "Started a new build cache (builds have a uid of their own now)"
	expect "the cache is the build's" [ "$(stat -c %u "$DATA/apps/alpha/cache/home")" = "$(build_uid_of alpha)" ]
	expect "nothing of the old one is left" [ ! -e "$DATA/apps/alpha/cache/home/planted" ]
}

restart_ends_stragglers() {
	probe_app "$T/gamma"
	touch "$T/gamma/straggler"; git -C "$T/gamma" add straggler && git -C "$T/gamma" commit -qm s
	git_as admin -C "$T/gamma" push -q "$(remote gamma)" main
	old=$(daemon_of "$(uid_of gamma)")
	expect "the app left a daemon outside its process group" [ -n "$old" ]
	as admin ps:restart gamma > /dev/null
	for _ in $(seq 150); do kill -0 "$old" 2> /dev/null || break; sleep 0.1; done
	expect "the old process's daemon ended with it" fails kill -0 "$old" 2> /dev/null
}

destroy_kills_stragglers() {
	u=$(uid_of gamma)
	expect "the new process has its daemon" daemon_of "$u" > /dev/null
	as admin apps:destroy gamma --force > /dev/null
	# (zombies aside: whether anything reaps them is up to this machine's init)
	for _ in $(seq 30); do [ -z "$(live "$u")" ] && break; sleep 0.1; done
	expect "nothing runs as the destroyed app's uid" [ -z "$(live "$u")" ]
}

unreachable_buildpacks() {
	chmod 700 "$T/buildpacks"
	git -C "$T/alpha" commit -q --allow-empty -m blocked
	if git_as admin -C "$T/alpha" push "$(remote alpha)" main 2> "$T/err"; then
		chmod 755 "$T/buildpacks"; echo "a build without its buildpacks went through"; return 1
	fi
	chmod 755 "$T/buildpacks"
	contains "$T/err" "cannot enter '$T/buildpacks' on the way to '$T/buildpacks'"
	contains "$T/err" "chmod o+x '$T/buildpacks'), or set buildpacks_dir in berth.ini"
	git -C "$T/alpha" reset -q --hard HEAD~1
}

# link_push HOW: commit HOW as the linker buildpack's mode and push the
# tree to app "linked"; the push's stderr goes to $T/err.
link_push() {
	[ -d "$T/linked" ] || git init -q "$T/linked"
	echo "$1" > "$T/linked/linker"
	git -C "$T/linked" add . && git -C "$T/linked" commit -qm "$1"
	git_as admin -C "$T/linked" push "$(remote linked)" main 2> "$T/err"
}

nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

static_links_stay_inside() {
	for how in leak escape climb chain symroot; do
		link_push $how && { echo "a static site made with '$how' went live"; return 1; }
		case $how in
		leak) contains "$T/err" "'public/leak' is a symlink that leads outside public/" ;;
		# a link's name is the pusher's text: shown, never sent to a terminal
		escape) contains "$T/err" "'public/x\\x1b[2Jy' is a symlink that leads outside" &&
			expect "no escape byte reaches the pusher" fails grep -q $'\033' "$T/err" ;;
		chain) contains "$T/err" "'public/out' is a symlink that leads outside public/" ;;
		symroot) contains "$T/err" "static_root 'public' goes through a symlink" ;;
		esac || return 1
	done
	link_push page || { cat "$T/err"; return 1; }
	http linked.localhost /alias > "$T/out"; contains "$T/out" "linked"
	# the proxy's workers may run as anyone: the static root is theirs to
	# read, the rest of the release is not
	r=$DATA/apps/linked/current
	expect "the served files are readable" nobody cat "$r/public/index.html"
	expect "the rest is not" fails nobody cat "$r/linker" > /dev/null 2>&1
	expect "nor listable" fails nobody ls "$r/" > /dev/null 2>&1
}

deep_static_root() {
	link_push deep || { cat "$T/err"; return 1; }
	http linked.localhost / > "$T/out"; contains "$T/out" "linked"
	r=$DATA/apps/linked/current
	expect "the served files are readable" nobody cat "$r/site/www/index.html"
	expect "a file beside the way is not" fails nobody cat "$r/site/other" > /dev/null 2>&1
	expect "not even one only others could read" fails nobody cat "$r/site/odd" > /dev/null 2>&1
	expect "the way is not listable" fails nobody ls "$r/site" > /dev/null 2>&1
	expect "the app still reads all of it" setpriv --reuid="$(uid_of linked)" \
		--regid="$(uid_of linked)" --clear-groups cat "$r/site/other"
}

proxy_runs_unprivileged() {
	pid=$(cat "$DATA/router/caddy/home/caddy.pid")
	st=/proc/$pid/status
	expect "Caddy runs as app_uid_base" [ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "$st")" = "$UID_BASE$UID_BASE$UID_BASE$UID_BASE" ]
	expect "with CAP_NET_BIND_SERVICE alone" [ "$(awk '/^CapEff:/ { print $2 }' "$st")" = 0000000000000400 ]
	expect "the config it starts with is root's" [ "$(stat -c %u:%a "$DATA/router/caddy/boot.json")" = 0:644 ]
	expect "and names no app" fails grep -q alpha "$DATA/router/caddy/boot.json"
	# the applied config lists every app's domains and paths: root's alone
	expect "the applied config is root's alone" [ "$(stat -c %u:%a "$DATA/router/caddy/config.json")" = 0:600 ]
	expect "it lists the apps" grep -q alpha.localhost "$DATA/router/caddy/config.json"
	expect "an app cannot read it" fails setpriv --reuid="$(uid_of alpha)" \
		--regid="$(uid_of alpha)" --clear-groups cat "$DATA/router/caddy/config.json" > /dev/null 2>&1
	expect "nor can Caddy's uid" fails setpriv --reuid="$UID_BASE" \
		--regid="$UID_BASE" --clear-groups cat "$DATA/router/caddy/config.json" > /dev/null 2>&1
	expect "its uid cannot read the db" fails setpriv --reuid="$UID_BASE" \
		--regid="$UID_BASE" --clear-groups cat "$DATA/berth.db" > /dev/null 2>&1
	expect "nor an app's code" fails setpriv --reuid="$UID_BASE" \
		--regid="$UID_BASE" --clear-groups cat "$DATA/apps/alpha/current/web.py" > /dev/null 2>&1
}

admin_socket_checked() {
	# the admin socket lives in the proxy's own home: a symlink there to a
	# socket someone else listens on must not get berth's config
	h=$DATA/router/caddy/home
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(5); time.sleep(30)' \
		"$T/root.sock" & py=$!
	for _ in $(seq 50); do [ -S "$T/root.sock" ] && break; sleep 0.1; done
	mv "$h/admin.sock" "$h/admin.sock.real"
	ln -s "$T/root.sock" "$h/admin.sock"
	as admin domains:add alpha alpha.example > "$T/out" 2>&1 && refused=no || refused=yes
	rm "$h/admin.sock"; mv "$h/admin.sock.real" "$h/admin.sock"; kill "$py"
	expect "the change was refused" [ "$refused" = yes ]
	contains "$T/out" "admin socket is held by uid 0, not the proxy's uid $UID_BASE"
	as admin domains:add alpha alpha.example > /dev/null
	http alpha.example / > "$T/out"; contains "$T/out" "private mine"
}

# (after a restart with a decoy root process's pid in Caddy's pid file,
# which the proxy's uid can write)
decoy_not_believed() {
	expect "the decoy was left alone" kill -0 "$DECOY"
	expect "berth started its own Caddy" [ "$(cat "$DATA/router/caddy/home/caddy.pid")" != "$DECOY" ]
	http alpha.localhost / > "$T/out"; contains "$T/out" "private mine"
}

fork_bomb_stops() {
	git init -q "$T/bomb"
	echo bomb > "$T/bomb/bomb"
	git -C "$T/bomb" add . && git -C "$T/bomb" commit -qm bomb
	if git_as admin -C "$T/bomb" push "$(remote bomb)" main 2> "$T/err"; then
		echo "a fork bomb's build went through"; return 1
	fi
	expect "the shell could not fork" grep -Eq "Cannot fork|Resource temporarily" "$T/err"
	expect "not all of them" fails grep -q "forked them all" "$T/err"
	contains "$T/err" "and 40 processes, [server] app_max_processes"
	expect "nothing of the build runs on" [ -z "$(live "$(build_uid_of bomb)")" ]
}

archived_release_comes_back_closed() {
	# keep_releases = 2: alpha's v1 is archived by now; rolling back to it
	# restores it with its owner, group and modes
	for i in 1 2; do
		git -C "$T/alpha" commit -q --allow-empty -m "more $i"
		git_as admin -C "$T/alpha" push -q "$(remote alpha)" main
	done
	expect "v1 was archived" [ -f "$DATA/apps/alpha/releases/1.tar.gz" ]
	as admin rollback alpha 1 > "$T/out" 2>&1
	contains "$T/out" "Restored v1"
	r=$DATA/apps/alpha/releases/1
	expect "restored closed" [ "$(stat -c %u:%g:%a "$r")" = "0:$(uid_of alpha):750" ]
	expect "with the app's group" [ "$(stat -c %u:%g:%a "$r/private")" = "0:$(uid_of alpha):640" ]
	http alpha.localhost / > "$T/out"
	contains "$T/out" "private mine"
}

t "a build runs as a uid of its own and cannot read the db" build_runs_as_its_own_uid
t "a built release belongs to root: no setuid, nothing writable" release_belongs_to_root
t "the app's processes run as its uid" processes_run_as_the_app
t "one app cannot read another's config vars or cache" apps_cannot_read_each_other
t "a hard link in the cache never hands a root file to the app" hard_link_not_given
t "a build cache of the app's own uid (an older berth's) starts afresh" old_cache_starts_afresh
t "a restarted process leaves nothing it started running" restart_ends_stragglers
t "apps:destroy stops whatever still runs as the app's uid" destroy_kills_stragglers
t "buildpacks the app's uid cannot reach: a clear refusal" unreachable_buildpacks
t "a static site's symlinks must stay inside the app" static_links_stay_inside
t "a static root two levels down: only it is open to the proxy" deep_static_root
t "a release restored from its archive is as closed as it was" archived_release_comes_back_closed
t "the managed Caddy runs as its own uid with only the bind capability" proxy_runs_unprivileged
t "berth talks to Caddy's admin socket only when Caddy's uid holds it" admin_socket_checked
sleep 300 & DECOY=$!
stop_server
echo "$DECOY" > "$DATA/router/caddy/home/caddy.pid"
start_server "${SETTINGS[@]}"
t "a pid file that names another uid's process is not believed" decoy_not_believed
kill "$DECOY"
t "a build that forks without end stops at app_max_processes" fork_bomb_stops
finish
