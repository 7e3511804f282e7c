#!/usr/bin/env bash
# tests/bench/recovery.sh - how long a site stays down when what serves it
# dies, with berth serve repairing it by itself (run/reconcile.h).
#
# What it measures: for each router kind (caddy, then nginx), one berth
# that manages the real proxy, with one app (a small Python HTTP server,
# web=1) deployed by a push.  Then, BENCH_RUNS times each, in turn:
#   proxy    kill -9 of the proxy (Caddy; nginx's master and its workers)
#   shim     kill -9 of the app's supervisor (berth shim) and of the app's
#            process group
#   both     the two at once
#   reboot   kill -9 of everything berth runs (berth serve, the proxy, the
#            supervisors, the app), then `berth serve` started again; timed
#            from that start
# and the figure is the time from the kill (for reboot: from the start of
# berth serve) until GET / through the proxy answers 200 with the app's
# text again, polled every 20 ms with a 1 s timeout per request.  Then the
# app is scaled to web=2 and one instance's supervisor and app are killed
# under a stream of sequential requests: the number of failed requests.
# It prints every timing and the lines
#     bench recovery caddy: proxy=<s> shim=<s> both=<s> reboot=<s> (median; max <s>) one-of-two failed=<n>/<requests>
#     bench recovery nginx: ...
# and whether every median is under the goal of 2 s.  A site that does not
# answer within 30 s fails the benchmark (exit 1); a slow recovery does
# not: it is the result, reported ("ABOVE THE 2 s GOAL").
# Takes about two minutes.
#
# How to run:  make bench      (runs tests/bench/run with BERTH set)
#          or  BERTH=/abs/path/build/berth tests/bench/recovery.sh
# Knobs (environment): BENCH_RUNS (default 5), BENCH_ROUTERS (default
# "caddy nginx"), BENCH_KEEP=1 keeps the temporary directory (serve logs,
# proxy logs, app logs) afterwards.
# Needs root, git, python3, ssh, caddy and nginx in PATH.
set -euo pipefail
export LC_ALL=C

RUNS=${BENCH_RUNS:-5}
ROUTERS=${BENCH_ROUTERS:-caddy nginx}
GOAL=2

# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# berth re-executes its own binary for every supervisor: a private copy,
# so a rebuild of build/berth while this runs cannot break it
cp "$BERTH" "$T/berth"
cp "$(dirname "$BERTH")/berth-shim" "$T/berth-shim" # started beside berth
cp "$(dirname "$BERTH")/berth-serve" "$T/berth-serve"
BERTH=$T/berth
for p in $ROUTERS; do
	command -v "$p" >/dev/null || die "$p not found in PATH"
done

bench_cleanup_hook() {
	local data
	for data in "${BERTH_DATAS[@]}"; do # the apps outlive berth
		stop_apps "$data"
	done
	return 0
}

# ------------------------------------------------------------ helpers ---

# proxy_pids DATA ROUTER: the proxy's processes (nginx: master and workers)
proxy_pids() {
	local pid
	if [ "$2" = nginx ]; then pid=$(cat "$1/router/nginx/nginx.pid" 2>/dev/null || true)
	else pid=$(cat "$1/router/caddy/home/caddy.pid" 2>/dev/null || true); fi
	[ -n "$pid" ] || return 0
	echo "$pid" $(pgrep -P "$pid" || true)
}

# shim_and_group DATA: the routed web.1's supervisor pid and "-PGID" of
# its app, from the process row and the run dir
shim_and_group() {
	local id shim app
	id=$(sqlite3 -cmd ".timeout 5000" "$1/berth.db" "select id from processes where type = 'web' and state = 'running' order by idx limit 1")
	shim=$(sqlite3 -cmd ".timeout 5000" "$1/berth.db" "select shim_pid from processes where id = $id")
	app=$(cat "$1"/apps/app/run/"$id"/pid)
	echo "$shim -$app"
}

# until_answer PORT START: seconds from START (epoch, float) until GET /
# with Host app.localhost answers 200 "hello"; "timeout" after 30 s
until_answer() {
	"$PY" - "$1" "$2" <<'PY'
import http.client, sys, time
port, start = int(sys.argv[1]), float(sys.argv[2])
while time.time() < start + 30:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/", headers={"Host": "app.localhost"})
        r = c.getresponse()
        if r.status == 200 and b"hello" in r.read():
            print("%.3f" % (time.time() - start))
            sys.exit(0)
        c.close()
    except Exception:
        pass
    time.sleep(0.02)
print("timeout")
PY
}

# stream PORT SECONDS: sequential requests for SECONDS; "failed requests"
stream() {
	"$PY" - "$1" "$2" <<'PY'
import http.client, sys, time
port, end = int(sys.argv[1]), time.time() + float(sys.argv[2])
ok = failed = 0
while time.time() < end:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/", headers={"Host": "app.localhost"})
        r = c.getresponse()
        if r.status == 200 and b"hello" in r.read():
            ok += 1
        else:
            failed += 1
        c.close()
    except Exception:
        failed += 1
print(failed, ok + failed)
PY
}

settle() { # settle PORT: the site answers, and a repair pass has gone by
	[ "$(until_answer "$1" "$(date +%s.%N)")" != timeout ] || die "the site does not answer"
	sleep 0.6
}

# ---------------------------------------------------------------- run ---

declare -A RESULT
for router in $ROUTERS; do
	echo "--- $router"
	BERTH_DIR=$T/$router
	HTTP_PORT=$(free_port)
	base=$((1500000000 + (RANDOM * 32768 + RANDOM) % 100000 * 1000))
	start_berth "app_uid_base = $base" '[router]' "kind = $router" \
		"http_listen = 127.0.0.1:$HTTP_PORT" 'https = off' \
		'[build]' "buildpacks_dir = $REPO_ROOT/buildpacks" \
		'[health]' 'timeout = 10' 'grace = 1'
	data=$BERTH_DATA
	app=$T/$router/app
	git init -q "$app"
	cat >"$app/server.py" <<'PY'
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	printf 'web: python3 server.py\n' >"$app/Procfile"
	git -C "$app" add . && git -C "$app" commit -qm app
	GIT_SSH_COMMAND="$SSH_BASE -p $BERTH_PORT" git -C "$app" push -q \
		"ssh://deploy@127.0.0.1:$BERTH_PORT/app" HEAD:main 2>"$T/$router/push.log" ||
		{ cat "$T/$router/push.log" >&2; die "push failed"; }
	settle "$HTTP_PORT"
	for kind in proxy shim both reboot; do
		times=()
		for i in $(seq "$RUNS"); do
			case $kind in
			proxy) pids=$(proxy_pids "$data" "$router") ;;
			shim) pids=$(shim_and_group "$data") ;;
			both) pids="$(proxy_pids "$data" "$router") $(shim_and_group "$data")" ;;
			reboot)
				pids="$BERTH_PID $(proxy_pids "$data" "$router") $(shim_and_group "$data")"
				pids="$pids $(pgrep -f " shim $data " | tr '\n' ' ')"
				;;
			esac
			start=$(date +%s.%N)
			# shellcheck disable=SC2086
			kill -9 -- $pids 2>/dev/null || true
			if [ "$kind" = reboot ]; then
				wait "$BERTH_PID" 2>/dev/null || true
				start=$(date +%s.%N)
				"$BERTH" -c "$BERTH_INI" serve 2>>"$BERTH_DIR/serve.log" &
				BERTH_PID=$!
				SERVER_PIDS+=("$BERTH_PID")
			fi
			took=$(until_answer "$HTTP_PORT" "$start")
			[ "$took" != timeout ] || die "$router, $kind: no answer within 30 s"
			echo "$router $kind run $i: answered again after $took s"
			times+=("$took")
			settle "$HTTP_PORT"
		done
		RESULT[$router.$kind]=$(median "${times[@]}")
		RESULT[$router.$kind.max]=$(printf '%s\n' "${times[@]}" | sort -g | tail -n 1)
	done
	# shellcheck disable=SC2086
	$SSH_BASE -p "$BERTH_PORT" deploy@127.0.0.1 ps:scale app web=2 >/dev/null
	sleep 1.5 # the two instances routed, nothing draining
	stream "$HTTP_PORT" 4 >"$T/$router/stream" &
	sp=$!
	sleep 1
	# shellcheck disable=SC2046
	kill -9 -- $(shim_and_group "$data") 2>/dev/null || true
	wait "$sp"
	read -r failed total <"$T/$router/stream"
	RESULT[$router.failed]="$failed/$total"
	stop_pid "$BERTH_PID"
	stop_apps "$data"
	stop_proxy "$data"
done

echo
status=ok
for router in $ROUTERS; do
	max=0
	for kind in proxy shim both reboot; do
		max=$(printf '%s\n%s\n' "$max" "${RESULT[$router.$kind.max]}" | sort -g | tail -n 1)
		awk -v m="${RESULT[$router.$kind]}" -v g="$GOAL" 'BEGIN { exit !(m < g) }' || status="ABOVE THE $GOAL s GOAL"
	done
	echo "bench recovery $router: proxy=${RESULT[$router.proxy]} shim=${RESULT[$router.shim]} both=${RESULT[$router.both]} reboot=${RESULT[$router.reboot]} (median of $RUNS; max $max) one-of-two failed=${RESULT[$router.failed]}"
done
echo "bench recovery: goal: every median under $GOAL s: $status"
