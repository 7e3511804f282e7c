# test_commands.sh - the command set after git push: --json on every listing
# (parsed and checked field by field), apps:info, apps:destroy (also
# finishing one that crashed half-way), apps:rename, status, audit, and the
# rights of deployers and app admins on the newer commands.
. "$(dirname "$0")/lib.sh"
start_server "[health]" "grace = 1"
W=$T/site

# j FILE PYTHON-EXPR: assert EXPR about the JSON in FILE (bound to d)
j() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert eval(sys.argv[2]), (sys.argv[2], d)' "$1" "$2"
}

setup() {
	new_repo "$W"
	git_as admin -C "$W" push -q "$(remote site)" main
	as admin keys:add dev < "$T/dev.pub" > /dev/null
	as admin grant dev site deployer > /dev/null
	as admin apps:create other > /dev/null
}

json_listings() {
	as admin apps --json > "$T/j"
	j "$T/j" 'sorted(a["name"] for a in d) == ["other", "site"]'
	j "$T/j" '[a for a in d if a["name"] == "site"][0]["state"] == "static"'
	j "$T/j" '[a for a in d if a["name"] == "site"][0]["release"] == 1'
	j "$T/j" '[a for a in d if a["name"] == "site"][0]["domains"] == ["site.localhost"]'
	j "$T/j" '[a for a in d if a["name"] == "other"][0]["state"] == "new"'
	as admin apps:info site --json > "$T/j"
	j "$T/j" 'd["name"] == "site" and d["buildpack"] == "static" and len(d["commit"]) == 40'
	as admin keys --json > "$T/j"
	j "$T/j" '{k["name"]: k["admin"] for k in d} == {"admin": True, "dev": False}'
	j "$T/j" 'all(k["fingerprint"].startswith("SHA256:") and k["type"] == "ssh-ed25519" for k in d)'
	as admin releases site --json > "$T/j"
	j "$T/j" 'd[0]["version"] == 1 and d[0]["live"] and d[0]["static"] and d[0]["processes"] == []'
	as admin deploys site --json > "$T/j"
	j "$T/j" 'd[0]["status"] == "succeeded" and d[0]["kind"] == "push" and d[0]["release"] == 1 and d[0]["duration_ms"] >= 0'
	as admin domains site --json > "$T/j"
	j "$T/j" 'd == [{"domain": "site.localhost", "default": True}]'
	as admin config:set site A=1 > /dev/null
	as admin config site --json > "$T/j"
	j "$T/j" 'd == {"A": "1"}'
	as admin ps site --json > "$T/j"
	j "$T/j" 'd == []'
	as admin status --json > "$T/j"
	j "$T/j" 'd["apps"] == 2 and d["version"] and d["uptime_s"] >= 0 and d["releases_bytes"] > 0'
	# human output: aligned columns with a header
	as admin apps > "$T/out"
	contains "$T/out" "NAME"
	contains "$T/out" "STATE"
}

deployer_rights() {
	as dev apps --json > "$T/j"
	j "$T/j" '[a["name"] for a in d] == ["site"]'
	as dev releases site > /dev/null
	for cmd in "apps:destroy site --force" "apps:rename site x" "domains:add site a.example" \
	    "audit" "status" "keys"; do
		if as dev $cmd 2> "$T/out"; then echo "deployer could run: $cmd"; return 1; fi
	done
	if as dev releases other 2> "$T/out"; then echo "deployer read another app"; return 1; fi
	contains "$T/out" "has no access to app 'other'"
	as admin grant dev site admin > /dev/null
	as dev domains:add site dev-site.example > /dev/null
	as dev domains site > "$T/out"
	contains "$T/out" "dev-site.example"
}

rename_app() {
	as admin apps:rename site shop > /dev/null
	as admin apps --json > "$T/j"
	j "$T/j" 'sorted(a["name"] for a in d) == ["other", "shop"]'
	http shop.localhost / > "$T/out"; contains "$T/out" "<h1>site</h1>"
	expect "repo moved" [ -d "$DATA/repos/shop.git" ] && [ ! -e "$DATA/repos/site.git" ]
	git_as admin -C "$W" commit -q --allow-empty -m again
	git_as admin -C "$W" push -q "$(remote shop)" main
	if as admin apps:rename shop other 2> "$T/out"; then echo "renamed onto an existing app"; return 1; fi
	contains "$T/out" "already exists"
	if as admin apps:rename shop Bad_Name 2> "$T/out"; then echo "bad new name"; return 1; fi
	contains "$T/out" "invalid app name"
}

destroy_app() {
	if as admin apps:destroy shop 2> "$T/out"; then echo "destroy without --force"; return 1; fi
	contains "$T/out" "--force"
	as admin apps:destroy shop --force > "$T/out"
	contains "$T/out" "destroyed app 'shop'"
	expect "repo gone" [ ! -e "$DATA/repos/shop.git" ]
	expect "app dir gone" [ ! -e "$DATA/apps/shop" ]
	expect "rows gone" [ "$(sql "select count(*) from apps where name='shop'")" = 0 ]
	expect "no orphans" [ "$(sql "select count(*) from releases r left join apps a on a.id = r.app_id where a.id is null")" = 0 ]
	http shop.localhost / -o /dev/null -w '%{http_code}' > "$T/code" || true
	contains "$T/code" 404
}

destroy_after_crash() {
	# a destroy that died after removing the repository: the row and the
	# releases are still there; running it again finishes the job
	local d=$T/half
	new_repo "$d"
	git_as admin -C "$d" push -q "$(remote half)" main
	rm -rf "$DATA/repos/half.git"
	as admin apps:destroy half --force > "$T/out"
	contains "$T/out" "destroyed app 'half'"
	expect "releases gone" [ ! -e "$DATA/apps/half" ]
	expect "row gone" [ "$(sql "select count(*) from apps where name='half'")" = 0 ]
}

audit_trail() {
	as admin audit --json -n 200 > "$T/j"
	j "$T/j" 'any(r["command"] == "apps:destroy shop --force" and r["outcome"] == "ok" and r["key"] == "admin" for r in d)'
	j "$T/j" 'any(r["command"].startswith("git-receive-pack") and r["app"] == "shop" for r in d)'
	j "$T/j" 'any(r["outcome"] != "ok" and r["key"] == "dev" for r in d)'
	j "$T/j" 'all(r["fingerprint"] for r in d) and all(r["duration_ms"] >= 0 for r in d)'
	j "$T/j" 'not any("A=1" in r["command"] for r in d)'   # config values stay out
	as admin config:set nosuchapp API_KEY=hunter2 2> /dev/null || true
	as admin audit -n 5 --json > "$T/j"
	j "$T/j" 'not any("hunter2" in r["command"] for r in d)'
	if as admin domains:add other site.localhost 2> "$T/out"; then
		echo "an app's default host was taken"; return 1; fi
	contains "$T/out" "are the apps' own"
	as admin audit other --json > "$T/j"
	j "$T/j" 'all(r["app"] == "other" for r in d) and len(d) >= 1'
}

t "set up" setup
t "--json listings, field by field" json_listings
t "deployer and app admin rights on the newer commands" deployer_rights
t "apps:rename" rename_app
t "apps:destroy --force" destroy_app
t "apps:destroy finishes a destroy that crashed half-way" destroy_after_crash
t "audit records commands, pushes and refusals" audit_trail
finish
