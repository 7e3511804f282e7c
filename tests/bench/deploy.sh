#!/usr/bin/env bash
# tests/bench/deploy.sh - push-to-deploy latency, and berth's share of it.
#
# What it measures: the wall time from the start of `git push` to its end
# when the push deploys, for two apps built by the shipped buildpacks
# (buildpacks/ of this repository):
#   - static:   a static site (index.html, a stylesheet, ~50 small pages),
#               built by buildpacks/static;
#   - procfile: "web: python3 server.py" and a small server.py, built by
#               buildpacks/procfile; berth starts it on a fresh port,
#               health-checks it and routes to it before the push ends.
# For each app the first push (which creates the app) is reported on its own,
# then BENCH_RUNS pushes of one new commit each (one file changed).  Each
# push is split with the line berth prints at the end of a deploy,
#     remote: -----> Released vN of APP in T s (berth B s, buildpack P s)
# into "berth" (B: export of the tree, detect, bookkeeping, swap of the
# release: everything but the buildpack) and "buildpack" (P: its compile
# and release steps), both rounded by berth to 10 ms; "rest" is the wall
# time minus both (SSH, the git protocol and pack, the client).
# The reference is a plain `git push` of the same commits, in the same
# order, alternating with berth's, to a bare repository through
# git-receive-pack behind a private OpenSSH sshd: no deploy at all.
# It prints every push, the medians, berth's share (median berth / median
# wall time) and the ratio (median push+deploy) / (median plain push), and
# last a line "bench deploy: static=... procfile=... berth_share_static=...
# ratio_vs_plain_push_static=... berth_share_procfile=...
# ratio_vs_plain_push_procfile=...".
# Every berth push must exit 0, report release vN with N counting up from 1,
# leave DATA/apps/APP/current -> releases/N and the app's main at the
# client's commit; anything else fails the benchmark.  Takes about 10 s.
#
# How to run:  make bench      (runs tests/bench/run with BERTH set)
#          or  BERTH=/abs/path/build/berth tests/bench/deploy.sh
# Knobs (environment): BENCH_RUNS (default 5), BENCH_KEEP=1 keeps the
# temporary directory (logs, repositories, releases) afterwards.
# Needs root (sshd and the reference push log in as root), git, python3,
# ssh, and /usr/sbin/sshd (installed with apt-get if missing).
set -euo pipefail

RUNS=${BENCH_RUNS:-5}

# temp dir, cleanup, servers, client key...: shared with the other benchmarks
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUILDPACKS=$REPO_ROOT/buildpacks
for p in static procfile; do
	[ -x "$BUILDPACKS/$p/bin/compile" ] || die "no buildpack $BUILDPACKS/$p"
done

# ---------------------------------------------------------------- apps ---

# static site: index.html, a stylesheet and 50 small pages
SITE=$T/apps/site
git init -q -b main "$SITE"
mkdir -p "$SITE/css" "$SITE/pages"
cat >"$SITE/css/style.css" <<'EOF'
body { font-family: sans-serif; margin: 2em auto; max-width: 40em; color: #222; }
h1 { font-size: 1.6em; }
nav a { margin-right: 0.6em; }
footer { margin-top: 3em; font-size: 0.8em; color: #666; }
EOF
{
	echo '<!doctype html>'
	echo '<html><head><meta charset="utf-8"><title>bench site</title>'
	echo '<link rel="stylesheet" href="css/style.css"></head><body>'
	echo '<h1>bench site</h1>'
	echo '<p class="rev">revision 0</p>'
	echo '<nav>'
	for i in $(seq -w 1 50); do echo "<a href=\"pages/page$i.html\">page $i</a>"; done
	echo '</nav></body></html>'
} >"$SITE/index.html"
for i in $(seq -w 1 50); do
	{
		echo '<!doctype html>'
		echo "<html><head><meta charset=\"utf-8\"><title>page $i</title>"
		echo '<link rel="stylesheet" href="../css/style.css"></head><body>'
		echo "<h1>page $i</h1>"
		for j in 1 2 3; do
			echo "<p>Paragraph $j of page $i: some text to make the file a few hundred bytes long, like a small page of a real site.</p>"
		done
		echo '<footer><a href="../index.html">home</a></footer></body></html>'
	} >"$SITE/pages/page$i.html"
done

# Procfile app: a web process and its server
PROC=$T/apps/proc
git init -q -b main "$PROC"
echo 'web: python3 server.py' >"$PROC/Procfile"
cat >"$PROC/server.py" <<'EOF'
"""A tiny web server: answers every GET with its revision."""
import http.server
import os

REVISION = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"revision {REVISION}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "5000"))
    http.server.ThreadingHTTPServer(("", port), Handler).serve_forever()
EOF

# commit_rev APP_DIR REV: change one file to say revision REV and commit it.
commit_rev() {
	local dir=$1 rev=$2
	if [ "$dir" = "$SITE" ]; then
		sed -i "s|<p class=\"rev\">revision [0-9]*</p>|<p class=\"rev\">revision $rev</p>|" "$dir/index.html"
	else
		sed -i "s/^REVISION = [0-9]*$/REVISION = $rev/" "$dir/server.py"
	fi
	git -C "$dir" add -A
	GIT_AUTHOR_DATE="2024-01-01T12:00:$(printf %02d "$rev")Z" \
		GIT_COMMITTER_DATE="2024-01-01T12:00:$(printf %02d "$rev")Z" \
		git -C "$dir" commit -q -m "revision $rev"
}
commit_rev "$SITE" 0
commit_rev "$PROC" 0
nfiles_site=$(git -C "$SITE" ls-files | wc -l)
nfiles_proc=$(git -C "$PROC" ls-files | wc -l)

# ------------------------------------------------------------- servers ---

start_sshd
mkdir -p "$T/ref"
start_berth '[build]' "buildpacks_dir = $BUILDPACKS"

# -------------------------------------------------------------- pushes ---

# berth_push APP DIR VERSION: push DIR's main to berth's APP, which must
# deploy it as release VERSION.  Sets TOTAL (wall, s), BERTH_S and PACK_S
# (from the Released line).
berth_push() {
	local app=$1 dir=$2 version=$3 t0 t1 line got head
	sync # write back the previous push first, so no push pays for another's I/O
	t0=$(date +%s.%N)
	if ! GIT_SSH_COMMAND="$SSH_BASE -p $BERTH_PORT" timeout 60 \
		git -C "$dir" push "deploy@127.0.0.1:$app" main >"$T/push.log" 2>&1; then
		cat "$T/push.log" >&2
		die "$app: push of v$version to berth failed"
	fi
	t1=$(date +%s.%N)
	# git pads remote lines with blanks (or ends them with \r): strip them
	line=$(tr -d '\r' <"$T/push.log" | sed -n 's/[[:space:]]*$//; s/^remote: -----> Released \(v[0-9]* of .*\)$/\1/p')
	read -r got BERTH_S PACK_S < <(printf '%s\n' "$line" | sed -n \
		's/^v\([0-9]*\) of [^ ]* in [0-9.]* s (berth \([0-9.]*\) s, buildpack \([0-9.]*\) s)$/\1 \2 \3/p') ||
		{ cat "$T/push.log" >&2; die "$app: no 'Released' line in the output of the push"; }
	[ "$got" = "$version" ] ||
		{ cat "$T/push.log" >&2; die "$app: berth released v$got, expected v$version"; }
	got=$(readlink "$BERTH_DATA/apps/$app/current" || true)
	[ "$got" = "releases/$version" ] ||
		die "$app: current -> '$got' after the push, expected releases/$version"
	head=$(git -C "$dir" rev-parse main)
	got=$(git --git-dir="$BERTH_DATA/repos/$app.git" rev-parse --verify -q refs/heads/main || true)
	[ "$got" = "$head" ] || die "$app: berth's main is '$got', client has $head"
	TOTAL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

# plain_push DIR REF: push DIR's main to the bare repository REF through
# sshd and git-receive-pack.  Sets PLAIN (wall, s).
plain_push() {
	local dir=$1 ref=$2 t0 t1 got head
	sync
	t0=$(date +%s.%N)
	if ! GIT_SSH_COMMAND="$SSH_BASE -p $SSHD_PORT" timeout 60 \
		git -C "$dir" push "root@127.0.0.1:$ref" main >"$T/push.log" 2>&1; then
		cat "$T/push.log" >&2
		die "reference: push to $ref failed"
	fi
	t1=$(date +%s.%N)
	head=$(git -C "$dir" rev-parse main)
	got=$(git --git-dir="$ref" rev-parse --verify -q refs/heads/main || true)
	[ "$got" = "$head" ] || die "reference: $ref main is '$got', client has $head"
	PLAIN=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

rest() { awk -v t="$1" -v b="$2" -v p="$3" 'BEGIN { printf "%.3f", t - b - p }'; }

# bench_app KIND APP DIR NFILES: the first push, then RUNS pushes of one
# commit each, to berth and to the reference.  Sets MED_TOTAL, SHARE, RATIO.
bench_app() {
	local kind=$1 app=$2 dir=$3 nfiles=$4 ref=$T/ref/$2.git i
	local totals=() berths=() packs=() plains=() m_berth m_pack m_plain
	echo "$kind: app '$app', $nfiles files"
	git init -q --bare -b main "$ref"
	berth_push "$app" "$dir" 1
	plain_push "$dir" "$ref"
	printf '  first push (creates the app): %s s = berth %s s + buildpack %s s + rest %s s; plain git push %s s\n' \
		"$TOTAL" "$BERTH_S" "$PACK_S" "$(rest "$TOTAL" "$BERTH_S" "$PACK_S")" "$PLAIN"
	for i in $(seq "$RUNS"); do
		commit_rev "$dir" "$i"
		berth_push "$app" "$dir" $((i + 1))
		plain_push "$dir" "$ref"
		totals+=("$TOTAL") berths+=("$BERTH_S") packs+=("$PACK_S") plains+=("$PLAIN")
		printf '  push %d (v%d): %s s = berth %s s + buildpack %s s + rest %s s; plain git push %s s\n' \
			"$i" $((i + 1)) "$TOTAL" "$BERTH_S" "$PACK_S" "$(rest "$TOTAL" "$BERTH_S" "$PACK_S")" "$PLAIN"
	done
	MED_TOTAL=$(median "${totals[@]}")
	m_berth=$(median "${berths[@]}")
	m_pack=$(median "${packs[@]}")
	m_plain=$(median "${plains[@]}")
	SHARE=$(awk -v b="$m_berth" -v t="$MED_TOTAL" 'BEGIN { printf "%.2f", b / t }')
	RATIO=$(awk -v t="$MED_TOTAL" -v r="$m_plain" 'BEGIN { printf "%.2f", t / r }')
	printf '  median of %d: push+deploy %s s (berth %s s, buildpack %s s); plain git push %s s\n' \
		"$RUNS" "$MED_TOTAL" "$m_berth" "$m_pack" "$m_plain"
	printf '  berth share %s of the push; push+deploy / plain push = %s\n' "$SHARE" "$RATIO"
}

echo "push to deploy: first push, then $RUNS pushes of one commit per app, alternating berth / plain git push"
bench_app static site "$SITE" "$nfiles_site"
s_med=$MED_TOTAL s_share=$SHARE s_ratio=$RATIO
bench_app procfile proc "$PROC" "$nfiles_proc"
p_med=$MED_TOTAL p_share=$SHARE p_ratio=$RATIO

echo "bench deploy: static=$s_med procfile=$p_med berth_share_static=$s_share ratio_vs_plain_push_static=$s_ratio berth_share_procfile=$p_share ratio_vs_plain_push_procfile=$p_ratio"
