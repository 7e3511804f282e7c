# tests/bench/lib.sh - shared set-up of the benchmarks in tests/bench/,
# sourced (not run) by each of them after `set -euo pipefail`:
#
#     BENCH_NAME=foo.sh                       # optional, default basename $0
#     . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sourcing it checks that BERTH (default build/berth of this repository) is
# executable and that we run as root, then gives:
#   T               a fresh temporary directory, removed at exit unless
#                   BENCH_KEEP is set (then its path is printed)
#   SERVER_PIDS     an array: every pid in it is stopped at exit (servers
#                   started by start_berth / start_sshd are added to it);
#                   a script may also define bench_cleanup_hook, called at
#                   exit before the servers are stopped
#   die MSG         print "NAME: MSG" on stderr and exit 1
#   stop_pid PID    TERM, wait up to 5 s, then KILL
#   PY              the real python3 interpreter (not a version-manager shim)
#   free_port       print a free TCP port of 127.0.0.1
#   wait_port PORT PID LOG   wait until 127.0.0.1:PORT accepts connections
#   median X...     the median, "%.3f"
#   REPO_ROOT       the root of this repository
#   the git identity and a caller-independent git configuration (exported),
#   the client key $T/client_key(.pub) and SSH_BASE, the ssh command line
#   that uses it (append -p PORT)
#   start_berth [INI LINE...]   `berth init` + `berth serve`, see below
#   stop_proxy DATA             stop the managed proxy of a berth data dir
#                               (done at exit for every start_berth)
#   stop_apps DATA              stop the app processes (supervisors) of a
#                               berth data dir (they outlive berth too)
#   start_sshd                  a private OpenSSH sshd for the reference
# (variables set here are used by the scripts that source this file)
# shellcheck shell=bash disable=SC2034

BENCH_NAME=${BENCH_NAME:-$(basename "$0")}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH=${BERTH:-$REPO_ROOT/build/berth}
if [ ! -x "$BERTH" ]; then
	echo "$BENCH_NAME: berth binary not found at $BERTH (run make)" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "$BENCH_NAME: must run as root (sshd and the reference push)" >&2
	exit 1
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-${BENCH_NAME%.sh}.XXXXXX")
chmod 711 "$T"   # apps run as nobody and must reach their release
SERVER_PIDS=()
BERTH_DATAS=()

stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# stop_proxy DATA: stop the proxy (Caddy or nginx) that a berth with data
# dir DATA started and manages: berth leaves it running on purpose when it
# stops.  By its pid file; TERM, up to 5 s, then KILL (it is not our child).
stop_proxy() {
	local pidfile pid i
	for pidfile in "$1/router/caddy/home/caddy.pid" "$1/router/nginx/nginx.pid"; do
		[ -f "$pidfile" ] || continue
		pid=$(cat "$pidfile" 2>/dev/null || true)
		case $pid in '' | *[!0-9]*) continue ;; esac
		kill -TERM "$pid" 2>/dev/null || continue
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# stop_apps DATA: stop every process supervisor (`berth shim DATA ID`) of
# the apps of the berth with data dir DATA, which stops its app: like the
# proxy, they outlive `berth serve` on purpose.  By the pid in each run dir
# (DATA/apps/APP/run/ID/shim.pid), checked against the supervisor's command
# line; TERM (the supervisor stops its app, KILL after a few seconds), up
# to 10 s, then KILL.
stop_apps() {
	local pidfile pid cmd i pids=()
	for pidfile in "$1"/apps/*/run/*/shim.pid; do
		[ -f "$pidfile" ] || continue
		pid=$(cat "$pidfile" 2>/dev/null || true)
		case $pid in '' | *[!0-9]*) continue ;; esac
		cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
		[[ $cmd == *" shim $1 "* ]] || continue
		kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
	done
	for pid in "${pids[@]}"; do
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
}

cleanup() {
	local rc=$? pid data
	set +e
	if declare -F bench_cleanup_hook >/dev/null; then
		bench_cleanup_hook
	fi
	for pid in "${SERVER_PIDS[@]}"; do
		stop_pid "$pid"
	done
	for data in "${BERTH_DATAS[@]}"; do # after berth: it may (re)start them
		stop_proxy "$data"
	done
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "$BENCH_NAME: keeping $T (BENCH_KEEP set)" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
	echo "$BENCH_NAME: $*" >&2
	exit 1
}

# The real interpreter, not a version-manager shim: a benchmark may start it
# once per push and must not add shell-script start-up time.
PY=$(python3 -c 'import sys; print(sys.executable)')

free_port() {
	"$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# wait_port PORT PID LOG: wait until 127.0.0.1:PORT accepts connections.
wait_port() {
	local port=$1 pid=$2 log=$3 i
	for i in $(seq 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$log" >&2
			die "server (pid $pid) exited before listening on $port"
		fi
		if "$PY" -c 'import socket,sys;socket.create_connection(("127.0.0.1",int(sys.argv[1])),0.5).close()' "$port" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	cat "$log" >&2
	die "nothing listening on 127.0.0.1:$port after 10 s"
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) printf "%.3f", v[(NR + 1) / 2];
		else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Client-side git must not depend on the caller's configuration.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="berth bench" GIT_AUTHOR_EMAIL="bench@berth.invalid"
export GIT_COMMITTER_NAME="berth bench" GIT_COMMITTER_EMAIL="bench@berth.invalid"

# The client key, shared by both servers.
ssh-keygen -q -t ed25519 -N '' -C bench-client -f "$T/client_key"
SSH_BASE="ssh -F /dev/null -i $T/client_key -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes"

# start_sshd: a private sshd on 127.0.0.1, in $T/sshd, that lets the client
# key log in as root (the reference: git-receive-pack run by OpenSSH).
# Sets SSHD_PORT and SSHD_PID.  Installs openssh-server if missing.
start_sshd() {
	if [ ! -x /usr/sbin/sshd ]; then
		echo "installing openssh-server"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null; } ||
			die "cannot install openssh-server"
	fi
	mkdir -p /run/sshd
	mkdir -p "$T/sshd"
	# SetEnv SHLVL=1: sshd runs the command through root's login shell, and
	# bash run by sshd sources ~/.bashrc unless it believes it is nested
	# (SHLVL > 1).  A heavy .bashrc (version managers...) would add its
	# start-up time to every reference push; the benchmarks are about
	# git-receive-pack, not dotfiles.
	ssh-keygen -q -t ed25519 -N '' -f "$T/sshd/host_ed25519"
	cp "$T/client_key.pub" "$T/sshd/authorized_keys"
	SSHD_PORT=$(free_port)
	cat >"$T/sshd/sshd_config" <<EOF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $T/sshd/host_ed25519
PidFile $T/sshd/sshd.pid
AuthorizedKeysFile $T/sshd/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
X11Forwarding no
PrintMotd no
PrintLastLog no
SetEnv SHLVL=1
LogLevel ERROR
EOF
	/usr/sbin/sshd -t -f "$T/sshd/sshd_config" || die "sshd rejects its config"
	/usr/sbin/sshd -D -e -f "$T/sshd/sshd_config" 2>"$T/sshd/log" &
	SSHD_PID=$!
	SERVER_PIDS+=("$SSHD_PID")
	wait_port "$SSHD_PORT" "$SSHD_PID" "$T/sshd/log"
}

# start_berth [INI LINE...]: `berth init` (the client key is the admin key)
# and `berth serve` in $T/berth, with a berth.ini of
#     [server]
#     listen = 127.0.0.1:<free port>
#     data_dir = $T/berth/data
# followed by the arguments, one line each (an argument may also hold several
# lines separated by newlines), e.g.
#     start_berth '[build]' "buildpacks_dir = $REPO_ROOT/buildpacks"
# Lines before any [section] header of their own belong to [server].
# Sets BERTH_PORT, BERTH_PID, BERTH_INI and BERTH_DATA.  A script that needs
# several instances sets BERTH_DIR (default $T/berth) to a directory of its
# own for each: ini, data dir and logs (init.log, serve.log) go there.
start_berth() {
	local line dir=${BERTH_DIR:-$T/berth}
	BERTH_PORT=$(free_port)
	BERTH_INI=$dir/berth.ini
	BERTH_DATA=$dir/data
	BERTH_DATAS+=("$BERTH_DATA")
	mkdir -p "$dir"
	# unless the bench names them: a block of app uids and an HTTP port of
	# its own, so that two benches (or a bench and the suite) side by side
	# neither share uids nor fight for 127.0.0.1:8080
	local own_uids=1 own_http=1
	for line in "$@"; do
		case $line in
		app_uid_base*) own_uids=0 ;;
		http_listen*) own_http=0 ;;
		esac
	done
	{
		printf '[server]\nlisten = 127.0.0.1:%s\ndata_dir = %s\n' "$BERTH_PORT" "$BERTH_DATA"
		[ "$own_uids" = 0 ] ||
			printf 'app_uid_base = %s\n' "$(( 1000000000 + (RANDOM * 32768 + RANDOM) % 1000000 * 1000 ))"
		for line in "$@"; do
			printf '%s\n' "$line"
		done
		[ "$own_http" = 0 ] || printf '[router]\nhttp_listen = 127.0.0.1:%s\n' "$(free_port)"
	} >"$BERTH_INI"
	"$BERTH" -c "$BERTH_INI" init --admin-key "$T/client_key.pub" >"$dir/init.log" 2>&1 ||
		{ cat "$dir/init.log" >&2; die "berth init failed"; }
	"$BERTH" -c "$BERTH_INI" serve 2>"$dir/serve.log" &
	BERTH_PID=$!
	SERVER_PIDS+=("$BERTH_PID")
	wait_port "$BERTH_PORT" "$BERTH_PID" "$dir/serve.log"
}
