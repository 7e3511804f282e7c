/*
 * test_dash.c - the dashboard's pieces that need no server: tokens and
 * their hashes (core/token.h), the tokens table (core/store_dash.h: a
 * login link is consumed once, an expired one is gone, logout-all ends a
 * key's rows and no other key's), and web/'s HTML escaping and form
 * decoding, on the text an attacker would send.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/store_dash.h"
#include "core/token.h"
#include "tests/unit/unit.h"
#include "web/web.h"

static void
test_tokens(void)
{
	char a[TOKEN_LEN + 1], b[TOKEN_LEN + 1], h[TOKEN_HASH_LEN + 1];

	CHECK(token_new(a) == 0 && token_new(b) == 0);
	CHECK(token_shape(a) && token_shape(b) && strcmp(a, b) != 0);
	CHECK(!token_shape("abc") && !token_shape(""));
	b[5] = 'G';
	CHECK(!token_shape(b));
	CHECK(token_hash("abc", h) == 0);
	CHECK(strcmp(h, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad") == 0);
	CHECK(token_derive("csrf:", a, h) == 0 && strlen(h) == 64);
}

static void
test_store_rows(void)
{
	struct key_rec k1 = { .name = "one", .fingerprint = "SHA256:1",
		.type = "ssh-ed25519", .blob = "AAAA" }, k2 = k1;
	char db[64], err[256];
	struct store *st;
	int64_t id = 0;
	int n = -1;

	snprintf(db, sizeof(db), "/tmp/test_dash_%ld.db", (long)getpid());
	unlink(db);
	if (store_open(&st, db, err, sizeof(err)) != 0) {
		CHECK(0);
		return;
	}
	strcpy(k2.name, "two");
	strcpy(k2.fingerprint, "SHA256:2");
	CHECK(store_key_add(st, &k1) == 0 && store_key_add(st, &k2) == 0);
	CHECK(store_key_by_name(st, "one", &k1) == 0);
	CHECK(store_key_by_name(st, "two", &k2) == 0);
	CHECK(store_dash_add(st, "h1", DASH_LOGIN, k1.id, time(NULL) + 60) == 0);
	/* a login hash is not a session, and a link works once */
	CHECK(store_dash_find(st, "h1", DASH_SESSION, 0, &id) == STORE_NOTFOUND);
	CHECK(store_dash_find(st, "h1", DASH_LOGIN, 1, &id) == 0 && id == k1.id);
	CHECK(store_dash_find(st, "h1", DASH_LOGIN, 1, &id) == STORE_NOTFOUND);
	CHECK(store_dash_add(st, "old", DASH_LOGIN, k1.id, time(NULL) - 1) == 0);
	CHECK(store_dash_find(st, "old", DASH_LOGIN, 1, &id) == STORE_NOTFOUND);
	CHECK(store_dash_add(st, "s1", DASH_SESSION, k1.id, time(NULL) + 60) == 0);
	CHECK(store_dash_add(st, "s2", DASH_SESSION, k2.id, time(NULL) + 60) == 0);
	CHECK(store_dash_find(st, "s1", DASH_SESSION, 0, &id) == 0);
	CHECK(store_dash_find(st, "s1", DASH_SESSION, 0, &id) == 0); /* kept */
	CHECK(store_dash_forget_key(st, k1.id, &n) == 0 && n == 1);
	CHECK(store_dash_find(st, "s1", DASH_SESSION, 0, &id) == STORE_NOTFOUND);
	CHECK(store_dash_find(st, "s2", DASH_SESSION, 0, &id) == 0 &&
	    id == k2.id);
	/* a removed key takes its sessions along */
	CHECK(store_key_remove(st, k2.id) == 0);
	CHECK(store_dash_find(st, "s2", DASH_SESSION, 0, &id) == STORE_NOTFOUND);
	store_close(st);
	unlink(db);
}

static void
test_escape_and_forms(void)
{
	struct web_resp r = { .status = 200 };
	struct web_req q = { 0 };
	char out[16];

	CHECK(web_resp_html(&r, "<script>alert('x')</script>&\"") == 0);
	CHECK(r.body != NULL && strcmp(r.body, "&lt;script&gt;alert(&#39;x"
	    "&#39;)&lt;/script&gt;&amp;&quot;") == 0);
	CHECK(web_resp_header(&r, "X-A", "b\r\nSet-Cookie: x=1") == -1);
	free(r.body);
	q.body = "a=1&csrf=ab%2Fc+d&e=%zz&n=%00&long=0123456789abcdefg";
	q.body_len = strlen(q.body);
	CHECK(web_form(&q, "csrf", out, sizeof(out)) == 0 &&
	    strcmp(out, "ab/c d") == 0);
	CHECK(web_form(&q, "a", out, sizeof(out)) == 0 && strcmp(out, "1") == 0);
	CHECK(web_form(&q, "cs", out, sizeof(out)) == 1);
	CHECK(web_form(&q, "e", out, sizeof(out)) == -1);
	CHECK(web_form(&q, "n", out, sizeof(out)) == -1);
	CHECK(web_form(&q, "long", out, sizeof(out)) == -1);
	q.body = "x=%4";
	q.body_len = strlen(q.body);
	CHECK(web_form(&q, "x", out, sizeof(out)) == -1);
}

int
main(void)
{
	test_tokens();
	test_store_rows();
	test_escape_and_forms();
	return unit_done();
}
