// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "go_stack_switch.h"
#include "grow.h"
#include "python_frame.h"
#include "symbolize.h"

static int32_t module_index(struct mt_profile *p, const struct resolved *r)
{
	const char *path;
	struct mt_module *v;

	if (!r->module)
		return -1;
	/* The profile's copy, found by address: equal paths are the same pointer. */
	path = profile_intern_stable(p, r->module);
	for (size_t i = 0; i < p->nmodules; i++) {
		if (p->modules[i].start == r->map_start && p->modules[i].path == path)
			return (int32_t)i;
	}
	v = realloc(p->modules, (p->nmodules + 1) * sizeof(*v));
	if (!v)
		return -1;
	p->modules = v;
	v[p->nmodules] = (struct mt_module){
		.path = path,
		.build_id = profile_intern(p, r->build_id),
		.start = r->map_start,
		.limit = r->map_end,
		.file_offset = r->map_offset,
	};
	return (int32_t)p->nmodules++;
}

/* One source frame of r at addr: the function's own when it is the last. */
static void src_frame(struct mt_profile *p, const struct resolved *r, uint32_t k, struct mt_frame *f)
{
	const struct src_frame *src = &r->src[k];
	bool last = k + 1 == r->nsrc;

	/* The symbol table names the code's own function as people look it up
	 * (demangled with its class and arguments); DWARF names the inlined ones. */
	f->function = profile_intern_stable(p, last && r->function ? r->function : src->function);
	f->file = profile_intern_stable(p, src->file);
	f->line = src->line;
	f->fn_line = src->fn_line;
	f->inlined = !last;
}

/* A Python frame (python_frame.h): "py:qualname" at its file and line,
 * "py:?" when its code object cannot be read. */
static void python_symbolize(struct mt_profile *p, struct symbolizer *sym, uint64_t addr, struct mt_frame *f)
{
	struct python_frame pf;
	char name[sizeof(pf.qualname) + 4];

	*f = (struct mt_frame){ .addr = addr, .module = -1 };
	if (!sym || python_frame_read(symbolizer_pid(sym), addr, &pf)) {
		f->function = profile_intern(p, "py:?");
		return;
	}
	snprintf(name, sizeof(name), "py:%s", pf.qualname);
	f->function = profile_intern(p, name);
	f->file = profile_intern(p, pf.file);
	f->line = pf.line;
}

int frames_symbolize(struct mt_profile *p, struct symbolizer *sym, const uint64_t *addrs, uint32_t n,
		     bool first_is_return, struct mt_frame **out, uint32_t *nout)
{
	struct mt_frame *frames = NULL;
	size_t cap = 0, k = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct resolved r = { .offset = addrs[i] };
		bool truncated = addrs[i] == MT_TRUNCATED_ADDR, pool = frame_is_pymalloc(addrs[i]);
		bool exec = addrs[i] == MT_EXEC_ADDR;
		bool py = frame_is_python(addrs[i]);
		uint32_t nsrc;
		int32_t module;

		if (sym && !truncated && !pool && !py && !exec)
			symbolizer_resolve(sym, addrs[i], i > 0 || first_is_return, &r);
		nsrc = r.nsrc ? r.nsrc : 1;
		if (grow_to((void **)&frames, &cap, k + nsrc, sizeof(*frames), n)) {
			free(frames);
			return -ENOMEM;
		}
		if (truncated || pool || exec) {
			char name[48];

			snprintf(name, sizeof(name), MT_PYMALLOC_NAME " %u B]",
				 (unsigned)((addrs[i] & (MT_PYMALLOC_CLASSES - 1)) + 1) * 16);
			frames[k] = (struct mt_frame){ .addr = addrs[i], .module = -1 };
			frames[k++].function = profile_intern(p, pool ? name : exec ? MT_EXEC_NAME : MT_TRUNCATED_NAME);
			continue;
		}
		if (py) {
			python_symbolize(p, sym, addrs[i], &frames[k++]);
			continue;
		}
		module = module_index(p, &r);
		for (uint32_t j = 0; j < nsrc; j++, k++) {
			struct mt_frame *f = &frames[k];

			memset(f, 0, sizeof(*f));
			f->addr = addrs[i];
			f->offset = r.offset;
			f->module = module;
			if (r.nsrc)
				src_frame(p, &r, j, f);
			else
				f->function = profile_intern_stable(p, r.function);
		}
		/* Past it lies the goroutine that switched, not this stack's caller. */
		if (go_stack_switch(frames[k - 1].function))
			break;
	}
	if (!frames && !(frames = calloc(1, sizeof(*frames))))
		return -ENOMEM;
	/* An inline chain doubled the room: give back what a profile of
	 * thousands of stacks would otherwise hold unused (shrinking stays in place). */
	if (k && cap > k) {
		struct mt_frame *fit = realloc(frames, k * sizeof(*frames));

		frames = fit ? fit : frames;
	}
	*out = frames;
	*nout = (uint32_t)k;
	return 0;
}
