// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "faults_data.h"
#include "faults_report.h"
#include "record_faults.h"

/* Each table: u32 count, u32 fixed part size, then per record the fixed
 * part and its frames (u32 n, then per frame u64 addr, u64 offset, i32
 * module, string function).  A fixed part may grow at its end: a reader
 * takes the fields it knows and skips the rest. */
#define FAULT_FIXED (16 + 8 * FAULT_NREGIONS)
#define MMAP_FIXED (13 * 8)
#define MAX_FRAMES_PER_SITE 1024
#define MAX_FIXED 65536 /* larger fixed parts are refused as corrupt */

static void put_frames(struct wbuf *w, const struct mt_frame *f, uint32_t n)
{
	wb_u32(w, n);
	for (uint32_t i = 0; i < n; i++) {
		wb_u64(w, f[i].addr);
		wb_u64(w, f[i].offset);
		wb_u32(w, (uint32_t)f[i].module);
		wb_str(w, f[i].function);
	}
}

static void put_stats(struct wbuf *w, const struct mt_mmap_stats *s)
{
	const uint64_t v[13] = { s->mmap_count, s->mmap_bytes, s->munmap_count, s->munmap_bytes,
				 s->mremap_count, s->mremap_grow_bytes, s->mremap_shrink_bytes, s->brk_count,
				 s->brk_grow_bytes, s->brk_shrink_bytes, s->madvise_count, s->madvise_bytes, 0 };

	for (int i = 0; i < 13; i++)
		wb_u64(w, v[i]);
}

int record_faults_encode(const struct mt_faults *f, uint8_t **out, size_t *len)
{
	struct wbuf w = { 0 };

	wb_str(&w, f->source);
	wb_u64(&w, f->count);
	wb_u64(&w, f->bytes);
	for (int r = 0; r < FAULT_NREGIONS; r++)
		wb_u64(&w, f->regions[r]);
	put_stats(&w, &f->mmap);
	wb_u64(&w, f->drops.stack_unknown);
	wb_u64(&w, f->drops.vma_unknown);
	wb_u64(&w, f->drops.inflight_full);
	wb_u64(&w, f->hugetlb_faults);
	wb_u64(&w, f->leaf_fixups);
	wb_u32(&w, (uint32_t)f->nsites);
	wb_u32(&w, FAULT_FIXED);
	for (size_t i = 0; i < f->nsites; i++) {
		wb_u64(&w, f->sites[i].count);
		wb_u64(&w, f->sites[i].bytes);
		for (int r = 0; r < FAULT_NREGIONS; r++)
			wb_u64(&w, f->sites[i].regions[r]);
		put_frames(&w, f->sites[i].frames, f->sites[i].nframes);
	}
	wb_u32(&w, (uint32_t)f->nmmap_sites);
	wb_u32(&w, MMAP_FIXED);
	for (size_t i = 0; i < f->nmmap_sites; i++) {
		put_stats(&w, &f->mmap_sites[i].s);
		put_frames(&w, f->mmap_sites[i].frames, f->mmap_sites[i].nframes);
	}
	if (w.err) {
		free(w.b);
		return w.err;
	}
	*out = w.b;
	*len = w.len;
	return 0;
}

static void get_stats(struct rbuf *r, struct mt_mmap_stats *s)
{
	uint64_t v[13];

	for (int i = 0; i < 13; i++)
		v[i] = rb_u64(r);
	*s = (struct mt_mmap_stats){ v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11] };
}

static const struct mt_frame *get_frames(struct rbuf *r, struct mt_profile *owner, uint32_t *nout)
{
	uint32_t n = rb_u32(r);
	struct mt_frame *f;

	*nout = 0;
	if (r->err || n > MAX_FRAMES_PER_SITE) {
		r->err = -EINVAL;
		return NULL;
	}
	f = calloc(n ? n : 1, sizeof(*f));
	if (!f) {
		r->err = -ENOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < n && !r->err; i++) {
		char name[4096];
		const char *fn;
		int32_t mod;

		f[i].addr = rb_u64(r);
		f[i].offset = rb_u64(r);
		mod = (int32_t)rb_u32(r);
		if (mod < -1 || (mod >= 0 && (size_t)mod >= owner->nmodules))
			r->err = -EINVAL;
		f[i].module = mod;
		fn = rb_str(r, name, sizeof(name));
		f[i].function = fn ? profile_intern(owner, fn) : NULL;
	}
	*nout = n;
	return f;
}

int record_faults_decode(const uint8_t *buf, size_t len, struct mt_profile *owner, struct mt_faults **out)
{
	struct rbuf r = { buf, buf + len, 0 };
	struct mt_faults *f = calloc(1, sizeof(*f));
	char source[64];
	const char *src;
	uint32_t n, size;

	if (!f)
		return -ENOMEM;
	src = rb_str(&r, source, sizeof(source));
	f->source = src ? profile_intern(owner, src) : NULL;
	f->count = rb_u64(&r);
	f->bytes = rb_u64(&r);
	for (int i = 0; i < FAULT_NREGIONS; i++)
		f->regions[i] = rb_u64(&r);
	get_stats(&r, &f->mmap);
	f->drops.stack_unknown = rb_u64(&r);
	f->drops.vma_unknown = rb_u64(&r);
	f->drops.inflight_full = rb_u64(&r);
	f->hugetlb_faults = rb_u64(&r);
	f->leaf_fixups = rb_u64(&r);
	/* Sizes cannot be checked up front (frames vary): a count past what
	 * the buffer can hold fails at the first short read. */
	n = rb_u32(&r);
	size = rb_u32(&r);
	if (!r.err && (size < FAULT_FIXED || size > MAX_FIXED || n > len / size))
		r.err = -EINVAL;
	f->sites = calloc(n ? n : 1, sizeof(*f->sites));
	for (uint32_t i = 0; f->sites && !r.err && i < n; i++) {
		struct mt_fault_site *s = &f->sites[f->nsites];

		s->count = rb_u64(&r);
		s->bytes = rb_u64(&r);
		for (int k = 0; k < FAULT_NREGIONS; k++)
			s->regions[k] = rb_u64(&r);
		rb_skip(&r, size - FAULT_FIXED);
		s->frames = get_frames(&r, owner, &s->nframes);
		if (s->frames)
			f->nsites++;
	}
	n = rb_u32(&r);
	size = rb_u32(&r);
	if (!r.err && (size < MMAP_FIXED || size > MAX_FIXED || n > len / size))
		r.err = -EINVAL;
	f->mmap_sites = calloc(n ? n : 1, sizeof(*f->mmap_sites));
	for (uint32_t i = 0; f->mmap_sites && !r.err && i < n; i++) {
		struct mt_mmap_site *s = &f->mmap_sites[f->nmmap_sites];

		get_stats(&r, &s->s);
		rb_skip(&r, size - MMAP_FIXED);
		s->frames = get_frames(&r, owner, &s->nframes);
		if (s->frames)
			f->nmmap_sites++;
	}
	if (!f->sites || !f->mmap_sites)
		r.err = r.err ? r.err : -ENOMEM;
	if (!r.err && r.p != r.end)
		r.err = -EINVAL;
	if (r.err) {
		faults_data_free(f);
		return r.err;
	}
	*out = f;
	return 0;
}
