/*
 * grow.h - the growable array: room for one more element in an array that
 * doubles when full (from `first` elements), with the count and the
 * capacity kept by the caller next to the pointer.
 *
 *	if (grow(&l->v, &l->cap, l->n, sizeof(*l->v), 16) == -1)
 *		return -1;
 *	l->v[l->n++] = x;
 */
#ifndef BERTH_GROW_H
#define BERTH_GROW_H

#include <stddef.h>

/* arrayp points at the array's pointer (any element type); n elements of
 * size bytes are in use.  When n has reached *cap, the array is reallocated
 * to twice *cap (first when it is 0) and *cap updated.  0, or -1 when out
 * of memory or the size would overflow (the array stays as it was). */
int grow(void *arrayp, size_t *cap, size_t n, size_t size, size_t first);

#endif
