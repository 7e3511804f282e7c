# test_quickstart.sh - README.md's quick start, taken from the file itself
# so the README cannot drift: its "Run it" command and its push commands
# run verbatim in a fresh copy of the tree with a fresh HOME and key, once
# as a normal user (nobody) with the built-in defaults, once as root with
# the checkout under a 0700 directory as /root is.  They run in the test's
# own network namespace (lib.sh, E2E_NAMESPACES), so the README's fixed
# ports 2222 and 8080 are free whatever else runs on this machine, without
# rewriting a byte of the commands.  Stand-ins, on PATH: `sudo` runs its
# command; `apt-get` installs nothing but fails unless every package the
# README names is installed; `ssh` adds -F ~/.ssh/config (OpenSSH reads
# ~/.ssh from the passwd entry, not from $HOME), whose only job is to
# answer "yes" to the new host key as a newcomer would.
E2E_NAMESPACES=1
. "$(dirname "$0")/lib.sh"

RUN_CMD=$(readme_sh "## Run it" 1)
PUSH_CMDS=$(readme_sh "## Run it" 2)

# fresh_home DIR OWNER: a newcomer's HOME with a key and the stand-ins
fresh_home() {
	local h=$1
	mkdir -p "$h/.ssh" "$h/bin"
	ssh-keygen -q -t ed25519 -N '' -C newcomer -f "$h/.ssh/id_ed25519"
	printf 'Host *\n\tIdentityFile %s\n\tIdentitiesOnly yes\n\tUserKnownHostsFile %s\n\tStrictHostKeyChecking accept-new\n\tBatchMode yes\n\tLogLevel ERROR\n' \
		"$h/.ssh/id_ed25519" "$h/.ssh/known_hosts" > "$h/.ssh/config"
	printf '#!/bin/sh\nexec /usr/bin/ssh -F "$HOME/.ssh/config" "$@"\n' > "$h/bin/ssh"
	printf '#!/bin/sh\nexec "$@"\n' > "$h/bin/sudo"
	cat > "$h/bin/apt-get" <<'SHIM'
#!/bin/sh
# README's apt-get, offline: what it would install must be installed.
[ "$1" = update ] && exit 0
[ "$1" = install ] || { echo "apt-get stand-in: unexpected '$*'" >&2; exit 100; }
shift
for p in "$@"; do
	case $p in -*) continue ;; esac
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		{ echo "E: package '$p' is not installed" >&2; exit 100; }
	echo "$p" >> "$HOME/apt-get.list"
done
SHIM
	chmod 755 "$h/bin/"*
	printf '[user]\n\tname = newcomer\n\temail = n@example.com\n[init]\n\tdefaultBranch = main\n' \
		> "$h/.gitconfig"
	chown -R "$2" "$h"
}

# the tracked and new files of this checkout, as a fresh copy in DIR
copy_tree() {
	mkdir -p "$1"
	git -C "$REPO" ls-files -z -co --exclude-standard |
		(cd "$REPO" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) |
		tar -x -C "$1"
}

# as_user WHO HOME CMD...: run CMD as WHO (root or nobody) with that HOME
as_user() {
	local who=$1 home=$2
	shift 2
	local env=(env -i HOME="$home" PATH="$home/bin:/usr/local/bin:/usr/bin:/bin"
		LANG=C.UTF-8 GIT_CONFIG_NOSYSTEM=1)
	if [ "$who" = root ]; then
		"${env[@]}" "$@"
	else
		setpriv --reuid="$who" --regid="$(id -g "$who")" --clear-groups \
			--inh-caps=-all -- "${env[@]}" "$@"
	fi
}

# quickstart WHO HOME CHECKOUT: README's run command in CHECKOUT, in the
# background (it ends in `./berth serve`); waits for SSH and HTTP.
quickstart() {
	(cd "$3" && as_user "$1" "$2" bash -c "$RUN_CMD") > "$T/run.log" 2>&1 &
	QS_PID=$!
	for _ in $(seq 600); do
		if (exec 3<>/dev/tcp/127.0.0.1/2222) 2>/dev/null &&
			(exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
			return 0
		fi
		kill -0 "$QS_PID" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$T/run.log"
	echo "    README's run command did not bring up :2222 and :8080"
	return 1
}

# push_site WHO HOME TEXT: README's push commands from a site's work tree
push_site() {
	local site=$T/site-$1
	mkdir -p "$site" && echo "<h1>$3</h1>" > "$site/index.html"
	chown -R "$1" "$site"
	(cd "$site" && as_user "$1" "$2" sh -c 'git init -q && git add -A && git commit -qm site' &&
		as_user "$1" "$2" bash -ec "$PUSH_CMDS") > "$T/push.log" 2>&1 ||
		{ cat "$T/push.log"; return 1; }
	contains "$T/push.log" "$3"             # curl, through the managed Caddy
	contains "$T/push.log" "apps:create"    # ssh ... help
}

# stop what the run command started: berth, then the proxy it left running,
# wherever its data dir is (in this pid namespace, `pkill` sees the test's
# own processes only)
stop_quickstart() {
	local pidfile
	pkill -TERM -f '^\./berth serve$' || true
	for pidfile in $(find "$T" /var/lib/berth -name caddy.pid 2>/dev/null); do
		kill "$(cat "$pidfile")" 2>/dev/null || true
	done
	for _ in $(seq 100); do
		if ! (exec 3<>/dev/tcp/127.0.0.1/2222) 2>/dev/null &&
			! (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "    berth or its proxy kept :2222 or :8080"; return 1
}

readme_has_commands() {
	expect "one run command" [ "$(printf '%s\n' "$RUN_CMD" | wc -l)" -eq 1 ]
	printf '%s\n' "$RUN_CMD" > "$T/run.cmd"
	contains "$T/run.cmd" "./berth serve"
	printf '%s\n' "$PUSH_CMDS" > "$T/push.cmd"
	contains "$T/push.cmd" "git push deploy main"
	contains "$T/push.cmd" "curl http://myapp.localhost:8080/"
}

# root's checkout sits behind a 0700 directory, as under /root; /var/lib is
# the test's own (an overlay in this mount namespace)
ROOTDIR=$T/root
as_root() {
	mkdir -m 700 "$ROOTDIR"
	copy_tree "$ROOTDIR/berth"
	mkdir -p "$T/varlib/up" "$T/varlib/work"
	mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$T/varlib/up,workdir=$T/varlib/work" /var/lib
	# the one line a test adds: its own block of app uids
	printf '[server]\napp_uid_base = %s\n' "$UID_BASE" > "$ROOTDIR/berth/berth.ini"
	fresh_home "$ROOTDIR/home" root
	quickstart root "$ROOTDIR/home" "$ROOTDIR/berth"
	push_site root "$ROOTDIR/home" "root's quick start"
	contains "$T/run.log" "data dir /var/lib/berth, not $ROOTDIR/berth/berth-data"
	expect "no data dir under the checkout" [ ! -e "$ROOTDIR/berth/berth-data" ]
	expect "the apps' copy of the buildpacks" [ -x /var/lib/berth/buildpacks/static/bin/detect ]
	expect "every package in README's apt-get line is installed" [ -s "$ROOTDIR/home/apt-get.list" ]
	stop_quickstart
}

# the same, as an unprivileged user, with no config file at all
as_user_nobody() {
	local dir=$T/user
	stop_quickstart  # root's, if it failed half-way
	mkdir -p "$dir"
	copy_tree "$dir/berth"
	# what root's run built (the README's `make` then has nothing to do)
	if [ -d "$ROOTDIR/berth/build" ]; then
		cp -a "$ROOTDIR/berth/build" "$dir/berth/build"
	fi
	rm -f "$dir/berth/berth.ini"
	chown -R nobody "$dir"
	fresh_home "$dir/home" nobody
	quickstart nobody "$dir/home" "$dir/berth"
	push_site nobody "$dir/home" "nobody's quick start"
	contains "$T/run.log" "created host key $dir/berth/berth-data/host_ed25519"
	expect "berth ran as nobody" [ "$(stat -c %U "$dir/berth/berth-data/berth.db")" = nobody ]
	stop_quickstart
}

# what a root berth refuses at start: paths the apps' uids cannot reach
# that the config names (it moves only the data dir it chose itself)
root_refuses_unreachable() {
	local blocked=$T/locked
	mkdir -m 700 "$blocked"
	printf '[server]\ndata_dir = %s/data\n' "$blocked" > "$T/bad.ini"
	if "$BERTH" -c "$T/bad.ini" init > "$T/out" 2>&1; then
		echo "init took a data dir the apps cannot reach"; return 1
	fi
	contains "$T/out" "cannot enter '$blocked' on the way to data_dir '$blocked/data'"
	contains "$T/out" "chmod o+x '$blocked'"
	expect "nothing created" [ ! -e "$blocked/data" ]
	printf '[build]\nbuildpacks_dir = %s/packs\n[server]\ndata_dir = %s/data\n' \
		"$blocked" "$T" > "$T/bad.ini"
	if "$BERTH" -c "$T/bad.ini" serve > "$T/out" 2>&1; then
		echo "serve started with buildpacks the apps cannot reach"; return 1
	fi
	contains "$T/out" "cannot enter '$blocked' on the way to buildpacks_dir '$blocked/packs'"
	# no config: the data dir berth chose moves only while it does not exist
	mkdir -p "$blocked/checkout"
	(cd "$blocked/checkout" && "$BERTH" check) > "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	contains "$T/out" "data dir /var/lib/berth, not $blocked/checkout/berth-data"
	mkdir "$blocked/checkout/berth-data"
	if (cd "$blocked/checkout" && "$BERTH" check) > "$T/out" 2>&1; then
		echo "an existing berth-data was moved"; return 1
	fi
	contains "$T/out" "on the way to data_dir '$blocked/checkout/berth-data'"
}

# the directories init creates on the way to a new data dir let the apps'
# uids through (berth's own umask is 077)
root_creates_reachable_parents() {
	printf '[server]\ndata_dir = %s/srv/berth/data\n' "$T" > "$T/deep.ini"
	"$BERTH" -c "$T/deep.ini" init > "$T/out" 2>&1 || { cat "$T/out"; return 1; }
	expect "srv is 0755" [ "$(stat -c %a "$T/srv")" = 755 ]
	expect "srv/berth is 0755" [ "$(stat -c %a "$T/srv/berth")" = 755 ]
	expect "the data dir is 0711" [ "$(stat -c %a "$T/srv/berth/data")" = 711 ]
}

t readme_has_commands readme_has_commands
t as_root as_root
t as_user_nobody as_user_nobody
t root_refuses_unreachable root_refuses_unreachable
t root_creates_reachable_parents root_creates_reachable_parents
finish
