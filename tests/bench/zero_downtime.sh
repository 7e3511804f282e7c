#!/usr/bin/env bash
# tests/bench/zero_downtime.sh - failed requests while an app is redeployed
# back to back, through the proxy berth manages (the goal of berth: none).
#
# What it measures: for each router kind (caddy, then nginx), one berth
# instance with its own data dir and ports that starts and manages the real
# proxy (`[router] manage = yes`, HTTP on a loopback port, https = off) and
# one app, "web": a Procfile `web: python3 server.py` whose server.py is a
# python stdlib ThreadingHTTPServer on 127.0.0.1:$PORT answering every GET
# with 200 and "revision N".  After a first push (which creates the app, not
# under load), wrk sends HTTP requests to the proxy with "Host:
# web.localhost" (2 threads, 16 keep-alive connections, each sending its
# next request as soon as the previous answer is in) while BENCH_PUSHES (50)
# commits, each changing the revision, are pushed one after the other; each
# push deploys: build, start the new web process on a fresh port behind
# its supervisor's relay, health check, the relay joins the app's stable
# upstream port (which the proxy's config names: no proxy reload), and the
# old relay leaves it, hands its keep-alive connections to the new one at
# request boundaries, drains and stops the old process (run/relay.h).
# Before the pushes, the same load runs BENCH_IDLE (10) s with no deploy:
# its p99 latency is the reference for the p99 during the redeploys.  wrk runs from 1 s before the first push until 1 s after the last
# old process is gone (its run dir removed), so the load covers every push,
# every switch and every retirement; then it is stopped with SIGINT.
#
# A failed request is a socket error seen by wrk (connect, read, write,
# timeout: no answer within 2 s) or an answer that is not 2xx/3xx.  A small
# Lua script (wrk -s) numbers every request (header X-Bench-Seq, echoed by
# the app), so that besides wrk's summary it knows the requests sent, the
# answers per status and per revision, and which requests never got an
# answer: "lost" (sent more than a second before the stop) or in flight
# when wrk stopped.  wrk 4.1 counts a connection the server closes between
# two requests as a read error although no request is lost; read/write
# errors - lost is that number.
#
# To tell where failures come from it also prints:
#   - the grace each old process really got: from the end of the push that
#     replaced it to the moment berth had stopped it (its run dir gone),
#     against [health] grace;
#   - for each lost request and each answer not 2xx/3xx, its time from the
#     nearest proxy switch (Caddy: "server running" in its log; nginx: a new
#     worker process) and from the nearest stop of an old process;
#   - the proxy's error log lines (by kind) if any request failed;
#   - a control (BENCH_CONTROL=1, the default): the same load during 20
#     routing changes that deploy nothing (domains:add / domains:remove of
#     the app, each of which makes berth re-render and reload the proxy):
#     the failures that the proxy's reload alone causes.
# Last, the lines
#     bench zero-downtime caddy: requests=N failed=M lost=L p99=Xms
#       (no deploys: Yms, ratio X/Y)
#     bench zero-downtime nginx: ...
# (N = requests sent during the redeploys), after those of the controls.
# Every push must exit 0 and report release vN with N counting up, and at
# the end the proxy must serve the last revision: anything else fails the
# benchmark (exit 1).  Failed requests do not: they are the result,
# reported loudly ("FAILED REQUESTS").  Takes about a minute.
#
# How to run:  make bench      (runs tests/bench/run with BERTH set)
#          or  BERTH=/abs/path/build/berth tests/bench/zero_downtime.sh
# Knobs (environment): BENCH_PUSHES (default 50), BENCH_IDLE (s of load
# with no deploy, default 10), BENCH_ROUTERS (default
# "caddy nginx"), BENCH_CONNECTIONS (wrk's -c, default 16), BENCH_GRACE
# (sets [health] grace; default: berth's own default, 5 s), BENCH_CONTROL
# (1 or 0, default 1), BENCH_KEEP=1 keeps the temporary directory (serve
# logs, proxy logs, app logs, wrk's output, the timeline of the pushes,
# the watcher's log of processes) afterwards.
# Needs root, git, python3, ssh, curl, caddy and nginx in PATH, and wrk
# (installed with apt-get if missing).
set -euo pipefail
export LC_ALL=C # "." in $EPOCHREALTIME and in awk's numbers

PUSHES=${BENCH_PUSHES:-50}
IDLE=${BENCH_IDLE:-10}
ROUTERS=${BENCH_ROUTERS:-caddy nginx}
CONNS=${BENCH_CONNECTIONS:-16}
GRACE=${BENCH_GRACE:-}
CONTROL=${BENCH_CONTROL:-1}
WRK_THREADS=2
WRK_TIMEOUT=2 # s: an answer later than this is a failure (wrk's timeout)
APP=web

# temp dir, cleanup, servers, client key...: shared with the other benchmarks
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# berth re-executes its own binary (/proc/self/exe) for every process
# supervisor and every retirement: run a private copy, so that a rebuild of
# build/berth while this runs (make in the same tree) cannot break a deploy
cp "$BERTH" "$T/berth"
cp "$(dirname "$BERTH")/berth-shim" "$T/berth-shim" # started beside berth
cp "$(dirname "$BERTH")/berth-serve" "$T/berth-serve"
BERTH=$T/berth

BUILDPACKS=$REPO_ROOT/buildpacks
[ -x "$BUILDPACKS/procfile/bin/compile" ] || die "no buildpack $BUILDPACKS/procfile"
for p in $ROUTERS; do
	command -v "$p" >/dev/null || die "$p not found in PATH"
done
command -v curl >/dev/null || die "curl not found in PATH"
if ! command -v wrk >/dev/null; then
	echo "installing wrk"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } ||
		die "cannot install wrk"
fi
[ "$CONNS" -ge "$WRK_THREADS" ] || die "BENCH_CONNECTIONS must be at least $WRK_THREADS"

# wrk and the watcher of the app's processes, stopped at exit if a failure
# left them running; the app's processes too
WRK_PID='' WATCH_PID=''
bench_cleanup_hook() {
	local data
	if [ -n "$WRK_PID" ]; then
		kill -INT "$WRK_PID" 2>/dev/null
		sleep 0.5
		kill -KILL "$WRK_PID" 2>/dev/null
		wait "$WRK_PID" 2>/dev/null
	fi
	[ -z "$WATCH_PID" ] || stop_pid "$WATCH_PID"
	for data in "${BERTH_DATAS[@]}"; do # the apps outlive berth
		stop_apps "$data"
	done
	return 0
}

# ------------------------------------------------------------- wrk ---

# Each request carries a sequence number (per wrk thread) in X-Bench-Seq,
# which the app echoes; so a request that was sent and never answered is
# known by its number.  done() sums the threads and prints the lines "zd-*"
# that wrk's summary does not have:
#   sent, answers, answers per status and per revision;
#   lost: requests sent more than ~1 s (of this thread's requests) before
#         wrk stopped that got no answer at all (answers without the header,
#         made by the proxy itself, such as a 502, are taken off);
#   inflight: unanswered requests of the last second, cut by the stop;
# and the times (epoch s) at which each lost request was sent ("zd-lost")
# and each answer not 2xx/3xx came ("zd-bad"), to set against the pushes.
cat >"$T/count.lua" <<'EOF'
-- zero_downtime.sh: count requests, answers, statuses, lost requests
local ffi = require("ffi")
ffi.cdef[[
struct zd_timeval { long tv_sec; long tv_usec; };
int gettimeofday(struct zd_timeval *tv, void *tz);
]]
local tv = ffi.new("struct zd_timeval")
local function now()
	ffi.C.gettimeofday(tv, nil)
	return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	sent = 0
	answers = 0
	untagged = {}
	statuses = {}
	revisions = {}
	pending = {}
	bad_at = {}
end

function request()
	sent = sent + 1
	pending[sent] = now()
	wrk.headers["X-Bench-Seq"] = tostring(sent)
	return wrk.format()
end

function response(status, headers, body)
	answers = answers + 1
	statuses[status] = (statuses[status] or 0) + 1
	if (status < 200 or status > 399) and #bad_at < 100000 then
		table.insert(bad_at, now())
	end
	local seq = tonumber(headers["X-Bench-Seq"] or "")
	if seq then
		pending[seq] = nil
	else
		table.insert(untagged, now())
	end
	local rev = tonumber(string.match(body or "", "^revision (%d+)") or "")
	if rev then
		revisions[rev] = (revisions[rev] or 0) + 1
	end
end

local function sorted_keys(t)
	local keys = {}
	for k in pairs(t) do
		table.insert(keys, k)
	end
	table.sort(keys)
	return keys
end

function done(summary, latency, requests)
	local tsent, tanswers, lost, inflight = 0, 0, 0, 0
	local by_status, by_rev, lost_at, bad_at_all = {}, {}, {}, {}
	local seconds = summary.duration / 1e6
	for _, t in ipairs(threads) do
		local s, pending = t:get("sent"), t:get("pending")
		-- wrk calls request() once in its first thread to check the
		-- request before any is sent: that first number never goes out
		if pending[1] then
			pending[1] = nil
			s = s - 1
		end
		local cut = s - math.ceil(s / seconds) -- a second's worth of requests
		-- unanswered requests older than that, and the answers without a
		-- number (made by the proxy, e.g. a 502): each of those answered
		-- one request, taken as the last one sent before it
		local ev, stack = {}, {}
		tsent = tsent + s
		tanswers = tanswers + t:get("answers")
		for seq, at in pairs(pending) do
			if seq <= cut then
				table.insert(ev, { at, 0 })
			else
				inflight = inflight + 1
			end
		end
		for _, at in ipairs(t:get("untagged")) do
			table.insert(ev, { at, 1 })
		end
		table.sort(ev, function(a, b)
			if a[1] ~= b[1] then return a[1] < b[1] end
			return a[2] < b[2]
		end)
		for _, e in ipairs(ev) do
			if e[2] == 0 then
				table.insert(stack, e[1])
			elseif #stack > 0 then
				table.remove(stack)
			end
		end
		lost = lost + #stack
		for _, at in ipairs(stack) do
			table.insert(lost_at, at)
		end
		for code, n in pairs(t:get("statuses")) do
			by_status[code] = (by_status[code] or 0) + n
		end
		for rev, n in pairs(t:get("revisions")) do
			by_rev[rev] = (by_rev[rev] or 0) + n
		end
		for _, at in ipairs(t:get("bad_at")) do
			table.insert(bad_at_all, at)
		end
	end
	local bad, list = 0, ""
	for _, code in ipairs(sorted_keys(by_status)) do
		list = list .. string.format(" %d:%d", code, by_status[code])
		if code < 200 or code > 399 then
			bad = bad + by_status[code]
		end
	end
	local revs = sorted_keys(by_rev)
	local e = summary.errors
	io.write(string.format("zd-counts sent=%d answers=%d connect=%d read=%d" ..
		" write=%d timeout=%d status=%d bad_status=%d lost=%d inflight=%d\n",
		tsent, tanswers, e.connect, e.read, e.write, e.timeout, e.status, bad,
		lost, inflight))
	io.write("zd-statuses" .. list .. "\n")
	io.write(string.format("zd-revisions n=%d first=%s last=%s\n", #revs,
		tostring(revs[1]), tostring(revs[#revs])))
	table.sort(lost_at)
	table.sort(bad_at_all)
	io.write("zd-lost")
	for _, at in ipairs(lost_at) do
		io.write(string.format(" %.3f", at))
	end
	io.write("\nzd-bad")
	for _, at in ipairs(bad_at_all) do
		io.write(string.format(" %.3f", at))
	end
	io.write("\n")
	io.write(string.format("zd-latency p50=%.1fms p99=%.1fms max=%.1fms\n",
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		latency.max / 1000))
end
EOF

# ---------------------------------------------------------------- app ---

# make_app DIR: the app's work tree, revision 0 committed
make_app() {
	local dir=$1
	git init -q -b main "$dir"
	echo 'web: python3 server.py' >"$dir/Procfile"
	cat >"$dir/server.py" <<'EOF'
"""A small web server: answers every GET with 200 and its revision."""
import http.server
import os
import socketserver

REVISION = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"revision {REVISION}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        seq = self.headers.get("X-Bench-Seq")
        if seq is not None:  # the benchmark's request number, echoed
            self.send_header("X-Bench-Seq", seq)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # one line per request would only fill the app's log


class Server(http.server.ThreadingHTTPServer):
    # the default listen backlog (5) overflows under 16 concurrent
    # connections: SYNs dropped, 1 s retransmits; not what this measures
    request_queue_size = 128


if __name__ == "__main__":
    socketserver.TCPServer.allow_reuse_address = True
    port = int(os.environ["PORT"])
    Server(("127.0.0.1", port), Handler).serve_forever()
EOF
	commit_rev "$dir" 0
}

# commit_rev DIR REV: make server.py answer "revision REV" and commit it
commit_rev() {
	local dir=$1 rev=$2
	sed -i "s/^REVISION = [0-9]*$/REVISION = $rev/" "$dir/server.py"
	git -C "$dir" add -A
	git -C "$dir" commit -q -m "revision $rev"
}

# ------------------------------------------------------------- helpers ---

now() { echo "$EPOCHREALTIME"; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# push VERSION: push the app's main to berth; it must exit 0 and release
# vVERSION.  Sets PUSH_S (wall, s); appends "push V START END PORT" to the
# timeline (epoch s).
push() {
	local version=$1 t0 t1 line port
	t0=$(now)
	if ! GIT_SSH_COMMAND="$SSH_BASE -p $BERTH_PORT" timeout 120 \
		git -C "$WORK" push "deploy@127.0.0.1:$APP" main >"$BERTH_DIR/push.log" 2>&1; then
		cat "$BERTH_DIR/push.log" >&2
		die "$ROUTER: push of v$version failed"
	fi
	t1=$(now)
	line=$(tr -d '\r' <"$BERTH_DIR/push.log" | sed -n 's/[[:space:]]*$//; s/^remote: -----> Released \(v[0-9]*\) of .*$/\1/p')
	[ "$line" = "v$version" ] ||
		{ cat "$BERTH_DIR/push.log" >&2; die "$ROUTER: push released '$line', expected v$version"; }
	PUSH_S=$(sub "$t1" "$t0")
	port=$(sed -n '/web\.1 healthy on port/{s/.*web\.1 healthy on port \([0-9]*\).*/\1/p;q}' "$BERTH_DIR/push.log")
	echo "push $version $t0 $t1 ${port:-?}" >>"$BERTH_DIR/timeline"
}

# http_get: GET / through the proxy as web.localhost; body in $T/http.out,
# prints the status
http_get() {
	curl -sS -m 10 -o "$T/http.out" -w '%{http_code}' -H "Host: $APP.localhost" \
		"http://127.0.0.1:$HTTP_PORT/" 2>"$T/http.err" || echo "curl-failed($(cat "$T/http.err"))"
}

# expect_revision REV: the proxy serves revision REV (retried for 5 s)
expect_revision() {
	local code i
	for i in $(seq 50); do
		code=$(http_get)
		if [ "$code" = 200 ] && grep -qx "revision $1" "$T/http.out"; then
			return 0
		fi
		sleep 0.1
	done
	die "$ROUTER: the proxy answered $code '$(head -c 200 "$T/http.out" 2>/dev/null)', expected 200 'revision $1'"
}

# procs: how many process instances of the app berth still has (run dirs)
procs() {
	local n=0 d
	for d in "$BERTH_DATA/apps/$APP/run"/*; do
		[ -d "$d" ] && n=$((n + 1))
	done
	echo "$n"
}

# watch_procs: every 50 ms, log "EPOCH up ID" / "EPOCH gone ID" when a run
# dir of the app (one per process instance berth runs) appears or goes (a
# process is gone once berth has stopped it: proc_stop removes its run dir),
# and "EPOCH worker PID" when the managed nginx has a new worker (a reload)
watch_procs() {
	local d id pid master='' pids=() first=1
	local -A seen=() cur=() workers=()
	while :; do
		cur=()
		for d in "$BERTH_DATA/apps/$APP/run"/*; do
			[ -d "$d" ] && cur[${d##*/}]=1
		done
		if [ "$ROUTER" = nginx ]; then
			[ -n "$master" ] || read -r master <"$BERTH_DATA/router/nginx/nginx.pid" || true
			pids=()
			if [ -n "$master" ]; then
				# no newline at the end of that file: read "fails"
				read -r -a pids <"/proc/$master/task/$master/children" || true
				for pid in "${pids[@]}"; do
					[ -n "${workers[$pid]:-}" ] || [ "$first" = 1 ] || echo "$EPOCHREALTIME worker $pid"
					workers[$pid]=1
				done
			fi
		fi
		for id in "${!cur[@]}"; do
			[ -n "${seen[$id]:-}" ] || echo "$EPOCHREALTIME up $id"
		done
		for id in "${!seen[@]}"; do
			[ -n "${cur[$id]:-}" ] || echo "$EPOCHREALTIME gone $id"
		done
		seen=()
		for id in "${!cur[@]}"; do
			seen[$id]=1
		done
		first=0
		sleep 0.05
	done
}

# grace_report: for each release replaced under load (v1..vPUSHES, one web
# process each, process ids increasing with the version), the time from the
# end of the push that replaced it to the moment berth had stopped it: its
# relay drains what it serves (up to [health] grace) and then stops it, so
# this is short.  Negative: stopped before that push even returned.
grace_report() {
	awk -v pushes="$PUSHES" -v grace="${GRACE:-5}" '
		FILENAME ~ /timeline$/ && $1 == "push" { end[$2] = $4 }
		FILENAME ~ /procs.log$/ && $2 == "up" && !($3 in up) { up[$3] = $1; ids[++n] = $3 + 0 }
		FILENAME ~ /procs.log$/ && $2 == "gone" { gone[$3] = $1 }
		END {
			# ids in increasing order = versions 1, 2, ...
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (ids[j] < ids[i]) { t = ids[i]; ids[i] = ids[j]; ids[j] = t }
			long = 0; max = ""; list = ""
			for (v = 1; v <= pushes && v <= n; v++) {
				id = ids[v]
				if (!(id in gone) || !((v + 1) in end)) continue
				g = gone[id] - end[v + 1]
				list = list sprintf(" v%d:%.2f", v, g)
				if (g > grace) long++
				if (max == "" || g > max) max = g
			}
			printf "  when the old processes were gone (s after the push replacing them returned; drained, at most [health] grace %s s):\n   %s\n", grace, list
			printf "  %d of %d old processes took longer than the grace (longest %.2f s)\n", long, pushes, max
		}' "$BERTH_DIR/timeline" "$BERTH_DIR/procs.log"
}

# start_load NAME: wrk against the app through the proxy, in the
# background, output in $BERTH_DIR/wrk-NAME.out
start_load() {
	LOAD_OUT=$BERTH_DIR/wrk-$1.out
	# -d: a safety net only, wrk is stopped with SIGINT
	wrk -t"$WRK_THREADS" -c"$CONNS" -d600s --timeout "${WRK_TIMEOUT}s" -s "$T/count.lua" \
		-H "Host: $APP.localhost" "http://127.0.0.1:$HTTP_PORT/" >"$LOAD_OUT" 2>&1 &
	WRK_PID=$!
	LOAD_T0=$(now)
	sleep 1 # load before the first change
	kill -0 "$WRK_PID" 2>/dev/null || { cat "$LOAD_OUT" >&2; die "$ROUTER: wrk exited at once"; }
}

# stop_load: SIGINT to wrk (it prints its summary), which must succeed
stop_load() {
	local rc=0
	kill -INT "$WRK_PID"
	wait "$WRK_PID" || rc=$?
	WRK_PID=''
	LOAD_S=$(sub "$(now)" "$LOAD_T0")
	if [ "$rc" != 0 ] || ! grep -q '^zd-counts ' "$LOAD_OUT"; then
		cat "$LOAD_OUT" >&2
		die "$ROUTER: wrk failed (exit $rc)"
	fi
}

# switches: the moments (epoch s) the proxy switched to a new config, one a
# line: Caddy's "server running" (its log; "load complete" comes for an
# unchanged config too), nginx's new workers (watcher)
switches() {
	case $ROUTER in
	caddy) sed -n 's/.*"ts":\([0-9.e+]*\),.*"msg":"server running".*/\1/p' \
		"$BERTH_DATA/router/caddy/caddy.log" | awk '{ printf "%.3f\n", $1 }' ;;
	nginx) awk '$2 == "worker" { print $1 }' "$BERTH_DIR/procs.log" ;;
	esac
}

# when LABEL KEY: for each time of wrk's line zd-KEY, the offset (s) to the
# nearest proxy switch and to the nearest stop of an old process (watcher)
when() {
	local times
	times=$(sed -n "s/^zd-$2 *//p" "$LOAD_OUT")
	[ -n "$times" ] || return 0
	switches >"$T/ev-switch"
	awk '$2 == "gone" { print $1 }' "$BERTH_DIR/procs.log" >"$T/ev-stop"
	awk -v times="$times" -v label="$1" -v stops="$WHEN_STOPS" '
		FILENAME ~ /switch$/ { sw[++ns] = $1 }
		FILENAME ~ /stop$/ { st[++nt] = $1 }
		function nearest(x, ev, n,   i, best, d) {
			best = ""
			for (i = 1; i <= n; i++) {
				d = x - ev[i]
				if (best == "" || (d < 0 ? -d : d) < (best < 0 ? -best : best)) best = d
			}
			return best
		}
		function show(d) { return d == "" ? " n/a" : sprintf(" %+.2f", d) }
		function near(d) { return d != "" && d > -0.15 && d < 0.15 }
		END {
			k = split(times, t, " ")
			a = ""; b = ""; na = 0; nb = 0
			for (i = 1; i <= k; i++) {
				da = nearest(t[i], sw, ns); db = nearest(t[i], st, nt)
				na += near(da); nb += near(db)
				if (i <= 40) { a = a show(da); b = b show(db) }
			}
			printf "  %s, s from the nearest proxy switch (%d of %d within 0.15 s):%s%s\n", label, na, k, a, (k > 40 ? " ..." : "")
			if (stops && nt > 0)
				printf "  %s, s from the nearest stop of an old process (%d of %d within 0.15 s):%s%s\n", label, nb, k, b, (k > 40 ? " ..." : "")
		}' "$T/ev-switch" "$T/ev-stop"
}

# p99: the p99 latency (ms) of the last load, from the zd-latency line
p99() { sed -n 's/^zd-latency .*p99=\([0-9.]*\)ms.*/\1/p' "$LOAD_OUT"; }

# kv KEY: the value of KEY=... in the zd-counts line of wrk's output
kv() { sed -n "s/^zd-counts.* $1=\([0-9]*\).*/\1/p" "$LOAD_OUT"; }

# report_load WHAT: wrk's summary and the breakdown of the requests; sets
# SENT and FAILED
report_load() {
	local what=$1 answers connect read write timeout status bad lost inflight
	echo "  wrk during $what ($WRK_THREADS threads, $CONNS keep-alive connections, timeout $WRK_TIMEOUT s, $LOAD_S s):"
	sed -n '/^zd-/d; /^Running/d; p' "$LOAD_OUT" | sed 's/^/    | /'
	SENT=$(kv sent) answers=$(kv answers) connect=$(kv connect) read=$(kv read)
	write=$(kv write) timeout=$(kv timeout) status=$(kv status) bad=$(kv bad_status)
	lost=$(kv lost) inflight=$(kv inflight)
	FAILED=$((connect + read + write + timeout + bad))
	echo "  requests sent: $SENT; answered: $answers (by status:$(sed -n 's/^zd-statuses//p' "$LOAD_OUT"); from $(sed -n 's/^zd-revisions n=\([0-9]*\) first=\([^ ]*\) last=\(.*\)/\1 revisions, \2 to \3/p' "$LOAD_OUT"))"
	echo "  requests failed: $FAILED = socket errors (connect $connect + read $read + write $write + timeout $timeout) + answers not 2xx/3xx $bad (wrk: $status)"
	echo "  of the requests sent, $lost never got an answer (lost with a read or write error) and $inflight were in flight when wrk stopped;"
	echo "  so $((read + write - lost)) of the read/write errors were connections the proxy closed between two requests (nothing lost)"
	echo "  latency: $(sed -n 's/^zd-latency //p' "$LOAD_OUT")"
	when "lost requests, sent at" lost
	when "answers not 2xx/3xx, received at" bad
	if [ "$FAILED" -gt 0 ]; then
		echo "  !!!!! FAILED REQUESTS ($ROUTER, $what): $FAILED of $SENT !!!!!"
		LOUD+=("$ROUTER ($what): $FAILED of $SENT requests failed: connect $connect, read $read, write $write, timeout $timeout, not 2xx/3xx $bad; lost (no answer) $lost")
		proxy_evidence
	fi
	if [ "$inflight" -gt "$CONNS" ]; then
		echo "  !! $inflight unanswered requests of the last second: more than $CONNS connections"
		LOUD+=("$ROUTER ($what): $inflight requests of the last second unanswered")
	fi
}

# proxy_evidence: what the proxy logged as errors (by kind, then the first
# lines), to put next to the timeline of the pushes
proxy_evidence() {
	local log
	case $ROUTER in
	nginx) log=$BERTH_DATA/router/nginx/error.log ;;
	caddy) log=$BERTH_DATA/router/caddy/caddy.log ;;
	esac
	[ -f "$log" ] || { echo "  (no proxy log at $log)"; return 0; }
	# nginx: "[error]" and worse; Caddy: level error (its warnings say that
	# automatic HTTPS is off); each phase reports the lines that are new
	grep -E '\[(error|crit|alert|emerg)\]|"level":"error"' "$log" >"$T/proxy-errors" || true
	sed -i "1,${PROXY_SEEN:-0}d" "$T/proxy-errors"
	PROXY_SEEN=$((${PROXY_SEEN:-0} + $(wc -l <"$T/proxy-errors")))
	echo "  proxy log ${log#"$T"/}: $(wc -l <"$T/proxy-errors") new error line(s)${BENCH_KEEP:+ (kept in $T)}"
	[ -s "$T/proxy-errors" ] || return 0
	echo "  by kind (numbers as N):"
	sed -E 's/^[0-9\/: ]+\[/[/; s/"ts":[0-9.e+]+,//; s/,"request":.*//; s/, client: .*, server: [^,]*, request: "[^"]*"//; s/[0-9]+/N/g' "$T/proxy-errors" |
		cut -c1-220 | sort | uniq -c | sort -rn | sed -n '1,8p' | sed 's/^/    /'
	sed -n '1,2p' "$T/proxy-errors" | cut -c1-400 | sed 's/^/    first: /'
}

# ---------------------------------------------------------------- runs ---

RESULTS=()
CONTROLS=()
LOUD=()

# bench_router KIND: one berth with KIND as its managed router; the pushes
# under load, then (BENCH_CONTROL) the routing changes under load
bench_router() {
	local i t_last t_gone times=() med grace_line=()
	ROUTER=$1
	BERTH_DIR=$T/$ROUTER
	HTTP_PORT=$(free_port)
	WORK=$BERTH_DIR/app
	PROXY_SEEN=0
	[ -z "$GRACE" ] || grace_line=('[health]' "grace = $GRACE")
	mkdir -p "$BERTH_DIR"
	start_berth '[build]' "buildpacks_dir = $BUILDPACKS" \
		'[router]' "kind = $ROUTER" 'manage = yes' \
		"http_listen = 127.0.0.1:$HTTP_PORT" 'https = off' "${grace_line[@]}"
	echo "$ROUTER: berth on port $BERTH_PORT, $ROUTER on 127.0.0.1:$HTTP_PORT, [health] grace ${GRACE:-5 (default)} s"
	make_app "$WORK"
	push 1
	expect_revision 0
	echo "  first push (creates $APP, no load): v1 in $PUSH_S s, serves revision 0"

	start_load idle
	sleep "$IDLE"
	stop_load
	IDLE_P99=$(p99)
	echo "  the same load for $IDLE s with no deploy: $(kv sent) requests, latency $(sed -n 's/^zd-latency //p' "$LOAD_OUT")"

	watch_procs >"$BERTH_DIR/procs.log" &
	WATCH_PID=$!
	start_load redeploys
	for i in $(seq "$PUSHES"); do
		commit_rev "$WORK" "$i"
		push $((i + 1))
		times+=("$PUSH_S")
	done
	# the last old process goes [health] grace s after the last push
	t_last=$(now)
	for _ in $(seq 600); do
		[ "$(procs)" -gt 1 ] || break
		sleep 0.1
	done
	[ "$(procs)" -le 1 ] || die "$ROUTER: old processes still there 60 s after the last push"
	t_gone=$(now)
	sleep 1 # load after the last change
	stop_load
	expect_revision "$PUSHES"

	med=$(median "${times[@]}")
	echo "  $PUSHES pushes under load (v2..v$((PUSHES + 1))): all exit 0; wall time median $med s, min $(printf '%s\n' "${times[@]}" | sort -g | sed -n 1p) s, max $(printf '%s\n' "${times[@]}" | sort -g | sed -n '$p') s"
	echo "  the last old process was gone $(sub "$t_gone" "$t_last") s after the last push returned; the proxy serves revision $PUSHES"
	grace_report
	WHEN_STOPS=1
	report_load "$PUSHES redeploys"
	RESULTS+=("bench zero-downtime $ROUTER: requests=$SENT failed=$FAILED lost=$(kv lost) p99=$(p99)ms (no deploys: ${IDLE_P99}ms, ratio $(awk -v a="$(p99)" -v b="$IDLE_P99" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'))")

	if [ "$CONTROL" = 1 ]; then
		# the same load while the proxy only reloads: each domain change
		# re-renders the routing table and applies it; no process starts
		# or stops
		start_load control
		for i in $(seq "$PUSHES"); do
			if [ $((i % 2)) = 1 ]; then
				ssh_ok domains:add "$APP" "zd$i.example"
			else
				ssh_ok domains:remove "$APP" "zd$((i - 1)).example"
			fi
			sleep 0.3
		done
		sleep 1
		stop_load
		echo "  control: $PUSHES routing changes (domains:add / domains:remove, each reloads $ROUTER; no deploy, no process stopped), same load"
		WHEN_STOPS=0
		report_load "$PUSHES proxy reloads"
		CONTROLS+=("bench zero-downtime $ROUTER control ($PUSHES proxy reloads, no deploy): requests=$SENT failed=$FAILED")
	fi

	stop_pid "$WATCH_PID"
	WATCH_PID=''
	stop_pid "$BERTH_PID"
	stop_apps "$BERTH_DATA"  # berth leaves its apps running on purpose
	stop_proxy "$BERTH_DATA" # and its proxy
}

# ssh_ok CMD...: `ssh deploy@127.0.0.1 CMD...` against berth, must exit 0
ssh_ok() {
	# shellcheck disable=SC2086 # SSH_BASE is a command line
	$SSH_BASE -p "$BERTH_PORT" deploy@127.0.0.1 "$@" >"$T/cmd.out" 2>&1 ||
		{ cat "$T/cmd.out" >&2; die "$ROUTER: '$*' failed"; }
}

echo "zero downtime: $PUSHES back-to-back pushes of app '$APP' under HTTP load (wrk, $CONNS connections), per router"
for r in $ROUTERS; do
	bench_router "$r"
done

echo
for l in "${LOUD[@]}"; do
	echo "!!!!! $l"
done
[ "${#CONTROLS[@]}" = 0 ] || printf '%s\n' "${CONTROLS[@]}"
printf '%s\n' "${RESULTS[@]}"
