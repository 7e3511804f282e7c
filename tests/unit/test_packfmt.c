/*
 * test_packfmt.c - unit tests of the pack byte formats (gitd_packfmt.c:
 * entry headers, OFS distances, delta sizes and ops), the object link
 * parser (gitd_objrefs.c: gitlinks skipped, malformed objects refused) and
 * the id set (gitd_oidset.c).  Expected bytes are git's encodings.
 */
#include <stdlib.h>
#include <string.h>

#include "gitd/gitd_objrefs.h"
#include "gitd/gitd_oidset.h"
#include "gitd/gitd_packfmt.h"
#include "unit.h"

static void
test_heads(void)
{
	unsigned char buf[PACK_HEAD_MAX];
	struct pack_head h;
	const char *why = "";
	size_t n;

	/* blob of 100 bytes: 0xb4 0x06 (git's encoding) */
	n = packfmt_put_head(buf, PACK_BLOB, 100);
	CHECK(n == 2 && buf[0] == 0xb4 && buf[1] == 0x06);
	CHECK(packfmt_head(buf, n, &h, &why) == 1);
	CHECK(h.kind == PACK_BLOB && h.size == 100 && h.len == 2);
	CHECK(packfmt_head(buf, 1, &h, &why) == 0); /* needs more */
	/* OFS distances round-trip, including the +1 of each continuation */
	for (uint64_t ofs = 1; ofs < (1ULL << 40); ofs = ofs * 3 + 1) {
		size_t k = packfmt_put_head(buf, PACK_OFS_DELTA, 7);
		k += packfmt_put_ofs(buf + k, ofs);
		CHECK(packfmt_head(buf, k, &h, &why) == 1 && h.ofs == ofs &&
		    h.len == k);
	}
	n = packfmt_put_ofs(buf, 128);
	CHECK(n == 2 && buf[0] == 0x80 && buf[1] == 0x00);
	/* a size that never ends, an unknown type */
	memset(buf, 0xff, sizeof(buf));
	CHECK(packfmt_head(buf, sizeof(buf), &h, &why) == -1);
	buf[0] = 0x50; /* type 5 */
	CHECK(packfmt_head(buf, 1, &h, &why) == -1);
	/* REF_DELTA needs its 20 bytes */
	n = packfmt_put_head(buf, PACK_REF_DELTA, 3);
	CHECK(packfmt_head(buf, n + 19, &h, &why) == 0);
	CHECK(packfmt_head(buf, n + 20, &h, &why) == 1 && h.len == n + 20);
}

static void
test_delta(void)
{
	const unsigned char base[] = "hello, world";
	/* base 12, result 18: copy 0..5 ("hello"), insert " there", copy 5..12 */
	const unsigned char d[] = { 12, 18, 0x90, 5, 6, ' ', 't', 'h', 'e',
	    'r', 'e', 0x91, 5, 7 };
	const unsigned char bomb[] = { 0x80, 0x80, 0x04, 0x80, 0x80, 0x80, 0x80,
	    0x04, 0x80 };
	unsigned char out[32];
	uint64_t b, r;
	size_t used;
	const char *why = "";

	CHECK(packfmt_delta_sizes(d, sizeof(d), &b, &r, &used) == 1 &&
	    b == 12 && r == 18 && used == 2);
	CHECK(packfmt_delta_apply(base, 12, d, sizeof(d), out, 18, &why) == 0);
	CHECK(memcmp(out, "hello there, world", 18) == 0);
	/* wrong base size, short result, copy past the base, op 0 */
	CHECK(packfmt_delta_apply(base, 11, d, sizeof(d), out, 18, &why) == -1);
	CHECK(packfmt_delta_apply(base, 12, d, sizeof(d) - 1, out, 18, &why) ==
	    -1);
	{
		unsigned char past[] = { 12, 20, 0x91, 5, 20 };
		unsigned char zero[] = { 12, 1, 0 };
		CHECK(packfmt_delta_apply(base, 12, past, sizeof(past), out, 20,
		    &why) == -1);
		CHECK(packfmt_delta_apply(base, 12, zero, sizeof(zero), out, 1,
		    &why) == -1);
	}
	/* the sizes of a 1 GiB bomb are read from its first bytes alone */
	CHECK(packfmt_delta_sizes(bomb, sizeof(bomb), &b, &r, &used) == 1 &&
	    b == 65536 && r == 1ULL << 30);
	CHECK(packfmt_delta_sizes(bomb, 3, &b, &r, &used) == 0);
}

struct seen {
	int n, trees, blobs, commits;
	unsigned char last[OID_RAW];
};

static int
count(void *ctx, const unsigned char *id, int type)
{
	struct seen *s = ctx;

	s->n++;
	s->trees += type == PACK_TREE;
	s->blobs += type == PACK_BLOB;
	s->commits += type == PACK_COMMIT;
	memcpy(s->last, id, OID_RAW);
	return 0;
}

static size_t
tree_entry(unsigned char *p, const char *mode, const char *name,
    unsigned char fill)
{
	size_t n = (size_t)sprintf((char *)p, "%s %s", mode, name) + 1;

	memset(p + n, fill, OID_RAW);
	return n + OID_RAW;
}

static void
test_objrefs(void)
{
	const char *commit = "tree 0123456789abcdef0123456789abcdef01234567\n"
	    "parent 1111111111111111111111111111111111111111\n"
	    "parent 2222222222222222222222222222222222222222\n"
	    "author A <a@b> 1 +0000\n\nmsg\n";
	const char *tag = "object 3333333333333333333333333333333333333333\n"
	    "type tree\ntag t\ntagger A <a@b> 1 +0000\n\nmsg\n";
	unsigned char tree[256];
	size_t len = 0;
	struct seen s;
	const char *why = "";

	memset(&s, 0, sizeof(s));
	CHECK(objrefs_each(PACK_COMMIT, (const unsigned char *)commit,
	    strlen(commit), count, &s, &why) == 0);
	CHECK(s.n == 3 && s.trees == 1 && s.commits == 2 && s.last[0] == 0x22);
	memset(&s, 0, sizeof(s));
	CHECK(objrefs_each(PACK_TAG, (const unsigned char *)tag, strlen(tag),
	    count, &s, &why) == 0 && s.n == 1 && s.trees == 1);
	/* a tree: a file, a directory, a submodule (skipped), a symlink */
	len += tree_entry(tree + len, "100644", "a", 0xaa);
	len += tree_entry(tree + len, "40000", "d", 0xdd);
	len += tree_entry(tree + len, "160000", "sub", 0x55);
	len += tree_entry(tree + len, "120000", "l", 0x11);
	memset(&s, 0, sizeof(s));
	CHECK(objrefs_each(PACK_TREE, tree, len, count, &s, &why) == 0);
	CHECK(s.n == 3 && s.trees == 1 && s.blobs == 2 && s.last[0] == 0x11);
	/* truncated, a bad mode, an empty name, a commit without its tree */
	CHECK(objrefs_each(PACK_TREE, tree, len - 1, count, &s, &why) == -1);
	tree[0] = '9';
	CHECK(objrefs_each(PACK_TREE, tree, len, count, &s, &why) == -1);
	len = tree_entry(tree, "100644", "", 0xaa);
	CHECK(objrefs_each(PACK_TREE, tree, len, count, &s, &why) == -1);
	CHECK(objrefs_each(PACK_COMMIT, (const unsigned char *)"parent x\n", 9,
	    count, &s, &why) == -1);
	CHECK(objrefs_each(PACK_TAG, (const unsigned char *)tag, 60, count, &s,
	    &why) == -1); /* no tag line */
}

static void
test_oidset(void)
{
	struct oidset s;
	unsigned char id[OID_RAW];
	int ok = 1;

	oidset_init(&s);
	CHECK(oidset_find(&s, (const unsigned char *)"01234567890123456789") ==
	    NULL);
	/* ids that share their first 8 bytes still all go in and come out */
	memset(id, 7, sizeof(id));
	for (uint32_t i = 0; i < 5000; i++) {
		memcpy(id + 16, &i, 4);
		ok &= oidset_add(&s, id, i, NULL) == 1;
	}
	CHECK(ok && s.n == 5000);
	for (uint32_t i = 0; i < 5000; i++) {
		struct oidset_ent *e;
		memcpy(id + 16, &i, 4);
		e = oidset_find(&s, id);
		ok &= e != NULL && oidset_val(e) == i;
		ok &= oidset_add(&s, id, 0, NULL) == 0;
	}
	CHECK(ok);
	oidset_free(&s);
}

int
main(void)
{
	test_heads();
	test_delta();
	test_objrefs();
	test_oidset();
	return unit_done();
}
