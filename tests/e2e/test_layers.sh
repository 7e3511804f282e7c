#!/usr/bin/env bash
# test_layers.sh - the layering rule (tests/layers.sh) holds on this tree,
# and it fails on copies of the tree where a file reaches up a floor: a
# floor file including gitd/, run/ including deploy/ (the run side must
# not need the pipeline), a router header including run/, and a new
# folder of C files that nobody gave a floor.
. "$(dirname "$0")/lib.sh"

LAYERS="$REPO/tests/layers.sh"

# copy_tree: the source folders of this checkout into $T/tree
copy_tree() {
	rm -rf "$T/tree" && mkdir -p "$T/tree"
	(cd "$REPO" && cp -r conf core router run deploy export gitd web cmd "$T/tree/")
}

# refused FILE INCLUDE: with INCLUDE added to FILE, the check fails and
# names that file
refused() {
	copy_tree
	sed -i "0,/^#include \"/s||#include \"$2\"\n&|" "$T/tree/$1"
	grep -q "#include \"$2\"" "$T/tree/$1"
	if bash "$LAYERS" "$T/tree" > "$T/layers.out" 2>&1; then
		echo "the check passed a tree where $1 includes $2"
		return 1
	fi
	grep -q "^$1:[0-9]*: includes \"$2\"" "$T/layers.out"
}

tree_keeps_its_layers() {
	bash "$LAYERS" "$REPO"
	copy_tree
	bash "$LAYERS" "$T/tree"
}

floor_including_gitd() { refused core/log.c gitd/gitd.h; }
run_including_deploy() { refused run/swap.c deploy/receive.h; }
router_header_including_run() { refused router/router.h run/procs.h; }

folder_without_floor() {
	copy_tree
	mkdir "$T/tree/extra"
	printf '#include "core/log.h"\n' > "$T/tree/extra/extra.c"
	! bash "$LAYERS" "$T/tree" > "$T/layers.out" 2>&1
	grep -q '^extra/: a folder of C files with no floor' "$T/layers.out"
}

t "no folder of this tree includes a folder above it" tree_keeps_its_layers
t "a floor file including gitd/ is refused, by name" floor_including_gitd
t "run/ including deploy/ is refused" run_including_deploy
t "a router header including run/ is refused" router_header_including_run
t "a folder of C files without a floor is refused" folder_without_floor
finish
