# test_front.sh - berth serve's front process (cmd/front.c): after its
# start, berth serve is a small static loop that maps none of berth's
# libraries and starts the full berth for each connection and chore pass
# (core/childexec.h).  The attacker's and the operator's moves: an
# upgrade that replaces berth on disk while the daemon runs, a hand-made
# `berth __child` without the daemon's config, a connection process
# killed mid-session, the front killed with -9 and started again.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/bin"
cp "$BERTH" "$T/bin/berth"
cp "$(dirname "$BERTH")/berth-shim" "$T/bin/berth-shim"
cp "$(dirname "$BERTH")/berth-serve" "$T/bin/berth-serve"
BERTH=$T/bin/berth
export BERTH_DEBUG=1 # the front says when a watched process ended
start_server
W=$T/site

push_page() {
	echo "$1" > "$W/index.html"
	git -C "$W" add -A && git -C "$W" commit -qm "$1"
	git_as admin -C "$W" push -q "$(remote site)" main
}

# The idle daemon is berth-serve, and none of the heavy libraries is
# mapped in it (they are in each connection's process instead).
idle_daemon_maps_no_library() {
	git init -q -b main "$W"
	push_page one
	[ "$(http site.localhost /)" = one ]
	[ "$(basename "$(readlink "/proc/$SERVER_PID/exe")")" = berth-serve ]
	# under the command line the operator typed: ps and pkill see it
	[ "$(tr '\0' ' ' < "/proc/$SERVER_PID/cmdline")" = "$BERTH -c $T/berth.ini serve " ]
	# (`! grep` would not fail the test: set -e ignores a negated command)
	if grep -E 'lib(ssh|git2|sqlite3|crypto|curl|archive|microhttpd)' \
		"/proc/$SERVER_PID/maps"; then return 1; fi
	# and its connections are berth itself, one process each
	as admin help > /dev/null
}

# berth links none of the libraries it loads on use (core/libarchive.c,
# core/libcurl.c, web/web_mhd.c), and a connection that needs none of
# them maps none: libarchive's chain (libxml2, ICU) was half of every
# start's relocations.
connection_maps_no_lazy_library() {
	local client pid
	readelf -d "$ORIG_BERTH" | grep NEEDED > "$T/needed"
	grep -q libgit2 "$T/needed" # (readelf read it)
	if grep -E 'lib(archive|xml2|icu|stdc\+\+|curl|microhttpd)' \
		"$T/needed"; then return 1; fi
	ssh -i "$T/admin" $SSH_OPTS -p "$PORT" deploy@127.0.0.1 logs site -f \
		> /dev/null 2>&1 &
	client=$!
	for _ in $(seq 200); do
		pid=$(conn_pids | head -1) && [ -n "$pid" ] && break
		sleep 0.05
	done
	[ -n "$pid" ] && grep -q libgit2 "/proc/$pid/maps"
	if grep -E 'lib(archive|xml2|icu|curl|microhttpd)' "/proc/$pid/maps"
		then return 1; fi
	kill "$client"
	wait "$client" || true
	for _ in $(seq 200); do # the connection ends with its client
		[ -z "$(conn_pids)" ] && return 0
		sleep 0.05
	done
	return 1
}

# An upgrade replaces berth on disk while the daemon runs: until berth
# serve is restarted, its connections still run the binary it started
# with (held open), never a mix of an old front and a new berth.
upgrade_on_disk_is_not_mixed_in() {
	printf '#!/bin/sh\necho "the new binary ran" >&2\nexit 99\n' > "$T/bin/berth.new"
	chmod 755 "$T/bin/berth.new"
	mv -f "$T/bin/berth.new" "$T/bin/berth"
	push_page two
	[ "$(http site.localhost /)" = two ]
	as admin apps | grep -q site
	! grep -q "the new binary ran" "$T/serve.log"
}

# `berth __child` is for berth serve: by hand, without the daemon's
# sealed config, it refuses and says so; a forged config is refused too.
child_without_the_daemon_refuses() {
	local rc=0
	"$ORIG_BERTH" __child 0 conn 3 127.0.0.1 4 < /dev/null > "$T/out" 2>&1 || rc=$?
	[ "$rc" = 2 ]
	grep -q "holds no berth config" "$T/out"
	rc=0
	printf 'berthcf\0%s' "$(head -c 200 /dev/zero | tr '\0' x)" > "$T/forged"
	"$ORIG_BERTH" __child 5 repair 1 1 -1 5< "$T/forged" > "$T/out" 2>&1 || rc=$?
	[ "$rc" = 2 ]
	grep -q "another build of berth" "$T/out"
	"$ORIG_BERTH" __child 2>&1 | grep -q usage
}

# A connection process killed -9 ends that connection only; the next
# one is served.
killed_connection_ends_alone() {
	local pid
	( as admin logs site -f > /dev/null 2>&1 ) &
	for _ in $(seq 100); do
		pid=$(conn_pids | head -1) && [ -n "$pid" ] && break
		sleep 0.05
	done
	[ -n "$pid" ]
	# the front's fds are its own: nothing of them in a connection's env
	if tr '\0' '\n' < "/proc/$pid/environ" | grep -q BERTH_FRONT_FDS
		then return 1; fi
	killed_on_purpose "$pid"
	kill -9 "$pid"
	wait || true
	as admin apps | grep -q site
}

# The repairs watch what they found running: a supervisor killed -9 is
# seen at once (its pidfd), not at the next idle pass, and revived.
killed_supervisor_is_seen_at_once() {
	local shim id n
	echo 'web: python3 server.py' > "$W/Procfile"
	printf 'import http.server, os\nh = http.server.SimpleHTTPRequestHandler\nhttp.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), h).serve_forever()\n' > "$W/server.py"
	n=$(grep -c "watching" "$T/serve.log" || true)
	push_page four
	shim=$(sql "SELECT shim_pid FROM processes WHERE type = 'web'")
	[ -n "$shim" ] && kill -0 "$shim"
	id=$(sql "SELECT id FROM processes WHERE type = 'web'")
	for _ in $(seq 300); do # a pass after the push watches it, and the proxy
		[ "$(grep "watching [2-9]" "$T/serve.log" | wc -l)" -gt "$n" ] && break
		sleep 0.1
	done
	[ "$(grep "watching [2-9]" "$T/serve.log" | wc -l)" -gt "$n" ]
	kill -9 "$shim"
	for _ in $(seq 100); do
		grep -q "repair: a watched process ended" "$T/serve.log" && break
		sleep 0.1
	done
	grep -q "repair: a watched process ended" "$T/serve.log"
	for _ in $(seq 300); do
		new=$(sql "SELECT shim_pid FROM processes WHERE id = $id")
		[ "$new" != "$shim" ] && kill -0 "$new" 2>/dev/null && break
		sleep 0.1
	done
	[ "$new" != "$shim" ]
	[ "$(http site.localhost /)" = four ]
}

# A refused login changed nothing: it starts no repair or upkeep pass
# (a flood of them must not make the daemon work).  A logged-in command
# is followed by a pass.
refused_logins_start_no_pass() {
	local before after
	for _ in $(seq 100); do # the passes after the last push are done
		sleep 0.1
		before=$(grep -c "repair: pass .* done" "$T/serve.log" || true)
		sleep 0.6
		[ "$(grep -c "repair: pass .* done" "$T/serve.log" || true)" = "$before" ] && break
	done
	for _ in $(seq 8); do
		as stranger help > /dev/null 2>&1 || true
	done
	sleep 1
	after=$(grep -c "repair: pass .* done" "$T/serve.log" || true)
	echo "passes during 8 refused logins: $((after - before))"
	[ $((after - before)) -le 1 ] # an idle pass may fall in this second
	as admin apps > /dev/null
	for _ in $(seq 50); do
		[ "$(grep -c "repair: pass .* done" "$T/serve.log")" -gt "$after" ] && return 0
		sleep 0.1
	done
	return 1
}

# kill -9 of the front: a new berth serve listens again and serves.
front_killed_and_started_again() {
	local start
	kill -9 "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	cp "$ORIG_BERTH" "$T/bin/berth"
	start=$EPOCHREALTIME
	"$BERTH" -c "$T/berth.ini" serve >> "$T/serve.log" 2>&1 &
	SERVER_PID=$!
	echo "$SERVER_PID" > "$T/server.pid"
	for _ in $(seq 600); do
		(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
		sleep 0.05
	done
	echo "listening again after $(echo "$EPOCHREALTIME - $start" | bc) s"
	push_page three
	[ "$(http site.localhost /)" = three ]
}

ORIG_BERTH=$T/orig-berth
cp "$T/bin/berth" "$ORIG_BERTH"
t "the idle daemon maps none of berth's libraries" idle_daemon_maps_no_library
t "a connection maps none of the libraries berth loads on use" connection_maps_no_lazy_library
t "an upgrade on disk is not mixed into a running daemon" upgrade_on_disk_is_not_mixed_in
t "berth __child without the daemon's config refuses" child_without_the_daemon_refuses
t "a connection process killed -9 ends alone" killed_connection_ends_alone
t "a supervisor killed -9 is seen at once and revived" killed_supervisor_is_seen_at_once
t "refused logins start no chore pass" refused_logins_start_no_pass
t "the front killed -9 and started again serves" front_killed_and_started_again
SERVER_PID=$(cat "$T/server.pid" 2>/dev/null || echo "$SERVER_PID")
finish
