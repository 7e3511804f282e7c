/*
 * text.h - is a piece of hostile text safe to show and to store?  A
 * buildpack's output, a Procfile or bin/release's YAML ends up in argv,
 * in log lines, in the pusher's terminal and in JSON: a newline there
 * starts a new record, an escape sequence drives the terminal, and bytes
 * that are not UTF-8 break JSON.  Used where such text is parsed and again
 * where it is read back from the store.
 */
#ifndef BERTH_TEXT_H
#define BERTH_TEXT_H

#include <stddef.h>

/* 1 when the len bytes at s are valid UTF-8 (shortest form, no surrogates,
 * at most U+10FFFF) without a control character: none of U+0000-U+001F
 * (a tab only when allow_tab), U+007F or U+0080-U+009F.  Else 0, with the
 * offset of the first bad byte in *bad (when bad is not NULL). */
int text_printable(const char *s, size_t len, int allow_tab, size_t *bad);

/* Make the len bytes at s safe for a terminal, in place: printable UTF-8
 * and tabs stay, and so do colour sequences (ESC [ digits and ';' m);
 * every other byte that is a control character or not part of valid UTF-8
 * becomes '?'.  Never longer than before; returns the new length (the
 * caller terminates).  For a buildpack's or an app's output on its way to
 * a terminal: no cursor moves, title changes, OSC 52 clipboard writes or
 * fake "remote:" lines drawn over real ones. */
size_t text_clean(char *s, size_t len);

#endif
