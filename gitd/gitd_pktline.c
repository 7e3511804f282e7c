/*
 * gitd_pktline.c - pkt-line reader and writer, side-band writer, capability
 * lookup.  See gitd_pktline.h.  Implements gitprotocol-common "pkt-line
 * Format" and gitprotocol-pack "side-band, side-band-64k".
 */
#include "gitd/gitd_pktline.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fill(struct pkt_io *io, size_t want);
static int hexval(int c);

void
pkt_init(struct pkt_io *io, const struct pkt_transport *t)
{
	memset(io, 0, sizeof(*io));
	io->t = *t;
}

/*
 * Make sure at least want bytes are buffered.  Returns 1 when they are,
 * 0 on EOF (fewer available), -1 on a transport error.
 */
static int
fill(struct pkt_io *io, size_t want)
{
	ssize_t n;

	if (io->in_end - io->in_start >= want)
		return 1;
	if (io->in_start > 0) {
		memmove(io->in, io->in + io->in_start, io->in_end - io->in_start);
		io->in_end -= io->in_start;
		io->in_start = 0;
	}
	while (io->in_end < want) {
		n = io->t.read(io->t.ctx, io->in + io->in_end,
		    sizeof(io->in) - io->in_end, io->err, sizeof(io->err));
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		io->in_end += (size_t)n;
		io->bytes_in += (uint64_t)n;
	}
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum pkt_status
pkt_read(struct pkt_io *io, char *buf, size_t *len)
{
	size_t plen = 0;
	int rc;

	*len = 0;
	buf[0] = '\0';
	if ((rc = fill(io, 4)) <= 0) {
		if (rc == 0 && io->in_end - io->in_start == 0)
			return PKT_EOF;
		if (rc == 0)
			snprintf(io->err, sizeof(io->err),
			    "unexpected end of stream in pkt-line length");
		return PKT_ERROR;
	}
	for (int i = 0; i < 4; i++) {
		int v = hexval(io->in[io->in_start + i]);
		if (v < 0) {
			char shown[5];
			for (int j = 0; j < 4; j++) {
				int c = io->in[io->in_start + j];
				shown[j] = c >= 0x20 && c < 0x7f ? (char)c : '?';
			}
			shown[4] = '\0';
			snprintf(io->err, sizeof(io->err),
			    "bad pkt-line length '%s': not hexadecimal", shown);
			return PKT_ERROR;
		}
		plen = plen * 16 + (size_t)v;
	}
	if (plen < 4) {
		io->in_start += 4;
		return plen == 0 ? PKT_FLUSH : plen == 1 ? PKT_DELIM :
		    plen == 2 ? PKT_END : (snprintf(io->err, sizeof(io->err),
		    "bad pkt-line length %zu", plen), PKT_ERROR);
	}
	if (plen > PKT_MAX) {
		snprintf(io->err, sizeof(io->err),
		    "bad pkt-line length %zu: longer than %d", plen, PKT_MAX);
		return PKT_ERROR;
	}
	if ((rc = fill(io, plen)) <= 0) {
		if (rc == 0)
			snprintf(io->err, sizeof(io->err), "unexpected end of"
			    " stream inside a %zu-byte pkt-line", plen);
		return PKT_ERROR;
	}
	*len = plen - 4;
	memcpy(buf, io->in + io->in_start + 4, *len);
	buf[*len] = '\0';
	io->in_start += plen;
	return PKT_DATA;
}

enum pkt_status
pkt_read_line(struct pkt_io *io, char *buf, size_t *len)
{
	enum pkt_status st = pkt_read(io, buf, len);

	if (st == PKT_DATA && *len > 0 && buf[*len - 1] == '\n')
		buf[--*len] = '\0';
	return st;
}

ssize_t
pkt_read_raw(struct pkt_io *io, void *buf, size_t len)
{
	size_t have;
	int rc;

	if (io->in_end == io->in_start) {
		if ((rc = fill(io, 1)) <= 0)
			return rc;
	}
	have = io->in_end - io->in_start;
	if (have > len)
		have = len;
	memcpy(buf, io->in + io->in_start, have);
	io->in_start += have;
	return (ssize_t)have;
}

int
pkt_send(struct pkt_io *io)
{
	if (io->out_len == 0)
		return 0;
	if (io->t.write(io->t.ctx, io->out, io->out_len, io->err,
	    sizeof(io->err)) == -1)
		return -1;
	io->out_len = 0;
	return 0;
}

int
pkt_write_raw(struct pkt_io *io, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t room = sizeof(io->out) - io->out_len, n;
		if (room == 0) {
			if (pkt_send(io) == -1)
				return -1;
			continue;
		}
		n = len < room ? len : room;
		memcpy(io->out + io->out_len, p, n);
		io->out_len += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* A packet whose payload is prefix (0 or 1 byte) followed by data. */
static int
pkt_write_prefixed(struct pkt_io *io, int prefix, const void *data, size_t len)
{
	char hdr[6];
	size_t plen = len + 4 + (prefix >= 0 ? 1 : 0);

	if (plen > PKT_MAX) {
		snprintf(io->err, sizeof(io->err), "pkt-line too long (%zu)", plen);
		return -1;
	}
	snprintf(hdr, sizeof(hdr), "%04zx", plen);
	if (prefix >= 0)
		hdr[4] = (char)prefix;
	if (pkt_write_raw(io, hdr, prefix >= 0 ? 5 : 4) == -1)
		return -1;
	return pkt_write_raw(io, data, len);
}

int
pkt_write(struct pkt_io *io, const void *data, size_t len)
{
	return pkt_write_prefixed(io, -1, data, len);
}

int
pkt_writef(struct pkt_io *io, const char *fmt, ...)
{
	char buf[PKT_DATA_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > PKT_DATA_MAX) {
		snprintf(io->err, sizeof(io->err), "pkt-line too long");
		return -1;
	}
	return pkt_write(io, buf, (size_t)n);
}

int
pkt_flush(struct pkt_io *io)
{
	return pkt_write_raw(io, "0000", 4);
}

int
pkt_band(struct pkt_io *io, int band, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t chunk = io->sideband > 0 ? (size_t)io->sideband : PKT_BAND_MAX;

	while (len > 0) {
		size_t n = len < chunk ? len : chunk;
		if (pkt_write_prefixed(io, band, p, n) == -1)
			return -1;
		p += n;
		len -= n;
	}
	return band == 1 ? 0 : pkt_send(io);
}

int
pkt_cap_has(const char *caps, const char *name, char *value, size_t vlen)
{
	size_t nlen = strlen(name);
	const char *p = caps;

	while (*p) {
		const char *end;
		while (*p == ' ')
			p++;
		end = p;
		while (*end && *end != ' ')
			end++;
		if ((size_t)(end - p) >= nlen && strncmp(p, name, nlen) == 0 &&
		    (p + nlen == end || p[nlen] == '=')) {
			if (value != NULL && vlen > 0) {
				size_t vl = p + nlen == end ? 0 :
				    (size_t)(end - p - (ptrdiff_t)nlen - 1);
				if (vl >= vlen)
					vl = vlen - 1;
				memcpy(value, p + nlen + (p + nlen == end ? 0 : 1), vl);
				value[vl] = '\0';
			}
			return 1;
		}
		p = end;
	}
	return 0;
}

int
pkt_cap_unknown(const char *asked, const char *advertised, char *tok,
    size_t toklen)
{
	const char *p = asked;

	while (*p) {
		size_t len = strcspn(p, " ");
		if (len > 0) {
			snprintf(tok, toklen, "%.*s", (int)strcspn(p, " ="), p);
			if (strcmp(tok, "agent") != 0 &&
			    strcmp(tok, "session-id") != 0 &&
			    !pkt_cap_has(advertised, tok, NULL, 0))
				return 1;
		}
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}
