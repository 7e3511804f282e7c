# test_router_nginx.sh - the router cases against a real, berth-managed nginx,
# plus a hand-written file in the sites dir that nginx rejects.
ROUTER=nginx
. "$(dirname "$0")/router_cases.sh"
# a domain row that was never validated (written straight into the db)
# breaks the server_name line, which nginx -t refuses
BAD_MESSAGE='unknown directive "y"'
bad_state() {
	sql "insert into domains (app_id, domain, created_at)
	     select id, 'x;y', 0 from apps where name='beta'"
}
clean_state() { sql "delete from domains where domain='x;y'"; }

hand_written_bad_file() {
	local sites=$DATA/router/nginx/sites
	printf 'server {\n\tlisten 127.0.0.1:%s;\n\tbogus_directive on;\n}\n' "$HTTP_PORT" > "$sites/zz-by-hand.conf"
	echo "<h1>alpha three</h1>" > "$T/alpha/index.html"
	git -C "$T/alpha" commit -qam three
	if git_as admin -C "$T/alpha" push "$(remote alpha)" main 2> "$T/out"; then
		echo "deploy went through a broken nginx config"; return 1
	fi
	contains "$T/out" "nginx rejected the new configuration"
	contains "$T/out" 'unknown directive "bogus_directive"'
	# the real file and line, not the staging copy nginx -t read
	contains "$T/out" "in $sites/zz-by-hand.conf:3"
	expect "no stage-NNNN path in the message" fails grep -q 'stage-' "$T/out"
	# the deploy's row keeps nginx's whole message, to its last words
	as admin deploys alpha --json > "$T/out"
	contains "$T/out" "in $sites/zz-by-hand.conf:3"
	contains "$T/out" "test failed"
	http alpha.localhost / > "$T/out"; contains "$T/out" "alpha two"
	http beta.localhost / > "$T/out"; contains "$T/out" "beta one"
	expect "the hand-written file is left alone" [ -f "$sites/zz-by-hand.conf" ]
	rm "$sites/zz-by-hand.conf"
	git_as admin -C "$T/alpha" push -q "$(remote alpha)" main
	http alpha.localhost / > "$T/out"; contains "$T/out" "alpha three"
}

# The check reads the site files from a list (router_nginx_stage.c): every
# file nginx's own glob of sites/ reads, by its real path, and nothing else.
sites_list_is_the_live_set() {
	local sites=$DATA/router/nginx/sites
	# what the live glob skips must not fail the check: a dot file, a
	# file not named *.conf
	printf 'bogus_directive on;\n' > "$sites/.alpha.conf.swp"
	printf 'bogus_directive on;\n' > "$sites/notes.txt"
	as admin domains:add alpha list.example > /dev/null
	http list.example / > "$T/out"; contains "$T/out" "alpha three"
	# a hand-written file whose name needs quoting is checked, and named
	printf 'server {\n\tlisten 127.0.0.1:%s;\n\tbogus_directive on;\n}\n' \
	    "$HTTP_PORT" > "$sites/by hand \"q\";x.conf"
	if as admin domains:remove alpha list.example 2> "$T/out"; then
		echo "a change went live past a broken file"; return 1
	fi
	contains "$T/out" 'unknown directive "bogus_directive"'
	contains "$T/out" "in $sites/by hand \"q\";x.conf:3"
	http list.example / > "$T/out"; contains "$T/out" "alpha three"
	rm "$sites/by hand \"q\";x.conf"
	# a berth file of an app no longer routed is not part of the new
	# config: left out of the check, and removed
	printf '# berth: app gone (generated; edits are overwritten)\nbogus_directive on;\n' \
	    > "$sites/gone.conf"
	as admin domains:remove alpha list.example > /dev/null
	http list.example / -o /dev/null -w '%{http_code}' > "$T/code"
	contains "$T/code" 404
	expect "the file of an app no longer routed is removed" [ ! -e "$sites/gone.conf" ]
	expect "files the glob skips are left alone" [ -f "$sites/notes.txt" ]
	rm "$sites/.alpha.conf.swp" "$sites/notes.txt"
}

t "two apps, each by its Host header" two_apps
t "a redeploy and a rollback switch what is served" redeploy_switches
t "domains:add, domains, domains:remove" domains_add_remove
t "invalid and duplicate domains are refused; others keep answering" invalid_domains
t "domains of 253 characters route" longest_domains
t "a config nginx rejects fails the change; the rest keeps serving" proxy_rejects_config
t "a broken hand-written file fails the deploy; nothing else breaks" hand_written_bad_file
t "the check reads the files the live config will read, by name" sites_list_is_the_live_set
t "proxy headers, websocket upgrade, body limit, 503 without a process" proxied_app
restart
t "routes come back after berth and the proxy restart" routes_restored
finish
