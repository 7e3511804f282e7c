# test_limits.sh - connection limits with real sockets and the real ssh
# client, as an attacker with a handful of addresses tries them (other
# addresses are 127.0.0.2-20): silent sockets cannot lock a pusher out of
# the login slots (max_unauthenticated: a quarter per address, the oldest
# login of the address holding the most makes room, and under pressure
# any login older than auth_timeout_busy); connections from one address
# are capped (per_address_connections); clients that have logged in do
# not hold a login slot; a flood of refused connections logs a few lines,
# not one per connection.
. "$(dirname "$0")/lib.sh"
start_server "[server]" "auth_timeout = 20" "idle_timeout = 20" \
	"max_unauthenticated = 8" "per_address_connections = 5" \
	"auth_timeout_busy = 3"
W=$T/work

# until the daemon has N connection processes (at most 10 s)
kids_reach() {
	for _ in $(seq 100); do
		[ "$(conn_pids | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "    only $(conn_pids | wc -l) connection processes, not $1"
	return 1
}

kids_below() {
	for _ in $(seq 100); do
		[ "$(conn_pids | wc -l)" -lt "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

setup_app() {
	new_repo "$W"
	git_as admin -C "$W" push -q "$(remote app)" main
}

# attacker SECONDS: two silent sockets from each of 127.0.0.2-5 (all eight
# login slots), each opened again at once whenever the server drops it
attacker() {
	exec python3 - "$PORT" "$1" <<'PY'
import select, socket, sys, time
port, end = int(sys.argv[1]), time.time() + float(sys.argv[2])
addrs = ["127.0.0.%d" % (2 + i // 2) for i in range(8)]
def conn(a):
    while time.time() < end:
        try:
            return socket.create_connection(("127.0.0.1", port), source_address=(a, 0))
        except OSError:
            time.sleep(0.05)
socks = [conn(a) for a in addrs]
while time.time() < end:
    r, _, _ = select.select([s for s in socks if s], [], [], 0.2)
    for i, s in enumerate(socks):
        if s in r:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                s.close()
                socks[i] = conn(addrs[i])
PY
}

silent_sockets_do_not_lock_out() {
	attacker 25 &
	local silent=$!
	kids_reach 8
	# every slot is held, by four addresses: a login and a real push from
	# a fifth get in all the same, and keep getting in
	as admin help > /dev/null
	commit "$W"
	git_as admin -C "$W" push -q "$(remote app)" main
	expect "pushed" [ "$(server_rev app refs/heads/main)" = "$(git -C "$W" rev-parse main)" ]
	as admin apps > /dev/null
	contains "$T/serve.log" "to make room for 127.0.0.1"
	kill "$silent"
	kids_below 1
}

# Eight silent sockets from eight addresses (127.0.0.11-18), one each: a ninth login is
# refused while they are fresh, and takes the oldest one's slot once it
# has waited auth_timeout_busy (3 s).  Raw sockets: an admitted one gets
# the SSH banner, a refused one is closed at once.
busy_deadline() {
	python3 - "$PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def conn(a):
    s = socket.create_connection(("127.0.0.1", port), source_address=(a, 0))
    s.settimeout(5)
    return s
def banner(s):
    try:
        return s.recv(64).startswith(b"SSH-")
    except OSError:
        return False
held = [conn("127.0.0.%d" % (11 + i)) for i in range(8)]
ok = all(banner(s) for s in held)
if not ok:
    sys.exit("    the eight did not all get in")
if banner(conn("127.0.0.1")):
    sys.exit("    a ninth got in while the eight were fresh")
time.sleep(3.5)
if not banner(conn("127.0.0.1")):
    sys.exit("    no slot was made after auth_timeout_busy")
for s in held:
    s.settimeout(0.5)
dropped = 0
for s in held:
    try:
        dropped += s.recv(4096) == b""
    except socket.timeout:
        pass
    except OSError:
        dropped += 1
if dropped != 1:
    sys.exit("    %d of the eight were dropped, not one" % dropped)
PY
	contains "$T/serve.log" "refusing 127.0.0.1: 8 connections still logging in"
	# after 3 s or more: the eight may take a while to connect on a busy machine
	contains "$T/serve.log" "dropping a login from 127.0.0.11 after "
	kids_below 1
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

# 3,000 connections from one address that already holds its share of the
# login slots: each is refused, one line says so, and one line every 10 s
# sums up the rest
refusal_flood() {
	local start lines t0 secs
	start=$(wc -l < "$T/serve.log")
	t0=$(date +%s)
	python3 - "$PORT" > "$T/flood" <<'PY'
import socket, sys, time
port, a = int(sys.argv[1]), "127.0.0.20"
hold = [socket.create_connection(("127.0.0.1", port), source_address=(a, 0)) for _ in range(2)]
time.sleep(0.5)
n = 0
for i in range(3000):
    try:
        socket.create_connection(("127.0.0.1", port), source_address=(a, 0)).close()
        n += 1
    except OSError:
        pass
print(n)
PY
	for _ in $(seq 200); do
		tail -n +"$((start + 1))" "$T/serve.log" | grep -q "refused or dropped in the last" && break
		sleep 0.1
	done
	lines=$(tail -n +"$((start + 1))" "$T/serve.log")
	secs=$(( $(date +%s) - t0 ))
	expect "one line for the reason and address" [ "$(grep -c "refusing 127.0.0.20" <<< "$lines")" = 1 ]
	contains "$T/serve.log" "refusing 127.0.0.20: 2 connections from it still logging in"
	contains "$T/serve.log" "more connection(s) refused or dropped in the last"
	local summed
	summed=$(grep -o '[0-9]* more connection(s) refused' <<< "$lines" | awk '{ s += $1 } END { print s + 0 }')
	expect "the summary counts them ($summed of $(cat "$T/flood"))" [ "$summed" -ge 1000 ]
	# a summary at most every 10 s: a loaded machine's slower flood may
	# log a few more, never one per connection
	expect "a few lines, not thousands ($(wc -l <<< "$lines") in $secs s)" \
		[ "$(wc -l <<< "$lines")" -le $(( 10 + secs / 10 * 2 )) ]
}

t "a push creates the app" setup_app
t "silent sockets from four addresses cannot lock a pusher out" silent_sockets_do_not_lock_out
t "under pressure, a login that waited auth_timeout_busy makes room" busy_deadline
t "one address may hold a quarter of the login slots" one_address_share
t "logged-in sessions do not count against that cap" logged_in_do_not_count
t "connections from one address are capped" per_address_cap
t "a flood of refused connections logs a few lines, not one each" refusal_flood
finish
