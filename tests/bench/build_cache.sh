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

# push: one commit, the buildpack's seconds on stdout
push() {
	echo "$RANDOM" > "$A/touched" && git -C "$A" add touched && git -C "$A" commit -qm touch
	GIT_SSH_COMMAND="$SSH_BASE -p $BERTH_PORT" timeout 300 \
		git -C "$A" push -q "ssh://deploy@127.0.0.1/py" HEAD:main 2> "$T/out" ||
		{ cat "$T/out" >&2; die "push failed"; }
	sed -n 's/.*Released v[0-9]* of py in .* buildpack \([0-9.]*\) s).*/\1/p' "$T/out"
}

first=$(push)
grep -q "Installing dependencies with pip" "$T/out" || die "first build did not run pip"
echo "first push: buildpack $first s"
cached=() fresh=()
for i in $(seq "$RUNS"); do
	c=$(push)
	grep -q "Reusing the virtualenv" "$T/out" || die "push $i did not reuse the virtualenv"
	rm -f "$BERTH_DATA/apps/py/cache/venv.key"
	f=$(push)
	grep -q "Installing dependencies with pip" "$T/out" || die "push $i ran no pip without its cache key"
	printf '  run %d: cached %s s, fresh %s s\n' "$i" "$c" "$f"
	cached+=("$c") fresh+=("$f")
done
mc=$(median "${cached[@]}") mf=$(median "${fresh[@]}")
printf 'median of %d: buildpack fresh %s s, cached %s s\n' "$RUNS" "$mf" "$mc"
printf 'bench build_cache: python_fresh=%s python_cached=%s ratio=%s\n' "$mf" "$mc" \
	"$(awk -v a="$mc" -v b="$mf" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
