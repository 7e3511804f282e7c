#!/usr/bin/env bash
# tests/layers.sh [ROOT] - the layering rule over the #include lines of the
# source folders under ROOT (default: this checkout).  Each folder has a
# floor; a file may include its own folder's headers and those of lower
# floors, never a higher one:
#   0 conf/ core/   config and shared services (store, spawn, names ...)
#   1 router/       the proxy in front of the apps
#   2 run/          app processes: shim, swap, health, recovery, app ops
#   3 deploy/       the receive hook and the deploy pipeline
#   4 gitd/         the SSH server, git protocols and commands
#   4 web/          the HTTP endpoint: dashboard, metrics (and webhooks)
#   5 cmd/          main and the server's sub-commands
# tests/ is outside the rule.  A folder with C files that has no floor is an
# error too, so a new folder gets one.  Prints each offending line as
# "FILE:LINE: ..." and exits 1 if there is any; tests/e2e/test_layers.sh
# runs it (so `make test` does) on this tree and on copies made to fail.
set -u
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$ROOT" || exit 2

floor() {
	case $1 in
	conf|core) echo 0 ;;
	router) echo 1 ;;
	run) echo 2 ;;
	deploy) echo 3 ;;
	gitd|web) echo 4 ;;
	cmd) echo 5 ;;
	*) echo "" ;;
	esac
}

bad=0
for dir in $(find . -mindepth 2 -maxdepth 2 -name '*.[ch]' \
    -not -path './tests/*' -not -path './build*' | cut -d/ -f2 | sort -u); do
	if [ -z "$(floor "$dir")" ]; then
		echo "$dir/: a folder of C files with no floor in tests/layers.sh"
		bad=1
	fi
done
while IFS=: read -r file line text; do
	from=${file%%/*}
	inc=${text#*\"}
	inc=${inc%%\"*}
	case $inc in
	*/*) to=${inc%%/*} ;;
	*) continue ;; # the file's own folder
	esac
	f=$(floor "$from")
	t=$(floor "$to")
	[ -n "$f" ] || continue # reported above
	if [ -z "$t" ]; then
		echo "$file:$line: includes \"$inc\", from $to/, which has no floor"
		bad=1
	elif [ "$t" -gt "$f" ]; then
		echo "$file:$line: includes \"$inc\": $from/ (floor $f) may not" \
		    "include $to/ (floor $t)"
		bad=1
	fi
done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' \
    conf/*.[ch] core/*.[ch] router/*.[ch] run/*.[ch] deploy/*.[ch] \
    gitd/*.[ch] web/*.[ch] cmd/*.[ch] 2>/dev/null)
exit $bad
