// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../writers/testprof.h"
#include "gzip_io.h"
#include "pprof.h"

static void sample(struct mt_profile *p)
{
	tp_init(p, 3);
	tp_site(p, "main;parse;xmalloc", 3 << 20, 3, 4 << 20, 10);
	tp_site(p, "main;handle;std::vector<int>::push_back;operator new", 1 << 20, 1024, 8 << 20, 8192);
	tp_site(p, "main;?1;?-;leak", 512, 2, 512, 2);
	tp_site(p, "main;?2;freed", 0, 0, 64, 1);
	p->totals = (struct mt_totals){ 1, 2, 3, 4, 5, 6, 7 };
	p->drops = (struct mt_drops){ 8, 9, 11, 12 };
	p->nseries = 3;
	p->series = calloc(3, sizeof(*p->series));
	for (size_t i = 0; i < 3; i++)
		p->series[i] = (struct mt_sample){ .t_ns = i * 1000, .inuse_bytes = 100 * i, .inuse_count = i,
						   .alloc_bytes = 200 * i, .alloc_count = 2 * i,
						   .rss_bytes = i ? 4096 * i : 0 };
}

static char *write_tmp(const struct mt_profile *p)
{
	static char path[64];
	int fd, rc;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/mt-pprof-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "wb");
	rc = pprof_write(p, f);
	cr_assert_eq(rc, 0, "pprof_write: %d", rc);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static void assert_same(const struct mt_profile *a, const struct mt_profile *b)
{
	cr_assert_eq(a->pid, b->pid);
	cr_assert_str_eq(a->command, b->command);
	cr_assert_eq(a->start_realtime_ns, b->start_realtime_ns);
	cr_assert_eq(a->duration_ns, b->duration_ns);
	cr_assert_eq(memcmp(&a->totals, &b->totals, sizeof(a->totals)), 0);
	cr_assert_eq(memcmp(&a->drops, &b->drops, sizeof(a->drops)), 0);
	cr_assert_eq(a->nseries, b->nseries);
	if (a->nseries)
		cr_assert_eq(memcmp(a->series, b->series, a->nseries * sizeof(*a->series)), 0);
	cr_assert_eq(a->nmodules, b->nmodules);
	for (size_t i = 0; i < a->nmodules; i++) {
		cr_assert_str_eq(a->modules[i].path, b->modules[i].path);
		if (a->modules[i].build_id)
			cr_assert_str_eq(a->modules[i].build_id, b->modules[i].build_id);
		else
			cr_assert_null(b->modules[i].build_id);
		cr_assert_eq(a->modules[i].start, b->modules[i].start);
		cr_assert_eq(a->modules[i].limit, b->modules[i].limit);
		cr_assert_eq(a->modules[i].file_offset, b->modules[i].file_offset);
	}
	cr_assert_eq(a->nsites, b->nsites);
	for (size_t i = 0; i < a->nsites; i++) {
		const struct mt_site *x = &a->sites[i], *y = &b->sites[i];

		cr_assert_eq(x->alloc_count, y->alloc_count);
		cr_assert_eq(x->alloc_bytes, y->alloc_bytes);
		cr_assert_eq(x->inuse_count, y->inuse_count);
		cr_assert_eq(x->inuse_bytes, y->inuse_bytes);
		cr_assert_eq(x->nframes, y->nframes, "site %zu", i);
		for (uint32_t j = 0; j < x->nframes; j++) {
			const struct mt_frame *f = &x->frames[j], *g = &y->frames[j];

			cr_assert_eq(f->addr, g->addr);
			cr_assert_eq(f->module, g->module, "site %zu frame %u", i, j);
			if (f->module >= 0)
				cr_assert_eq(f->offset, g->offset);
			if (f->function)
				cr_assert_str_eq(f->function, g->function);
			else
				cr_assert_null(g->function, "site %zu frame %u: %s", i, j, g->function);
		}
	}
}

Test(pprof, round_trip)
{
	struct mt_profile p, back;
	char *path;
	int rc;

	sample(&p);
	path = write_tmp(&p);
	rc = pprof_read(path, &back);
	cr_assert_eq(rc, 0, "pprof_read: %d", rc);
	assert_same(&p, &back);
	unlink(path);
	profile_free(&back);
	profile_free(&p);
}

Test(pprof, round_trip_empty_profile)
{
	struct mt_profile p, back;
	char *path;

	tp_init(&p, 0);
	path = write_tmp(&p);
	cr_assert_eq(pprof_read(path, &back), 0);
	assert_same(&p, &back);
	unlink(path);
	profile_free(&back);
	profile_free(&p);
}

Test(pprof, output_is_gzip_with_heap_sample_types)
{
	struct mt_profile p;
	unsigned char *raw;
	size_t len;
	char *path;

	sample(&p);
	path = write_tmp(&p);
	cr_assert_eq(gzip_read_file(path, PPROF_READ_MAX, &raw, &len), 0);
	/* The string table must hold Go's heap names verbatim. */
	const char *want[] = { "alloc_objects", "alloc_space", "inuse_objects", "inuse_space",
			       "count", "bytes", "space", "xmalloc", "/opt/lib/libtp0.so", "deadbeef" };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_not_null(memmem(raw, len, want[i], strlen(want[i])), "missing %s", want[i]);
	free(raw);
	FILE *f = fopen(path, "rb");
	unsigned char magic[2];
	cr_assert_eq(fread(magic, 1, 2, f), 2);
	fclose(f);
	cr_assert(magic[0] == 0x1f && magic[1] == 0x8b);
	unlink(path);
	profile_free(&p);
}

Test(pprof, missing_and_empty_files)
{
	struct mt_profile back;
	char *path;
	FILE *f;

	cr_assert_eq(pprof_read("/nonexistent/memtrace.pb.gz", &back), -ENOENT);
	path = write_tmp(&(struct mt_profile){ 0 });
	f = fopen(path, "wb");
	fclose(f);
	cr_assert_eq(pprof_read(path, &back), -EINVAL);
	unlink(path);
}

/* Every prefix and many single-bit flips: no crash, and an error or a profile. */
Test(pprof, corrupt_input_never_crashes)
{
	struct mt_profile p, back;
	unsigned char *raw, *gz, *buf;
	size_t rawlen, gzlen;
	char *path;
	int rc;

	sample(&p);
	path = write_tmp(&p);
	cr_assert_eq(gzip_read_file(path, PPROF_READ_MAX, &raw, &rawlen), 0);
	FILE *f = fopen(path, "rb");
	gz = malloc(1 << 16);
	gzlen = fread(gz, 1, 1 << 16, f);
	fclose(f);
	buf = malloc(rawlen > gzlen ? rawlen : gzlen);

	for (size_t n = 0; n < rawlen; n++) {
		rc = pprof_decode(raw, n, &back);
		cr_assert(rc == 0 || rc == -EINVAL, "prefix %zu: %d", n, rc);
		profile_free(&back);
	}
	srand(1);
	for (int i = 0; i < 4000; i++) {
		memcpy(buf, raw, rawlen);
		for (int k = 0; k <= i % 3; k++) {
			size_t bit = (size_t)rand() % (rawlen * 8);

			buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		}
		rc = pprof_decode(buf, rawlen, &back);
		cr_assert(rc == 0 || rc == -EINVAL, "flip %d: %d", i, rc);
		profile_free(&back);
	}
	/* Through the file path: truncated gzip is always an error. */
	for (size_t n = 1; n < gzlen; n += 7) {
		f = fopen(path, "wb");
		fwrite(gz, 1, n, f);
		fclose(f);
		rc = pprof_read(path, &back);
		cr_assert_eq(rc, -EINVAL, "gzip prefix %zu: %d", n, rc);
	}
	for (int i = 0; i < 300; i++) {
		size_t bit = (size_t)rand() % (gzlen * 8);

		memcpy(buf, gz, gzlen);
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		f = fopen(path, "wb");
		fwrite(buf, 1, gzlen, f);
		fclose(f);
		rc = pprof_read(path, &back);
		cr_assert(rc == 0 || rc == -EINVAL, "gzip flip bit %zu: %d", bit, rc);
		profile_free(&back);
	}
	unlink(path);
	free(buf);
	free(gz);
	free(raw);
	profile_free(&p);
}
