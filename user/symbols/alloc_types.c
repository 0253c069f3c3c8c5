// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_types.h"
#include "dwarf_callsite.h"

const char *alloc_match_name(enum alloc_match m)
{
	switch (m) {
	case ALLOC_CALL_ARRAY:
		return "call-site-array";
	case ALLOC_CALL_SIZE:
		return "call-site";
	case ALLOC_CU_SIZE:
		return "cu-size";
	case ALLOC_SIZE:
		return "size";
	default:
		return "none";
	}
}

const char *alloc_match_confidence(enum alloc_match m)
{
	return m >= ALLOC_CALL_SIZE ? "high" : m == ALLOC_CU_SIZE ? "medium" : "low";
}

/* Which argument of an allocator is the size it returns (-1: not an allocator we know). */
static int size_arg(const char *callee)
{
	static const struct {
		const char *name;
		int arg;
	} fns[] = {
		{ "malloc", 0 }, { "_Znwm", 0 }, { "_Znam", 0 }, { "_ZnwmRKSt9nothrow_t", 0 },
		{ "realloc", 1 }, { "aligned_alloc", 1 }, { "memalign", 1 },
	};

	for (size_t i = 0; callee && i < sizeof(fns) / sizeof(fns[0]); i++)
		if (strcmp(callee, fns[i].name) == 0)
			return fns[i].arg;
	return -1;
}

/* Unions are not counted: a union's size says nothing of a reorderable layout. */
static bool candidate(const struct lt_type *t)
{
	return t->kind != LT_UNION && t->size > 0;
}

/*
 * The one type of unit cu (or of the whole binary when cu is UINT32_MAX)
 * whose size is `size`: its index, -1 when none, -2 when several.
 */
static int64_t unique_type(const struct dwarf_types *dt, uint32_t cu, uint64_t size)
{
	int64_t found = -1;

	if (cu == UINT32_MAX) {
		for (size_t i = 0; i < dt->ntypes; i++) {
			const struct lt_type *t = &dt->types[i];
			if (!candidate(t) || t->size != size)
				continue;
			if (found >= 0)
				return -2;
			found = (int64_t)i;
		}
		return found;
	}
	for (size_t k = 0; k < dt->ncu_types; k++) {
		const struct lt_type *t;
		if (dt->cu_types[k].cu != cu)
			continue;
		t = &dt->types[dt->cu_types[k].type];
		if (!candidate(t) || t->size != size)
			continue;
		if (found >= 0 && found != (int64_t)dt->cu_types[k].type)
			return -2;
		found = dt->cu_types[k].type;
	}
	return found;
}

/* The innermost frame of the site in the binary: the allocating call. */
static const struct mt_frame *frame_in(const struct mt_profile *prof, const struct mt_site *s, const bool *ours)
{
	for (uint32_t k = 0; k < s->nframes; k++) {
		int32_t m = s->frames[k].module;
		if (m >= 0 && (size_t)m < prof->nmodules && ours[m])
			return &s->frames[k];
	}
	return NULL;
}

static void match(const struct mt_profile *prof, const struct dwarf_types *dt, const bool *ours, bool innermost,
		  struct alloc_hits *hits, struct alloc_summary *sum);

int alloc_types_match(const struct mt_profile *prof, const struct dwarf_types *dt, struct alloc_hits *hits,
		      struct alloc_summary *sum)
{
	bool *ours, any = false;

	memset(hits, 0, dt->ntypes * sizeof(*hits));
	memset(sum, 0, sizeof(*sum));
	if (!dt->build_id[0])
		return -ENOENT;
	ours = calloc(prof->nmodules ? prof->nmodules : 1, sizeof(*ours));
	if (!ours)
		return -ENOMEM;
	for (size_t m = 0; m < prof->nmodules; m++) {
		ours[m] = prof->modules[m].build_id && strcmp(prof->modules[m].build_id, dt->build_id) == 0;
		any |= ours[m];
	}
	if (any)
		match(prof, dt, ours, false, hits, sum);
	free(ours);
	return any ? 0 : -ENOENT;
}

int alloc_types_match_innermost(const struct mt_profile *prof, const struct dwarf_types *dt, int32_t module,
				struct alloc_hits *hits, struct alloc_summary *sum)
{
	bool *ours;

	memset(hits, 0, dt->ntypes * sizeof(*hits));
	memset(sum, 0, sizeof(*sum));
	if (module < 0 || (size_t)module >= prof->nmodules)
		return -ENOENT;
	ours = calloc(prof->nmodules, sizeof(*ours));
	if (!ours)
		return -ENOMEM;
	ours[module] = true;
	match(prof, dt, ours, true, hits, sum);
	free(ours);
	return 0;
}

static void match(const struct mt_profile *prof, const struct dwarf_types *dt, const bool *ours, bool innermost,
		  struct alloc_hits *hits, struct alloc_summary *sum)
{
	for (size_t i = 0; i < prof->nsites; i++) {
		const struct mt_site *s = &prof->sites[i];
		const struct mt_frame *f = innermost ? (s->nframes && s->frames[0].module >= 0 &&
							(size_t)s->frames[0].module < prof->nmodules &&
							ours[s->frames[0].module] ? &s->frames[0] : NULL)
						     : frame_in(prof, s, ours);
		enum alloc_match how = ALLOC_NONE;
		uint64_t size, per_size, per;
		uint32_t cu = UINT32_MAX;
		const char *func;
		int64_t t = -1;

		sum->sites++;
		if (!f) {
			sum->other_binary++;
			continue;
		}
		if (!s->alloc_count || s->alloc_bytes % s->alloc_count) {
			sum->ambiguous++;
			continue;
		}
		size = s->alloc_bytes / s->alloc_count;
		per_size = size;
		if (dwarf_types_cu_at(dt, f->offset ? f->offset - 1 : 0, &cu, &func) == 0) {
			struct dwarf_call call;
			int arg;

			if (dwarf_callsite_at(dwarf_types_handle(dt), f->offset, &call) == 0) {
				arg = size_arg(call.callee);
				if (call.callee && strcmp(call.callee, "calloc") == 0 && call.known[1] && call.arg[1] &&
				    size % call.arg[1] == 0) {
					per_size = call.arg[1];
					how = ALLOC_CALL_ARRAY;
				} else if (arg >= 0 && call.known[arg] && call.arg[arg] == size) {
					how = ALLOC_CALL_SIZE;
				}
			}
			if (how != ALLOC_NONE)
				t = unique_type(dt, cu, per_size);
			if (how == ALLOC_NONE || t == -1) {
				per_size = size;
				how = ALLOC_CU_SIZE;
				t = unique_type(dt, cu, size);
			}
		}
		if (t == -1) {
			t = unique_type(dt, UINT32_MAX, size);
			how = ALLOC_SIZE;
		}
		if (t < 0) {
			if (t == -2)
				sum->ambiguous++;
			else
				sum->unmatched++;
			continue;
		}
		per = size / dt->types[t].size;
		sum->matched++;
		sum->by_call_site += how >= ALLOC_CALL_SIZE;
		hits[t].live_objects += s->inuse_count * per;
		hits[t].alloc_objects += s->alloc_count * per;
		hits[t].live_bytes += s->inuse_bytes;
		hits[t].alloc_bytes += s->alloc_bytes;
		if (!hits[t].sites || how < hits[t].weakest)
			hits[t].weakest = how;
		hits[t].sites++;
	}
}
