// SPDX-License-Identifier: MIT
/*
 * profile.proto back into an mt_profile.  Untrusted input: every index and
 * id is checked, sizes are capped, and any inconsistency is -EINVAL.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_name.h"
#include "grow.h"
#include "gzip_io.h"
#include "pprof.h"
#include "pprof_fields.h"
#include "protobuf.h"
#include "pprof_reader.h"

static int cmp_fn(const void *a, const void *b)
{
	uint64_t x = ((const struct rd_function *)a)->id, y = ((const struct rd_function *)b)->id;

	return x < y ? -1 : x > y;
}

static int cmp_loc(const void *a, const void *b)
{
	uint64_t x = ((const struct rd_location *)a)->id, y = ((const struct rd_location *)b)->id;

	return x < y ? -1 : x > y;
}

static int cmp_map(const void *a, const void *b)
{
	uint64_t x = ((const struct rd_mapping *)a)->id, y = ((const struct rd_mapping *)b)->id;

	return x < y ? -1 : x > y;
}

/* Ids are usually 1..n in order (pprof_write's are): try that before bsearch. */
#define LOOKUP(arr, n, key_id, cmp)                                                            \
	({                                                                                     \
		__typeof__(&(arr)[0]) hit_ = NULL;                                             \
		if ((key_id) >= 1 && (key_id) <= (n) && (arr)[(key_id)-1].id == (key_id))      \
			hit_ = &(arr)[(key_id)-1];                                             \
		else if (n) {                                                                  \
			__typeof__((arr)[0]) k_ = { .id = (key_id) };                          \
			hit_ = bsearch(&k_, (arr), (n), sizeof(k_), cmp);                      \
		}                                                                              \
		hit_;                                                                          \
	})

struct id_list {
	uint64_t *v;
	size_t n, cap;
};

static int push_id(uint64_t v, void *arg)
{
	struct id_list *l = arg;

	/* Capacities run 64, 128, ... up to MAX_FRAMES_PER_SITE * 2: no further. */
	if (l->n >= MAX_FRAMES_PER_SITE * 2)
		return -EINVAL;
	if (grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v), 64))
		return -ENOMEM;
	l->v[l->n++] = v;
	return 0;
}

/* The name pprof_write made up for an unnamed frame means "no name". */
static const char *real_name(const struct mt_profile *p, struct mt_frame *fr, const char *name)
{
	char buf[FRAME_NAME_MAX];

	if (!*name)
		return NULL;
	fr->function = NULL;
	return strcmp(name, frame_name(p, fr, FRAME_STYLE_PPROF, buf)) == 0 ? NULL : name;
}

static int frame_from(struct reader *r, const struct rd_location *l, uint64_t fid, struct mt_frame *fr)
{
	const struct rd_function *fn = NULL;
	const struct rd_mapping *m = NULL;

	fr->addr = l->address;
	fr->offset = l->address;
	fr->module = -1;
	if (l->mapping_id) {
		m = LOOKUP(r->maps, r->p->nmodules, l->mapping_id, cmp_map);
		if (!m)
			return -EINVAL;
		const struct mt_module *mod = &r->p->modules[m->module];

		fr->module = (int32_t)m->module;
		fr->offset = l->address - mod->start + mod->file_offset;
	}
	if (fid) {
		fn = LOOKUP(r->fns, r->nfns, fid, cmp_fn);
		if (!fn)
			return -EINVAL;
		fr->function = real_name(r->p, fr, fn->name);
		fr->file = fn->filename && *fn->filename ? fn->filename : NULL;
		fr->fn_line = fn->start_line;
	}
	return 0;
}

static int read_sample(struct reader *r, const struct span *s, struct mt_site *site,
		       struct id_list *locs, struct id_list *vals)
{
	struct pb_dec d = { s->p, s->p + s->len };
	uint64_t *dest[4] = { &site->alloc_count, &site->alloc_bytes, &site->inuse_count,
			      &site->inuse_bytes };
	struct mt_frame *frames;
	struct pb_field f;
	size_t nframes = 0, k;
	int rc;

	locs->n = vals->n = 0;
	while ((rc = pb_next(&d, &f)) > 0) {
		if (f.tag == SAMPLE_LOCATION_ID)
			rc = pb_each_uint64(&f, push_id, locs);
		else if (f.tag == SAMPLE_VALUE)
			rc = pb_each_uint64(&f, push_id, vals);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	for (int i = 0; i < 4; i++)
		if (r->value_slot[i] >= 0 && (size_t)r->value_slot[i] < vals->n)
			*dest[i] = vals->v[r->value_slot[i]];
	for (size_t i = 0; i < locs->n; i++) {
		const struct rd_location *l = LOOKUP(r->locs, r->nlocs, locs->v[i], cmp_loc);

		if (!l)
			return -EINVAL;
		nframes += l->nlines ? l->nlines : 1;
	}
	r->total_frames += nframes;
	if (nframes > MAX_FRAMES_PER_SITE || r->total_frames > MAX_FRAMES_TOTAL)
		return -EINVAL;
	frames = calloc(nframes ? nframes : 1, sizeof(*frames));
	if (!frames)
		return -ENOMEM;
	site->frames = frames;
	site->nframes = (uint32_t)nframes;
	/* Lines of one location run innermost (inlined) first, as frames do. */
	for (size_t i = 0, j = 0; i < locs->n; i++) {
		const struct rd_location *l = LOOKUP(r->locs, r->nlocs, locs->v[i], cmp_loc);

		for (k = 0; k < (l->nlines ? l->nlines : 1); k++, j++) {
			rc = frame_from(r, l, l->nlines ? r->lines[l->first_line + k] : 0, &frames[j]);
			if (rc)
				return rc;
			frames[j].inlined = k + 1 < l->nlines;
			if (l->nlines)
				frames[j].line = r->line_nos[l->first_line + k];
		}
	}
	return 0;
}

static int read_samples(struct reader *r)
{
	struct mt_profile *p = r->p;
	size_t n = r->nfields[PROFILE_SAMPLE];
	struct id_list locs = { 0 }, vals = { 0 };
	int err = 0;

	if (!n)
		return 0;
	p->sites = calloc(n, sizeof(*p->sites));
	if (!p->sites)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		/* Count the site first: profile_free() then frees a half-built one. */
		p->nsites++;
		err = read_sample(r, &r->fields[PROFILE_SAMPLE][i], &p->sites[i], &locs, &vals);
	}
	free(locs.v);
	free(vals.v);
	return err;
}

/* Parses "a,b,c" into exactly n numbers. */
static int parse_u64s(const char *s, char sep, uint64_t *v, size_t n, const char **end)
{
	for (size_t i = 0; i < n; i++) {
		char *e;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		v[i] = strtoull(s, &e, 10);
		if (errno || (i + 1 < n && *e != sep))
			return -EINVAL;
		s = i + 1 < n ? e + 1 : e;
	}
	*end = s;
	return 0;
}

struct series_fill {
	struct mt_profile *p;
	size_t k; /* values stored so far */
};

static int series_value(uint64_t v, void *arg)
{
	struct series_fill *f = arg;
	struct mt_sample *s = &f->p->series[f->k / 6];
	uint64_t *slot[6] = { &s->t_ns, &s->inuse_bytes, &s->inuse_count, &s->alloc_bytes,
			      &s->alloc_count, &s->rss_bytes };

	*slot[f->k % 6] = v;
	f->k++;
	return 0;
}

static int read_series(struct reader *r)
{
	struct series_fill fill = { r->p, 0 };
	struct pb_field f = { .tag = PROFILE_MT_SERIES, .wire = PB_LEN };
	struct pb_dec d = { r->series.p, r->series.p + r->series.len };
	size_t n = 0;
	uint64_t v;

	if (!r->series.p)
		return 0;
	/* Count first: a varint is at least one byte, so n <= len is bounded. */
	while (d.p < d.end) {
		if (pb_read_varint(&d, &v))
			return -EINVAL;
		n++;
	}
	if (n % 6)
		return -EINVAL;
	if (!n)
		return 0;
	r->p->series = calloc(n / 6, sizeof(*r->p->series));
	if (!r->p->series)
		return -ENOMEM;
	r->p->nseries = n / 6;
	f.bytes = r->series.p;
	f.len = r->series.len;
	return pb_each_uint64(&f, series_value, &fill);
}

static int read_comment(uint64_t idx, void *arg)
{
	struct reader *r = arg;
	struct mt_profile *p = r->p;
	const char *s, *end;
	uint64_t v[7];

	if (str_at(r, idx, &s))
		return -EINVAL;
	if (strncmp(s, MT_COMMENT_PID, strlen(MT_COMMENT_PID)) == 0) {
		p->pid = (int32_t)strtol(s + strlen(MT_COMMENT_PID), NULL, 10);
	} else if (strncmp(s, MT_COMMENT_COMMAND, strlen(MT_COMMENT_COMMAND)) == 0) {
		p->command = profile_intern(p, s + strlen(MT_COMMENT_COMMAND));
		if (!p->command)
			return -ENOMEM;
	} else if (strncmp(s, MT_COMMENT_CGROUP, strlen(MT_COMMENT_CGROUP)) == 0) {
		p->cgroup = profile_intern(p, s + strlen(MT_COMMENT_CGROUP));
		if (!p->cgroup)
			return -ENOMEM;
	} else if (strncmp(s, MT_COMMENT_CONTAINER, strlen(MT_COMMENT_CONTAINER)) == 0) {
		p->container_id = profile_intern(p, s + strlen(MT_COMMENT_CONTAINER));
		if (!p->container_id)
			return -ENOMEM;
	} else if (strncmp(s, MT_COMMENT_TOTALS, strlen(MT_COMMENT_TOTALS)) == 0) {
		if (parse_u64s(s + strlen(MT_COMMENT_TOTALS), ',', v, 7, &end) || *end)
			return -EINVAL;
		p->totals = (struct mt_totals){ v[0], v[1], v[2], v[3], v[4], v[5], v[6] };
	} else if (strncmp(s, MT_COMMENT_DROPS, strlen(MT_COMMENT_DROPS)) == 0) {
		if (parse_u64s(s + strlen(MT_COMMENT_DROPS), ',', v, 5, &end) || *end)
			return -EINVAL;
		p->drops = (struct mt_drops){ v[0], v[1], v[3], v[4] }; /* v[2]: always 0 */
	}
	return 0; /* somebody else's comment */
}

static int read_comments(struct reader *r)
{
	for (size_t i = 0; i < r->nfields[PROFILE_COMMENT]; i++) {
		const struct span *s = &r->fields[PROFILE_COMMENT][i];
		struct pb_field f = { .tag = PROFILE_COMMENT };
		int err;

		/* index_fields kept a varint's value in len and a packed run's bytes. */
		if (s->p) {
			f.wire = PB_LEN;
			f.bytes = s->p;
			f.len = s->len;
		} else {
			f.wire = PB_VARINT;
			f.v = s->len;
		}
		err = pb_each_uint64(&f, read_comment, r);
		if (err)
			return err;
	}
	return 0;
}

int pprof_decode(const unsigned char *buf, size_t len, struct mt_profile *out)
{
	struct reader r = { .p = out };
	int err;

	memset(out, 0, sizeof(*out));
	err = index_fields(&r, buf, len);
	if (!err)
		err = read_strings(&r);
	if (!err)
		err = read_sample_types(&r);
	if (!err)
		err = read_mappings(&r);
	if (!err)
		err = read_functions(&r);
	if (!err)
		err = read_locations(&r);
	if (!err) {
		qsort(r.fns, r.nfns, sizeof(*r.fns), cmp_fn);
		qsort(r.locs, r.nlocs, sizeof(*r.locs), cmp_loc);
		if (r.maps)
			qsort(r.maps, out->nmodules, sizeof(*r.maps), cmp_map);
		err = read_comments(&r);
	}
	if (!err)
		err = read_series(&r);
	if (!err)
		err = read_samples(&r);
	for (int t = 0; t < 16; t++)
		free(r.fields[t]);
	free(r.strs);
	free(r.fns);
	free(r.locs);
	free(r.lines);
	free(r.line_nos);
	free(r.maps);
	if (err)
		profile_free(out);
	return err;
}

int pprof_read(const char *path, struct mt_profile *out)
{
	unsigned char *buf;
	size_t len;
	int err;

	memset(out, 0, sizeof(*out));
	err = gzip_read_file(path, PPROF_READ_MAX, &buf, &len);
	if (err)
		return err;
	err = pprof_decode(buf, len, out);
	free(buf);
	return err;
}

