/*
 * gitd_oidset.c - see gitd_oidset.h.  Linear probing, grown at 3/4 full.
 */
#include "gitd/gitd_oidset.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static size_t
slot_of(const struct oidset *s, const unsigned char *id)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	h ^= s->key;
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	return (size_t)h & (s->cap - 1);
}

void
oidset_init(struct oidset *s)
{
	memset(s, 0, sizeof(*s));
	if (getrandom(&s->key, sizeof(s->key), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(s->key))
		s->key = (uint64_t)time(NULL) * 0x2545f4914f6cdd1dULL ^
		    (uint64_t)getpid();
}

void
oidset_free(struct oidset *s)
{
	free(s->v);
	s->v = NULL;
	s->cap = s->n = 0;
}

static int
grow(struct oidset *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 1024;
	struct oidset_ent *old = s->v, *nv;
	size_t ocap = s->cap;

	if (ncap < s->cap || (nv = calloc(ncap, sizeof(*nv))) == NULL)
		return -1;
	s->v = nv;
	s->cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		size_t j;
		if (old[i].val == 0)
			continue;
		for (j = slot_of(s, old[i].id); nv[j].val != 0;
		    j = (j + 1) & (ncap - 1))
			;
		nv[j] = old[i];
	}
	free(old);
	return 0;
}

int
oidset_add(struct oidset *s, const unsigned char *id, uint32_t val,
    uint32_t **slot)
{
	size_t j;

	if ((s->n + 1) * 4 > s->cap * 3 && grow(s) == -1)
		return -1;
	for (j = slot_of(s, id); s->v[j].val != 0; j = (j + 1) & (s->cap - 1))
		if (memcmp(s->v[j].id, id, OID_RAW) == 0) {
			if (slot != NULL)
				*slot = &s->v[j].val;
			return 0;
		}
	memcpy(s->v[j].id, id, OID_RAW);
	s->v[j].val = val + 1;
	s->n++;
	if (slot != NULL)
		*slot = &s->v[j].val;
	return 1;
}

struct oidset_ent *
oidset_find(const struct oidset *s, const unsigned char *id)
{
	if (s->cap == 0)
		return NULL;
	for (size_t j = slot_of(s, id); s->v[j].val != 0;
	    j = (j + 1) & (s->cap - 1))
		if (memcmp(s->v[j].id, id, OID_RAW) == 0)
			return &s->v[j];
	return NULL;
}
