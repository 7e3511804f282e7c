# test_repair_nginx.sh - the repairs of repair_cases.sh with a berth-managed
# nginx, plus what only nginx needs: a kill -9 of its master alone leaves
# the workers serving the old config where no reload reaches them; berth
# replaces them with a new master.
ROUTER=nginx
. "$(dirname "$0")/repair_cases.sh"

# kill -9 of the master alone: its workers keep the port and the old
# config; berth stops them and starts a new nginx that takes new config
master_killed() {
	local master workers start
	master=$(proxy_pid)
	workers=$(pgrep -P "$master")
	start=$(date +%s.%N)
	kill -9 "$master"
	repaired "nginx restarted"
	answered solo.localhost "hello from web" "$start"
	for w in $workers; do
		for _ in $(seq 50); do gone "$w" && break; sleep 0.1; done
		expect "the orphaned worker $w is gone" gone "$w"
	done
	expect "a new master" [ "$(proxy_pid)" != "$master" ]
	grep -q "stopping nginx pid .*its master is gone" "$T/serve.log"
	as admin domains:add solo solo.example.test > /dev/null
	http solo.example.test / > "$T/out"; contains "$T/out" "hello from web"
}

t "a web app deploys; status shows the proxy" deploy_solo
t "kill -9 of the proxy: restarted, the site answers again" proxy_killed
figure "proxy killed"
t "kill -9 of a supervisor and its app: restarted on its port" shim_killed
figure "supervisor and app killed"
t "kill -9 of both at once" both_killed
figure "both killed"
t "kill -9 of the master alone: the orphaned workers are replaced" master_killed
reboot_now
t "every berth process killed (a reboot), then berth serve: the site answers" after_reboot
figure "reboot, from the start of berth serve"
t "web=2, one instance killed under load: no request fails" one_of_two_killed
take_port
t "another program on http_listen: named, not joined; started once it is gone" port_named
figure "port freed"
finish
