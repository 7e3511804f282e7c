# test_limits.sh - connection limits with real sockets and the real ssh
# client: connections still logging in are capped (max_unauthenticated),
# and so are connections from one address (per_address_connections);
# clients that have logged in do not count against the first cap.
. "$(dirname "$0")/lib.sh"
start_server "[server]" "auth_timeout = 20" "idle_timeout = 20" \
	"max_unauthenticated = 3" "per_address_connections = 5"
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
	# three sockets that never say a word fill the cap
	exec 5<>"/dev/tcp/127.0.0.1/$PORT" 6<>"/dev/tcp/127.0.0.1/$PORT" \
	    7<>"/dev/tcp/127.0.0.1/$PORT"
	kids_reach 3
	if as admin help > /dev/null 2>&1; then echo "a 4th login got in"; return 1; fi
	contains "$T/serve.log" "refusing 127.0.0.1: 3 connections still logging in"
	exec 5<&- 6<&- 7<&-
	kids_below 1
	as admin help > /dev/null
}

logged_in_do_not_count() {
	# three logged-in, idle sessions: the cap on logins is free again
	for _ in 1 2 3; do
		as admin "git-upload-pack 'app'" < <(sleep 8) > /dev/null 2>&1 &
	done
	kids_reach 3
	for _ in $(seq 100); do
		[ "$(grep -c "authenticated" "$T/serve.log")" -ge 5 ] && break
		sleep 0.1
	done
	as admin help > /dev/null
}

per_address_cap() {
	# with the three sessions above still open: two more fill the cap of five
	for _ in 1 2; do
		as admin "git-upload-pack 'app'" < <(sleep 6) > /dev/null 2>&1 &
	done
	kids_reach 5
	if as admin help > /dev/null 2>&1; then echo "a 6th connection got in"; return 1; fi
	contains "$T/serve.log" "refusing 127.0.0.1: 5 connections from it already"
	kids_below 1
	as admin help > /dev/null
}

t "a push creates the app" setup_app
t "connections still logging in are capped" unauthenticated_cap
t "logged-in sessions do not count against that cap" logged_in_do_not_count
t "connections from one address are capped" per_address_cap
finish
