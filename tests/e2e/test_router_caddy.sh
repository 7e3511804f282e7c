# test_router_caddy.sh - the router cases against a real, berth-managed Caddy.
ROUTER=caddy
. "$(dirname "$0")/router_cases.sh"
# Caddy checks little at load time, but refuses a host repeated in a matcher
BAD_MESSAGE="is repeated"
bad_state() {
	sql "insert into domains (app_id, domain, created_at)
	     select id, 'beta.localhost', 0 from apps where name='beta'"
}
clean_state() { sql "delete from domains where domain='beta.localhost'"; }
t "two apps, each by its Host header" two_apps
t "a redeploy and a rollback switch what is served" redeploy_switches
t "domains:add, domains, domains:remove" domains_add_remove
t "invalid and duplicate domains are refused; others keep answering" invalid_domains
t "domains of 253 characters route" longest_domains
t "a config Caddy rejects fails the change; the rest keeps serving" proxy_rejects_config
t "proxy headers, websocket upgrade, body limit, 503 without a process" proxied_app
restart
t "routes come back after berth and the proxy restart" routes_restored
finish
