// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_types.h"
#include "dwarf_types.h"
#include "grow.h"
#include "heap_layout.h"
#include "layout.h"

static int add_rows(struct mt_layout_savings *ls, const struct dwarf_types *dt, const struct alloc_hits *hits,
		    const char *module)
{
	for (size_t i = 0; i < dt->ntypes; i++) {
		const struct lt_type *t = &dt->types[i];
		struct lt_suggestion s;
		struct mt_layout_saving *r;
		uint64_t saving;
		char name[4200];

		if (!hits[i].sites)
			continue;
		if (layout_reorder(t, &s))
			return -ENOMEM;
		saving = layout_saving(t, &s);
		layout_suggestion_free(&s);
		if (!saving)
			continue;
		if (grow((void **)&ls->rows, &ls->cap, ls->n, sizeof(*ls->rows), 16))
			return -ENOMEM;
		r = &ls->rows[ls->n];
		if (t->typedef_name)
			snprintf(name, sizeof(name), "%s", t->name);
		else
			snprintf(name, sizeof(name), "%s %s", layout_kind_name(t->kind), t->name);
		*r = (struct mt_layout_saving){
			.type = strdup(name),
			.module = strdup(module),
			.size = t->size,
			.new_size = t->size - saving,
			.live_count = hits[i].live_objects,
			.live_bytes = hits[i].live_bytes,
			.live_saving = hits[i].live_objects * saving,
			.alloc_count = hits[i].alloc_objects,
			.alloc_bytes = hits[i].alloc_bytes,
			.alloc_saving = hits[i].alloc_objects * saving,
			.sites = hits[i].sites,
			.match = alloc_match_name(hits[i].weakest),
			.confidence = alloc_match_confidence(hits[i].weakest),
		};
		if (!r->type || !r->module) {
			free(r->type);
			free(r->module);
			return -ENOMEM;
		}
		ls->n++;
	}
	return 0;
}

/* Whether some site's innermost frame is in module m: only those objects are read. */
static bool allocates(const struct mt_profile *p, size_t m)
{
	for (size_t i = 0; i < p->nsites; i++)
		if (p->sites[i].nframes && p->sites[i].frames[0].module == (int32_t)m)
			return true;
	return false;
}

int heap_layout_compute(const struct mt_profile *p, pid_t pid, struct mt_layout_savings **out)
{
	struct mt_layout_savings *ls = calloc(1, sizeof(*ls));
	char root[64] = "";
	int err = 0;

	*out = NULL;
	if (!ls)
		return -ENOMEM;
	if (pid > 0 && kill(pid, 0) == 0)
		snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	ls->sites = p->nsites;
	for (size_t m = 0; m < p->nmodules && !err; m++) {
		const struct mt_module *mod = &p->modules[m];
		struct dwarf_types *dt = NULL;
		struct alloc_hits *hits;
		struct alloc_summary sum;

		if (!mod->path || mod->path[0] != '/' || !allocates(p, m))
			continue;
		err = dwarf_types_load_at(root[0] ? root : NULL, mod->path, &dt);
		if (err) {
			if (err == -ENODATA)
				ls->modules_no_dwarf++;
			else if (err != -ENOMEM)
				ls->modules_unreadable++;
			err = err == -ENOMEM ? err : 0;
			continue;
		}
		/* The file now at that path must be the object the trace saw. */
		if (!mod->build_id || strcmp(mod->build_id, dt->build_id)) {
			ls->modules_unreadable++;
			dwarf_types_free(dt);
			continue;
		}
		ls->modules_read++;
		hits = calloc(dt->ntypes ? dt->ntypes : 1, sizeof(*hits));
		err = hits ? alloc_types_match_innermost(p, dt, (int32_t)m, hits, &sum) : -ENOMEM;
		if (!err) {
			ls->sites_matched += sum.matched;
			ls->sites_ambiguous += sum.ambiguous;
			ls->sites_unmatched += sum.unmatched;
			err = add_rows(ls, dt, hits, mod->path);
		}
		free(hits);
		dwarf_types_free(dt);
	}
	if (err) {
		layout_savings_free(ls);
		return err;
	}
	layout_savings_sort(ls);
	*out = ls;
	return 0;
}
