# test_buildpack_go.sh - the Go buildpack with the server's real go, as
# root: the app builds as its own uid in a layout where the data dir sits
# inside someone else's git work tree (a checkout holding berth-data, which
# go would stamp with "VCS status" and fail on), and a GOFLAGS config var of
# the app's reaches `go build` next to the pack's own flags.
. "$(dirname "$0")/lib.sh"
if ! command -v go > /dev/null; then
	echo "SKIP go buildpack: go is not installed (apt-get install golang-go)"
	echo "0 passed, 0 failed"
	exit 0
fi
# the data dir lies in a git work tree owned by root, as ./berth-data in a
# checkout does
git init -q "$T"
start_server

# A web app on net alone (net/http would triple the build time): answers
# every request with its version, set at link time.
go_app() {
	local d=$T/goapp
	mkdir -p "$d"
	printf 'module example.com/goapp\n\ngo 1.19\n' > "$d/go.mod"
	cat > "$d/main.go" <<'GO'
package main

import (
	"net"
	"os"
)

var version = "unset"

func main() {
	l, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		os.Exit(1)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			continue
		}
		buf := make([]byte, 4096)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" +
			"go app " + version + "\n"))
		_ = c.Close()
	}
}
GO
	git init -q "$d" && git -C "$d" add . && git -C "$d" commit -qm "go app"
}

builds_inside_a_work_tree_with_user_goflags() {
	go_app
	as admin apps:create goapp
	as admin config:set goapp GOFLAGS=-ldflags=-X=main.version=v7 > /dev/null
	git_as admin -C "$T/goapp" push "$(remote goapp)" main > "$T/push.log" 2>&1 ||
		{ cat "$T/push.log"; return 1; }
	contains "$T/push.log" "Detected Go app"
	contains "$T/push.log" "-buildvcs=false"
	http goapp.localhost / > "$T/out"
	contains "$T/out" "go app v7"
	# built as the app's own uid, not as root
	u=$(stat -c %u "$DATA/apps/goapp/cache/go-build")
	expect "the build cache is the app's" [ "$u" -ge "$UID_BASE" ]
}

# the app's own choice wins over the pack's: a GOFLAGS -mod=... is kept
app_goflags_win() {
	as admin config:set goapp "'GOFLAGS=-mod=readonly -ldflags=-X=main.version=v8'" > /dev/null
	git -C "$T/goapp" commit -q --allow-empty -m again
	git_as admin -C "$T/goapp" push "$(remote goapp)" main > "$T/push.log" 2>&1 ||
		{ cat "$T/push.log"; return 1; }
	# (berth shows a config var's value as [NAME]): the pack added no -mod
	contains "$T/push.log" "GOFLAGS=-buildvcs=false [GOFLAGS] CGO_ENABLED=0"
	http goapp.localhost / > "$T/out"
	contains "$T/out" "go app v8"
}

t builds_inside_a_work_tree_with_user_goflags builds_inside_a_work_tree_with_user_goflags
t app_goflags_win app_goflags_win
finish
