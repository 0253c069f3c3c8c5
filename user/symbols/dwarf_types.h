/* SPDX-License-Identifier: MIT */
/*
 * The struct, union and class types of one ELF file's DWARF (libdw), as
 * layout.h's plain data: for each named, defined type its size, alignment
 * and data members (offsets, bit-fields, C declarations).
 *
 * The file is hostile input: it is opened through target_file.h (a regular
 * file, size-capped), libdw checks every read against the section bounds,
 * and this reader bounds what libdw does not: type chains are followed at
 * most DWARF_TYPES_MAX_DEPTH deep (a typedef loop ends there), sizes and
 * offsets past LT_MAX_SIZE refuse the type, and every type refused or
 * skipped is counted in the result, never dropped silently.
 *
 * A type defined in several compile units with the same kind, name and
 * size is listed once (the first); types of the same name and another
 * size are all listed.  Anonymous types are not listed (they are members
 * of named ones).  Static members and virtual bases are not data members
 * here (virtual bases make the type's suggestion refused).
 */
#ifndef MEMTRACE_DWARF_TYPES_H
#define MEMTRACE_DWARF_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#define DWARF_TYPES_MAX_DEPTH 32

struct dwarf_types {
	struct lt_type *types;
	size_t ntypes, cap;
	char build_id[41];       /* of the file read, "" when it has none */
	const char *debug_path;  /* the separate debug file read, or NULL */
	uint32_t ncus;
	/* Every definition, duplicates too: which unit defines which listed type,
	 * sorted by unit (a unit's types are one run). */
	struct dwarf_cu_type {
		uint32_t cu, type; /* type: index in types */
	} *cu_types;
	size_t ncu_types, cu_types_cap;
	uint64_t duplicates;     /* definitions skipped as already listed */
	uint64_t refused;        /* types left out: sizes out of range, too deep, unreadable */
	struct strpool *strings; /* owns every string above */
	void *priv;              /* libdw state, for dwarf_types_cu_at */
};

/*
 * Reads path's DWARF, or when it has none the debug file named by its
 * build-id under /usr/lib/debug/.build-id (accepted only when that file's
 * build-id matches).  0; -ENODATA when neither has DWARF; target_file's
 * errors for the file itself; -ENOMEM.  Reports nothing: callers say what
 * failed (dwarf_types_strerror).
 */
int dwarf_types_load(const char *path, struct dwarf_types **out);
/* The same for path resolved inside root (target_file_open's; NULL: as given). */
int dwarf_types_load_at(const char *root, const char *path, struct dwarf_types **out);
void dwarf_types_free(struct dwarf_types *dt);
const char *dwarf_types_strerror(int err);

/*
 * The compile unit (index as in lt_type.cu) whose code holds vaddr (an
 * address of the ELF image, as mt_frame.offset), and the name of the
 * function there into *func (NULL when none); -ENOENT when no unit does.
 */
int dwarf_types_cu_at(const struct dwarf_types *dt, uint64_t vaddr, uint32_t *cu, const char **func);

/* The libdw handle (a Dwarf *) of the file read, open until dwarf_types_free. */
void *dwarf_types_handle(const struct dwarf_types *dt);

#endif
