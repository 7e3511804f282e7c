# tests/e2e/lib.sh - shared set-up for the end-to-end tests: a real
# `berth serve` on a random 127.0.0.1 port in a temp dir, real OpenSSH
# keys and client, real git.  Each test script sources this, calls
# start_server, defines functions and runs them with `t NAME FUNC`, then
# calls finish (which prints "N passed, N failed").
set -u
: "${BERTH:?BERTH must point at the berth binary}"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# A test that sets E2E_NAMESPACES=1 before sourcing this file runs again
# inside its own network, mount and pid namespaces: there the fixed ports
# (2222, 8080) are free whatever else runs on the machine, mounts made for
# the test stay the test's, and when the script ends every process it left
# (proxy, supervisors, apps) dies with its pid namespace.  Needs root;
# without it the test is skipped.
if [ -n "${E2E_NAMESPACES:-}" ] && [ -z "${BERTH_IN_NS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null; then
		echo "SKIP $(basename "$0"): needs root for its own namespaces"
		echo "0 passed, 0 failed"
		exit 0
	fi
	BERTH_IN_NS=1 exec unshare --net --mount --pid --fork --mount-proc \
		bash "$0" "$@"
fi
if [ -n "${BERTH_IN_NS:-}" ]; then
	ip link set lo up
fi

T=$(mktemp -d /tmp/berth-e2e.XXXXXX)
chmod 711 "$T"   # nginx's workers (nobody) must reach the data dir, as under /var/lib
PASS=0
FAIL=0
# Each run gets its own block of app uids (app_uid_base), so that runs going
# on at once (several checkouts on one machine) never share a uid: a destroy
# kills every process of its app's uid.
: "${UID_BASE:=$(( 1000000000 + (RANDOM * 32768 + RANDOM) % 1000000 * 1000 ))}"
SERVER_PID=
export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=t@example.com
export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=t@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME=$T/home
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global protocol.version 2  # berth answers v0; git must fall back

cleanup() {
	stop_server
	stop_apps
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}

# The apps' supervisors outlive berth serve on purpose; a test stops them
# (each stops its app on SIGTERM).
stop_apps() {
	# a retire still waiting out its grace would open the db mid-cleanup
	pkill -KILL -f "berth retire $T/data " 2>/dev/null
	pkill -TERM -f "shim $T/data " 2>/dev/null
	for _ in $(seq 100); do
		pgrep -f "shim $T/data " > /dev/null || return 0
		sleep 0.1
	done
	pkill -KILL -f "shim $T/data " 2>/dev/null
	return 0
}

kill_tree() { # kill_tree PID: a background job and what it started (ssh)
	pkill -P "$1" 2>/dev/null || true
	kill "$1" 2>/dev/null || true
	return 0
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# start_server [extra ini lines, with their [section] headers...]
# The server gets its own copy of the shipped buildpacks in $T/buildpacks.
# E2E_HTTP_PORT picks the proxy's HTTP port (else a free one); E2E_HTTPS
# sets [router] https (else off).
start_server() {
	PORT=$(free_port)
	HTTP_PORT=${E2E_HTTP_PORT:-$(free_port)}
	DATA=$T/data
	for k in admin dev stranger; do
		[ -f "$T/$k" ] || ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$T/$k"
	done
	if [ ! -d "$T/buildpacks" ]; then
		cp -r "$REPO/buildpacks" "$T/buildpacks"
	fi
	{
		printf '[server]\nlisten = 127.0.0.1:%s\ndata_dir = %s\napp_uid_base = %s\n' \
			"$PORT" "$DATA" "$UID_BASE"
		printf '[build]\nbuildpacks_dir = %s\n' "$T/buildpacks"
		printf '[router]\nkind = %s\nhttp_listen = 127.0.0.1:%s\nhttps = %s\n' \
			"${ROUTER:-caddy}" "$HTTP_PORT" "${E2E_HTTPS:-off}"
		for l in "$@"; do printf '%s\n' "$l"; done
	} > "$T/berth.ini"
	"$BERTH" -c "$T/berth.ini" init --admin-key "$T/admin.pub" > "$T/init.log" 2>&1 ||
		{ cat "$T/init.log"; echo "FAIL setup: berth init"; exit 1; }
	"$BERTH" -c "$T/berth.ini" serve > "$T/serve.log" 2>&1 &
	SERVER_PID=$!
	SERVER_STARTED=1
	# up to 30 s: a loaded machine (five suites at once) took over 5.  Our
	# own server's word that it listens, not only an open port: a suite
	# running beside this one may have picked the same free port first
	for _ in $(seq 600); do
		grep -q "listening on 127.0.0.1:$PORT " "$T/serve.log" 2>/dev/null &&
			(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/serve.log"
	echo "FAIL setup: berth serve did not listen"
	exit 1
}

# wait_listening: until the berth serve of $SERVER_PID, started again on
# the same data dir, takes connections on $PORT (up to 30 s: it repairs
# and routes before it binds, and an ASan build on a loaded machine takes
# seconds); 1 if it exited or never listened
wait_listening() {
	for _ in $(seq 600); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

stop_server() {
	local pidfile
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	fi
	# the managed proxy outlives berth serve on purpose; tests stop it
	for pidfile in "$T"/data/router/caddy/home/caddy.pid "$T"/data/router/nginx/nginx.pid; do
		[ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	done
	return 0
}

# http HOST [PATH [curl-args...]]: GET through the proxy with a Host header
http() {
	local host=$1 path=${2:-/}
	shift 2 2>/dev/null || shift $#
	curl -sS -m 10 -H "Host: $host" "$@" "http://127.0.0.1:$HTTP_PORT$path"
}

# readme_sh HEADING [N]: the Nth (default first) ```sh block of the
# README.md section whose heading line starts with HEADING ("## Run it"),
# up to the next heading of the same or a higher level.  Tests run the
# README's own commands, so the README cannot drift from what works.
readme_sh() {
	awk -v head="$1" -v want="${2:-1}" '
		function level(l) { match(l, /^#+/); return RLENGTH }
		/^#+ / && !inblk {
			if (insec && level($0) <= lvl) insec = 0
			if (index($0, head) == 1) { insec = 1; lvl = level($0); next }
		}
		insec && /^```/ {
			if (inblk) { inblk = 0; next }
			if ($0 ~ /^```sh/) { n++; inblk = 1; next }
		}
		insec && inblk && n == want { print }
	' "$REPO/README.md"
}

SSH_OPTS="-o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes"

# as KEY ssh-args...   (runs `ssh deploy@127.0.0.1 ARGS` with that key)
as() {
	local key=$1
	shift
	ssh -i "$T/$key" $SSH_OPTS -p "$PORT" deploy@127.0.0.1 "$@"
}

# git_as KEY git-args...
git_as() {
	local key=$1
	shift
	GIT_SSH_COMMAND="ssh -i $T/$key $SSH_OPTS -p $PORT" git "$@"
}

remote() { echo "deploy@127.0.0.1:$1"; }

# The daemon's connection processes (cmd/child.c: `berth __child FD conn
# ...`), not its repair, upkeep or cron passes, which come and go.
conn_pids() { pgrep -P "$SERVER_PID" -f "^berth __child [0-9]+ conn " || true; }

# A work tree with one commit of a static site: new_repo DIR
new_repo() {
	git init -q "$1" && echo "hello $1" > "$1/README" &&
		echo "<h1>$(basename "$1")</h1>" > "$1/index.html" &&
		git -C "$1" add README index.html && git -C "$1" commit -qm "first"
}

commit() { # commit DIR [MESSAGE]
	echo "$RANDOM $(date +%s%N)" >> "$1/file" && git -C "$1" add file &&
		git -C "$1" commit -qm "${2:-change}"
}

server_rev() { # server_rev APP REF
	git --git-dir="$DATA/repos/$1.git" rev-parse --verify -q "$2"
}

fsck_clean() { # fsck_clean APP
	git --git-dir="$DATA/repos/$1.git" fsck --strict --no-dangling > "$T/fsck.log" 2>&1 ||
		{ cat "$T/fsck.log"; return 1; }
}

sql() { sqlite3 -cmd ".timeout 5000" "$DATA/berth.db" "$@"; }

# pkt TEXT: one pkt-line (printf escapes in TEXT are expanded)
pkt() {
	python3 -c 'import sys
s=sys.argv[1].encode().decode("unicode_escape").encode("latin1")
sys.stdout.buffer.write(b"%04x" % (len(s)+4) + s)' "$1"
}

expect() { # expect DESCRIPTION COMMAND...: fail the test unless it succeeds
	local what=$1
	shift
	"$@" || { echo "    expected: $what"; return 1; }
}

fails() { # fails COMMAND...: succeed when the command fails (for expect)
	! "$@"
}

contains() { # contains FILE TEXT
	grep -aqF -- "$2" "$1" || { echo "    '$1' lacks: $2"; tr -d '\000' < "$1" | sed 's/^/    | /' | head -20; return 1; }
}

t() { # t NAME FUNCTION
	# Run as a plain statement: inside an `if` (or `||`) bash ignores
	# set -e even in a subshell, and a failing step would go unnoticed.
	( set -e; "$2" ) > "$T/t.out" 2>&1
	if [ $? -eq 0 ]; then
		PASS=$((PASS + 1))
		echo "ok $1"
	else
		FAIL=$((FAIL + 1))
		echo "FAIL $1"
		tr -d '\000' < "$T/t.out" | tail -n 25 | sed 's/^/    /'
	fi
}

# killed_on_purpose PID: the test kills connection process PID itself
killed_on_purpose() { echo "$1" >> "$T/killed-on-purpose"; }

# The lines of serve.log that show a crash, but for the kills a test made.
crashes() {
	local purpose
	purpose=$(paste -sd'|' "$T/killed-on-purpose" 2> /dev/null)
	grep -E "killed by signal|runtime error|Sanitizer" "$T/serve.log" |
		grep -vE "connection process (${purpose:-none}) killed by signal 9\$"
}

finish() {
	if [ -n "${SERVER_STARTED:-}" ] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "FAIL server died"; FAIL=$((FAIL + 1))
		tail -20 "$T/serve.log"
	fi
	if crashes 2> /dev/null | grep -q .; then
		echo "FAIL a connection process crashed or hit a sanitizer:"
		FAIL=$((FAIL + 1))
		grep -E -A12 "killed by signal|runtime error|Sanitizer" "$T/serve.log" | head -40
	fi
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
