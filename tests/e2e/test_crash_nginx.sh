# test_crash_nginx.sh - the kill -9 stages of test_crash.sh with a berth-managed
# nginx as the router (its reload is a signal, not an API call).
ROUTER=nginx
. "$(dirname "$0")/test_crash.sh"
