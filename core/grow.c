/*
 * grow.c - see grow.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/grow.h"

int
grow(void *arrayp, size_t *cap, size_t n, size_t size, size_t first)
{
	void *a, *na;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : first;
	if (ncap <= *cap || ncap > SIZE_MAX / size)
		return -1;
	memcpy(&a, arrayp, sizeof(a));
	if ((na = realloc(a, ncap * size)) == NULL)
		return -1;
	memcpy(arrayp, &na, sizeof(na));
	*cap = ncap;
	return 0;
}
