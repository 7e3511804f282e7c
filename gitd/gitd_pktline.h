/*
 * gitd_pktline.h - git's pkt-line framing (gitprotocol-common) and side-band
 * multiplexing (gitprotocol-pack "side-band") over any byte stream.
 *
 * A pkt_io wraps a transport (the SSH channel in production, memory in the
 * unit tests and fuzzers) with a read buffer and a write buffer.  Reads are
 * bounds-checked: a length that is not four hex digits, below 4 (other than
 * the special packets) or above PKT_MAX is a protocol error that names the
 * problem; nothing is ever read past PKT_MAX.  Writes are buffered and sent at
 * the protocol's turn points with pkt_send().
 */
#ifndef BERTH_GITD_PKTLINE_H
#define BERTH_GITD_PKTLINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PKT_MAX 65520                /* whole packet, length header included */
#define PKT_DATA_MAX (PKT_MAX - 4)   /* 65516 payload bytes */
#define PKT_BAND_MAX (PKT_DATA_MAX - 1) /* side-band data per packet */
#define PKT_IOBUF 65536

enum pkt_status {
	PKT_ERROR = -1, /* transport error or malformed packet: see io->err */
	PKT_EOF = 0,    /* clean end of stream before a packet started */
	PKT_DATA,       /* a data packet */
	PKT_FLUSH,      /* 0000 */
	PKT_DELIM,      /* 0001 (protocol v2) */
	PKT_END,        /* 0002 (protocol v2) */
};

struct pkt_transport {
	/* >0 bytes read, 0 at end of stream, -1 on error (set err). */
	ssize_t (*read)(void *ctx, void *buf, size_t len, char *err, size_t errlen);
	/* 0 when all len bytes were written, -1 on error (set err). */
	int (*write)(void *ctx, const void *buf, size_t len, char *err, size_t errlen);
	void *ctx;
};

struct pkt_io {
	struct pkt_transport t;
	unsigned char in[PKT_IOBUF];
	size_t in_start, in_end;
	unsigned char out[PKT_IOBUF];
	size_t out_len;
	int sideband;          /* 0 none, else the band-1 chunk size for pkt_band */
	uint64_t bytes_in;     /* everything consumed from the transport */
	char err[256];
};

void pkt_init(struct pkt_io *io, const struct pkt_transport *t);

/*
 * Read one packet.  For PKT_DATA, the payload is copied to buf (which must
 * hold PKT_DATA_MAX + 1 bytes), NUL-terminated, and its length stored in
 * *len (the NUL is not counted; payloads may contain NULs).
 */
enum pkt_status pkt_read(struct pkt_io *io, char *buf, size_t *len);

/* Like pkt_read, then strips one trailing LF from a data packet. */
enum pkt_status pkt_read_line(struct pkt_io *io, char *buf, size_t *len);

/* Raw bytes after the pkt-lines (the pack): >0, 0 at EOF, -1 on error. */
ssize_t pkt_read_raw(struct pkt_io *io, void *buf, size_t len);

/* Buffered writers; each returns 0 or -1 (transport error in io->err). */
int pkt_write(struct pkt_io *io, const void *data, size_t len);
int pkt_writef(struct pkt_io *io, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int pkt_flush(struct pkt_io *io);
/* Send what is buffered to the transport. */
int pkt_send(struct pkt_io *io);
/* Raw bytes (a pack without side-band). */
int pkt_write_raw(struct pkt_io *io, const void *data, size_t len);

/*
 * Side-band: data for band 1/2/3, split into packets of at most
 * PKT_BAND_MAX bytes.  Band 2 and 3 are sent at once (progress should reach
 * the pusher as it happens).
 */
int pkt_band(struct pkt_io *io, int band, const void *data, size_t len);

/* Find a capability in a space-separated list: 1 if present.  If value is
 * non-NULL and the capability has the form name=value, the value is copied. */
int pkt_cap_has(const char *caps, const char *name, char *value, size_t vlen);

/* 1 when `asked` (a client's capability list) has a capability that is not
 * in `advertised` (agent= and session-id= are always allowed); its name is
 * copied to tok. */
int pkt_cap_unknown(const char *asked, const char *advertised, char *tok,
    size_t toklen);

#endif
