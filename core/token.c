/*
 * token.c - random tokens and their hashes (token.h): getrandom(2) and
 * OpenSSL's SHA-256.
 */
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "core/token.h"

static void
hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
token_new(char out[TOKEN_LEN + 1])
{
	unsigned char raw[TOKEN_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -1;
	hex(raw, sizeof(raw), out);
	return 0;
}

int
token_shape(const char *s)
{
	return strlen(s) == TOKEN_LEN &&
	    strspn(s, "0123456789abcdef") == TOKEN_LEN;
}

int
token_derive(const char *label, const char *s, char out[TOKEN_HASH_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (ctx == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, label, strlen(label)) == 1 &&
	    EVP_DigestUpdate(ctx, s, strlen(s)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == TOKEN_HASH_LEN / 2;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	hex(md, n, out);
	return 0;
}

int
token_hash(const char *s, char out[TOKEN_HASH_LEN + 1])
{
	return token_derive("", s, out);
}
