# test_protocol.sh - hostile and broken protocol input sent through the real
# ssh client straight to git-receive-pack / git-upload-pack: garbage
# pkt-lines, truncated and corrupt packs, bad commands, unknown
# capabilities, slow clients.  Each must get a clear message and leave the
# repository, its refs and the database exactly as they were.
. "$(dirname "$0")/lib.sh"
start_server "[server]" "auth_timeout = 3" "idle_timeout = 3" \
	"auth_fail_limit = 3" "auth_fail_block = 3"
W=$T/work
ZERO=0000000000000000000000000000000000000000

snapshot() { # the state that must survive a refused push
	{ git --git-dir="$DATA/repos/app.git" for-each-ref; ls "$DATA/repos/app.git/objects/pack"; \
	  ls -d "$DATA"/repos/app.git/objects/incoming-* 2>/dev/null || true; } > "$T/state.$1"
}
unchanged() {
	snapshot after
	diff -u "$T/state.before" "$T/state.after" || { echo "    repo changed"; return 1; }
	fsck_clean app
	expect "db intact" [ "$(sql 'pragma integrity_check')" = ok ]
}
receive() { as admin "git-receive-pack 'app'" < "$1" > "$T/reply" 2> "$T/err" || true; }

# set-up, at top level so that OLD and NEW are seen by every test
new_repo "$W"
git_as admin -C "$W" push -q "$(remote app)" main 2> /dev/null
commit "$W" && commit "$W"
OLD=$(git -C "$W" rev-parse HEAD~2)
NEW=$(git -C "$W" rev-parse HEAD)
printf '%s\n^%s\n' "$NEW" "$OLD" | git -C "$W" pack-objects --revs --stdout -q > "$T/good.pack"
snapshot before

garbage_pktline() {
	printf 'zzzz this is not git\n' > "$T/in"
	receive "$T/in"
	contains "$T/err" "bad pkt-line length 'zzzz': not hexadecimal"
	printf '0003' > "$T/in"
	receive "$T/in"
	contains "$T/err" "bad pkt-line length 3"
	printf 'ffff' > "$T/in"
	receive "$T/in"
	contains "$T/err" "longer than 65520"
	head -c 3000 /dev/urandom > "$T/in"
	receive "$T/in"
	contains "$T/err" "berth:"
	unchanged
}

bad_commands() {
	{ pkt "not-an-id $NEW refs/heads/main\0report-status\n"; printf 0000; } > "$T/in"
	receive "$T/in"
	contains "$T/err" "malformed update command"
	{ pkt "$OLD $NEW refs/heads/main\0report-status frobnicate\n"; printf 0000; } > "$T/in"
	receive "$T/in"
	contains "$T/err" "unsupported capability 'frobnicate'"
	{ pkt "shallow $OLD\n"; pkt "$OLD $NEW refs/heads/main\0report-status\n"; printf 0000; } > "$T/in"
	receive "$T/in"
	contains "$T/err" "shallow clone is not supported"
	{ pkt "$OLD $NEW refs/heads/main\0report-status\n"; } > "$T/in"
	receive "$T/in"
	contains "$T/err" "connection closed in the middle of the commands"
	unchanged
}

truncated_pack() {
	local size
	size=$(stat -c %s "$T/good.pack")
	{ pkt "$OLD $NEW refs/heads/main\0report-status\n"; printf 0000; head -c $((size / 2)) "$T/good.pack"; } > "$T/in"
	receive "$T/in"
	contains "$T/reply" "unpack pack truncated"
	contains "$T/reply" "ng refs/heads/main unpacker error"
	{ pkt "$OLD $NEW refs/heads/main\0report-status\n"; printf 0000; head -c 7 "$T/good.pack"; } > "$T/in"
	receive "$T/in"
	contains "$T/reply" "unpack pack truncated"
	unchanged
}

corrupt_pack() {
	local size
	size=$(stat -c %s "$T/good.pack")
	cp "$T/good.pack" "$T/bad.pack"
	printf '\377\377\377\377\377\377\377\377' | dd of="$T/bad.pack" bs=1 seek=$((size / 2)) conv=notrunc status=none
	{ pkt "$OLD $NEW refs/heads/main\0report-status side-band-64k\n"; printf 0000; cat "$T/bad.pack"; } > "$T/in"
	receive "$T/in"
	contains "$T/reply" "unpack bad pack"
	{ pkt "$OLD $NEW refs/heads/main\0report-status\n"; printf 0000; printf 'JUNK\0\0\0\2\0\0\0\1'; } > "$T/in"
	receive "$T/in"
	contains "$T/reply" "unpack bad pack: no PACK signature"
	unchanged
}

huge_object_count() { # fuzzer finding: the indexer allocates by this count
	{ pkt "$OLD $NEW refs/heads/main\0report-status\n"; printf 0000;
	  printf 'PACK\0\0\0\2\177\377\377\377'; head -c 100 /dev/zero; } > "$T/in"
	receive "$T/in"
	contains "$T/reply" "unpack pack declares 2147483647 objects"
	unchanged
}

missing_objects() { # a pack that lacks the commit the command names
	local other
	other=$(echo "never sent" | git -C "$W" hash-object --stdin)
	{ pkt "$OLD $other refs/heads/main\0report-status\n"; printf 0000; printf '%s\n^%s\n' "$OLD" "$OLD" | git -C "$W" pack-objects --revs --stdout -q; } > "$T/in"
	receive "$T/in"
	contains "$T/reply" "ng refs/heads/main missing necessary objects"
	{ pkt "$ZERO $NEW refs/heads/main\0report-status\n"; printf 0000; cat "$T/good.pack"; } > "$T/in"
	receive "$T/in"
	contains "$T/reply" "ng refs/heads/main stale info"
	unchanged
}

thin_pack_and_late_eof() {
	# a thin pack, and a client that keeps its side open after the pack:
	# berth must find the end of the pack from its trailer, not from EOF
	printf '%s\n^%s\n' "$NEW" "$OLD" | git -C "$W" pack-objects --thin --revs --stdout -q > "$T/thin.pack"
	{ pkt "$OLD $NEW refs/heads/main\0report-status\n"; printf 0000; cat "$T/thin.pack"; sleep 2; } |
		timeout 10 ssh -i "$T/admin" $SSH_OPTS -p "$PORT" deploy@127.0.0.1 "git-receive-pack 'app'" > "$T/reply" 2> "$T/err" &
	local pid=$!
	for _ in $(seq 30); do
		grep -aq "ok refs/heads/main" "$T/reply" 2>/dev/null && break
		sleep 0.05
	done
	contains "$T/reply" "ok refs/heads/main"
	wait "$pid" || true
	expect "main moved" [ "$(server_rev app refs/heads/main)" = "$NEW" ]
	fsck_clean app
}

upload_pack_refusals() {
	{ pkt "want 1111111111111111111111111111111111111111 side-band-64k\n"; printf 0000; pkt "done\n"; } > "$T/in"
	as admin "git-upload-pack 'app'" < "$T/in" > "$T/reply" 2>&1 || true
	contains "$T/reply" "not our ref"
	printf 'garbage!' > "$T/in"
	as admin "git-upload-pack 'app'" < "$T/in" > "$T/reply" 2>&1 || true
	contains "$T/reply" "bad pkt-line length"
}

slow_clients() {
	local start
	start=$(date +%s)
	# says nothing at all: dropped after auth_timeout
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	# authenticates, then goes silent mid-protocol: dropped after idle_timeout
	as admin "git-receive-pack 'app'" < <(sleep 12) > /dev/null 2>&1 &
	local pid=$!
	as admin help > /dev/null   # others are served meanwhile
	wait "$pid" || true
	expect "idle client dropped within 10 s" [ $(( $(date +%s) - start )) -lt 10 ]
	cat <&5 > /dev/null  # returns once the server closed the silent socket
	exec 5<&-
	expect "silent socket dropped within 10 s" [ $(( $(date +%s) - start )) -lt 10 ]
	as admin help > /dev/null
}

auth_failures_block() {
	for _ in 1 2 3; do as stranger help > /dev/null 2>&1 || true; done
	sleep 0.3
	if as admin help > /dev/null 2>&1; then echo "not blocked after 3 failures"; return 1; fi
	contains "$T/serve.log" "blocking 127.0.0.1 for 3 s: 3 failed logins"
	sleep 3.2
	as admin help > /dev/null
}

still_serving() {
	commit "$W"
	git_as admin -C "$W" push -q "$(remote app)" main
	expect "push after all that" [ "$(server_rev app refs/heads/main)" = "$(git -C "$W" rev-parse main)" ]
	fsck_clean app
}

t "garbage pkt-lines are refused" garbage_pktline
t "malformed commands, unknown capability, shallow, early EOF" bad_commands
t "truncated pack: refused, nothing kept" truncated_pack
t "corrupt pack: refused, nothing kept" corrupt_pack
t "a pack declaring billions of objects is refused before indexing" huge_object_count
t "missing objects and stale old-id are refused" missing_objects
t "thin pack; client keeps the channel open after the pack" thin_pack_and_late_eof
t "upload-pack refuses unadvertised wants and garbage" upload_pack_refusals
t "silent and idle clients are dropped; others served meanwhile" slow_clients
t "repeated failed logins block the address for a while" auth_failures_block
t "the server still takes a normal push" still_serving
finish
