/* SPDX-License-Identifier: MIT */
/*
 * Which type each allocation site of a heap profile allocates, from the
 * binary's DWARF.  The site's innermost frame in the binary (matched by
 * build-id) is the return address of the allocating call; its request
 * size is the site's bytes over its count (when they divide evenly; else
 * the site is ambiguous).  In order:
 *
 *  - "call-site-array", high: the call's DWARF (dwarf_callsite.h) says
 *    calloc with a constant element size, and exactly one type of the
 *    caller's compile unit has that size: size / element objects each;
 *  - "call-site", high: the call's DWARF says malloc, operator new (C++
 *    `new T`), realloc or aligned_alloc with a constant size equal to the
 *    request, and exactly one type of the unit has it;
 *  - "cu-size", medium: without that evidence, exactly one type of the
 *    unit has the request size;
 *  - "size", low: exactly one type of the whole binary has it.
 *
 * A size is never guessed as an array of a type without a call site that
 * says so.  DWARF never names the allocated type itself (gcc emits no heap
 * allocation site attribute), hence "exactly one type of that size".
 * Unions are not candidates.  Every site is counted in one of the
 * summary's buckets; none is dropped.
 */
#ifndef MEMTRACE_ALLOC_TYPES_H
#define MEMTRACE_ALLOC_TYPES_H

#include <stdint.h>

#include "dwarf_types.h"
#include "profile.h"

/* From the least to the most confident. */
enum alloc_match { ALLOC_NONE, ALLOC_SIZE, ALLOC_CU_SIZE, ALLOC_CALL_SIZE, ALLOC_CALL_ARRAY };

/* Per type (index as in dwarf_types.types). */
struct alloc_hits {
	uint64_t live_objects, alloc_objects;
	uint64_t live_bytes, alloc_bytes; /* of the sites matched, as the profile counts them */
	uint32_t sites;
	enum alloc_match weakest;         /* the least confident match among its sites */
};

struct alloc_summary {
	uint64_t sites;          /* in the profile */
	uint64_t matched;
	uint64_t by_call_site;   /* of which the call's DWARF gave the size */
	uint64_t ambiguous;      /* several types fit, or the sizes vary */
	uint64_t unmatched;      /* in the binary, but no type fits */
	uint64_t other_binary;   /* no frame in the binary */
};

/*
 * Fills hits[0 .. dt->ntypes) (zeroed first) and *sum.  -ENOENT when no
 * module of the profile has the binary's build-id (or the binary has none);
 * -ENOMEM.
 */
int alloc_types_match(const struct mt_profile *prof, const struct dwarf_types *dt, struct alloc_hits *hits,
		      struct alloc_summary *sum);
/*
 * The same for the object prof->modules[module] (dt read from it), counting
 * only sites whose innermost frame is in it (the others are other_binary):
 * with one call per object of a process, each site is counted by exactly
 * one object.
 */
int alloc_types_match_innermost(const struct mt_profile *prof, const struct dwarf_types *dt, int32_t module,
				struct alloc_hits *hits, struct alloc_summary *sum);

const char *alloc_match_name(enum alloc_match m);
const char *alloc_match_confidence(enum alloc_match m);

#endif
