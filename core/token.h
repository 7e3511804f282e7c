/*
 * token.h - secrets handed to a browser (the dashboard's login links and
 * session cookies): 32 random bytes as 64 hex digits, and the sha256 (hex)
 * under which the store keeps them (core/store_dash.h).
 */
#ifndef BERTH_TOKEN_H
#define BERTH_TOKEN_H

#include <stddef.h>

#define TOKEN_LEN 64      /* hex digits of a token */
#define TOKEN_HASH_LEN 64 /* hex digits of its sha256 */

/* A new token in out[TOKEN_LEN + 1].  0, or -1 when the kernel gives no
 * randomness (errno). */
int token_new(char out[TOKEN_LEN + 1]);

/* 1 when s is a token's shape (TOKEN_LEN lower-case hex digits). */
int token_shape(const char *s);

/* The sha256 of s, in hex, in out[TOKEN_HASH_LEN + 1].  0 or -1. */
int token_hash(const char *s, char out[TOKEN_HASH_LEN + 1]);

/* out[TOKEN_HASH_LEN + 1]: the sha256 of label and s joined, in hex (a
 * value derived from a token, such as a session's CSRF token).  0 or -1. */
int token_derive(const char *label, const char *s,
    char out[TOKEN_HASH_LEN + 1]);

#endif
