# test_previews.sh - preview deploys with a real proxy (Caddy here, nginx
# in test_previews_nginx.sh): a branch pushed while previews are off is
# only stored, and the push says so; with previews on, two branches answer
# at once at their own hosts with their own content, config vars inherited
# and overridden per preview; the app's own site answers without one
# failure while a preview redeploys; a preview whose deploy fails rejects
# only its own ref; names that need sanitising (feature/Auth_Fix, 80
# characters) get valid hosts; the cap; a preview's build waits for the
# app's deploy; previews:disable; branch delete, previews:destroy, the
# app's destroy and the TTL (berth serve's upkeep, after a restart with
# ttl = 2) remove a preview with its processes, routes and files.
. "$(dirname "$0")/lib.sh"
PD=pr.test  # [previews] domain, outside base_domain (localhost)
start_server "[health]" "timeout = 10" "grace = 1" "[previews]" "max_per_app = 4" \
	"domain = $PD"
W=$T/w

web_app() {
	git init -q "$W"
	cat > "$W/server.py" <<'PY'
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("v=%s greeting=%s db=%s\n" % (open("VERSION").read().strip(),
            os.environ.get("GREETING", "-"), os.environ.get("DATABASE_URL", "-"))).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	echo main > "$W/VERSION"
	printf 'web: python3 server.py\n' > "$W/Procfile"
	git -C "$W" add . && git -C "$W" commit -qm web
	git_as admin -C "$W" push -q "$(remote shop)" main
}

# branch NAME VERSION: a branch of the app that says VERSION
branch() {
	git -C "$W" checkout -q main && git -C "$W" checkout -q -B "$1" &&
		echo "$2" > "$W/VERSION" && git -C "$W" commit -qam "$2"
}

push() { git_as admin -C "$W" push "$(remote shop)" "$@" > "$T/push.out" 2>&1; }

# host BRANCH: the preview's host, from `previews shop --json`
host() {
	as admin previews shop --json | python3 -c 'import json,sys
for p in json.load(sys.stdin):
    if p["branch"] == sys.argv[1]: print(p["url"].split("/")[2].split(":")[0])' "$1"
}

off_says_stored() {
	web_app
	expect "main served" [ "$(http shop.localhost /)" = "v=main greeting=- db=-" ]
	branch feature-a a
	push feature-a
	contains "$T/push.out" "remote: berth: stored branch 'feature-a', not deployed: only 'main' deploys (previews:enable shop deploys other branches as previews)"
	expect "one line" [ "$(grep -c "stored branch" "$T/push.out")" = 1 ]
	expect "the branch is stored" server_rev shop refs/heads/feature-a
	expect "no preview" [ -z "$(sql "SELECT count(*) FROM previews WHERE 1" | grep -v '^0$')" ]
	expect "no preview host" fails grep -q "v=a" <(http "shop--feature-a.$PD" /)
}

two_previews_live() {
	as admin keys:add dev < "$T/dev.pub" > /dev/null
	as admin grant dev shop deployer > /dev/null
	expect "a deployer may not turn previews on" fails as dev previews:enable shop 2> "$T/err"
	contains "$T/err" "previews:enable needs the admin role"
	as admin config:set shop GREETING=hi > /dev/null
	as admin previews:enable shop --pattern 'feature*' > "$T/out"
	contains "$T/out" "previews of shop on"
	git -C "$W" checkout -q feature-a && commit "$W" && push feature-a
	contains "$T/push.out" "remote: -----> Preview of 'feature-a' live at http://shop--feature-a.$PD:$HTTP_PORT/"
	branch feature/Auth_Fix b
	push feature/Auth_Fix
	contains "$T/push.out" "live at http://shop--feature-auth-fix-"
	H=$(host feature/Auth_Fix)
	expect "sanitised host" [ "$(echo "$H" | grep -cE "^shop--feature-auth-fix-[0-9a-f]{6}\.$PD\$")" = 1 ]
	expect "preview a" [ "$(http "shop--feature-a.$PD" /)" = "v=a greeting=hi db=-" ]
	expect "preview b" [ "$(http "$H" /)" = "v=b greeting=hi db=-" ]
	expect "main as it was" [ "$(http shop.localhost /)" = "v=main greeting=hi db=-" ]
	# a preview's own var over the app's, and only there
	as dev config:set shop --preview feature-a DATABASE_URL=postgres://a > "$T/out"
	expect "preview a has its own" [ "$(http "shop--feature-a.$PD" /)" = "v=a greeting=hi db=postgres://a" ]
	expect "b has not" [ "$(http "$H" /)" = "v=b greeting=hi db=-" ]
	expect "main has not" [ "$(http shop.localhost /)" = "v=main greeting=hi db=-" ]
	# a preview has no repository of its own
	expect "no push to a preview" fails git_as dev -C "$W" push "$(remote shop--feature-a)" feature-a 2> "$T/err"
	contains "$T/err" "'shop--feature-a' is a preview of app 'shop'; push its branch to 'shop'"
	# its own build log, which a deployer of the app may read
	as dev logs shop--feature-a --build > "$T/out"
	contains "$T/out" "Deploying shop--feature-a at"
	cp "$T/push.out" "$T/push.shown"
	as admin previews shop > "$T/list"
	cp "$T/list" "$T/list.shown"
	contains "$T/list" "feature/Auth_Fix"
	contains "$T/list" "http://shop--feature-a.$PD:$HTTP_PORT/"
	contains "$T/list" "live"
	expect "previews are not apps in the list" fails grep -q "shop--" <(as admin apps)
	expect "a stranger sees none" fails as stranger previews shop 2> /dev/null
	# a deployer of the app has its role on the preview
	as dev domains shop--feature-a > "$T/out"
	contains "$T/out" "shop--feature-a.$PD"
	# no app may take a preview's host
	expect "domains:add refuses a preview host" fails as admin domains:add shop "shop--feature-x.$PD" 2> "$T/err"
	contains "$T/err" "names under '$PD' are the previews' own"
}

main_unaffected_under_load() {
	local pid codes
	pid=$(as admin ps shop | awk '$1 == "web.1" && $NF == "running" {print $3}')
	: > "$T/codes"
	: > "$T/pcodes"
	( while [ ! -f "$T/stop" ]; do
		http shop.localhost / -o /dev/null -w '%{http_code}\n' >> "$T/codes" 2>&1
	done ) &
	LOOP=$!
	( while [ ! -f "$T/stop" ]; do  # the preview's own redeploy: no downtime
		http "shop--feature-a.$PD" / -o /dev/null -w '%{http_code}\n' >> "$T/pcodes" 2>&1
	done ) &
	PLOOP=$!
	git -C "$W" checkout -q feature-a && echo a2 > "$W/VERSION" &&
		git -C "$W" commit -qam a2 && push feature-a
	touch "$T/stop"
	wait "$LOOP" "$PLOOP"
	codes=$(sort "$T/codes" | uniq -c | tr -s ' \n' ' ')
	pcodes=$(sort "$T/pcodes" | uniq -c | tr -s ' \n' ' ')
	echo "    during a preview's redeploy, main:$codes the preview:$pcodes(count, HTTP code)" > "$T/figure"
	expect "requests made during the deploy ($codes)" [ "$(wc -l < "$T/codes")" -gt 5 ]
	expect "no failure on main ($codes)" [ "$(grep -vc '^200$' "$T/codes")" = 0 ]
	expect "no failure on the preview ($pcodes)" [ "$(grep -vc '^200$' "$T/pcodes")" = 0 ]
	expect "preview a redeployed" [ "$(http "shop--feature-a.$PD" /)" = "v=a2 greeting=hi db=postgres://a" ]
	expect "main's process untouched" [ "$(as admin ps shop | awk '$1 == "web.1" && $NF == "running" {print $3}')" = "$pid" ]
}

failure_rejects_its_ref_only() {
	branch feature-broken broken
	printf 'web: exit 3\n' > "$W/Procfile" && git -C "$W" commit -qam broken
	git -C "$W" checkout -q main && commit "$W" main2
	expect "the push fails" fails push main feature-broken
	contains "$T/push.out" "main -> main"
	expect "main moved" [ "$(server_rev shop refs/heads/main)" = "$(git -C "$W" rev-parse main)" ]
	contains "$T/push.out" "[remote rejected] feature-broken -> feature-broken (deploy failed"
	expect "the broken branch did not move" fails server_rev shop refs/heads/feature-broken
	expect "main serves" [ "$(http shop.localhost /)" = "v=main greeting=hi db=-" ]
	expect "a is live" [ "$(http "shop--feature-a.$PD" /)" = "v=a2 greeting=hi db=postgres://a" ]
	# --atomic: all refs or none, so the app does not deploy either
	git -C "$W" checkout -q main && echo main3 > "$W/VERSION" &&
		git -C "$W" commit -qam main3
	expect "the atomic push fails" fails push --atomic main feature-broken
	contains "$T/push.out" "[remote rejected] main -> main (atomic push failed"
	expect "main did not move" fails grep -q main3 <(http shop.localhost /)
	git -C "$W" reset -q --hard HEAD~1
}

long_name_and_cap() {
	local long=feature-$(printf 'x%.0s' $(seq 72)) h
	expect "80 characters" [ ${#long} = 80 ]
	branch "$long" long
	push "$long"
	h=$(host "$long")
	expect "one DNS label of at most 63 ($h)" [ "$(echo "${h%%.*}" | wc -L)" -le 63 ]
	expect "the long one answers" [ "$(http "$h" /)" = "v=long greeting=hi db=-" ]
	branch feature-five five
	expect "the fifth is refused" fails push feature-five
	contains "$T/push.out" "has 4 previews ([previews] max_per_app)"
	branch other x
	push other
	contains "$T/push.out" "not deployed: it does not match the preview pattern 'feature*' of shop"
}

delete_and_destroy() {
	local h
	h=$(host feature/Auth_Fix)
	push :feature-a
	contains "$T/push.out" "Destroyed the preview of branch 'feature-a'"
	expect "no route" fails grep -q "v=a" <(http "shop--feature-a.$PD" /)
	expect "no files" [ ! -e "$DATA/apps/shop--feature-a" ]
	expect "no processes" [ -z "$(pgrep -af "shim $DATA [0-9]* shop--feature-a " || true)" ]
	as dev previews:destroy shop feature/Auth_Fix > "$T/out"
	contains "$T/out" "destroyed the preview of branch 'feature/Auth_Fix'"
	expect "b gone" fails grep -q "v=b" <(http "$h" /)
	expect "main serves" [ "$(http shop.localhost /)" = "v=main greeting=hi db=-" ]
}

queued_disabled_destroyed() {
	local p1
	# a preview's build waits for the app's deploy (the app's lock)
	branch feature-q q
	git -C "$W" checkout -q main && echo mainq > "$W/VERSION" &&
		printf 'release: sleep 3\nweb: python3 server.py\n' > "$W/Procfile" &&
		git -C "$W" commit -qam mainq
	git_as admin -C "$W" push "$(remote shop)" main > "$T/p1.out" 2>&1 &
	p1=$!
	for _ in $(seq 300); do
		grep -q "Running release command" "$T/p1.out" && break
		sleep 0.1
	done
	push feature-q
	wait "$p1"
	contains "$T/push.out" "app 'shop' is busy: a push"
	contains "$T/push.out" "live at http://shop--feature-q.$PD"
	expect "main deployed" [ "$(http shop.localhost /)" = "v=mainq greeting=hi db=-" ]
	expect "q deployed" [ "$(http "shop--feature-q.$PD" /)" = "v=q greeting=hi db=-" ]
	# off again: a new branch is only stored, the previews stay
	as admin previews:disable shop > /dev/null
	branch feature-off off
	push feature-off
	contains "$T/push.out" "stored branch 'feature-off', not deployed"
	expect "q stays" [ "$(http "shop--feature-q.$PD" /)" = "v=q greeting=hi db=-" ]
	# an app's destroy takes its previews along
	git init -q "$T/cart" && cp "$W/server.py" "$W/Procfile" "$T/cart/" &&
		echo cart > "$T/cart/VERSION" && printf 'web: python3 server.py\n' > "$T/cart/Procfile" &&
		git -C "$T/cart" add . && git -C "$T/cart" commit -qm cart &&
		git -C "$T/cart" branch feature-c
	as admin apps:create cart > /dev/null
	as admin previews:enable cart > /dev/null
	git_as admin -C "$T/cart" push -q "$(remote cart)" main feature-c 2> /dev/null
	expect "cart's preview" [ "$(http "cart--feature-c.$PD" /)" = "v=cart greeting=- db=-" ]
	as admin apps:destroy cart --force > /dev/null
	expect "no cart rows" [ "$(sql "SELECT count(*) FROM apps WHERE name LIKE 'cart%';")" = 0 ]
	expect "no cart files" [ -z "$(ls "$DATA/apps" | grep cart || true)" ]
	expect "no cart route" fails grep -q "v=cart" <(http "cart--feature-c.$PD" /)
}

ttl_expires() {
	for _ in $(seq 300); do
		[ "$(sql "SELECT count(*) FROM previews;")" = 0 ] && break
		sleep 0.2
	done
	expect "every preview expired" [ "$(sql "SELECT count(*) FROM previews;")" = 0 ]
	expect "no preview dirs" [ -z "$(ls "$DATA/apps" | grep -- '--' || true)" ]
	contains "$T/serve.log" "upkeep: destroyed preview 'shop--feature"
	for _ in $(seq 100); do
		[ "$(http shop.localhost /)" = "v=mainq greeting=hi db=-" ] && break
		sleep 0.2
	done
	expect "main serves" [ "$(http shop.localhost /)" = "v=mainq greeting=hi db=-" ]
}

t off_says_stored off_says_stored
t two_previews_live two_previews_live
t main_unaffected_under_load main_unaffected_under_load
cat "$T/figure" 2> /dev/null
[ -z "${SHOW:-}" ] || sed 's/^/    | /' "$T/push.shown" "$T/list.shown"
t failure_rejects_its_ref_only failure_rejects_its_ref_only
t long_name_and_cap long_name_and_cap
t delete_and_destroy delete_and_destroy
t queued_disabled_destroyed queued_disabled_destroyed
# the same data, the proxy on the same port, now with a TTL of 2 s (a
# restart is no push: the previews' clocks run on)
stop_server
for _ in $(seq 200); do  # the proxy's old master lets go of the port
	(exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null || break
	sleep 0.1
done
E2E_HTTP_PORT=$HTTP_PORT start_server "[health]" "timeout = 10" "grace = 1" \
	"[previews]" "ttl = 2" "domain = $PD" "[upkeep]" "interval = 1"
t ttl_expires ttl_expires
finish
