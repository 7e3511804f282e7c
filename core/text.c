/*
 * text.c - printable UTF-8 without control characters, and the same made
 * safe for a terminal; see text.h.
 */
#include "core/text.h"

#include <string.h>

/* Length of the UTF-8 sequence at p (n bytes left) when it is valid and
 * decodes to a printable code point; 0 otherwise. */
static size_t
utf8_char(const unsigned char *p, size_t n, int allow_tab)
{
	unsigned long cp;
	size_t len;

	if (p[0] < 0x80)
		return (p[0] >= 0x20 && p[0] != 0x7f) ||
		    (allow_tab && p[0] == '\t') ? 1 : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1fUL;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0fUL;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07UL;
	} else {
		return 0; /* a continuation byte, 0xc0/0xc1 or above 0xf4 */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fUL);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

int
text_printable(const char *s, size_t len, int allow_tab, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_char(p + i, len - i, allow_tab)) == 0) {
			if (bad != NULL)
				*bad = i;
			return 0;
		}
		i += n;
	}
	return 1;
}

/* Length of a colour sequence (ESC [ digits and semicolons m, at most 32
 * bytes) at p, n bytes left; 0 when p holds anything else. */
static size_t
sgr_len(const unsigned char *p, size_t n)
{
	size_t i = 2;

	if (n < 3 || p[0] != 0x1b || p[1] != '[')
		return 0;
	while (i < n && i < 32 && ((p[i] >= '0' && p[i] <= '9') || p[i] == ';'))
		i++;
	return i < n && p[i] == 'm' ? i + 1 : 0;
}

size_t
text_clean(char *s, size_t len)
{
	unsigned char *p = (unsigned char *)s;
	size_t i = 0, o = 0, n;

	while (i < len) {
		if ((n = sgr_len(p + i, len - i)) == 0 &&
		    (n = utf8_char(p + i, len - i, 1)) == 0) {
			p[o++] = '?';
			i++;
			continue;
		}
		memmove(p + o, p + i, n);
		o += n;
		i += n;
	}
	return o;
}
