# test_repair.sh - berth serve repairs what dies (repair_cases.sh) with a
# berth-managed Caddy.
. "$(dirname "$0")/repair_cases.sh"

t "a web app deploys; status shows the proxy" deploy_solo
t "kill -9 of the proxy: restarted, the site answers again" proxy_killed
figure "proxy killed"
t "kill -9 of a supervisor and its app: restarted on its port" shim_killed
figure "supervisor and app killed"
t "kill -9 of both at once" both_killed
figure "both killed"
reboot_now
t "every berth process killed (a reboot), then berth serve: the site answers" after_reboot
figure "reboot, from the start of berth serve"
t "web=2, one instance killed under load: no request fails" one_of_two_killed
take_port
t "another program on http_listen: named, not joined; started once it is gone" port_named
figure "port freed"
finish
