/* fuzz_receive.c - a whole receive-pack session: command list, push
 * options, pack stream (indexer, quarantine), checks and report. */
#include "tests/fuzz/fuzz_repo.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_repo_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_in in = { data, len, 0 };
	struct gitd_ctx g;

	fuzz_ctx(&g, &in);
	(void)gitd_receive_pack(&g);
	return 0;
}
