# test_dashboard.sh - the web dashboard (web/) through the managed proxy,
# with curl as the browser: a login link from `dashboard:login` works
# once and not after it expired, and is stored hashed; the session cookie
# is HttpOnly and SameSite=Strict (Secure behind HTTPS); a deployer sees
# its app and not another (404, as one that does not exist), config var
# names but no values; a POST without the session's CSRF token is
# refused, one with it restarts the app and leaves an audit row;
# dashboard:logout-all ends the sessions; /metrics wants its token; an
# app's logs stream as server-sent events, and so does a running deploy's
# log (while a push runs); scale and rollback from the page are audited.
. "$(dirname "$0")/lib.sh"
WEB_PORT=$(free_port)
TOKEN=metrics-0123456789abcdef
start_server "[health]" "timeout = 20" "grace = 1" "[dashboard]" \
    "listen = 127.0.0.1:$WEB_PORT" "host = berth.localhost" \
    "metrics_token = $TOKEN"
W=$T/w
J=$T/jar

# GET or POST PATH through the proxy as the dashboard's host
dash() { local p=$1; shift; http berth.localhost "$p" "$@"; }
code() { dash "$@" -o "$T/body" -w '%{http_code}'; }

# login KEY JAR: open a fresh link; the cookie lands in JAR
login() {
	local url
	url=$(as "$1" dashboard:login | head -1)
	[ "$(code "${url#*berth.localhost:$HTTP_PORT}" -c "$2")" = 200 ]
}

web_up() {
	for _ in $(seq 300); do
		[ "$(dash /health 2>/dev/null)" = ok ] && return 0
		sleep 0.1
	done
	return 1
}

setup() {
	expect "the dashboard answers through Caddy" web_up
	as admin keys:add dev < "$T/dev.pub" > /dev/null
	as admin apps:create shop > /dev/null
	as admin apps:create vault > /dev/null
	as admin grant dev shop deployer > /dev/null
	as admin config:set shop API_KEY=sekret-value-42 > /dev/null
	git init -q "$W"
	cat > "$W/server.py" <<'PY'
import os, sys, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hi\n")
        print("served " + self.path, flush=True)
    def log_message(self, *a): pass
print("shop up", flush=True)
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	printf 'web: python3 server.py\n' > "$W/Procfile"
	git -C "$W" add . && git -C "$W" commit -qm v1
	git_as admin -C "$W" push -q "$(remote shop)" main 2> /dev/null
}

login_link_once() {
	local url path
	url=$(as dev dashboard:login | head -1)
	expect "a link to the dashboard's host" \
	    [ "${url%%/login*}" = "http://berth.localhost:$HTTP_PORT" ]
	path=${url#*berth.localhost:$HTTP_PORT}
	expect "stored hashed, not as the token" [ "$(sql "select count(*) \
	    from dash_tokens where hash = '$(printf %s "${url#*t=}" |
	    sha256sum | cut -d' ' -f1)' and kind = 'login'")" = 1 ]
	expect "no row holds the token" [ "$(sql "select count(*) from \
	    dash_tokens where hash = '${url#*t=}'")" = 0 ]
	expect "first use: 200" [ "$(code "$path" -D "$T/h" -c "$J.dev")" = 200 ]
	grep -i '^set-cookie:' "$T/h" > "$T/cookie"
	contains "$T/cookie" "HttpOnly"
	contains "$T/cookie" "SameSite=Strict"
	expect "not Secure over plain HTTP" fails grep -qi secure "$T/cookie"
	expect "second use: 403" [ "$(code "$path")" = 403 ]
	expect "a made-up token: 403" [ "$(code "/login?t=$(printf '%064d' 7)")" = 403 ]
	expect "a malformed one: 400" [ "$(code "/login?t=../../x")" = 400 ]
}

login_link_expires() {
	local url
	url=$(as dev dashboard:login | head -1)
	sql "update dash_tokens set expires_at = strftime('%s','now') - 1 \
	    where kind = 'login'"
	expect "an expired link: 403" \
	    [ "$(code "${url#*berth.localhost:$HTTP_PORT}")" = 403 ]
}

secure_behind_https() {
	local url
	url=$(as dev dashboard:login | head -1)
	curl -s -o /dev/null -D "$T/h" -H 'X-Forwarded-Proto: https' \
	    "http://127.0.0.1:$WEB_PORT${url#*berth.localhost:$HTTP_PORT}"
	grep -i '^set-cookie:' "$T/h" > "$T/cookie"
	contains "$T/cookie" "; Secure"
}

rights_per_key() {
	expect "no cookie: 401" [ "$(code /)" = 401 ]
	expect "a forged cookie: 401" [ "$(code / -b \
	    "berth_session=$(printf '%064d' 1)")" = 401 ]
	expect "dev's list: 200" [ "$(code / -b "$J.dev")" = 200 ]
	contains "$T/body" 'href="/apps/shop"'
	expect "vault not listed for dev" fails grep -q vault "$T/body"
	expect "dev on vault's page: 404" [ "$(code /apps/vault -b "$J.dev")" = 404 ]
	expect "dev on vault's logs: 404" \
	    [ "$(code /apps/vault/logs/stream -b "$J.dev")" = 404 ]
	expect "dev on shop's page: 200" [ "$(code /apps/shop -b "$J.dev")" = 200 ]
	contains "$T/body" "API_KEY"
	expect "no config value" fails grep -q sekret-value "$T/body"
	contains "$T/body" "shop.localhost"
	contains "$T/body" "succeeded"
	contains "$T/body" 'name="csrf"'
	expect "deploy #1's log: 200" \
	    [ "$(code /apps/shop/deploys/1 -b "$J.dev")" = 200 ]
	expect "deploy #99: 404" [ "$(code /apps/shop/deploys/99 -b "$J.dev")" = 404 ]
	login admin "$J.admin"
	expect "admin sees vault" [ "$(code /apps/vault -b "$J.admin")" = 200 ]
}

csrf_and_audit() {
	local csrf
	code /apps/shop -b "$J.dev" > /dev/null
	csrf=$(grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 |
	    sed 's/.*value="//; s/"//')
	expect "a CSRF token on the page" [ ${#csrf} = 64 ]
	expect "restart without the token: 403" \
	    [ "$(code /apps/shop/restart -b "$J.dev" -X POST -d x=1)" = 403 ]
	expect "with a wrong one: 403" [ "$(code /apps/shop/restart -b "$J.dev" \
	    -d "csrf=$(printf '%064d' 3)")" = 403 ]
	expect "admin's token is not dev's: 403" [ "$(code /apps/shop/restart \
	    -b "$J.admin" -d "csrf=$csrf")" = 403 ]
	expect "dev cannot act on vault: 404" [ "$(code /apps/vault/restart \
	    -b "$J.dev" -d "csrf=$csrf")" = 404 ]
	expect "a bad scale: 400" [ "$(code /apps/shop/scale -b "$J.dev" \
	    -d "csrf=$csrf&formation=nope%3D2")" = 400 ]
	expect "with it: 303" [ "$(code /apps/shop/restart -b "$J.dev" \
	    -d "csrf=$csrf")" = 303 ]
	for _ in $(seq 300); do
		[ "$(sql "select count(*) from audit where command = \
		    'dashboard: ps:restart shop' and outcome = 'ok'")" = 1 ] && break
		sleep 0.1
	done
	expect "the audit row, with dev's key" [ "$(sql "select count(*) from \
	    audit where command = 'dashboard: ps:restart shop' and outcome = \
	    'ok' and fingerprint = '$(ssh-keygen -lf "$T/dev.pub" |
	    cut -d' ' -f2)'")" = 1 ]
	expect "refusals leave no row" [ "$(sql "select count(*) from audit \
	    where command like 'dashboard: %'")" = 1 ]
	expect "the refusal is logged" grep -q "bad or missing CSRF token" \
	    "$T/serve.log"
}

live_logs() {
	( sleep 1; http shop.localhost /from-the-test > /dev/null ) &
	dash /apps/shop/logs/stream -b "$J.dev" -N -m 4 > "$T/sse" || true
	contains "$T/sse" "data: "
	contains "$T/sse" "served /from-the-test"
}

csrf_of() { # csrf_of JAR: the token of the session in JAR, from a page
	code /apps/shop -b "$1" > /dev/null
	grep -o 'name="csrf" value="[0-9a-f]*"' "$T/body" | head -1 |
	    sed 's/.*value="//; s/"//'
}

audited() { # audited COMMAND: wait for its row (the work runs apart)
	for _ in $(seq 600); do
		[ "$(sql "select count(*) from audit where command = '$1' and \
		    outcome = 'ok'")" = 1 ] && return 0
		sleep 0.1
	done
	echo "    no audit row '$1'"
	return 1
}

# v2 takes 3 s to listen: the deploy runs that long, and its page's
# stream follows it to the end
live_deploy_log() {
	local push
	sed -i 's/^print("shop up"/import time; time.sleep(3); print("shop up"/' \
	    "$W/server.py"
	git -C "$W" commit -qam v2
	git_as admin -C "$W" push -q "$(remote shop)" main 2> "$T/push.err" &
	push=$!
	for _ in $(seq 300); do
		[ "$(sql "select status from deploys where number = 2")" = \
		    running ] && break
		sleep 0.05
	done
	dash /apps/shop/deploys/2/stream -b "$J.dev" -N -m 60 > "$T/sse" || true
	wait "$push"
	contains "$T/sse" "data: -----> Starting 1 process of v2"
	contains "$T/sse" "event: end"
	expect "the deploy succeeded" [ "$(sql "select status from deploys \
	    where number = 2")" = succeeded ]
	expect "an ended deploy's stream ends at once" \
	    [ "$(dash /apps/shop/deploys/2/stream -b "$J.dev" -m 5)" = \
	    "$(printf 'event: end\ndata: end')" ]
}

scale_and_rollback() {
	local csrf
	csrf=$(csrf_of "$J.dev")
	expect "scale: 303" [ "$(code /apps/shop/scale -b "$J.dev" \
	    -d "csrf=$csrf&formation=web%3D2")" = 303 ]
	# v2 takes 3 s to listen: the scale is still at work, and the
	# endpoint answers meanwhile
	expect "answers while the scale runs" [ "$(dash /health -m 1)" = ok ]
	expect "the scale was still running" [ "$(sql "select count(*) from \
	    audit where command = 'dashboard: ps:scale shop web=2'")" = 0 ]
	audited "dashboard: ps:scale shop web=2"
	expect "two web processes" [ "$(sql "select count(*) from processes \
	    where state = 'running'")" = 2 ]
	expect "rollback: 303" [ "$(code /apps/shop/rollback -b "$J.dev" \
	    -d "csrf=$csrf&release=v1")" = 303 ]
	audited "dashboard: rollback shop v1"
	expect "v1 live again" [ "$(sql "select current_release from apps \
	    where name = 'shop'")" = 1 ]
}

metrics_token() {
	expect "no token: 401" [ "$(code /metrics)" = 401 ]
	expect "a wrong token: 401" [ "$(code /metrics -H \
	    'Authorization: Bearer metrics-0123456789abcdeX')" = 401 ]
	expect "the token: 200" [ "$(code /metrics -H \
	    "Authorization: Bearer $TOKEN")" = 200 ]
	contains "$T/body" 'berth_deploys{outcome="succeeded"} 3'
	contains "$T/body" 'berth_deploy_duration_seconds_count 3'
	contains "$T/body" 'berth_process_restarts{app="shop",process="web.1"}'
	contains "$T/body" 'berth_data_dir_free_bytes'
}

logout_all() {
	expect "dev's session works" [ "$(code / -b "$J.dev")" = 200 ]
	as dev dashboard:logout-all > "$T/out"
	contains "$T/out" "ended"
	expect "then it does not" [ "$(code / -b "$J.dev")" = 401 ]
	expect "admin's still does" [ "$(code / -b "$J.admin")" = 200 ]
}

t setup setup
t login_link_once login_link_once
t login_link_expires login_link_expires
t secure_behind_https secure_behind_https
t rights_per_key rights_per_key
t csrf_and_audit csrf_and_audit
t live_logs live_logs
t live_deploy_log live_deploy_log
t scale_and_rollback scale_and_rollback
t metrics_token metrics_token
t logout_all logout_all
finish
