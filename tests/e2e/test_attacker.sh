# test_attacker.sh - what a key holder tries against the server and the
# store, each move made as the attacker makes it: a deployer key ('dev', on
# app 'mine' only) over real SSH, real pushes of hostile trees, a client
# that trickles its push.  Secrets and odd bytes in the audit, app ids
# (so uids) never reused, trees too deep to hold open, symlink chains in a
# pushed tree, a push that holds the app's lock, the proxy's config file.
. "$(dirname "$0")/lib.sh"
ulimit -Sn 1024  # what systemd gives a service by default
start_server "[server]" "lock_timeout = 3" "pack_timeout = 6" \
	"[health]" "timeout = 10" "grace = 0"
W=$T/work

# A buildpack that leaves a file outside the data dir (a world-writable,
# sticky dir, like /tmp) and tries to write to it again on the next build.
mkdir -p "$T/drop" "$T/buildpacks/dropper/bin" && chmod 1777 "$T/drop"
printf '#!/bin/sh\n[ -f "$1/dropper" ] && echo dropper\n' > "$T/buildpacks/dropper/bin/detect"
cat > "$T/buildpacks/dropper/bin/compile" <<SH
#!/bin/sh
echo "build uid \$(id -u)"
if [ -e "$T/drop/left" ]; then
	echo again >> "$T/drop/left" 2> /dev/null && echo "WROTE the old app's file" || echo "old file: refused"
else
	echo first > "$T/drop/left" && chmod 600 "$T/drop/left"
fi
SH
printf '#!/bin/sh\nprintf -- "---\\ndefault_process_types: {}\\n"\n' > "$T/buildpacks/dropper/bin/release"
chmod 755 "$T/buildpacks/dropper/bin/"*

# A buildpack that makes a chain of directories 5,000 deep in the build
# dir and in the cache (deeper than PATH_MAX, and than the files one
# process may hold open).
mkdir -p "$T/buildpacks/deep/bin"
printf '#!/bin/sh\n[ -f "$1/deep" ] && echo deep\n' > "$T/buildpacks/deep/bin/detect"
cat > "$T/buildpacks/deep/bin/compile" <<'SH'
#!/usr/bin/python3
import os, sys
for top in sys.argv[1:3]:
    os.chdir(top)
    for i in range(5000):
        os.mkdir("d")
        os.chdir("d")
    open("bottom", "w").write("x")
print("made two trees 5000 deep")
SH
printf '#!/bin/sh\nprintf -- "---\\ndefault_process_types: {}\\n"\n' > "$T/buildpacks/deep/bin/release"
chmod 755 "$T/buildpacks/deep/bin/"*

setup() {
	new_repo "$W"
	git_as admin -C "$W" push -q "$(remote mine)" main
	as admin keys:add dev < "$T/dev.pub" > /dev/null
	as admin grant dev mine deployer > /dev/null
}

# j FILE EXPR: a python expression over the JSON in FILE (as d) must hold
j() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" ||
		{ echo "    not true of $1: $2"; head -c 2000 "$1"; return 1; }
}

secrets_stay_out_of_the_audit() {
	# the '=' forgotten, the app forgotten, the command name mistyped,
	# a quoted value with spaces: the secret is refused and never stored
	expect "a value without a name is refused" fails as dev config:set mine sk_live_S3CRET1
	expect "a missing app is refused" fails as dev config:set sk_live_S3CRET2=x
	expect "a typo is refused" fails as dev config:sett mine TOKEN=sk_live_S3CRET3
	as dev config:set mine "'TOKEN=sk live S3CRET4'" "'bad name=sk_live_S3CRET5'" 2> /dev/null || true
	as dev config:set mine API_KEY=sk_live_S3CRET6 > /dev/null
	expect "no secret in the audit table" [ "$(sql "SELECT count(*) FROM audit WHERE command LIKE '%S3CRET%'")" = 0 ]
	as admin audit -n 10 --json > "$T/j"
	j "$T/j" 'any(r["command"] == "config:set mine [hidden]" and r["outcome"] == "exit 2" for r in d)'
	j "$T/j" 'any(r["command"] == "config:set [hidden]" for r in d)'
	j "$T/j" 'any(r["command"] == "config:sett [hidden] [hidden]" for r in d)'
	j "$T/j" 'any(r["command"] == "config:set mine TOKEN= [hidden]" for r in d)'
	j "$T/j" 'any(r["command"] == "config:set mine API_KEY=" and r["outcome"] == "ok" for r in d)'
}

odd_bytes_in_the_audit() {
	# a command line that is not UTF-8: stored as sent, listed escaped
	as dev "$(printf 'ps mine\377\376 caf\303\251')" 2> /dev/null || true
	expect "stored as sent" [ "$(sql "SELECT count(*) FROM audit WHERE hex(command) LIKE '%FFFE%'")" = 1 ]
	as admin audit -n 3 --json > "$T/j"
	j "$T/j" 'any(r["command"] == "ps mine\\xff\\xfe caf\u00e9" for r in d)'
	as admin audit -n 3 > "$T/out"
	contains "$T/out" 'ps mine\xff\xfe café'
	as admin audit mine -n 50 > "$T/out"
	contains "$T/out" "config:set mine API_KEY="
}

ids_never_reused() {
	local d=$T/drop-app id1 id2
	git init -q "$d" && echo x > "$d/dropper" && git -C "$d" add . && git -C "$d" commit -qm drop
	git_as admin -C "$d" push -q "$(remote tmp)" main 2> "$T/push1"
	id1=$(sql "SELECT id FROM apps WHERE name='tmp'")
	as admin apps:destroy tmp --force > /dev/null
	git_as admin -C "$d" push -q "$(remote tmp)" main 2> "$T/push2"
	id2=$(sql "SELECT id FROM apps WHERE name='tmp'")
	expect "a new id ($id1, then $id2)" [ "$id2" -gt "$id1" ]
	as admin apps:create other > /dev/null
	expect "and the next one is newer still" [ "$(sql "SELECT id FROM apps WHERE name='other'")" -gt "$id2" ]
	if [ "$(id -u)" = 0 ]; then
		contains "$T/push1" "build uid $((UID_BASE + 1000000000 + id1))"
		contains "$T/push2" "build uid $((UID_BASE + 1000000000 + id2))"
		contains "$T/push2" "old file: refused"
	fi
}

deep_tree_destroyed() {
	local d=$T/deep-app
	git init -q "$d" && echo x > "$d/deep" && git -C "$d" add . && git -C "$d" commit -qm deep
	git_as admin -C "$d" push "$(remote deep)" main > "$T/out" 2>&1 || true
	contains "$T/out" "made two trees 5000 deep"
	contains "$T/out" "the build left directories nested more than 256 levels deep"
	as admin apps:destroy deep --force > "$T/out"
	contains "$T/out" "destroyed app 'deep'"
	expect "nothing left" [ ! -e "$DATA/apps/deep" ] && [ ! -e "$DATA/repos/deep.git" ]
	expect "nothing moved elsewhere" [ -z "$(find "$DATA" -name '.rmtree-*' | head -1)" ]
}

link_chains_refused() {
	# each link looks inside on its own; together they leave the release
	local d=$T/chains
	git clone -q "$W" "$d" 2> /dev/null || cp -r "$W" "$d"
	mkdir -p "$d/chain"
	ln -s .. "$d/chain/b"
	ln -s chain/b/README "$d/alias"      # through the chain, and inside
	git -C "$d" add . && git -C "$d" commit -qm "a chain that stays inside"
	git_as dev -C "$d" push -q "$(remote mine)" main
	expect "the inside chain is exported" [ -L "$DATA/apps/mine/current/alias" ]
	ln -s chain/b/.. "$d/up"             # the releases dir, beside this one
	git -C "$d" add . && git -C "$d" commit -qm "a chain that leaves"
	if git_as dev -C "$d" push "$(remote mine)" main 2> "$T/out"; then
		echo "a tree whose links lead out was deployed"; return 1
	fi
	contains "$T/out" "symlink 'up' leads outside the app through other links"
	expect "the release before stays live" [ "$(readlink "$DATA/apps/mine/current")" = releases/2 ]
	expect "the branch did not move" [ "$(server_rev mine refs/heads/main)" != "$(git -C "$d" rev-parse HEAD)" ]
	expect "no release dir is left with the links" [ ! -e "$DATA/apps/mine/releases/3" ]
}

# slowssh: the real ssh, with what git sends trickling through at 200
# bytes a second (a client on a bad link, or one holding the app on purpose)
cat > "$T/throttle.py" <<'PY'
import os, sys, time
while True:
    b = os.read(0, 20)
    if not b:
        break
    try:
        os.write(1, b)
    except BrokenPipeError:
        break
    time.sleep(0.1)
PY
printf '#!/bin/sh\npython3 %s | ssh -i %s %s -p %s "$@"\n' "$T/throttle.py" "$T/dev" "$SSH_OPTS" "$PORT" > "$T/slowssh"
chmod 755 "$T/slowssh"

lock_held() { ! flock -n "$DATA/locks/mine.lock" true; }

trickled_push_cut_off() {
	local d=$T/trickle start took
	git clone -q "$(remote mine)" "$d" 2> /dev/null ||
		GIT_SSH_COMMAND="ssh -i $T/dev $SSH_OPTS -p $PORT" git clone -q "$(remote mine)" "$d"
	head -c 300000 /dev/urandom > "$d/big.bin"
	git -C "$d" add big.bin && git -C "$d" commit -qm big
	start=$(date +%s)
	GIT_SSH_COMMAND="$T/slowssh" git -C "$d" push "$(remote mine)" main > "$T/trickle.out" 2>&1 &
	local pusher=$!
	for _ in $(seq 100); do lock_held && break; sleep 0.1; done
	expect "the trickling push holds the lock" lock_held
	# a command that needs the app is told what holds it, and when to retry
	if as admin ps:restart mine 2> "$T/out"; then echo "ps:restart ran beside the push"; return 1; fi
	contains "$T/out" "app 'mine' is busy: a push by key 'dev' since"
	contains "$T/out" "try again"
	# the push is cut off at pack_timeout (6 s), not idle_timeout (300 s)
	if wait "$pusher"; then echo "the trickled push succeeded"; return 1; fi
	took=$(( $(date +%s) - start ))
	expect "cut off in time ($took s)" [ "$took" -lt 30 ]
	contains "$T/serve.log" "the push held app 'mine' for 6 s before its pack was in ([server] pack_timeout)"
	expect "the branch did not move" [ "$(server_rev mine refs/heads/main)" != "$(git -C "$d" rev-parse HEAD)" ]
	expect "the lock is free" fails lock_held
	as admin ps:restart mine > /dev/null
}

t "set up: an app, and a deployer key on it" setup
t "a secret sent to config:set in any shape stays out of the audit" secrets_stay_out_of_the_audit
t "audit rows that are not UTF-8 are listed escaped, not lost" odd_bytes_in_the_audit
t "app ids (so uids) are never reused after apps:destroy" ids_never_reused
t "a build tree 5,000 deep: apps:destroy still removes everything" deep_tree_destroyed
t "symlink chains that lead out of a pushed tree are refused" link_chains_refused
t "a push that trickles holds the app for pack_timeout at most; others are told why" trickled_push_cut_off
finish
