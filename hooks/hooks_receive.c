/*
 * hooks_receive.c - the entry point of the deploy pipeline, called by gitd
 * between "pack received and checked" and "refs moved".
 *
 * For now this is the seam only: it accepts every update.  The deploy
 * (checkout, build, release, swap, rollback) plugs in here: it will run when
 * an update touches the app's deploy branch and set reject on failure.
 */
#include "hooks/hooks.h"

void
hooks_receive(struct hook_push *push)
{
	(void)push;
}
