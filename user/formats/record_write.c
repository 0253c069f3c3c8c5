// SPDX-License-Identifier: MIT
/*
 * Writing recordings (record.h has the format): sections are streamed
 * through one deflate stream with a fixed staging buffer, so memory grows
 * with distinct strings, not with sites or frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "grow.h"
#include "hmap.h"
#include "record.h"
#include "record_fault_lines.h"
#include "record_faults.h"
#include "record_gc.h"
#include "record_layout.h"
#include "record_go_heap.h"
#include "record_reach.h"
#include "safe_file.h"

/* ---- string table: each distinct string once, in first-seen order ---- */

struct strtab {
	const char **strs; /* by index */
	size_t n, cap;
	struct hmap index; /* hash of the text -> index */
	uint64_t bytes;    /* payload bytes of the STRINGS section */
	int err;
};

/* The index of s, or RECORD_NO_STRING when absent. */
static uint32_t strtab_find(const struct strtab *t, const char *s, uint64_t h)
{
	struct hmap_probe p;

	for (uint32_t i = hmap_first(&t->index, h, &p); i != HMAP_NONE; i = hmap_next(&t->index, &p))
		if (t->strs[i] == s || strcmp(t->strs[i], s) == 0)
			return i;
	return RECORD_NO_STRING;
}

/* Adds s (NULL is not a string: nothing to add). */
static void strtab_add(struct strtab *t, const char *s)
{
	uint64_t h;

	if (!s || t->err)
		return;
	h = hmap_hash_str(s);
	if (strtab_find(t, s, h) != RECORD_NO_STRING)
		return;
	if (t->n >= RECORD_NO_STRING - 1) {
		t->err = -EOVERFLOW;
		return;
	}
	if (grow((void **)&t->strs, &t->cap, t->n, sizeof(*t->strs), 1024) ||
	    hmap_add(&t->index, h, (uint32_t)t->n)) {
		t->err = -ENOMEM;
		return;
	}
	t->strs[t->n++] = s;
	t->bytes += 4 + strlen(s);
}

static uint32_t strtab_ref(const struct strtab *t, const char *s)
{
	/* Every string was added: only NULL is absent. */
	return s ? strtab_find(t, s, hmap_hash_str(s)) : RECORD_NO_STRING;
}

static void strtab_free(struct strtab *t)
{
	free(t->strs);
	hmap_free(&t->index);
}

/* ---- body writer: staging buffer -> deflate -> file, crc over output ---- */

struct body_out {
	z_stream zs;
	FILE *out;
	uint32_t crc;
	uint64_t clen, ulen;
	size_t used;
	int err;
	uint8_t stage[STAGE];
	uint8_t zbuf[ZCHUNK];
};

static int body_pump(struct body_out *b, int flush)
{
	int rc;

	do {
		size_t n;

		b->zs.next_out = b->zbuf;
		b->zs.avail_out = ZCHUNK;
		rc = deflate(&b->zs, flush);
		if (rc == Z_STREAM_ERROR)
			return -EINVAL;
		n = ZCHUNK - b->zs.avail_out;
		if (n && fwrite(b->zbuf, 1, n, b->out) != n)
			return -EIO;
		b->crc = (uint32_t)crc32(b->crc, b->zbuf, (uInt)n);
		b->clen += n;
	} while (b->zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	return 0;
}

static void body_flush_stage(struct body_out *b)
{
	if (b->err || !b->used)
		return;
	b->zs.next_in = b->stage;
	b->zs.avail_in = (uInt)b->used;
	b->err = body_pump(b, Z_NO_FLUSH);
	b->ulen += b->used;
	b->used = 0;
}

static void body_put(struct body_out *b, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len && !b->err) {
		size_t n = STAGE - b->used;

		if (n > len)
			n = len;
		memcpy(b->stage + b->used, p, n);
		b->used += n;
		p += n;
		len -= n;
		if (b->used == STAGE)
			body_flush_stage(b);
	}
}

static void put32(struct body_out *b, uint32_t v)
{
	uint8_t x[4];

	le32(x, v);
	body_put(b, x, 4);
}

static void put64(struct body_out *b, uint64_t v)
{
	uint8_t x[8];

	le64(x, v);
	body_put(b, x, 8);
}

static void section(struct body_out *b, uint32_t tag, uint64_t len)
{
	put32(b, tag);
	put64(b, len);
}

static void write_strings(struct body_out *b, const struct strtab *t)
{
	section(b, RECORD_STRINGS, 4 + t->bytes);
	put32(b, (uint32_t)t->n);
	for (size_t i = 0; i < t->n; i++) {
		size_t len = strlen(t->strs[i]);

		put32(b, (uint32_t)len);
		body_put(b, t->strs[i], len);
	}
}

static void write_meta(struct body_out *b, const struct mt_profile *p, const struct strtab *t)
{
	const struct mt_totals *to = &p->totals;
	const struct mt_drops *d = &p->drops;

	section(b, RECORD_META, META_LEN + 56);
	put32(b, (uint32_t)p->pid);
	put32(b, strtab_ref(t, p->command));
	put64(b, p->start_realtime_ns);
	put64(b, p->duration_ns);
	put64(b, to->alloc_count);
	put64(b, to->alloc_bytes);
	put64(b, to->free_count);
	put64(b, to->free_bytes);
	put64(b, to->inuse_count);
	put64(b, to->inuse_bytes);
	put64(b, to->peak_inuse_bytes);
	put64(b, d->stack_full);
	put64(b, d->allocs_full);
	put64(b, 0); /* once a per-site-table count nothing set: the layout stays */
	put64(b, d->inflight_full);
	put64(b, d->events_lost);
	put64(b, p->sample_bytes);
	/* Past META_LEN: readers that stop there ignore it. */
	put64(b, p->untracked.allocs);
	put64(b, p->untracked.frees_unmatched);
	put32(b, strtab_ref(t, p->cgroup));
	put32(b, strtab_ref(t, p->container_id));
	put64(b, p->start_mono_ns);
	put64(b, p->frees_unseen);
	put64(b, p->frees_inherited);
	put32(b, (uint32_t)p->fork_parent);
	put32(b, 0);
}

static void write_modules(struct body_out *b, const struct mt_profile *p, const struct strtab *t)
{
	section(b, RECORD_MODULES, 8 + (uint64_t)p->nmodules * MODULE_LEN);
	put32(b, (uint32_t)p->nmodules);
	put32(b, MODULE_LEN);
	for (size_t i = 0; i < p->nmodules; i++) {
		const struct mt_module *m = &p->modules[i];

		put32(b, strtab_ref(t, m->path));
		put32(b, strtab_ref(t, m->build_id));
		put64(b, m->start);
		put64(b, m->limit);
		put64(b, m->file_offset);
	}
}

static void put_frames(struct body_out *b, const struct strtab *t, const struct mt_frame *f, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		put64(b, f[k].addr);
		put64(b, f[k].offset);
		put32(b, strtab_ref(t, f[k].function));
		put32(b, (uint32_t)f[k].module);
		put32(b, strtab_ref(t, f[k].file));
		put32(b, f[k].line);
		put32(b, f[k].fn_line);
		put32(b, f[k].inlined ? 1 : 0);
	}
}

/* The SITE_LEN-byte site record, shared by SITES and ALERTS. */
static void put_site(struct body_out *b, const struct mt_site *s)
{
	put32(b, s->nframes);
	put64(b, s->alloc_count);
	put64(b, s->alloc_bytes);
	put64(b, s->inuse_count);
	put64(b, s->inuse_bytes);
}

static void write_sites(struct body_out *b, const struct mt_profile *p, const struct strtab *t)
{
	uint64_t len = 12;

	for (size_t i = 0; i < p->nsites; i++)
		len += SITE_LEN + (uint64_t)p->sites[i].nframes * FRAME_LINES_LEN;
	section(b, RECORD_SITES, len);
	put32(b, (uint32_t)p->nsites);
	put32(b, SITE_LEN);
	put32(b, FRAME_LINES_LEN);
	for (size_t i = 0; i < p->nsites && !b->err; i++) {
		put_site(b, &p->sites[i]);
		put_frames(b, t, p->sites[i].frames, p->sites[i].nframes);
	}
}

static uint64_t double_bits(double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return v;
}

static void write_alerts(struct body_out *b, const struct mt_profile *p, const struct strtab *t)
{
	uint64_t len = 12;

	if (!p->nalerts)
		return;
	for (size_t i = 0; i < p->nalerts; i++)
		len += ALERT_LEN + (uint64_t)p->alerts[i].site.nframes * FRAME_LINES_LEN;
	section(b, RECORD_ALERTS, len);
	put32(b, (uint32_t)p->nalerts);
	put32(b, ALERT_LEN);
	put32(b, FRAME_LINES_LEN);
	for (size_t i = 0; i < p->nalerts && !b->err; i++) {
		const struct mt_alert *a = &p->alerts[i];

		put64(b, a->t_ns);
		put64(b, a->wall_ns);
		put64(b, double_bits(a->rate_bytes_per_s));
		put32(b, (uint32_t)a->trend);
		put64(b, a->oldest_age_ns);
		put_site(b, &a->site);
		put_frames(b, t, a->site.frames, a->site.nframes);
	}
}

static void write_leaks(struct body_out *b, const struct mt_profile *p, const struct strtab *t)
{
	uint64_t len = 12;

	if (!p->nleaks)
		return;
	for (size_t i = 0; i < p->nleaks; i++)
		len += LEAK_LEN + (uint64_t)p->leaks[i].nframes * FRAME_LINES_LEN;
	section(b, RECORD_LEAKS, len);
	put32(b, (uint32_t)p->nleaks);
	put32(b, LEAK_LEN);
	put32(b, FRAME_LINES_LEN);
	for (size_t i = 0; i < p->nleaks && !b->err; i++) {
		const struct mt_leak *l = &p->leaks[i];

		put32(b, l->nframes);
		put64(b, l->count);
		put64(b, l->bytes);
		put64(b, l->oldest_age_ns);
		put_frames(b, t, l->frames, l->nframes);
	}
}

static void write_series(struct body_out *b, const struct mt_profile *p)
{
	section(b, RECORD_SERIES, 8 + (uint64_t)p->nseries * SAMPLE_WRITE_LEN);
	put32(b, (uint32_t)p->nseries);
	put32(b, SAMPLE_WRITE_LEN);
	for (size_t i = 0; i < p->nseries; i++) {
		const struct mt_sample *s = &p->series[i];

		put64(b, s->t_ns);
		put64(b, s->inuse_bytes);
		put64(b, s->inuse_count);
		put64(b, s->alloc_bytes);
		put64(b, s->alloc_count);
		put64(b, s->free_bytes);
		put64(b, s->free_count);
		put64(b, s->rss_bytes);
		put64(b, s->frees_unseen);
	}
}

static int collect_strings(const struct mt_profile *p, struct strtab *t)
{
	if (p->nsites >= RECORD_NO_STRING || p->nmodules >= RECORD_NO_STRING ||
	    p->nseries >= RECORD_NO_STRING || p->nalerts >= RECORD_NO_STRING || p->nleaks >= RECORD_NO_STRING)
		return -EOVERFLOW;
	strtab_add(t, p->command);
	strtab_add(t, p->cgroup);
	strtab_add(t, p->container_id);
	for (size_t i = 0; i < p->nmodules; i++) {
		strtab_add(t, p->modules[i].path);
		strtab_add(t, p->modules[i].build_id);
	}
	for (size_t i = 0; i < p->nsites; i++)
		for (uint32_t k = 0; k < p->sites[i].nframes; k++) {
			strtab_add(t, p->sites[i].frames[k].function);
			strtab_add(t, p->sites[i].frames[k].file);
		}
	for (size_t i = 0; i < p->nalerts; i++)
		for (uint32_t k = 0; k < p->alerts[i].site.nframes; k++) {
			strtab_add(t, p->alerts[i].site.frames[k].function);
			strtab_add(t, p->alerts[i].site.frames[k].file);
		}
	for (size_t i = 0; i < p->nleaks; i++)
		for (uint32_t k = 0; k < p->leaks[i].nframes; k++) {
			strtab_add(t, p->leaks[i].frames[k].function);
			strtab_add(t, p->leaks[i].frames[k].file);
		}
	return t->err;
}

static void header(uint8_t h[RECORD_HEADER_LEN], const struct body_out *b)
{
	memset(h, 0, RECORD_HEADER_LEN);
	memcpy(h, RECORD_MAGIC, RECORD_MAGIC_LEN);
	h[5] = 0x1a;
	le16(h + 6, RECORD_VERSION);
	le32(h + 12, b ? b->crc : 0);
	le64(h + 16, b ? b->clen : 0);
	le64(h + 24, b ? b->ulen : 0);
	le32(h + 32, (uint32_t)crc32(0, h, 32));
}

int record_encode(const struct mt_profile *p, FILE *out)
{
	struct strtab t = { 0 };
	struct body_out *b = NULL;
	uint8_t h[RECORD_HEADER_LEN];
	int err;

	err = collect_strings(p, &t);
	if (err)
		goto cleanup;
	b = calloc(1, sizeof(*b));
	if (!b) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* Level 3: most of level 6's ratio on this data at twice the speed. */
	if (deflateInit(&b->zs, 3) != Z_OK) {
		free(b);
		b = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	b->out = out;
	b->crc = (uint32_t)crc32(0, NULL, 0);
	header(h, NULL); /* placeholder, rewritten once the body's sizes are known */
	if (fwrite(h, 1, sizeof(h), out) != sizeof(h)) {
		err = -EIO;
		goto cleanup;
	}
	write_strings(b, &t);
	write_meta(b, p, &t);
	write_modules(b, p, &t);
	write_sites(b, p, &t);
	write_series(b, p);
	write_alerts(b, p, &t);
	write_leaks(b, p, &t);
	if (p->reach.state != MT_REACH_NONE) {
		uint8_t *rs;
		size_t len;

		err = record_reach_encode(p, &rs, &len);
		if (err)
			goto cleanup;
		section(b, RECORD_REACH, len);
		body_put(b, rs, len);
		free(rs);
	}
	if (p->go_heap.calls) {
		uint8_t *go;
		size_t len;

		err = record_go_heap_encode(p, &go, &len);
		if (err)
			goto cleanup;
		section(b, RECORD_GO_HEAP, len);
		body_put(b, go, len);
		free(go);
	}
	if (p->gc) {
		uint8_t *gc;
		size_t len;

		err = record_gc_encode(p->gc, &gc, &len);
		if (err)
			goto cleanup;
		section(b, RECORD_GC, len);
		body_put(b, gc, len);
		free(gc);
	}
	if (p->faults) {
		uint8_t *fs;
		size_t len;

		err = record_faults_encode(p->faults, &fs, &len);
		if (err)
			goto cleanup;
		section(b, RECORD_FAULTS, len);
		body_put(b, fs, len);
		free(fs);
		err = record_fault_lines_encode(p->faults, &fs, &len);
		if (err)
			goto cleanup;
		section(b, RECORD_FAULT_LINES, len);
		body_put(b, fs, len);
		free(fs);
	}
	body_flush_stage(b);
	err = b->err;
	if (!err)
		err = body_pump(b, Z_FINISH);
	if (err)
		goto cleanup;
	header(h, b);
	if (fseek(out, -(long)(b->clen + sizeof(h)), SEEK_CUR) || fwrite(h, 1, sizeof(h), out) != sizeof(h) ||
	    fseek(out, 0, SEEK_END) || fflush(out))
		err = -EIO;
cleanup:
	if (b) {
		deflateEnd(&b->zs);
		free(b);
	}
	strtab_free(&t);
	return err;
}

int record_write(const char *path, const struct mt_profile *p)
{
	struct safe_file sf;
	int err = safe_file_create(&sf, path);

	if (err)
		return err;
	err = record_encode(p, sf.f);
	if (err) {
		safe_file_abort(&sf);
		return err;
	}
	return safe_file_commit(&sf);
}

int record_write_rescue(const char *dir, const struct mt_profile *p, char *out, size_t outlen)
{
	char probe[4096], name[64];
	struct safe_file sf;
	int err;

	if ((size_t)snprintf(probe, sizeof(probe), "%s/x", dir) >= sizeof(probe))
		return -ENAMETOOLONG;
	err = safe_file_create(&sf, probe);
	if (err)
		return err;
	err = record_encode(p, sf.f);
	if (err) {
		safe_file_abort(&sf);
		return err;
	}
	err = safe_file_commit_unique(&sf, "memtrace-rescue-", ".mtrace", name, sizeof(name));
	if (!err && (size_t)snprintf(out, outlen, "%s/%s", dir, name) >= outlen)
		err = -ENAMETOOLONG;
	return err;
}
