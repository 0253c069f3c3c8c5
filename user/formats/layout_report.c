// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "layout_report.h"

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void member_line(FILE *f, const struct lt_member *m, uint64_t off, uint64_t boff)
{
	char buf[4200];

	if (m->bit_size)
		snprintf(buf, sizeof(buf), "%s:%u;", m->decl, m->bit_size);
	else if (m->forced_align)
		snprintf(buf, sizeof(buf), "%s __attribute__((aligned(%u)));", m->decl, m->align);
	else
		snprintf(buf, sizeof(buf), "%s;", m->decl);
	if (m->bit_size)
		fprintf(f, "\t%-40s /* %5" PRIu64 ":%2" PRIu64 " %4" PRIu64 " */\n", buf, off, boff - off * 8, m->size);
	else
		fprintf(f, "\t%-40s /* %5" PRIu64 " %4" PRIu64 " */\n", buf, off, m->size);
}

static void type_head(FILE *f, const struct lt_type *t)
{
	if (t->typedef_name)
		fprintf(f, "typedef %s {\n", layout_kind_name(t->kind));
	else
		fprintf(f, "%s %s {\n", layout_kind_name(t->kind), t->name);
}

/* "}" and the attributes, then the name of a typedef. */
static void type_tail(FILE *f, const struct lt_type *t)
{
	fputc('}', f);
	if (t->forced_align)
		fprintf(f, " __attribute__((aligned(%u)))", t->align);
	if (t->typedef_name)
		fprintf(f, " %s", t->name);
	fprintf(f, ";\n");
}

static void text_row(FILE *f, const struct layout_row *r)
{
	const struct lt_type *t = r->t;
	const struct lt_holes *h = &r->h;
	uint64_t saving = layout_saving(t, &r->s);

	type_head(f, t);
	for (size_t i = 0; i < t->nmembers; i++) {
		member_line(f, &t->members[i], t->members[i].offset, t->members[i].bit_offset);
		if (r->bit_hole[i] > 0)
			fprintf(f, "\t/* XXX %d bit%s hole */\n", r->bit_hole[i], r->bit_hole[i] == 1 ? "" : "s");
		if (r->hole[i] > 0)
			fprintf(f, "\t/* XXX %" PRId64 " byte%s hole */\n", r->hole[i], r->hole[i] == 1 ? "" : "s");
	}
	fprintf(f, "\t/* size: %" PRIu64 ", align: %u, members: %zu", t->size, t->align, t->nmembers);
	if (t->virtual_bases)
		fprintf(f, " (and %u virtual base%s)", t->virtual_bases, t->virtual_bases == 1 ? "" : "s");
	fprintf(f, " */\n");
	if (t->kind != LT_UNION) {
		fprintf(f, "\t/* sum members: %" PRIu64 ", holes: %u, sum holes: %" PRIu64 " */\n", h->sum_members,
			h->holes, h->sum_holes);
		if (h->sum_bit_members)
			fprintf(f, "\t/* sum bitfield members: %" PRIu64 " bits, bit holes: %u, sum bit holes: %" PRIu64
				   " bits */\n",
				h->sum_bit_members, h->bit_holes, h->sum_bit_holes);
		fprintf(f, "\t/* padding: %" PRId64 "%s */\n", h->padding, h->packed ? ", packed" : "");
		if (h->bit_padding)
			fprintf(f, "\t/* bit_padding: %u bits */\n", h->bit_padding);
	}
	type_tail(f, t);
	if (r->heap.sites)
		fprintf(f, "heap: %" PRIu64 " live (%" PRIu64 " bytes) would save %" PRIu64 " bytes; %" PRIu64
			   " allocated (%" PRIu64 " bytes) would save %" PRIu64 " bytes [%u site%s, by %s, %s confidence]\n",
			r->heap.live_count, r->heap.live_bytes, r->heap.live_saving, r->heap.alloc_count, r->heap.alloc_bytes,
			r->heap.alloc_saving, r->heap.sites, r->heap.sites == 1 ? "" : "s", r->heap.match, r->heap.confidence);
	if (!r->s.reordered) {
		fprintf(f, "no reordering: %s\n\n", r->s.why_not);
		return;
	}
	if (!saving) {
		fprintf(f, "no reordering saves space\n\n");
		return;
	}
	fprintf(f, "reordered: %" PRIu64 " bytes, saves %" PRIu64 " (%.1f%%):\n", r->s.new_size, saving,
		pct(saving, t->size));
	type_head(f, t);
	for (size_t k = 0; k < t->nmembers; k++) {
		size_t i = r->s.order[k];
		member_line(f, &t->members[i], r->s.new_offset[i], r->s.new_bit_offset[i]);
	}
	type_tail(f, t);
	fputc('\n', f);
}

void layout_report_text(FILE *f, const struct layout_doc *d)
{
	uint64_t with_saving = 0;

	for (size_t i = 0; i < d->nrows; i++) {
		text_row(f, &d->rows[i]);
		with_saving += layout_saving(d->rows[i].t, &d->rows[i].s) > 0;
	}
	fprintf(f, "%s: %" PRIu64 " types read, %zu shown (%" PRIu64 " would shrink), %" PRIu64
		   " not shown (filters), %" PRIu64 " duplicate definitions, %" PRIu64 " unreadable\n",
		d->binary, d->ntypes, d->nrows, with_saving, d->filtered, d->duplicates, d->refused);
	if (d->profiled)
		fprintf(f, "%s: %" PRIu64 " allocation sites: %" PRIu64 " matched to a type (%" PRIu64
			   " by the call's DWARF), %" PRIu64
			   " ambiguous (several types fit, or sizes vary), %" PRIu64 " of no type's size, %" PRIu64
			   " with no frame in this binary\n",
			d->profile, d->sites_total, d->sites_matched, d->sites_by_call_site, d->sites_ambiguous,
			d->sites_unmatched,
			d->sites_other_binary);
}

static void json_member(struct json *j, const struct lt_member *m)
{
	json_str(j, "name", m->name);
	json_str(j, "decl", m->decl);
	json_u64(j, "size", m->size);
	json_u64(j, "align", m->align);
	json_u64(j, "bit_size", m->bit_size);
	json_bool(j, "fixed", m->fixed);
	json_bool(j, "base", m->base);
	json_bool(j, "flexible", m->flexible);
	json_bool(j, "forced_align", m->forced_align);
}

static void json_row(struct json *j, const struct layout_row *r)
{
	const struct lt_type *t = r->t;
	uint64_t saving = layout_saving(t, &r->s);

	json_open_object(j, NULL);
	json_str(j, "name", t->name);
	json_str(j, "kind", layout_kind_name(t->kind));
	json_bool(j, "typedef", t->typedef_name);
	json_u64(j, "size", t->size);
	json_u64(j, "align", t->align);
	json_bool(j, "forced_align", t->forced_align);
	json_u64(j, "nmembers", t->nmembers);
	json_u64(j, "virtual_bases", t->virtual_bases);
	json_u64(j, "sum_members", r->h.sum_members);
	json_u64(j, "sum_bit_members", r->h.sum_bit_members);
	json_u64(j, "holes", r->h.holes);
	json_u64(j, "sum_holes", r->h.sum_holes);
	json_u64(j, "bit_holes", r->h.bit_holes);
	json_u64(j, "sum_bit_holes", r->h.sum_bit_holes);
	json_i64(j, "padding", r->h.padding);
	json_u64(j, "bit_padding", r->h.bit_padding);
	json_bool(j, "packed", r->h.packed);
	json_open_array(j, "members");
	for (size_t i = 0; i < t->nmembers; i++) {
		json_open_object(j, NULL);
		json_member(j, &t->members[i]);
		json_u64(j, "offset", t->members[i].offset);
		json_u64(j, "bit_offset", t->members[i].bit_offset);
		json_i64(j, "hole", r->hole[i]);
		json_i64(j, "bit_hole", r->bit_hole[i]);
		json_close_object(j);
	}
	json_close_array(j);
	json_open_object(j, "suggestion");
	json_bool(j, "reordered", r->s.reordered);
	json_str(j, "why_not", r->s.reordered ? NULL : r->s.why_not);
	json_u64(j, "size", r->s.new_size);
	json_u64(j, "saving", saving);
	json_f64(j, "saving_pct", pct(saving, t->size));
	if (r->s.reordered) {
		json_open_array(j, "members");
		for (size_t k = 0; k < t->nmembers; k++) {
			size_t i = r->s.order[k];
			json_open_object(j, NULL);
			json_str(j, "name", t->members[i].name);
			json_u64(j, "index", i);
			json_u64(j, "offset", r->s.new_offset[i]);
			json_u64(j, "bit_offset", r->s.new_bit_offset[i]);
			json_close_object(j);
		}
		json_close_array(j);
	}
	json_close_object(j);
	if (r->heap.sites) {
		json_open_object(j, "heap");
		json_u64(j, "live_count", r->heap.live_count);
		json_u64(j, "live_bytes", r->heap.live_bytes);
		json_u64(j, "live_bytes_after", r->heap.live_bytes - r->heap.live_saving);
		json_u64(j, "live_saving", r->heap.live_saving);
		json_u64(j, "alloc_count", r->heap.alloc_count);
		json_u64(j, "alloc_bytes", r->heap.alloc_bytes);
		json_u64(j, "alloc_bytes_after", r->heap.alloc_bytes - r->heap.alloc_saving);
		json_u64(j, "alloc_saving", r->heap.alloc_saving);
		json_u64(j, "sites", r->heap.sites);
		json_str(j, "match", r->heap.match);
		json_str(j, "confidence", r->heap.confidence);
		json_close_object(j);
	}
	json_close_object(j);
}

void layout_report_json(FILE *f, const struct layout_doc *d)
{
	struct json j;

	json_init(&j, f);
	json_open_object(&j, NULL);
	json_str(&j, "binary", d->binary);
	json_str(&j, "build_id", d->build_id[0] ? d->build_id : NULL);
	json_str(&j, "debug_file", d->debug_path);
	json_u64(&j, "types_read", d->ntypes);
	json_u64(&j, "types_shown", d->nrows);
	json_u64(&j, "types_filtered", d->filtered);
	json_u64(&j, "duplicates", d->duplicates);
	json_u64(&j, "unreadable", d->refused);
	if (d->profiled) {
		json_open_object(&j, "profile");
		json_str(&j, "path", d->profile);
		json_u64(&j, "sites", d->sites_total);
		json_u64(&j, "sites_matched", d->sites_matched);
		json_u64(&j, "sites_by_call_site", d->sites_by_call_site);
		json_u64(&j, "sites_ambiguous", d->sites_ambiguous);
		json_u64(&j, "sites_unmatched", d->sites_unmatched);
		json_u64(&j, "sites_other_binary", d->sites_other_binary);
		json_close_object(&j);
	}
	json_open_array(&j, "types");
	for (size_t i = 0; i < d->nrows; i++)
		json_row(&j, &d->rows[i]);
	json_close_array(&j);
	json_close_object(&j);
	fputc('\n', f);
}
