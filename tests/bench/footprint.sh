#!/usr/bin/env bash
# tests/bench/footprint.sh - the memory berth's stack takes on an idle
# server, and the share of each part.
#
# What it measures: one berth that manages Caddy (`[router] manage = yes`)
# with two apps deployed by a push each: a static site (buildpacks/static)
# and a Procfile app (`web: python3 server.py`, a stdlib HTTP server).  Once
# both answer through the proxy and berth serve has been idle for a second,
# it reads /proc/PID/smaps_rollup of every process of the stack: berth serve
# (the daemon), each supervisor (berth-shim), the apps' processes, and the
# proxy; RSS counts shared pages once per process, PSS splits them between
# the processes that share them.  It prints each process and the lines
#     bench footprint: serve_rss=<MiB> shim_rss=<MiB> (max of N) stack_rss=<MiB>
#       stack_pss=<MiB> vs piku 65.9 MiB: ratio <stack_rss / 65.9>
# The reference is Piku's stack measured with the same two apps on this
# kind of machine (issue 17: uwsgi emperor, its vassals, nginx; 65.9 MiB
# RSS): Piku is not installed here, so it is a fixed figure.  Goals: a
# supervisor <= 1 MiB RSS, an idle berth serve <= 8 MiB RSS ("ABOVE GOAL"
# otherwise; the benchmark fails only if the stack does not come up).
# It also reads the CPU the idle berth serve uses (its own and its repair
# passes', over BENCH_IDLE_SECONDS, default 20) and prints it a minute.
# Takes about 30 s.
#
# How to run:  make bench      (runs tests/bench/run with BERTH set)
#          or  BERTH=/abs/path/build/berth tests/bench/footprint.sh
# Needs root, git, python3, ssh, caddy.
set -euo pipefail
export LC_ALL=C

PIKU_RSS=65.9 # MiB, issue 17
SHIM_GOAL=1
SERVE_GOAL=8
IDLE_SECONDS=${BENCH_IDLE_SECONDS:-20}

# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cp "$BERTH" "$T/berth"
cp "$(dirname "$BERTH")/berth-shim" "$T/berth-shim"
cp "$(dirname "$BERTH")/berth-serve" "$T/berth-serve"
BERTH=$T/berth

bench_cleanup_hook() {
	local data
	for data in "${BERTH_DATAS[@]}"; do
		stop_apps "$data"
	done
	return 0
}

HTTP_PORT=$(free_port)
BERTH_DIR=$T/b
start_berth '[build]' "buildpacks_dir = $REPO_ROOT/buildpacks" \
	'[router]' 'kind = caddy' 'manage = yes' "http_listen = 127.0.0.1:$HTTP_PORT" 'https = off'

push_app() { # push_app NAME DIR
	GIT_SSH_COMMAND="$SSH_BASE -p $BERTH_PORT" git -C "$2" push -q "deploy@127.0.0.1:$1" main \
		>"$T/push-$1.log" 2>&1 || { cat "$T/push-$1.log" >&2; die "push of $1 failed"; }
}

git init -q -b main "$T/site"
echo '<h1>site</h1>' >"$T/site/index.html"
git -C "$T/site" add -A && git -C "$T/site" commit -qm site
git init -q -b main "$T/web"
echo 'web: python3 server.py' >"$T/web/Procfile"
cat >"$T/web/server.py" <<'EOF'
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = b"web\n"
        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
EOF
git -C "$T/web" add -A && git -C "$T/web" commit -qm web
push_app site "$T/site"
push_app web "$T/web"
for app in site web; do
	curl -sf -m 5 -H "Host: $app.localhost" "http://127.0.0.1:$HTTP_PORT/" >/dev/null ||
		die "$app does not answer through the proxy"
done
sleep 1

# kib PID FIELD: a field of smaps_rollup (kB)
kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

ROWS=()
TOTAL_RSS=0 TOTAL_PSS=0 SHIM_MAX=0 NSHIM=0 SERVE_RSS=0
add() { # add WHAT PID
	local rss pss
	rss=$(kib "$2" Rss) pss=$(kib "$2" Pss)
	[ -n "$rss" ] || return 0
	TOTAL_RSS=$((TOTAL_RSS + rss)) TOTAL_PSS=$((TOTAL_PSS + pss))
	ROWS+=("$(printf '  %-12s pid %-7s RSS %6s MiB  PSS %6s MiB  %s' "$1" "$2" "$(mib "$rss")" "$(mib "$pss")" "$(tr '\0' ' ' <"/proc/$2/cmdline" | cut -c1-70)")")
	case $1 in
	shim) NSHIM=$((NSHIM + 1)); [ "$rss" -le "$SHIM_MAX" ] || SHIM_MAX=$rss ;;
	serve) SERVE_RSS=$rss ;;
	esac
}
add serve "$BERTH_PID"
for f in "$BERTH_DATA"/apps/*/run/*/shim.pid; do
	shim=$(cat "$f")
	add shim "$shim"
	for p in $(cat "/proc/$shim/task/$shim/children" 2>/dev/null); do
		add app "$p"
	done
done
for f in "$BERTH_DATA"/router/caddy/home/caddy.pid; do
	[ -f "$f" ] && add proxy "$(cat "$f")"
done
printf '%s\n' "${ROWS[@]}"
ratio=$(awk -v a="$TOTAL_RSS" -v b="$PIKU_RSS" 'BEGIN { printf "%.2f", a / 1024 / b }')
awk -v s="$SHIM_MAX" -v g="$SHIM_GOAL" 'BEGIN { exit !(s / 1024 > g) }' && echo "  supervisor ABOVE GOAL of $SHIM_GOAL MiB"
awk -v s="$SERVE_RSS" -v g="$SERVE_GOAL" 'BEGIN { exit !(s / 1024 > g) }' && echo "  idle berth serve ABOVE GOAL of $SERVE_GOAL MiB"
# what berth serve's RSS is made of: its own pages, and the shared pages of
# the libraries it maps (the same for every process that maps them)
serve_priv=$(($(kib "$BERTH_PID" Private_Clean) + $(kib "$BERTH_PID" Private_Dirty)))
serve_libs=$(awk '$6 ~ /\.so/ { print $6 }' "/proc/$BERTH_PID/maps" | sort -u | wc -l)
echo "  berth serve: $(mib "$serve_priv") MiB its own (private), $(mib $((SERVE_RSS - serve_priv))) MiB shared pages of $serve_libs libraries; RSS ratio to the $SERVE_GOAL MiB goal: $(awk -v s="$SERVE_RSS" -v g="$SERVE_GOAL" 'BEGIN { printf "%.2f", s / 1024 / g }')"
# and what the idle daemon costs in CPU: its own and its reaped children's
# (the repair passes it starts), over IDLE_SECONDS
cpu_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$BERTH_PID/stat"; }
c0=$(cpu_ticks)
sleep "$IDLE_SECONDS"
c1=$(cpu_ticks)
idle_cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" -v s="$IDLE_SECONDS" \
	'BEGIN { printf "%.0f", (b - a) * 1000 / hz * 60 / s }')
echo "  idle berth serve: $idle_cpu ms of CPU a minute (its own and its repair passes', over $IDLE_SECONDS s)"
echo "bench footprint: serve_rss=$(mib "$SERVE_RSS") shim_rss=$(mib "$SHIM_MAX") (max of $NSHIM) stack_rss=$(mib "$TOTAL_RSS") stack_pss=$(mib "$TOTAL_PSS") MiB vs piku $PIKU_RSS MiB: ratio $ratio; serve_idle_cpu=${idle_cpu} ms/min"
