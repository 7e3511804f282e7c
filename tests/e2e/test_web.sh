# test_web.sh - the HTTP endpoint under berth serve (web/): it answers on
# a loopback port, refuses an unknown path (404), a wrong method (405) and
# a body over [dashboard] max_body_size (413), never crashes on them; a
# kill -9 of its process is repaired by serve (measured); on a unix
# socket it answers too; the managed proxy (Caddy, then nginx) routes
# [dashboard] host to it, and an app cannot take that host with
# domains:add.  The dashboard's pages are test_dashboard.sh's.
. "$(dirname "$0")/lib.sh"
WEB_PORT=$(free_port)
start_server "[dashboard]" "listen = 127.0.0.1:$WEB_PORT" "max_body_size = 2K" \
    "host = berth.localhost"
W="http://127.0.0.1:$WEB_PORT"

# up to 30 s: the endpoint's process starts after serve listens
web_up() {
	for _ in $(seq 300); do
		[ "$(curl -s -m 2 "$W/health" 2>/dev/null)" = ok ] && return 0
		sleep 0.1
	done
	return 1
}

code() { curl -s -m 10 -o "$T/body" -w '%{http_code}' "$@"; }

answers() {
	expect "the endpoint answers /health" web_up
	expect "no such path: 404" [ "$(code "$W/nope")" = 404 ]
	expect "POST /health: 405" [ "$(code -X POST "$W/health")" = 405 ]
	expect "security headers" sh -c "curl -s -D - -o /dev/null '$W/health' |
	    grep -qi '^X-Frame-Options: DENY'"
}

refuses_big_bodies() {
	head -c 5000 /dev/zero | tr '\0' a > "$T/big"
	expect "5000 bytes over a 2K cap: 413" \
	    [ "$(code -X POST --data-binary @"$T/big" "$W/health")" = 413 ]
	expect "a chunked body over the cap: 413" [ "$(code -X POST \
	    -H 'Transfer-Encoding: chunked' --data-binary @"$T/big" \
	    "$W/health")" = 413 ]
	printf 'GARBAGE\r\n\r\n' > "$T/junk"
	expect "junk then a good request" sh -c "(cat '$T/junk'; sleep 0.2) |
	    timeout 5 nc -q1 127.0.0.1 $WEB_PORT >/dev/null 2>&1; true"
	expect "still up" web_up
	expect "the refusals are logged" grep -q "web: 413 POST /health" \
	    "$T/serve.log"
}

routed_by_caddy() {
	local got=
	for _ in $(seq 100); do
		got=$(http berth.localhost /health 2>/dev/null) || true
		[ "$got" = ok ] && break
		sleep 0.1
	done
	expect "Caddy routes berth.localhost to the endpoint" [ "$got" = ok ]
	as admin apps:create shop
	expect "an app cannot take the dashboard's host" \
	    fails as admin domains:add shop berth.localhost 2> "$T/err"
	contains "$T/err" "is the dashboard's"
	# nor by its name: berth.localhost is app berth's own host
	expect "no app named berth" fails as admin apps:create berth 2> "$T/err"
	contains "$T/err" "would answer at berth.localhost, the dashboard's host"
	git init -q "$T/b" && echo hi > "$T/b/index.html" &&
		git -C "$T/b" add . && git -C "$T/b" commit -qm one
	expect "no push creates it" fails git_as admin -C "$T/b" push -q "$(remote berth)" main 2> "$T/err"
	contains "$T/err" "the dashboard's host"
	expect "no rename to it" fails as admin apps:rename shop berth 2> "$T/err"
	contains "$T/err" "the dashboard's host"
}

# The guide: every long-lived process gets a kill -9 test, measured.
restarted_after_kill() {
	local pid t0 t1
	pid=$(pgrep -P "$SERVER_PID" -x berth-web)
	expect "one endpoint process" [ -n "$pid" ]
	killed_on_purpose "$pid"
	t0=$(date +%s%N)
	kill -9 "$pid"
	expect "answers again" web_up
	t1=$(date +%s%N)
	echo "endpoint back $(( (t1 - t0) / 1000000 )) ms after kill -9" \
	    >> "$T/figures"
	expect "a new process" [ "$(pgrep -P "$SERVER_PID" -x berth-web)" != "$pid" ]
	expect "serve logged it" grep -q "dashboard endpoint $pid ended by signal 9" \
	    "$T/serve.log"
}

on_unix_socket() {
	for _ in $(seq 300); do
		[ "$(curl -s -m 2 --unix-socket "$T/web.sock" http://x/health \
		    2>/dev/null)" = ok ] && return 0
		sleep 0.1
	done
	echo "    no answer on $T/web.sock"
	return 1
}

t answers answers
t refuses_big_bodies refuses_big_bodies
t routed_by_caddy routed_by_caddy
t restarted_after_kill restarted_after_kill
# the same server again, on a unix socket
stop_server
sed -i "s|^listen = 127.0.0.1:$WEB_PORT\$|listen = $T/web.sock|" "$T/berth.ini"
"$BERTH" -c "$T/berth.ini" serve >> "$T/serve.log" 2>&1 &
SERVER_PID=$!
t on_unix_socket on_unix_socket

routed_by_nginx() {
	local got=
	for _ in $(seq 300); do
		got=$(http berth.localhost /health 2>/dev/null) || true
		[ "$got" = ok ] && break
		sleep 0.1
	done
	expect "nginx routes berth.localhost to the unix socket" [ "$got" = ok ]
	grep -q "proxy_buffering off" "$DATA"/router/nginx/sites/_dashboard.conf
}

# and behind nginx
stop_server
sed -i "s|^kind = caddy|kind = nginx|" "$T/berth.ini"
"$BERTH" -c "$T/berth.ini" serve >> "$T/serve.log" 2>&1 &
SERVER_PID=$!
t routed_by_nginx routed_by_nginx
cat "$T/figures" 2>/dev/null
finish
