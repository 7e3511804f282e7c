# test_cron.sh - scheduled jobs run by berth serve, with real pushes and
# processes, on berth serve's test clock (BERTH_TEST_CRON_SCALE: a
# minute every 2 s): a job every minute writes a line that `logs` shows
# with the job's name, as the app's uid with its config vars; a slow job
# still running at the next minute is skipped (said in its log) and
# stopped at [cron] timeout; `cron APP` lists the jobs with their last
# exit; `cron:run APP JOB` runs one now (its exit status the job's),
# refuses a job that is running or unknown and a key without a role; a
# bad TZ is refused; kill -9 of berth serve ends the jobs it runs (not
# the app); runs missed while berth serve was down are not made up.
export BERTH_TEST_CRON_SCALE=30
. "$(dirname "$0")/lib.sh"
start_server "[health]" "timeout = 10" "grace = 1" "[cron]" "timeout = 3"
W=$T/w

make_app() {
	git init -q "$W"
	cat > "$W/server.py" <<'PY'
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	cat > "$W/job.py" <<'PY'
import os, sys, time
print("%s ran as %s uid %d greeting %s" % (sys.argv[1], os.environ["DYNO"], os.getuid(),
      os.environ.get("GREETING")), flush=True)
time.sleep(float(sys.argv[2]))
sys.exit(int(sys.argv[3]))
PY
	cat > "$W/Procfile" <<'EOF2'
web: python3 server.py
cron-tick: * * * * * python3 job.py tick 0 0
cron-slow: */1 * * * * python3 job.py slow 30 0
cron-once: 0 0 1 1 * python3 job.py once 0 3
EOF2
	git -C "$W" add . && git -C "$W" commit -qm one
}

# wait_log TEXT: poll `logs` until it shows TEXT (a loaded machine: 90 s)
wait_log() {
	for _ in $(seq 180); do
		as admin logs jobs -n 1000 > "$T/logs" 2>&1
		grep -qF -- "$1" "$T/logs" && return 0
		sleep 0.5
	done
	echo "    logs never showed: $1"
	tail -20 "$T/logs" | sed 's/^/    | /'
	return 1
}

deploy_with_jobs() {
	make_app
	as admin apps:create jobs
	as admin config:set jobs --no-restart GREETING=hi > /dev/null
	git_as admin -C "$W" push "$(remote jobs)" main > "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	as admin ps jobs > "$T/ps"
	contains "$T/ps" "web.1"
	expect "jobs are not processes" fails grep -q cron "$T/ps"
}

job_every_minute_in_logs() {
	wait_log "cron-tick | tick ran as cron-tick.1 uid"
	contains "$T/logs" "greeting hi"
	# berth writes the run's exit after the job's last line: wait for it
	wait_log "cron-tick | [berth] exit status 0 after"
	uid=$(grep -o "tick ran as cron-tick.1 uid [0-9]*" "$T/logs" | head -1 | awk '{print $NF}')
	expect "the job runs as the app's uid" [ "$uid" -gt "$UID_BASE" ]
	# a second minute, a second run
	n=$(grep -c "tick ran as" "$T/logs")
	wait_log_count "tick ran as" $((n + 1))
}

wait_log_count() { # wait_log_count TEXT N
	for _ in $(seq 180); do
		as admin logs jobs -n 1000 > "$T/logs" 2>&1
		[ "$(grep -cF -- "$1" "$T/logs")" -ge "$2" ] && return 0
		sleep 0.5
	done
	echo "    fewer than $2 lines with: $1"
	return 1
}

overlap_skipped_and_timeout() {
	wait_log "cron-slow | slow ran as cron-slow.1"
	wait_log "cron-slow | [berth] skipped: the run started at"
	wait_log "(stopped: it ran past [cron] timeout)"
	# never two at once: every skip comes while one run holds the job
	expect "one slow run at a time" [ "$(pgrep -fc "job.py slow" || true)" -le 1 ]
}

cron_lists_jobs() {
	as admin cron jobs > "$T/cron"
	contains "$T/cron" "JOB"
	contains "$T/cron" "NEXT RUN"
	contains "$T/cron" "cron-tick"
	contains "$T/cron" "* * * * *"
	contains "$T/cron" "0 0 1 1 *"
	grep -E '^cron-tick +\* \* \* \* \* +[0-9T:-]+Z +[0-9T:-]+Z +0 ' "$T/cron" > /dev/null ||
		{ cat "$T/cron"; return 1; }
	grep -E '^cron-once +0 0 1 1 \* +20[0-9-]+T00:00:00Z +- +- ' "$T/cron" > /dev/null ||
		{ cat "$T/cron"; return 1; }
	as admin cron jobs --json > "$T/cron.json"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert {j["job"] for j in r} == {"cron-tick","cron-slow","cron-once"}, r' "$T/cron.json"
}

cron_run_now() {
	set +e
	as admin cron:run jobs cron-once > "$T/run" 2>&1
	rc=$?
	set -e
	expect "cron:run exits with the job's status (3), got $rc" [ "$rc" = 3 ]
	contains "$T/run" "once ran as cron-once.1"
	as admin cron jobs > "$T/cron"
	grep -E '^cron-once +.* 3 +0 ' "$T/cron" > /dev/null || { cat "$T/cron"; return 1; }
	wait_log "cron-once | once ran as cron-once.1"
	as admin audit jobs > "$T/audit"
	contains "$T/audit" "cron:run jobs cron-once"
}

cron_run_refusals() {
	expect "unknown job refused" fails as admin cron:run jobs cron-nope 2> "$T/err"
	contains "$T/err" "has no job 'cron-nope'"
	expect "a process is not a job" fails as admin cron:run jobs web 2> "$T/err"
	expect "stranger refused" fails as stranger cron:run jobs cron-tick 2> "$T/err"
	expect "stranger may not list" fails as stranger cron jobs 2> /dev/null
	# the slow job while a run holds it.  On the test clock a run starts
	# every 2 s and [cron] timeout stops it at 3 s, so it is free one
	# second in four: ask while a run is young (under 1 s), and again if
	# the run ended first (then cron:run ran it, stopped at the timeout)
	for _ in $(seq 5); do
		for _ in $(seq 200); do slow_young && break; sleep 0.05; done
		set +e
		as admin cron:run jobs cron-slow > "$T/out" 2> "$T/err"
		rc=$?
		set -e
		grep -qF "'cron-slow' is running already (pid" "$T/err" && break
		contains "$T/out" "slow ran as"
	done
	expect "refused while running, got $rc" [ "$rc" != 0 ]
	contains "$T/err" "'cron-slow' is running already (pid"
}

# does a run of the slow job exist that started under a second ago?
slow_young() {
	python3 - <<'PY'
import os, sys
up = float(open("/proc/uptime").read().split()[0])
hz = os.sysconf("SC_CLK_TCK")
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        if b"job.py\0slow" not in open("/proc/%s/cmdline" % pid, "rb").read():
            continue
        stat = open("/proc/%s/stat" % pid).read()
    except OSError:
        continue
    start = int(stat.rsplit(")", 1)[1].split()[19]) / hz
    if up - start < 1.0:
        sys.exit(0)
sys.exit(1)
PY
}

bad_tz_refused() {
	as admin config:set jobs --no-restart TZ=Nowhere/Atlantis > /dev/null
	expect "cron refuses a bad TZ" fails as admin cron jobs 2> "$T/err"
	contains "$T/err" "unknown time zone 'Nowhere/Atlantis'"
	# the app's zone: New Year's midnight in India is 18:30 UTC
	as admin config:set jobs --no-restart TZ=Asia/Kolkata > /dev/null
	as admin cron jobs > "$T/cron"
	grep -E '^cron-once +0 0 1 1 \* +20[0-9]+-12-31T18:30:00Z ' "$T/cron" > /dev/null ||
		{ cat "$T/cron"; return 1; }
}

# a preview deploys the branch's release phase and hooks, never its jobs:
# they would run beside the app's own, with the app's config
preview_runs_no_jobs() {
	as admin previews:enable jobs > /dev/null
	git_as admin -C "$W" push "$(remote jobs)" main:feat > "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	contains "$T/out" "Preview of 'feat' live"
	n=$(grep -c "tick ran as" "$T/logs")
	wait_log_count "tick ran as" $((n + 2))
	as admin logs jobs--feat -n 1000 > "$T/plogs" 2>&1
	expect "the preview ran no job" fails grep -q "ran as cron" "$T/plogs"
	as admin previews:destroy jobs feat > /dev/null
}

# ps:stop stops the app's jobs too, until ps:start
stopped_app_runs_no_jobs() {
	as admin ps:stop jobs > /dev/null
	sleep 2 # a pass that began before the stop may still start one run
	as admin logs jobs -n 1000 > "$T/logs" 2>&1
	n=$(grep -c "tick ran as" "$T/logs")
	sleep 8 # four minutes of the test clock
	as admin logs jobs -n 1000 > "$T/logs" 2>&1
	expect "no run while stopped" [ "$(grep -c "tick ran as" "$T/logs")" -eq "$n" ]
	as admin ps:start jobs > /dev/null
	wait_log_count "tick ran as" $((n + 1))
}

t "an app with jobs deploys; jobs are not processes" deploy_with_jobs
t "a job every minute writes lines seen in logs" job_every_minute_in_logs
t "a preview of a branch with jobs runs none of them" preview_runs_no_jobs
t "an app stopped with ps:stop runs no jobs until ps:start" stopped_app_runs_no_jobs
t "a run still going is skipped; [cron] timeout stops it" overlap_skipped_and_timeout
t "cron APP lists schedule, next and last run, last exit" cron_lists_jobs
t "cron:run runs a job now, exit status and logs" cron_run_now
t "cron:run refuses unknown jobs, strangers, a running job" cron_run_refusals
t "the app's TZ sets the jobs' zone; a bad one is refused" bad_tz_refused

# berth serve down for three minutes of its clock: nothing runs meanwhile,
# and the missed runs are not made up when it is back
ticks() { grep -c "tick ran as" "$DATA/apps/jobs/logs/cron-tick.log" || true; }
# the app's uid: its processes and its jobs run as it
APP_UID=$(grep -o "tick ran as cron-tick.1 uid [0-9]*" "$DATA/apps/jobs/logs/cron-tick.log" | head -1 | awk '{print $NF}')
# kill -9 while the slow job runs: its run goes with berth serve
for _ in $(seq 120); do
	pgrep -u "$APP_UID" -f "job.py slow" > /dev/null && break
	sleep 0.25
done
{ kill -9 "$SERVER_PID"; wait "$SERVER_PID"; } 2>/dev/null
SERVER_PID=
jobs_die_with_serve() {
	# well before its [cron] timeout (3 s) would end it
	for _ in $(seq 6); do
		pgrep -u "$APP_UID" -f "job.py" > /dev/null || break
		sleep 0.25
	done
	expect "no job left running" fails pgrep -u "$APP_UID" -f "job.py"
	# the app's own processes live on (berth-shim)
	expect "web.1 still runs" pgrep -u "$APP_UID" -f "server.py" > /dev/null
}
t "kill -9 of berth serve: the jobs it runs end, the app lives on" jobs_die_with_serve
DOWN_TICKS=$(ticks)
sleep 6
serve_again() { # serve_again SCALE: berth serve back, on that clock
	BERTH_TEST_CRON_SCALE=$1 "$BERTH" -c "$T/berth.ini" serve >> "$T/serve.log" 2>&1 &
	echo $! > "$T/serve.pid"
	for _ in $(seq 600); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
missed_runs_not_replayed() {
	expect "no run while berth serve is down" [ "$(ticks)" = "$DOWN_TICKS" ]
	# on the real clock, a restart well inside a minute: a made-up run
	# would come at once, the next real one only at the minute's end
	while [ "$(date +%-S)" -ge 50 ]; do sleep 1; done
	serve_again 1
	sleep 2
	expect "no missed run made up" [ "$(ticks)" = "$DOWN_TICKS" ]
	kill "$(cat "$T/serve.pid")"
	wait "$(cat "$T/serve.pid")" 2>/dev/null || true
	# and on the test clock, the schedule goes on
	serve_again 30
	for _ in $(seq 120); do
		[ "$(ticks)" -gt "$DOWN_TICKS" ] && return 0
		sleep 0.5
	done
	echo "    the schedule did not resume"
	return 1
}
t "runs missed while berth serve was down are not made up" missed_runs_not_replayed
SERVER_PID=$(cat "$T/serve.pid")
as admin ps:stop jobs > /dev/null 2>&1 || true
finish
