/*
 * libarchive.c - dlopen of libarchive and the lookup of the functions
 * berth calls (see libarchive.h for why it is not linked).
 */
#include "core/dlib.h"
#include "core/libarchive.h"

#define SYM(name) { "archive_" #name, offsetof(struct libarchive, name) }
static const struct dlib_sym syms[] = {
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
	static const struct dlib lib = { LIBARCHIVE_SONAME,
	    "BERTH_TEST_LIBARCHIVE", "the archive library", "libarchive13" };

	return dlib_load(&lib, syms, sizeof(syms) / sizeof(syms[0]), la,
	    sizeof(*la), err, errlen);
}
