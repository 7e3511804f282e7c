/*
 * fuzz.h - what the libFuzzer targets share: an in-memory transport that
 * reads the fuzzer's bytes and throws writes away, so the protocol code
 * runs exactly as over SSH.
 */
#ifndef BERTH_FUZZ_H
#define BERTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "gitd/gitd_pktline.h"

struct fuzz_in {
	const uint8_t *data;
	size_t len, pos;
};

static inline ssize_t
fuzz_read(void *ctx, void *buf, size_t len, char *err, size_t errlen)
{
	struct fuzz_in *in = ctx;
	size_t n = in->len - in->pos;

	(void)err, (void)errlen;
	if (n > len)
		n = len;
	if (n > 1000) /* short reads: exercise the buffering */
		n = 1000;
	memcpy(buf, in->data + in->pos, n);
	in->pos += n;
	return (ssize_t)n;
}

static inline int
fuzz_write(void *ctx, const void *buf, size_t len, char *err, size_t errlen)
{
	(void)ctx, (void)buf, (void)len, (void)err, (void)errlen;
	return 0;
}

static inline int
fuzz_write_err(void *ctx, const void *buf, size_t len)
{
	(void)ctx, (void)buf, (void)len;
	return 0;
}

#endif
