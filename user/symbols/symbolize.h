/* SPDX-License-Identifier: MIT */
/*
 * Turns a target's runtime addresses into function names and, where the
 * object has DWARF (dwarf_src.h), source lines and inlined frames; a Go
 * executable's Go code gets its line from Go's own table (go_lines.h),
 * stripped or not, and its C code (cgo) DWARF's.  Keeps the union of
 * every /proc/PID/maps snapshot taken (so code that was unmapped still
 * resolves), reads each object from the inode the process has mapped
 * (target_file.h; held open from the refresh that saw it, so it still
 * resolves after the process exits), never from the host's file of the same
 * name, says once on stderr when an object's names cannot be read, and
 * caches each ELF image by build-id (path + inode when there is none).
 */
#ifndef MEMTRACE_SYMBOLIZE_H
#define MEMTRACE_SYMBOLIZE_H

#include <stdint.h>
#include <sys/types.h>

#include "dwarf_src.h"
#include "procmaps.h"

struct symbolizer;

struct resolved {
	const char *function;   /* NULL when no symbol covers the address */
	const char *module;     /* mapping path, NULL when no file maps it */
	const char *build_id;   /* NULL when unknown */
	uint64_t offset;        /* ELF vaddr of addr inside module (module+offset form) */
	uint64_t map_start, map_end, map_offset; /* the mapping holding addr */
	/* Source frames from DWARF, innermost first: the inlined functions, then
	 * the one holding the code (function above names it too, from the
	 * symbol table); Go code's one frame from .gopclntab.  nsrc 0 when the
	 * object has no line information. */
	const struct src_frame *src;
	uint32_t nsrc;
};

struct symbolizer *symbolizer_new(pid_t pid);
void symbolizer_free(struct symbolizer *s);
/* The process whose addresses s names. */
pid_t symbolizer_pid(const struct symbolizer *s);
/* Takes a fresh maps snapshot; -ESRCH when the process is gone (old ones stay). */
int symbolizer_refresh(struct symbolizer *s);
/*
 * Resolves addr.  `is_return` marks a return address: the lookup then uses
 * addr - 1 so a call that ends its function is charged to the caller.
 * Strings stay valid until symbolizer_free().  Always fills *out.
 */
void symbolizer_resolve(struct symbolizer *s, uint64_t addr, int is_return, struct resolved *out);
/* The merged maps, for writers that list mappings. */
const struct maps *symbolizer_maps(const struct symbolizer *s);

#endif
