/*
 * test_grow.c - unit tests of core/grow.c: the array doubles from `first`
 * only when full, keeps what it held, and a size that would overflow is
 * refused with the array left as it was.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/grow.h"
#include "unit.h"

int
main(void)
{
	int *v = NULL;
	size_t n = 0, cap = 0;
	int ok = 1;

	for (int i = 0; i < 1000; i++) {
		if (grow(&v, &cap, n, sizeof(*v), 4) == -1) {
			ok = 0;
			break;
		}
		v[n++] = i;
	}
	CHECK(ok && n == 1000 && cap == 1024);
	for (size_t i = 0; ok && i < n; i++)
		ok = v[i] == (int)i;
	CHECK(ok);
	CHECK(grow(&v, &cap, 1000, sizeof(*v), 4) == 0 && cap == 1024);
	/* doubling past SIZE_MAX bytes: refused, nothing lost */
	cap = SIZE_MAX / 2 + 1;
	CHECK(grow(&v, &cap, cap, 1, 4) == -1 && cap == SIZE_MAX / 2 + 1);
	CHECK(grow(&v, &cap, cap, 16, 4) == -1 && v != NULL && v[999] == 999);
	free(v);
	return unit_done();
}
