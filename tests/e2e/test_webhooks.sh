# test_webhooks.sh - deploys from a Git host, with no network: a host
# stand-in on loopback (git http-backend behind python's CGI server over
# TLS, its certificate trusted through SSL_CERT_FILE as a system CA would
# be; and OpenSSH's sshd for an ssh URL with berth's deploy key), signed
# deliveries made here with openssl.  apps:source, apps:pull, POST
# /hooks/APP: a push event deploys in the background; a wrong signature is
# 401 with an audit row and no deploy; a replay is ignored; another branch
# is 202; a host that is down fails the deploy and leaves the live
# release serving; the rate limit answers 429.
. "$(dirname "$0")/lib.sh"
HOST=$T/githost
mkdir -p "$HOST/repos" "$HOST/cgi-bin"
printf '#!/bin/sh\nexec git http-backend\n' > "$HOST/cgi-bin/git"
chmod 755 "$HOST/cgi-bin/git"
# Debian's libgit2 (mbedTLS) matches DNS names only: the host is localhost
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
	-keyout "$HOST/key.pem" -out "$HOST/cert.pem" 2>/dev/null
HOST_PORT=$(free_port)
WEB_PORT=$(free_port)
W="http://127.0.0.1:$WEB_PORT"
URL="https://localhost:$HOST_PORT/cgi-bin/git/site.git"
start_server "[dashboard]" "listen = 127.0.0.1:$WEB_PORT" \
	"[webhooks]" "rate_limit = 20" "ca_file = $HOST/cert.pem" \
	"fetch_timeout = 3"

host_up() {
	python3 "$REPO/tests/e2e/standins/githost.py" "$HOST" "$HOST_PORT" \
		"$HOST/cert.pem" "$HOST/key.pem" > "$T/githost.log" 2>&1 &
	echo $! > "$T/githost.pid"
	for _ in $(seq 300); do
		grep -q ready "$T/githost.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

web_up() {
	for _ in $(seq 300); do
		[ "$(curl -s -m 2 "$W/health" 2>/dev/null)" = ok ] && return 0
		sleep 0.1
	done
	return 1
}

# t runs each step in a subshell: what later steps need is kept in files
secret() { cat "$T/secret"; }
served() { http site.localhost / | grep -q "$1"; } # served TEXT
says() { as admin "$@" > "$T/said" 2>&1; } # says CMD...: its output in $T/said
said() { grep -q -- "$1" "$T/said"; }
audit_has() { as admin audit "$1" | grep -q "$2"; } # audit_has APP TEXT

# deliver ID EVENT BODY-FILE [SECRET]: a GitHub delivery; its status code
deliver() {
	local sig
	sig=$(openssl dgst -sha256 -hmac "${4:-$(secret)}" < "$3" | sed 's/^.* //')
	curl -s -m 20 -o "$T/answer" -w '%{http_code}' -X POST \
		-H "X-GitHub-Event: $2" -H "X-GitHub-Delivery: $1" \
		-H "X-Hub-Signature-256: sha256=$sig" \
		-H 'Content-Type: application/json' --data-binary @"$3" \
		"$W/hooks/site"
}

# post BODY-FILE HEADER...: a delivery with these headers; its status code
post() {
	local body=$1
	shift
	curl -s -m 20 -o "$T/answer" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' "${@/#/-H}" \
		--data-binary @"$body" "$W/hooks/site"
}

push_body() { # push_body REF SHA > file
	printf '{"ref":"%s","after":"%s","repository":{"full_name":"t/site"}}' \
		"$1" "$2"
}

# deploys of kind KIND of app site that have ended
ended() { sql "SELECT count(*) FROM deploys WHERE kind = '$1' AND status != 'running';"; }
wait_ended() { # wait_ended KIND N: up to 120 s for N ended deploys
	for _ in $(seq 1200); do
		[ "$(ended "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "    deploys: $(sql 'SELECT kind, status, reason FROM deploys;')"
	return 1
}

setup() {
	expect "the host stand-in starts" host_up
	expect "the endpoint answers" web_up
	git init -q --bare "$HOST/repos/site.git"
	new_repo "$T/work"
	git -C "$T/work" push -q "$HOST/repos/site.git" main
	expect "apps:create" as admin apps:create site
	as admin keys:add dev < "$T/dev.pub"
	as admin grant dev site deployer
	expect "apps:source sets an https source" says apps:source site "$URL" \
	    --branch main
	expect "no deploy key for https" fails said 'deploy key'
	expect "apps:source shows it" says apps:source site
	expect "with its branch" said 'branch: main'
	expect "a bad branch is refused" fails as admin apps:source site "$URL" \
	    --branch ../x
	expect "a deployer cannot set the source" fails as dev apps:source site "$URL"
	expect "a bad URL is refused" fails as admin apps:source site \
	    'ext::sh -c touch% /tmp/x'
	expect "an http URL is refused" fails as admin apps:source site \
	    "http://127.0.0.1:$HOST_PORT/x.git"
	expect "a deployer cannot make the webhook secret" fails as dev \
	    webhooks:secret site
	as admin webhooks:secret site > "$T/secret.old"
	as admin webhooks:secret site > "$T/secret"
	expect "webhooks:secret prints 64 hex digits" grep -Eqx '[0-9a-f]{64}' \
	    "$T/secret"
	expect "and rotates it" fails cmp -s "$T/secret" "$T/secret.old"
	expect "the secret is sealed in the db" fails sh -c \
	    "sqlite3 '$DATA/berth.db' .dump | grep -q $(secret)"
	expect "the audit holds no secret" fails audit_has site "$(secret)"
}

pull_now() {
	expect "apps:pull deploys" says apps:pull site
	expect "its log streams" said '-----> Fetching main from'
	expect "it says it was released" said 'Released v1'
	expect "served through the proxy" served '<h1>work</h1>'
	expect "the branch moved to the host's tip" [ "$(server_rev site main)" = \
	    "$(git -C "$T/work" rev-parse HEAD)" ]
	expect "deploys shows kind pull" says deploys site
	expect "(pull)" said ' pull '
	expect "logs --build names the pull" says logs site --build
	expect "(pull of main from URL)" said "Deploying site at .* (pull of main from $URL)"
	expect "a second pull" says apps:pull site
	expect "is already live" said 'already live'
	expect "a deployer may pull" as dev apps:pull site
}

push_event() {
	echo '<h1>v2</h1>' > "$T/work/index.html"
	git -C "$T/work" commit -qam v2
	git -C "$T/work" push -q "$HOST/repos/site.git" main
	push_body refs/heads/main "$(git -C "$T/work" rev-parse HEAD)" > "$T/push.json"
	t0=$(date +%s%N)
	expect "a signed push: 202" [ "$(deliver d-1 push "$T/push.json")" = 202 ]
	echo "a push delivery answered in $(( ($(date +%s%N) - t0) / 1000000 )) ms" \
	    >> "$T/figures"
	expect "it says it deploys" grep -q 'accepted: deploying' "$T/answer"
	expect "the webhook deploy ends" wait_ended webhook 1
	echo "delivery to v2 served: $(( ($(date +%s%N) - t0) / 1000000 )) ms" \
	    >> "$T/figures"
	expect "it succeeded" [ "$(sql "SELECT status FROM deploys WHERE
	    kind = 'webhook';")" = succeeded ]
	expect "v2 is served" served v2
	expect "logs --build" says logs site --build
	expect "names the trigger" said \
	    'Deploying site at .* (webhook from github, delivery d-1)'
	expect "deploys shows kind webhook" says deploys site
	expect "(webhook)" said ' webhook '
	expect "audited" audit_has site 'webhook push site delivery d-1'
	expect "the branch moved" [ "$(server_rev site main)" = \
	    "$(git -C "$T/work" rev-parse HEAD)" ]
}

refusals() {
	local n
	n=$(sql "SELECT count(*) FROM deploys;")
	expect "a replay: 202, ignored" [ "$(deliver d-1 push "$T/push.json")" = 202 ]
	expect "it says so" grep -q 'seen before' "$T/answer"
	expect "a wrong signature: 401" \
	    [ "$(deliver d-2 push "$T/push.json" not-the-secret)" = 401 ]
	expect "with an audit row" sh -c "sqlite3 '$DATA/berth.db' \"SELECT outcome
	    FROM audit WHERE fingerprint = 'webhook:github'\" | grep -qx 'bad signature'"
	expect "no signature at all: 401" [ "$(curl -s -o /dev/null -w '%{http_code}' \
	    -X POST --data-binary @"$T/push.json" "$W/hooks/site")" = 401 ]
	push_body refs/heads/dev "$(git -C "$T/work" rev-parse HEAD)" > "$T/dev.json"
	expect "a push to another branch: 202" [ "$(deliver d-3 push "$T/dev.json")" = 202 ]
	expect "with its reason" grep -q 'refs/heads/dev ignored' "$T/answer"
	echo '{"zen":"x"}' > "$T/ping.json"
	expect "a ping: 200" [ "$(deliver d-4 ping "$T/ping.json")" = 200 ]
	expect "another event: 202" [ "$(deliver d-5 issues "$T/ping.json")" = 202 ]
	expect "a lying body: 400" [ "$(deliver d-6 push "$T/ping.json")" = 400 ]
	expect "an unknown app: 404" [ "$(curl -s -o /dev/null -w '%{http_code}' \
	    -X POST --data-binary x "$W/hooks/nope")" = 404 ]
	sleep 1 # a wrongly started deploy would have its row by now
	expect "none of them deployed" [ "$(sql "SELECT count(*) FROM deploys;")" = "$n" ]
}

host_down() {
	kill "$(cat "$T/githost.pid")"
	echo '<h1>v3</h1>' > "$T/work/index.html"
	git -C "$T/work" commit -qam v3
	git -C "$T/work" push -q "$HOST/repos/site.git" main
	push_body refs/heads/main "$(git -C "$T/work" rev-parse HEAD)" > "$T/v3.json"
	expect "accepted while the host is down" [ "$(deliver d-7 push "$T/v3.json")" = 202 ]
	expect "the webhook deploy ends" wait_ended webhook 2
	expect "it failed on the fetch" [ "$(sql "SELECT status, reason FROM deploys
	    WHERE kind = 'webhook' ORDER BY id DESC LIMIT 1;" | grep -c \
	    '^failed|cannot connect to the source')" = 1 ]
	expect "v2 still served" served v2
	expect "the branch did not move" [ "$(server_rev site main)" = \
	    "$(git -C "$T/work" rev-parse HEAD~1)" ]
	expect "apps:pull fails too" fails says apps:pull site
	expect "with the reason" said 'pull failed: cannot connect to the source'
	expect "the host is back" host_up
	expect "apps:pull deploys v3" says apps:pull site
	expect "v3 is served" served v3
}

# a commit that does not build: the webhook's deploy fails as a push's
# would, the branch stays, the live release keeps serving
failed_build() {
	local before
	before=$(server_rev site main)
	printf 'web: ./server | tee log\n' > "$T/work/Procfile"
	git -C "$T/work" add Procfile
	git -C "$T/work" commit -qm "bad Procfile"
	git -C "$T/work" push -q "$HOST/repos/site.git" main
	push_body refs/heads/main "$(git -C "$T/work" rev-parse HEAD)" > "$T/bad.json"
	expect "accepted" [ "$(deliver d-8 push "$T/bad.json")" = 202 ]
	expect "the webhook deploy ends" wait_ended webhook 3
	expect "it failed on the Procfile" [ "$(sql "SELECT status FROM deploys
	    WHERE kind = 'webhook' ORDER BY id DESC LIMIT 1;")" = failed ]
	expect "the branch stayed" [ "$(server_rev site main)" = "$before" ]
	expect "v3 still served" served v3
	git -C "$T/work" rm -q Procfile
	git -C "$T/work" commit -qm "no Procfile"
	git -C "$T/work" push -q "$HOST/repos/site.git" main
}

local_pull() { # with the system's CAs, which do not know the host's
	grep -v '^ca_file' "$T/berth.ini" > "$T/system-ca.ini"
	"$BERTH" -c "$T/system-ca.ini" apps:pull site > "$T/said" 2>&1
}

untrusted_cert() {
	expect "a pull without the CA fails" fails local_pull
	expect "on the certificate" grep -qi 'certificate' "$T/said"
}

other_hosts() {
	local sig
	expect "gitlab, a wrong token: 401" [ "$(post "$T/dev.json" \
	    'X-Gitlab-Token: nope' 'X-Gitlab-Event: Push Hook')" = 401 ]
	expect "audited as webhook:gitlab" [ "$(sql "SELECT outcome FROM audit
	    WHERE fingerprint = 'webhook:gitlab';")" = 'bad signature' ]
	expect "gitlab, the token, another branch: 202" [ "$(post "$T/dev.json" \
	    "X-Gitlab-Token: $(secret)" 'X-Gitlab-Event: Push Hook' \
	    'X-Gitlab-Event-UUID: gl-1')" = 202 ]
	expect "ignored, with the reason" grep -q 'refs/heads/dev ignored' "$T/answer"
	sig=$(openssl dgst -sha256 -hmac "$(secret)" < "$T/dev.json" | sed 's/^.* //')
	expect "forgejo, signed: 202" [ "$(post "$T/dev.json" \
	    "X-Forgejo-Signature: $sig" 'X-Forgejo-Event: push' \
	    'X-Forgejo-Delivery: fj-1')" = 202 ]
	expect "gitea, signed, another event: 202" [ "$(post "$T/dev.json" \
	    "X-Gitea-Signature: $sig" 'X-Gitea-Event: issues' \
	    'X-Gitea-Delivery: gt-1')" = 202 ]
	expect "gitea, the signature of another body: 401" [ "$(post \
	    "$T/push.json" "X-Gitea-Signature: $sig" 'X-Gitea-Event: push')" = 401 ]
}

# a host that takes the connection and never answers: the pull gives up
# after fetch_timeout and the app's lock is free again
stalled_host() {
	local sp t0 ms
	sp=$(free_port)
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
time.sleep(120)' "$sp" &
	echo $! > "$T/stall.pid"
	sleep 0.5
	as admin apps:create stall > /dev/null
	as admin apps:source stall "https://localhost:$sp/x.git" > /dev/null
	t0=$(date +%s%N)
	expect "a stalled host fails the pull" fails says apps:pull stall
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	kill "$(cat "$T/stall.pid")"
	expect "naming fetch_timeout" said 'no answer within \[webhooks\] fetch_timeout'
	expect "after about 3 s ($ms ms)" [ "$ms" -ge 2500 ] && [ "$ms" -lt 30000 ]
	echo "a stalled host given up after $ms ms (fetch_timeout = 3)" >> "$T/figures"
	expect "recorded as a failed pull" [ "$(sql "SELECT d.status FROM deploys d
	    JOIN apps a ON a.id = d.app_id WHERE a.name = 'stall';")" = failed ]
}

rate_limit() {
	local code i
	for i in $(seq 30); do
		code=$(deliver "r-$i" ping "$T/ping.json")
		[ "$code" = 429 ] && break
	done
	expect "the rate limit answers 429 (got $code at $i)" [ "$code" = 429 ]
	# the deliveries of the minute before count too
	expect "within [webhooks] rate_limit deliveries a minute ($i)" [ "$i" -le 21 ]
}

sshd_source() {
	local sp dir=$T/sshd
	mkdir -p "$dir"
	sp=$(free_port)
	ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
	git init -q --bare "$dir/app.git"
	git -C "$T/work" push -q "$dir/app.git" main
	as admin apps:create viassh
	expect "an ssh source" says apps:source viassh \
	    "ssh://$(id -un)@127.0.0.1:$sp$dir/app.git"
	expect "prints a deploy key" said '^ssh-ed25519 .* berth-viassh$'
	grep '^ssh-ed25519' "$T/said" > "$dir/authorized_keys"
	expect "apps:source shows it again" says apps:source viassh
	expect "the same key" grep -qF "$(cat "$dir/authorized_keys")" "$T/said"
	expect "the private half is root's alone, 0600" [ "$(stat -c %a \
	    "$DATA/apps/viassh/source/deploy_key")" = 600 ]
	cat > "$dir/config" <<-CONF
	Port $sp
	ListenAddress 127.0.0.1
	HostKey $dir/host_key
	AuthorizedKeysFile $dir/authorized_keys
	PidFile $dir/pid
	StrictModes no
	UsePAM no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin prohibit-password
	CONF
	/usr/sbin/sshd -D -e -f "$dir/config" > "$T/sshd.log" 2>&1 &
	SSHD_PID=$!
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$sp") 2>/dev/null && break; sleep 0.1; done
	says apps:pull viassh || { cat "$T/said" "$T/sshd.log"; false; }
	expect "apps:pull over ssh with the deploy key" said 'Released v1' 
	expect "the host key is remembered" [ -s "$DATA/apps/viassh/source/known_host" ]
	kill "$SSHD_PID"; wait "$SSHD_PID" 2>/dev/null || true
	rm "$dir/host_key" "$dir/host_key.pub"
	ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
	/usr/sbin/sshd -D -e -f "$dir/config" >> "$T/sshd.log" 2>&1 &
	SSHD_PID=$!
	for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$sp") 2>/dev/null && break; sleep 0.1; done
	commit "$T/work"
	git -C "$T/work" push -q "$dir/app.git" main
	expect "a changed host key is refused" fails says apps:pull viassh
	expect "and says so" said "host's ssh key changed" 
	kill "$SSHD_PID"; wait "$SSHD_PID" 2>/dev/null || true
	as admin apps:source viassh --unset > /dev/null
	expect "--unset removes the key" [ ! -e "$DATA/apps/viassh/source" ]
}

t setup setup
t pull_now pull_now
t push_event push_event
t refusals refusals
t host_down host_down
t failed_build failed_build
t untrusted_cert untrusted_cert
if [ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ]; then
	t sshd_source sshd_source
else
	echo "SKIP sshd_source: needs root and /usr/sbin/sshd"
fi
t other_hosts other_hosts
t stalled_host stalled_host
t rate_limit rate_limit
kill "$(cat "$T/githost.pid")" 2>/dev/null
cat "$T/figures" 2>/dev/null
finish
