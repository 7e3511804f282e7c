#!/usr/bin/env bash
# test_numbers.sh - the rule of core/num.h (tests/numbers.sh): no file of
# this tree but core/num.c reads a number from text, and the check fails
# on a copy of the tree where a file calls strtol or atoi itself.
. "$(dirname "$0")/lib.sh"

NUMBERS="$REPO/tests/numbers.sh"

tree_reads_numbers_in_one_place() {
	bash "$NUMBERS" "$REPO"
}

# refused FILE CALL: with CALL added to FILE's first function body, the
# check fails and names that file
refused() {
	rm -rf "$T/tree" && mkdir -p "$T/tree"
	cp -r "$REPO/$(dirname "$1")" "$T/tree/"
	printf '\nstatic long numbers_test_probe(const char *s) { return %s; }\n' \
	    "$2" >> "$T/tree/$1"
	if bash "$NUMBERS" "$T/tree" > "$T/numbers.out" 2>&1; then
		echo "the check passed a tree where $1 calls $2"
		return 1
	fi
	grep -q "^$1:[0-9]*: reads a number outside core/num.c" "$T/numbers.out"
}

strtol_in_web() { refused web/web_server.c "strtol(s, NULL, 10)"; }
atoi_in_router() { refused router/router_nginx_reload.c "atoi(s)"; }
strtoull_in_run() { refused run/procs.c "(long)strtoull(s, NULL, 10)"; }

t "no file but core/num.c reads a number from text" tree_reads_numbers_in_one_place
t "strtol in web/ is refused, by name" strtol_in_web
t "atoi in router/ is refused" atoi_in_router
t "strtoull in run/ is refused" strtoull_in_run
finish
