# test_history.sh - real-shaped histories through real git over real ssh,
# each compared with what git-receive-pack does with the same push (a local
# bare repository): submodule entries (gitlinks) added, moved and removed;
# annotated tags, tags of tags, of a tree and of a blob; 300+ refs in one
# push; push --mirror, push options, --atomic, --force-with-lease; clone
# and fetch back with every ref compared; `git fsck --strict` after each.
# Then what must be refused: a pack that really lacks a blob, a commit
# whose parent is an unreachable repository commit that lacks a blob, and
# inflation bombs (a 167-byte delta that would make 1 GiB, 64 of them at
# once, a big file of zeros, a push that inflates past max_push_inflated,
# a tree that exports past max_export_size).
. "$(dirname "$0")/lib.sh"
start_server "[server]" "deploy_branch = deploy" "max_object_size = 3M" \
	"max_push_inflated = 12M" "max_connections = 100" \
	"per_address_connections = 80" "max_unauthenticated = 320" \
	"[build]" "max_export_size = 1M"
ZERO=0000000000000000000000000000000000000000
C=$T/corpus.git      # the history, as a client has it
REF=$T/ref.git       # what git-receive-pack makes of the same pushes
SRV=$DATA/repos/hist.git

refs_of() { git --git-dir="$1" for-each-ref --format='%(objectname) %(refname)' | sort; }
same_refs() { # same_refs A B: every ref of two repositories
	diff -u <(refs_of "$1") <(refs_of "$2") > "$T/refs.diff" ||
		{ head -20 "$T/refs.diff"; echo "    refs differ: $1 $2"; return 1; }
}
fsck_strict() { # fsck_strict GIT_DIR
	git --git-dir="$1" fsck --strict --no-dangling > "$T/fsck.log" 2>&1 ||
		{ cat "$T/fsck.log"; return 1; }
}
state() { # the part of a repository a refused push must not change
	{ refs_of "$1"; ls "$1/objects/pack"; ls -d "$1"/objects/incoming-* 2>/dev/null || true; } > "$2"
}
receive() { # receive INPUT: raw receive-pack session with berth's app hist
	as admin "git-receive-pack 'hist'" < "$1" > "$T/reply" 2> "$T/err" || true
}

# The history: 60 commits, fast-import; submodule entries come and go.
python3 - > "$T/stream" <<'EOF'
import random, sys
rng = random.Random(13)
out = sys.stdout.buffer
files, mark = {}, 0
def data(b):
    out.write(b"data %d\n" % len(b) + b + b"\n")
def text():
    return "".join("%d %s\n" % (rng.randint(0, 9999), "x" * rng.randint(1, 60)) for _ in range(rng.randint(3, 40)))
for i in range(30):
    files["src/d%d/f%02d.txt" % (i % 5, i)] = text()
link = {3: ("add", "sub/a"), 5: ("add", "sub/b"), 10: ("bump", "sub/a"),
        20: ("move", "sub/a"), 30: ("remove", "deps/a")}
for c in range(60):
    changes = []
    for f in (list(files) if c == 0 else rng.sample(sorted(files), 3)):
        files[f] = files[f] + text()
        mark += 1
        out.write(b"blob\nmark :%d\n" % mark)
        data(files[f].encode())
        changes.append(b"M 100644 :%d %s\n" % (mark, f.encode()))
    if c in link:
        what, path = link[c]
        sha = b"%040x" % rng.getrandbits(160)
        if what == "move":
            changes.append(b"D sub/a\nM 160000 %s deps/a\n" % sha)
        elif what == "remove":
            changes.append(b"D %s\n" % path.encode())
        else:
            changes.append(b"M 160000 %s %s\n" % (sha, path.encode()))
    mark += 1
    out.write(b"commit refs/heads/main\nmark :%d\n" % mark)
    out.write(b"author A <a@example.com> %d +0000\ncommitter A <a@example.com> %d +0000\n" % (1e9 + c * 60, 1e9 + c * 60))
    data(b"commit %d\n" % c)
    if c:
        out.write(b"from :%d\n" % prev)
    prev = mark
    out.writelines(changes)
    out.write(b"\n")
    if c % 10 == 9:
        out.write(b"tag r%d\nfrom :%d\ntagger A <a@example.com> %d +0000\n" % (c, mark, 1e9))
        data(b"release %d\n" % c)
out.write(b"done\n")
EOF
git init -q --bare "$C"
git -C "$C" fast-import --quiet --done < "$T/stream"
git -C "$C" tag -m "a tag of a tag" tag-of-tag r9 2> /dev/null
git -C "$C" tag -m "a tag of a tree" tag-of-tree 'main^{tree}'
git -C "$C" tag -m "a tag of a blob" tag-of-blob main:src/d0/f00.txt
git -C "$C" tag light-tree 'main~5^{tree}'
git -C "$C" repack -adq
for i in $(seq 300); do echo "create refs/heads/b$i main~$((i % 50))"; done |
	git -C "$C" update-ref --stdin
git init -q --bare "$REF"
git --git-dir="$REF" config receive.advertisePushOptions true

mirror_push() { # gitlinks added, moved, removed; tags of tags/trees/blobs; 300+ refs
	expect "gitlinks in the history" [ "$(git -C "$C" log --format=%H -p --raw main | grep -c ' 160000 ')" -ge 4 ]
	expect "300+ refs" [ "$(refs_of "$C" | wc -l)" -gt 300 ]
	git_as admin -C "$C" push -q --mirror "$(remote hist)" 2> "$T/out" || { cat "$T/out"; return 1; }
	git -C "$C" push -q --mirror "$REF"
	same_refs "$C" "$SRV"
	same_refs "$REF" "$SRV"
	fsck_strict "$SRV"
}

clone_and_fetch() { # clone back, every ref; fetch onto an older state
	git_as admin clone -q --mirror "$(remote hist)" "$T/clone.git"
	same_refs "$C" "$T/clone.git"
	fsck_strict "$T/clone.git"
	git init -q --bare "$T/old.git"
	git -C "$C" push -q "$T/old.git" main~20:refs/heads/main r9:refs/tags/r9
	git_as admin -C "$T/old.git" fetch -q "$(remote hist)" '+refs/*:refs/*'
	same_refs "$C" "$T/old.git"
	fsck_strict "$T/old.git"
	git_as admin clone -q "$(remote hist)" "$T/work"
	expect "a work tree of main" [ -f "$T/work/src/d0/f00.txt" ]
}

many_refs() { # 320 new branches and tags in one push
	for i in $(seq 160); do
		echo "create refs/heads/more$i main~$((i % 40))"
		echo "create refs/tags/t$i main~$((i % 30))"
	done | git -C "$C" update-ref --stdin
	git_as admin -C "$C" push -q "$(remote hist)" 'refs/heads/more*:refs/heads/more*' 'refs/tags/t*:refs/tags/t*'
	git -C "$C" push -q "$REF" 'refs/heads/more*:refs/heads/more*' 'refs/tags/t*:refs/tags/t*'
	same_refs "$C" "$SRV"
	same_refs "$REF" "$SRV"
	fsck_strict "$SRV"
}

mirror_deletes() { # push --mirror again after refs went away and moved
	git -C "$C" update-ref -d refs/heads/b7
	git -C "$C" tag -d r19 > /dev/null
	git -C "$C" update-ref refs/heads/b8 main
	git_as admin -C "$C" push -q --mirror "$(remote hist)"
	git -C "$C" push -q --mirror "$REF"
	same_refs "$C" "$SRV"
	same_refs "$REF" "$SRV"
	fsck_strict "$SRV"
}

push_options() { # -o: both servers take them and move the ref
	git_as admin clone -q "$(remote hist)" "$T/po"
	commit "$T/po" "with options"
	git_as admin -C "$T/po" push -q -o ci.skip -o "note=two words" origin main
	git -C "$T/po" push -q -o ci.skip -o "note=two words" "$REF" main
	expect "berth main moved" [ "$(server_rev hist refs/heads/main)" = "$(git -C "$T/po" rev-parse main)" ]
	same_refs "$REF" "$SRV"
	fsck_strict "$SRV"
}

atomic() { # --atomic: all move; a client-side failure moves none, on both
	local before
	commit "$T/po" "atomic"
	git -C "$T/po" tag at1
	git_as admin -C "$T/po" push -q --atomic origin main at1 HEAD:refs/heads/at-branch
	git -C "$T/po" push -q --atomic "$REF" main at1 HEAD:refs/heads/at-branch
	same_refs "$REF" "$SRV"
	git -C "$T/po" reset -q --hard HEAD~1
	commit "$T/po" "diverged"
	before=$(refs_of "$SRV")
	if git_as admin -C "$T/po" push --atomic origin main HEAD:refs/heads/at-new 2> "$T/out"; then
		echo "    non-fast-forward --atomic push accepted"; return 1
	fi
	if git -C "$T/po" push --atomic "$REF" main HEAD:refs/heads/at-new 2> "$T/out2"; then
		echo "    git accepted it"; return 1
	fi
	expect "berth refs unchanged" [ "$(refs_of "$SRV")" = "$before" ]
	same_refs "$REF" "$SRV"
}

atomic_server_side() { # one stale command: neither server moves any ref
	local main new
	main=$(git --git-dir="$SRV" rev-parse main)
	new=$(git --git-dir="$SRV" rev-parse main~1)
	{ pkt "$main $new refs/heads/b9\0report-status atomic\n"; pkt "$ZERO $new refs/heads/at-x\n"; printf 0000
	  git pack-objects --stdout -q < /dev/null; } > "$T/in"
	state "$SRV" "$T/s.before"
	receive "$T/in"
	git-receive-pack "$REF" < "$T/in" > "$T/reply.git" 2>&1 || true
	state "$SRV" "$T/s.after"
	diff -u "$T/s.before" "$T/s.after"
	same_refs "$REF" "$SRV"
	contains "$T/reply" "ng refs/heads/at-x"
	contains "$T/reply.git" "ng refs/heads/at-x"
}

force_with_lease() { # the lease holds: moves; it does not: stale, on both
	local lease
	lease=$(git -C "$T/po" rev-parse origin/main)
	git_as admin -C "$T/po" push -q --force-with-lease="main:$lease" origin main
	git -C "$T/po" push -q --force-with-lease="main:$lease" "$REF" main
	same_refs "$REF" "$SRV"
	commit "$T/po" "after lease"
	if git_as admin -C "$T/po" push --force-with-lease="main:$lease" origin main 2> "$T/out"; then
		echo "    a stale lease was accepted by berth"; return 1
	fi
	if git -C "$T/po" push --force-with-lease="main:$lease" "$REF" main 2> "$T/out2"; then
		echo "    a stale lease was accepted by git"; return 1
	fi
	contains "$T/out" "stale info"
	contains "$T/out2" "stale info"
	same_refs "$REF" "$SRV"
	fsck_strict "$SRV"
}

lacks_a_blob() { # a pack without one of the blobs its tree names
	local old new blob
	old=$(git --git-dir="$SRV" rev-parse main)
	git -C "$T/po" reset -q --hard "$old"
	echo "only in the pack that lacks it $RANDOM" > "$T/po/lacking.txt"
	git -C "$T/po" add lacking.txt && git -C "$T/po" commit -qm lacking
	new=$(git -C "$T/po" rev-parse HEAD)
	blob=$(git -C "$T/po" rev-parse HEAD:lacking.txt)
	git -C "$T/po" rev-list --objects "$old..$new" | cut -d' ' -f1 | grep -v "$blob" |
		git -C "$T/po" pack-objects --stdout -q > "$T/lacking.pack"
	{ pkt "$old $new refs/heads/main\0report-status\n"; printf 0000; cat "$T/lacking.pack"; } > "$T/in"
	state "$SRV" "$T/s.before"
	receive "$T/in"
	contains "$T/reply" "ng refs/heads/main missing necessary objects: blob $blob"
	state "$SRV" "$T/s.after"
	diff -u "$T/s.before" "$T/s.after"
	git-receive-pack "$REF" < "$T/in" > "$T/reply.git" 2>&1 || true
	contains "$T/reply.git" "ng refs/heads/main missing necessary objects"
	fsck_strict "$SRV"
}

copy_object() { # copy_object FROM_GIT_DIR TO_GIT_DIR ID: as a loose object
	local type
	type=$(git --git-dir="$1" cat-file -t "$3")
	git --git-dir="$1" cat-file "$type" "$3" |
		git --git-dir="$2" hash-object -w --literally -t "$type" --stdin > /dev/null
}

unreachable_complete() { # a parent that is a dangling commit, whole: accepted
	local dangling new
	dangling=$(echo "dangling, whole" | git --git-dir="$SRV" commit-tree "$(git --git-dir="$SRV" rev-parse 'main^{tree}')")
	copy_object "$SRV" "$REF" "$dangling"
	copy_object "$SRV" "$T/po/.git" "$dangling"
	new=$(echo "on top of it" | git -C "$T/po" commit-tree -p "$dangling" "$(git --git-dir="$SRV" rev-parse 'main^{tree}')")
	echo "$new" | git -C "$T/po" pack-objects --stdout -q > "$T/onto.pack"
	{ pkt "$ZERO $new refs/heads/onto-whole\0report-status\n"; printf 0000; cat "$T/onto.pack"; } > "$T/in"
	receive "$T/in"
	contains "$T/reply" "ok refs/heads/onto-whole"
	git-receive-pack "$REF" < "$T/in" > "$T/reply.git" 2>&1
	contains "$T/reply.git" "ok refs/heads/onto-whole"
	same_refs "$REF" "$SRV"
	fsck_strict "$SRV"
}

unreachable_parent() { # a parent only a dangling commit of the repo gives
	local tree dangling new gone
	# the same dangling commit in both repositories: its tree names a
	# blob that is nowhere, and no ref reaches it
	gone=$(echo "never stored" | git hash-object --stdin)
	tree=$(printf '100644 blob %s\tgone.txt\n' "$gone" | git --git-dir="$SRV" mktree --missing)
	dangling=$(echo dangling | git --git-dir="$SRV" commit-tree "$tree")
	for o in "$tree" "$dangling"; do
		copy_object "$SRV" "$REF" "$o"
		copy_object "$SRV" "$T/po/.git" "$o"
	done
	new=$(echo "on top of the dangling one" | git -C "$T/po" commit-tree -p "$dangling" "$(git --git-dir="$SRV" rev-parse 'main^{tree}')")
	echo "$new" | git -C "$T/po" pack-objects --stdout -q > "$T/onto.pack"
	{ pkt "$ZERO $new refs/heads/onto-dangling\0report-status\n"; printf 0000; cat "$T/onto.pack"; } > "$T/in"
	state "$SRV" "$T/s.before"
	receive "$T/in"
	contains "$T/reply" "ng refs/heads/onto-dangling missing necessary objects: blob $gone"
	state "$SRV" "$T/s.after"
	diff -u "$T/s.before" "$T/s.after"
	git-receive-pack "$REF" < "$T/in" > "$T/reply.git" 2>&1 || true
	contains "$T/reply.git" "ng refs/heads/onto-dangling missing necessary objects"
	for o in "$tree" "$dangling"; do # gone again, so fsck stays clean
		rm -f "$SRV/objects/${o:0:2}/${o:2}" "$REF/objects/${o:0:2}/${o:2}"
	done
}

pack_kinds() { # pack_kinds PACK: the entry types in it (6 OFS_, 7 REF_DELTA)
	python3 - "$1" <<'EOF'
import sys, zlib
d = open(sys.argv[1], "rb").read()
i, kinds = 12, set()
for _ in range(int.from_bytes(d[8:12], "big")):
    c = d[i]
    kind, i = (c >> 4) & 7, i + 1
    while c & 0x80:
        c, i = d[i], i + 1
    if kind == 6:
        c, i = d[i], i + 1
        while c & 0x80:
            c, i = d[i], i + 1
    elif kind == 7:
        i += 20
    z = zlib.decompressobj()
    z.decompress(d[i:])
    i = len(d) - len(z.unused_data)
    kinds.add(kind)
print(" ".join(str(k) for k in sorted(kinds)))
EOF
}

ref_deltas() { # a client without ofs-delta: deltas name their base by id
	local old new
	old=$(git --git-dir="$SRV" rev-parse main)
	git -C "$T/po" reset -q --hard "$old"
	for i in 1 2 3; do
		sed -n "1,$((i * 40))p" "$T/po/src/d0/f00.txt" > "$T/po/grow.txt"
		git -C "$T/po" add grow.txt && git -C "$T/po" commit -qm "grow $i"
	done
	new=$(git -C "$T/po" rev-parse HEAD)
	printf '%s\n^%s\n' "$new" "$old" | git -C "$T/po" pack-objects --revs --stdout -q > "$T/ref.pack"
	expect "REF_DELTAs in the pack" [ "$(pack_kinds "$T/ref.pack")" = "1 2 3 7" ]
	{ pkt "$ZERO $new refs/heads/ref-deltas\0report-status\n"; printf 0000; cat "$T/ref.pack"; } > "$T/in"
	receive "$T/in"
	contains "$T/reply" "ok refs/heads/ref-deltas"
	git-receive-pack "$REF" < "$T/in" > /dev/null 2>&1
	same_refs "$REF" "$SRV"
	fsck_strict "$SRV"
}

upload_without_ofs() { # a client without ofs-delta gets REF_DELTAs only
	local want
	want=$(git --git-dir="$SRV" rev-parse main)
	{ pkt "want $want side-band-64k\n"; printf 0000; pkt "done\n"; } > "$T/up.in"
	as admin "git-upload-pack 'hist'" < "$T/up.in" > "$T/up.out" 2> "$T/up.err"
	python3 - "$T/up.out" "$T/up.pack" <<'EOF'
import sys
d, out, i = open(sys.argv[1], "rb").read(), bytearray(), 0
while i < len(d):                      # the advertisement, NAK, side band
    n = int(d[i:i + 4], 16)
    if n and d[i + 4:i + 5] == b"\1":
        out += d[i + 5:i + n]
    i += n if n else 4
open(sys.argv[2], "wb").write(out)
EOF
	pack_kinds "$T/up.pack" > "$T/kinds"
	expect "REF_DELTAs, no OFS_DELTA" grep -qx "[1-4 ]* 7" "$T/kinds"
	git init -q --bare "$T/up.git"
	git -C "$T/up.git" index-pack --stdin --fix-thin < "$T/up.pack" > /dev/null
	git --git-dir="$T/up.git" update-ref refs/heads/main "$want"
	fsck_strict "$T/up.git"
}

clone_many_packs() { # after all those pushes: several packs, thin bases twice
	expect "several packs" [ "$(ls "$SRV"/objects/pack/*.pack | wc -l)" -ge 4 ]
	git_as admin clone -q --mirror "$(remote hist)" "$T/clone2.git"
	same_refs "$SRV" "$T/clone2.git"
	fsck_strict "$T/clone2.git"
}

# A pack of a 64 KiB blob of zeros and one OFS_DELTA on it of 16,384 copy
# ops of 64 KiB each: 1 GiB once applied.
python3 - "$T/bomb.pack" <<'EOF'
import hashlib, struct, sys, zlib
def head(kind, size):
    out, c = [], (kind << 4) | (size & 15)
    size >>= 4
    while size:
        out.append(c | 0x80)
        c, size = size & 0x7f, size >> 7
    return bytes(out + [c])
def varint(n):
    out = []
    while True:
        c, n = n & 0x7f, n >> 7
        out.append(c | (0x80 if n else 0))
        if not n:
            return bytes(out)
base = head(3, 65536) + zlib.compress(b"\0" * 65536, 9)
delta = varint(65536) + varint(1 << 30) + b"\x80" * 16384
entry = head(6, len(delta)) + bytes([len(base)]) + zlib.compress(delta, 9)
assert len(base) < 128
body = b"PACK" + struct.pack(">II", 2, 2) + base + entry
open(sys.argv[1], "wb").write(body + hashlib.sha1(body).digest())
EOF
BOMB_BLOB=$(head -c 65536 /dev/zero | git hash-object --stdin)

delta_bomb() { # 167 bytes that would inflate to 1 GiB: refused at its header
	expect "a pack of under 200 bytes" [ "$(stat -c %s "$T/bomb.pack")" -lt 200 ]
	{ pkt "$ZERO $BOMB_BLOB refs/tags/bomb\0report-status\n"; printf 0000; cat "$T/bomb.pack"; } > "$T/bomb.in"
	state "$SRV" "$T/s.before"
	receive "$T/bomb.in"
	contains "$T/reply" "makes an object of 1073741824 bytes, larger than max_object_size"
	state "$SRV" "$T/s.after"
	diff -u "$T/s.before" "$T/s.after"
}

# peak_rss PID STOPFILE OUT: until STOPFILE exists, the largest VmHWM (KiB)
# of PID's children, every 20 ms, into OUT
peak_rss() {
	python3 - "$@" <<'EOF'
import os, sys, time
root, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
best = 0
while True:
    last = os.path.exists(stop)
    for e in os.listdir("/proc"):
        try:
            st = open(f"/proc/{e}/stat").read()
            if int(st[st.rindex(")") + 2:].split()[1]) != root:
                continue
            for line in open(f"/proc/{e}/status"):
                if line.startswith("VmHWM:"):
                    best = max(best, int(line.split()[1]))
        except (OSError, ValueError):
            pass
    if last:
        break
    time.sleep(0.02)
open(out, "w").write(f"{best}\n")
EOF
}

delta_bombs_at_once() { # 64 connections with the bomb: all refused, server fine
	local pids=() i start sampler
	start=$(date +%s)
	rm -f "$T/rss.stop"
	peak_rss "$SERVER_PID" "$T/rss.stop" "$T/rss.out" &
	sampler=$!
	for i in $(seq 64); do
		as admin "git-receive-pack 'hist'" < "$T/bomb.in" > "$T/bomb.$i" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || true; done
	touch "$T/rss.stop"
	wait "$sampler"
	for i in $(seq 64); do
		contains "$T/bomb.$i" "larger than max_object_size"
	done
	expect "all 64 done within 60 s" [ $(( $(date +%s) - start )) -lt 60 ]
	echo "    largest connection process: $(cat "$T/rss.out") KiB"
	expect "no connection process over 64 MiB" [ "$(cat "$T/rss.out")" -lt 65536 ]
	fsck_strict "$SRV"
}

big_zeros() { # a real push of a file over max_object_size (3M here)
	local before
	before=$(server_rev hist refs/heads/main)
	git -C "$T/po" reset -q --hard "$before"
	head -c 4M /dev/zero > "$T/po/zeros.bin"
	git -C "$T/po" add zeros.bin && git -C "$T/po" commit -qm zeros
	if git_as admin -C "$T/po" push origin main 2> "$T/out"; then
		echo "    a 4 MiB object was accepted"; return 1
	fi
	contains "$T/out" "is larger than max_object_size (3145728 bytes)"
	expect "main unmoved" [ "$(server_rev hist refs/heads/main)" = "$before" ]
	fsck_strict "$SRV"
}

inflated_total() { # objects under the limit each, over max_push_inflated together
	local before
	before=$(server_rev hist refs/heads/main)
	git -C "$T/po" reset -q --hard "$before"
	for i in 1 2 3 4 5; do head -c 2500000 /dev/urandom | base64 -w 0 | head -c 2600000 > "$T/po/big$i.txt"; done
	git -C "$T/po" add big*.txt && git -C "$T/po" commit -qm "four big files"
	if git_as admin -C "$T/po" push origin main 2> "$T/out"; then
		echo "    13 MB of objects were accepted"; return 1
	fi
	contains "$T/out" "more than max_push_inflated (12582912 bytes)"
	expect "main unmoved" [ "$(server_rev hist refs/heads/main)" = "$before" ]
}

index_slots() { # both index slots taken: a push of 9.6 MB inflated waits
	local before push h0 h1 waited=0 seen
	before=$(server_rev hist refs/heads/main)
	git -C "$T/po" reset -q --hard "$before"
	for i in 1 2 3 4; do head -c 1800000 /dev/urandom | base64 -w 0 | head -c 2400000 > "$T/po/slot$i.txt"; done
	git -C "$T/po" add slot*.txt && git -C "$T/po" commit -qm "9.6 MB"
	rm -f "$T/free-slots"
	hold_slot() { # hold_slot K: until $T/free-slots appears
		exec 8> "$DATA/locks/index-slot-$1.lock"
		flock 8
		while [ ! -e "$T/free-slots" ]; do sleep 0.05; done
	}
	hold_slot 0 & h0=$!
	hold_slot 1 & h1=$!
	for _ in $(seq 200); do # until both are held
		flock -n "$DATA/locks/index-slot-0.lock" true || flock -n "$DATA/locks/index-slot-1.lock" true || break
		sleep 0.05
	done
	seen=$(grep -c "waiting for an index slot" "$T/serve.log" || true)
	git_as admin -C "$T/po" push -q origin main & push=$!
	for _ in $(seq 1200); do # the push says it waits (at most 60 s)
		[ "$(grep -c "waiting for an index slot" "$T/serve.log" || true)" -gt "$seen" ] && { waited=1; break; }
		sleep 0.05
	done
	touch "$T/free-slots"
	wait "$h0" "$h1"
	expect "the push waited for a slot" [ "$waited" = 1 ]
	expect "then went through" wait "$push"
	expect "main moved" [ "$(server_rev hist refs/heads/main)" = "$(git -C "$T/po" rev-parse main)" ]
	fsck_strict "$SRV"
}

export_bomb() { # one small blob named 700 times: 1.4 MB to export, max 1M
	local blob tree commit
	blob=$(head -c 2000 /dev/urandom | base64 | git -C "$T/po" hash-object -w --stdin)
	tree=$(for i in $(seq 700); do printf '100644 blob %s\tcopy%03d.txt\n' "$blob" "$i"; done |
		git -C "$T/po" mktree)
	commit=$(echo "many copies" | git -C "$T/po" commit-tree "$tree")
	if git_as admin -C "$T/po" push origin "$commit:refs/heads/deploy" 2> "$T/out"; then
		echo "    the export bomb deployed"; return 1
	fi
	contains "$T/out" "add up to more than max_export_size (1048576 bytes)"
	expect "deploy branch not created" [ -z "$(server_rev hist refs/heads/deploy)" ]
	expect "no build dir left" [ -z "$(ls -A "$DATA/apps/hist/releases" 2>/dev/null)" ]
}

t "history with gitlinks and tags of tags, trees, blobs: push --mirror" mirror_push
t "clone --mirror and fetch back: every ref, fsck --strict" clone_and_fetch
t "320 refs in one push" many_refs
t "push --mirror deletes and moves refs as git does" mirror_deletes
t "push options" push_options
t "--atomic as git does" atomic
t "atomic with a stale command: no ref moves, as git" atomic_server_side
t "--force-with-lease as git does" force_with_lease
t "REF_DELTA pack (a client without ofs-delta)" ref_deltas
t "upload to a client without ofs-delta" upload_without_ofs
t "a pack that lacks a blob: refused, named, nothing kept" lacks_a_blob
t "a parent that is an unreachable commit, whole: accepted, as git" unreachable_complete
t "a parent that is an unreachable commit with a missing blob: refused, as git" unreachable_parent
t "a 167-byte delta bomb is refused before it inflates" delta_bomb
t "64 delta bombs at once" delta_bombs_at_once
t "a file of zeros over max_object_size" big_zeros
t "a push over max_push_inflated" inflated_total
t "a large push waits for an index slot" index_slots
t "an export over max_export_size" export_bomb
t "clone after many pushes (several packs)" clone_many_packs
finish
