// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sample_profile.h"

#define MiB (1024ULL * 1024)

static int add_site(struct mt_profile *p, const char *const *names, uint32_t n, uint64_t inuse_b,
		    uint64_t inuse_c, uint64_t alloc_b, uint64_t alloc_c)
{
	struct mt_site *s = &p->sites[p->nsites];
	struct mt_frame *f = calloc(n, sizeof(*f));

	if (!f)
		return -ENOMEM;
	/* names are outermost first; frames innermost first. */
	for (uint32_t i = 0; i < n; i++) {
		struct mt_frame *fr = &f[n - 1 - i];
		const char *name = names[i];

		fr->module = 0;
		fr->addr = 0x401000 + 0x100 * (uint64_t)(i + 1) + (uint64_t)p->nsites * 0x10;
		if (strncmp(name, "?libc", 5) == 0) {
			fr->module = 1;
			fr->addr = 0x7f0000001234;
			fr->function = NULL;
		} else if (strncmp(name, "?demo", 5) == 0) {
			fr->addr = 0x401234;
			fr->function = NULL;
		} else {
			fr->function = profile_intern(p, name);
		}
		fr->offset = fr->addr - p->modules[fr->module].start + p->modules[fr->module].file_offset;
	}
	s->frames = f;
	s->nframes = n;
	s->inuse_bytes = inuse_b;
	s->inuse_count = inuse_c;
	s->alloc_bytes = alloc_b;
	s->alloc_count = alloc_c;
	p->nsites++;
	return 0;
}

int sample_profile(struct mt_profile *p, int before)
{
	static const char *const s1[] = { "main", "parse_config", "xmalloc" };
	static const char *const s2[] = { "main", "handle_request",
					  "std::vector<int, std::allocator<int> >::push_back", "operator new" };
	static const char *const s3[] = { "main", "?demo", "leak_one" };
	static const char *const s4[] = { "main", "a", "weird;name", "tab\there", "c" };
	int err = 0;

	memset(p, 0, sizeof(*p));
	p->pid = 4242;
	p->command = profile_intern(p, "demo-app");
	p->start_realtime_ns = 1714564800ULL * 1000000000ULL; /* 2024-05-01 12:00:00 UTC */
	p->duration_ns = 12500000000ULL;
	p->modules = calloc(2, sizeof(*p->modules));
	p->sites = calloc(4, sizeof(*p->sites));
	p->series = calloc(50, sizeof(*p->series));
	if (!p->modules || !p->sites || !p->series)
		return -ENOMEM;
	p->nmodules = 2;
	p->modules[0] = (struct mt_module){ profile_intern(p, "/usr/bin/demo"),
					    profile_intern(p, "0123456789abcdef0123456789abcdef01234567"),
					    0x400000, 0x500000, 0 };
	p->modules[1] = (struct mt_module){ profile_intern(p, "/usr/lib/x86_64-linux-gnu/libc.so.6"),
					    profile_intern(p, "aabbccdd"), 0x7f0000000000,
					    0x7f0000100000, 0x28000 };
	if (before) {
		err = err ?: add_site(p, s2, 4, 2 * MiB, 2048, 8 * MiB, 8192);
		err = err ?: add_site(p, s1, 3, 1 * MiB, 1, 2 * MiB, 5);
		err = err ?: add_site(p, s3, 3, 512 * 1024, 512, 512 * 1024, 512);
	} else {
		err = err ?: add_site(p, s1, 3, 3 * MiB, 3, 4 * MiB, 10);
		err = err ?: add_site(p, s2, 4, 1 * MiB, 1024, 8 * MiB, 8192);
		err = err ?: add_site(p, s3, 3, 512 * 1024, 512, 512 * 1024, 512);
		err = err ?: add_site(p, s4, 5, 0, 0, 64 * 1024, 64);
	}
	if (err)
		return err;
	p->totals = (struct mt_totals){ 8778, 12 * MiB + 576 * 1024, 7239, 8 * MiB + 64 * 1024, 1539,
					4 * MiB + 512 * 1024, 5 * MiB };
	p->drops = (struct mt_drops){ .stack_full = 3, .events_lost = 7 };
	for (size_t i = 0; i < 50; i++) {
		struct mt_sample *s = &p->series[i];

		s->t_ns = i * 250000000ULL;
		s->inuse_bytes = i < 40 ? i * 128 * 1024 : 4 * MiB + 512 * 1024;
		s->inuse_count = i * 30;
		s->alloc_bytes = i * 256 * 1024;
		s->alloc_count = i * 170;
		s->rss_bytes = 6 * MiB + i * 64 * 1024;
	}
	p->nseries = 50;
	return 0;
}
