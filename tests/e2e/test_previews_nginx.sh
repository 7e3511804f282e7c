# test_previews_nginx.sh - test_previews.sh with a berth-managed nginx.
ROUTER=nginx
. "$(dirname "$0")/test_previews.sh"
