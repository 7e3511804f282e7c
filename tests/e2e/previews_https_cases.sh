# previews_https_cases.sh - HTTPS for preview deploys with one wildcard
# certificate ([previews] cert and key), sourced by test_previews_https.sh
# (Caddy) and test_previews_https_nginx.sh (which set ROUTER).  A CA made
# here with openssl issues *.preview.test; two previews answer over HTTPS
# with it (curl checks the chain against that CA, openssl the subject),
# their HTTP redirects there, and no ACME order is made for them (the CA
# berth is pointed at does not even exist); the operator's renewed file
# is served within a repair pass, and a half-done renewal is refused
# while the old certificate serves on; a destroyed preview leaves no route or
# file behind; bad files are refused at load with what is wrong; without
# a wildcard, previews answer over plain HTTP and the push says why.
. "$(dirname "$0")/lib.sh"

HTTPS_PORT=$(free_port)
PD=preview.test
CA=$T/ca
W=$T/w

# leaf NAME CN SAN: a certificate CA/NAME.pem (key NAME.key) signed by CA
leaf() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" \
		-keyout "$CA/$1.key" -out "$CA/$1.req" 2> /dev/null &&
		printf 'subjectAltName=%s\n' "$3" > "$CA/$1.ext" &&
		openssl x509 -req -in "$CA/$1.req" -CA "$CA/ca.pem" \
			-CAkey "$CA/ca.key" -CAcreateserial -days 2 \
			-extfile "$CA/$1.ext" -out "$CA/$1.pem" 2> /dev/null
}

make_ca() {
	mkdir -p "$CA"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-subj /CN=berth-previews-test-ca -keyout "$CA/ca.key" \
		-out "$CA/ca.pem" 2> /dev/null &&
		leaf wild "previews one" "DNS:*.$PD" &&
		leaf renewed "previews two" "DNS:*.$PD" &&
		leaf other "elsewhere" "DNS:*.other.test" ||
		{ echo "FAIL setup: openssl"; exit 1; }
	# what the operator installs: chain (leaf, CA) and key
	cat "$CA/wild.pem" "$CA/ca.pem" > "$CA/chain.pem"
	cp "$CA/wild.key" "$CA/key.pem"
}

make_ca
WILD=("[previews]" "domain = $PD" "cert = $CA/chain.pem" "key = $CA/key.pem")
# HTTPS on; the apps stay under .localhost (plain HTTP), and the ACME CA is
# a port nobody listens on: any order would fail and be logged
HTTPS_CONF=("[router]" "https_listen = 127.0.0.1:$HTTPS_PORT"
	"acme_ca = https://127.0.0.1:9/dir")
E2E_HTTPS=auto start_server "[health]" "timeout = 10" "grace = 1" \
	"${HTTPS_CONF[@]}" "${WILD[@]}"

# https HOST [curl-args...]: GET / over HTTPS, the chain checked against
# the test CA
https() {
	local host=$1
	shift
	curl -sS -m 10 --resolve "$host:$HTTPS_PORT:127.0.0.1" \
		--cacert "$CA/ca.pem" "$@" "https://$host:$HTTPS_PORT/"
}

# subject HOST: the subject of the certificate served for HOST
subject() {
	echo | openssl s_client -connect "127.0.0.1:$HTTPS_PORT" \
		-servername "$1" 2> /dev/null | openssl x509 -noout -subject
}

# until_ok SECONDS COMMAND...: poll (a loaded machine may be slow)
until_ok() {
	local deadline=$(( $(date +%s) + $1 ))
	shift
	until "$@" > /dev/null 2>&1; do
		[ "$(date +%s)" -lt "$deadline" ] || { "$@"; return 1; }
		sleep 0.5
	done
}

says() { # says HOST TEXT: HOST answers TEXT over verified HTTPS
	[ "$(https "$1")" = "$2" ]
}

push() { git_as admin -C "$W" push "$(remote shop)" "$@" > "$T/push.out" 2>&1; }

# branch NAME VERSION: a branch of the app that says VERSION
branch() {
	git -C "$W" checkout -q main && git -C "$W" checkout -q -B "$1" &&
		echo "$2" > "$W/VERSION" && git -C "$W" commit -qam "$2"
}

web_app() {
	git init -q "$W"
	cat > "$W/server.py" <<'PY'
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("v=%s\n" % open("VERSION").read().strip()).encode()
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

A=shop--feature-a.$PD
B=shop--feature-b.$PD

two_previews_https() {
	web_app
	as admin previews:enable shop > "$T/out"
	contains "$T/out" "deploys it at https://shop--BRANCH.$PD:$HTTPS_PORT/"
	branch feature-a a && push feature-a
	contains "$T/push.out" "remote: -----> Preview of 'feature-a' live at https://$A:$HTTPS_PORT/"
	expect "no word of plain HTTP" fails grep -q "plain HTTP" "$T/push.out"
	branch feature-b b && push feature-b
	contains "$T/push.out" "live at https://$B:$HTTPS_PORT/"
	expect "a over verified HTTPS" until_ok 30 says "$A" "v=a"
	expect "b over verified HTTPS" until_ok 30 says "$B" "v=b"
	subject "$A" > "$T/out"; contains "$T/out" "CN = previews one"
	subject "$B" > "$T/out"; contains "$T/out" "CN = previews one"
	# HTTP redirects to HTTPS, as for an app with a certificate
	http "$A" "/x?y=1" -o /dev/null -w '%{http_code} %{redirect_url}' > "$T/out"
	contains "$T/out" "308 https://$A:$HTTPS_PORT/x?y=1"
	as admin previews shop > "$T/out"
	contains "$T/out" "https://$B:$HTTPS_PORT/"
	# the app itself, under .localhost, is untouched: plain HTTP
	expect "main over HTTP" [ "$(http shop.localhost /)" = "v=main" ]
}

# no ACME order for any preview host: Caddy logged none, certbot made none
no_acme() {
	case $ROUTER in
	caddy) grep -E "$A|$B" "$DATA/router/caddy/caddy.log" > "$T/out" || true
	       expect "no ACME work for a preview host in Caddy's log" \
		fails grep -iE "obtain|acme|issu|error" "$T/out" ;;
	nginx) expect "no certbot lineage" \
		[ ! -e "$DATA/router/certbot/config/live/$A" ] ;;
	esac
	expect "no failure noted" [ ! -e "$DATA/router/tls/failed/$A" ]
}

# the operator replaces the files (a renewal): a half-done one (the new
# chain, the old key) is refused with why, the previous certificate
# serves on and deploys go on; the finished one is served within a pass
renewed() {
	cat "$CA/renewed.pem" "$CA/ca.pem" > "$CA/chain.pem.new"
	mv "$CA/chain.pem.new" "$CA/chain.pem"
	expect "the half-done renewal refused, with why" until_ok 60 grep -qF \
		"previews: not serving the new wildcard certificate: [previews] key: '$CA/key.pem' is not the key of the certificate in '$CA/chain.pem'; the previous one serves on" \
		"$T/serve.log"
	subject "$A" > "$T/out"; contains "$T/out" "CN = previews one"
	as admin status --json | python3 -c 'import json,sys
for d in json.load(sys.stdin)["https"]:
    if d["domain"] == sys.argv[1]: print(d["https"], d["error"])' "$A" > "$T/out"
	contains "$T/out" "True [previews] key: '$CA/key.pem' is not the key of the certificate in '$CA/chain.pem'"
	git -C "$W" checkout -q feature-b && echo b2 > "$W/VERSION" &&
		git -C "$W" commit -qam b2 && push feature-b
	contains "$T/push.out" "live at https://$B:$HTTPS_PORT/"
	expect "b redeployed meanwhile" until_ok 30 says "$B" "v=b2"
	local t0=$(date +%s.%N)
	cp "$CA/renewed.key" "$CA/key.pem.new" && mv "$CA/key.pem.new" "$CA/key.pem"
	expect "the renewed certificate served" until_ok 90 \
		sh -c "echo | openssl s_client -connect 127.0.0.1:$HTTPS_PORT \
		-servername $A 2> /dev/null | openssl x509 -noout -subject |
		grep -q 'CN = previews two'"
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }' \
		> "$T/secs"
	echo "    the renewed certificate served $(cat "$T/secs") s after the" \
		"files were replaced" > "$T/figure"
	expect "a still answers" says "$A" "v=a"
	expect "b too" says "$B" "v=b2"
	as admin status > "$T/out"
	contains "$T/out" "$A (app shop--feature-a): certificate OK"
	expect "refused once" [ "$(grep -c "not serving the new wildcard" "$T/serve.log")" = 1 ]
}

destroyed_leaves_nothing() {
	as admin previews:destroy shop feature-b > /dev/null
	expect "b no longer answers" fails says "$B" "v=b2"
	expect "a still answers" says "$A" "v=a"
	case $ROUTER in
	caddy) expect "b not in Caddy's config" \
		fails grep -q "$B" "$DATA/router/caddy/config.json" ;;
	nginx) expect "b in no nginx file" fails grep -rq "$B" "$DATA/router/nginx" ;;
	esac
	expect "no certificate file of b" [ -z "$(find "$DATA/router" -name "*$B*")" ]
	expect "the one copy of the wildcard" [ "$(ls "$DATA/router/tls/previews")" = \
		"$(printf 'cert.pem\nkey.pem')" ]
}

# check CONFIG-LINES...: `berth check` of this config with the lines added
check() {
	sed '/^\[previews\]/,$d' "$T/berth.ini" > "$T/bad.ini"
	printf '%s\n' "[previews]" "domain = $PD" "$@" >> "$T/bad.ini"
	"$BERTH" -c "$T/bad.ini" check > "$T/check.out" 2>&1
}

bad_config_refused() {
	cat "$CA/other.pem" "$CA/ca.pem" > "$CA/other-chain.pem"
	expect "a key that is not the cert's refused" fails check \
		"cert = $CA/chain.pem" "key = $CA/wild.key"
	contains "$T/check.out" "[previews] key: '$CA/wild.key' is not the key of the certificate in '$CA/chain.pem'"
	expect "a cert for another domain refused" fails check \
		"cert = $CA/other-chain.pem" "key = $CA/other.key"
	contains "$T/check.out" "does not cover the preview hosts (*.$PD;"
	expect "cert without key refused" fails check "cert = $CA/chain.pem"
	contains "$T/check.out" "[previews] cert and key: set both"
	expect "a file that is no certificate refused" fails check \
		"cert = $CA/wild.ext" "key = $CA/key.pem"
	contains "$T/check.out" "holds no PEM certificate"
	expect "a missing key refused" fails check \
		"cert = $CA/chain.pem" "key = $CA/nope.key"
	contains "$T/check.out" "cannot read '$CA/nope.key'"
	expect "the good pair passes" check "cert = $CA/chain.pem" "key = $CA/key.pem"
}

# no wildcard, HTTPS on: previews stay on plain HTTP and the push says why
no_wildcard_plain_http() {
	git -C "$W" checkout -q feature-a && echo a2 > "$W/VERSION" &&
		git -C "$W" commit -qam a2 && push feature-a
	expect "a over HTTP, no redirect" until_ok 30 sh -c \
		"[ \"\$(curl -sS -m 10 -H 'Host: $A' http://127.0.0.1:$HTTP_PORT/)\" = v=a2 ]"
	expect "nothing over HTTPS" fails says "$A" "v=a2"
	expect "no copy of the key left" [ -z "$(ls "$DATA/router/tls/previews")" ]
	as admin status > "$T/out"
	contains "$T/out" "$A (app shop--feature-a): NO CERTIFICATE, served over HTTP: previews get no ACME certificate; set [previews] cert and key to a wildcard certificate for *.$PD"
	no_acme
	contains "$T/push.out" "live at http://$A:$HTTP_PORT/"
	contains "$T/push.out" "remote:        over plain HTTP: previews get no ACME certificate; set [previews] cert and key to a wildcard certificate for *.$PD"
}

t "two previews over HTTPS with the one wildcard certificate" two_previews_https
t "no ACME order for a preview host" no_acme
t "a renewed wildcard file is served without a restart" renewed
cat "$T/figure" 2> /dev/null
t "a destroyed preview leaves no route or certificate" destroyed_leaves_nothing
t "bad [previews] cert/key refused with what is wrong" bad_config_refused
stop_server
for _ in $(seq 200); do  # the proxy's old master lets go of the port
	(exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null || break
	sleep 0.1
done
E2E_HTTP_PORT=$HTTP_PORT E2E_HTTPS=auto start_server "[health]" "timeout = 10" \
	"grace = 1" "${HTTPS_CONF[@]}" "[previews]" "domain = $PD"
t "no wildcard: previews on plain HTTP, the push says why" no_wildcard_plain_http
finish
