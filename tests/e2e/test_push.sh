# test_push.sh - pushes, clones and fetches with real git over real ssh:
# new repo, more commits, force push, branch delete, --atomic, tags,
# clone/fetch round trips, and git fsck of the server's repo after each.
. "$(dirname "$0")/lib.sh"
start_server
W=$T/work

push_new() {
	new_repo "$W"
	git_as admin -C "$W" push -q "$(remote app1)" main 2> "$T/out"
	contains "$T/out" "created app 'app1'"
	expect "server main = client main" [ "$(server_rev app1 refs/heads/main)" = "$(git -C "$W" rev-parse main)" ]
	expect "HEAD points at main" [ "$(git --git-dir="$DATA/repos/app1.git" symbolic-ref HEAD)" = refs/heads/main ]
	fsck_clean app1
}

push_more() {
	for i in 1 2 3; do commit "$W" "c$i"; done
	git_as admin -C "$W" push -q "$(remote app1)" main
	expect "server main moved" [ "$(server_rev app1 refs/heads/main)" = "$(git -C "$W" rev-parse main)" ]
	fsck_clean app1
}

push_forms_of_path() { # app.git, /app and ~/app are the same app
	commit "$W"
	git_as admin -C "$W" push -q "$(remote app1.git)" main
	commit "$W"
	git_as admin -C "$W" push -q "deploy@127.0.0.1:/app1" main
	expect "server main moved" [ "$(server_rev app1 refs/heads/main)" = "$(git -C "$W" rev-parse main)" ]
}

force_push() {
	local before
	before=$(server_rev app1 refs/heads/main)
	git -C "$W" reset -q --hard HEAD~2
	commit "$W" "rewritten"
	if git_as admin -C "$W" push -q "$(remote app1)" main 2> "$T/out"; then
		echo "non-fast-forward push without --force was accepted"; return 1
	fi
	expect "ref unchanged after refused push" [ "$(server_rev app1 refs/heads/main)" = "$before" ]
	git_as admin -C "$W" push -q --force "$(remote app1)" main
	expect "forced push landed" [ "$(server_rev app1 refs/heads/main)" = "$(git -C "$W" rev-parse main)" ]
	fsck_clean app1
}

branch_delete() {
	git -C "$W" branch feature
	git_as admin -C "$W" push -q "$(remote app1)" feature
	expect "feature exists" server_rev app1 refs/heads/feature
	git_as admin -C "$W" push -q "$(remote app1)" :feature
	expect "feature deleted" [ -z "$(server_rev app1 refs/heads/feature)" ]
}

deploy_branch_delete_refused() {
	if git_as admin -C "$W" push "$(remote app1)" :main 2> "$T/out"; then
		echo "deleting the deploy branch was accepted"; return 1
	fi
	contains "$T/out" "refusing to delete the deploy branch"
	expect "main still there" server_rev app1 refs/heads/main
}

atomic_push() {
	git -C "$W" branch a1
	commit "$W"
	git -C "$W" branch -f a2
	git_as admin -C "$W" push -q --atomic "$(remote app1)" a1 a2 main
	expect "a1" [ "$(server_rev app1 refs/heads/a1)" = "$(git -C "$W" rev-parse a1)" ]
	expect "a2" [ "$(server_rev app1 refs/heads/a2)" = "$(git -C "$W" rev-parse a2)" ]
	fsck_clean app1
}

atomic_all_or_nothing() {
	local a1 main
	a1=$(server_rev app1 refs/heads/a1)
	main=$(server_rev app1 refs/heads/main)
	commit "$W"
	git -C "$W" branch -f a1
	# refs/notes/x is outside refs/heads and refs/tags: berth refuses it,
	# so the atomic push must move nothing
	if git_as admin -C "$W" push --atomic "$(remote app1)" main a1 HEAD:refs/notes/x 2> "$T/out"; then
		echo "atomic push with a bad ref was accepted"; return 1
	fi
	contains "$T/out" "only refs/heads/ and refs/tags/ can be pushed"
	expect "a1 unchanged" [ "$(server_rev app1 refs/heads/a1)" = "$a1" ]
	expect "main unchanged" [ "$(server_rev app1 refs/heads/main)" = "$main" ]
	expect "no quarantine left" [ -z "$(ls -d "$DATA"/repos/app1.git/objects/incoming-* 2>/dev/null)" ]
}

non_atomic_partial() {
	local main
	commit "$W"
	git_as admin -C "$W" push "$(remote app1)" main HEAD:refs/notes/y 2> "$T/out" || true
	contains "$T/out" "only refs/heads/ and refs/tags/"
	expect "main moved" [ "$(server_rev app1 refs/heads/main)" = "$(git -C "$W" rev-parse main)" ]
	fsck_clean app1
}

tags() {
	git -C "$W" tag light
	git -C "$W" tag -a v1.0 -m "release 1.0"
	git_as admin -C "$W" push -q "$(remote app1)" --tags
	expect "tag object stored" [ "$(server_rev app1 refs/tags/v1.0)" = "$(git -C "$W" rev-parse v1.0)" ]
	expect "light tag" [ "$(server_rev app1 refs/tags/light)" = "$(git -C "$W" rev-parse light)" ]
}

clone_and_fetch() {
	rm -rf "$T/clone"
	git_as admin clone -q "$(remote app1)" "$T/clone"
	expect "clone main = server main" [ "$(git -C "$T/clone" rev-parse HEAD)" = "$(server_rev app1 refs/heads/main)" ]
	expect "tag came along" [ "$(git -C "$T/clone" rev-parse v1.0)" = "$(server_rev app1 refs/tags/v1.0)" ]
	git -C "$T/clone" fsck --strict > /dev/null
	for i in 1 2; do commit "$W" "f$i"; done
	git_as admin -C "$W" push -q "$(remote app1)" main
	git_as admin -C "$T/clone" fetch -q
	expect "incremental fetch" [ "$(git -C "$T/clone" rev-parse origin/main)" = "$(server_rev app1 refs/heads/main)" ]
	git -C "$T/clone" fsck --strict > /dev/null
	# push from the clone, fetch into the first work tree
	git -C "$T/clone" merge -q --ff-only origin/main
	commit "$T/clone" "from clone"
	git_as admin -C "$T/clone" push -q origin HEAD:main
	git_as admin -C "$W" fetch -q "$(remote app1)" main
	expect "fetch back" [ "$(git -C "$W" rev-parse FETCH_HEAD)" = "$(git -C "$T/clone" rev-parse HEAD)" ]
	fsck_clean app1
}

ls_remote_and_empty_clone() {
	git_as admin ls-remote "$(remote app1)" > "$T/ls"
	contains "$T/ls" "refs/heads/main"
	contains "$T/ls" "refs/tags/v1.0^{}"
	as admin apps:create empty1
	rm -rf "$T/e"
	git_as admin clone -q "$(remote empty1)" "$T/e" 2> "$T/out"
	expect "empty clone has no commits" [ -z "$(git -C "$T/e" rev-parse -q --verify HEAD)" ]
}

new_ref_to_existing_commit() { # an empty pack: no objects to send
	git_as admin -C "$W" push -q "$(remote app1)" main:refs/heads/same
	expect "same = the pushed commit" [ "$(server_rev app1 refs/heads/same)" = "$(git -C "$W" rev-parse main)" ]
	expect "no empty pack files" [ -z "$(for f in "$DATA"/repos/app1.git/objects/pack/*.pack; do [ "$(stat -c %s "$f")" -le 32 ] && echo "$f"; done)" ]
}

t "push a new repo (creates the app)" push_new
t "push more commits" push_more
t "repo path forms app.git and /app" push_forms_of_path
t "non-fast-forward refused without --force, accepted with it" force_push
t "delete a branch" branch_delete
t "deleting the deploy branch is refused" deploy_branch_delete_refused
t "push two refs with --atomic" atomic_push
t "--atomic is all or nothing" atomic_all_or_nothing
t "non-atomic push: good ref moves, bad ref is refused" non_atomic_partial
t "push tags" tags
t "clone and fetch back, compare rev-parse" clone_and_fetch
t "ls-remote, clone of an empty app" ls_remote_and_empty_clone
t "new ref to an existing commit (empty pack)" new_ref_to_existing_commit
finish
