/*
 * libarchive.c - dlopen of libarchive and the lookup of the functions
 * berth calls (see libarchive.h for why it is not linked).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/libarchive.h"

#define SYM(name) { "archive_" #name, offsetof(struct libarchive, name) }
static const struct {
	const char *sym;
	size_t off;
} syms[] = {
	SYM(error_string),
	SYM(read_new),
	SYM(read_support_filter_gzip),
	SYM(read_support_format_tar),
	SYM(read_open_filename),
	SYM(read_next_header),
	SYM(read_next_header2),
	SYM(read_data_block),
	SYM(read_free),
	SYM(read_disk_new),
	SYM(read_disk_set_behavior),
	SYM(read_disk_set_symlink_physical),
	SYM(read_disk_set_standard_lookup),
	SYM(read_disk_open),
	SYM(read_disk_descend),
	SYM(write_new),
	SYM(write_add_filter_gzip),
	SYM(write_set_format_pax_restricted),
	SYM(write_set_bytes_in_last_block),
	SYM(write_open_filename),
	SYM(write_open2),
	SYM(write_header),
	SYM(write_data),
	SYM(write_data_block),
	SYM(write_finish_entry),
	SYM(write_close),
	SYM(write_free),
	SYM(write_disk_new),
	SYM(write_disk_set_options),
	SYM(entry_new),
	SYM(entry_clear),
	SYM(entry_free),
	SYM(entry_pathname),
	SYM(entry_sourcepath),
	SYM(entry_filetype),
	SYM(entry_perm),
	SYM(entry_size),
	SYM(entry_mtime),
	SYM(entry_uid),
	SYM(entry_gid),
	SYM(entry_uname),
	SYM(entry_gname),
	SYM(entry_set_pathname),
	SYM(entry_set_filetype),
	SYM(entry_set_perm),
	SYM(entry_set_size),
	SYM(entry_set_mtime),
	SYM(entry_set_uid),
	SYM(entry_set_gid),
	SYM(entry_set_uname),
	SYM(entry_set_gname),
	SYM(entry_set_symlink),
};
#undef SYM

int
libarchive_load(struct libarchive *la, char *err, size_t errlen)
{
	const char *name = getenv("BERTH_TEST_LIBARCHIVE");
	const char *why;
	void *h, *fn;

	if (name == NULL || *name == '\0')
		name = LIBARCHIVE_SONAME;
	/* RTLD_NOW: a library that lacks a symbol fails here, not mid-call */
	if ((h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errlen, "cannot load '%s' (the archive library;"
		    " install libarchive13): %s", name,
		    why ? why : "unknown error");
		return -1;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((fn = dlsym(h, syms[i].sym)) == NULL) {
			snprintf(err, errlen, "'%s' has no function '%s'", name,
			    syms[i].sym);
			memset(la, 0, sizeof(*la));
			(void)dlclose(h); /* not libarchive: nothing of it is in use */
			return -1;
		}
		/* POSIX: a function's address converts to and from void * */
		memcpy((char *)la + syms[i].off, &fn, sizeof(fn));
	}
	return 0;
}
