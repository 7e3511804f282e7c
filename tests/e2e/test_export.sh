#!/usr/bin/env bash
# test_export.sh - `berth export` and `export` over SSH (export/): a pushed
# Procfile app (python3 http.server) exported as an OCI image layout and as
# Kubernetes and Nomad manifests, checked with the real tools: skopeo
# inspects the layout and the tar streamed over SSH, umoci unpacks it, crun
# runs it (host network, in a mount namespace of its own without the
# hybrid cgroup2 mount, which crun refuses) and the app answers with the
# body it gives under berth.  The same release exported twice gives the
# same digests; the next release shares every layer but the last; a base
# layout made with umoci gives the first layer; no config var value is in
# any file; the manifests are checked against the fields the Kubernetes
# objects require (python3's yaml; no offline validator is in Debian), and
# the Nomad job is read by HashiCorp's HCL 2 parser (tests/e2e/hclcheck.go).
. "$(dirname "$0")/lib.sh"
for tool in skopeo umoci crun jq; do
	command -v $tool > /dev/null || { echo "SKIP test_export.sh: $tool missing"; finish; exit; }
done
EPORT=$(free_port)
start_server "[export]" "port = $EPORT"
W=$T/app
SECRET=s3cr3t-value-$RANDOM$RANDOM
CTR=berth-export-$(basename "$T")

make_app() {
	git init -q "$W"
	cat > "$W/server.py" <<'PY'
import os, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = open("body.txt", "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
PY
	printf 'import time\nwhile True:\n    time.sleep(60)\n' > "$W/worker.py"
	mkdir -p "$W/bin" && printf '#!/bin/sh\nexec python3 worker.py\n' > "$W/bin/work" &&
		chmod +x "$W/bin/work"
	printf 'web: python3 server.py\nworker: bin/work %%{x}\n' > "$W/Procfile"
	echo "hello from release one" > "$W/body.txt"
	git -C "$W" add . && git -C "$W" commit -qm one
}

push() {
	git_as admin -C "$W" push -q "$(remote app)" main > "$T/push.log" 2>&1 ||
		{ cat "$T/push.log"; return 1; }
}

# manifest digest, layer digests of DIR:TAG
digest() { jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$1/index.json"; }
layers() { skopeo inspect "oci:$1:$2" | jq -r '.Layers[]'; }

crun_ns() { # crun ARGS in a mount namespace without the cgroup2 mount
	unshare -m --propagation private sh -c \
		'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' sh \
		crun --root "$T/crun" --cgroup-manager=disabled "$@"
}

test_export_local() {
	make_app && as admin apps:create app > /dev/null && push || return 1
	# PORT: berth's own wins over a config var of that name, in the image too
	as admin config:set app "SECRET_TOKEN=$SECRET" HEALTHCHECK_PATH=/ready PORT=1 > /dev/null &&
		as admin domains:add app www.export.test > /dev/null &&
		as admin ps:scale app worker=2 > /dev/null || return 1
	http app.localhost / > "$T/body1" || return 1
	[ "$(cat "$T/body1")" = "hello from release one" ] ||
		{ echo "under berth: $(cat "$T/body1")"; return 1; }
	"$BERTH" -c "$T/berth.ini" export app --oci "$T/oci:one" --k8s "$T/k8s" \
		--nomad "$T/app.nomad" 2> "$T/err" || { cat "$T/err"; return 1; }
	skopeo inspect "oci:$T/oci:one" > "$T/inspect.json" || return 1
	skopeo inspect --config "oci:$T/oci:one" > "$T/config.json" || return 1
	[ "$(jq -r '.Layers | length' "$T/inspect.json")" = 3 ] || { echo "not 3 layers"; return 1; }
	jq -e --arg p "$EPORT" '.config.User == "10001:10001" and
		.config.Cmd == ["python3", "server.py"] and
		.config.WorkingDir == "/app" and
		(.config.ExposedPorts | has($p + "/tcp")) and
		(.config.Env | index("PORT=" + $p)) != null and
		.config.Labels["berth.app"] == "app" and
		.config.Labels["berth.release"] == "1" and
		(.config.Labels["org.opencontainers.image.revision"] | length) == 40' \
		"$T/config.json" > /dev/null || { cat "$T/config.json"; return 1; }
	# never baked in: no config var, name or value, in any blob
	if grep -rqa -e "$SECRET" -e SECRET_TOKEN "$T/oci"; then
		echo "a config var is in the image"; return 1
	fi
	# skopeo can copy it, as a registry push would
	skopeo copy -q "oci:$T/oci:one" "oci-archive:$T/copy.tar" || return 1
}

test_runs_in_crun() {
	umoci unpack --image "$T/oci:one" "$T/bundle" > "$T/umoci.log" 2>&1 ||
		{ cat "$T/umoci.log"; return 1; }
	# python3 for web, and /bin/sh for worker's script (#!/bin/sh)
	[ -f "$T/bundle/rootfs/app/server.py" ] && [ -x "$T/bundle/rootfs/usr/bin/python3" ] &&
		[ -x "$T/bundle/rootfs/bin/sh" ] &&
		grep -q '^app:x:10001:' "$T/bundle/rootfs/etc/passwd" ||
		{ echo "rootfs lacks the release, python3 or the user"; return 1; }
	# the host's network (no namespace of its own), no terminal; the rest
	# (args, env, user, cwd) is what umoci made of the image's config
	jq '.process.terminal = false |
	    .linux.namespaces |= map(select(.type != "network"))' \
		"$T/bundle/config.json" > "$T/bundle/c.json" &&
		mv "$T/bundle/c.json" "$T/bundle/config.json" || return 1
	crun_ns run --bundle "$T/bundle" "$CTR" > "$T/crun.log" 2>&1 &
	CRUN_PID=$!
	local body=
	for _ in $(seq 300); do
		body=$(curl -sS -m 2 "http://127.0.0.1:$EPORT/" 2> /dev/null) && break
		kill -0 "$CRUN_PID" 2> /dev/null || break
		sleep 0.1
	done
	crun_ns kill "$CTR" KILL > /dev/null 2>&1 || true
	wait "$CRUN_PID" 2> /dev/null || true
	crun_ns delete -f "$CTR" > /dev/null 2>&1 || true
	[ "$body" = "$(cat "$T/body1")" ] || { echo "crun: '$body'"; cat "$T/crun.log"; return 1; }
	echo "    the image answers under crun: $body"
}

test_deterministic() {
	local t0 t1
	t0=$(date +%s%N)
	"$BERTH" -c "$T/berth.ini" export app --oci "$T/oci2:one" 2> "$T/err" ||
		{ cat "$T/err"; return 1; }
	t1=$(date +%s%N)
	echo "    export of release 1: $(( (t1 - t0) / 1000000 )) ms," \
		"$(du -sk "$T/oci2" | cut -f1) KiB"
	[ -n "$(digest "$T/oci" one)" ] &&
		[ "$(digest "$T/oci" one)" = "$(digest "$T/oci2" one)" ] ||
		{ echo "two exports, two digests"; return 1; }
	cmp -s <(ls "$T/oci/blobs/sha256") <(ls "$T/oci2/blobs/sha256") ||
		{ echo "different blobs"; return 1; }
}

test_next_release_shares_layers() {
	echo "hello from release two" > "$W/body.txt" &&
		git -C "$W" commit -qam two && push || return 1
	"$BERTH" -c "$T/berth.ini" export app --oci "$T/oci:two" 2> "$T/err" ||
		{ cat "$T/err"; return 1; }
	layers "$T/oci" one > "$T/l1" && layers "$T/oci" two > "$T/l2" || return 1
	cmp -s <(head -n 2 "$T/l1") <(head -n 2 "$T/l2") ||
		{ echo "base or runtime layer changed"; paste "$T/l1" "$T/l2"; return 1; }
	[ "$(tail -n 1 "$T/l1")" != "$(tail -n 1 "$T/l2")" ] ||
		{ echo "the release layer did not change"; return 1; }
	# both tags stay in the layout
	[ -n "$(digest "$T/oci" one)" ] && [ -n "$(digest "$T/oci" two)" ] ||
		{ echo "a tag was lost"; return 1; }
	"$BERTH" -c "$T/berth.ini" export app --release 1 --oci "$T/oci3:x" 2> "$T/err" ||
		{ cat "$T/err"; return 1; }
	[ "$(digest "$T/oci3" x)" = "$(digest "$T/oci" one)" ] ||
		{ echo "--release 1 is not release 1"; return 1; }
}

test_export_over_ssh() {
	as admin keys:add dev < "$T/dev.pub" > /dev/null &&
		as admin grant dev app deployer > /dev/null || return 1
	# what a killed export left two days ago goes; a fresh one (another
	# connection's, running) stays
	mkdir "$DATA/export.stale1" "$DATA/export.fresh1" &&
		touch -d '2 days ago' "$DATA/export.stale1" || return 1
	as dev export app > "$T/app.tar" 2> "$T/err" || { cat "$T/err"; return 1; }
	[ ! -e "$DATA/export.stale1" ] && [ -d "$DATA/export.fresh1" ] ||
		{ echo "temp dirs not swept as they should"; return 1; }
	rmdir "$DATA/export.fresh1" || return 1
	skopeo inspect "oci-archive:$T/app.tar:v2" > "$T/ssh.json" 2> "$T/err" ||
		{ cat "$T/err"; return 1; }
	[ "$(jq -r .Digest "$T/ssh.json")" = "$(digest "$T/oci" two)" ] ||
		{ echo "the stream is not the image exported on the server"; return 1; }
	# no temp dir left in the data dir
	! ls -d "$DATA"/export.* 2> /dev/null || { echo "temp dir left"; return 1; }
	as dev export app --k8s - > "$T/ssh.yaml" && grep -q 'kind: Deployment' "$T/ssh.yaml" ||
		return 1
	sql "select outcome from audit where command like 'export%' order by id desc limit 1" |
		grep -q . || { echo "not audited"; return 1; }
}

test_refusals() {
	if as stranger export app > /dev/null 2> "$T/err"; then
		echo "a stranger exported"; return 1
	fi
	if as dev export app --oci "$T/evil" > /dev/null 2> "$T/err" ||
		[ -e "$T/evil" ]; then
		echo "a path on the server over SSH"; return 1
	fi
	grep -q "over SSH the output is your stdout" "$T/err" || { cat "$T/err"; return 1; }
	if as dev export app --k8s - --nomad - > /dev/null 2>&1; then
		echo "two outputs on stdout"; return 1
	fi
	if as dev export app --release 99 > /dev/null 2> "$T/err"; then
		echo "release 99 exported"; return 1
	fi
	grep -q "no release 99" "$T/err" || { cat "$T/err"; return 1; }
	if "$BERTH" -c "$T/berth.ini" export app --oci "$T/bad:..x" 2> "$T/err"; then
		echo "a bad tag taken"; return 1
	fi
	if as dev export app --image 'x"y' > /dev/null 2>&1; then
		echo "a quote in the image reference"; return 1
	fi
}

# The attacker's move: a Procfile that names a host program others may run
# but not read (or any file outside the system's program dirs); the
# release runs, but export does not put the host's file in the image.
test_private_program() {
	mkdir -p "$T/priv" && cp /bin/sleep "$T/priv/sleep" && chmod 711 "$T/priv/sleep" || return 1
	local L=$T/leak
	git init -q "$L" && cp "$W/server.py" "$W/body.txt" "$L/" &&
		printf 'web: python3 server.py\nsleeper: %s 1000\n' "$T/priv/sleep" > "$L/Procfile" &&
		git -C "$L" add . && git -C "$L" commit -qm leak || return 1
	as admin apps:create leak > /dev/null &&
		git_as admin -C "$L" push -q "$(remote leak)" main > "$T/push.log" 2>&1 ||
		{ cat "$T/push.log"; return 1; }
	as admin ps leak | grep -q sleeper || { echo "the sleeper does not run"; return 1; }
	if as admin export leak > "$T/leak.tar" 2> "$T/err"; then
		echo "a private host file exported"; return 1
	fi
	grep -q "is not a system program" "$T/err" || { cat "$T/err"; return 1; }
}

# The operator's base: an OCI layout made with umoci, its one layer first
test_operator_base() {
	umoci init --layout "$T/base" && umoci new --image "$T/base:base" &&
		umoci unpack --image "$T/base:base" "$T/bb" > /dev/null &&
		mkdir -p "$T/bb/rootfs/etc" && echo marker > "$T/bb/rootfs/etc/base-marker" &&
		umoci repack --image "$T/base:base" "$T/bb" || return 1
	local want
	want=$(skopeo inspect "oci:$T/base:base" | jq -r '.Layers[-1]')
	{ cat "$T/berth.ini"; printf '[export]\nbase = %s\n' "$T/base"; } > "$T/base.ini"
	# berth check refuses a base that is no layout
	printf '[export]\nbase = %s\n' "$T/nosuch" > "$T/nobase.ini"
	if "$BERTH" -c "$T/nobase.ini" check > "$T/err" 2>&1; then
		echo "a missing base passed berth check"; return 1
	fi
	grep -q "nosuch/index.json" "$T/err" || { cat "$T/err"; return 1; }
	"$BERTH" -c "$T/base.ini" export app --oci "$T/ob:b" 2> "$T/err" ||
		{ cat "$T/err"; return 1; }
	layers "$T/ob" b > "$T/lb" || return 1
	grep -qx "$want" "$T/lb" || { echo "the base's layer is missing"; cat "$T/lb"; return 1; }
	[ "$(wc -l < "$T/lb")" = "$(( $(skopeo inspect "oci:$T/base:base" | jq '.Layers | length') + 2 ))" ] ||
		{ echo "not base + 2 layers"; return 1; }
	umoci unpack --image "$T/ob:b" "$T/bundle2" > /dev/null 2>&1 &&
		[ -f "$T/bundle2/rootfs/etc/base-marker" ] || { echo "no marker"; return 1; }
	# a base whose blob does not match its digest is refused
	local blob=$T/base/blobs/sha256/${want#sha256:}
	chmod u+w "$blob" && printf x >> "$blob" || return 1
	if "$BERTH" -c "$T/base.ini" export app --oci "$T/ob2:b" 2> "$T/err"; then
		echo "a corrupt base taken"; return 1
	fi
	grep -q "does not match" "$T/err" || { cat "$T/err"; return 1; }
}

# The fields each object kind requires (Kubernetes' OpenAPI: apps/v1
# Deployment, v1 Service, networking.k8s.io/v1 Ingress) and what berth
# knows: the commands, ps:scale, the health path, the domains, secret
# references by name only.
test_k8s_manifests() {
	if grep -q -e "$SECRET" "$T/k8s/app.yaml" "$T/app.nomad"; then
		echo "a config var value in a manifest"; return 1
	fi
	python3 - "$T/k8s/app.yaml" "$EPORT" <<'PY' || return 1
import re, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
port = int(sys.argv[2])
name_re = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
def need(c, what):
    if not c:
        sys.exit("manifest: " + what)
kinds = {}
for d in docs:
    need(isinstance(d.get("apiVersion"), str) and isinstance(d.get("kind"), str), "apiVersion, kind")
    m = d.get("metadata", {})
    need(name_re.match(m.get("name", "")) and len(m["name"]) <= 253, "metadata.name " + str(m.get("name")))
    for k, v in m.get("labels", {}).items():
        need(isinstance(v, str) and len(v) <= 63, "label values are short strings")
    kinds.setdefault(d["kind"], []).append(d)
need(sorted(kinds) == ["Deployment", "Ingress", "Service"], "kinds " + str(sorted(kinds)))
deps = {d["metadata"]["labels"]["berth.dev/process"]: d for d in kinds["Deployment"]}
need(sorted(deps) == ["web", "worker"], "a Deployment per process type")
for t, d in deps.items():
    need(d["apiVersion"] == "apps/v1", "Deployment apiVersion")
    s = d["spec"]
    sel = s["selector"]["matchLabels"]
    tl = s["template"]["metadata"]["labels"]
    need(all(tl.get(k) == v for k, v in sel.items()), "selector matches the template")
    c = s["template"]["spec"]["containers"]
    need(len(c) == 1 and name_re.match(c[0]["name"]) and c[0]["image"], "container name, image")
    need(isinstance(s["replicas"], int), "replicas is an integer")
    sc = s["template"]["spec"]["securityContext"]
    need(sc["runAsNonRoot"] is True and sc["runAsUser"] == 10001, "non-root")
    for e in c[0]["env"]:
        need(set(e) in ({"name", "value"}, {"name", "valueFrom"}), "env entries")
        if "valueFrom" in e:
            r = e["valueFrom"]["secretKeyRef"]
            need(r["name"] == "app-config" and r["key"] == e["name"], "secret by name")
    need(any(e["name"] == "SECRET_TOKEN" for e in c[0]["env"]), "the config var's name")
    names = [e["name"] for e in c[0]["env"]]
    need(len(names) == len(set(names)), "each env name once (PORT too)")
need(deps["web"]["spec"]["template"]["spec"]["containers"][0]["command"] == ["python3", "server.py"], "web command")
need(deps["worker"]["spec"]["template"]["spec"]["containers"][0]["command"] == ["bin/work", "%{x}"], "worker command")
need(deps["worker"]["spec"]["replicas"] == 2 and deps["web"]["spec"]["replicas"] == 1, "ps:scale")
web = deps["web"]["spec"]["template"]["spec"]["containers"][0]
need(web["ports"][0]["containerPort"] == port, "web port")
need(web["readinessProbe"]["httpGet"]["path"] == "/ready" and web["readinessProbe"]["httpGet"]["port"] == "http", "readiness")
svc = kinds["Service"][0]["spec"]
need(svc["selector"]["berth.dev/process"] == "web" and svc["ports"][0]["port"] == 80 and svc["ports"][0]["targetPort"] == "http", "Service")
ing = kinds["Ingress"][0]
need(ing["apiVersion"] == "networking.k8s.io/v1", "Ingress apiVersion")
r = ing["spec"]["rules"][0]
need(r["host"] == "www.export.test", "Ingress host")
p = r["http"]["paths"][0]
need(p["pathType"] in ("Prefix", "Exact", "ImplementationSpecific") and p["backend"]["service"]["name"] == "app" and p["backend"]["service"]["port"]["name"] == "http", "Ingress backend")
PY
}

test_nomad_job() {
	local f=$T/app.nomad
	grep -q '^job "app" {' "$f" && grep -q 'count = 2' "$f" &&
		grep -Fq 'args = ["%%{x}"]' "$f" ||
		{ cat "$f"; return 1; }
	# HashiCorp's own HCL parser (Debian packages it; Nomad itself is not
	# in Debian): the file parses, and the values read back are berth's
	if ! command -v go > /dev/null ||
		[ ! -d /usr/share/gocode/src/github.com/hashicorp/hcl/v2 ]; then
		echo "SKIP test_export.sh: no go or hcl v2: the Nomad job is not parsed"
		return 0
	fi
	mkdir -p "$T/hcl" && cp "$REPO/tests/e2e/hclcheck.go" "$T/hcl/main.go" &&
		(cd "$T/hcl" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= \
			GOCACHE="$T/gocache" go build -o hclcheck main.go) || return 1
	"$T/hcl/hclcheck" "$f" > "$T/hcl.out" || { cat "$f"; return 1; }
	for want in 'job.app.group.worker.count = 2' \
		'job.app.group.web.count = 1' \
		'job.app.group.worker.task.worker.config.args = ["%{x}"]' \
		'job.app.group.worker.task.worker.config.command = "bin/work"' \
		'job.app.group.web.task.web.config.command = "python3"' \
		'job.app.group.web.service.check.path = "/ready"' \
		"job.app.group.web.network.port.http.to = $EPORT" \
		'job.app.group.web.task.web.user = "10001:10001"'; do
		grep -Fqx "$want" "$T/hcl.out" || { echo "missing: $want"; cat "$T/hcl.out"; return 1; }
	done
	grep -q 'template.data = ".*nomadVar \\"nomad/jobs/app\\"' "$T/hcl.out" ||
		{ cat "$T/hcl.out"; return 1; }
}

t "export a release with berth export; skopeo reads it" test_export_local
t "the image runs under crun and answers as under berth" test_runs_in_crun
t "the same release exported twice: the same digests" test_deterministic
t "the next release shares every layer but the last" test_next_release_shares_layers
t "export over SSH streams the layout as a tar" test_export_over_ssh
t "refusals: strangers, server paths over SSH, bad tags" test_refusals
t "a host file the app may not read stays out of the image" test_private_program
t "an operator's base layout gives the first layers" test_operator_base
t "Kubernetes manifests have the required fields" test_k8s_manifests
t "the Nomad job parses (HCL 2) with berth's values" test_nomad_job
finish
