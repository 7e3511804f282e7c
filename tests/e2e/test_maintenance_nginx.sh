# test_maintenance_nginx.sh - test_maintenance.sh with a berth-managed
# nginx: the page goes into the site's `return 503 "..."`.
ROUTER=nginx
. "$(dirname "$0")/test_maintenance.sh"
