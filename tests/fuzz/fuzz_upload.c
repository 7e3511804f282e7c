/* fuzz_upload.c - a whole upload-pack session: wants, capabilities,
 * negotiation (haves, done), pack generation.  The ids of the fuzzed
 * repository's commits change with every run, so an input names them as
 * 40 'N's (main) and 40 'O's (its parent): they are put in before the
 * session sees the bytes, and seeds can get past "not our ref". */
#include "tests/fuzz/fuzz_repo.h"

static void
put_ids(uint8_t *p, size_t len)
{
	for (size_t i = 0; i + GIT_OID_HEXSZ <= len; i++) {
		const char *id = p[i] == 'N' ? fuzz_new : p[i] == 'O' ? fuzz_old :
		    NULL;
		size_t k = 0;
		while (id != NULL && k < GIT_OID_HEXSZ && p[i + k] == p[i])
			k++;
		if (k == GIT_OID_HEXSZ) {
			memcpy(p + i, id, GIT_OID_HEXSZ);
			i += GIT_OID_HEXSZ - 1;
		}
	}
}

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
	uint8_t *copy = malloc(len ? len : 1);
	struct fuzz_in in = { copy, len, 0 };
	struct gitd_ctx g;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, len);
	put_ids(copy, len);
	fuzz_ctx(&g, &in);
	(void)gitd_upload_pack(&g);
	free(copy);
	return 0;
}
