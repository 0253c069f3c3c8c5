// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "frame_name.h"
#include "grow.h"
#include "gzip_io.h"
#include "hmap.h"
#include "pprof.h"
#include "pprof_fields.h"
#include "protobuf.h"
#include "strpool.h"

#define FLUSH_AT 65536

/* Ids for pairs of u64 keys, 1, 2, ... in the order the pairs are first seen. */
struct idmap {
	struct idmap_key {
		uint64_t k1, k2;
	} *keys; /* keys[id - 1] */
	size_t n, cap;
	struct hmap index; /* hash of (k1, k2) -> id - 1 */
};

/* The id of (k1, k2), adding it (*added = 1) if new; 0 on ENOMEM. */
static uint64_t idmap_id(struct idmap *m, uint64_t k1, uint64_t k2, int *added)
{
	uint64_t h = hmap_hash_pair(k1, k2);
	struct hmap_probe p;

	*added = 0;
	for (uint32_t i = hmap_first(&m->index, h, &p); i != HMAP_NONE; i = hmap_next(&m->index, &p))
		if (m->keys[i].k1 == k1 && m->keys[i].k2 == k2)
			return (uint64_t)i + 1;
	if (m->n >= HMAP_NONE || grow((void **)&m->keys, &m->cap, m->n, sizeof(*m->keys), 1024) ||
	    hmap_add(&m->index, h, (uint32_t)m->n))
		return 0;
	m->keys[m->n++] = (struct idmap_key){ k1, k2 };
	*added = 1;
	return m->n;
}

static void idmap_free(struct idmap *m)
{
	hmap_free(&m->index);
	free(m->keys);
}

struct writer {
	const struct mt_profile *p;
	const struct pprof_view *view; /* NULL: the heap's four sample types */
	struct pb_enc pb;
	struct gzip_out *gz;
	struct strpool *pool;
	struct idmap strings, functions, locations; /* strings: k1 is the interned pointer */
	int err;
};

/* Hands finished top-level fields to gzip, so the buffer stays small. */
static void flush(struct writer *w, int force)
{
	if (w->err || w->pb.nest || (!force && w->pb.len < FLUSH_AT))
		return;
	if (w->pb.err) {
		w->err = w->pb.err;
		return;
	}
	w->err = gzip_out_write(w->gz, w->pb.data, w->pb.len);
	w->pb.len = 0;
}

static int64_t str_index(struct writer *w, const char *s)
{
	const char *c;
	uint64_t id;
	int added;

	if (!s)
		s = "";
	c = strpool_intern(w->pool, s);
	id = c ? idmap_id(&w->strings, (uint64_t)(uintptr_t)c, 0, &added) : 0;
	if (!id) {
		w->err = -ENOMEM;
		return 0;
	}
	return (int64_t)id - 1;
}

static void value_type(struct writer *w, int tag, const char *type, const char *unit)
{
	int64_t t = str_index(w, type), u = str_index(w, unit);
	size_t start = pb_start(&w->pb);

	pb_int64(&w->pb, VT_TYPE, t);
	pb_int64(&w->pb, VT_UNIT, u);
	pb_end(&w->pb, tag, start);
}

static void mappings(struct writer *w)
{
	for (size_t i = 0; i < w->p->nmodules; i++) {
		const struct mt_module *mod = &w->p->modules[i];
		int64_t file = str_index(w, mod->path), bid = str_index(w, mod->build_id);
		size_t start = pb_start(&w->pb);

		pb_uint64(&w->pb, MAP_ID, i + 1);
		pb_uint64(&w->pb, MAP_START, mod->start);
		pb_uint64(&w->pb, MAP_LIMIT, mod->limit);
		pb_uint64(&w->pb, MAP_OFFSET, mod->file_offset);
		pb_int64(&w->pb, MAP_FILENAME, file);
		pb_int64(&w->pb, MAP_BUILD_ID, bid);
		/* Names come from us: pprof must not re-symbolize from local files. */
		pb_bool(&w->pb, MAP_HAS_FUNCTIONS, 1);
		pb_end(&w->pb, PROFILE_MAPPING, start);
		flush(w, 0);
	}
}

/* A function is its name in its file: two static functions of one name are two. */
static uint64_t function_id(struct writer *w, const char *name, const struct mt_frame *f)
{
	int64_t idx = str_index(w, name), file = str_index(w, f->file);
	uint64_t id;
	size_t start;
	int added;

	if (w->err)
		return 0;
	id = idmap_id(&w->functions, (uint64_t)idx, (uint64_t)file, &added);
	if (!id) {
		w->err = -ENOMEM;
		return 0;
	}
	if (!added)
		return id;
	start = pb_start(&w->pb);
	pb_uint64(&w->pb, FN_ID, id);
	pb_int64(&w->pb, FN_NAME, idx);
	pb_int64(&w->pb, FN_SYSTEM_NAME, idx);
	pb_int64(&w->pb, FN_FILENAME, file);
	pb_int64(&w->pb, FN_START_LINE, f->fn_line);
	pb_end(&w->pb, PROFILE_FUNCTION, start);
	return id;
}

/*
 * One location for the n frames of one address: the functions inlined
 * there, then the one holding the code, each a Line (profile.proto: "the
 * last entry represents the caller into which the preceding entries were
 * inlined").  Keyed by address and innermost function: the same address
 * in two mappings of one object stays one location.
 */
static uint64_t location_id(struct writer *w, const struct mt_frame *f, uint32_t n)
{
	char buf[FRAME_NAME_MAX];
	uint64_t fid = function_id(w, frame_name(w->p, f, FRAME_STYLE_PPROF, buf), f);
	int valid_module = f->module >= 0 && (size_t)f->module < w->p->nmodules;
	size_t start, line;
	uint64_t id;
	int added;

	if (w->err)
		return 0;
	id = idmap_id(&w->locations, f->addr, fid, &added);
	if (!id) {
		w->err = -ENOMEM;
		return 0;
	}
	if (!added)
		return id;
	/* Functions go out before the location that names them. */
	for (uint32_t k = 1; k < n; k++)
		function_id(w, frame_name(w->p, &f[k], FRAME_STYLE_PPROF, buf), &f[k]);
	start = pb_start(&w->pb);
	pb_uint64(&w->pb, LOC_ID, id);
	pb_uint64(&w->pb, LOC_MAPPING_ID, valid_module ? (uint64_t)f->module + 1 : 0);
	pb_uint64(&w->pb, LOC_ADDRESS, f->addr);
	for (uint32_t k = 0; k < n; k++) {
		line = pb_start(&w->pb);
		pb_uint64(&w->pb, LINE_FUNCTION_ID, k ? function_id(w, frame_name(w->p, &f[k], FRAME_STYLE_PPROF, buf), &f[k]) : fid);
		pb_int64(&w->pb, LINE_LINE, f[k].line);
		pb_end(&w->pb, LOC_LINE, line);
	}
	pb_end(&w->pb, PROFILE_LOCATION, start);
	return id;
}

/* A label on the sample being written: viewers group and filter by them
 * (go tool pprof -tags, -tagfocus). */
static void label(struct writer *w, int64_t key, int64_t str, int64_t num)
{
	size_t start = pb_start(&w->pb);

	pb_int64(&w->pb, LABEL_KEY, key);
	pb_int64(&w->pb, LABEL_STR, str);
	pb_int64(&w->pb, LABEL_NUM, num);
	pb_end(&w->pb, SAMPLE_LABEL, start);
}

static void samples(struct writer *w)
{
	uint64_t *ids = NULL;
	size_t cap = 0;
	/* One process per profile: every sample carries its pid and comm. */
	int64_t key_pid = str_index(w, "pid"), key_comm = str_index(w, "comm");
	int64_t comm = w->p->command && *w->p->command ? str_index(w, w->p->command) : 0;
	/* Where it ran, for -tagfocus across profiles of many containers. */
	int64_t key_cgroup = str_index(w, "cgroup"), key_container = str_index(w, "container_id");
	int64_t key_nspid = w->p->nspid ? str_index(w, "nspid") : 0;
	int64_t cgroup = w->p->cgroup && *w->p->cgroup ? str_index(w, w->p->cgroup) : 0;
	int64_t container = w->p->container_id && *w->p->container_id ? str_index(w, w->p->container_id) : 0;

	for (size_t i = 0; i < w->p->nsites && !w->err; i++) {
		const struct mt_site *s = &w->p->sites[i];
		const struct mt_reach_counts *r = &s->reach;
		uint64_t values[10] = { s->alloc_count, s->alloc_bytes, s->inuse_count, s->inuse_bytes,
					r->lost_count, r->lost_bytes, r->indirect_count, r->indirect_bytes,
					r->reachable_count, r->reachable_bytes };
		size_t start;
		uint32_t nids;

		if (grow_to((void **)&ids, &cap, s->nframes, sizeof(*ids), 64)) {
			w->err = -ENOMEM;
			break;
		}
		/* Locations and functions are emitted as first seen, between samples. */
		nids = 0;
		for (uint32_t j = 0, n; j < s->nframes; j += n) {
			for (n = 1; j + n < s->nframes && s->frames[j + n - 1].inlined; n++)
				;
			ids[nids++] = location_id(w, &s->frames[j], n);
		}
		flush(w, 0);
		start = pb_start(&w->pb);
		pb_uint64s(&w->pb, SAMPLE_LOCATION_ID, ids, nids);
		/* A view's two values are its count and bytes, in alloc_*; with a
		 * reachability scan, the heap has six more sample types. */
		pb_uint64s(&w->pb, SAMPLE_VALUE, values, w->view ? 2 : w->p->reach.state == MT_REACH_DONE ? 10 : 4);
		if (w->p->pid > 0)
			label(w, key_pid, 0, w->p->pid);
		if (comm)
			label(w, key_comm, comm, 0);
		if (cgroup)
			label(w, key_cgroup, cgroup, 0);
		if (container)
			label(w, key_container, container, 0);
		if (key_nspid)
			label(w, key_nspid, 0, w->p->nspid);
		pb_end(&w->pb, PROFILE_SAMPLE, start);
		flush(w, 0);
	}
	free(ids);
}

/* A growable string for the comments; failed marks an allocation failure. */
struct sbuf {
	char *data;
	size_t len, cap;
	int failed;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n < sb->cap - sb->len) {
		if (n > 0)
			sb->len += (size_t)n;
		return;
	}
	if (grow_to((void **)&sb->data, &sb->cap, sb->len + (size_t)n + 1, 1, 256)) {
		sb->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

static void comment(struct writer *w, struct sbuf *sb)
{
	int64_t idx;

	if (sb->failed) {
		w->err = -ENOMEM;
		return;
	}
	idx = str_index(w, sb->data);
	if (!w->err) {
		/* Index 0 is "" and pb_int64 would drop it: never the case for a comment. */
		pb_int64(&w->pb, PROFILE_COMMENT, idx);
	}
	sb->len = 0;
	flush(w, 0);
}

static void comments(struct writer *w)
{
	const struct mt_profile *p = w->p;
	const struct mt_totals *t = &p->totals;
	const struct mt_drops *d = &p->drops;
	struct sbuf sb = { .data = malloc(256), .cap = 256 };

	if (!sb.data) {
		w->err = -ENOMEM;
		return;
	}
	sb_printf(&sb, MT_COMMENT_PID "%" PRId32, p->pid);
	comment(w, &sb);
	if (p->command) {
		sb_printf(&sb, MT_COMMENT_COMMAND "%s", p->command);
		comment(w, &sb);
	}
	if (p->cgroup) {
		sb_printf(&sb, MT_COMMENT_CGROUP "%s", p->cgroup);
		comment(w, &sb);
	}
	if (p->container_id) {
		sb_printf(&sb, MT_COMMENT_CONTAINER "%s", p->container_id);
		comment(w, &sb);
	}
	sb_printf(&sb, MT_COMMENT_TOTALS "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
				 ",%" PRIu64 ",%" PRIu64,
		  t->alloc_count, t->alloc_bytes, t->free_count, t->free_bytes, t->inuse_count,
		  t->inuse_bytes, t->peak_inuse_bytes);
	comment(w, &sb);
	if (p->untracked.allocs) {
		sb_printf(&sb, "memtrace: inuse ESTIMATED: %" PRIu64 " allocations untracked (block table full), %" PRIu64
			       " unmatched frees charged in proportion",
			  p->untracked.allocs, p->untracked.frees_unmatched);
		comment(w, &sb);
	}
	sb_printf(&sb, MT_COMMENT_DROPS "%" PRIu64 ",%" PRIu64 ",0,%" PRIu64 ",%" PRIu64, d->stack_full,
		  d->allocs_full, d->inflight_full, d->events_lost);
	comment(w, &sb);
	free(sb.data);
}

static void series(struct writer *w)
{
	const struct mt_profile *p = w->p;
	size_t start;

	if (!p->nseries)
		return;
	start = pb_start(&w->pb);
	for (size_t i = 0; i < p->nseries; i++) {
		const struct mt_sample *s = &p->series[i];

		pb_varint(&w->pb, s->t_ns);
		pb_varint(&w->pb, s->inuse_bytes);
		pb_varint(&w->pb, s->inuse_count);
		pb_varint(&w->pb, s->alloc_bytes);
		pb_varint(&w->pb, s->alloc_count);
		pb_varint(&w->pb, s->rss_bytes);
	}
	pb_end(&w->pb, PROFILE_MT_SERIES, start);
	flush(w, 0);
}

static void string_table(struct writer *w)
{
	for (size_t i = 0; i < w->strings.n && !w->err; i++) {
		pb_string(&w->pb, PROFILE_STRING_TABLE, (const char *)(uintptr_t)w->strings.keys[i].k1);
		flush(w, 0);
	}
}

/* The sample types, period type and period, and the default type. */
static void value_types(struct writer *w)
{
	if (w->view) {
		value_type(w, PROFILE_SAMPLE_TYPE, w->view->count, "count");
		value_type(w, PROFILE_SAMPLE_TYPE, w->view->bytes, "bytes");
		return;
	}
	value_type(w, PROFILE_SAMPLE_TYPE, "alloc_objects", "count");
	value_type(w, PROFILE_SAMPLE_TYPE, "alloc_space", "bytes");
	value_type(w, PROFILE_SAMPLE_TYPE, "inuse_objects", "count");
	value_type(w, PROFILE_SAMPLE_TYPE, "inuse_space", "bytes");
	if (w->p->reach.state == MT_REACH_DONE) {
		value_type(w, PROFILE_SAMPLE_TYPE, "lost_objects", "count");
		value_type(w, PROFILE_SAMPLE_TYPE, "lost_space", "bytes");
		value_type(w, PROFILE_SAMPLE_TYPE, "indirectly_lost_objects", "count");
		value_type(w, PROFILE_SAMPLE_TYPE, "indirectly_lost_space", "bytes");
		value_type(w, PROFILE_SAMPLE_TYPE, "reachable_objects", "count");
		value_type(w, PROFILE_SAMPLE_TYPE, "reachable_space", "bytes");
	}
}

static void period(struct writer *w)
{
	const struct mt_profile *p = w->p;

	if (w->view) {
		value_type(w, PROFILE_PERIOD_TYPE, w->view->count, "count");
		pb_int64(&w->pb, PROFILE_PERIOD, 1);
		pb_int64(&w->pb, PROFILE_DEFAULT_SAMPLE_TYPE, str_index(w, w->view->bytes));
		return;
	}
	value_type(w, PROFILE_PERIOD_TYPE, "space", "bytes");
	/* As Go's heap profiles (period = MemProfileRate): the mean bytes
	 * between samples, 1 when every allocation was traced.  The values are
	 * already scaled up to estimates; pprof does not scale proto profiles
	 * by the period again. */
	pb_int64(&w->pb, PROFILE_PERIOD, p->sample_bytes ? (int64_t)p->sample_bytes : 1);
	pb_int64(&w->pb, PROFILE_DEFAULT_SAMPLE_TYPE, str_index(w, "inuse_space"));
}

int pprof_write(const struct mt_profile *p, FILE *out)
{
	return pprof_write_view(p, NULL, out);
}

int pprof_write_view(const struct mt_profile *p, const struct pprof_view *view, FILE *out)
{
	struct writer w = { .p = p, .view = view };
	int err;

	w.pool = strpool_new();
	w.gz = gzip_out_new(out, Z_BEST_SPEED); /* what Go's runtime/pprof uses */
	if (!w.pool || !w.gz) {
		err = -ENOMEM;
		goto cleanup;
	}
	str_index(&w, ""); /* string_table[0] must be "" */
	value_types(&w);
	mappings(&w);
	samples(&w);
	comments(&w);
	series(&w);
	pb_int64(&w.pb, PROFILE_TIME_NANOS, (int64_t)p->start_realtime_ns);
	pb_int64(&w.pb, PROFILE_DURATION_NANOS, (int64_t)p->duration_ns);
	period(&w);
	string_table(&w);
	flush(&w, 1);
	err = w.err ? w.err : w.pb.err;
	if (!err) {
		err = gzip_out_finish(w.gz);
		w.gz = NULL;
	}
cleanup:
	gzip_out_abort(w.gz);
	pb_enc_free(&w.pb);
	idmap_free(&w.strings);
	idmap_free(&w.functions);
	idmap_free(&w.locations);
	strpool_free(w.pool);
	return err;
}
