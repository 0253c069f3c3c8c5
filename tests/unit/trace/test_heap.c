// SPDX-License-Identifier: MIT
/* heap: profile_build from a hand-made snapshot, without a symbolizer. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "elfimg.h"
#include "heap.h"
#include "symbolize.h"

static void site(struct heap_snapshot *s, uint64_t key, uint64_t ac, uint64_t ab, uint64_t fc, uint64_t fb,
		 uint32_t nframes, uint64_t frame0)
{
	struct raw_site *r;

	s->sites = realloc(s->sites, (s->nsites + 1) * sizeof(*s->sites));
	cr_assert_not_null(s->sites);
	r = &s->sites[s->nsites++];
	memset(r, 0, sizeof(*r));
	r->key = key;
	r->v.alloc_count = ac;
	r->v.alloc_bytes = ab;
	r->v.free_count = fc;
	r->v.free_bytes = fb;
	r->v.nframes = nframes;
	for (uint32_t i = 0; i < nframes && i < MT_MAX_FRAMES; i++)
		r->v.frames[i] = frame0 + 0x10 * i;
	s->alloc_count += ac;
	s->alloc_bytes += ab;
	s->inuse_count += ac - fc;
}

/* The reference snapshot: one skipped site and ties that need the second key. */
static void snapshot(struct heap_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	site(s, 11, 10, 1000, 4, 400, 3, 0x401000);   /* inuse 600 */
	site(s, 22, 0, 0, 0, 0, 2, 0x402000);          /* never allocated: skipped */
	site(s, 33, 5, 5000, 5, 5000, 1, 0x403000);    /* inuse 0, alloc 5000 */
	site(s, 44, 3, 900, 0, 0, 2, 0x404000);        /* inuse 900 */
	site(s, 55, 2, 600, 0, 0, 4, 0x405000);        /* inuse 600, alloc 600 < 1000 */
	site(s, 66, 1, 70, 1, 70, 0, 0);               /* no frames, inuse 0, alloc 70 */
	s->counters = (struct mt_counters){
		.inuse_bytes = 2100, .peak_inuse_bytes = 4096, .stack_full = 1, .stack_collide = 2,
		.allocs_full = 3, .inflight_full = 4, .events_lost = 6, .dl_stops = 7,
	};
}

Test(heap, sites_inuse_and_sorting)
{
	struct heap_snapshot s;
	struct mt_profile p = {};

	snapshot(&s);
	cr_assert_eq(profile_build(&s, NULL, &p), 0);
	cr_assert_eq(p.nsites, 5, "nsites %zu", p.nsites);
	/* inuse_bytes desc, ties by alloc_bytes desc. */
	cr_assert_eq(p.sites[0].inuse_bytes, 900);
	cr_assert_eq(p.sites[0].inuse_count, 3);
	cr_assert_eq(p.sites[0].alloc_bytes, 900);
	cr_assert_eq(p.sites[1].inuse_bytes, 600);
	cr_assert_eq(p.sites[1].alloc_bytes, 1000);
	cr_assert_eq(p.sites[1].alloc_count, 10);
	cr_assert_eq(p.sites[1].inuse_count, 6);
	cr_assert_eq(p.sites[2].inuse_bytes, 600);
	cr_assert_eq(p.sites[2].alloc_bytes, 600);
	cr_assert_eq(p.sites[2].inuse_count, 2);
	cr_assert_eq(p.sites[3].inuse_bytes, 0);
	cr_assert_eq(p.sites[3].alloc_bytes, 5000);
	cr_assert_eq(p.sites[3].inuse_count, 0);
	cr_assert_eq(p.sites[4].inuse_bytes, 0);
	cr_assert_eq(p.sites[4].alloc_bytes, 70);
	for (size_t i = 0; i < p.nsites; i++)
		cr_assert_neq(p.sites[i].alloc_count, 0, "site %zu never allocated", i);
	profile_free(&p);
	snapshot_free(&s);
}

Test(heap, totals)
{
	struct heap_snapshot s;
	struct mt_profile p = {};

	snapshot(&s);
	cr_assert_eq(profile_build(&s, NULL, &p), 0);
	cr_assert_eq(p.totals.alloc_count, 21);
	cr_assert_eq(p.totals.alloc_bytes, 7570);
	cr_assert_eq(p.totals.free_count, 10);
	cr_assert_eq(p.totals.free_bytes, 5470);
	cr_assert_eq(p.totals.inuse_count, 11);
	cr_assert_eq(p.totals.inuse_bytes, 2100);
	/* The BPF peak is above what is in use now. */
	cr_assert_eq(p.totals.peak_inuse_bytes, 4096);
	profile_free(&p);
	snapshot_free(&s);
}

Test(heap, peak_never_below_inuse)
{
	struct heap_snapshot s;
	struct mt_profile p = {};

	snapshot(&s);
	s.counters.peak_inuse_bytes = 100; /* stale: lower than the sum of the sites */
	cr_assert_eq(profile_build(&s, NULL, &p), 0);
	cr_assert_eq(p.totals.inuse_bytes, 2100);
	cr_assert_eq(p.totals.peak_inuse_bytes, 2100);
	profile_free(&p);
	snapshot_free(&s);
}

Test(heap, drops_mapping)
{
	struct heap_snapshot s;
	struct mt_profile p = {};

	snapshot(&s);
	cr_assert_eq(profile_build(&s, NULL, &p), 0);
	cr_assert_eq(p.drops.stack_full, 1 + 2);
	cr_assert_eq(p.drops.allocs_full, 3);
	cr_assert_eq(p.drops.inflight_full, 4);
	cr_assert_eq(p.drops.events_lost, 6);
	cr_assert_eq(drops_total(&p.drops), 3 + 3 + 4 + 6);
	profile_free(&p);
	snapshot_free(&s);
}

Test(heap, raw_frames_preserved)
{
	struct heap_snapshot s;
	struct mt_profile p = {};
	const struct mt_site *st = NULL;

	snapshot(&s);
	cr_assert_eq(profile_build(&s, NULL, &p), 0);
	cr_assert_eq(p.nmodules, 0);
	/* The site of 0x405000: inuse 600, alloc 600 (sorted third). */
	st = &p.sites[2];
	cr_assert_eq(st->nframes, 4);
	for (uint32_t i = 0; i < 4; i++) {
		cr_assert_eq(st->frames[i].addr, 0x405000 + 0x10 * i);
		cr_assert_eq(st->frames[i].offset, 0x405000 + 0x10 * i);
		cr_assert_null(st->frames[i].function);
		cr_assert_eq(st->frames[i].module, -1);
	}
	cr_assert_eq(p.sites[0].nframes, 2);
	cr_assert_eq(p.sites[0].frames[0].addr, 0x404000);
	cr_assert_eq(p.sites[0].frames[1].addr, 0x404010);
	cr_assert_eq(p.sites[1].nframes, 3);
	cr_assert_eq(p.sites[1].frames[2].addr, 0x401020);
	cr_assert_eq(p.sites[3].nframes, 1);
	cr_assert_eq(p.sites[3].frames[0].addr, 0x403000);
	/* A stackless site keeps zero frames (and a non-NULL array). */
	cr_assert_eq(p.sites[4].nframes, 0);
	cr_assert_not_null(p.sites[4].frames);
	profile_free(&p);
	snapshot_free(&s);
}

Test(heap, frames_clamped_to_max)
{
	struct heap_snapshot s = {};
	struct mt_profile p = {};

	site(&s, 1, 1, 8, 0, 0, MT_MAX_FRAMES, 0x1000);
	s.sites[0].v.nframes = MT_MAX_FRAMES + 50; /* corrupt count from the map */
	cr_assert_eq(profile_build(&s, NULL, &p), 0);
	cr_assert_eq(p.nsites, 1);
	cr_assert_eq(p.sites[0].nframes, MT_MAX_FRAMES);
	cr_assert_eq(p.sites[0].frames[MT_MAX_FRAMES - 1].addr, 0x1000 + 0x10 * (MT_MAX_FRAMES - 1));
	profile_free(&p);
	snapshot_free(&s);
}

Test(heap, empty_snapshot)
{
	struct heap_snapshot s = {};
	struct mt_profile p = {};

	s.counters.peak_inuse_bytes = 77;
	cr_assert_eq(profile_build(&s, NULL, &p), 0);
	cr_assert_eq(p.nsites, 0);
	cr_assert_eq(p.totals.alloc_count, 0);
	cr_assert_eq(p.totals.inuse_bytes, 0);
	cr_assert_eq(p.totals.peak_inuse_bytes, 77);
	profile_free(&p);
}

Test(heap, only_skipped_sites)
{
	struct heap_snapshot s = {};
	struct mt_profile p = {};

	site(&s, 1, 0, 0, 0, 0, 3, 0x1000);
	site(&s, 2, 0, 0, 0, 0, 1, 0x2000);
	cr_assert_eq(profile_build(&s, NULL, &p), 0);
	cr_assert_eq(p.nsites, 0);
	cr_assert_eq(p.totals.alloc_count, 0);
	profile_free(&p);
	snapshot_free(&s);
}

Test(heap, snapshot_free_zeroes)
{
	struct heap_snapshot s;

	snapshot(&s);
	snapshot_free(&s);
	cr_assert_null(s.sites);
	cr_assert_eq(s.nsites, 0);
	cr_assert_eq(s.alloc_bytes, 0);
}

Test(heap, symbolized_frames_and_modules)
{
	const char *dir = getenv("FIXTURES");
	char rel[512], abs[4096];
	struct heap_snapshot s = {};
	struct mt_profile p = {};
	struct elf_image *img = NULL;
	struct symbolizer *sym;
	uint64_t g, d;
	void *h;

	snprintf(rel, sizeof(rel), "%s/libfx.so", dir && *dir ? dir : "build/fixtures");
	cr_assert_not_null(realpath(rel, abs), "fixture %s missing", rel);
	cr_assert_eq(elf_image_load(NULL, abs, &img), 0);
	h = dlopen(abs, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(h, "dlopen: %s", dlerror());
	g = (uint64_t)(uintptr_t)dlsym(h, "libfx_gamma");
	d = (uint64_t)(uintptr_t)dlsym(h, "libfx_delta");
	cr_assert(g && d);
	site(&s, 1, 1, 64, 0, 0, 3, 0);
	/* Return addresses: one past a call at gamma's first byte, inside delta, nowhere. */
	s.sites[0].v.frames[0] = g + 1;
	s.sites[0].v.frames[1] = d + 8;
	s.sites[0].v.frames[2] = 0x10;
	sym = symbolizer_new(getpid());
	cr_assert_not_null(sym);
	cr_assert_eq(symbolizer_refresh(sym), 0);
	cr_assert_eq(profile_build(&s, sym, &p), 0);
	cr_assert_eq(p.nsites, 1);
	cr_assert_eq(p.sites[0].nframes, 3);
	cr_assert_str_eq(p.sites[0].frames[0].function, "libfx_gamma");
	cr_assert_eq(p.sites[0].frames[0].addr, g + 1);
	cr_assert_eq(p.sites[0].frames[0].offset, elf_image_find(img, "libfx_gamma", true)->addr + 1);
	cr_assert_str_eq(p.sites[0].frames[1].function, "libfx_delta");
	/* Both frames in one mapping: one module. */
	cr_assert_eq(p.sites[0].frames[0].module, 0);
	cr_assert_eq(p.sites[0].frames[1].module, 0);
	cr_assert_null(p.sites[0].frames[2].function);
	cr_assert_eq(p.sites[0].frames[2].module, -1);
	cr_assert_eq(p.nmodules, 1);
	cr_assert_str_eq(p.modules[0].path, abs);
	cr_assert_not_null(p.modules[0].build_id);
	cr_assert_str_eq(p.modules[0].build_id, img->build_id);
	cr_assert(p.modules[0].start <= g && g < p.modules[0].limit);
	profile_free(&p);
	symbolizer_free(sym);
	snapshot_free(&s);
	elf_image_free(img);
	dlclose(h);
}
