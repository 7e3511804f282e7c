# test_limits.sh - connection limits with real sockets and the real ssh
# client: connections still logging in are capped (max_unauthenticated,
# and a quarter of it per address), and so are connections from one
# address (per_address_connections); clients that have logged in do not
# count against the first cap.  Other addresses are 127.0.0.2-5.
. "$(dirname "$0")/lib.sh"
start_server "[server]" "auth_timeout = 20" "idle_timeout = 20" \
	"max_unauthenticated = 8" "per_address_connections = 5"
W=$T/work

# until the daemon has N connection processes (at most 10 s)
kids_reach() {
	for _ in $(seq 100); do
		[ "$(pgrep -P "$SERVER_PID" | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "    only $(pgrep -P "$SERVER_PID" | wc -l) connection processes, not $1"
	return 1
}

kids_below() {
	for _ in $(seq 100); do
		[ "$(pgrep -P "$SERVER_PID" | wc -l)" -lt "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

setup_app() {
	new_repo "$W"
	git_as admin -C "$W" push -q "$(remote app)" main
}

unauthenticated_cap() {
	# eight sockets from four other addresses that never say a word
	python3 -c '
import socket, sys, time
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.%d" % (2 + i // 2), 0)) for i in range(8)]
time.sleep(30)' "$PORT" &
	local silent=$!
	kids_reach 8
	if as admin help > /dev/null 2>&1; then kill "$silent"; echo "a 9th login got in"; return 1; fi
	contains "$T/serve.log" "refusing 127.0.0.1: 8 connections still logging in"
	kill "$silent"
	kids_below 1
	as admin help > /dev/null
}

one_address_share() {
	# two silent sockets are all one address may have logging in (8 / 4)
	exec 5<>"/dev/tcp/127.0.0.1/$PORT" 6<>"/dev/tcp/127.0.0.1/$PORT"
	kids_reach 2
	if as admin help > /dev/null 2>&1; then echo "a 3rd login from one address got in"; return 1; fi
	contains "$T/serve.log" "refusing 127.0.0.1: 2 connections from it still logging in"
	exec 5<&- 6<&-
	kids_below 1
	as admin help > /dev/null
}

# session N: an idle, logged-in upload-pack session, started once the
# previous login is done (one address may only log in two at a time)
session() {
	local before
	before=$(grep -c "authenticated" "$T/serve.log")
	as admin "git-upload-pack 'app'" < <(sleep "$1") > /dev/null 2>&1 &
	for _ in $(seq 100); do
		[ "$(grep -c "authenticated" "$T/serve.log")" -gt "$before" ] && return 0
		sleep 0.1
	done
	return 1
}

logged_in_do_not_count() {
	# three logged-in, idle sessions: logging in is not held up by them
	session 8; session 8; session 8
	kids_reach 3
	as admin help > /dev/null
}

per_address_cap() {
	# with the three sessions above still open: two more fill the cap of five
	session 6; session 6
	kids_reach 5
	if as admin help > /dev/null 2>&1; then echo "a 6th connection got in"; return 1; fi
	contains "$T/serve.log" "refusing 127.0.0.1: 5 connections from it already"
	kids_below 1
	as admin help > /dev/null
}

t "a push creates the app" setup_app
t "connections still logging in are capped" unauthenticated_cap
t "one address may hold a quarter of the login slots" one_address_share
t "logged-in sessions do not count against that cap" logged_in_do_not_count
t "connections from one address are capped" per_address_cap
finish
