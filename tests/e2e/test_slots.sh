# test_slots.sh - build slots: with [build] concurrency = 1, a push that
# finds the slot taken says so and waits, and gets the slot when the
# build holding it ends (deploy/slot.c: a release wakes the waiters
# through inotify; the fallback look is once a second).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/buildpacks/nap/bin"
cat > "$T/buildpacks/nap/bin/detect" <<'PACK'
#!/bin/sh
[ -f "$1/nap" ] && echo nap
PACK
cat > "$T/buildpacks/nap/bin/compile" <<'PACK'
#!/bin/sh
echo "napping"
sleep 2
PACK
printf '#!/bin/sh\necho "---"\necho "static_root: ."\n' > "$T/buildpacks/nap/bin/release"
chmod +x "$T/buildpacks/nap/bin/"*
cp -r "$REPO/buildpacks/." "$T/buildpacks/"
start_server "[build]" "concurrency = 1"

# until FILE shows TEXT (at most 30 s)
wait_for() {
	for _ in $(seq 300); do
		grep -q "$2" "$1" 2> /dev/null && return 0
		sleep 0.1
	done
	echo "        $1 never showed '$2'"
	return 1
}

second_push_waits_for_the_slot() {
	new_repo "$T/a" && touch "$T/a/nap" && git -C "$T/a" add nap &&
		git -C "$T/a" commit -qm nap
	new_repo "$T/b"
	as admin apps:create a > /dev/null && as admin config:set a BUILDPACK=nap > /dev/null
	git_as admin -C "$T/a" push "$(remote a)" HEAD:main > /dev/null 2> "$T/push-a" &
	local a=$!
	wait_for "$T/push-a" "napping" || return 1
	git_as admin -C "$T/b" push "$(remote b)" HEAD:main > /dev/null 2> "$T/push-b"
	local rc_b=$?
	wait "$a"
	local rc_a=$?
	expect "the first push deployed" [ "$rc_a" = 0 ]
	expect "the second push deployed" [ "$rc_b" = 0 ]
	contains "$T/push-b" "Waiting for a build slot (1 builds already running)"
	contains "$T/push-b" "Released v1 of b"
}

t "a push that finds the build slot taken waits for it, then deploys" second_push_waits_for_the_slot
finish
