# test_attacks.sh - what a deployer (a key with the deployer role on one
# app, nothing more) tries against a root `berth serve` through the build:
# a process type smuggled in by a newline in bin/release's YAML (a type
# becomes a file name root writes to), LD_PRELOAD and other loader
# variables set with config:set to take over the buildpack's own programs,
# escape sequences printed to drive the pusher's terminal,
# a setsid daemon that keeps a descriptor open to rewrite the release once
# it is sealed, a FIFO left in the release, a build that outlives its
# killed connection or its pusher, config vars left on disk, a descriptor
# berth serve was started with, an app posing as a supervisor, and a
# tampered process list in the store.  Each move is made for real: a real
# push of a tree whose own test buildpack (pinned with BUILDPACK) plays the
# attacker.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "skip: the attacks need berth to run as root (per-app uids)"
	echo "0 passed, 0 failed"
	exit 0
fi

# berth serve starts with a descriptor of ours open (not close-on-exec):
# nothing it execs may see it
exec 7> "$T/inherited-fd-marker"
start_server "[build]" "timeout = 10" "[health]" "timeout = 10" "grace = 0"

# The attacker's buildpack.  The tree's `hostile` file says what to do.
mkdir -p "$T/buildpacks/hostile/bin"
printf '#!/bin/sh\n[ -f "$1/hostile" ] && echo hostile\n' > "$T/buildpacks/hostile/bin/detect"
cat > "$T/buildpacks/hostile/bin/compile" <<SH
#!/bin/sh
how=\$(cat "\$1/hostile")
for f in /proc/\$\$/fd/*; do readlink "\$f"; done | grep -q inherited-fd-marker &&
	echo "LEAK: an inherited descriptor" || echo "descriptors: clean"
env | grep -E '^(LD_|BASH_ENV|NODE_OPTIONS)' | sed 's/=.*//; s/^/LEAK: env /'
echo "env dir: \$(ls "\$3" | tr '\n' ' ')on \$(stat -f -c %T "\$3")"
case \$how in
daemon)	# keeps a descriptor into the tree, to write after the seal
	setsid sh -c 'echo \$\$ > "\$2/daemon.pid"; exec 3>> "\$1/app.txt"
		while :; do echo HACKED >&3; sleep 0.1; done' sh "\$1" "\$2" \
		< /dev/null > /dev/null 2>&1 &
	while [ ! -s "\$2/daemon.pid" ]; do sleep 0.05; done; sleep 0.3 ;;
fifo)	mkfifo "\$1/pipe" ;;
escapes) # a window title, a clipboard write (OSC 52), a cleared screen, a
	# fake line drawn over the real one; and a colour, which may stay
	printf 'title \033]0;pwned\007 clip \033]52;c;cm0gLXJmIH4=\007 cls \033[2J\033[H fake\r\033[Kremote: ok \033[32mgreen\033[0m\n' ;;
wait*)	# until the test says go; a daemon beside it
	setsid sleep 3001 < /dev/null > /dev/null 2>&1 &
	echo "secret seen: \$(cat "\$3/SECRET_TOKEN")"
	touch "\$2/waiting"
	i=0; while [ ! -e "$T/go-\${how#wait }" ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done ;;
slow)	setsid sleep 3002 < /dev/null > /dev/null 2>&1 &
	touch "\$2/waiting"; sleep 3003 ;;
esac
rm -f "\$2/waiting"
exit 0
SH
cat > "$T/buildpacks/hostile/bin/release" <<'SH'
#!/bin/sh
if [ "$(cat "$1/hostile")" = inject ]; then
	# a newline inside the command's quoted YAML value: a new line, a new
	# "type" whose log file would be ../../../../pwned.1.log
	printf -- '---\ndefault_process_types:\n  web: "python3 web.py\\n../../../../pwned: sleep 100"\n'
else
	printf -- '---\ndefault_process_types:\n  web: python3 web.py\n'
fi
SH
chmod 755 "$T/buildpacks/hostile/bin/"*

# The attacker's library: it notes every program it is loaded into.
printf '' > "$T/preloaded"; chmod 666 "$T/preloaded"
cat > "$T/evil.c" <<C
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
__attribute__((constructor)) static void evil(void) {
	char comm[64] = "";
	int fd = open("/proc/self/comm", O_RDONLY);
	if (fd >= 0) { (void)!read(fd, comm, sizeof(comm) - 1); close(fd); }
	fd = open("$T/preloaded", O_WRONLY | O_APPEND);
	if (fd >= 0) { (void)!write(fd, comm, strlen(comm)); close(fd); }
}
C

uid_of() { echo $(( UID_BASE + $(sql "SELECT id FROM apps WHERE name='$1'") )); }
build_uid_of() { echo $(( $(uid_of "$1") + 1000000000 )); }
live() { ps -u "$1" -o stat= | grep -v '^Z'; } # what runs as uid $1
holds_marker() { for f in /proc/"$1"/fd/*; do readlink "$f"; done 2> /dev/null | grep -q inherited-fd-marker; }

# The app, and a deployer key with a role on it and nothing else.
setup() {
	as admin apps:create evil > /dev/null
	as admin keys:add dev < "$T/dev.pub" > /dev/null
	as admin grant dev evil deployer > /dev/null
	as dev config:set evil BUILDPACK=hostile > /dev/null
	git init -q "$T/evil"
	cat > "$T/evil/web.py" <<'PY'
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        fds = []
        for f in os.listdir("/proc/self/fd"):
            try:
                fds.append(os.readlink("/proc/self/fd/" + f))
            except OSError:  # the listing's own
                pass
        body = ("leak\n" if any("inherited-fd-marker" in f for f in fds) else "clean\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
print("app says \033]0;pwned\007 \033[31mred\033[0m", flush=True)
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	cc -shared -fPIC -o "$T/evil/evil.so" "$T/evil.c"
	echo normal > "$T/evil/hostile"
	git -C "$T/evil" add . && git -C "$T/evil" commit -qm evil
	git_as dev -C "$T/evil" push -q "$(remote evil)" main 2> "$T/err" || { cat "$T/err"; return 1; }
}

# attack HOW: commit HOW as the buildpack's move and push it as the
# deployer; the push's stderr goes to $T/err.
attack() {
	echo "$1" > "$T/evil/hostile"
	git -C "$T/evil" commit -qam "$1"
	git_as dev -C "$T/evil" push "$(remote evil)" main 2> "$T/err"
}

injected_type_refused() {
	attack inject && { echo "a release with a smuggled type went live"; return 1; }
	contains "$T/err" "bin/release: byte 15 of the command is a control character"
	expect "root wrote nothing at the smuggled path" [ -z "$(ls "$T" | grep pwned)" ]
	expect "no process of that type" [ "$(sql "SELECT count(*) FROM processes WHERE type LIKE '%pwned%'")" = 0 ]
	http evil.localhost / > "$T/out"; contains "$T/out" "clean"
}

# no escape sequence but a colour (ESC [ digits m) in FILE
only_colours() { ! grep -qP '\x1b(?!\[[0-9;]*m)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]' "$1"; }

# what bin/compile and the app print reaches the pusher, `logs --build`
# and `logs` with its terminal controls made '?'; colours stay
hostile_output_harmless() {
	attack escapes || { cat "$T/err"; return 1; }
	contains "$T/err" "title ?]0;pwned? clip ?]52;c;cm0gLXJmIH4=? cls ?[2J?[H fake?[Kremote: ok"
	# (git itself ends each remote line with ESC [K when TERM is set)
	expect "no title, clipboard, bell or screen control reached the pusher" \
		fails grep -qP '\033\]|\007|\033\[2J|\033\[H' "$T/err"
	expect "the colour stays" grep -q $'\033\\[32mgreen\033\\[0m' "$T/err"
	as dev logs evil --build > "$T/out"
	contains "$T/out" "title ?]0;pwned? clip"
	expect "the stored log has no control but colours" only_colours "$T/out"
	for _ in $(seq 100); do
		as dev logs evil > "$T/out"; grep -q "app says" "$T/out" && break; sleep 0.1
	done
	contains "$T/out" "app says ?]0;pwned? "
	expect "the app's log has no control but colours" only_colours "$T/out"
}

loader_vars_kept_out() {
	as dev config:set evil LD_PRELOAD=./evil.so BASH_ENV=./evil.so \
		NODE_OPTIONS=--require=./evil.so SECRET_TOKEN=s3cr3t-t0ken > /dev/null
	attack normal || { cat "$T/err"; return 1; }
	contains "$T/err" "Not passed to the buildpack (they change what code its programs load; the app still gets them): BASH_ENV, LD_PRELOAD, NODE_OPTIONS"
	expect "the value is not shown" fails grep -q "evil.so" "$T/err"
	expect "no step got one" fails grep -q "LEAK" "$T/err"
	contains "$T/err" "env dir: BUILDPACK SECRET_TOKEN on tmpfs"
	expect "no buildpack program loaded the library" [ -z "$(grep -v python3 "$T/preloaded")" ]
	# the app's own processes still get them: its choice
	for _ in $(seq 100); do grep -q python3 "$T/preloaded" && break; sleep 0.1; done
	expect "the app loaded it" grep -q python3 "$T/preloaded"
	has_preload() { # (an old process may be on its way out meanwhile)
		for pid in $(pgrep -u "$(uid_of evil)" -f web.py); do
			grep -qa "LD_PRELOAD=./evil.so" "/proc/$pid/environ" 2> /dev/null && return 0
		done
		return 1
	}
	for _ in $(seq 100); do has_preload && break; sleep 0.1; done
	expect "the app has LD_PRELOAD" has_preload
	as dev config:unset evil LD_PRELOAD BASH_ENV NODE_OPTIONS > /dev/null
}

daemon_cannot_touch_sealed_release() {
	attack daemon || { cat "$T/err"; return 1; }
	pid=$(cat "$DATA/apps/evil/cache/daemon.pid")
	expect "the daemon was started" [ -n "$pid" ]
	# the push is back: the daemon must be gone already, not later
	expect "the daemon is gone" fails kill -0 "$pid" 2> /dev/null
	expect "nothing runs as the build's uid" [ -z "$(live "$(build_uid_of evil)")" ]
	f=$DATA/apps/evil/current/app.txt
	size=$(stat -c %s "$f")
	for _ in $(seq 10); do [ "$(stat -c %s "$f")" = "$size" ] || break; sleep 0.1; done
	expect "the sealed file did not grow" [ "$(stat -c %s "$f")" = "$size" ]
	expect "it is root's, not writable by the app" [ "$(stat -c %u:%a "$f")" = 0:644 ]
}

fifo_refused_after_seal() {
	attack fifo && { echo "a release with a FIFO went live"; return 1; }
	contains "$T/err" "the built tree is not sealed: 'pipe' is not a file, a directory or a symlink"
}

# background HOW: attack HOW in the background (its pid in $push)
background() {
	rm -f "$DATA/apps/evil/cache/waiting"
	attack "$1" > /dev/null 2>&1 &
	push=$!
}

# wait_for_build: until bin/compile says it waits (its marker in the cache)
wait_for_build() {
	for _ in $(seq 300); do [ -e "$DATA/apps/evil/cache/waiting" ] && return 0; sleep 0.1; done
	echo "the build never started"; return 1
}

env_dir_not_on_disk() {
	background "wait 1"
	wait_for_build || { kill_tree $push; return 1; }
	# bin/compile reads the secret now; from outside its mount namespace
	# the env dir is an empty directory, and no file holds the value
	envs=$(ls -d "$DATA"/apps/evil/.env-*)
	expect "the env dir on disk is empty" [ -z "$(ls -A $envs)" ]
	expect "the value is in no file" fails grep -rqa s3cr3t-t0ken "$DATA"
	touch "$T/go-1"
	wait $push || { cat "$T/err"; return 1; }
	contains "$T/err" "secret seen: [SECRET_TOKEN]"
	expect "the env dir is gone" [ -z "$(ls -d "$DATA"/apps/evil/.env-* 2> /dev/null)" ]
}

killed_connection_ends_build() {
	background "wait 2"
	wait_for_build || { kill_tree $push; return 1; }
	# berth serve's repair and upkeep passes are children too, for a
	# moment each: the connection process is the one that runs `conn`
	for _ in $(seq 200); do
		conn=$(conn_pids)
		[ "$(echo "$conn" | wc -w)" = 1 ] && break
		sleep 0.05
	done
	expect "one connection process" [ "$(echo "$conn" | wc -w)" = 1 ]
	killed_on_purpose "$conn"
	kill -9 "$conn"
	u=$(build_uid_of evil)
	for _ in $(seq 150); do [ -z "$(live "$u")" ] && break; sleep 0.1; done
	expect "nothing of the build runs on" [ -z "$(live "$u")" ]
	kill_tree $push; wait $push 2> /dev/null || true
	for d in "$DATA"/apps/evil/.env-*; do
		expect "no config var left on disk" [ -z "$(ls -A "$d")" ]
	done
	attack normal || { cat "$T/err"; return 1; }
	expect "the killed build's env dir is still there (for the next start)" \
		[ -n "$(ls -d "$DATA"/apps/evil/.env-* 2> /dev/null)" ]
}

# (after berth serve started again)
restart_cleans_up() {
	expect "the killed build's env dir is gone" \
		[ -z "$(ls -d "$DATA"/apps/evil/.env-* 2> /dev/null)" ]
	expect "and its build dir" [ -z "$(ls -A "$DATA"/apps/evil/releases | grep '^\.build-')" ]
}

killed_pusher_bounded_by_timeout() {
	background slow
	wait_for_build || { kill_tree $push; return 1; }
	kill_tree $push; wait $push 2> /dev/null || true  # the pusher's git and ssh
	u=$(build_uid_of evil)
	expect "the build still runs" [ -n "$(live "$u")" ]
	# [build] timeout = 10: it ends then, with its daemon
	for _ in $(seq 300); do [ -z "$(live "$u")" ] && break; sleep 0.1; done
	expect "nothing of the build runs on" [ -z "$(live "$u")" ]
	for _ in $(seq 100); do
		[ "$(sql "SELECT status FROM deploys ORDER BY id DESC LIMIT 1")" = failed ] && break
		sleep 0.1
	done
	expect "the deploy failed on its timeout" [ "$(sql "SELECT reason FROM deploys ORDER BY id DESC LIMIT 1")" = "build timed out after 10 s" ]
}

no_inherited_descriptor() {
	attack normal || { cat "$T/err"; return 1; }
	contains "$T/err" "descriptors: clean"
	http evil.localhost / > "$T/out"; contains "$T/out" "clean"
	apps=$(pgrep -u "$(uid_of evil)" -f web.py)
	shims=$(sql "SELECT shim_pid FROM processes")
	caddy=$(cat "$DATA/router/caddy/home/caddy.pid")
	expect "an app process to look at" [ -n "$apps" ]
	expect "and its supervisor" [ -n "$shims" ]
	expect "berth serve holds it (the test's check works)" holds_marker "$SERVER_PID"
	for pid in $apps $shims "$caddy"; do
		expect "process $pid does not hold it" fails holds_marker "$pid"
	done
}

# (with berth serve stopped) a reboot: the supervisor and its app are gone,
# and the app's uid has a process that copies the supervisor's command
# line and got its old pid (set here by hand: pid reuse)
fake_shim_planted() {
	row=$(sql "SELECT id, shim_pid FROM processes WHERE state = 'running' LIMIT 1")
	id=${row%|*}; shim=${row#*|}
	app=$(cat "$DATA/apps/evil/run/$id/pid")
	kill -9 "$shim" "$app"
	printf 'sleep 300\n' > "$T/shim"; chmod 755 "$T/shim"
	(cd "$T" && exec setpriv --reuid="$(uid_of evil)" --regid="$(uid_of evil)" \
		--clear-groups bash -c 'exec -a berth /bin/sh shim "$@"' sh "$DATA" "$id" 0 1024) &
	fake=$!
	for _ in $(seq 50); do grep -qa "shim" "/proc/$fake/cmdline" 2> /dev/null && break; sleep 0.1; done
	expect "the fake looks like the supervisor" [ "$(tr '\0' ' ' < "/proc/$fake/cmdline")" = "berth shim $DATA $id 0 1024 " ]
	sql "UPDATE processes SET shim_pid = $fake WHERE id = $id"
	echo "$id $fake" > "$T/fake"
}

# (after berth serve started again)
fake_shim_not_believed() {
	read -r id fake < "$T/fake"
	for _ in $(seq 100); do http evil.localhost / > "$T/out" 2>&1 && grep -q clean "$T/out" && break; sleep 0.1; done
	kill "$fake"
	contains "$T/out" "clean"
	new=$(sql "SELECT shim_pid FROM processes WHERE id = $id")
	expect "a real supervisor was started" [ "$new" != "$fake" ]
	expect "it runs as root" [ "$(stat -c %u "/proc/$new")" = 0 ]
}

tampered_list_refused() {
	v=$(sql "SELECT current_release FROM apps WHERE name = 'evil'")
	sql "UPDATE releases SET process_types = 'web: python3 web.py' || char(10) ||
		'../../../../pwned2: sleep 100' || char(10) WHERE version = $v"
	as dev ps:restart evil > "$T/out" 2>&1 && { echo "a tampered list ran"; return 1; }
	contains "$T/out" "the stored process list is bad: Procfile line 2: bad process name '../../../../pwned2'"
	expect "root wrote nothing at that path" [ -z "$(ls "$T" | grep pwned)" ]
	http evil.localhost / > "$T/out"; contains "$T/out" "clean"
}

t "a deployer's app and key" setup
t "a newline in bin/release's YAML cannot add a process type (a root-written path)" injected_type_refused
t "hostile output of a build and an app cannot drive the terminal" hostile_output_harmless
t "config:set LD_PRELOAD and other loader variables never reach a buildpack step" loader_vars_kept_out
t "a setsid daemon of bin/compile is gone before the seal: the release stays as sealed" daemon_cannot_touch_sealed_release
t "the tree is checked after the seal: a FIFO is refused" fifo_refused_after_seal
t "config vars reach bin/compile on a tmpfs of its own, never on disk" env_dir_not_on_disk
t "a build whose connection process is killed ends at once, with its daemons" killed_connection_ends_build
t "a build whose pusher is gone still ends at the build timeout" killed_pusher_bounded_by_timeout
t "a descriptor berth serve inherited reaches no build step, app or proxy" no_inherited_descriptor
stop_server
t "a reboot, and an app process that copies its supervisor's command line" fake_shim_planted
start_server "[build]" "timeout = 10" "[health]" "timeout = 10" "grace = 0"
t "berth's next start removes what a killed build left" restart_cleans_up
t "an app that copies a supervisor's command line is not taken for it" fake_shim_not_believed
t "a tampered process list in the store is refused where it becomes a path" tampered_list_refused
finish
