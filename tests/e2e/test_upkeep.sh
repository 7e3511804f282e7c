# test_upkeep.sh - disk upkeep (issue 20): `apps:gc` repacks a repo of many
# pushes into one pack with the same objects (fsck, a clone back); objects
# only a deleted branch reached stay through the grace and go after it; a
# gc killed -9 at its two test points leaves a valid repo and the next gc
# finishes; berth serve repacks by itself after gc_auto_packs packs; a push
# is refused up front when the disk is low, and `status` says so; the
# retention rules (archives, build cache, deploys, audit rows, logs of
# processes gone, berth.db) and
# apps:purge-cache; `status` shows each app's disk use.
. "$(dirname "$0")/lib.sh"
UP=("[upkeep]" "gc_auto_packs = 0" "interval = 1")
start_server "${UP[@]}"
W=$T/site
GIT=(git --git-dir="$T/data/repos/site.git")

packs() { ls "$DATA/repos/$1.git/objects/pack/" 2>/dev/null | grep -c '\.idx$'; }

push_branch() { # push_branch N BRANCH: N commits, one push each
	for i in $(seq "$1"); do
		commit "$W" "$2 $i"
		git_as admin -C "$W" push -q "$(remote site)" "HEAD:refs/heads/$2"
	done
}

objects() { "${GIT[@]}" rev-list --objects --all | sort; }

# until_ok 'SHELL TEST': until it holds (evaluated each time), at most
# 60 s (a loaded machine is slow)
until_ok() {
	for _ in $(seq 600); do eval "$1" && return 0; sleep 0.1; done
	echo "    gave up waiting for: $1"
	return 1
}

# (at the top level: a test runs in a subshell, and the port must stick)
restart_with() { # restart_with TESTPOINT|"" INI-LINES...
	local tp=$1
	shift
	stop_server
	cat "$T/serve.log" >> "$T/serve.before"  # start_server starts a new one
	BERTH_TEST_PAUSE=$tp start_server "$@"
}

gc_on_demand() {
	new_repo "$W"
	git_as admin -C "$W" push -q "$(remote site)" main
	git -C "$W" checkout -q -b work
	push_branch 8 work
	git -C "$W" checkout -q main
	expect "9 pushes made 9 packs" [ "$(packs site)" -eq 9 ]
	objects > "$T/objects.before"
	as admin apps:gc site --json > "$T/gc.out"
	contains "$T/gc.out" '"packs_before": 9'
	contains "$T/gc.out" '"packs_after": 1'
	expect "one pack" [ "$(packs site)" -eq 1 ]
	objects > "$T/objects.after"
	expect "the same objects" diff -u "$T/objects.before" "$T/objects.after"
	fsck_clean site
	git_as admin clone -q --mirror "$(remote site)" "$T/back.git"
	git --git-dir="$T/back.git" fsck --strict --no-dangling
	expect "a clone back has the same refs" diff -u \
		<("${GIT[@]}" for-each-ref --format='%(objectname) %(refname)') \
		<(git --git-dir="$T/back.git" for-each-ref --format='%(objectname) %(refname)')
	as admin apps:gc site --json > "$T/gc2.out"
	contains "$T/gc2.out" '"packed": false'
}
t "apps:gc: 9 pushes become one pack, same objects, a clone back is identical" gc_on_demand

grace() {
	git -C "$W" checkout -q -b tmp
	commit "$W" "only on tmp"
	SECRET=$(git -C "$W" rev-parse HEAD)
	git_as admin -C "$W" push -q "$(remote site)" tmp
	git -C "$W" checkout -q main
	git_as admin -C "$W" push -q "$(remote site)" :tmp
	as admin apps:gc site > /dev/null
	expect "a deleted branch's commit stays within the grace" \
		"${GIT[@]}" cat-file -e "$SECRET"
	fsck_clean site
	# the packs grow older than gc_grace_days (14)
	touch -d '15 days ago' "$DATA"/repos/site.git/objects/pack/*
	as admin apps:gc site > /dev/null
	expect "and is dropped after it" fails "${GIT[@]}" cat-file -e "$SECRET"
	expect "one pack" [ "$(packs site)" -eq 1 ]
	fsck_clean site
}
t "a deleted branch's objects go only after gc_grace_days" grace

# kill -9 the connection process stopped at a test point
kill_connection() {
	local k
	for k in $(conn_pids); do
		killed_on_purpose "$k"
		kill -9 "$k"
	done
}

killed_at() { # killed_at TESTPOINT (berth serve armed with it)
	local tp=$1 before
	git -C "$W" checkout -q work
	push_branch 2 work
	git -C "$W" checkout -q main
	before=$(packs site)
	objects > "$T/objects.before"
	as admin apps:gc site > /dev/null 2>&1 &
	local client=$!
	until_ok 'grep -q "testpoint $tp reached" "$T/serve.log"'
	kill_connection
	kill "$client" 2> /dev/null || true # it may have ended with its server side
	wait "$client" 2> /dev/null || true
	fsck_clean site
	objects > "$T/objects.after"
	expect "every object is still there" diff -u "$T/objects.before" "$T/objects.after"
	expect "old packs are still there" [ "$(packs site)" -ge "$before" ]
}
finished() { # finished TESTPOINT (after a restart)
	local tp=$1
	as admin apps:gc site > /dev/null
	expect "the next gc finishes: one pack" [ "$(packs site)" -eq 1 ]
	expect "nothing of the killed gc is left" \
		[ -z "$(ls -d "$DATA"/repos/site.git/objects/gc-* 2> /dev/null)" ]
	fsck_clean site
	git_as admin clone -q "$(remote site)" "$T/clone-$tp"
	expect "a clone works" [ "$(git -C "$T/clone-$tp" rev-parse HEAD)" = "$(server_rev site HEAD)" ]
}
for TP in gc-packed gc-renamed; do
	restart_with "$TP" "${UP[@]}"
	killed() { killed_at "$TP"; }
	t "gc killed -9 at $TP: every object still there" killed
	restart_with "" "${UP[@]}"
	next() { finished "$TP"; }
	t "after a gc killed at $TP, the next gc finishes" next
done

restart_with "" "[upkeep]" "gc_auto_packs = 3" "interval = 1"
auto_gc() {
	git -C "$W" checkout -q work
	push_branch 3 work
	git -C "$W" checkout -q main
	until_ok '[ "$(packs site)" -eq 1 ]'
	until_ok 'grep -q "upkeep: repacked '"'site'"'" "$T/serve.log"'
	fsck_clean site
}
t "berth serve repacks by itself once gc_auto_packs packs pile up" auto_gc

# With no full pass due for an hour: a push that leaves the repo below
# gc_auto_packs starts no upkeep pass (its connection counted the packs;
# the pass is an exec of berth), the push that reaches it starts one at
# once, which repacks (BERTH_DEBUG: the passes are logged).
BERTH_DEBUG=1 restart_with "" "[upkeep]" "gc_auto_packs = 3" "interval = 3600"
upkeep_passes() { grep -c "upkeep pass\$" "$T/serve.log" || true; }
auto_gc_only_when_due() {
	local before
	until_ok 'grep -q "upkeep pass (full)" "$T/serve.log"' # the first, at 5 s
	before=$(upkeep_passes)
	git -C "$W" checkout -q work
	push_branch 1 work
	git -C "$W" checkout -q main
	sleep 2.5 # a pass would start 1 s after the connection ended
	expect "no upkeep pass after a push below gc_auto_packs" \
	    [ "$(upkeep_passes)" = "$before" ]
	git -C "$W" checkout -q work
	push_branch 2 work
	git -C "$W" checkout -q main
	until_ok '[ "$(packs site)" -eq 1 ]'
	expect "a pass after the push that reached it" \
	    [ "$(upkeep_passes)" -gt "$before" ]
	fsck_clean site
}
t "an upkeep pass only after a push that reaches gc_auto_packs" auto_gc_only_when_due

restart_with "" "[upkeep]" "min_free_space = 1000000G"
low_disk() {
	commit "$W" "no room"
	if git_as admin -C "$W" push "$(remote site)" main 2> "$T/push.out"; then
		echo "    a push went through on a full disk"; return 1
	fi
	contains "$T/push.out" "low on disk space"
	contains "$T/push.out" "min_free_space"
	expect "main did not move" [ "$(server_rev site refs/heads/main)" != "$(git -C "$W" rev-parse HEAD)" ]
	as admin status > "$T/status.out"
	contains "$T/status.out" "LOW DISK"
	as admin status --json > "$T/status.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["disk"]["low"] is True and d["disk"]["free_bytes"] > 0, d["disk"]' "$T/status.json"
}
t "a push is refused up front on a low disk, with the figure; status says so" low_disk

archives() { ls "$DATA/apps/site/releases/" | grep -c '\.tar\.gz$'; }
deploys() { sql "select count(*) from deploys d join apps a on a.id = d.app_id where a.name = 'site'"; }

restart_with "" "[build]" "keep_releases = 1" "[upkeep]" "keep_archives = 1" \
	"keep_deploys = 2" "cache_max_size = 64K" "audit_max_days = 1" "interval = 1"
retention() {
	for i in 1 2 3; do
		commit "$W" "release $i"
		git_as admin -C "$W" push -q "$(remote site)" main
	done
	until_ok '[ "$(archives)" -eq 1 ]'
	local newest
	newest=$(ls "$DATA/apps/site/releases/" | grep '\.tar\.gz$' | sort -n | tail -1)
	expect "the newest archive is the one kept" [ -f "$DATA/apps/site/releases/$newest" ]
	until_ok '[ "$(deploys)" -le 2 ]'
	head -c 200000 /dev/urandom > "$DATA/apps/site/cache/big"
	until_ok '[ ! -e "$DATA/apps/site/cache/big" ]'
	sql "insert into audit (at, fingerprint, app, command, outcome, duration_ms) values (1, 'x', 'site', 'ancient', 'ok', 0)"
	until_ok '[ "$(sql "select count(*) from audit where command = '"'ancient'"'")" -eq 0 ]'
	contains "$T/serve.log" "build cache cleared"
	# logs of processes that no longer exist: gone after logs_max_days (30)
	mkdir -p "$DATA/apps/site/logs"
	echo old > "$DATA/apps/site/logs/worker.3.log"
	echo old > "$DATA/apps/site/logs/worker.3.log.1"
	touch -d '31 days ago' "$DATA/apps/site/logs/worker.3.log" "$DATA/apps/site/logs/worker.3.log.1"
	echo recent > "$DATA/apps/site/logs/worker.4.log"
	until_ok '[ ! -e "$DATA/apps/site/logs/worker.3.log" ] && [ ! -e "$DATA/apps/site/logs/worker.3.log.1" ]'
	expect "a recent log stays" [ -e "$DATA/apps/site/logs/worker.4.log" ]
	# berth.db: 4 MiB of free pages are vacuumed away, the WAL checkpointed
	sql "create table junk (x); insert into junk select randomblob(4096) from generate_series(1, 1024); drop table junk;" 2> /dev/null ||
		sql "create table junk (x); with recursive n(i) as (select 1 union all select i + 1 from n where i < 1024) insert into junk select randomblob(4096) from n; drop table junk;"
	until_ok 'grep -q "berth.db vacuumed" "$T/serve.log"'
	until_ok '[ ! -s "$DATA/berth.db-wal" ]'
}
t "retention: archives, build cache, deploys, audit rows, logs of gone processes, berth.db vacuumed" retention

purge_and_status() {
	mkdir -p "$DATA/apps/site/cache"
	echo x > "$DATA/apps/site/cache/small"
	as admin apps:purge-cache site > "$T/purge.out"
	contains "$T/purge.out" "build cache of 'site' cleared"
	expect "the cache is empty" [ ! -e "$DATA/apps/site/cache/small" ]
	as admin status > "$T/status.out"
	contains "$T/status.out" "disk:"
	contains "$T/status.out" "site"
	as admin status --json > "$T/status.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); a=[x for x in d["apps_disk"] if x["app"]=="site"][0]; assert a["packs"] >= 1 and a["repo_bytes"] > 0 and a["releases_bytes"] > 0 and a["archives"] == 1, a' "$T/status.json"
	# and a new build still works with a purged cache
	commit "$W" "after purge"
	git_as admin -C "$W" push -q "$(remote site)" main
	http site.localhost / > "$T/out"; contains "$T/out" "<h1>site</h1>"
}
t "apps:purge-cache; status shows each app's disk use" purge_and_status

# finish looks for crashes and sanitizer reports in the whole run's log
cat "$T/serve.before" "$T/serve.log" > "$T/serve.all" && mv "$T/serve.all" "$T/serve.log"
finish
