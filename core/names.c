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

static int
label_valid(const char *p, size_t len, int last, char *why, size_t whylen)
{
	size_t digits = 0;

	if (len == 0 || len > 63)
		return reason(why, whylen, "each part of a domain is 1-63"
		    " characters");
	if (p[0] == '-' || p[len - 1] == '-')
		return reason(why, whylen, "a part of a domain may not start or"
		    " end with '-'");
	for (size_t i = 0; i < len; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			digits++;
		else if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == '-'))
			return reason(why, whylen, p[i] == '*' ? "wildcard domains"
			    " are not supported" : "a domain may only contain"
			    " lower-case letters, digits, '-' and '.'");
	}
	if (last && digits == len)
		return reason(why, whylen, "a domain must end in a name, not a"
		    " number (IP addresses are not domains)");
	return 0;
}

int
name_domain_valid(const char *domain, char *why, size_t whylen)
{
	size_t len = strlen(domain);
	const char *p = domain;
	int labels = 0;

	if (len == 0 || len > 253)
		return reason(why, whylen, "a domain is 1-253 characters");
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (label_valid(p, l, dot == NULL, why, whylen) == -1)
			return -1;
		labels++;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (labels < 2)
		return reason(why, whylen, "a domain needs at least two parts"
		    " (like example.com)");
	return 0;
}
