/*
 * appjson.c - app.json's deploy hooks and cron list into the release's
 * process list (see appjson.h), read with jansson.
 */
#include "run/appjson.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/cron.h"
#include "core/msg.h"
#include "run/procfile.h"

/* A string member of obj, NULL when absent; -1 when it is not a string. */
static int
member_string(json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

static int
hooks(json_t *root, char *procs, size_t plen, char *err, size_t errlen)
{
	static const char *const names[] = { "predeploy", "postdeploy" };
	json_t *scripts = json_object_get(root, "scripts"), *dokku;
	char why[ERR_MAX];
	const char *cmd;

	if (scripts == NULL)
		return 0;
	if (!json_is_object(scripts) || ((dokku = json_object_get(scripts,
	    "dokku")) != NULL && !json_is_object(dokku))) {
		snprintf(err, errlen, "app.json: scripts and scripts.dokku must"
		    " be objects");
		return -1;
	}
	for (size_t i = 0; dokku != NULL && i < 2; i++) {
		if (member_string(dokku, names[i], &cmd) == -1) {
			snprintf(err, errlen, "app.json scripts.dokku.%s: not a"
			    " string", names[i]);
			return -1;
		}
		if (cmd != NULL && procfile_add(procs, plen, names[i], cmd, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "app.json scripts.dokku.%s: %s",
			    names[i], why);
			return -1;
		}
	}
	return 0;
}

/* One entry of the cron list, as cron-json-N. */
static int
cron_entry(json_t *e, size_t n, char *procs, size_t plen, char *why,
    size_t whylen)
{
	const char *cmd, *sched, *rest;
	char name[32], line[2048], cerr[200];
	struct cron c;

	if (!json_is_object(e) || member_string(e, "command", &cmd) == -1 ||
	    member_string(e, "schedule", &sched) == -1 || cmd == NULL ||
	    sched == NULL) {
		snprintf(why, whylen, "expected {\"command\": \"...\","
		    " \"schedule\": \"...\"}");
		return -1;
	}
	cerr[0] = '\0';
	if (cron_parse(sched, &c, &rest, cerr, sizeof(cerr)) == -1 ||
	    *rest != '\0') {
		snprintf(why, whylen, "bad schedule '%.60s': %s", sched,
		    cerr[0] ? cerr : "more than five fields");
		return -1;
	}
	if (snprintf(line, sizeof(line), "%s %s", sched, cmd) >=
	    (int)sizeof(line)) {
		snprintf(why, whylen, "command too long");
		return -1;
	}
	snprintf(name, sizeof(name), "cron-json-%zu", n);
	return procfile_add(procs, plen, name, line, why, whylen);
}

static int
crons(json_t *root, char *procs, size_t plen, char *err, size_t errlen)
{
	json_t *list = json_object_get(root, "cron"), *e;
	char why[ERR_MAX];
	size_t i;

	if (list == NULL)
		return 0;
	if (!json_is_array(list)) {
		snprintf(err, errlen, "app.json cron: not a list");
		return -1;
	}
	json_array_foreach(list, i, e) {
		if (cron_entry(e, i + 1, procs, plen, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "app.json cron[%zu]: %s", i + 1, why);
			return -1;
		}
	}
	return 0;
}

int
appjson_parse(const char *text, size_t len, char *procs, size_t plen,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	int rc;

	if (len > APPJSON_MAX) {
		snprintf(err, errlen, "app.json: larger than %d bytes",
		    APPJSON_MAX);
		return -1;
	}
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "app.json line %d: %.120s", je.line,
		    je.text);
		return -1;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		snprintf(err, errlen, "app.json: not a JSON object");
		return -1;
	}
	rc = hooks(root, procs, plen, err, errlen) == -1 ||
	    crons(root, procs, plen, err, errlen) == -1 ? -1 : 0;
	json_decref(root);
	return rc;
}
