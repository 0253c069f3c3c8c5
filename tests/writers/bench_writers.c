// SPDX-License-Identifier: MIT
/*
 * Times every writer on a synthetic profile: NSITES distinct stacks of
 * about DEPTH frames drawn from NFUNCS function names, plus a 10k-point time
 * series.  Prints wall time, output size and the process's peak RSS after
 * each step (peak RSS only grows, so each line bounds that writer's peak).
 *
 *   bench_writers [nsites] [outdir]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "flamegraph.h"
#include "folded.h"
#include "html.h"
#include "pprof.h"

#define DEPTH 20
#define NFUNCS 2000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int build(struct mt_profile *p, size_t nsites)
{
	const char *names[NFUNCS];
	char buf[64];

	memset(p, 0, sizeof(*p));
	p->pid = 1;
	p->command = profile_intern(p, "bench");
	p->duration_ns = 60000000000ULL;
	p->modules = calloc(4, sizeof(*p->modules));
	p->sites = calloc(nsites, sizeof(*p->sites));
	p->series = calloc(10000, sizeof(*p->series));
	if (!p->command || !p->modules || !p->sites || !p->series)
		return -ENOMEM;
	p->nmodules = 4;
	for (int m = 0; m < 4; m++) {
		snprintf(buf, sizeof(buf), "/usr/lib/libbench%d.so", m);
		p->modules[m] = (struct mt_module){ profile_intern(p, buf), profile_intern(p, "0123abcd"),
						    0x10000000ULL * (uint64_t)(m + 1),
						    0x10000000ULL * (uint64_t)(m + 1) + 0x1000000, 0 };
	}
	for (int i = 0; i < NFUNCS; i++) {
		snprintf(buf, sizeof(buf), "ns%d::Class%d::method_%d<int>", i % 17, i % 101, i);
		names[i] = profile_intern(p, buf);
	}
	for (size_t s = 0; s < nsites; s++) {
		uint32_t depth = DEPTH - 3 + (uint32_t)(next() % 7);
		struct mt_frame *f = calloc(depth, sizeof(*f));

		if (!f)
			return -ENOMEM;
		/* Outer frames come from a few names, so stacks share prefixes as real ones do. */
		for (uint32_t d = 0; d < depth; d++) {
			struct mt_frame *fr = &f[depth - 1 - d];
			uint64_t pick = d < 3 ? next() % (4 * (d + 1)) : next() % NFUNCS;

			fr->module = (int32_t)(pick % 4);
			fr->addr = p->modules[fr->module].start + pick * 64 + d;
			fr->offset = fr->addr - p->modules[fr->module].start;
			fr->function = next() % 50 ? names[pick % NFUNCS] : NULL;
		}
		p->sites[s] = (struct mt_site){ f, depth, 1 + next() % 1000, next() % (1 << 20),
						0, 0 };
		p->sites[s].inuse_count = p->sites[s].alloc_count / 2;
		p->sites[s].inuse_bytes = p->sites[s].alloc_bytes / 3;
		p->nsites++;
	}
	for (size_t i = 0; i < 10000; i++)
		p->series[i] = (struct mt_sample){ .t_ns = i * 6000000ULL, .inuse_bytes = i * 4096, .inuse_count = i,
						   .alloc_bytes = i * 8192, .alloc_count = 2 * i, .rss_bytes = i * 5000 };
	p->nseries = 10000;
	profile_sort_sites(p);
	return 0;
}

static void report(const char *what, double t0, const char *path)
{
	struct stat st;
	double ms = now_ms() - t0;

	if (path && stat(path, &st) == 0)
		printf("%-22s %9.1f ms  %12lld bytes  peak RSS %6ld MiB\n", what, ms, (long long)st.st_size,
		       peak_rss_kib() / 1024);
	else
		printf("%-22s %9.1f ms  %12s        peak RSS %6ld MiB\n", what, ms, "-", peak_rss_kib() / 1024);
}

#define RUN(name, file, call)                                                                  \
	do {                                                                                   \
		char path_[4096];                                                              \
		FILE *out;                                                                     \
		double t0_;                                                                    \
		int rc_;                                                                       \
		snprintf(path_, sizeof(path_), "%s/%s", dir, file);                            \
		out = fopen(path_, "wb");                                                      \
		if (!out)                                                                      \
			return 1;                                                              \
		t0_ = now_ms();                                                                \
		rc_ = (call);                                                                  \
		if (fclose(out) || rc_) {                                                      \
			fprintf(stderr, "%s failed: %d\n", name, rc_);                         \
			return 1;                                                              \
		}                                                                              \
		report(name, t0_, path_);                                                      \
	} while (0)

int main(int argc, char **argv)
{
	size_t nsites = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	struct mt_profile p, back;
	char path[4096];
	double t0 = now_ms();
	int rc;

	if (build(&p, nsites)) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	printf("%zu sites, depth %d-%d, %d functions, %zu series points\n", p.nsites, DEPTH - 3, DEPTH + 3,
	       NFUNCS, p.nseries);
	report("build profile", t0, NULL);
	RUN("pprof_write", "bench.pb.gz", pprof_write(&p, out));
	RUN("folded_write", "bench.folded", folded_write(&p, MT_INUSE_SPACE, out));
	RUN("flamegraph_write", "bench.svg", flamegraph_write(&p, MT_INUSE_SPACE, NULL, out));
	RUN("flamegraph_write_diff", "bench-diff.svg", flamegraph_write_diff(&p, &p, MT_ALLOC_SPACE, NULL, out));
	RUN("html_write", "bench.html", html_write(&p, out));
	snprintf(path, sizeof(path), "%s/bench.pb.gz", dir);
	t0 = now_ms();
	rc = pprof_read(path, &back);
	if (rc) {
		fprintf(stderr, "pprof_read failed: %d\n", rc);
		return 1;
	}
	report("pprof_read", t0, NULL);
	profile_free(&back);
	profile_free(&p);
	return 0;
}
