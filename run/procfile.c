/*
 * procfile.c - Procfile and bin/release parsing; see
 * run/procfile.h.  bin/release output is YAML, read with libyaml's
 * document loader (never a hand-made subset parser).  Both are hostile:
 * a name becomes a file name (logs/TYPE.N.log) and a command an argv, and
 * the canonical text keeps one process per line, so a command may hold
 * no newline or other control character (core/text.h) and a name only
 * [A-Za-z0-9_-].  What the store gives back is checked again the same way
 * (procfile_check) before anything runs it.
 */
#include "run/procfile.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "core/cron.h"
#include "core/msg.h"
#include "core/text.h"

static int
proc_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > PROC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
procfile_name_valid(const char *name)
{
	return proc_name_valid(name, strlen(name));
}

static int
is_cron(const char *name, size_t len)
{
	return len >= 4 && strncmp(name, "cron", 4) == 0;
}

int
procfile_is_cron(const char *type)
{
	return is_cron(type, strlen(type));
}

int
procfile_is_process(const char *type)
{
	static const char *const once[] = { "release", "predeploy",
	    "preflight", "postdeploy" };

	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		if (strcmp(type, once[i]) == 0)
			return 0;
	return !procfile_is_cron(type);
}

/* A scheduled job's command: a schedule that ever comes, then a command. */
static int
cron_valid(const char *name, size_t nlen, const char *cmd, char *why,
    size_t whylen)
{
	const char *rest;
	char err[200];

	if (cron_check(cmd, &rest, err, sizeof(err)) == -1) {
		snprintf(why, whylen, "%.*s: %s", (int)nlen, name, err);
		return -1;
	}
	if (*rest == '\0') {
		snprintf(why, whylen, "%.*s: no command after the schedule"
		    " (cron-NAME: MIN HOUR DAY MONTH WEEKDAY COMMAND)",
		    (int)nlen, name);
		return -1;
	}
	return 0;
}

/* One line of printable text: no newline, escape or other control
 * character, and valid UTF-8 (tabs separate words like spaces). */
static int
command_printable(const char *cmd, size_t len, char *why, size_t whylen)
{
	size_t at;

	if (text_printable(cmd, len, 1, &at))
		return 0;
	snprintf(why, whylen, "byte %zu of the command is a control character"
	    " or not UTF-8 (a command is one line of text)", at + 1);
	return -1;
}

int
procfile_command_valid(const char *cmd, char *why, size_t whylen)
{
	const char *bad = strpbrk(cmd, "|&;<>$`\\\"'");

	if (command_printable(cmd, strlen(cmd), why, whylen) == -1)
		return -1;
	if (cmd[strspn(cmd, " \t")] == '\0') {
		snprintf(why, whylen, "empty command");
		return -1;
	}
	if (bad != NULL) {
		snprintf(why, whylen, "'%c' is shell syntax, and commands run"
		    " without a shell (use a script in the repo instead)", *bad);
		return -1;
	}
	return 0;
}

/* Append "name: command\n" to out, checking name, command and room. */
static int
add_proc(char *out, size_t outlen, const char *name, size_t nlen,
    const char *cmd, size_t clen, char *why, size_t whylen)
{
	size_t used = strlen(out), count = 0;
	char cbuf[2048], shown[41];

	if (!proc_name_valid(name, nlen)) {
		/* the name is hostile: show it without its control bytes */
		size_t n = nlen < sizeof(shown) - 1 ? nlen : sizeof(shown) - 1;
		for (size_t i = 0; i < n; i++)
			shown[i] = name[i] > ' ' && name[i] < 0x7f ? name[i] : '?';
		shown[n] = '\0';
		snprintf(why, whylen, "bad process name '%s' (letters, digits,"
		    " '-', '_', at most %d)", shown, PROC_NAME_MAX);
		return -1;
	}
	if (command_printable(cmd, clen, why, whylen) == -1)
		return -1; /* before the copy: a NUL would cut it short */
	while (clen > 0 && (*cmd == ' ' || *cmd == '\t')) {
		cmd++;
		clen--;
	}
	while (clen > 0 && (cmd[clen - 1] == ' ' || cmd[clen - 1] == '\t'))
		clen--;
	if (clen >= sizeof(cbuf)) {
		snprintf(why, whylen, "command too long");
		return -1;
	}
	memcpy(cbuf, cmd, clen);
	cbuf[clen] = '\0';
	if (procfile_command_valid(cbuf, why, whylen) == -1 ||
	    (is_cron(name, nlen) && cron_valid(name, nlen, cbuf, why,
	    whylen) == -1))
		return -1;
	for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		count++;
	if (count == PROC_TYPES_MAX) {
		snprintf(why, whylen, "more than %d process types", PROC_TYPES_MAX);
		return -1;
	}
	for (const char *p = out; *p; p = strchr(p, '\n') + 1)
		if (strncmp(p, name, nlen) == 0 && p[nlen] == ':') {
			snprintf(why, whylen, "process '%.*s' is defined twice",
			    (int)nlen, name);
			return -1;
		}
	if (used + nlen + clen + 4 > outlen) {
		snprintf(why, whylen, "process list too long");
		return -1;
	}
	snprintf(out + used, outlen - used, "%.*s: %s\n", (int)nlen, name, cbuf);
	return 0;
}

int
procfile_add(char *out, size_t outlen, const char *name, const char *cmd,
    char *why, size_t whylen)
{
	return add_proc(out, outlen, name, strlen(name), cmd, strlen(cmd), why,
	    whylen);
}

int
procfile_parse(const char *text, char *out, size_t outlen, char *err,
    size_t errlen)
{
	const char *line = text;
	char why[ERR_MAX];
	int lineno = 0;

	out[0] = '\0';
	while (*line) {
		const char *end = line + strcspn(line, "\n"), *colon, *cmd;
		const char *t = line + strspn(line, " \t\r");
		size_t clen;

		lineno++;
		if (t < end && *t != '#') {
			colon = memchr(t, ':', (size_t)(end - t));
			if (colon == NULL) {
				snprintf(err, errlen, "Procfile line %d: expected"
				    " 'name: command'", lineno);
				return -1;
			}
			cmd = colon + 1 + strspn(colon + 1, " \t");
			clen = (size_t)(end - cmd);
			while (clen > 0 && (cmd[clen - 1] == ' ' ||
			    cmd[clen - 1] == '\t' || cmd[clen - 1] == '\r'))
				clen--;
			if (add_proc(out, outlen, t, (size_t)(colon - t), cmd, clen,
			    why, sizeof(why)) == -1) {
				snprintf(err, errlen, "Procfile line %d: %s", lineno,
				    why);
				return -1;
			}
		}
		line = *end ? end + 1 : end;
	}
	if (out[0] == '\0') {
		snprintf(err, errlen, "Procfile defines no processes");
		return -1;
	}
	return 0;
}

static const char *
scalar(yaml_document_t *doc, yaml_node_t *n)
{
	(void)doc;
	return n != NULL && n->type == YAML_SCALAR_NODE ?
	    (const char *)n->data.scalar.value : NULL;
}

/* A scalar's length: it may hold a NUL ("\0" in double quotes). */
static size_t
scalar_len(yaml_node_t *n)
{
	return n->data.scalar.length;
}

static int
yaml_procs(yaml_document_t *doc, yaml_node_t *map, char *procs, size_t plen,
    char *err, size_t errlen)
{
	char why[ERR_MAX];

	if (map->type == YAML_SCALAR_NODE && map->data.scalar.length == 0)
		return 0; /* "default_process_types:" with nothing */
	if (map->type != YAML_MAPPING_NODE) {
		snprintf(err, errlen, "bin/release: default_process_types is not"
		    " a mapping");
		return -1;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(doc, p->value);
		const char *k = scalar(doc, kn), *v = scalar(doc, vn);
		if (k == NULL || v == NULL ||
		    add_proc(procs, plen, k, scalar_len(kn), v, scalar_len(vn),
		    why, sizeof(why)) == -1) {
			snprintf(err, errlen, "bin/release: %s", k && v ? why :
			    "process types must be 'name: command'");
			return -1;
		}
	}
	return 0;
}

static int
static_root_valid(const char *s)
{
	/* it ends up in the proxy's config: plain path characters only */
	if (s[0] == '/' || strlen(s) >= 200 || strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+@-") != strlen(s))
		return 0;
	return strcmp(s, "..") != 0 && strncmp(s, "../", 3) != 0 &&
	    strstr(s, "/../") == NULL &&
	    !(strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0);
}

static int
yaml_walk(yaml_document_t *doc, char *procs, size_t plen, char *static_root,
    size_t srlen, char *err, size_t errlen)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);

	if (root == NULL || (root->type == YAML_SCALAR_NODE &&
	    root->data.scalar.length == 0))
		return 0; /* empty output or a bare "---": no processes */
	if (root->type != YAML_MAPPING_NODE) {
		snprintf(err, errlen, "bin/release: output is not a YAML mapping");
		return -1;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "default_process_types") == 0) {
			if (yaml_procs(doc, v, procs, plen, err, errlen) == -1)
				return -1;
		} else if (strcmp(k, "static_root") == 0) {
			const char *sr = scalar(doc, v);
			if (sr == NULL || strlen(sr) != scalar_len(v) ||
			    !static_root_valid(sr) ||
			    strlen(sr) >= srlen) {
				snprintf(err, errlen, "bin/release: static_root must"
				    " be a relative path inside the app");
				return -1;
			}
			snprintf(static_root, srlen, "%s", sr);
		}
	}
	return 0;
}

int
release_yaml_parse(const char *yaml, size_t len, char *procs, size_t plen,
    char *static_root, size_t srlen, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc;

	procs[0] = '\0';
	static_root[0] = '\0';
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "bin/release: bad YAML: %s at line %zu",
		    parser.problem ? parser.problem : "?",
		    parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		return -1;
	}
	rc = yaml_walk(&doc, procs, plen, static_root, srlen, err, errlen);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int
procfile_check(const char *procs, char *err, size_t errlen)
{
	char again[PROC_LIST_MAX], why[256];

	if (procs[0] == '\0')
		return 0; /* a static site, or a release with no processes */
	if (strlen(procs) >= sizeof(again) ||
	    procfile_parse(procs, again, sizeof(again), why, sizeof(why)) == -1) {
		snprintf(err, errlen, "the stored process list is bad: %s",
		    strlen(procs) >= sizeof(again) ? "too long" : why);
		return -1;
	}
	if (strcmp(again, procs) != 0) {
		snprintf(err, errlen, "the stored process list is not in"
		    " canonical form");
		return -1;
	}
	return 0;
}

int
procfile_command_of(const char *procs, const char *type, char *out,
    size_t len)
{
	size_t tlen = strlen(type), clen;

	if (!procfile_name_valid(type))
		return -1;
	for (const char *l = procs; *l; l = strchr(l, '\n') + 1) {
		if (strchr(l, '\n') == NULL)
			return -1;
		if (strncmp(l, type, tlen) != 0 || l[tlen] != ':' ||
		    l[tlen + 1] != ' ')
			continue;
		clen = strcspn(l + tlen + 2, "\n");
		if (clen >= len)
			return -1;
		memcpy(out, l + tlen + 2, clen);
		out[clen] = '\0';
		return 0;
	}
	return -1;
}
