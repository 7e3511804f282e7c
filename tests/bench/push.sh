#!/usr/bin/env bash
# tests/bench/push.sh - git over SSH, berth vs git behind OpenSSH's sshd.
#
# Two corpora, both generated here, deterministically, with no network:
#   blobs    5 commits of large incompressible blobs, medium blobs and many
#            small text files (~100 MiB of objects): push only;
#   history  a history shaped like a real project's: 9,000 commits of mostly
#            small text files changing a few lines at a time (long delta
#            chains), 20 big text files, binary assets replaced now and
#            then, 300 tags (half annotated), 22 branches, and submodule
#            entries (gitlinks) added, bumped, moved and removed; 100k+
#            objects, packed by `git repack -adf` as a real clone would be.
#            Operations: `git push --mirror` (every ref) into an empty
#            repository, the same push onto the older state (300 commits
#            back, and the tags it has: a thin pack, whose bases and links
#            reach into the repository), `git clone --mirror` back, and a
#            `git fetch '+refs/*:refs/*'` of the last 300 commits and their
#            tags into a copy of the older state.
# Each operation runs against
#   - berth (`berth serve`, its own SSH server, native receive-pack and
#     upload-pack), and
#   - the reference: git-receive-pack / git-upload-pack run by OpenSSH's sshd,
# both on 127.0.0.1, same client, same key, same data, runs alternating;
# pushes go into a fresh empty repository each.  berth's deploy branch is
# set to one never pushed, so a push deploys nothing (tests/bench/deploy.sh
# measures deploys).
# It prints every run, the medians, the ratio berth/reference, and the
# peak RSS (VmHWM) of the server-side processes (berth's per-connection
# child; every descendant of sshd for the reference: git-receive-pack and
# index-pack, or git-upload-pack and pack-objects), sampled from /proc every
# ~20 ms (best effort: "n/a" when nothing was seen).
# After each push it compares every ref with the client's and runs git fsck
# on berth's repository; after each clone or fetch it compares every ref of
# the result with the corpus (and fscks berth's); a mismatch fails the
# benchmark.
#
# How to run:  make bench      (runs tests/bench/run with BERTH set)
#          or  BERTH=/abs/path/build/berth tests/bench/push.sh
# Knobs (environment): BENCH_RUNS (default 3), BENCH_CORPUS (blobs, history
# or both; default both), BENCH_SIZE_MIB (default 100, the blobs corpus),
# BENCH_COMMITS (default 9000, the history corpus), BENCH_HISTORY (a bare
# repository of the history corpus generated before, instead of a new one),
# BENCH_KEEP=1 keeps the temporary directory (logs, repositories) afterwards.
# Needs root (sshd and the reference push log in as root), git, python3,
# ssh, and /usr/sbin/sshd (installed with apt-get if missing).
set -euo pipefail

RUNS=${BENCH_RUNS:-3}
SIZE_MIB=${BENCH_SIZE_MIB:-100}
HISTORY_COMMITS=${BENCH_COMMITS:-9000}
CORPUS=${BENCH_CORPUS:-both}
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

# ---------------------------------------------------- the blobs corpus ---

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

# make_blobs DIR: the work tree of the blobs corpus
make_blobs() {
	local dir=$1 k per_commit
	git init -q -b main "$dir"
	per_commit=$(( SIZE_MIB * 1024 * 1024 / COMMITS ))
	echo "generating the blobs corpus: $COMMITS commits, ~$SIZE_MIB MiB of objects"
	for k in $(seq "$COMMITS"); do
		"$PY" "$T/gen.py" "$dir" "$k" "$per_commit"
		git -C "$dir" add -A
		GIT_AUTHOR_DATE="2024-01-0${k}T12:00:00Z" GIT_COMMITTER_DATE="2024-01-0${k}T12:00:00Z" \
			git -C "$dir" commit -q -m "bench commit $k"
	done
	git -C "$dir" gc -q
}

# -------------------------------------------------- the history corpus ---

cat >"$T/history.py" <<'EOF'
# history.py COMMITS: a git fast-import stream on stdout for a history shaped
# like a real project's.  Seeded: same input, same bytes.
import random
import sys

ncommits = int(sys.argv[1])
rng = random.Random(0x62657274)
WORDS = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(2, 9)))
         for _ in range(3000)]
out = sys.stdout.buffer

def line():
    return (" " * (4 * rng.randint(0, 3)) +
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 12))) + "\n")

def data(b):
    out.write(b"data %d\n" % len(b))
    out.write(b)
    out.write(b"\n")

def edit(ls, ops):
    for _ in range(ops):
        pos = rng.randint(0, len(ls))
        op = rng.random()
        if op < 0.5 or len(ls) < 5:
            ls[pos:pos] = [line() for _ in range(rng.randint(1, 5))]
        elif op < 0.8:
            ls[min(pos, len(ls) - 1)] = line()
        else:
            del ls[pos:pos + rng.randint(1, 3)]

dirs = [f"src/{a}/{b}" for a in ("core", "net", "ui", "db", "util", "io") for b in range(12)]
dirs += [f"lib/m{i}" for i in range(30)] + ["docs", "tests/unit", "tests/e2e", "tools"]
files = {f"{rng.choice(dirs)}/f{i:04d}.c": [line() for _ in range(rng.randint(10, 180))]
         for i in range(1500)}
big = sorted(f"docs/big{i:02d}.txt" for i in range(20))
for f in big:
    files[f] = [line() for _ in range(rng.randint(300, 2500))]
assets = [f"assets/img{i:02d}.bin" for i in range(15)]
blobs = {}
names = sorted(files)
hot = names[:]
rng.shuffle(hot)
hot = set(hot[:200])
hotlist = sorted(hot)
nextfile = 1500
mark = 0
gitlinks = {}
t0 = 1500000000

def fake_commit_id():
    return "%040x" % rng.getrandbits(160)

for c in range(ncommits):
    changes, touched = [], set()
    if c == 0:
        touched = set(files)
        for a in assets:
            blobs[a] = rng.randbytes(rng.randint(50 << 10, 400 << 10))
            touched.add(a)
    else:
        for _ in range(rng.randint(1, 7)):
            f = rng.choice(hotlist) if rng.random() < 0.6 else rng.choice(names)
            if f in files:
                touched.add(f)
        if rng.random() < 0.15:
            touched.add(rng.choice(big))
        for f in sorted(touched):  # a set's order changes with each run
            edit(files[f], rng.randint(1, 4))
        if rng.random() < 0.3:
            f = f"{rng.choice(dirs)}/f{nextfile:04d}.c"
            nextfile += 1
            files[f] = [line() for _ in range(rng.randint(5, 80))]
            names.append(f)
            touched.add(f)
        if rng.random() < 0.05:
            f = rng.choice(names)
            if f in files and f not in hot and f not in big:
                del files[f]
                changes.append(b"D %s\n" % f.encode())
                touched.discard(f)
        if rng.random() < 0.02:
            a = rng.choice(assets)
            blobs[a] = rng.randbytes(rng.randint(50 << 10, 400 << 10))
            touched.add(a)
    for f in sorted(touched):
        mark += 1
        out.write(b"blob\nmark :%d\n" % mark)
        data(blobs[f] if f in blobs else "".join(files[f]).encode())
        changes.append(b"M 100644 :%d %s\n" % (mark, f.encode()))
    # submodules: added, bumped now and then, one moved, one removed
    if c in (5, 40, 300) or (gitlinks and rng.random() < 0.02):
        path = {5: "vendor/libfoo", 40: "vendor/libbar", 300: "third_party/zlib"}.get(c) \
            or rng.choice(sorted(gitlinks))
        gitlinks[path] = fake_commit_id()
        changes.append(b"M 160000 %s %s\n" % (gitlinks[path].encode(), path.encode()))
    if c == ncommits // 2 and "vendor/libbar" in gitlinks:
        changes.append(b"D vendor/libbar\n")
        gitlinks["deps/libbar"] = gitlinks.pop("vendor/libbar")
        changes.append(b"M 160000 %s deps/libbar\n" % gitlinks["deps/libbar"].encode())
    if c == (3 * ncommits) // 4 and "vendor/libfoo" in gitlinks:
        del gitlinks["vendor/libfoo"]
        changes.append(b"D vendor/libfoo\n")
    mark += 1
    out.write(b"commit refs/heads/main\nmark :%d\n" % mark)
    when = t0 + c * 3600
    who = b"Dev %d <dev%d@example.com> %d +0000\n" % (c % 17, c % 17, when)
    out.write(b"author " + who + b"committer " + who)
    data(b"change %d: %s\n" % (c, line().strip().encode()))
    if c > 0:
        out.write(b"from :%d\n" % prev)
    out.writelines(changes)
    out.write(b"\n")
    prev = mark
    if c % 30 == 29:
        name = b"v%d.%d" % (c // 3000, c // 30 % 100)
        if c % 60 == 59:
            out.write(b"tag %s\nfrom :%d\ntagger Rel <rel@example.com> %d +0000\n" % (name, mark, when))
            data(b"release " + name + b"\n")
        else:
            out.write(b"reset refs/tags/%s\nfrom :%d\n\n" % (name, mark))
    if c % 400 == 399:
        out.write(b"reset refs/heads/stable-%d\nfrom :%d\n\n" % (c // 400, mark))
out.write(b"done\n")
EOF

# make_history DIR: the bare repository of the history corpus, packed
# (BENCH_HISTORY: a copy of that bare repository made earlier, to save the
# minute it takes)
make_history() {
	local dir=$1
	if [ -n "${BENCH_HISTORY:-}" ]; then
		cp -a "$BENCH_HISTORY" "$dir"
		return
	fi
	echo "generating the history corpus: $HISTORY_COMMITS commits"
	git init -q --bare -b main "$dir"
	"$PY" "$T/history.py" "$HISTORY_COMMITS" | git -C "$dir" fast-import --quiet --done
	git -C "$dir" repack -adfq
}

# refs_of GIT_DIR: every ref and what it points at, sorted
refs_of() {
	git --git-dir="$1" for-each-ref --format='%(objectname) %(refname)' | sort
}

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

# timed LABEL SAMPLE_ROOT_PID SAMPLE_MODE COMMAND...
# Runs COMMAND (a git client command) while sampling the server side.
# Sets ELAPSED (seconds), MEM ("MiB" figure or n/a) and MEM_NAME.
timed() {
	local label=$1 root=$2 mode=$3 t0 t1 i kib name
	shift 3
	rm -f "$T/mem.stop" "$T/mem.ready" "$T/mem.out"
	# write back the previous run first, so no run pays for another's I/O
	sync
	"$PY" "$T/memsample.py" "$T/mem.out" "$root" "$mode" "$T/mem.stop" "$T/mem.ready" &
	SAMPLER_PID=$!
	for i in $(seq 100); do
		[ -e "$T/mem.ready" ] && break
		sleep 0.02
	done
	t0=$(date +%s.%N)
	if ! timeout 600 "$@" >"$T/run.log" 2>&1; then
		cat "$T/run.log" >&2
		die "$label failed: $*"
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


# ------------------------------------------------------------------ runs ---

# One line per operation: "NAME BERTH_MEDIAN GIT_MEDIAN RATIO BERTH_PEAK
# GIT_PEAK".
SUMMARY=()
b_t=() r_t=() b_m=() r_m=()

# report NAME: medians, ratio and peaks of the runs in b_t r_t b_m r_m
report() {
	local name=$1 b_med r_med ratio b_peak r_peak
	b_med=$(median "${b_t[@]}")
	r_med=$(median "${r_t[@]}")
	ratio=$(awk -v b="$b_med" -v r="$r_med" 'BEGIN { printf "%.2f", b / r }')
	b_peak=$(max_mem "${b_m[@]}")
	r_peak=$(max_mem "${r_m[@]}")
	echo "$name median: berth $b_med s, git+sshd $r_med s, ratio berth/git $ratio;" \
		"peak RSS: berth $(mem_fmt "$b_peak"), git+sshd $(mem_fmt "$r_peak")"
	SUMMARY+=("$name $b_med $r_med $ratio $b_peak $r_peak")
	b_t=() r_t=() b_m=() r_m=()
}

# run_pair I NAME BERTH_COMMAND... -- GIT_COMMAND...: one berth run, then
# one reference run; times and peaks go to b_t r_t b_m r_m.
run_pair() {
	local i=$1 name=$2 bcmd=() bt bm bn
	shift 2
	while [ "$1" != -- ]; do
		bcmd+=("$1")
		shift
	done
	shift
	timed "berth $name" "$BERTH_PID" children "${bcmd[@]}"
	bt=$ELAPSED bm=$MEM bn=$MEM_NAME
	timed "git $name" "$SSHD_PID" descendants "$@"
	b_t+=("$bt") r_t+=("$ELAPSED") b_m+=("$bm") r_m+=("$MEM")
	printf '%s run %d: berth %s s (peak RSS %s), git+sshd %s s (peak RSS %s)\n' \
		"$name" "$i" "$bt" "$(mem_fmt "$bm" "$bn")" "$ELAPSED" \
		"$(mem_fmt "$MEM" "$MEM_NAME")"
}

# same_refs A B WHAT: two repositories have the same refs
same_refs() {
	cmp -s <(refs_of "$1") <(refs_of "$2") || {
		diff <(refs_of "$1") <(refs_of "$2") | head >&2
		die "$3: refs differ"
	}
}

# fsck_ok GIT_DIR WHAT
fsck_ok() {
	git --git-dir="$1" fsck --no-progress --no-dangling >"$T/fsck.log" 2>&1 ||
		{ cat "$T/fsck.log" >&2; die "$2: git fsck failed"; }
}

# corpus_line GIT_DIR: objects, pack size, refs
corpus_line() {
	echo "$(git --git-dir="$1" count-objects -v | awk '$1 == "in-pack:" { print $2 }') objects," \
		"size-pack $(git --git-dir="$1" count-objects -vH | awk '$1 == "size-pack:" { print $2, $3 }')," \
		"$(git --git-dir="$1" for-each-ref | wc -l) refs"
}

bench_blobs() {
	local client=$T/blobs i app repo ref head
	make_blobs "$client"
	head=$(git -C "$client" rev-parse main)
	echo "blobs corpus: $(corpus_line "$client/.git")"
	for i in $(seq "$RUNS"); do
		app=blobs$i ref=$T/ref/blobs$i.git
		git init -q --bare -b main "$ref"
		run_pair "$i" push-blobs \
			"${AS_BERTH[@]}" git -C "$client" push -q "deploy@127.0.0.1:$app" main -- \
			"${AS_GIT[@]}" git -C "$client" push -q "root@127.0.0.1:$ref" main
		repo=$BERTH_DATA/repos/$app.git
		[ "$(git --git-dir="$repo" rev-parse -q --verify main)" = "$head" ] ||
			die "berth: $app main is not $head"
		[ "$(git --git-dir="$ref" rev-parse -q --verify main)" = "$head" ] ||
			die "git: main is not $head"
		fsck_ok "$repo" "berth $app"
	done
	report push-blobs
}

# make_old CORPUS OLD: the state a fetch starts from, 300 commits back
make_old() {
	git init -q --bare -b main "$2"
	git -C "$1" push -q "$2" "main~300:refs/heads/main"
	git -C "$1" for-each-ref --format='%(refname)' refs/tags | while read -r tag; do
		if git -C "$1" merge-base --is-ancestor "$tag^{commit}" main~300; then
			echo "$tag:$tag"
		fi
	done | xargs git -C "$1" push -q "$2"
}

bench_history() {
	local corpus=$T/history.git old=$T/history-old.git i app repo ref out
	make_history "$corpus"
	echo "history corpus: $(corpus_line "$corpus")," \
		"$(git -C "$corpus" ls-tree -r main | grep -c '^160000') gitlinks at main"
	make_old "$corpus" "$old"
	for i in $(seq "$RUNS"); do
		app=history$i ref=$T/ref/history$i.git
		git init -q --bare -b main "$ref"
		run_pair "$i" push-history \
			"${AS_BERTH[@]}" git -C "$corpus" push -q --mirror "deploy@127.0.0.1:$app" -- \
			"${AS_GIT[@]}" git -C "$corpus" push -q --mirror "root@127.0.0.1:$ref"
		repo=$BERTH_DATA/repos/$app.git
		same_refs "$corpus" "$repo" "berth push --mirror"
		same_refs "$corpus" "$ref" "git push --mirror"
		fsck_ok "$repo" "berth $app"
	done
	report push-history
	for i in $(seq "$RUNS"); do
		app=onto$i ref=$T/ref/onto$i.git
		git init -q --bare -b main "$ref"
		"${AS_BERTH[@]}" git -C "$old" push -q --mirror "deploy@127.0.0.1:$app" \
			2>"$T/setup.log" || { cat "$T/setup.log" >&2; die "berth: pushing the older state failed"; }
		"${AS_GIT[@]}" git -C "$old" push -q --mirror "root@127.0.0.1:$ref"
		run_pair "$i" push-onto \
			"${AS_BERTH[@]}" git -C "$corpus" push -q --mirror "deploy@127.0.0.1:$app" -- \
			"${AS_GIT[@]}" git -C "$corpus" push -q --mirror "root@127.0.0.1:$ref"
		same_refs "$corpus" "$BERTH_DATA/repos/$app.git" "berth push onto the older state"
		same_refs "$corpus" "$ref" "git push onto the older state"
		fsck_ok "$BERTH_DATA/repos/$app.git" "berth $app"
	done
	report push-onto
	for i in $(seq "$RUNS"); do
		out=$T/clone$i
		run_pair "$i" clone-history \
			"${AS_BERTH[@]}" git clone -q --mirror "deploy@127.0.0.1:history1" "$out-berth.git" -- \
			"${AS_GIT[@]}" git clone -q --mirror "root@127.0.0.1:$T/ref/history1.git" "$out-git.git"
		same_refs "$corpus" "$out-berth.git" "clone from berth"
		same_refs "$corpus" "$out-git.git" "clone from git"
		fsck_ok "$out-berth.git" "clone from berth"
		rm -rf "$out-berth.git" "$out-git.git"
	done
	report clone-history
	for i in $(seq "$RUNS"); do
		out=$T/fetch$i
		cp -a "$old" "$out-berth.git"
		cp -a "$old" "$out-git.git"
		run_pair "$i" fetch-history \
			"${AS_BERTH[@]}" git -C "$out-berth.git" fetch -q "deploy@127.0.0.1:history1" '+refs/*:refs/*' -- \
			"${AS_GIT[@]}" git -C "$out-git.git" fetch -q "root@127.0.0.1:$T/ref/history1.git" '+refs/*:refs/*'
		same_refs "$corpus" "$out-berth.git" "fetch from berth"
		same_refs "$corpus" "$out-git.git" "fetch from git"
		fsck_ok "$out-berth.git" "fetch from berth"
		rm -rf "$out-berth.git" "$out-git.git"
	done
	report fetch-history
}

# --------------------------------------------------------------- servers ---

start_sshd
mkdir -p "$T/ref"
# Raw pushes only: a push to berth's deploy branch (main by default) would
# also deploy (and fail: the corpora are no apps).  Name a branch this
# benchmark never pushes, so main is only stored, like the reference's.
start_berth 'deploy_branch = bench-no-deploy'
# the client's ssh for each server (commands run under timeout: no functions)
AS_BERTH=(env "GIT_SSH_COMMAND=$SSH_BASE -p $BERTH_PORT")
AS_GIT=(env "GIT_SSH_COMMAND=$SSH_BASE -p $SSHD_PORT")

case $CORPUS in
blobs) bench_blobs ;;
history) bench_history ;;
both) bench_blobs && bench_history ;;
*) die "BENCH_CORPUS must be blobs, history or both" ;;
esac

echo "summary: median s berth, git+sshd; ratio berth/git; peak RSS MiB berth, git+sshd"
for line in "${SUMMARY[@]}"; do
	read -r name bm rm ratio bp rp <<<"$line"
	printf '  %-14s %8s %8s  ratio %5s  RSS %7s %7s\n' "$name" "$bm" "$rm" "$ratio" "$bp" "$rp"
	echo "bench $name: ratio=$ratio"
done
