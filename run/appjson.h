/*
 * appjson.h - Dokku's app.json, as far as berth reads it: the deploy
 * hooks scripts.dokku.predeploy and .postdeploy, and the `cron` list of
 * {"command", "schedule"} entries.  They join the release's canonical
 * process list (run/procfile.h) as "predeploy: CMD", "postdeploy: CMD"
 * and "cron-json-N: SCHEDULE CMD" (N from 1, in the file's order), so
 * they are checked, stored and read back exactly as Procfile lines are:
 * no shell syntax in a command, a schedule that parses and ever comes.
 * Every other key of app.json is ignored.  The file is hostile.
 */
#ifndef BERTH_APPJSON_H
#define BERTH_APPJSON_H

#include <stddef.h>

#define APPJSON_MAX (64 * 1024)

/* Parse app.json text (len bytes) and append what it defines to procs.
 * 0, or -1 with err naming the entry ("app.json cron[2]: ..."). */
int appjson_parse(const char *text, size_t len, char *procs, size_t plen,
    char *err, size_t errlen);

#endif
