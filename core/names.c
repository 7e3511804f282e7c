/*
 * names.c - the checks for user-supplied names (apps, keys, the repo argument
 * of git's commands).  See names.h.  Rules are deliberately narrow: an app
 * name becomes a directory, a DNS label and a config-file token, so it may
 * only hold characters that are safe in all three.
 */
#include "core/names.h"

#include <stdio.h>
#include <string.h>

static int
reason(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return -1;
}

int
name_app_valid(const char *name, char *why, size_t whylen)
{
	size_t len = strlen(name);

	if (len == 0)
		return reason(why, whylen, "app name is empty");
	if (len > APP_NAME_MAX)
		return reason(why, whylen,
		    "app name is longer than 63 characters");
	if (name[0] < 'a' || name[0] > 'z')
		return reason(why, whylen,
		    "app name must start with a lower-case letter");
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-'))
			return reason(why, whylen, "app name may only contain"
			    " lower-case letters, digits and '-'");
	}
	if (name[len - 1] == '-')
		return reason(why, whylen, "app name must not end with '-'");
	return 0;
}

int
name_key_valid(const char *name, char *why, size_t whylen)
{
	size_t len = strlen(name);

	if (len == 0)
		return reason(why, whylen, "key name is empty");
	if (len > KEY_NAME_MAX)
		return reason(why, whylen,
		    "key name is longer than 63 characters");
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
		if (i == 0 && !alnum)
			return reason(why, whylen,
			    "key name must start with a letter or digit");
		if (!alnum && c != '.' && c != '_' && c != '@' && c != '-')
			return reason(why, whylen, "key name may only contain"
			    " letters, digits and . _ @ -");
	}
	return 0;
}

int
name_repo_arg(const char *arg, char *app, size_t applen, char *why,
    size_t whylen)
{
	const char *p = arg;
	size_t len;

	if (strncmp(p, "~/", 2) == 0)
		p += 2;
	else if (*p == '/')
		p++;
	len = strlen(p);
	if (len > 4 && strcmp(p + len - 4, ".git") == 0)
		len -= 4;
	if (len >= applen || len > APP_NAME_MAX)
		return reason(why, whylen,
		    "app name is longer than 63 characters");
	memcpy(app, p, len);
	app[len] = '\0';
	return name_app_valid(app, why, whylen);
}
