# test_disk_full.sh - the disk fills up during a push and during a build:
# the push fails with a clear message, the branch does not move, the live
# release keeps answering, nothing half-written is left, and once the
# space is back the next push works.  The data dir is a small tmpfs
# mounted by the test (root only; skipped where mounting is not allowed).
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/data"
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=48m,mode=0711 tmpfs "$T/data" 2>/dev/null; then
	echo "skip: cannot mount a small tmpfs here"
	echo "0 passed, 0 failed"
	exit 0
fi
cleanup() {
	stop_server
	stop_apps
	umount "$T/data" 2>/dev/null || umount -l "$T/data"
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
# a buildpack whose build writes more than the disk holds
mkdir -p "$T/buildpacks/filler/bin"
printf '#!/bin/sh\n[ -f "$1/fill" ] && echo filler\n' > "$T/buildpacks/filler/bin/detect"
printf '#!/bin/sh\necho "writing 100 MiB"\nhead -c 104857600 /dev/zero > "$1/big" || exit 1\n' > "$T/buildpacks/filler/bin/compile"
printf '#!/bin/sh\necho "---"\necho "static_root: ."\n' > "$T/buildpacks/filler/bin/release"
chmod +x "$T/buildpacks/filler/bin/"*
cp -r "$REPO/buildpacks/." "$T/buildpacks/"
# past the low-disk guard (48 MiB is below its 1G default): what happens
# when the disk fills all the same
start_server "[upkeep]" "min_free_space = 0"
W=$T/site

used() { df --output=used -k "$DATA" | tail -1; }

first_push() {
	new_repo "$W"
	echo "<h1>one</h1>" > "$W/index.html"; git -C "$W" commit -qam one
	git_as admin -C "$W" push -q "$(remote site)" main
	http site.localhost / > "$T/out"; contains "$T/out" "one"
	used > "$T/used.before"
}

still_live() {
	expect "main did not move" [ "$(server_rev site refs/heads/main)" = "$(git -C "$W" rev-parse main~1)" ]
	http site.localhost / > "$T/out"; contains "$T/out" "one"
	expect "no quarantine left" [ -z "$(ls -d "$DATA/repos/site.git/objects/incoming-"* 2>/dev/null)" ]
	expect "no build dir left" [ -z "$(ls -A "$DATA/apps/site/releases" | grep '^\.')" ]
	expect "the space is back" [ "$(used)" -lt $(( $(cat "$T/used.before") + 4096 )) ]
	expect "db intact" [ "$(sql 'pragma integrity_check')" = ok ]
	fsck_clean site
}

push_fills_disk() {
	echo "<h1>big</h1>" > "$W/index.html"
	head -c 62914560 /dev/urandom > "$W/blob"   # 60 MiB that do not compress
	git -C "$W" add -A && git -C "$W" commit -qm big
	if git_as admin -C "$W" push "$(remote site)" main 2> "$T/err"; then
		echo "a push larger than the disk was accepted"; return 1
	fi
	contains "$T/err" "No space left on device"
	still_live
	git -C "$W" reset -q --hard main~1
}

build_fills_disk() {
	as admin config:set site BUILDPACK=filler > /dev/null
	touch "$W/fill"; git -C "$W" add fill && git -C "$W" commit -qm fill
	if git_as admin -C "$W" push "$(remote site)" main 2> "$T/err"; then
		echo "a build that fills the disk was accepted"; return 1
	fi
	contains "$T/err" "writing 100 MiB"
	contains "$T/err" "No space left on device"
	contains "$T/err" "build failed (exit status 1): the disk that holds"
	still_live
	expect "the failure is recorded" [ "$(sql "select status from deploys order by id desc limit 1")" = failed ]
	as admin config:unset site BUILDPACK > /dev/null
	git -C "$W" reset -q --hard main~1
}

next_push_works() {
	echo "<h1>two</h1>" > "$W/index.html"; git -C "$W" commit -qam two
	git_as admin -C "$W" push -q "$(remote site)" main
	http site.localhost / > "$T/out"; contains "$T/out" "two"
}

t "a first push on a 48 MiB data dir" first_push
t "a push bigger than the free space: refused, nothing lost" push_fills_disk
t "a build that fills the disk: refused, nothing lost" build_fills_disk
t "with the space back, the next push works" next_push_works
finish
