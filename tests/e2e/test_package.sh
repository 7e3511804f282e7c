# test_package.sh - berth as a server installs it: `make install` into a
# staging dir; the Debian package built from this tree with the standard
# tools (dpkg-buildpackage, debhelper) and checked by lintian; then the
# .deb installed with dpkg, its unit verified by systemd-analyze, and the
# installed berth run as systemd would run it (`berth check`, `berth init`,
# the unit's own ExecStart line, a push and a page through its Caddy), and
# purged.  The README's "Backups", "Restoring" and "Removal" commands run
# word for word against it, with stand-ins for `sudo` and for `systemctl`
# (tests/e2e/standins: it runs or stops the unit's own ExecStart).  The
# install happens in the test's own mount namespace, on
# overlays of /usr, /etc and /var: dpkg really installs and purges, but the
# machine's own files never change, even if the test is killed half-way,
# and no other test sees /etc/berth/berth.ini meanwhile.  Its own network
# namespace gives the installed config's ports (2222, 8080).
E2E_NAMESPACES=1
. "$(dirname "$0")/lib.sh"
# builds in the copy are the copy's own: nothing of the suite's make (its
# BUILD dir, flags or jobserver) may reach them
unset BUILD CFLAGS CPPFLAGS LDFLAGS MAKEFLAGS MFLAGS MAKELEVEL
SRC=$T/src/berth
mkdir -p "$SRC"
git -C "$REPO" ls-files -z -co --exclude-standard |
	(cd "$REPO" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
	tar -x -C "$SRC"
ssh-keygen -q -t ed25519 -N '' -C admin -f "$T/admin"
SSH_CMD="ssh -i $T/admin $SSH_OPTS"
# sudo and systemctl as the README uses them (tests/e2e/standins)
PATH=$REPO/tests/e2e/standins:$PATH
export STANDIN_DIR=$T

# wait_up: berth's SSH and its proxy answer
wait_up() {
	for _ in $(seq 300); do
		if (exec 3<>/dev/tcp/127.0.0.1/2222) 2>/dev/null &&
			(exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	cat "$T/serve.log"; return 1
}

# readme_run HEADING: that README section's commands, as an admin types them
readme_run() {
	readme_sh "$1" > "$T/readme.sh"
	expect "README has commands under '$1'" [ -s "$T/readme.sh" ]
	(cd / && bash -e "$T/readme.sh") < /dev/null > "$T/readme.out" 2>&1 ||
		{ sed 's/^/    $ /' "$T/readme.sh"; cat "$T/readme.out"; return 1; }
}

man_page_lints_clean() {
	mandoc -Tlint -Wwarning "$SRC/doc/berth.8" > "$T/out" 2>&1 ||
		{ cat "$T/out"; return 1; }
	expect "no mandoc warnings" [ ! -s "$T/out" ]
}

package_builds() {
	(cd "$SRC" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -b -us -uc) \
		> "$T/build.log" 2>&1 || { tail -n 30 "$T/build.log"; return 1; }
	DEB=$(ls "$T"/src/berth_*_*.deb)
	dpkg-deb -f "$DEB" Depends > "$T/out"
	for lib in libgit2 libssh libsqlite3 libarchive libssl libyaml libjansson libinih; do
		contains "$T/out" "$lib"
	done
	dpkg-deb -f "$DEB" Suggests > "$T/out"
	contains "$T/out" "caddy | nginx"
	# the package's version is berth's own
	v=$(sed -n 's/^#define BERTH_VERSION "\(.*\)"$/\1/p' "$SRC/gitd/gitd.h")
	expect "version $v" [ "$(dpkg-deb -f "$DEB" Version)" = "$v" ]
}

lintian_clean() {
	# no errors and no warnings (informational tags are printed, not failed)
	lintian --fail-on error,warning "$T"/src/berth_*_amd64.changes > "$T/out" 2>&1 ||
		{ cat "$T/out"; return 1; }
	grep -E '^[EW]: ' "$T/out" && return 1
	return 0
}

make_install_stages() {
	local s=$T/stage
	(cd "$SRC" && make -s install DESTDIR="$s") > "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	expect "binary" [ -x "$s/usr/local/bin/berth" ]
	expect "buildpacks" [ -x "$s/usr/local/lib/berth/buildpacks/static/bin/detect" ]
	expect "man page" [ -f "$s/usr/local/share/man/man8/berth.8" ]
	contains "$s/usr/local/lib/systemd/system/berth.service" \
		"ExecStart=/usr/local/bin/berth -c /etc/berth/berth.ini serve"
	contains "$s/etc/berth/berth.ini" "data_dir = /var/lib/berth"
	contains "$s/etc/berth/berth.ini" "buildpacks_dir = /usr/local/lib/berth/buildpacks"
	# a second install keeps the admin's config; uninstall keeps it too
	echo "; mine" >> "$s/etc/berth/berth.ini"
	(cd "$SRC" && make -s install DESTDIR="$s" && make -s uninstall DESTDIR="$s") > "$T/out" 2>&1 ||
		{ cat "$T/out"; return 1; }
	contains "$s/etc/berth/berth.ini" "; mine"
	expect "uninstalled" [ ! -e "$s/usr/local/bin/berth" ] && [ ! -e "$s/usr/local/lib/berth" ]
}

# /usr, /etc and /var become overlays whose changes live in $T
overlay_system() {
	local d
	for d in usr etc var; do
		mkdir -p "$T/ov/$d/up" "$T/ov/$d/work"
		mount -t overlay overlay \
			-o "lowerdir=/$d,upperdir=$T/ov/$d/up,workdir=$T/ov/$d/work" "/$d"
	done
}

installs_and_verifies() {
	overlay_system
	expect "berth is not installed yet" fails dpkg -s berth > /dev/null 2>&1
	dpkg -i "$T"/src/berth_*_amd64.deb > "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	systemd-analyze verify /lib/systemd/system/berth.service > "$T/out" 2>&1 ||
		{ cat "$T/out"; return 1; }
	expect "systemd-analyze had nothing to say" [ ! -s "$T/out" ]
	grep -q '^KillMode=process$' /lib/systemd/system/berth.service
	# as systemd runs it: from /, the installed config
	(cd / && berth check) > "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	contains "$T/out" "configuration OK: /etc/berth/berth.ini"
	expect "not enabled by the install" [ ! -e /etc/systemd/system/multi-user.target.wants/berth.service ]
}

# the admin's one edit for this test: its own block of app uids
init_and_serve() {
	sed -i "s/^app_uid_base = .*/app_uid_base = $UID_BASE/" /etc/berth/berth.ini
	(cd / && berth init --admin-key "$T/admin.pub") > "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	contains "$T/out" "created host key /var/lib/berth/host_ed25519"
	expect "data in /var/lib/berth" [ -f /var/lib/berth/berth.db ]
	# the unit's own command line (standins/systemctl)
	systemctl enable --now berth
	wait_up
}

pushes_to_installed_berth() {
	new_repo "$T/site"
	GIT_SSH_COMMAND="$SSH_CMD" git -C "$T/site" push ssh://deploy@127.0.0.1:2222/site main \
		> "$T/push.log" 2>&1 || { cat "$T/push.log"; return 1; }
	contains "$T/push.log" "Detected Static site"
	curl -sS -m 10 http://site.localhost:8080/ > "$T/out"
	contains "$T/out" "<h1>site</h1>"
	(cd / && berth apps) > "$T/out" 2>&1
	contains "$T/out" "site"
}

# README's backup while berth runs; the data dir lost; README's restore
backup_and_restore() {
	readme_run "### Backups"
	systemctl stop berth
	kill "$(cat /var/lib/berth/router/caddy/home/caddy.pid)"
	mv /var/lib/berth /var/lib/berth.lost
	readme_run "### Restoring"
	expect "the db is root's alone" [ "$(stat -c %a /var/lib/berth/berth.db)" = 600 ]
	wait_up
	for _ in $(seq 100); do
		if curl -sS -m 5 http://site.localhost:8080/ > "$T/out" 2>&1 &&
			grep -q "<h1>site</h1>" "$T/out"; then
			break
		fi
		sleep 0.1
	done
	contains "$T/out" "<h1>site</h1>"
	GIT_SSH_COMMAND="$SSH_CMD" git clone -q ssh://deploy@127.0.0.1:2222/site "$T/clone"
	expect "the repository came back" [ -f "$T/clone/index.html" ]
}

# installing again (an upgrade's path) keeps the admin's edited config
reinstall_keeps_config() {
	dpkg -i "$T"/src/berth_*_amd64.deb > "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	contains /etc/berth/berth.ini "app_uid_base = $UID_BASE"
}

# README's removal: berth, the apps, the proxy, then the package
purges_clean() {
	local caddy
	caddy=$(cat /var/lib/berth/router/caddy/home/caddy.pid)
	readme_run "### Removal"
	expect "berth stopped" [ ! -f "$T/serve.pid" ]
	expect "the proxy stopped" fails kill -0 "$caddy"
	expect "no binary" [ ! -e /usr/bin/berth ]
	expect "no buildpacks" [ ! -e /usr/lib/berth ]
	expect "no unit" [ ! -e /lib/systemd/system/berth.service ]
	expect "no config" [ ! -e /etc/berth ]
	expect "dpkg forgot it" fails dpkg -s berth > /dev/null 2>&1
	# the data (repositories, db) is the admin's to delete
	expect "data kept" [ -f /var/lib/berth/berth.db ]
}

t man_page_lints_clean man_page_lints_clean
t package_builds package_builds
t lintian_clean lintian_clean
t make_install_stages make_install_stages
t installs_and_verifies installs_and_verifies
t init_and_serve init_and_serve
t pushes_to_installed_berth pushes_to_installed_berth
t backup_and_restore backup_and_restore
t reinstall_keeps_config reinstall_keeps_config
t purges_clean purges_clean
finish
