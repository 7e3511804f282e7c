/* fuzz_pktline.c - the pkt-line reader, raw reads after it, cap lookup. */
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct pkt_io io;
	static char buf[PKT_DATA_MAX + 1];
	struct fuzz_in in = { data, len, 0 };
	struct pkt_transport t = { fuzz_read, fuzz_write, &in };
	size_t n;
	char raw[512], v[64];

	pkt_init(&io, &t);
	for (int i = 0; i < 1000; i++) {
		enum pkt_status st = pkt_read_line(&io, buf, &n);
		if (st == PKT_DATA)
			(void)pkt_cap_has(buf, "side-band-64k", v, sizeof(v));
		if (st == PKT_ERROR || st == PKT_EOF)
			break;
		if (st == PKT_FLUSH && pkt_read_raw(&io, raw, sizeof(raw)) <= 0)
			break;
	}
	return 0;
}
