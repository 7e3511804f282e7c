# test_deploy_limits.sh - deploy limits and ordering: the build timeout,
# release retention with archives and rollback from an archive, two pushes
# to one app serialised, pushes to two apps built in parallel.
. "$(dirname "$0")/lib.sh"
# builds run as each app's own uid: what they record goes to a shared dir
mkdir -m 1777 "$T/shared"
TRACE=$T/shared/trace
install -m 666 /dev/null "$TRACE"
mkdir -p "$T/buildpacks/slow/bin"
# a buildpack that records when each build starts and ends
cat > "$T/buildpacks/slow/bin/detect" <<'PACK'
#!/bin/sh
[ -f "$1/slow" ] && echo slow
PACK
cat > "$T/buildpacks/slow/bin/compile" <<PACK
#!/bin/sh
app=\$(cat "\$1/slow")
echo "\$\$" > "$T/shared/\$app.pid"
echo "start \$app \$(date +%s.%N)" >> "$TRACE"
sleep "\$(cat "\$1/seconds" 2>/dev/null || echo 2)"
echo "end \$app \$(date +%s.%N)" >> "$TRACE"
PACK
printf '#!/bin/sh\necho "---"\n' > "$T/buildpacks/slow/bin/release"
chmod +x "$T/buildpacks/slow/bin/"*
cp -r "$REPO/buildpacks/." "$T/buildpacks/"
# a buildpack that wants 400 MiB of memory
mkdir -p "$T/buildpacks/hungry/bin"
printf '#!/bin/sh\n[ -f "$1/hungry" ] && echo hungry\n' > "$T/buildpacks/hungry/bin/detect"
printf '#!/bin/sh\nexec python3 -c "b = bytearray(400 * 1024 * 1024); print(len(b))"\n' > "$T/buildpacks/hungry/bin/compile"
printf '#!/bin/sh\necho "---"\n' > "$T/buildpacks/hungry/bin/release"
chmod +x "$T/buildpacks/hungry/bin/"*
start_server "[build]" "timeout = 4" "keep_releases = 2" "concurrency = 2" "memory_limit = 200M"
W=$T/work

slow_repo() { # slow_repo DIR NAME SECONDS
	git init -q "$1" && echo "$2" > "$1/slow" && echo "$3" > "$1/seconds" &&
		git -C "$1" add . && git -C "$1" commit -qm "$2"
}

timeout_kills_build() {
	slow_repo "$T/slow" sleepy 30
	local start=$(date +%s)
	if git_as admin -C "$T/slow" push "$(remote sleepy)" main 2> "$T/out"; then
		echo "build that never ends was accepted"; return 1
	fi
	contains "$T/out" "build timed out after 4 s"
	expect "gave up in time" [ $(( $(date +%s) - start )) -lt 15 ]
	expect "branch not created" [ -z "$(server_rev sleepy refs/heads/main)" ]
	expect "nothing live" [ ! -e "$DATA/apps/sleepy/current" ]
	# the build ran in its own session (its pid); nothing of it may be left
	# (zombies waiting for init to reap them are dead: ignore state Z)
	expect "the build's whole session was killed" [ -z "$(ps -o stat= -s "$(cat "$T/shared/sleepy.pid")" | grep -v Z)" ]
}

memory_limit_is_enforced() {
	local d=$T/hungry
	git init -q "$d" && touch "$d/hungry" && git -C "$d" add . && git -C "$d" commit -qm hungry
	as admin apps:create hungry > /dev/null
	as admin config:set hungry BUILDPACK=hungry > /dev/null
	if git_as admin -C "$d" push "$(remote hungry)" main 2> "$T/out"; then
		echo "a build over the memory limit succeeded"; return 1
	fi
	contains "$T/out" "MemoryError"
	contains "$T/out" "builds may use 200 MiB of memory, [build] memory_limit"
}

retention_and_archive_restore() {
	new_repo "$W"
	for i in 1 2 3 4; do
		echo "<h1>v$i</h1>" > "$W/index.html"
		git -C "$W" commit -qam "v$i"
		git_as admin -C "$W" push -q "$(remote keep)" main
	done
	local r=$DATA/apps/keep/releases
	expect "newest two kept as dirs" [ -d "$r/4" ] && [ -d "$r/3" ]
	expect "older ones archived" [ -f "$r/1.tar.gz" ] && [ -f "$r/2.tar.gz" ]
	expect "archived dirs removed" [ ! -e "$r/1" ] && [ ! -e "$r/2" ]
	as admin rollback keep 1 > "$T/out"
	contains "$T/out" "Restored v1 from its archive"
	expect "v1 live from the archive" grep -q "<h1>v1</h1>" "$DATA/apps/keep/current/index.html"
	expect "README came back too" [ -f "$DATA/apps/keep/current/README" ]
}

two_pushes_one_app_serialised() {
	: > "$TRACE"
	slow_repo "$T/a" one 2
	git_as admin -C "$T/a" push -q "$(remote one)" main 2> "$T/out1" &
	local p1=$!
	sleep 0.5
	echo more >> "$T/a/seconds" ; echo 1 > "$T/a/seconds"
	git -C "$T/a" commit -qam second
	git_as admin -C "$T/a" push -q "$(remote one)" main 2> "$T/out2"
	wait "$p1"
	contains "$T/out2" "app 'one' is busy: a push by key 'admin' since"
	contains "$T/out2" "waiting for it to finish (at most 120 s)"
	# the second build starts only after the first ended
	awk '/^end one/ && !e {e=$3} /^start one/ {s[++n]=$3} END {exit !(n==2 && s[2] >= e)}' "$TRACE" ||
		{ cat "$TRACE"; echo "builds of one app overlapped"; return 1; }
	expect "second release live" [ "$(readlink "$DATA/apps/one/current")" = releases/2 ]
}

two_apps_in_parallel() {
	: > "$TRACE"
	slow_repo "$T/x" xapp 2
	slow_repo "$T/y" yapp 2
	git_as admin -C "$T/x" push -q "$(remote xapp)" main &
	local p1=$!
	git_as admin -C "$T/y" push -q "$(remote yapp)" main
	wait "$p1"
	# both started before either ended
	awk '/^start/ {s++} /^end/ && !first {first=NR; if (s<2) bad=1} END {exit bad}' "$TRACE" ||
		{ cat "$TRACE"; echo "builds of two apps did not overlap"; return 1; }
}

t "build timeout: rejected, process group killed" timeout_kills_build
t "the build memory limit is enforced and named" memory_limit_is_enforced
t "retention archives old releases; rollback restores one" retention_and_archive_restore
t "two pushes to one app are serialised" two_pushes_one_app_serialised
t "pushes to two apps build in parallel" two_apps_in_parallel
finish
