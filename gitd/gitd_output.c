/*
 * gitd_output.c - how listings leave berth: every listing handler builds a
 * jansson array of objects with stable field names (documented in the
 * README) and hands it here with the columns to show.  With --json the
 * array is printed as it is; otherwise as aligned columns with a header
 * (strings as they are, numbers in decimal, arrays joined with ",",
 * null/empty as "-").  One data path, so both views always agree.
 * Text from the database goes in through gitd_json_text, which shows bytes
 * that are not UTF-8 (and control characters) as \xNN instead of losing
 * the row: jansson refuses such a string.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitd/gitd_dispatch.h"

#define CELL_MAX 256

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if it is not a
 * valid one (overlong forms, surrogates and code points above U+10FFFF
 * included, as jansson sees it). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned int cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

json_t *
gitd_json_text(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text), o = 0, k;
	char *buf;
	json_t *j;

	if ((buf = malloc(n * 4 + 1)) == NULL)
		return json_string("[out of memory]");
	for (size_t i = 0; i < n; i += k) {
		k = utf8_len(s + i, n - i);
		if (k == 0 || s[i] < 0x20 || s[i] == 0x7f) {
			o += (size_t)sprintf(buf + o, "\\x%02x", s[i]);
			k = 1;
		} else {
			memcpy(buf + o, s + i, k);
			o += k;
		}
	}
	buf[o] = '\0';
	j = json_string(buf);
	free(buf);
	return j;
}

static void
cell(json_t *v, char *out, size_t len)
{
	size_t o = 0, i;
	json_t *e;

	out[0] = '\0';
	if (json_is_string(v))
		snprintf(out, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, len, "%.2f", json_real_value(v));
	else if (json_is_true(v) || json_is_false(v))
		snprintf(out, len, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_array(v))
		json_array_foreach(v, i, e) {
			char one[CELL_MAX];
			cell(e, one, sizeof(one));
			o += (size_t)snprintf(out + o, o < len ? len - o : 0, "%s%s",
			    i ? "," : "", one);
			if (o >= len)
				break;
		}
	if (out[0] == '\0')
		snprintf(out, len, "-");
}

static void
upper(const char *s, char *out, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		out[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) :
		    s[i] == '_' ? ' ' : s[i];
	out[i] = '\0';
}

int
gitd_emit_list(struct gitd_ctx *g, json_t *rows, const char *const *cols)
{
	size_t ncols = 0, i, w[32] = { 0 };
	char buf[CELL_MAX], line[4096];
	json_t *row;

	if (g->json) {
		char *s = json_dumps(rows, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		int rc = s ? gitd_printf(g, "%s\n", s) : -1;
		free(s);
		json_decref(rows);
		return rc;
	}
	while (cols[ncols] && ncols < 32)
		ncols++;
	for (i = 0; i < ncols; i++) {
		upper(cols[i], buf, sizeof(buf));
		w[i] = strlen(buf);
	}
	json_array_foreach(rows, i, row)
		for (size_t c = 0; c < ncols; c++) {
			cell(json_object_get(row, cols[c]), buf, sizeof(buf));
			if (strlen(buf) > w[c])
				w[c] = strlen(buf);
		}
	for (int header = 1; header >= 0; header--) {
		size_t n = json_array_size(rows);
		for (size_t r = 0; r < (header ? 1 : n); r++) {
			size_t o = 0;
			for (size_t c = 0; c < ncols; c++) {
				if (header)
					upper(cols[c], buf, sizeof(buf));
				else
					cell(json_object_get(json_array_get(rows, r),
					    cols[c]), buf, sizeof(buf));
				o += (size_t)snprintf(line + o, o < sizeof(line) ?
				    sizeof(line) - o : 0, "%-*s%s", c + 1 < ncols ?
				    (int)w[c] : 0, buf, c + 1 < ncols ? "  " : "");
				if (o >= sizeof(line))
					o = sizeof(line) - 1;
			}
			gitd_printf(g, "%s\n", line);
		}
	}
	json_decref(rows);
	return 0;
}

int
gitd_emit_object(struct gitd_ctx *g, json_t *obj, const char *const *keys)
{
	char buf[1024], name[64];
	size_t w = 0;

	if (g->json) {
		char *s = json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		int rc = s ? gitd_printf(g, "%s\n", s) : -1;
		free(s);
		json_decref(obj);
		return rc;
	}
	for (size_t i = 0; keys[i]; i++)
		if (strlen(keys[i]) > w)
			w = strlen(keys[i]);
	for (size_t i = 0; keys[i]; i++) {
		json_t *v = json_object_get(obj, keys[i]);
		if (json_is_array(v) || json_is_string(v) || json_is_number(v) ||
		    json_is_boolean(v) || json_is_null(v) || v == NULL) {
			cell(v, buf, sizeof(buf));
			snprintf(name, sizeof(name), "%s:", keys[i]);
			gitd_printf(g, "%-*s %s\n", (int)w + 1, name, buf);
		}
	}
	json_decref(obj);
	return 0;
}
