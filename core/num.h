/*
 * num.h - numbers read from text: argv, settings, the small files a shim
 * writes, /proc.  The one place the tree turns text into an integer
 * (`grep -rn 'strto[a-z]*(\|atoi\|atol' --include='*.c'` finds only
 * num.c), so that junk, an empty string and a value out of range are
 * refused the same way everywhere instead of read as 0 or clipped.
 */
#ifndef BERTH_NUM_H
#define BERTH_NUM_H

/* The whole of s as a base-10 integer in [min, max]: an optional '-'
 * then digits, nothing before or after (no spaces, no '+', not empty).
 * 0 with *out set, or -1 (*out untouched). */
int num_parse(const char *s, long long min, long long max, long long *out);

/* The same for the digits at the start of s (an optional '-' first), which
 * must be followed by the end of s or by a character that is not a digit;
 * *end (when end is not NULL) points after them.  For fields in a line:
 * "1700000000 a push by key 'dev'", "Uid:\t1000\t1000 ...". */
int num_prefix(const char *s, long long min, long long max, long long *out,
    const char **end);

/* The whole of s as base-16 digits (no "0x"), at most max. */
int num_parse_hex(const char *s, unsigned long long max,
    unsigned long long *out);

#endif
