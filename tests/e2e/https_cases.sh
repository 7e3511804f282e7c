# https_cases.sh - HTTPS end to end, sourced by test_https_caddy.sh and
# test_https_nginx.sh (which set ROUTER).  Let's Encrypt's test CA, pebble
# (Debian package), runs on loopback with its own HTTPS certificate made
# here; pebble-challtestsrv answers its DNS queries with 127.0.0.1, so
# pebble validates http-01 (or tls-alpn-01) for real, against berth's
# managed proxy on its test ports.  curl checks the served chain against
# pebble's root, fetched from its management API.
. "$(dirname "$0")/lib.sh"

E2E_HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
PEBBLE=$T/pebble
DOMAIN=shop.example.com

start_pebble() {
	local dns mgmt
	PEBBLE_PORT=$(free_port)
	mgmt=$(free_port)
	dns=$(free_port)
	PEBBLE_MGMT=$mgmt
	mkdir -p "$PEBBLE" && chmod 755 "$PEBBLE"
	# pebble's own HTTPS: a CA (what berth's acme_ca_root trusts) and a
	# certificate for 127.0.0.1 signed by it
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-ca \
		-keyout "$PEBBLE/ca.key" -out "$PEBBLE/ca.pem" 2> /dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
		-keyout "$PEBBLE/key.pem" -out "$PEBBLE/req.pem" 2> /dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$PEBBLE/ext"
	openssl x509 -req -in "$PEBBLE/req.pem" -CA "$PEBBLE/ca.pem" \
		-CAkey "$PEBBLE/ca.key" -CAcreateserial -days 2 \
		-extfile "$PEBBLE/ext" -out "$PEBBLE/cert.pem" 2> /dev/null
	chmod 644 "$PEBBLE/ca.pem"
	cat > "$PEBBLE/config.json" <<-EOF
	{"pebble": {"listenAddress": "127.0.0.1:$PEBBLE_PORT",
	  "managementListenAddress": "127.0.0.1:$mgmt",
	  "certificate": "$PEBBLE/cert.pem", "privateKey": "$PEBBLE/key.pem",
	  "httpPort": $E2E_HTTP_PORT, "tlsPort": $HTTPS_PORT,
	  "ocspResponderURL": "", "externalAccountBindingRequired": false}}
	EOF
	pebble-challtestsrv -management "127.0.0.1:$(free_port)" \
		-dns01 "127.0.0.1:$dns" -http01 "" -https01 "" -tlsalpn01 "" \
		-defaultIPv4 127.0.0.1 -defaultIPv6 "" > "$PEBBLE/dns.log" 2>&1 &
	DNS_PID=$!
	PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
		pebble -config "$PEBBLE/config.json" -dnsserver "127.0.0.1:$dns" \
		> "$PEBBLE/pebble.log" 2>&1 &
	PEBBLE_PID=$!
	for _ in $(seq 100); do
		curl -sf --cacert "$PEBBLE/ca.pem" -o "$PEBBLE/root.pem" \
			"https://127.0.0.1:$mgmt/roots/0" && return 0
		sleep 0.1
	done
	cat "$PEBBLE/pebble.log"; echo "FAIL setup: pebble did not start"; exit 1
}

stop_pebble() {
	[ -n "${PEBBLE_PID:-}" ] && kill "$PEBBLE_PID" 2> /dev/null
	[ -n "${DNS_PID:-}" ] && kill "$DNS_PID" 2> /dev/null
	wait "$PEBBLE_PID" "$DNS_PID" 2> /dev/null || true  # not our child inside `t`
	PEBBLE_PID= DNS_PID=
	return 0
}

start_pebble
trap 'stop_pebble; cleanup' EXIT
DASH=berth.example.org
E2E_HTTPS=auto start_server "[router]" "https_listen = 127.0.0.1:$HTTPS_PORT" \
	"acme_email = ops@example.com" "acme_ca = https://127.0.0.1:$PEBBLE_PORT/dir" \
	"acme_ca_root = $PEBBLE/ca.pem" "base_domain = example.net" \
	"[dashboard]" "listen = $T/web.sock" "host = $DASH"

# https HOST [curl-args...]: GET / over HTTPS, the chain checked against
# pebble's root
https() {
	local host=$1
	shift
	curl -sS -m 10 --resolve "$host:$HTTPS_PORT:127.0.0.1" \
		--cacert "$PEBBLE/root.pem" "$@" "https://$host:$HTTPS_PORT/"
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

shop_https() { # shop_https [NAME]
	https "${1:-$DOMAIN}" -o "$T/body" && grep -q "shop one" "$T/body"
}

# the dashboard's host gets the apps' HTTPS; its login link says https
# and its cookie is Secure
dash_health() {
	curl -sS -m 10 --resolve "$DASH:$HTTPS_PORT:127.0.0.1" \
		--cacert "$PEBBLE/root.pem" "https://$DASH:$HTTPS_PORT/health" |
		grep -qx ok
}

dashboard_https() {
	local url
	expect "the dashboard over verified HTTPS" until_ok 90 dash_health
	url=$(as admin dashboard:login | head -1)
	expect "an https link" [ "${url%%/login*}" = "https://$DASH:$HTTPS_PORT" ]
	curl -sS -m 10 --resolve "$DASH:$HTTPS_PORT:127.0.0.1" \
		--cacert "$PEBBLE/root.pem" -D "$T/h" -o /dev/null "$url"
	grep -i '^set-cookie:' "$T/h" > "$T/out"
	contains "$T/out" "; Secure"
}

obtain_and_serve() {
	local d=$T/shop
	git init -q "$d"
	echo "<h1>shop one</h1>" > "$d/index.html"
	git -C "$d" add . && git -C "$d" commit -qm one
	git_as admin -C "$d" push -q "$(remote shop)" main
	as admin domains:add shop "$DOMAIN" > "$T/out" 2>&1
	contains "$T/out" "added $DOMAIN to shop"
	expect "the app over HTTPS, its chain verified with pebble's root" \
		until_ok 90 shop_https
	# the certificate is pebble's, for this name
	https "$DOMAIN" -o /dev/null -w '%{ssl_verify_result}' > "$T/out"
	contains "$T/out" 0
	echo | openssl s_client -connect "127.0.0.1:$HTTPS_PORT" \
		-servername "$DOMAIN" 2> /dev/null | openssl x509 -noout -text > "$T/out"
	contains "$T/out" "DNS:$DOMAIN"
	contains "$T/out" "Pebble Intermediate"
}

# the app's default name (APP.BASE_DOMAIN) gets its certificate with no
# command: Caddy by itself, for nginx berth serve's repair pass
default_name() {
	expect "shop.example.net over verified HTTPS" \
		until_ok 90 shop_https shop.example.net
}

http_redirects() {
	local code
	until_ok 60 sh -c "curl -s -o /dev/null -w '%{http_code}' -H 'Host: $DOMAIN' \
		http://127.0.0.1:$HTTP_PORT/x?y=1 | grep -qx 308"
	http "$DOMAIN" "/x?y=1" -o /dev/null -w '%{redirect_url}' > "$T/out"
	contains "$T/out" "https://$DOMAIN:$HTTPS_PORT/x?y=1"
	# names under .localhost stay plain HTTP
	as admin domains:add shop shop.localhost > "$T/out" 2>&1
	expect "no word of a certificate" fails grep -qi certificate "$T/out"
	http shop.localhost / > "$T/out"; contains "$T/out" "shop one"
	code=$(https shop.localhost -o /dev/null -w '%{http_code}' 2> /dev/null) || true
	expect "no certificate for shop.localhost" [ "$code" != 200 ]
}

# The proxy's TCP listeners are exactly http_listen and https_listen:
# nothing on *:443, *:80 or any other address.
listens_where_told() {
	local pids
	case $ROUTER in
	caddy) pids=$(cat "$DATA/router/caddy/home/caddy.pid") ;;
	nginx) pids=$(cat "$DATA/router/nginx/nginx.pid")
	       pids="$pids $(cat /proc/$pids/task/$pids/children)" ;;
	esac
	ss -Hltnp > "$T/ss"
	: > "$T/mine"
	for p in $pids; do
		grep "pid=$p," "$T/ss" | awk '{print $4}' >> "$T/mine"
	done
	sort -u "$T/mine" > "$T/got"
	printf '127.0.0.1:%s\n127.0.0.1:%s\n' "$HTTP_PORT" "$HTTPS_PORT" | sort > "$T/want"
	diff -u "$T/want" "$T/got"
}

serial() { # the serial of the certificate served for $DOMAIN
	echo | openssl s_client -connect "127.0.0.1:$HTTPS_PORT" \
		-servername "$DOMAIN" 2> /dev/null | openssl x509 -noout -serial
}

# nginx: certbot renews (here forced, as `certbot renew` does near the
# end of a certificate); berth serve notices the new files and reloads
# nginx, which then serves the new certificate
renewed_is_served() {
	local before cb=$DATA/router/certbot
	before=$(serial)
	[ -n "$before" ]
	REQUESTS_CA_BUNDLE=$PEBBLE/ca.pem certbot renew --force-renewal --no-random-sleep-on-renew \
		--non-interactive --config-dir "$cb/config" --work-dir "$cb/work" \
		--logs-dir "$cb/logs" --server "https://127.0.0.1:$PEBBLE_PORT/dir" \
		> "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	expect "the renewed certificate served within a minute" \
		until_ok 60 sh -c "[ \"\$(echo | openssl s_client -connect 127.0.0.1:$HTTPS_PORT \
		-servername $DOMAIN 2> /dev/null | openssl x509 -noout -serial)\" != '$before' ]"
	shop_https
}

status_says_ok() {
	as admin status > "$T/out"
	contains "$T/out" "https:             $DOMAIN (app shop): certificate OK"
	as admin status --json > "$T/out"
	contains "$T/out" "\"domain\": \"$DOMAIN\""
}

removed_not_served() {
	as admin domains:remove shop "$DOMAIN" > /dev/null
	if https "$DOMAIN" -o /dev/null 2> "$T/out"; then
		echo "the removed domain is still served over HTTPS"; return 1
	fi
	http "$DOMAIN" / -o /dev/null -w '%{http_code}' > "$T/code"
	contains "$T/code" 404
	# https_listen still speaks only TLS, and shows no certificate for
	# the name (not plain HTTP, not shop.example.net's)
	if curl -sk -m 10 --resolve "$DOMAIN:$HTTPS_PORT:127.0.0.1" \
	    "https://$DOMAIN:$HTTPS_PORT/" -o /dev/null 2> "$T/out"; then
		echo "https_listen answered without a certificate"; return 1
	fi
	expect "a TLS refusal, not plain HTTP" fails grep -q "wrong version" "$T/out"
}

# ACME fails (the CA is gone): the domain is served over HTTP, and status
# says why it has no certificate
acme_fails() {
	local d=failing.example.com
	stop_pebble
	as admin domains:add shop "$d" > "$T/out" 2>&1
	contains "$T/out" "added $d to shop"
	case $ROUTER in
	caddy) contains "$T/out" "Caddy is getting a certificate for $d" ;;
	nginx) contains "$T/out" "berth: no certificate for $d: "
	       contains "$T/out" "berth: $d is served over HTTP" ;;
	esac
	http "$d" / > "$T/out"; contains "$T/out" "shop one"
	until_ok 60 sh -c "'$BERTH' -c '$T/berth.ini' status | grep -qi \
		'https:             $d (app shop): NO CERTIFICATE, served over HTTP: .*connection refused'"
	http "$d" / > "$T/out"; contains "$T/out" "shop one"
}
