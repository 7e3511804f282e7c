# test_repair.sh - berth serve repairs what dies (repair_cases.sh) with a
# berth-managed Caddy; then a process that crashed for good stays crashed
# across restarts; a Caddy whose pid file was lost is found by its config
# and replaced, never joined (Caddy binds with SO_REUSEPORT); a Caddy that
# cannot start says why; a change of app_uid_base moves the apps' files
# and processes to the new uids (an overlapping one is refused).
. "$(dirname "$0")/repair_cases.sh"

# a worker that crashes 1.5 s after each start: after 5 fast crashes (and
# 1+2+4+8 s of back-off) its supervisor gives up: crashed
deploy_crasher() {
	git init -q "$T/crash"
	printf 'import time\ntime.sleep(1.5)\nraise SystemExit(3)\n' > "$T/crash/crash.py"
	printf 'worker: python3 crash.py\n' > "$T/crash/Procfile"
	git -C "$T/crash" add . && git -C "$T/crash" commit -qm crash
	git_as admin -C "$T/crash" push -q "$(remote crashapp)" main
}

crash_state() { as admin ps crashapp --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])'; }

until_crashed() {
	for _ in $(seq 400); do
		[ "$(crash_state)" = crashed ] && break
		sleep 0.1
	done
	expect "crashapp gave up" [ "$(crash_state)" = crashed ]
	as admin apps > "$T/apps"
	expect "apps shows crashapp crashed" grep -q "^crashapp  *crashed" "$T/apps"
}

# berth serve restarted (top level): the crashed process is not started
restart_serve() {
	kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2> /dev/null
	wc -c < "$T/serve.log" > "$T/log.at"
	"$BERTH" -c "$T/berth.ini" serve >> "$T/serve.log" 2>&1 &
	SERVER_PID=$!
	wait_listening || true
}

stays_crashed() {
	sleep 1.5   # three repair passes
	expect "still crashed" [ "$(crash_state)" = crashed ]
	as admin apps > "$T/apps"
	expect "apps shows crashapp crashed" grep -q "^crashapp  *crashed" "$T/apps"
	tail -c +"$(($(cat "$T/log.at") + 1))" "$T/serve.log" > "$T/since"
	contains "$T/since" "crashapp worker.1 (v1) stays crashed until a deploy, ps:restart or ps:start"
	expect "not restarted" fails grep -q "restarted crashapp worker.1" "$T/since"
	expect "no repair of it" fails grep -q "worker.1 of crashapp restarted" "$T/since"
	as admin ps:restart crashapp > "$T/out"
	contains "$T/out" "worker.1 running"
}

# the pid file lost: the Caddy still running with our config is stopped,
# a new one started; one listener on the port, never two
pidfile_lost() {
	local old start
	start=$(date +%s.%N)
	old=$(proxy_pid)
	rm "$DATA/router/caddy/home/caddy.pid"
	for _ in $(seq 100); do
		[ -s "$DATA/router/caddy/home/caddy.pid" ] && [ "$(proxy_pid)" != "$old" ] && break
		sleep 0.1
	done
	expect "a new Caddy" [ "$(proxy_pid)" != "$old" ]
	for _ in $(seq 50); do gone "$old" && break; sleep 0.1; done
	expect "the old one is gone" gone "$old" || { tail -20 "$T/serve.log"; return 1; }
	contains "$T/serve.log" "stopping a Caddy an earlier berth left running with this config (pid $old)"
	expect "one listener on the port" [ "$(listeners | wc -l)" = 1 ]
	# the new Caddy listens a moment before its routes are in
	answered solo.localhost "hello from web" "$start"
}

# Caddy cannot start (its home belongs to someone else, as after a change
# of uids done by hand): the reason from its log is in status, and a
# command that needs it says it is down; fixed, it starts again
caddy_cannot_start() {
	local home=$DATA/router/caddy/home start
	chown -R 65534:65534 "$home"
	kill -9 "$(proxy_pid)"
	for _ in $(seq 100); do
		as admin status > "$T/status"
		grep -q "^repair failed: .*cannot start /usr/bin/caddy" "$T/status" && break
		sleep 0.1
	done
	contains "$T/status" "repair failed: caddy is not running and could not be started: cannot start /usr/bin/caddy: Error: "
	contains "$T/status" "permission denied"
	if as admin ps:restart solo > "$T/out" 2>&1; then echo "ps:restart went through without a proxy"; return 1; fi
	contains "$T/out" "Caddy is not running; berth serve starts it again within seconds, see 'status'"
	start=$(date +%s.%N)
	chown -R "$UID_BASE:$UID_BASE" "$home"
	answered solo.localhost "hello from web" "$start"
	repaired "caddy restarted"
}

# a lost supervisor of an app whose lock is held (a push, a ps command) is
# left alone until the lock is free: the repair never fights a deploy
busy_app_waits() {
	local lock=$DATA/locks/solo.lock start
	# held until the test has seen the app left alone (a fixed hold could
	# end before a slow `ps` answers, and the repair would be right)
	flock "$lock" sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done' "$T/unlock" &
	local holder=$!
	for _ in $(seq 50); do fails flock -n "$lock" true && break; sleep 0.05; done
	start=$(date +%s.%N)
	kill_shim solo web.1
	sleep 2
	as admin ps solo > "$T/ps"
	expect "not revived while the app is busy" grep -q "web.1 .*gone" "$T/ps" || { touch "$T/unlock"; cat "$T/ps"; return 1; }
	touch "$T/unlock"
	wait "$holder"
	answered solo.localhost "hello from web" "$start"
	repaired "web.1 of solo restarted"
}

# what the user stopped stays stopped: ps:stop leaves nothing to repair
stopped_stays_stopped() {
	local t0
	as admin ps:stop solo > /dev/null
	t0=$(date +%s)
	sleep 1.5   # three repair passes
	expect "nothing runs" [ -z "$(pgrep -f "shim $DATA $(row solo web.1 id) ")" ]
	expect "no process row" [ "$(sql "select count(*) from processes p join apps a on a.id = p.app_id where a.name='solo'")" = 0 ]
	# (a repair an earlier case caused may still be recorded late on a
	# busy machine: only one of solo's after the stop would be wrong)
	expect "no repair of solo" [ "$(sql "select count(*) from repairs where app='solo' and at > $t0")" = 0 ]
	http solo.localhost / -o /dev/null -w '%{http_code}' > "$T/code" || true
	contains "$T/code" 503
	as admin ps:start solo > /dev/null
	http solo.localhost / > "$T/out"; contains "$T/out" "hello from web"
}

# berth serve restarted (top level) with app_uid_base = $1
rebase() {
	[ -z "$SERVER_PID" ] || { kill "$SERVER_PID"; wait "$SERVER_PID" 2> /dev/null; }
	sed -i "s/^app_uid_base = .*/app_uid_base = $1/" "$T/berth.ini"
	"$BERTH" -c "$T/berth.ini" serve >> "$T/serve.log" 2>&1 &
	SERVER_PID=$!
	wait_listening && return 0
	# not listening after 30 s: say so rather than wait for it forever
	kill -0 "$SERVER_PID" 2> /dev/null && { echo "still starting" > "$T/rebase"; return 0; }
	wait "$SERVER_PID"; echo "exit $?" > "$T/rebase"
	SERVER_PID=
}

overlap_refused() {
	contains "$T/rebase" "exit 1"
	contains "$T/serve.log" "app_uid_base changed from $UID_BASE to $((UID_BASE + 1)), but the apps use uids"
	contains "$T/serve.log" "Set it back to $UID_BASE"
}

# the pids (comma-separated) of what runs as the uids UID[,UID...]: not a
# zombie, which runs nothing and is its parent's to reap (an app killed
# with its supervisor earlier is orphaned; under an init that does not
# reap, as in some containers, it stays a zombie of the old uid for good)
running_as() {
	ps -o pid=,stat= -U "$1" | awk '$2 !~ /^Z/ { print $1 }' | paste -sd,
}

moved_to_new_uids() {
	local base=$((UID_BASE + 500)) id pid left
	id=$(sql "select id from apps where name='solo'")
	http solo.localhost / > "$T/out"; contains "$T/out" "hello from web"
	pid=$(as admin ps solo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
	expect "the app runs as its new uid" [ "$(ps -o uid= -p "$pid" | tr -d ' ')" = $((base + id)) ]
	expect "Caddy runs as the new proxy uid" [ "$(ps -o uid= -p "$(proxy_pid)" | tr -d ' ')" = "$base" ]
	expect "the release has the new group" [ "$(stat -c %g "$DATA/apps/solo/releases/$(sql "select current_release from apps where name='solo'")")" = $((base + id)) ]
	# the cache is the builds' (app uid + 1000000000, core/ident.h)
	expect "the cache has the builds' new owner" [ "$(stat -c %u "$DATA/apps/solo/cache")" = $((base + 1000000000 + id)) ]
	left=$(running_as $((UID_BASE + id)),$((UID_BASE + 1000000000 + id)))
	[ -z "$left" ] || ps -o pid,ppid,uid,stat,etimes,args -p "$left"
	expect "nothing of the old uids runs" [ -z "$left" ]
	contains "$T/serve.log" "'solo' now runs as uid $((base + id)) (was $((UID_BASE + id)))"
	git -C "$W" commit -q --allow-empty -m again
	git_as admin -C "$W" push -q "$(remote solo)" main
	http solo.localhost / > "$T/out"; contains "$T/out" "hello from web"
	# v1 was archived (keep_releases = 1) with the old group inside
	expect "v1 is archived" [ -f "$DATA/apps/solo/releases/1.tar.gz" ] && [ ! -d "$DATA/apps/solo/releases/1" ]
	as admin rollback solo 1 > "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	contains "$T/out" "Restored v1 from its archive"
	expect "restored with the new group" [ "$(stat -c %g "$DATA/apps/solo/releases/1")" = $((base + id)) ]
	http solo.localhost / > "$T/out"; contains "$T/out" "hello from web"
}

t "a web app deploys; status shows the proxy" deploy_solo
t "a worker that crashes at every start deploys" deploy_crasher
t "kill -9 of the proxy: restarted, the site answers again" proxy_killed
figure "proxy killed"
t "kill -9 of a supervisor and its app: restarted on its port" shim_killed
figure "supervisor and app killed"
t "kill -9 of both at once" both_killed
figure "both killed"
reboot_now
t "every berth process killed (a reboot), then berth serve: the site answers" after_reboot
figure "reboot, from the start of berth serve"
t "web=2, one instance killed under load: no request fails" one_of_two_killed
take_port
t "another program on http_listen: named, not joined; started once it is gone" port_named
figure "port freed"
t "the crashing worker gives up: crashed" until_crashed
restart_serve
t "a crashed process stays crashed across a restart of berth serve" stays_crashed
t "a busy app (its lock held) is repaired only once the lock is free" busy_app_waits
figure "supervisor killed while the app was busy (its lock freed 2 s later, after a ps)"
t "an app the user stopped is not started by the repairs" stopped_stays_stopped
t "Caddy's pid file lost: the old Caddy is stopped, not joined" pidfile_lost
t "Caddy cannot start: status and commands say why; fixed, it starts" caddy_cannot_start
figure "Caddy's home fixed"
rebase $((UID_BASE + 1))
t "app_uid_base changed to an overlapping range: refused with what to do" overlap_refused
rebase $((UID_BASE + 500))
t "app_uid_base changed: files and processes move to the new uids" moved_to_new_uids
finish
