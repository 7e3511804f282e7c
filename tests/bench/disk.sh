#!/usr/bin/env bash
# tests/bench/disk.sh - disk used by an app's repository after many pushes
# (issue 20): BENCH_PUSHES (default 200) commits, each pushed on its own,
# to berth and, over file://, to a plain bare repository; then `git gc` on
# the plain one.  The history is a small project's: 30 text files of which
# a few change a few lines each commit, and a 64 KiB binary replaced every
# 25 commits.
#
# berth runs with its defaults ([upkeep] gc_auto_packs = 8: berth serve
# repacks by itself) and a deploy branch never pushed (no deploys, the
# repository alone is measured).  Figures, each the size of objects/ on
# disk (du, in KiB) and its pack count:
#   berth, no upkeep    what berth kept before issue 20 (gc_auto_packs = 0
#                       on a second berth, same pushes): the baseline
#   berth, automatic    after the pushes, once berth serve's upkeep settled
#   berth, apps:gc      after `apps:gc APP` on top (and how long it took)
#   git gc              the plain bare repository after `git gc` (and how
#                       long it took)
# and the ratios to `git gc`.  The goal: berth (automatic and apps:gc)
# within 1.2x of git gc; the benchmark fails above it.  It also checks that
# berth's repository passes `git fsck --strict` and has the client's refs.
#
# How to run:  make bench    or    BERTH=/abs/build/berth tests/bench/disk.sh
# Knobs: BENCH_PUSHES (200), BENCH_KEEP=1 keeps the temp dir.
set -euo pipefail

PUSHES=${BENCH_PUSHES:-200}
GOAL=1.2

# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BERTH_DIR=$T/auto start_berth '[server]' 'deploy_branch = never-pushed'
AUTO_PORT=$BERTH_PORT AUTO_DATA=$BERTH_DATA
BERTH_DIR=$T/none start_berth '[server]' 'deploy_branch = never-pushed' \
	'[upkeep]' 'gc_auto_packs = 0'
NONE_PORT=$BERTH_PORT NONE_DATA=$BERTH_DATA

W=$T/work
git init -q -b main "$W"
git init -q --bare "$T/plain.git"
"$PY" - "$W" <<'PY'
import os, sys
w = sys.argv[1]
for i in range(30):
    with open(os.path.join(w, "f%02d.txt" % i), "w") as f:
        for j in range(200):
            f.write("file %d line %d: the quick brown fox jumps over it\n" % (i, j))
PY
head -c 65536 /dev/urandom > "$W/asset.bin"
git -C "$W" add -A && git -C "$W" commit -qm "start"

# one commit: a few lines of a few files, now and then a new binary
change() {
	"$PY" - "$W" "$1" <<'PY'
import os, random, sys
w, n = sys.argv[1], int(sys.argv[2])
r = random.Random(n)
for _ in range(3):
    p = os.path.join(w, "f%02d.txt" % r.randrange(30))
    lines = open(p).read().splitlines(True)
    for _ in range(4):
        lines[r.randrange(len(lines))] = "edit %d: %08x\n" % (n, r.getrandbits(32))
    open(p, "w").writelines(lines)
if n % 25 == 0:
    open(os.path.join(w, "asset.bin"), "wb").write(os.urandom(65536))
PY
	git -C "$W" commit -qam "change $1"
}

push_all() { # push_all: the current main to both berths and the plain repo
	GIT_SSH_COMMAND="$SSH_BASE -p $AUTO_PORT" git -C "$W" push -q \
		"deploy@127.0.0.1:app" main
	GIT_SSH_COMMAND="$SSH_BASE -p $NONE_PORT" git -C "$W" push -q \
		"deploy@127.0.0.1:app" main
	git -C "$W" push -q "file://$T/plain.git" main
}

echo "disk.sh: $PUSHES pushes of one commit each"
push_all
for i in $(seq "$PUSHES"); do
	change "$i"
	push_all
done

kib() { du -sk "$1" | cut -f1; }
packs() { ls "$1" | grep -c '\.idx$' || true; }

# berth serve's upkeep runs soon after a push: wait until it is quiet
AUTO_REPO=$AUTO_DATA/repos/app.git
for _ in $(seq 600); do
	[ "$(packs "$AUTO_REPO/objects/pack")" -lt 8 ] && break
	sleep 0.1
done
sleep 2

NONE_KIB=$(kib "$NONE_DATA/repos/app.git/objects")
NONE_PACKS=$(packs "$NONE_DATA/repos/app.git/objects/pack")
AUTO_KIB=$(kib "$AUTO_REPO/objects")
AUTO_PACKS=$(packs "$AUTO_REPO/objects/pack")

t0=$(date +%s.%N)
$SSH_BASE -p "$AUTO_PORT" deploy@127.0.0.1 apps:gc app > "$T/gc.out"
t1=$(date +%s.%N)
GC_KIB=$(kib "$AUTO_REPO/objects")
GC_PACKS=$(packs "$AUTO_REPO/objects/pack")

t2=$(date +%s.%N)
git -C "$T/plain.git" gc -q
t3=$(date +%s.%N)
PLAIN_KIB=$(kib "$T/plain.git/objects")
PLAIN_PACKS=$(packs "$T/plain.git/objects/pack")

git --git-dir="$AUTO_REPO" fsck --strict --no-dangling > "$T/fsck.log" 2>&1 ||
	{ cat "$T/fsck.log"; die "berth's repository fails git fsck --strict"; }
[ "$(git --git-dir="$AUTO_REPO" rev-parse main)" = "$(git -C "$W" rev-parse main)" ] ||
	die "berth's main differs from the client's"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
printf '%-22s %8s %6s %7s\n' "" "KiB" "packs" "x git"
printf '%-22s %8s %6s %7s\n' "berth, no upkeep" "$NONE_KIB" "$NONE_PACKS" "$(ratio "$NONE_KIB" "$PLAIN_KIB")"
printf '%-22s %8s %6s %7s\n' "berth, automatic" "$AUTO_KIB" "$AUTO_PACKS" "$(ratio "$AUTO_KIB" "$PLAIN_KIB")"
printf '%-22s %8s %6s %7s   (apps:gc %s s)\n' "berth, apps:gc" "$GC_KIB" "$GC_PACKS" "$(ratio "$GC_KIB" "$PLAIN_KIB")" "$(secs "$t0" "$t1")"
printf '%-22s %8s %6s %7s   (git gc %s s)\n' "git gc" "$PLAIN_KIB" "$PLAIN_PACKS" "1.00" "$(secs "$t2" "$t3")"

for v in "$AUTO_KIB" "$GC_KIB"; do
	awk -v a="$v" -v b="$PLAIN_KIB" -v g="$GOAL" 'BEGIN { exit !(a / b <= g) }' ||
		die "berth uses $(ratio "$v" "$PLAIN_KIB")x the disk of git gc (goal: $GOAL)"
done
echo "disk.sh: within ${GOAL}x of git gc"
