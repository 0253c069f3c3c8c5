// SPDX-License-Identifier: MIT
/*
 * The tables of a profile.proto that samples refer to, read from hostile
 * input: every index and id is checked, sizes are capped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "pprof_fields.h"
#include "pprof_reader.h"
#include "protobuf.h"

static int want(uint32_t tag)
{
	return tag == PROFILE_SAMPLE_TYPE || tag == PROFILE_SAMPLE || tag == PROFILE_MAPPING ||
	       tag == PROFILE_LOCATION || tag == PROFILE_FUNCTION || tag == PROFILE_STRING_TABLE ||
	       tag == PROFILE_COMMENT;
}

/* Two passes over the top level: count each field, then keep where each is. */
int index_fields(struct reader *r, const uint8_t *buf, size_t len)
{
	struct pb_dec d = { buf, buf + len };
	struct pb_field f;
	size_t fill[16] = { 0 };
	int rc;

	while ((rc = pb_next(&d, &f)) > 0) {
		if (f.tag == PROFILE_TIME_NANOS && f.wire == PB_VARINT)
			r->p->start_realtime_ns = f.v;
		else if (f.tag == PROFILE_DURATION_NANOS && f.wire == PB_VARINT)
			r->p->duration_ns = f.v;
		else if (f.tag == PROFILE_MT_SERIES && f.wire == PB_LEN)
			r->series = (struct span){ f.bytes, f.len };
		else if (want(f.tag))
			r->nfields[f.tag]++;
	}
	if (rc < 0)
		return rc;
	for (int t = 0; t < 16; t++) {
		if (!r->nfields[t])
			continue;
		r->fields[t] = calloc(r->nfields[t], sizeof(struct span));
		if (!r->fields[t])
			return -ENOMEM;
	}
	d.p = buf;
	while (pb_next(&d, &f) > 0) {
		if (!want(f.tag))
			continue;
		/* A comment is a varint (or packed varints); the rest are messages. */
		if (f.tag != PROFILE_COMMENT && f.wire != PB_LEN)
			return -EINVAL;
		r->fields[f.tag][fill[f.tag]].p = f.wire == PB_LEN ? f.bytes : NULL;
		r->fields[f.tag][fill[f.tag]].len = f.wire == PB_LEN ? f.len : (size_t)f.v;
		fill[f.tag]++;
	}
	return 0;
}

int read_strings(struct reader *r)
{
	size_t n = r->nfields[PROFILE_STRING_TABLE];
	char *tmp = NULL;
	size_t tmpcap = 0;

	if (!n)
		return -EINVAL; /* even an empty profile has string_table[0] = "" */
	r->strs = calloc(n, sizeof(*r->strs));
	if (!r->strs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct span *s = &r->fields[PROFILE_STRING_TABLE][i];

		if (s->len + 1 > tmpcap) {
			char *t = realloc(tmp, s->len + 1);

			if (!t) {
				free(tmp);
				return -ENOMEM;
			}
			tmp = t;
			tmpcap = s->len + 1;
		}
		memcpy(tmp, s->p, s->len);
		tmp[s->len] = '\0'; /* an embedded NUL just cuts the string */
		r->strs[i] = profile_intern(r->p, tmp);
		if (!r->strs[i]) {
			free(tmp);
			return -ENOMEM;
		}
	}
	free(tmp);
	r->nstrs = n;
	return 0;
}

int str_at(const struct reader *r, uint64_t idx, const char **out)
{
	if (idx >= r->nstrs)
		return -EINVAL;
	*out = r->strs[idx];
	return 0;
}

/*
 * A fault or mapping view's sample type (pprof_write_view): its counts fill
 * both object slots and its bytes both space slots, as faults_view made
 * them.  1 when type is one.
 */
static int view_type(struct reader *r, const char *type, int idx)
{
	static const char *const counts[] = { "faults", "mappings" }, *const bytes[] = { "fault_bytes", "mapped" };
	int first = 0; /* alloc_objects, inuse_objects: slots 0 and 2; space: 1 and 3 */

	for (size_t n = 0; n < 2; n++) {
		if (strcmp(type, counts[n]) == 0)
			first = 0;
		else if (strcmp(type, bytes[n]) == 0)
			first = 1;
		else
			continue;
		for (int k = first; k < 4; k += 2)
			if (r->value_slot[k] < 0)
				r->value_slot[k] = idx;
		return 1;
	}
	return 0;
}

int read_sample_types(struct reader *r)
{
	static const char *const names[4] = { "alloc_objects", "alloc_space", "inuse_objects",
					      "inuse_space" };
	int found = 0;

	for (int k = 0; k < 4; k++)
		r->value_slot[k] = -1;
	for (size_t i = 0; i < r->nfields[PROFILE_SAMPLE_TYPE]; i++) {
		const struct span *s = &r->fields[PROFILE_SAMPLE_TYPE][i];
		struct pb_dec d = { s->p, s->p + s->len };
		struct pb_field f;
		const char *type = "";
		int rc;

		while ((rc = pb_next(&d, &f)) > 0)
			if (f.tag == VT_TYPE && (f.wire != PB_VARINT || str_at(r, f.v, &type)))
				return -EINVAL;
		if (rc < 0)
			return rc;
		for (int k = 0; k < 4; k++) {
			if (strcmp(type, names[k]) == 0 && r->value_slot[k] < 0) {
				r->value_slot[k] = (int)i;
				found = 1;
			}
		}
		found |= view_type(r, type, (int)i);
	}
	return found ? 0 : -EINVAL;
}

int read_mappings(struct reader *r)
{
	struct mt_profile *p = r->p;
	size_t n = r->nfields[PROFILE_MAPPING];

	if (!n)
		return 0;
	p->modules = calloc(n, sizeof(*p->modules));
	r->maps = calloc(n, sizeof(*r->maps));
	if (!p->modules || !r->maps)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct span *s = &r->fields[PROFILE_MAPPING][i];
		struct pb_dec d = { s->p, s->p + s->len };
		struct mt_module *m = &p->modules[i];
		struct pb_field f;
		int rc = 0;

		m->path = r->strs[0];
		while ((rc = pb_next(&d, &f)) > 0) {
			if (f.wire != PB_VARINT)
				continue;
			switch (f.tag) {
			case MAP_ID:
				r->maps[i].id = f.v;
				break;
			case MAP_START:
				m->start = f.v;
				break;
			case MAP_LIMIT:
				m->limit = f.v;
				break;
			case MAP_OFFSET:
				m->file_offset = f.v;
				break;
			case MAP_FILENAME:
				rc = str_at(r, f.v, &m->path);
				break;
			case MAP_BUILD_ID:
				rc = str_at(r, f.v, &m->build_id);
				break;
			}
			if (rc < 0)
				return rc;
		}
		if (rc < 0 || !r->maps[i].id)
			return -EINVAL;
		if (m->build_id && !*m->build_id)
			m->build_id = NULL;
		r->maps[i].module = i;
		p->nmodules++;
	}
	return 0;
}

int read_functions(struct reader *r)
{
	size_t n = r->nfields[PROFILE_FUNCTION];

	r->fns = calloc(n ? n : 1, sizeof(*r->fns));
	if (!r->fns)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct span *s = &r->fields[PROFILE_FUNCTION][i];
		struct pb_dec d = { s->p, s->p + s->len };
		struct pb_field f;
		int rc;

		r->fns[i].name = r->strs[0];
		r->fns[i].filename = r->strs[0];
		while ((rc = pb_next(&d, &f)) > 0) {
			if (f.wire != PB_VARINT)
				continue;
			if (f.tag == FN_ID)
				r->fns[i].id = f.v;
			else if (f.tag == FN_NAME && str_at(r, f.v, &r->fns[i].name))
				return -EINVAL;
			else if (f.tag == FN_FILENAME && str_at(r, f.v, &r->fns[i].filename))
				return -EINVAL;
			else if (f.tag == FN_START_LINE)
				r->fns[i].start_line = f.v > UINT32_MAX ? 0 : (uint32_t)f.v;
		}
		if (rc < 0 || !r->fns[i].id)
			return -EINVAL;
	}
	r->nfns = n;
	return 0;
}

static int add_line(struct reader *r, uint64_t fid, uint64_t line)
{
	if (grow((void **)&r->lines, &r->linecap, r->nlines, sizeof(*r->lines), 1024) ||
	    grow((void **)&r->line_nos, &r->line_nos_cap, r->nlines, sizeof(*r->line_nos), 1024))
		return -ENOMEM;
	r->line_nos[r->nlines] = line > UINT32_MAX ? 0 : (uint32_t)line;
	r->lines[r->nlines++] = fid;
	return 0;
}

static int read_line(struct reader *r, const struct pb_field *line)
{
	struct pb_dec d = { line->bytes, line->bytes + line->len };
	struct pb_field f;
	uint64_t fid = 0, lineno = 0;
	int rc;

	while ((rc = pb_next(&d, &f)) > 0) {
		if (f.tag == LINE_FUNCTION_ID && f.wire == PB_VARINT)
			fid = f.v;
		else if (f.tag == LINE_LINE && f.wire == PB_VARINT)
			lineno = f.v;
	}
	return rc < 0 ? rc : add_line(r, fid, lineno);
}

int read_locations(struct reader *r)
{
	size_t n = r->nfields[PROFILE_LOCATION];

	r->locs = calloc(n ? n : 1, sizeof(*r->locs));
	if (!r->locs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct span *s = &r->fields[PROFILE_LOCATION][i];
		struct pb_dec d = { s->p, s->p + s->len };
		struct rd_location *l = &r->locs[i];
		struct pb_field f;
		int rc = 0;

		l->first_line = r->nlines;
		while ((rc = pb_next(&d, &f)) > 0) {
			if (f.tag == LOC_LINE && f.wire == PB_LEN)
				rc = read_line(r, &f);
			else if (f.wire != PB_VARINT)
				continue;
			else if (f.tag == LOC_ID)
				l->id = f.v;
			else if (f.tag == LOC_MAPPING_ID)
				l->mapping_id = f.v;
			else if (f.tag == LOC_ADDRESS)
				l->address = f.v;
			if (rc < 0)
				return rc;
		}
		if (rc < 0 || !l->id)
			return -EINVAL;
		l->nlines = r->nlines - l->first_line;
	}
	r->nlocs = n;
	return 0;
}

