/* SPDX-License-Identifier: MIT */
/*
 * Finding an object's separate debug file, in gdb's order: the build-id
 * directory, then the .gnu_debuglink name next to the object, in its
 * .debug/ directory and under /usr/lib/debug, then debuginfod.
 *
 * What a caller may rely on, for an fd returned: a regular file opened
 * through target_file.h, inside the target's root first and on the host
 * second, and proven to be the object's: its GNU build-id is the object's
 * (build-id directory, debuginfod) or its CRC32 is the debuglink's (a name
 * is no proof: a file of that name that does not match is skipped).
 * debuginfod is asked only when DEBUGINFOD_URLS is set and not empty, once
 * per build-id per process, with a line on stderr saying so; its timeout is
 * DEBUGINFOD_TIMEOUT, 10 s when unset; files come from its cache when there.
 */
#ifndef MEMTRACE_DEBUG_FILE_H
#define MEMTRACE_DEBUG_FILE_H

#include <stddef.h>
#include <stdint.h>

struct debug_want {
	const char *root;      /* the target's root ("/proc/42/root"); NULL or "": memtrace's own */
	const char *object;    /* the object's path inside root (for debuglink's directories), or NULL */
	const char *build_id;  /* lowercase hex, NULL or "" when none */
	const char *debuglink; /* .gnu_debuglink's name, NULL when none */
	uint32_t crc;          /* .gnu_debuglink's CRC32 */
};

/* Where debug_file_find found the file. */
enum debug_source {
	DEBUG_BUILD_ID,
	DEBUG_LINK,
	DEBUG_DEBUGINFOD,
};

/*
 * Opens the debug file of w's object, in the order above.  Returns the fd
 * (the caller's), its path in path (size len) and how it was found in *src;
 * -ENOENT when there is none.
 */
int debug_file_find(const struct debug_want *w, char *path, size_t len, enum debug_source *src);

/* The GNU build-id of the ELF file open at fd as lowercase hex; -ENOENT if none. */
int debug_file_build_id(int fd, char out[41]);

#endif
