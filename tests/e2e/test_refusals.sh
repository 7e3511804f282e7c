# test_refusals.sh - what berth refuses, and that a refusal loses nothing:
# unknown keys, keys without rights, invalid app names, the rights matrix of
# admin/deployer, key management, and the audit rows they leave.
. "$(dirname "$0")/lib.sh"
start_server
W=$T/work

setup_app() {
	new_repo "$W"
	git_as admin -C "$W" push -q "$(remote shop)" main
	as admin apps:create blog
}

unknown_key() {
	if as stranger help 2> "$T/out"; then
		echo "unknown key was let in"; return 1
	fi
	contains "$T/out" "Permission denied"
	commit "$W"
	if git_as stranger -C "$W" push "$(remote shop)" main 2> "$T/out"; then
		echo "push with an unknown key was accepted"; return 1
	fi
	expect "ref unchanged" [ "$(server_rev shop refs/heads/main)" != "$(git -C "$W" rev-parse main)" ]
	contains "$T/serve.log" "unknown key"
}

key_without_rights() {
	as admin keys:add dev < "$T/dev.pub" > "$T/out"
	contains "$T/out" "added key 'dev'"
	if git_as dev -C "$W" push "$(remote shop)" main 2> "$T/out"; then
		echo "key without rights could push"; return 1
	fi
	contains "$T/out" "key 'dev' has no access to app 'shop'"
	if git_as dev clone -q "$(remote shop)" "$T/c1" 2> "$T/out"; then
		echo "key without rights could clone"; return 1
	fi
	contains "$T/out" "has no access to app 'shop'"
	expect "ref unchanged" [ "$(server_rev shop refs/heads/main)" != "$(git -C "$W" rev-parse main)" ]
}

deployer_rights() {
	as admin grant dev shop deployer > /dev/null
	git_as dev -C "$W" push -q "$(remote shop)" main
	expect "deployer pushed" [ "$(server_rev shop refs/heads/main)" = "$(git -C "$W" rev-parse main)" ]
	git_as dev clone -q "$(remote shop)" "$T/c2"
	# on another app: refused, and the message names the missing right
	if git_as dev -C "$W" push "$(remote blog)" main 2> "$T/out"; then
		echo "deployer of shop could push to blog"; return 1
	fi
	contains "$T/out" "key 'dev' has no access to app 'blog' (git-receive-pack needs the deployer role)"
	expect "blog untouched" [ -z "$(server_rev blog refs/heads/main)" ]
	# a deployer cannot create apps by pushing, nor run admin commands
	if git_as dev -C "$W" push "$(remote newapp)" main 2> "$T/out"; then
		echo "deployer created an app"; return 1
	fi
	contains "$T/out" "app 'newapp' does not exist"
	expect "no repo dir" [ ! -e "$DATA/repos/newapp.git" ]
	if as dev keys 2> "$T/out"; then echo "deployer listed keys"; return 1; fi
	contains "$T/out" "needs a server admin key"
	as dev apps > "$T/out"
	contains "$T/out" "shop"
	if grep -q blog "$T/out"; then echo "deployer sees blog"; return 1; fi
	as admin revoke dev shop > /dev/null
	commit "$W"
	if git_as dev -C "$W" push "$(remote shop)" main 2> /dev/null; then
		echo "revoked key could push"; return 1
	fi
}

invalid_app_names() {
	local name before
	before=$(ls "$DATA/repos" | sort)
	for name in "../x" "a b" "" "$(printf 'a%.0s' $(seq 200))" "MyApp" "x;rm" "-x" "a/b"; do
		# straight to the server: git itself blocks some of these names
		if as admin "git-receive-pack '$name'" < /dev/null > /dev/null 2> "$T/out"; then
			echo "receive-pack for invalid app name '$name' was accepted"; return 1
		fi
		contains "$T/out" "invalid app name"
		if as admin apps:create "'$name'" 2> "$T/out"; then
			echo "apps:create '$name' succeeded"; return 1
		fi
		contains "$T/out" "app name"
	done
	# and through a real git push
	if git_as admin -C "$W" push "deploy@127.0.0.1:../x" main 2> "$T/out"; then
		echo "push to '../x' was accepted"; return 1
	fi
	contains "$T/out" "invalid app name '../x'"
	expect "no new repo dirs" [ "$(ls "$DATA/repos" | sort)" = "$before" ]
	expect "no new app rows" [ "$(sql 'select count(*) from apps')" = 2 ]
}

commands_and_exit_status() {
	as admin help > "$T/out"
	contains "$T/out" "git-receive-pack APP"
	as admin help grant > "$T/out"
	contains "$T/out" "usage: grant KEY APP deployer|admin"
	set +e
	as admin no-such-command 2> "$T/out"; rc=$?
	set -e
	expect "unknown command exits 2" [ "$rc" = 2 ]
	contains "$T/out" "unknown command 'no-such-command'"
	set +e
	as admin grant dev 2> "$T/out"; rc=$?
	set -e
	expect "wrong arity exits 2" [ "$rc" = 2 ]
	contains "$T/out" "usage: grant KEY APP deployer|admin"
	if as admin apps:create shop 2> "$T/out"; then echo "duplicate app"; return 1; fi
	contains "$T/out" "already exists"
	if echo "not a key" | as admin keys:add bad 2> "$T/out"; then echo "bad key accepted"; return 1; fi
	contains "$T/out" "unknown key type"
	if as admin keys:add dev2 < "$T/dev.pub" 2> "$T/out"; then echo "duplicate key accepted"; return 1; fi
	contains "$T/out" "already registered as 'dev'"
	if as admin keys:remove admin 2> "$T/out"; then echo "last admin removed"; return 1; fi
	contains "$T/out" "last admin key"
	as admin keys > "$T/out"
	contains "$T/out" "$(ssh-keygen -lf "$T/dev.pub" | awk '{print $2}')"
	if as admin 2> "$T/out" < /dev/null; then echo "shell accepted"; return 1; fi
	contains "$T/out" "no interactive shell"
}

local_commands() {
	"$BERTH" -c "$T/berth.ini" keys:add stranger < "$T/stranger.pub" > "$T/out"
	contains "$T/out" "added key 'stranger'"
	as stranger apps > /dev/null
	"$BERTH" -c "$T/berth.ini" keys:remove stranger > /dev/null
	if as stranger apps 2> /dev/null; then echo "removed key still works"; return 1; fi
	# init is idempotent
	"$BERTH" -c "$T/berth.ini" init --admin-key "$T/admin.pub" > "$T/out"
	contains "$T/out" "nothing changed"
	"$BERTH" -c "$T/berth.ini" check > "$T/out"
	contains "$T/out" "configuration OK"
}

audit_rows() {
	expect "push audited" [ "$(sql "select count(*) from audit where command like 'git-receive-pack%' and app='shop' and outcome='ok'")" -ge 2 ]
	expect "refusals audited" [ "$(sql "select count(*) from audit where outcome != 'ok'")" -ge 5 ]
	expect "local commands audited" [ "$(sql "select count(*) from audit where fingerprint='local'")" -ge 2 ]
	expect "db intact" [ "$(sql 'pragma integrity_check')" = ok ]
	expect "db in WAL mode" [ "$(sql 'pragma journal_mode')" = wal ]
	expect "data dir is traversable, not listable" [ "$(stat -c %a "$DATA")" = 711 ]
	expect "db is private" [ "$(stat -c %a "$DATA/berth.db")" = 600 ]
	expect "repos are private" [ "$(stat -c %a "$DATA/repos")" = 700 ]
	expect "host key is private" [ "$(stat -c %a "$DATA/host_ed25519")" = 600 ]
}

t "set up two apps" setup_app
t "unknown key is refused" unknown_key
t "key without rights is refused with the missing right named" key_without_rights
t "deployer: own app yes, other app no, no admin commands" deployer_rights
t "invalid app names are refused and create nothing" invalid_app_names
t "commands: help, usage, exit status, key rules" commands_and_exit_status
t "local commands and idempotent init" local_commands
t "audit rows, db integrity, file modes" audit_rows
finish
