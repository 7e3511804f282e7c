#!/usr/bin/env bash
# tests/bench/router.sh - the cost of one routing change, and how it grows
# with the number of routed apps, for each router berth drives.
#
# What it measures: for each router kind (caddy, then nginx), one berth
# instance with its own data dir and ports that starts and manages the real
# proxy (`[router] manage = yes`, HTTP on a loopback port, https = off).
# Static-site apps s001, s002... are created by pushing (one small work tree,
# one commit per app so each serves its own page), up to 10, then 50, then
# 100 apps; each push deploys and routes its app.  At each size, K domain
# changes of app s001 are timed, alternately
#     ssh deploy@127.0.0.1 domains:add s001 dNN.example
#     ssh deploy@127.0.0.1 domains:remove s001 dNN.example
# each of which re-renders the whole routing table, has the proxy validate
# it and applies it (Caddy: POST of the whole JSON config to /load; nginx:
# one file per app, `nginx -t` on a staging copy, rename, reload, wait for
# the old workers to stop accepting).  The wall time of the ssh command is
# the figure; the baseline is the wall time of a no-op command (`ssh ...
# help`), run K times too, interleaved with the changes.  The router cost
# is median(domain change) - median(no-op): render + validate + reload.
# After every change the proxy must really route it: a request with
# "Host: dNN.example" must return s001's page after an add and 404 after a
# remove; after every batch of pushes each new app must answer on
# sNNN.localhost with its own page.  Anything else fails the benchmark.
# It prints every timing, a table (router, apps, median domain change,
# median no-op, router cost, and the median time berth itself took for
# the change from its audit log, in s: that one without the ssh
# connection, whose stalls of ~40 ms come and go), the lines
#     bench router caddy: 10=<s> 50=<s> 100=<s> (ratio to the 0.050 s goal ...)
#     bench router nginx: 10=<s> 50=<s> 100=<s> (...)
# (router cost, and each against the goal of 50 ms per change) and the
# ratio caddy / nginx of the router cost at 100 apps.
# Takes about a minute and a half (the pushes dominate).
#
# How to run:  make bench      (runs tests/bench/run with BERTH set)
#          or  BERTH=/abs/path/build/berth tests/bench/router.sh
# Knobs (environment): BENCH_RUNS (K, default 5), BENCH_SIZES (default
# "10 50 100", increasing), BENCH_ROUTERS (default "caddy nginx"),
# BENCH_JOBS (pushes at a time, default 1), BENCH_KEEP=1 keeps the temporary
# directory (serve logs, proxy configs) afterwards.
# BENCH_OLD_BERTH=/abs/path/to/an/older/berth: at each size, also K changes
# made on the server's command line (`berth -c INI domains:add ...`, no
# ssh), by that binary and by BERTH in turn, on the same data dir and
# proxy; prints the medians of their wall and CPU time (user + sys, with
# the proxy's check that berth runs) and new / old.  Copy the old build
# (berth and berth-shim) aside before rebuilding.
# Pushes run one at a time by default: with BENCH_JOBS > 1 concurrent
# deploys can lose routes (a deploy routes its app, then marks the release
# live in the db after the router lock is released; a concurrent deploy
# that renders in between drops the new app), and the check after the
# pushes then fails the benchmark.
# Needs root, git, python3, ssh, curl, caddy and nginx in PATH.
set -euo pipefail

RUNS=${BENCH_RUNS:-5}
SIZES=${BENCH_SIZES:-10 50 100}
ROUTERS=${BENCH_ROUTERS:-caddy nginx}
JOBS=${BENCH_JOBS:-1}

# temp dir, cleanup, servers, client key...: shared with the other benchmarks
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# nginx's workers run as nobody and serve the releases from the data dir
chmod 711 "$T"

BUILDPACKS=$REPO_ROOT/buildpacks
[ -x "$BUILDPACKS/static/bin/compile" ] || die "no buildpack $BUILDPACKS/static"
for p in $ROUTERS; do
	command -v "$p" >/dev/null || die "$p not found in PATH"
done
command -v curl >/dev/null || die "curl not found in PATH"

# ---------------------------------------------------------------- site ---

# One work tree; each app gets a commit of its own (same stylesheet, an
# index.html naming the app), made with plumbing so that pushes can run in
# parallel from the one repository without touching its work tree.
SITE=$T/site
git init -q -b main "$SITE"
cat >"$SITE/style.css" <<'EOF'
body { font-family: sans-serif; margin: 2em auto; max-width: 40em; }
EOF
git -C "$SITE" add style.css
git -C "$SITE" commit -q -m base
css_blob=$(git -C "$SITE" rev-parse HEAD:style.css)
MAX=0
for n in $SIZES; do
	[ "$n" -gt "$MAX" ] || die "BENCH_SIZES must increase: $SIZES"
	MAX=$n
done
[ "$MAX" -le 999 ] || die "at most 999 apps"
declare -A COMMIT
for i in $(seq "$MAX"); do
	app=$(printf 's%03d' "$i")
	blob=$(printf '<!doctype html>\n<html><head><title>%s</title><link rel="stylesheet" href="style.css"></head>\n<body><h1>site %s</h1></body></html>\n' "$app" "$app" |
		git -C "$SITE" hash-object -w --stdin)
	tree=$(printf '100644 blob %s\tindex.html\n100644 blob %s\tstyle.css\n' "$blob" "$css_blob" |
		git -C "$SITE" mktree)
	COMMIT[$app]=$(GIT_AUTHOR_DATE=2024-01-01T12:00:00Z GIT_COMMITTER_DATE=2024-01-01T12:00:00Z \
		git -C "$SITE" commit-tree "$tree" -m "$app")
done

# ------------------------------------------------------------- helpers ---

# http_get HOST: GET / through the proxy; body in $T/http.out, prints the code
http_get() {
	curl -sS -m 10 -o "$T/http.out" -w '%{http_code}' -H "Host: $1" \
		"http://127.0.0.1:$HTTP_PORT/" 2>"$T/http.err" || echo "curl-failed($(cat "$T/http.err"))"
}

# expect_page HOST APP: the proxy serves APP's page for HOST
expect_page() {
	local code
	code=$(http_get "$1")
	if [ "$code" != 200 ] || ! grep -q "<h1>site $2</h1>" "$T/http.out"; then
		die "$ROUTER: Host $1 answered $code, expected 200 with the page of $2: $(head -c 300 "$T/http.out" 2>/dev/null)"
	fi
}

# expect_404 HOST: the proxy routes HOST nowhere
expect_404() {
	local code
	code=$(http_get "$1")
	[ "$code" = 404 ] || die "$ROUTER: Host $1 answered $code, expected 404"
}

# push_app APP: push APP's commit to berth as APP's main (deploys it)
push_app() {
	local app=$1
	GIT_SSH_COMMAND="$SSH_BASE -p $BERTH_PORT" timeout 120 \
		git -C "$SITE" push -q "deploy@127.0.0.1:$app" "${COMMIT[$app]}:refs/heads/main" \
		>"$T/push-$app.log" 2>&1 ||
		{ cat "$T/push-$app.log" >&2; echo "$BENCH_NAME: $ROUTER: push of $app failed" >&2; return 1; }
}

# push_range FROM TO: create apps sFROM..sTO, JOBS pushes at a time, then
# check that each answers on its own domain.  Sets PUSH_S (wall, s).
push_range() {
	local from=$1 to=$2 lane i pids=() pid failed=0 t0 t1
	t0=$(date +%s.%N)
	for lane in $(seq 0 $((JOBS - 1))); do
		(
			for ((i = from + lane; i <= to; i += JOBS)); do
				push_app "$(printf 's%03d' "$i")" || exit 1
			done
		) &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || failed=1
	done
	[ "$failed" = 0 ] || die "$ROUTER: pushes failed (serve log: $BERTH_DIR/serve.log)"
	t1=$(date +%s.%N)
	PUSH_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	for ((i = from; i <= to; i++)); do
		expect_page "$(printf 's%03d' "$i").localhost" "$(printf 's%03d' "$i")"
	done
}

# timed CMD...: run `ssh deploy@127.0.0.1 CMD...` against berth; it must
# exit 0.  Sets WALL (s), output in $T/cmd.out.
timed() {
	local t0 t1
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086 # SSH_BASE is a command line
	$SSH_BASE -p "$BERTH_PORT" deploy@127.0.0.1 "$@" >"$T/cmd.out" 2>"$T/cmd.err" ||
		{ cat "$T/cmd.out" "$T/cmd.err" >&2; die "$ROUTER: '$*' failed"; }
	t1=$(date +%s.%N)
	WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# server_side N: the median time berth itself took for the last RUNS
# changes of s001 (their duration in the audit log: the command, without
# the ssh connection around it, whose stalls make the wall times above
# jump by tens of ms).  Sets SERVER_S (s).
server_side() {
	# shellcheck disable=SC2086 # SSH_BASE is a command line
	$SSH_BASE -p "$BERTH_PORT" deploy@127.0.0.1 audit s001 -n "$RUNS" --json >"$T/audit.json" ||
		die "$ROUTER: audit failed"
	SERVER_S=$("$PY" -c 'import json, statistics, sys
d = [e["duration_ms"] / 1000 for e in json.load(open(sys.argv[1]))
     if e["command"].startswith("domains:")]
print("%.3f" % statistics.median(d) if d else "n/a")' "$T/audit.json")
}

# local_change BIN CMD...: run `BIN -c INI CMD...` on the server's command
# line; it must exit 0.  Sets WALL and CPU (user + sys of it and the
# children it waited for, s; from getrusage, to the microsecond, where
# time(1) prints hundredths).
local_change() {
	local bin=$1
	shift
	"$PY" -c 'import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1] + "/cmd.out", "w"),
    stderr=open(sys.argv[1] + "/cmd.err", "w"))
w = time.monotonic() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1] + "/time.out", "w").write("%.4f %.4f\n" % (w, u.ru_utime + u.ru_stime))
sys.exit(r.returncode)' "$T" "$bin" -c "$BERTH_INI" "$@" ||
		{ cat "$T/cmd.out" "$T/cmd.err" >&2; die "$ROUTER: local '$*' by $bin failed"; }
	read -r WALL CPU <"$T/time.out"
}

# compare_old N: K changes of s001 by BENCH_OLD_BERTH and BERTH in turn
# (each an add then a remove); medians and new / old.
compare_old() {
	local n=$1 i b dom ow=() oc=() nw=() nc=() mo mn
	for i in $(seq "$RUNS"); do
		for b in old new; do
			DOMAIN_SEQ=$((DOMAIN_SEQ + 1))
			dom=$(printf 'd%02d.example' "$DOMAIN_SEQ")
			local_change "$([ $b = old ] && echo "$BENCH_OLD_BERTH" || echo "$BERTH")" \
				domains:add s001 "$dom"
			expect_page "$dom" s001
			if [ $b = old ]; then ow+=("$WALL") oc+=("$CPU"); else nw+=("$WALL") nc+=("$CPU"); fi
			local_change "$([ $b = old ] && echo "$BENCH_OLD_BERTH" || echo "$BERTH")" \
				domains:remove s001 "$dom"
			expect_404 "$dom"
			if [ $b = old ]; then ow+=("$WALL") oc+=("$CPU"); else nw+=("$WALL") nc+=("$CPU"); fi
		done
	done
	mo=$(median "${ow[@]}") mn=$(median "${nw[@]}")
	printf '  %3d apps, local changes: old %s s wall %s s CPU; new %s s wall %s s CPU; new/old wall %s, CPU %s\n' \
		"$n" "$mo" "$(median "${oc[@]}")" "$mn" "$(median "${nc[@]}")" \
		"$(awk -v a="$mn" -v b="$mo" 'BEGIN { printf "%.2f", a / b }')" \
		"$(awk -v a="$(median "${nc[@]}")" -v b="$(median "${oc[@]}")" 'BEGIN { printf "%.2f", a / b }')"
	OLDCMP+=("$(printf '%-6s %5d  old %s/%s  new %s/%s' "$ROUTER" "$n" "$mo" "$(median "${oc[@]}")" "$mn" "$(median "${nc[@]}")")")
}

# ---------------------------------------------------------------- runs ---

DOMAIN_SEQ=0
declare -A COST
TABLE=()
OLDCMP=()
if [ -n "${BENCH_OLD_BERTH:-}" ]; then
	[ -x "$BENCH_OLD_BERTH" ] || die "BENCH_OLD_BERTH: no binary at $BENCH_OLD_BERTH"
fi

# bench_router KIND: one berth with KIND as its managed router, every size
bench_router() {
	local apps=0 n i dom changes noops m_change m_noop cost pending=""
	ROUTER=$1
	BERTH_DIR=$T/$ROUTER
	HTTP_PORT=$(free_port)
	start_berth '[build]' "buildpacks_dir = $BUILDPACKS" \
		'[router]' "kind = $ROUTER" 'manage = yes' \
		"http_listen = 127.0.0.1:$HTTP_PORT" 'https = off'
	echo "$ROUTER: berth on port $BERTH_PORT, $ROUTER on 127.0.0.1:$HTTP_PORT"
	for n in $SIZES; do
		push_range $((apps + 1)) "$n"
		echo "  pushed s$(printf %03d $((apps + 1)))..s$(printf %03d "$n") in $PUSH_S s ($JOBS at a time); all $n apps answer"
		apps=$n
		changes=() noops=()
		for i in $(seq "$RUNS"); do
			timed help
			noops+=("$WALL")
			if [ -z "$pending" ]; then
				DOMAIN_SEQ=$((DOMAIN_SEQ + 1))
				dom=$(printf 'd%02d.example' "$DOMAIN_SEQ")
				timed domains:add s001 "$dom"
				grep -q "added $dom to s001" "$T/cmd.out" ||
					{ cat "$T/cmd.out" >&2; die "$ROUTER: unexpected output of domains:add"; }
				expect_page "$dom" s001
				pending=$dom
				changes+=("$WALL")
				printf '  %3d apps: domains:add    s001 %s  %s s   (help %s s)\n' "$n" "$dom" "$WALL" "${noops[-1]}"
			else
				dom=$pending
				timed domains:remove s001 "$dom"
				expect_404 "$dom"
				pending=""
				changes+=("$WALL")
				printf '  %3d apps: domains:remove s001 %s  %s s   (help %s s)\n' "$n" "$dom" "$WALL" "${noops[-1]}"
			fi
		done
		m_change=$(median "${changes[@]}")
		m_noop=$(median "${noops[@]}")
		cost=$(sub "$m_change" "$m_noop")
		COST[$ROUTER,$n]=$cost
		server_side "$n"
		TABLE+=("$(printf '%-6s %5d %18s %14s %12s %12s' "$ROUTER" "$n" "$m_change" "$m_noop" "$cost" "$SERVER_S")")
		if [ -n "${BENCH_OLD_BERTH:-}" ]; then
			compare_old "$n"
		fi
	done
	stop_pid "$BERTH_PID"
	stop_proxy "$BERTH_DATA" # berth leaves its proxy running on purpose
	# anything berth logged as a warning or an error while we ran (but the
	# "key exchange failed" of wait_port's bare TCP probe), timestamps cut
	grep -Ei 'warn|error|fail' "$BERTH_DIR/serve.log" |
		grep -v 'key exchange failed: Socket error: disconnected' |
		sed 's/^[^ ]* //; s/\[[0-9]*\]//' >"$T/serve-warnings" || true
	if [ -s "$T/serve-warnings" ]; then
		echo "  $ROUTER: serve log has $(wc -l <"$T/serve-warnings") warning/error line(s):"
		# (awk, not head: head's early exit is a SIGPIPE that
		# pipefail turns into the end of the benchmark)
		sort "$T/serve-warnings" | uniq -c | sort -rn | awk 'NR <= 5 { print "    " $0 }'
	fi
}

echo "router: $RUNS domain changes of s001 (alternately add / remove) and $RUNS no-op commands (help) at $SIZES apps, per router"
for r in $ROUTERS; do
	bench_router "$r"
done

echo
printf '%-6s %5s %18s %14s %12s %12s\n' router apps "median change (s)" "median help (s)" "router (s)" "in berth (s)"
printf '%s\n' "${TABLE[@]}"
echo
for r in $ROUTERS; do
	line="bench router $r:"
	for n in $SIZES; do
		line+=" $n=${COST[$r,$n]}"
	done
	# the goal (issue 17): a change with 100 apps in at most 50 ms
	for n in $SIZES; do
		line+=" (ratio to the 0.050 s goal at $n: $(awk -v c="${COST[$r,$n]}" 'BEGIN { printf "%.2f", c / 0.05 }'))"
	done
	echo "$line"
done
if [ ${#OLDCMP[@]} -gt 0 ]; then
	echo
	echo "local changes (no ssh), medians of wall/CPU in s, old = $BENCH_OLD_BERTH:"
	printf '%s\n' "${OLDCMP[@]}"
fi
if [[ " $ROUTERS " == *" caddy "* && " $ROUTERS " == *" nginx "* ]]; then
	c=${COST[caddy,$MAX]} x=${COST[nginx,$MAX]}
	echo "bench router ratio caddy/nginx at $MAX apps: $(awk -v c="$c" -v x="$x" 'BEGIN { if (x > 0) printf "%.2f\n", c / x; else print "n/a (nginx cost <= 0)" }')"
fi
