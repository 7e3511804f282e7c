#!/usr/bin/env bash
# tests/numbers.sh [ROOT] - the rule of core/num.h over the C files of
# ROOT's source folders (default: this checkout): core/num.c is the one
# place that turns text into an integer, so junk, an empty string and a
# value out of range are refused the same way everywhere.  Prints each
# call of strtol and its kin or atoi/atol/atoll found elsewhere as
# "FILE:LINE: ..." and exits 1 if there is any (a /proc line of several
# fields may still be read with sscanf);
# tests/e2e/test_numbers.sh runs it (so `make test` does) on this tree and
# on a copy made to fail.
set -u
ROOT=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$ROOT" || exit 2

bad=0
while IFS=: read -r file line text; do
	[ "$file" = core/num.c ] && continue
	echo "$file:$line: reads a number outside core/num.c (use core/num.h):" \
	    "$(echo "$text" | sed 's/^[[:space:]]*//')"
	bad=1
done < <(grep -nE '\b(strto(l|ll|ul|ull|imax|umax)|atoi|atol|atoll)[[:space:]]*\(' \
    $(find . -mindepth 2 -maxdepth 2 -name '*.c' -not -path './tests/*' \
    -not -path './build*' | sed 's|^\./||' | sort))
exit $bad
