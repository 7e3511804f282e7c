#!/usr/bin/env bash
# test_source_cas.sh - an https Git source checked against the system's
# CA bundle, which berth parses only when an https fetch needs it
# (deploy/gitlib.c: libgit2's start would parse it in every connection).
# No [webhooks] ca_file here: in the test's own mount namespace the host
# stand-in's certificate is mounted over /etc/ssl/certs/ca-certificates.crt,
# as a system CA would be.  apps:pull deploys; with another CA mounted
# there instead, the pull is refused for the certificate, the branch stays
# and the live release keeps serving; a push, which fetches nothing, is
# served whatever the bundle holds (tests/unit/test_gitlib.c shows the
# bundle is not parsed at libgit2's start).
E2E_NAMESPACES=1
. "$(dirname "$0")/lib.sh"
BUNDLE=/etc/ssl/certs/ca-certificates.crt
HOST=$T/githost
mkdir -p "$HOST/repos" "$HOST/cgi-bin"
printf '#!/bin/sh\nexec git http-backend\n' > "$HOST/cgi-bin/git"
chmod 755 "$HOST/cgi-bin/git"
# cert NAME: a self-signed certificate for localhost in $HOST/NAME.pem
cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 2 -subj /CN=localhost -addext \
		subjectAltName=DNS:localhost -keyout "$HOST/$1.key" \
		-out "$HOST/$1.pem" 2> /dev/null
}
cert host
cert other
HOST_PORT=$(free_port)
URL="https://localhost:$HOST_PORT/cgi-bin/git/site.git"

host_up() {
	python3 "$REPO/tests/e2e/standins/githost.py" "$HOST" "$HOST_PORT" \
		"$HOST/host.pem" "$HOST/host.key" > "$T/githost.log" 2>&1 &
	for _ in $(seq 300); do
		grep -q ready "$T/githost.log" 2> /dev/null && return 0
		sleep 0.1
	done
	return 1
}

# trust NAME: the system's bundle (this namespace's) is NAME's certificate
trust() {
	umount "$BUNDLE" 2> /dev/null || true
	mount --bind "$HOST/$1.pem" "$BUNDLE"
}

says() { as admin "$@" > "$T/said" 2>&1; }
said() { grep -q -- "$1" "$T/said"; }
served() { http site.localhost / | grep -q "$1"; }

setup() {
	[ -f "$BUNDLE" ] || { echo "    no $BUNDLE on this machine"; return 1; }
	expect "the host stand-in starts" host_up
	git init -q --bare "$HOST/repos/site.git"
	new_repo "$T/work"
	echo '<h1>v1</h1>' > "$T/work/index.html"
	git -C "$T/work" commit -qam v1
	git -C "$T/work" push -q "$HOST/repos/site.git" main
	expect "apps:create" as admin apps:create site
	expect "apps:source" as admin apps:source site "$URL" --branch main
}

trusted() {
	trust host
	expect "apps:pull deploys from the host the system trusts" says \
	    apps:pull site
	expect "it was released" said 'Released v1'
	expect "v1 is served" served v1
}

untrusted() {
	trust other
	echo '<h1>v2</h1>' > "$T/work/index.html"
	git -C "$T/work" commit -qam v2
	git -C "$T/work" push -q "$HOST/repos/site.git" main
	expect "apps:pull is refused" fails says apps:pull site
	expect "for the host's certificate" said 'certificate'
	expect "v1 still served" served v1
	expect "the branch did not move" [ "$(server_rev site main)" = \
	    "$(git -C "$T/work" rev-parse HEAD~1)" ]
	trust host
	expect "trusted again, the pull deploys v2" says apps:pull site
	expect "v2 is served" served v2
}

# a push fetches nothing: it deploys whatever the bundle holds
push_any_bundle() {
	echo 'not a certificate' > "$T/junk.pem"
	umount "$BUNDLE" 2> /dev/null || true
	mount --bind "$T/junk.pem" "$BUNDLE"
	new_repo "$T/pushed"
	expect "apps:create" as admin apps:create pushed
	expect "a push deploys" git_as admin -C "$T/pushed" push -q \
	    "$(remote pushed)" HEAD:main
	expect "it is served" [ "$(http pushed.localhost / | grep -c pushed)" = 1 ]
	trust host
}

start_server
t "setup" setup
t "a host the system's CA bundle trusts: apps:pull deploys" trusted
t "a host it does not trust: refused, the live release stays" untrusted
t "a push deploys whatever the bundle holds" push_any_bundle
umount "$BUNDLE" 2> /dev/null || true
finish
