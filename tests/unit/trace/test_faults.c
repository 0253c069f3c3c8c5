// SPDX-License-Identifier: MIT
/* faults: collection from hand-made raw sites, the writers and the profile view, without BPF. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fault tracer (faults_add_raw) and the model it fills (faults_data.h). */
#include "faults.h"
#include "faults_report.h"
#include "folded.h"
#include "json.h"

static struct mt_fault_site_value *raw(uint64_t frame0, uint32_t nframes)
{
	struct mt_fault_site_value *v = calloc(1, sizeof(*v));

	cr_assert_not_null(v);
	v->nframes = nframes;
	for (uint32_t i = 0; i < nframes; i++)
		v->frames[i] = frame0 + 0x100 * i;
	return v;
}

static struct mt_faults *sample(struct mt_profile *p)
{
	struct mt_faults *f = calloc(1, sizeof(*f));
	struct mt_fault_site_value *a = raw(0x401000, 3), *b = raw(0x402000, 2), *c = raw(0x403000, 2),
				   *d = raw(0x404000, 1), *none = raw(0x405000, 2);

	cr_assert_not_null(f);
	a->fault_count = 10;
	a->fault_bytes = 10 * 4096;
	a->regions[FAULT_REGION_HEAP] = 6;
	a->regions[FAULT_REGION_ANON] = 4;
	b->fault_count = 50;
	b->fault_bytes = 50 * 4096;
	b->regions[FAULT_REGION_FILE] = 50;
	c->mmap_count = 2;
	c->mmap_bytes = 8192;
	c->munmap_count = 1;
	c->munmap_bytes = 4096;
	/* One raw site with both kinds of counts lands in both lists. */
	d->fault_count = 1;
	d->fault_bytes = 4096;
	d->regions[FAULT_REGION_STACK] = 1;
	d->brk_count = 1;
	d->brk_grow_bytes = 65536;
	d->madvise_count = 3;
	d->madvise_bytes = 12288;
	cr_assert_eq(faults_add_raw(f, a, NULL, p), 0);
	cr_assert_eq(faults_add_raw(f, b, NULL, p), 0);
	cr_assert_eq(faults_add_raw(f, c, NULL, p), 0);
	cr_assert_eq(faults_add_raw(f, d, NULL, p), 0);
	cr_assert_eq(faults_add_raw(f, none, NULL, p), 0); /* nothing counted: skipped */
	faults_sort(f);
	for (size_t i = 0; i < f->nsites; i++) {
		f->count += f->sites[i].count;
		f->bytes += f->sites[i].bytes;
	}
	free(a);
	free(b);
	free(c);
	free(d);
	free(none);
	return f;
}

Test(faults, region_names)
{
	cr_assert_str_eq(fault_region_name(FAULT_REGION_HEAP), "heap");
	cr_assert_str_eq(fault_region_name(FAULT_REGION_ANON), "anon");
	cr_assert_str_eq(fault_region_name(FAULT_REGION_STACK), "stack");
	cr_assert_str_eq(fault_region_name(FAULT_REGION_FILE), "file");
	cr_assert_str_eq(fault_region_name(FAULT_REGION_OTHER), "other");
	cr_assert_str_eq(fault_region_name((enum fault_region)99), "other");
}

Test(faults, sites_split_and_sorted)
{
	struct mt_profile p = {};
	struct mt_faults *f = sample(&p);

	cr_assert_eq(f->nsites, 3);
	cr_assert_eq(f->sites[0].count, 50); /* bytes descending */
	cr_assert_eq(f->sites[1].count, 10);
	cr_assert_eq(f->sites[2].count, 1);
	cr_assert_eq(f->sites[1].regions[FAULT_REGION_HEAP], 6);
	cr_assert_eq(f->sites[1].nframes, 3);
	/* Without a symbolizer frames keep their raw addresses, innermost first. */
	cr_assert_eq(f->sites[1].frames[0].addr, 0x401000);
	cr_assert_eq(f->sites[1].frames[2].addr, 0x401200);
	cr_assert_null(f->sites[1].frames[0].function);
	cr_assert_eq(f->sites[1].frames[0].module, -1);
	cr_assert_eq(f->nmmap_sites, 2);
	cr_assert_eq(f->mmap_sites[0].s.brk_grow_bytes, 65536); /* mapped bytes descending */
	cr_assert_eq(f->mmap_sites[0].s.madvise_bytes, 12288);
	cr_assert_eq(f->mmap_sites[1].s.mmap_bytes, 8192);
	/* The shared raw site's frames are owned twice, not aliased. */
	cr_assert_neq(f->sites[2].frames, f->mmap_sites[0].frames);
	cr_assert_eq(f->sites[2].frames[0].addr, f->mmap_sites[0].frames[0].addr);
	faults_data_free(f);
	faults_data_free(NULL);
	profile_free(&p);
}

Test(faults, json_sections)
{
	struct mt_profile p = {};
	struct mt_faults *f = sample(&p);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct json j;

	cr_assert_not_null(out);
	json_init(&j, out);
	json_open_object(&j, NULL);
	cr_assert_eq(faults_json_write(&j, &p, f), 0);
	json_close_object(&j);
	fclose(out);
	cr_assert_not_null(strstr(buf, "\"faults\": {"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"count\": 61"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"bytes\": 249856"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"heap\": 6"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"file\": 50"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"address\": \"0x402000\""), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"mmap\": {"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"brk_bytes\": 65536"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\"madvise_bytes\": 12288"), "%s", buf);
	/* Largest fault site first. */
	cr_assert_lt(strstr(buf, "0x402000") - buf, strstr(buf, "0x401000") - buf);
	free(buf);
	/* NULL writes nothing. */
	buf = NULL;
	out = open_memstream(&buf, &len);
	json_init(&j, out);
	cr_assert_eq(faults_json_write(&j, &p, NULL), 0);
	fclose(out);
	cr_assert_eq(len, 0);
	free(buf);
	faults_data_free(f);
	profile_free(&p);
}

Test(faults, profile_view_feeds_writers)
{
	struct mt_profile p = { .pid = 42 }, view;
	struct mt_faults *f = sample(&p);
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	cr_assert_eq(faults_view(&p, f, FAULTS_VIEW_FAULTS, &view), 0);
	cr_assert_eq(view.pid, 42);
	cr_assert_eq(view.nsites, 3);
	cr_assert_eq(view.sites[0].alloc_bytes, 50 * 4096);
	cr_assert_eq(view.sites[0].inuse_bytes, 50 * 4096);
	cr_assert_eq(view.sites[0].alloc_count, 50);
	cr_assert_eq(view.totals.alloc_bytes, 61 * 4096);
	cr_assert_eq(view.totals.inuse_count, 61);
	out = open_memstream(&buf, &len);
	cr_assert_eq(folded_write(&view, MT_INUSE_SPACE, out), 0);
	fclose(out);
	cr_assert_not_null(strstr(buf, " 204800\n"), "%s", buf);
	free(buf);
	faults_view_free(&view);

	cr_assert_eq(faults_view(&p, f, FAULTS_VIEW_MAPPED, &view), 0);
	cr_assert_eq(view.nsites, 2);
	cr_assert_eq(view.totals.alloc_bytes, 65536 + 8192);
	faults_view_free(&view);
	faults_data_free(f);
	profile_free(&p);
}

Test(faults, text_and_html)
{
	struct mt_profile p = {};
	struct mt_faults *f = sample(&p);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	faults_text_write(&p, f, 5, out);
	fclose(out);
	cr_assert_not_null(strstr(buf, "page faults: 61"), "%s", buf);
	cr_assert_not_null(strstr(buf, "file 50"), "%s", buf);
	free(buf);
	buf = NULL;
	out = open_memstream(&buf, &len);
	cr_assert_eq(faults_html_section(&p, f, out), 0);
	fclose(out);
	cr_assert_not_null(strstr(buf, "id=\"faults-table\""), "%s", buf);
	cr_assert_not_null(strstr(buf, "id=\"flamegraph-faults\""));
	cr_assert_not_null(strstr(buf, "id=\"mmap-table\""));
	free(buf);
	faults_data_free(f);
	profile_free(&p);
}
