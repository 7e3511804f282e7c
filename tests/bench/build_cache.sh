#!/usr/bin/env bash
# tests/bench/build_cache.sh - what the Python buildpack's virtualenv
# cache saves on a redeploy whose requirements.txt did not change.
#
# The app: a requirements.txt naming setuptools, installed offline from a
# wheels/ directory (the wheel Debian ships in /usr/share/python-wheels),
# and a Procfile.  After a first push, BENCH_RUNS pairs of pushes of one
# changed app file each, alternating:
#   - cached: the virtualenv comes back from the app's cache (pip not run);
#   - fresh:  the cache key is removed first (what every build did before
#             the cache: a new virtualenv and pip install from the wheel).
# The same for the Node buildpack's node_modules cache, with an app whose
# package-lock.json names one local dependency (file:dep, so npm ci runs
# offline): cached skips npm ci, fresh runs it.
# Each push's buildpack time is berth's own figure ("buildpack P s" in the
# last line of a deploy).  Prints every push, the medians, and last a line
# "bench build_cache: python_fresh=... python_cached=... ratio=...".
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS=${BENCH_RUNS:-5}

wheel=$(ls /usr/share/python-wheels/setuptools-*.whl 2>/dev/null | head -n 1)
[ -n "$wheel" ] || die "no setuptools wheel in /usr/share/python-wheels (apt-get install python3-setuptools-whl)"
# a block of uids of its own: a berth that shares app uids with another
# (the default base) kills that one's builds when its own end
start_berth "app_uid_base = $(( 1000000000 + (RANDOM * 32768 + RANDOM) % 1000000 * 1000 ))" '[build]' "buildpacks_dir = $REPO_ROOT/buildpacks" \
	'[router]' "http_listen = 127.0.0.1:$(free_port)" 'https = off'

A=$T/app
git init -q "$A"
mkdir "$A/wheels" && cp "$wheel" "$A/wheels/"
echo setuptools > "$A/requirements.txt"
printf 'import time\ntime.sleep(3600)\n' > "$A/worker.py"
printf 'worker: .venv/bin/python worker.py\n' > "$A/Procfile"
git -C "$A" add . && git -C "$A" commit -qm app

N=$T/node
mkdir -p "$N/dep"
echo '{"name":"dep","version":"1.0.0","main":"index.js"}' > "$N/dep/package.json"
echo 'module.exports = 1;' > "$N/dep/index.js"
echo '{"name":"nd","version":"1.0.0","dependencies":{"dep":"file:dep"}}' > "$N/package.json"
(cd "$N" && npm install --package-lock-only --offline > /dev/null 2>&1) || die "cannot make a package-lock.json"
echo 'setInterval(function () {}, 1000);' > "$N/worker.js"
printf 'worker: node worker.js\n' > "$N/Procfile"
git init -q "$N" && git -C "$N" add . && git -C "$N" commit -qm app

# push DIR APP: one commit, the buildpack's seconds on stdout
push() {
	echo "$RANDOM" > "$1/touched" && git -C "$1" add touched && git -C "$1" commit -qm touch
	GIT_SSH_COMMAND="$SSH_BASE -p $BERTH_PORT" timeout 300 \
		git -C "$1" push -q "ssh://deploy@127.0.0.1/$2" HEAD:main 2> "$T/out" ||
		{ cat "$T/out" >&2; die "push failed"; }
	sed -n "s/.*Released v[0-9]* of $2 in .* buildpack \\([0-9.]*\\) s).*/\\1/p" "$T/out"
}

# bench DIR APP KEYFILE FRESH_TEXT CACHED_TEXT NAME
bench() {
	local first c f i cached=() fresh=()
	first=$(push "$1" "$2")
	grep -q "$4" "$T/out" || die "$2: the first build did not install"
	echo "$6: first push: buildpack $first s"
	for i in $(seq "$RUNS"); do
		c=$(push "$1" "$2")
		grep -q "$5" "$T/out" || die "$2: push $i did not reuse its cache"
		rm -f "$BERTH_DATA/apps/$2/cache/$3"
		f=$(push "$1" "$2")
		grep -q "$4" "$T/out" || die "$2: push $i did not install without its cache key"
		printf '  run %d: cached %s s, fresh %s s\n' "$i" "$c" "$f"
		cached+=("$c") fresh+=("$f")
	done
	MC=$(median "${cached[@]}") MF=$(median "${fresh[@]}")
	printf '%s: median of %d: buildpack fresh %s s, cached %s s\n' "$6" "$RUNS" "$MF" "$MC"
}

bench "$A" py venv.key "Installing dependencies with pip" "Reusing the virtualenv" python
pf=$MF pc=$MC
bench "$N" nd node_modules.key "Installing dependencies with npm ci" "Reusing node_modules" node
printf 'bench build_cache: python_fresh=%s python_cached=%s node_fresh=%s node_cached=%s\n' \
	"$pf" "$pc" "$MF" "$MC"
