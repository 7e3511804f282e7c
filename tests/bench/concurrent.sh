#!/usr/bin/env bash
# tests/bench/concurrent.sh - four pushes to four apps at once, against
# one push alone.
#
# What it measures: one berth (Caddy managed, [build] concurrency at its
# default) with four static-site apps c1..c4, each created by a first push.
# Then BENCH_RUNS rounds of: one push of a new commit to c1 alone (wall
# time), and four pushes of a new commit each to c1..c4 started together
# (wall time until the last one ends).  Every push must deploy.  It prints
# each round and the line
#     bench concurrent: one=<s> four=<s> ratio=<four / one> (goal 1.3)
# (medians).  Takes about 20 s.
#
# How to run:  make bench      (runs tests/bench/run with BERTH set)
#          or  BERTH=/abs/path/build/berth tests/bench/concurrent.sh
# Knobs: BENCH_RUNS (default 5).  Needs root, git, ssh, caddy.
set -euo pipefail
export LC_ALL=C

RUNS=${BENCH_RUNS:-5}
GOAL=1.3

# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cp "$BERTH" "$T/berth"
cp "$(dirname "$BERTH")/berth-shim" "$T/berth-shim"
BERTH=$T/berth
BERTH_DIR=$T/b

HTTP_PORT=$(free_port)
start_berth '[build]' "buildpacks_dir = $REPO_ROOT/buildpacks" \
	'[router]' 'kind = caddy' 'manage = yes' "http_listen = 127.0.0.1:$HTTP_PORT" 'https = off'

# push APP: a new commit of APP's work tree, pushed; must deploy
push() {
	echo "$RANDOM $EPOCHREALTIME" >"$T/$1/page.html"
	git -C "$T/$1" add -A && git -C "$T/$1" commit -qm change
	GIT_SSH_COMMAND="$SSH_BASE -p $BERTH_PORT" git -C "$T/$1" push -q "deploy@127.0.0.1:$1" main \
		>"$T/push-$1.log" 2>&1 || { cat "$T/push-$1.log" >&2; die "push of $1 failed"; }
}

for a in c1 c2 c3 c4; do
	git init -q -b main "$T/$a"
	echo "<h1>$a</h1>" >"$T/$a/index.html"
	push "$a"
done

ONE=() FOUR=()
for r in $(seq "$RUNS"); do
	t0=$EPOCHREALTIME
	push c1
	one=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
	t0=$EPOCHREALTIME
	pids=()
	for a in c1 c2 c3 c4; do
		push "$a" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || die "a concurrent push failed"
	done
	four=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
	echo "  round $r: one push $one s, four at once $four s"
	ONE+=("$one") FOUR+=("$four")
done
one=$(median "${ONE[@]}") four=$(median "${FOUR[@]}")
ratio=$(awk -v a="$four" -v b="$one" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "bench concurrent: one=$one four=$four ratio=$ratio (goal $GOAL)"
