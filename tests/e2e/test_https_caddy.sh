# test_https_caddy.sh - HTTPS through a berth-managed Caddy,
# with certificates from pebble on loopback (https_cases.sh).
ROUTER=caddy
. "$(dirname "$0")/https_cases.sh"
t "a domain gets a certificate; the app answers over verified HTTPS" obtain_and_serve
t "the default name APP.BASE_DOMAIN gets one with no command" default_name
t "the dashboard's host gets one too; its cookie is Secure" dashboard_https
t "HTTP redirects to HTTPS once the certificate exists; .localhost stays HTTP" http_redirects
t "the proxy listens on http_listen and https_listen only" listens_where_told
t "status shows the certificate" status_says_ok
t "domains:remove: the certificate is no longer served for the name" removed_not_served
t "ACME fails: the domain stays on HTTP and status says why" acme_fails
finish
