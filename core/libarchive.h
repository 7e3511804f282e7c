/*
 * libarchive.h - libarchive, loaded on first use instead of linked.
 *
 * Every SSH connection and every chore pass starts the berth binary anew,
 * and a linked libarchive makes each start load its whole chain (libxml2,
 * ICU, libstdc++, nettle, lzma, zstd, lz4, bz2, acl: more than half of the
 * symbol relocations of a start) although only a few paths use it:
 * exporting a commit and packing or unpacking a release (deploy/archive.c),
 * copying the buildpacks (core/packs.c), an exported image's layers and
 * tar (export/oci_layer.c, export/export_tar.c).  So berth keeps
 * libarchive's headers for the types and constants, and each of those
 * paths fills this table with libarchive_load() before its first call and
 * passes it down.  dlopen counts references and nothing is closed, so the
 * library stays loaded for the rest of the process and a later load is a
 * cheap lookup.
 *
 * Test only: BERTH_TEST_LIBARCHIVE=NAME in the environment makes the
 * loader open NAME instead of libarchive.so.13
 * (tests/unit/test_libarchive.c points it at a missing library and at
 * one without libarchive's functions).
 */
#ifndef BERTH_LIBARCHIVE_H
#define BERTH_LIBARCHIVE_H

#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>

#define LIBARCHIVE_SONAME "libarchive.so.13"

/* The functions berth calls, named as in libarchive without the
 * "archive_", each of the type the header declares (the declaration is
 * not a link to it). */
#define LIBARCHIVE_FN(name) __typeof__(archive_##name) *name
struct libarchive {
	LIBARCHIVE_FN(error_string);
	/* reading an archive */
	LIBARCHIVE_FN(read_new);
	LIBARCHIVE_FN(read_support_filter_gzip);
	LIBARCHIVE_FN(read_support_format_tar);
	LIBARCHIVE_FN(read_open_filename);
	LIBARCHIVE_FN(read_next_header);
	LIBARCHIVE_FN(read_next_header2);
	LIBARCHIVE_FN(read_data_block);
	LIBARCHIVE_FN(read_free);
	/* reading a tree on disk */
	LIBARCHIVE_FN(read_disk_new);
	LIBARCHIVE_FN(read_disk_set_behavior);
	LIBARCHIVE_FN(read_disk_set_symlink_physical);
	LIBARCHIVE_FN(read_disk_set_standard_lookup);
	LIBARCHIVE_FN(read_disk_open);
	LIBARCHIVE_FN(read_disk_descend);
	/* writing an archive */
	LIBARCHIVE_FN(write_new);
	LIBARCHIVE_FN(write_add_filter_gzip);
	LIBARCHIVE_FN(write_set_format_pax_restricted);
	LIBARCHIVE_FN(write_set_bytes_in_last_block);
	LIBARCHIVE_FN(write_open_filename);
	LIBARCHIVE_FN(write_open2);
	LIBARCHIVE_FN(write_header);
	LIBARCHIVE_FN(write_data);
	LIBARCHIVE_FN(write_data_block);
	LIBARCHIVE_FN(write_finish_entry);
	LIBARCHIVE_FN(write_close);
	LIBARCHIVE_FN(write_free);
	/* writing to disk */
	LIBARCHIVE_FN(write_disk_new);
	LIBARCHIVE_FN(write_disk_set_options);
	/* entries */
	LIBARCHIVE_FN(entry_new);
	LIBARCHIVE_FN(entry_clear);
	LIBARCHIVE_FN(entry_free);
	LIBARCHIVE_FN(entry_pathname);
	LIBARCHIVE_FN(entry_sourcepath);
	LIBARCHIVE_FN(entry_filetype);
	LIBARCHIVE_FN(entry_perm);
	LIBARCHIVE_FN(entry_size);
	/* (these five only tests/unit/test_export.c calls: it reads a
	 * layer's owners and times back through this table) */
	LIBARCHIVE_FN(entry_mtime);
	LIBARCHIVE_FN(entry_uid);
	LIBARCHIVE_FN(entry_gid);
	LIBARCHIVE_FN(entry_uname);
	LIBARCHIVE_FN(entry_gname);
	LIBARCHIVE_FN(entry_set_pathname);
	LIBARCHIVE_FN(entry_set_filetype);
	LIBARCHIVE_FN(entry_set_perm);
	LIBARCHIVE_FN(entry_set_size);
	LIBARCHIVE_FN(entry_set_mtime);
	LIBARCHIVE_FN(entry_set_uid);
	LIBARCHIVE_FN(entry_set_gid);
	LIBARCHIVE_FN(entry_set_uname);
	LIBARCHIVE_FN(entry_set_gname);
	LIBARCHIVE_FN(entry_set_symlink);
};
#undef LIBARCHIVE_FN

/* Fill la with libarchive's functions, loading the library if this
 * process has not yet.  0, or -1 with err saying which library could not
 * be loaded or which function it lacks (la is then unusable). */
int libarchive_load(struct libarchive *la, char *err, size_t errlen);

#endif
