/*
 * test_text.c - core/text.c: what counts as printable, and what text_clean
 * leaves of hostile output on its way to a terminal.
 */
#include <string.h>

#include "core/text.h"
#include "tests/unit/unit.h"

/* text_clean on a copy of in; 1 when the result is want. */
static int
cleans_to(const char *in, const char *want)
{
	char buf[256];
	size_t n = strlen(in);

	memcpy(buf, in, n + 1);
	buf[text_clean(buf, n)] = '\0';
	return strcmp(buf, want) == 0;
}

int
main(void)
{
	size_t bad = 0;

	CHECK(text_printable("web: python3 app.py", 19, 0, NULL));
	CHECK(text_printable("a\tb", 3, 1, NULL));
	CHECK(!text_printable("a\tb", 3, 0, &bad) && bad == 1);
	CHECK(!text_printable("ab\x1b[2J", 6, 1, &bad) && bad == 2);
	CHECK(!text_printable("\xc2\x9b", 2, 1, NULL)); /* C1 CSI */
	CHECK(!text_printable("\xc0\xaf", 2, 1, NULL)); /* overlong '/' */
	CHECK(text_printable("h\xc3\xa9llo \xe2\x9c\x93", 10, 0, NULL));

	CHECK(cleans_to("plain text, tabs\tstay", "plain text, tabs\tstay"));
	CHECK(cleans_to("h\xc3\xa9llo \xe2\x9c\x93", "h\xc3\xa9llo \xe2\x9c\x93"));
	CHECK(cleans_to("\x1b[32mgreen\x1b[0m", "\x1b[32mgreen\x1b[0m"));
	CHECK(cleans_to("\x1b[1;31mbold\x1b[m", "\x1b[1;31mbold\x1b[m"));
	CHECK(cleans_to("\x1b]0;title\x07", "?]0;title?"));
	CHECK(cleans_to("\x1b]52;c;cm0gLXJm\x07", "?]52;c;cm0gLXJm?"));
	CHECK(cleans_to("\x1b[2J\x1b[H", "?[2J?[H"));
	CHECK(cleans_to("fake\r\x1b[Kremote: ok", "fake??[Kremote: ok"));
	CHECK(cleans_to("a\xc2\x9b" "2Jb", "a??2Jb"));     /* C1 CSI, 2 bytes */
	CHECK(cleans_to("cut \xe2\x9c", "cut ??"));       /* a cut character */
	CHECK(cleans_to("\xff\xfe", "??"));
	CHECK(cleans_to("\x1b[", "?["));                  /* an escape cut short */
	CHECK(cleans_to("\x1b[31;", "?[31;"));
	CHECK(cleans_to("del\x7f", "del?"));
	CHECK(cleans_to("", ""));
	return unit_done();
}
