/*
 * gitd_objrefs.c - see gitd_objrefs.h.  Mirrors what git's
 * parse_commit_buffer, parse_tag_buffer and decode_tree_entry accept.
 */
#include "gitd/gitd_objrefs.h"

#include <string.h>

#include "gitd/gitd_packfmt.h"

#define S_IFMT_GIT 0170000
#define S_IFDIR_GIT 0040000
#define S_IFGITLINK 0160000
#define MODE_DIGITS_MAX 7

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
objrefs_hex(const unsigned char *hex, unsigned char *raw)
{
	for (int i = 0; i < OID_RAW; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* "NAME <40 hex>\n" at *p: 1 and the id when it is there, 0 when the line
 * is another one, -1 when it is NAME but malformed. */
static int
id_line(const unsigned char **p, const unsigned char *end, const char *name,
    unsigned char *id)
{
	size_t n = strlen(name);

	if ((size_t)(end - *p) < n + 1 || memcmp(*p, name, n) != 0 ||
	    (*p)[n] != ' ')
		return 0;
	if ((size_t)(end - *p) < n + 2 + 2 * OID_RAW ||
	    objrefs_hex(*p + n + 1, id) == -1 || (*p)[n + 1 + 2 * OID_RAW] != '\n')
		return -1;
	*p += n + 2 + 2 * OID_RAW;
	return 1;
}

static int
commit_refs(const unsigned char *p, const unsigned char *end, objrefs_fn fn,
    void *ctx, const char **why)
{
	unsigned char id[OID_RAW];
	int r;

	if (id_line(&p, end, "tree", id) != 1) {
		*why = "commit without a valid tree line";
		return -1;
	}
	if ((r = fn(ctx, id, PACK_TREE)) != 0)
		return r;
	while ((r = id_line(&p, end, "parent", id)) == 1)
		if ((r = fn(ctx, id, PACK_COMMIT)) != 0)
			return r;
	if (r == -1) {
		*why = "commit with a bad parent line";
		return -1;
	}
	return 0;
}

static int
tag_type(const unsigned char **p, const unsigned char *end)
{
	static const char *const names[] = { "commit", "tree", "blob", "tag" };
	const unsigned char *nl;

	if (end - *p < 5 || memcmp(*p, "type ", 5) != 0 ||
	    (nl = memchr(*p + 5, '\n', (size_t)(end - *p - 5))) == NULL)
		return -1;
	for (int i = 0; i < 4; i++)
		if ((size_t)(nl - *p - 5) == strlen(names[i]) &&
		    memcmp(*p + 5, names[i], strlen(names[i])) == 0) {
			*p = nl + 1;
			return PACK_COMMIT + i;
		}
	return -1;
}

static int
tag_refs(const unsigned char *p, const unsigned char *end, objrefs_fn fn,
    void *ctx, const char **why)
{
	unsigned char id[OID_RAW];
	int type;

	if (id_line(&p, end, "object", id) != 1 ||
	    (type = tag_type(&p, end)) == -1 ||
	    end - p < 5 || memcmp(p, "tag ", 4) != 0) {
		*why = "tag without valid object, type and tag lines";
		return -1;
	}
	return fn(ctx, id, type);
}

static int
tree_refs(const unsigned char *p, const unsigned char *end, objrefs_fn fn,
    void *ctx, const char **why)
{
	while (p < end) {
		unsigned mode = 0;
		int digits = 0, r;
		const unsigned char *nul;
		while (p < end && *p != ' ') {
			if (*p < '0' || *p > '7' || ++digits > MODE_DIGITS_MAX) {
				*why = "malformed mode in tree entry";
				return -1;
			}
			mode = mode << 3 | (unsigned)(*p++ - '0');
		}
		if (p == end || digits == 0 || (nul = memchr(p + 1, '\0',
		    (size_t)(end - p - 1))) == NULL || nul == p + 1 ||
		    (size_t)(end - nul - 1) < OID_RAW) {
			*why = "malformed tree entry";
			return -1;
		}
		p = nul + 1 + OID_RAW;
		if ((mode & S_IFMT_GIT) == S_IFGITLINK)
			continue; /* a submodule's commit: not ours to have */
		r = fn(ctx, nul + 1, (mode & S_IFMT_GIT) == S_IFDIR_GIT ?
		    PACK_TREE : PACK_BLOB);
		if (r != 0)
			return r;
	}
	return 0;
}

int
objrefs_each(int kind, const unsigned char *data, size_t len, objrefs_fn fn,
    void *ctx, const char **why)
{
	switch (kind) {
	case PACK_COMMIT:
		return commit_refs(data, data + len, fn, ctx, why);
	case PACK_TREE:
		return tree_refs(data, data + len, fn, ctx, why);
	case PACK_TAG:
		return tag_refs(data, data + len, fn, ctx, why);
	default:
		return 0;
	}
}
