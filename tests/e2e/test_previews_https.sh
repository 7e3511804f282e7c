# test_previews_https.sh - HTTPS for previews with one wildcard
# certificate, through a berth-managed Caddy (previews_https_cases.sh).
ROUTER=caddy
. "$(dirname "$0")/previews_https_cases.sh"
