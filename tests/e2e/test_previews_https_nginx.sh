# test_previews_https_nginx.sh - HTTPS for previews with one wildcard
# certificate, through a berth-managed nginx (previews_https_cases.sh).
ROUTER=nginx
. "$(dirname "$0")/previews_https_cases.sh"
