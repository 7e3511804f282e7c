#!/usr/bin/env bash
# tests/bench/login.sh - the server's CPU per refused SSH login (a key the
# server does not know), for berth serve and for OpenSSH's sshd (the
# reference) in the same run: anyone may make such a connection, as often
# as the login limits allow, so what it costs the server matters.
#
# What it measures: LOGIN_RUNS (default 40) refused logins one after
# another; the server's CPU is read from /proc/PID/stat before and after
# (its own time plus that of the children it reaped: the connection's
# process, and for berth the repair and upkeep passes a connection sets
# off), in ms per connection.  Each login comes from an address of its own
# (127.0.0.10, .11, ...), since berth blocks an address after
# [server] auth_fail_limit failures and a blocked connection costs next to
# nothing.  For scale, the same for a command by a known key (berth's
# `help`, sshd's `true`).  Prints
#     bench login: refused berth=<ms> sshd=<ms> ratio=<berth/sshd>
#     bench login: command berth=<ms> sshd=<ms> ratio=<berth/sshd>
# Takes about 20 s.
#
# How to run:  make bench      (runs tests/bench/run with BERTH set)
#          or  BERTH=/abs/path/build/berth tests/bench/login.sh
# Needs root, ssh, sshd.
set -euo pipefail
export LC_ALL=C
RUNS=${LOGIN_RUNS:-40}

# shellcheck source=tests/bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start_berth
start_sshd
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$T/stranger"
HZ=$(getconf CLK_TCK)

# ticks PID: the CPU of PID and its reaped children, in clock ticks
ticks() {
	# the fields after the command name, which is in parentheses
	local rest
	rest=$(sed 's/^.*) //' "/proc/$1/stat")
	awk '{ print $12 + $13 + $14 + $15 }' <<< "$rest"
}

# per_conn PID PORT USER KEY: RUNS logins with KEY to USER@127.0.0.1:PORT
# running help (berth) or true (sshd), each from an address of its own;
# the ms of PID's CPU per login
per_conn() {
	local pid=$1 port=$2 user=$3 key=$4 before after i cmd=true
	[ "$user" = deploy ] && cmd=help
	sleep 1 # what came before is reaped
	before=$(ticks "$pid")
	for i in $(seq "$RUNS"); do
		ssh -F /dev/null -i "$key" -o IdentitiesOnly=yes \
		    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		    -o LogLevel=ERROR -o BatchMode=yes -b "127.0.0.$((9 + i))" \
		    -p "$port" "$user@127.0.0.1" "$cmd" > /dev/null 2>&1 || true
	done
	sleep 2 # the last connections and their passes are reaped
	after=$(ticks "$pid")
	awk -v d=$((after - before)) -v hz="$HZ" -v n="$RUNS" \
	    'BEGIN { printf "%.1f", d * 1000 / hz / n }'
}

[ "$RUNS" -le 200 ] || die "LOGIN_RUNS: at most 200 (one address each)"
b_ref=$(per_conn "$BERTH_PID" "$BERTH_PORT" deploy "$T/stranger")
s_ref=$(per_conn "$SSHD_PID" "$SSHD_PORT" root "$T/stranger")
b_cmd=$(per_conn "$BERTH_PID" "$BERTH_PORT" deploy "$T/client_key")
s_cmd=$(per_conn "$SSHD_PID" "$SSHD_PORT" root "$T/client_key")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "bench login: refused berth=$b_ref sshd=$s_ref ratio=$(ratio "$b_ref" "$s_ref")"
echo "bench login: command berth=$b_cmd sshd=$s_cmd ratio=$(ratio "$b_cmd" "$s_cmd")"
