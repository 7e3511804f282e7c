/*
 * test_text.c - unit tests of core/text.c's text_shown, which makes the
 * pusher's text (a file name in the pushed tree) safe to put in a
 * message: escape sequences, newlines, tabs and bytes that are not UTF-8
 * come out as \xNN, printable UTF-8 as it is, and the result always fits.
 */
#include <string.h>

#include "core/text.h"
#include "unit.h"

int
main(void)
{
	char out[64], tiny[6];

	CHECK(strcmp(text_shown("public/leak", out, sizeof(out)),
	    "public/leak") == 0);
	CHECK(strcmp(text_shown("x\033[2Jy", out, sizeof(out)),
	    "x\\x1b[2Jy") == 0);
	CHECK(strcmp(text_shown("a\nb\tc", out, sizeof(out)),
	    "a\\x0ab\\x09c") == 0);
	CHECK(strcmp(text_shown("caf\xc3\xa9", out, sizeof(out)),
	    "caf\xc3\xa9") == 0);
	CHECK(strcmp(text_shown("\xff\xfe", out, sizeof(out)),
	    "\\xff\\xfe") == 0);
	CHECK(strcmp(text_shown("\x9b" "1m", out, sizeof(out)), "\\x9b1m") == 0);
	CHECK(strcmp(text_shown("", out, sizeof(out)), "") == 0);
	/* what does not fit is cut, never an escape in halves */
	CHECK(strcmp(text_shown("abcdefgh", tiny, sizeof(tiny)), "abcde") == 0);
	CHECK(strcmp(text_shown("ab\033cd", tiny, sizeof(tiny)), "ab") == 0);
	CHECK(strlen(text_shown("\033\033\033\033", tiny, sizeof(tiny))) <= 5);
	return unit_done();
}
