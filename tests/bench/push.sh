#!/usr/bin/env bash
# tests/bench/push.sh - push throughput: berth vs git-receive-pack behind sshd.
#
# What it measures: the wall time of `git push` of the full history of a
# deterministically generated repository (~100 MiB of objects, 5 commits of
# large incompressible blobs, medium blobs and many small text files) to
#   - berth (`berth serve`, its own SSH server and native receive-pack), and
#   - the reference: git-receive-pack run by OpenSSH's sshd,
# both on 127.0.0.1, same client, same key, same data, each into a fresh
# empty repository; berth's deploy branch is set to one never pushed, so
# the push deploys nothing (tests/bench/deploy.sh measures deploys).
# It prints every run, the medians, the ratio berth/reference, and the
# peak RSS (VmHWM) of the server-side processes (berth's per-connection
# child; every descendant of sshd for the reference),
# sampled from /proc every ~20 ms (best effort: "n/a" when nothing was seen).
# After each berth push it checks the pushed repository with git fsck and
# compares main with the client; a mismatch fails the benchmark.
#
# How to run:  make bench      (runs tests/bench/run with BERTH set)
#          or  BERTH=/abs/path/build/berth tests/bench/push.sh
# Knobs (environment): BENCH_RUNS (default 3), BENCH_SIZE_MIB (default 100),
# BENCH_KEEP=1 keeps the temporary directory (logs, repositories) afterwards.
# Needs root (sshd and the reference push log in as root), git, python3,
# ssh, and /usr/sbin/sshd (installed with apt-get if missing).
set -euo pipefail

RUNS=${BENCH_RUNS:-3}
SIZE_MIB=${BENCH_SIZE_MIB:-100}
COMMITS=5

# temp dir, cleanup, servers, client key...: shared with the other benchmarks
# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SAMPLER_PID=
bench_cleanup_hook() {
	if [ -n "$SAMPLER_PID" ]; then
		stop_pid "$SAMPLER_PID"
	fi
}

# ------------------------------------------------------- the test repo ---

cat >"$T/gen.py" <<'EOF'
# gen.py ROOT COMMIT TARGET_BYTES: write the files of commit COMMIT into the
# work tree ROOT, about TARGET_BYTES in total.  Seeded: same input, same bytes.
import os
import random
import sys

root, k, target = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(0x6265727468 + k)
vocab = random.Random(42)
WORDS = ["".join(vocab.choice("abcdefghijklmnopqrstuvwxyz")
                 for _ in range(vocab.randint(2, 10))) for _ in range(2000)]

def text(nlines):
    return "".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) + "\n"
                   for _ in range(nlines)).encode()

def put(rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)

written = 0
# many small text files
for i in range(300):
    written += put(f"src/c{k}/mod{i:03d}.txt", text(rng.randint(5, 120)))
# edit some files of earlier commits (gives the pack a few deltas)
if k > 1:
    old = sorted(f"src/c{j}/mod{i:03d}.txt" for j in range(1, k) for i in range(300))
    for rel in rng.sample(old, 40):
        with open(os.path.join(root, rel), "ab") as f:
            extra = text(rng.randint(1, 10))
            f.write(extra)
            written += len(extra)
# medium binary files
for i in range(12):
    written += put(f"assets/c{k}/blob{i:02d}.bin", rng.randbytes(rng.randint(16 << 10, 512 << 10)))
# the rest in three large binary files of uneven sizes
rest = max(target - written, 3 << 20)
a, b = sorted(rng.uniform(0.1, 0.9) for _ in range(2))
for i, share in enumerate((a, b - a, 1 - b)):
    written += put(f"data/c{k}/large{i}.bin", rng.randbytes(int(rest * share)))
EOF

CLIENT=$T/client
git init -q -b main "$CLIENT"
per_commit=$(( SIZE_MIB * 1024 * 1024 / COMMITS ))
echo "generating test repository: $COMMITS commits, ~$SIZE_MIB MiB of objects"
for k in $(seq "$COMMITS"); do
	"$PY" "$T/gen.py" "$CLIENT" "$k" "$per_commit"
	git -C "$CLIENT" add -A
	GIT_AUTHOR_DATE="2024-01-0${k}T12:00:00Z" GIT_COMMITTER_DATE="2024-01-0${k}T12:00:00Z" \
		git -C "$CLIENT" commit -q -m "bench commit $k"
done
git -C "$CLIENT" gc -q
HEAD_ID=$(git -C "$CLIENT" rev-parse main)
pack_kib=$(git -C "$CLIENT" count-objects -v | awk '$1 == "size-pack:" { print $2 }')
pack_h=$(git -C "$CLIENT" count-objects -vH | awk '$1 == "size-pack:" { print $2, $3 }')
nobj=$(git -C "$CLIENT" count-objects -v | awk '$1 == "in-pack:" { print $2 }')
pack_mib=$(awk -v k="$pack_kib" 'BEGIN { printf "%.0f", k / 1024 }')
echo "test repository: main=$HEAD_ID, $nobj objects, size-pack $pack_h"

# ------------------------------------------------------------- servers ---

start_sshd
mkdir -p "$T/ref"
# Raw push only: a push to berth's deploy branch (main by default) would
# also deploy (and fail: the test repository is no app).  Name a branch this
# benchmark never pushes, so main is only stored, like the reference's.
start_berth 'deploy_branch = bench-no-deploy'

# ------------------------------------------------------- memory sampler ---

cat >"$T/memsample.py" <<'EOF'
# memsample.py OUT ROOT_PID MODE STOPFILE READYFILE: until STOPFILE exists,
# every ~20 ms, read VmHWM of the children (MODE=children) or all
# descendants (MODE=descendants) of ROOT_PID; write "KIB NAME" of the
# largest to OUT ("0 -" if none was seen).
import os
import sys
import time

out, root, mode, stop, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

def procs():
    kids = {}
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open(f"/proc/{e}/stat") as f:
                s = f.read()
        except OSError:
            continue
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(e))
    if mode == "children":
        return kids.get(root, [])
    found, todo = [], [root]
    while todo:
        for c in kids.get(todo.pop(), []):
            found.append(c)
            todo.append(c)
    return found

def hwm(pid):
    name, kib = "?", 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Name:"):
                    name = line.split()[1]
                elif line.startswith("VmHWM:"):
                    kib = int(line.split()[1])
                    break
    except (OSError, ValueError, IndexError):
        pass
    return kib, name

best = (0, "-")
open(ready, "w").close()
while True:
    last = os.path.exists(stop)
    for p in procs():
        kib, name = hwm(p)
        if kib > best[0]:
            best = (kib, name)
    if last:
        break
    time.sleep(0.02)
with open(out, "w") as f:
    f.write(f"{best[0]} {best[1]}\n")
EOF

# timed_push LABEL URL SAMPLE_ROOT_PID SAMPLE_MODE PORT
# Sets ELAPSED (seconds) and MEM ("MiB" figure or n/a) and MEM_NAME.
timed_push() {
	local label=$1 url=$2 root=$3 mode=$4 port=$5 t0 t1 i kib name
	rm -f "$T/mem.stop" "$T/mem.ready" "$T/mem.out"
	# write back the previous push first, so no run pays for another's I/O
	sync
	"$PY" "$T/memsample.py" "$T/mem.out" "$root" "$mode" "$T/mem.stop" "$T/mem.ready" &
	SAMPLER_PID=$!
	for i in $(seq 100); do
		[ -e "$T/mem.ready" ] && break
		sleep 0.02
	done
	t0=$(date +%s.%N)
	if ! GIT_SSH_COMMAND="$SSH_BASE -p $port" timeout 150 \
		git -C "$CLIENT" push -q "$url" main >"$T/push.log" 2>&1; then
		cat "$T/push.log" >&2
		die "$label: git push to $url failed"
	fi
	t1=$(date +%s.%N)
	touch "$T/mem.stop"
	wait "$SAMPLER_PID" || true
	SAMPLER_PID=
	ELAPSED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	MEM=n/a MEM_NAME=
	if [ -s "$T/mem.out" ]; then
		read -r kib name <"$T/mem.out"
		if [ "${kib:-0}" -gt 0 ]; then
			MEM=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
			MEM_NAME=$name
		fi
	fi
}

# mem_fmt FIGURE [NAME]: "12.3 MiB (name)" or "n/a".
mem_fmt() {
	if [ "$1" = n/a ]; then printf 'n/a'; else printf '%s MiB%s' "$1" "${2:+ ($2)}"; fi
}

# max_mem FIGURE...: largest figure, ignoring n/a; n/a if all are.
max_mem() {
	printf '%s\n' "$@" | awk '$1 != "n/a" { if (!seen || $1 > m) m = $1; seen = 1 }
		END { if (seen) printf "%.1f", m; else printf "n/a" }'
}

# ----------------------------------------------------------------- runs ---

berth_times=() ref_times=() berth_mems=() ref_mems=()
echo "pushing $pack_h, $RUNS run(s) per side, alternating berth / reference"
for i in $(seq "$RUNS"); do
	app=bench$i
	timed_push berth "deploy@127.0.0.1:$app" "$BERTH_PID" children "$BERTH_PORT"
	b_t=$ELAPSED b_m=$MEM b_n=$MEM_NAME
	repo=$T/berth/data/repos/$app.git
	[ -d "$repo" ] || die "berth: $repo missing after push"
	got=$(git --git-dir="$repo" rev-parse --verify -q refs/heads/main) ||
		die "berth: $app has no main after push"
	[ "$got" = "$HEAD_ID" ] || die "berth: $app main is $got, client has $HEAD_ID"
	git --git-dir="$repo" fsck --no-progress >"$T/fsck.log" 2>&1 ||
		{ cat "$T/fsck.log" >&2; die "berth: git fsck of $app failed"; }

	ref=$T/ref/ref$i.git
	git init -q --bare -b main "$ref"
	timed_push reference "root@127.0.0.1:$ref" "$SSHD_PID" descendants "$SSHD_PORT"
	r_t=$ELAPSED r_m=$MEM r_n=$MEM_NAME
	got=$(git --git-dir="$ref" rev-parse --verify -q refs/heads/main) ||
		die "reference: ref$i has no main after push"
	[ "$got" = "$HEAD_ID" ] || die "reference: ref$i main is $got, client has $HEAD_ID"

	berth_times+=("$b_t") ref_times+=("$r_t") berth_mems+=("$b_m") ref_mems+=("$r_m")
	printf 'run %d: berth %s s (peak RSS %s), git-receive-pack+sshd %s s (peak RSS %s)\n' \
		"$i" "$b_t" "$(mem_fmt "$b_m" "$b_n")" "$r_t" "$(mem_fmt "$r_m" "$r_n")"
done

b_med=$(median "${berth_times[@]}")
r_med=$(median "${ref_times[@]}")
ratio=$(awk -v b="$b_med" -v r="$r_med" 'BEGIN { printf "%.2f", b / r }')
b_peak=$(max_mem "${berth_mems[@]}")
r_peak=$(max_mem "${ref_mems[@]}")

echo "median: berth $b_med s, git-receive-pack+sshd $r_med s"
echo "peak RSS: berth connection child $(mem_fmt "$b_peak"), git-receive-pack+sshd (max over descendants) $(mem_fmt "$r_peak")"
printf 'push %s MiB: berth %.2f s, git-receive-pack+sshd %.2f s, ratio berth/reference %s\n' \
	"$pack_mib" "$b_med" "$r_med" "$ratio"
echo "bench push: ratio=$ratio"
