// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "symbolize.h"

static int32_t module_index(struct mt_profile *p, const struct resolved *r)
{
	struct mt_module *v;

	if (!r->module)
		return -1;
	for (size_t i = 0; i < p->nmodules; i++) {
		if (p->modules[i].start == r->map_start && strcmp(p->modules[i].path, r->module) == 0)
			return (int32_t)i;
	}
	v = realloc(p->modules, (p->nmodules + 1) * sizeof(*v));
	if (!v)
		return -1;
	p->modules = v;
	v[p->nmodules] = (struct mt_module){
		.path = profile_intern(p, r->module),
		.build_id = profile_intern(p, r->build_id),
		.start = r->map_start,
		.limit = r->map_end,
		.file_offset = r->map_offset,
	};
	return (int32_t)p->nmodules++;
}

int frames_symbolize(struct mt_profile *p, struct symbolizer *sym, const uint64_t *addrs, uint32_t n,
		     bool first_is_return, struct mt_frame **out)
{
	struct mt_frame *frames = calloc(n ? n : 1, sizeof(*frames));

	if (!frames)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct resolved r = { .offset = addrs[i] };

		if (addrs[i] == MT_TRUNCATED_ADDR) {
			frames[i] = (struct mt_frame){ .addr = addrs[i], .module = -1 };
			frames[i].function = profile_intern(p, MT_TRUNCATED_NAME);
			continue;
		}
		if (sym)
			symbolizer_resolve(sym, addrs[i], i > 0 || first_is_return, &r);
		frames[i].addr = addrs[i];
		frames[i].offset = r.offset;
		frames[i].function = profile_intern(p, r.function);
		frames[i].module = module_index(p, &r);
	}
	*out = frames;
	return 0;
}
