/* SPDX-License-Identifier: MIT */
/*
 * The "layout savings" of a trace (memtrace --layout): per struct type the
 * heap holds, what reordering its members (layout.h) would save of the
 * live heap and of the allocation volume.  Plain data, owned by the
 * profile that points to it (mt_profile.layout).
 */
#ifndef MEMTRACE_LAYOUT_SAVINGS_H
#define MEMTRACE_LAYOUT_SAVINGS_H

#include <stddef.h>
#include <stdint.h>

struct mt_layout_saving {
	char *type;              /* "struct order" */
	char *module;            /* the object whose DWARF defines it */
	uint64_t size, new_size; /* per object, now and reordered */
	uint64_t live_count, live_bytes, live_saving;
	uint64_t alloc_count, alloc_bytes, alloc_saving;
	uint32_t sites;
	const char *match, *confidence; /* static strings (alloc_types.h) */
};

struct mt_layout_savings {
	struct mt_layout_saving *rows; /* largest live saving first, then allocation saving */
	size_t n, cap;
	uint64_t sites, sites_matched, sites_ambiguous, sites_unmatched;
	uint64_t modules_read;        /* objects whose DWARF was read */
	uint64_t modules_no_dwarf;    /* objects with neither DWARF nor a debug file */
	uint64_t modules_unreadable;  /* missing, replaced (build-id differs) or refused */
};

/* Sorts rows as above. */
void layout_savings_sort(struct mt_layout_savings *ls);
/* Total live bytes the rows would save. */
uint64_t layout_savings_live_total(const struct mt_layout_savings *ls);
void layout_savings_free(struct mt_layout_savings *ls);

#endif
