// SPDX-License-Identifier: MIT
/*
 * Times record_write/record_read (and diff_build) on N distinct synthetic
 * stacks of 8..24 frames over 5000 function names and 20 modules:
 *     bench_record [N] [DIR]      (default 100000, /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"
#include "record.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void build(struct mt_profile *p, size_t n, unsigned seed)
{
	char name[64];

	memset(p, 0, sizeof(*p));
	p->pid = 1;
	p->command = profile_intern(p, "bench");
	p->nmodules = 20;
	p->modules = calloc(p->nmodules, sizeof(*p->modules));
	for (size_t i = 0; i < p->nmodules; i++) {
		snprintf(name, sizeof(name), "/usr/lib/libbench%zu.so", i);
		p->modules[i].path = profile_intern(p, name);
		p->modules[i].start = 0x7f0000000000ULL + (i << 24);
		p->modules[i].limit = p->modules[i].start + (1 << 24);
	}
	p->sites = calloc(n, sizeof(*p->sites));
	p->nsites = n;
	srand(seed);
	for (size_t i = 0; i < n; i++) {
		struct mt_site *s = &p->sites[i];
		uint32_t nf = 8 + (uint32_t)(rand() % 17);
		struct mt_frame *f = calloc(nf, sizeof(*f));

		for (uint32_t k = 0; k < nf; k++) {
			f[k].module = rand() % 20;
			f[k].addr = p->modules[f[k].module].start + (uint64_t)(rand() % 0xffffff);
			f[k].offset = f[k].addr - p->modules[f[k].module].start;
			if (rand() % 10) {
				snprintf(name, sizeof(name), "ns::function_%d(int, char const*)", rand() % 5000);
				f[k].function = profile_intern(p, name);
			}
		}
		/* Distinct stacks: the leaf encodes i. */
		snprintf(name, sizeof(name), "leaf_%zu", i);
		f[0].function = profile_intern(p, name);
		s->frames = f;
		s->nframes = nf;
		s->alloc_count = (uint64_t)rand() % 1000 + 1;
		s->alloc_bytes = s->alloc_count * 64;
		s->inuse_count = s->alloc_count / 2;
		s->inuse_bytes = s->inuse_count * 64;
	}
	p->nseries = 1000;
	p->series = calloc(p->nseries, sizeof(*p->series));
	for (size_t i = 0; i < p->nseries; i++)
		p->series[i].t_ns = i * 1000000000ULL;
	profile_sort_sites(p);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	struct mt_profile a, b, c;
	char path[4096];
	struct diff d;
	struct stat st;
	double t0, t1, t2, t3, t4;
	uint64_t frames = 0;
	int err;

	snprintf(path, sizeof(path), "%s/bench-%d.mtrec", dir, (int)getpid());
	build(&a, n, 1);
	build(&b, n, 2);
	for (size_t i = 0; i < a.nsites; i++)
		frames += a.sites[i].nframes;
	t0 = now();
	err = record_write(path, &a);
	t1 = now();
	if (err || stat(path, &st)) {
		fprintf(stderr, "record_write: %d\n", err);
		return 1;
	}
	err = record_read(path, &c);
	t2 = now();
	if (err) {
		fprintf(stderr, "record_read: %d\n", err);
		return 1;
	}
	t3 = now();
	err = diff_build(&a, &b, MT_INUSE_SPACE, &d);
	t4 = now();
	printf("%zu stacks, %llu frames: write %.3f s, read %.3f s, file %.1f MiB (%.1f bytes/frame), "
	       "diff_build(2 x %zu) %.3f s\n",
	       n, (unsigned long long)frames, t1 - t0, t2 - t1, st.st_size / 1048576.0,
	       (double)st.st_size / (double)frames, n, t4 - t3);
	unlink(path);
	diff_free(&d);
	profile_free(&a);
	profile_free(&b);
	profile_free(&c);
	return err ? 1 : 0;
}
