#!/usr/bin/env bash
# tests/bench/concurrent.sh - four pushes to four apps at once, against
# one push alone.
#
# What it measures: one berth (Caddy managed, [build] concurrency at its
# default) with four static-site apps c1..c4, each created by a first push.
# Then BENCH_RUNS rounds of: one push of a new commit to c1 alone (wall
# time), and four pushes of a new commit each to c1..c4 started together
# (wall time until the last one ends).  Every push must deploy.  It prints
# each round and the line
#     bench concurrent: one=<s> four=<s> ratio=<four / one> (goal 1.3)
#       cpu_per_push=<s> cpu_floor_ratio=<4 * cpu_per_push / cores / one>
# (medians): the server-side CPU of one push (berth serve and every
# process it reaped) bounds the ratio from below on a machine with few
# cores, however little the pushes wait on each other.  And the line
#     bench concurrent: machine_cpu_per_push=<s> machine_floor_ratio=<r>
#       four_vs_machine_floor=<four / (machine CPU of the four / cores)>
# from /proc/stat (every process on the machine: the git and ssh clients
# and Caddy too, which run here as well): machine_floor_ratio is the
# ratio four pushes cannot beat on this machine whatever the server does
# (4 x one push's machine CPU / cores / one), and four_vs_machine_floor
# near 1.0 says the four pushes never waited on each other, only on the
# cores.  (A quiet machine gives true figures: everything counts.)
# The reference, in the same run: the same rounds of plain `git push`es
# of the same kind of commit to git-receive-pack behind a private OpenSSH
# sshd (no deploy at all), and the line
#     bench concurrent: reference one=<s> four=<s> ratio=<r>
#       ratio_vs_reference=<berth's ratio / the reference's>
# what four pushes at once cost on this machine when the server does
# nothing but store them.
# Takes about 40 s.
#
# How to run:  make bench      (runs tests/bench/run with BERTH set)
#          or  BERTH=/abs/path/build/berth tests/bench/concurrent.sh
# Knobs: BENCH_RUNS (default 5).  Needs root, git, ssh, sshd, caddy.
set -euo pipefail
export LC_ALL=C

RUNS=${BENCH_RUNS:-5}
GOAL=1.3

# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cp "$BERTH" "$T/berth"
cp "$(dirname "$BERTH")/berth-shim" "$T/berth-shim"
cp "$(dirname "$BERTH")/berth-serve" "$T/berth-serve"
BERTH=$T/berth
BERTH_DIR=$T/b

HTTP_PORT=$(free_port)
start_berth '[build]' "buildpacks_dir = $REPO_ROOT/buildpacks" \
	'[router]' 'kind = caddy' 'manage = yes' "http_listen = 127.0.0.1:$HTTP_PORT" 'https = off'

# push APP: a new commit of APP's work tree, pushed; must deploy
push() {
	echo "$RANDOM $EPOCHREALTIME" >"$T/$1/page.html"
	git -C "$T/$1" add -A && git -C "$T/$1" commit -qm change
	GIT_SSH_COMMAND="$SSH_BASE -p $BERTH_PORT" git -C "$T/$1" push -q "deploy@127.0.0.1:$1" main \
		>"$T/push-$1.log" 2>&1 || { cat "$T/push-$1.log" >&2; die "push of $1 failed"; }
}

for a in c1 c2 c3 c4; do
	git init -q -b main "$T/$a"
	echo "<h1>$a</h1>" >"$T/$a/index.html"
	push "$a"
done

# cpu: CPU seconds berth serve and the processes it reaped (connection
# processes and, through them, builds) have used so far
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15 + $16 + $17) / hz }' "/proc/$BERTH_PID/stat"; }
# busy: CPU seconds the whole machine has been busy (all cores; not
# steal, time a virtual machine's host gave to others)
busy() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.3f", ($2 + $3 + $4 + $7 + $8) / hz }' /proc/stat; }
ONE=() FOUR=() CPU=() BUSY1=() BUSY4=()
for r in $(seq "$RUNS"); do
	sleep 1.2 # the previous round's repair pass and upkeep check are over
	t0=$EPOCHREALTIME c0=$(cpu) b0=$(busy)
	push c1
	one=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
	BUSY1+=("$(awk -v a="$(busy)" -v b="$b0" 'BEGIN { printf "%.3f", a - b }')")
	CPU+=("$(awk -v a="$(cpu)" -v b="$c0" 'BEGIN { printf "%.3f", a - b }')")
	sleep 1.2
	t0=$EPOCHREALTIME b0=$(busy)
	pids=()
	for a in c1 c2 c3 c4; do
		push "$a" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || die "a concurrent push failed"
	done
	four=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')
	BUSY4+=("$(awk -v a="$(busy)" -v b="$b0" 'BEGIN { printf "%.3f", a - b }')")
	echo "  round $r: one push $one s, four at once $four s"
	ONE+=("$one") FOUR+=("$four")
done
one=$(median "${ONE[@]}") four=$(median "${FOUR[@]}")
ratio=$(awk -v a="$four" -v b="$one" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
# four pushes cannot take less than their CPU over the cores: with one
# push's server-side CPU c and n cores, four at once need 4c/n of wall
# time at least (more while other work shares the machine)
cpu1=$(median "${CPU[@]}") ncpu=$(nproc)
floor=$(awk -v c="$cpu1" -v n="$ncpu" -v o="$one" 'BEGIN { printf "%.2f", (o > 0 ? 4 * c / n / o : 0) }')
echo "  server CPU per push: $cpu1 s (median; berth serve and its children); $ncpu cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench concurrent: one=$one four=$four ratio=$ratio (goal $GOAL) cpu_per_push=$cpu1 cpu_floor_ratio=$floor"
busy1=$(median "${BUSY1[@]}") busy4=$(median "${BUSY4[@]}")
echo "bench concurrent: machine_cpu_per_push=$busy1 machine_floor_ratio=$(awk -v c="$busy1" -v n="$ncpu" -v o="$one" 'BEGIN { printf "%.2f", (o > 0 ? 4 * c / n / o : 0) }') four_vs_machine_floor=$(awk -v f="$four" -v c="$busy4" -v n="$ncpu" 'BEGIN { printf "%.2f", (c > 0 ? f / (c / n) : 0) }')"

# The reference: plain pushes of new commits to bare repositories through
# sshd, one alone and four at once, rounds as above.
start_sshd
for a in c1 c2 c3 c4; do
	git init -q --bare "$T/ref-$a.git"
done
ref_push() { # ref_push APP
	echo "$RANDOM $EPOCHREALTIME" >"$T/$1/page.html"
	git -C "$T/$1" add -A && git -C "$T/$1" commit -qm change
	GIT_SSH_COMMAND="$SSH_BASE -p $SSHD_PORT" git -C "$T/$1" push -q \
		"root@127.0.0.1:$T/ref-$1.git" main >"$T/ref-$1.log" 2>&1 ||
		{ cat "$T/ref-$1.log" >&2; die "reference push of $1 failed"; }
}
for a in c1 c2 c3 c4; do ref_push "$a"; done
RONE=() RFOUR=()
for r in $(seq "$RUNS"); do
	sleep 0.3
	t0=$EPOCHREALTIME
	ref_push c1
	RONE+=("$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')")
	sleep 0.3
	t0=$EPOCHREALTIME
	pids=()
	for a in c1 c2 c3 c4; do
		ref_push "$a" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || die "a concurrent reference push failed"
	done
	RFOUR+=("$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')")
done
rone=$(median "${RONE[@]}") rfour=$(median "${RFOUR[@]}")
rratio=$(awk -v a="$rfour" -v b="$rone" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "bench concurrent: reference one=$rone four=$rfour ratio=$rratio ratio_vs_reference=$(awk -v a="$ratio" -v b="$rratio" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
