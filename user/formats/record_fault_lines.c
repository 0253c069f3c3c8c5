// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include "bytebuf.h"
#include "faults_data.h"
#include "record_fault_lines.h"

static void put(struct wbuf *w, const struct mt_frame *f, uint32_t n)
{
	wb_u32(w, n);
	for (uint32_t i = 0; i < n; i++) {
		wb_str(w, f[i].file);
		wb_u32(w, f[i].line);
		wb_u32(w, f[i].fn_line);
		wb_u32(w, f[i].inlined ? 1 : 0);
	}
}

int record_fault_lines_encode(const struct mt_faults *f, uint8_t **out, size_t *len)
{
	struct wbuf w = { 0 };

	for (size_t i = 0; i < f->nsites; i++)
		put(&w, f->sites[i].frames, f->sites[i].nframes);
	for (size_t i = 0; i < f->nmmap_sites; i++)
		put(&w, f->mmap_sites[i].frames, f->mmap_sites[i].nframes);
	if (w.err) {
		free(w.b);
		return w.err;
	}
	*out = w.b;
	*len = w.len;
	return 0;
}

/* Frames were decoded by record_faults (owned by f): filled in place. */
static void get(struct rbuf *r, struct mt_profile *owner, const struct mt_frame *frames, uint32_t n)
{
	struct mt_frame *f = (struct mt_frame *)frames;

	if (rb_u32(r) != n && !r->err)
		r->err = -EINVAL;
	for (uint32_t i = 0; i < n && !r->err; i++) {
		char buf[4096];
		const char *file = rb_str(r, buf, sizeof(buf));

		f[i].file = file ? profile_intern(owner, file) : NULL;
		f[i].line = rb_u32(r);
		f[i].fn_line = rb_u32(r);
		f[i].inlined = rb_u32(r) & 1;
	}
}

int record_fault_lines_decode(const uint8_t *buf, size_t len, struct mt_profile *owner, struct mt_faults *f)
{
	struct rbuf r = { buf, buf + len, 0 };

	for (size_t i = 0; i < f->nsites && !r.err; i++)
		get(&r, owner, f->sites[i].frames, f->sites[i].nframes);
	for (size_t i = 0; i < f->nmmap_sites && !r.err; i++)
		get(&r, owner, f->mmap_sites[i].frames, f->mmap_sites[i].nframes);
	if (!r.err && r.p != r.end)
		r.err = -EINVAL;
	return r.err;
}
