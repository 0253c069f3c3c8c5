/* SPDX-License-Identifier: MIT */
/*
 * Finding an object's separate debug file.  What a caller may rely on: an
 * fd returned is a regular file opened through target_file.h whose GNU
 * build-id is the object's (a path is no proof: a file of that name that is
 * another build is skipped); the target's root is searched before the host.
 */
#ifndef MEMTRACE_DEBUG_FILE_H
#define MEMTRACE_DEBUG_FILE_H

#include <stddef.h>

/*
 * Opens the debug file of the object whose build-id is build_id (lowercase
 * hex), under /usr/lib/debug/.build-id in root (NULL or "": memtrace's own
 * files), then on the host.  Returns the fd (the caller's) and the path it
 * was found at in path (size len), or -ENOENT.
 */
int debug_file_open(const char *root, const char *build_id, char *path, size_t len);

/* The GNU build-id of the ELF file open at fd as lowercase hex; -ENOENT if none. */
int debug_file_build_id(int fd, char out[41]);

#endif
