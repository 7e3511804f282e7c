/*
 * test_procfile.c - unit tests of Procfile and bin/release parsing
 * (run/procfile.c), of cron lines and app.json (run/appjson.c), of config var sealing (core/secret.c) and of
 * hiding config values in build output (core/vars.c).
 */
#include <string.h>

#include "core/secret.h"
#include "core/vars.h"
#include "run/appjson.h"
#include "run/procfile.h"
#include "unit.h"

static char out[4096], err[256], sr[256];

static void
test_procfile(void)
{
	CHECK(procfile_parse("web: python3 app.py\n# comment\n\nworker:  bin/w  --x \n",
	    out, sizeof(out), err, sizeof(err)) == 0);
	CHECK(strcmp(out, "web: python3 app.py\nworker: bin/w  --x\n") == 0);
	CHECK(procfile_parse("web: a\r\n\r\n", out, sizeof(out), err, sizeof(err)) == 0 &&
	    strcmp(out, "web: a\n") == 0);
	CHECK(procfile_parse("web python3\n", out, sizeof(out), err,
	    sizeof(err)) == -1 && strstr(err, "line 1") != NULL);
	CHECK(procfile_parse("web: a\nweb: b\n", out, sizeof(out), err,
	    sizeof(err)) == -1 && strstr(err, "twice") != NULL);
	CHECK(procfile_parse("ok: a\nweb: a | b\n", out, sizeof(out), err,
	    sizeof(err)) == -1 && strstr(err, "line 2") != NULL &&
	    strstr(err, "shell") != NULL);
	CHECK(procfile_parse("web: echo $PORT\n", out, sizeof(out), err,
	    sizeof(err)) == -1);
	CHECK(procfile_parse("we b: a\n", out, sizeof(out), err, sizeof(err)) == -1);
	CHECK(procfile_parse("web:\n", out, sizeof(out), err, sizeof(err)) == -1);
	CHECK(procfile_parse("\n# only comments\n", out, sizeof(out), err,
	    sizeof(err)) == -1 && strstr(err, "no processes") != NULL);
	CHECK(procfile_parse("web: a\n", out, 5, err, sizeof(err)) == -1);
}

static void
test_release_yaml(void)
{
	const char *y = "---\ndefault_process_types:\n  web: npm start\n"
	    "  worker: node w.js\nstatic_root: public\naddons: []\n";

	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == 0);
	CHECK(strcmp(out, "web: npm start\nworker: node w.js\n") == 0);
	CHECK(strcmp(sr, "public") == 0);
	CHECK(release_yaml_parse("", 0, out, sizeof(out), sr, sizeof(sr), err,
	    sizeof(err)) == 0 && out[0] == '\0' && sr[0] == '\0');
	y = "---\ndefault_process_types: {}\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == 0 && out[0] == '\0');
	y = "default_process_types:\n  web: [1, 2]\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1);
	y = "static_root: ../etc\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1);
	y = "static_root: /etc\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1);
	y = "static_root: a/../../b\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1);
	/* what would mean something in nginx's or Caddy's config */
	y = "static_root: \"x;}server{listen\"\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1);
	y = "static_root: a$host\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1);
	y = "static_root: public/site-1.0_b+c@d\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == 0 && strcmp(sr, "public/site-1.0_b+c@d") == 0);
	y = "- a\n- b\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1);
	y = "default_process_types:\n  web: \"a\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1 && strstr(err, "bad YAML") != NULL);
	y = "default_process_types:\n  web: a; rm -rf /\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1 && strstr(err, "shell") != NULL);
}

/* A command is one line of printable text: a newline in a YAML value would
 * otherwise start a new "name: command" line whose name nobody checked
 * (a name becomes logs/TYPE.N.log, written by root). */
static void
test_hostile_text(void)
{
	const char *y = "default_process_types:\n"
	    "  web: \"python3 a.py\\n../../../../tmp/x: sleep 1\"\n";

	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1 && strstr(err, "control character") != NULL);
	y = "default_process_types:\n  web: |\n    a\n    ../x: b\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1);
	y = "default_process_types:\n  web: \"a\\0b\"\n";   /* a NUL inside */
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1);
	y = "default_process_types:\n  \"w\\0eb\": a\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1 && strstr(err, "bad process name 'w?eb'"));
	y = "default_process_types:\n  \"\\e[2J../x\": a\n";
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == -1 && strchr(err, 0x1b) == NULL);
	y = "default_process_types:\n  web: \"  bin/web \\t\"\n";  /* trimmed */
	CHECK(release_yaml_parse(y, strlen(y), out, sizeof(out), sr, sizeof(sr),
	    err, sizeof(err)) == 0 && strcmp(out, "web: bin/web\n") == 0 &&
	    procfile_check(out, err, sizeof(err)) == 0);
	CHECK(procfile_parse("web: a\rb\n", out, sizeof(out), err,
	    sizeof(err)) == -1 && strstr(err, "byte 2") != NULL);
	CHECK(procfile_parse("web: a \x1b]0;title\x07\n", out, sizeof(out), err,
	    sizeof(err)) == -1);
	CHECK(procfile_parse("web: a \xc3\n", out, sizeof(out), err,
	    sizeof(err)) == -1);   /* cut UTF-8 */
	CHECK(procfile_parse("web: a \xc2\x9b\n", out, sizeof(out), err,
	    sizeof(err)) == -1);   /* C1 control (CSI) */
	CHECK(procfile_parse("web: a \xc0\xaf\n", out, sizeof(out), err,
	    sizeof(err)) == -1);   /* overlong '/' */
	CHECK(procfile_parse("web: python3 caf\xc3\xa9.py\tx\n", out,
	    sizeof(out), err, sizeof(err)) == 0);
}

/* What comes back from the store is checked again before it becomes a
 * path or an argv. */
static void
test_stored_list(void)
{
	char cmd[64];

	CHECK(procfile_check("", err, sizeof(err)) == 0);
	CHECK(procfile_check("web: a b\nworker: c\n", err, sizeof(err)) == 0);
	CHECK(procfile_check("web: a\n../../x: b\n", err, sizeof(err)) == -1);
	CHECK(procfile_check("web: a", err, sizeof(err)) == -1);
	CHECK(procfile_check("web: a\x1b\n", err, sizeof(err)) == -1);
	CHECK(procfile_check("web:  a\n", err, sizeof(err)) == -1);
	CHECK(procfile_check("# x\nweb: a\n", err, sizeof(err)) == -1);
	CHECK(procfile_command_of("web: a b\nworker: c\n", "worker", cmd,
	    sizeof(cmd)) == 0 && strcmp(cmd, "c") == 0);
	CHECK(procfile_command_of("web: a b\n", "we", cmd, sizeof(cmd)) == -1);
	CHECK(procfile_command_of("../x: a\n", "../x", cmd, sizeof(cmd)) == -1);
	CHECK(procfile_command_of("web: abcdef\n", "web", cmd, 4) == -1);
	CHECK(procfile_name_valid("web-2_x") && !procfile_name_valid("a/b") &&
	    !procfile_name_valid("") && !procfile_name_valid(".."));
}

static void
test_secret(void)
{
	struct secret k, other;
	unsigned char sealed[64 + SECRET_OVERHEAD];
	char plain[80];
	size_t len;

	memset(&k, 7, sizeof(k));
	memset(&other, 8, sizeof(other));
	CHECK(secret_seal(&k, "app", "NAME", "value", 5, sealed) == 0);
	CHECK(memmem(sealed, 5 + SECRET_OVERHEAD, "value", 5) == NULL);
	CHECK(secret_open(&k, "app", "NAME", sealed, 5 + SECRET_OVERHEAD, plain,
	    &len) == 0 && len == 5 && strcmp(plain, "value") == 0);
	CHECK(secret_open(&other, "app", "NAME", sealed, 5 + SECRET_OVERHEAD,
	    plain, &len) == -1);
	CHECK(secret_open(&k, "app2", "NAME", sealed, 5 + SECRET_OVERHEAD, plain,
	    &len) == -1);
	CHECK(secret_open(&k, "app", "NAME2", sealed, 5 + SECRET_OVERHEAD, plain,
	    &len) == -1);
	sealed[14] ^= 1;
	CHECK(secret_open(&k, "app", "NAME", sealed, 5 + SECRET_OVERHEAD, plain,
	    &len) == -1);
	CHECK(secret_open(&k, "app", "NAME", sealed, 3, plain, &len) == -1);
}

static void
test_redact(void)
{
	struct var v[] = { { "TOKEN", "s3cr3t-token" }, { "LONG", "s3cr3t-token-2" },
	    { "SHORT", "abc" }, { "ENV", "production" } };
	struct vars vs = { v, 4 };
	char o[64];

	vars_redact(&vs, "t=s3cr3t-token u=s3cr3t-token-2 abc production!", o,
	    sizeof(o));
	CHECK(strcmp(o, "t=[TOKEN] u=[LONG] abc [ENV]!") == 0);
	vars_redact(&vs, "nothing here", o, sizeof(o));
	CHECK(strcmp(o, "nothing here") == 0);
	vars_redact(&vs, "s3cr3t-tokes3cr3t-token", o, sizeof(o));
	CHECK(strcmp(o, "s3cr3t-toke[TOKEN]") == 0);
	{
		struct var pem[] = { { "KEY", "-----BEGIN KEY-----\nMIIEabcdefgh\nshort\n-----END KEY-----\n" } };
		struct vars pv = { pem, 1 };
		vars_redact(&pv, "MIIEabcdefgh", o, sizeof(o));
		CHECK(strcmp(o, "[KEY]") == 0);
		vars_redact(&pv, "short", o, sizeof(o));   /* under 8: shown */
		CHECK(strcmp(o, "short") == 0);
	}
	vars_redact(&vs, "xxxxxxxx s3cr3t-token", o, 12);   /* cut to fit */
	CHECK(strlen(o) == 11 && strstr(o, "s3cr3t") == NULL);
}

static void
test_cron_lines(void)
{
	CHECK(procfile_parse("web: a\ncron-cleanup: 0 3 * * * python3 c.py\n"
	    "preflight: ./pre\n", out, sizeof(out), err, sizeof(err)) == 0);
	CHECK(strcmp(out, "web: a\ncron-cleanup: 0 3 * * * python3 c.py\n"
	    "preflight: ./pre\n") == 0);
	CHECK(procfile_check(out, err, sizeof(err)) == 0);
	CHECK(procfile_is_process("web") && procfile_is_process("worker"));
	CHECK(!procfile_is_process("cron-cleanup") && !procfile_is_process("cron"));
	CHECK(!procfile_is_process("release") && !procfile_is_process("preflight"));
	CHECK(!procfile_is_process("predeploy") &&
	    !procfile_is_process("postdeploy"));
	CHECK(procfile_parse("web: a\ncron-x: 61 * * * * b\n", out, sizeof(out),
	    err, sizeof(err)) == -1 &&
	    strcmp(err, "Procfile line 2: cron-x: bad minute '61' (0-59)") == 0);
	CHECK(procfile_parse("cron-x: 0 3 * * *\n", out, sizeof(out), err,
	    sizeof(err)) == -1 && strstr(err, "no command after") != NULL);
	CHECK(procfile_parse("cron-x: 0 0 31 2 * b\n", out, sizeof(out), err,
	    sizeof(err)) == -1 && strstr(err, "never comes") != NULL);
}

static void
test_appjson(void)
{
	static const char ok[] = "{\"name\": \"x\", \"scripts\": {\"dokku\":"
	    " {\"predeploy\": \"./migrate\", \"postdeploy\": \"./warm up\"}},"
	    " \"cron\": [{\"command\": \"./a\", \"schedule\": \"@daily\"},"
	    " {\"schedule\": \"*/5 * * * *\", \"command\": \"./b 1\"}]}";

	strcpy(out, "web: a\n");
	CHECK(appjson_parse(ok, strlen(ok), out, sizeof(out), err,
	    sizeof(err)) == 0);
	CHECK(strcmp(out, "web: a\npredeploy: ./migrate\npostdeploy: ./warm up\n"
	    "cron-json-1: @daily ./a\ncron-json-2: */5 * * * * ./b 1\n") == 0);
	CHECK(procfile_check(out, err, sizeof(err)) == 0);
#define BAD(text, want)                                                    \
	do {                                                               \
		strcpy(out, "web: a\n");                                   \
		CHECK(appjson_parse(text, strlen(text), out, sizeof(out),  \
		    err, sizeof(err)) == -1 && strstr(err, want) != NULL); \
	} while (0)
	BAD("[1]", "not a JSON object");
	BAD("{\"cron\": {}}", "cron: not a list");
	BAD("{\"cron\": [{\"command\": \"a\"}]}", "cron[1]: expected");
	BAD("{\"cron\": [{\"command\": \"a\", \"schedule\": \"* * * *\"}]}",
	    "cron[1]: bad schedule");
	BAD("{\"cron\": [{\"command\": \"a;b\", \"schedule\": \"@daily\"}]}",
	    "';' is shell syntax");
	BAD("{\"scripts\": {\"dokku\": {\"predeploy\": 1}}}", "not a string");
	BAD("{\"scripts\": {\"dokku\": {\"predeploy\": \"a\\u0000b\"}}}",
	    "app.json"); /* jansson refuses a NUL; member_string would too */
	BAD("{\"scripts\": {\"dokku\": {\"predeploy\": \"a\\nb\"}}}",
	    "control character");
	BAD("{\"a\": 1, \"a\": 2}", "app.json line 1");
	BAD("{", "app.json line 1");
	strcpy(out, "web: a\npredeploy: x\n");
	CHECK(appjson_parse(ok, strlen(ok), out, sizeof(out), err,
	    sizeof(err)) == -1 && strstr(err, "defined twice") != NULL);
}

int
main(void)
{
	test_procfile();
	test_cron_lines();
	test_appjson();
	test_release_yaml();
	test_hostile_text();
	test_stored_list();
	test_secret();
	test_redact();
	return unit_done();
}
