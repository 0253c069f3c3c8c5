// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "faults_report.h"
#include "flamegraph.h"
#include "frame_name.h"
#include "humanize.h"
#include "report_json.h"
#include "xml_escape.h"

#define FAULTS_HTML_TOP 30

/* ---- JSON ---- */

static void write_regions(struct json *j, const uint64_t *regions)
{
	json_open_object(j, "regions");
	for (int r = 0; r < FAULT_NREGIONS; r++)
		json_u64(j, fault_region_name((enum fault_region)r), regions[r]);
	json_close_object(j);
}

static void write_mmap_stats(struct json *j, const struct mt_mmap_stats *s)
{
	json_u64(j, "mmap_count", s->mmap_count);
	json_u64(j, "mmap_bytes", s->mmap_bytes);
	json_u64(j, "munmap_count", s->munmap_count);
	json_u64(j, "munmap_bytes", s->munmap_bytes);
	json_u64(j, "mremap_count", s->mremap_count);
	json_u64(j, "mremap_grow_bytes", s->mremap_grow_bytes);
	json_u64(j, "mremap_shrink_bytes", s->mremap_shrink_bytes);
	json_u64(j, "brk_count", s->brk_count);
	json_u64(j, "brk_bytes", s->brk_grow_bytes);
	json_u64(j, "brk_shrink_bytes", s->brk_shrink_bytes);
	json_u64(j, "madvise_count", s->madvise_count);
	json_u64(j, "madvise_bytes", s->madvise_bytes);
}

int faults_json_write(struct json *j, const struct mt_profile *p, const struct mt_faults *f)
{
	if (!f)
		return 0;
	json_open_object(j, "faults");
	json_str(j, "source", f->source);
	json_u64(j, "count", f->count);
	json_u64(j, "bytes", f->bytes);
	json_u64(j, "page_size", FAULT_PAGE_SIZE);
	write_regions(j, f->regions);
	json_open_object(j, "drops");
	json_u64(j, "stack_unknown", f->drops.stack_unknown);
	json_u64(j, "region_unknown", f->drops.vma_unknown);
	json_close_object(j);
	json_u64(j, "hugetlb_faults", f->hugetlb_faults);
	json_open_array(j, "sites");
	for (size_t i = 0; i < f->nsites; i++) {
		const struct mt_fault_site *s = &f->sites[i];

		json_open_object(j, NULL);
		report_json_frames(j, p, s->frames, s->nframes);
		json_u64(j, "count", s->count);
		json_u64(j, "bytes", s->bytes);
		write_regions(j, s->regions);
		json_close_object(j);
	}
	json_close_array(j);
	json_close_object(j);

	json_open_object(j, "mmap");
	write_mmap_stats(j, &f->mmap);
	json_open_object(j, "drops");
	json_u64(j, "stack_unknown", f->drops.stack_unknown);
	json_u64(j, "syscall_missed", f->drops.inflight_full);
	json_close_object(j);
	json_open_array(j, "sites");
	for (size_t i = 0; i < f->nmmap_sites; i++) {
		const struct mt_mmap_site *s = &f->mmap_sites[i];

		json_open_object(j, NULL);
		report_json_frames(j, p, s->frames, s->nframes);
		write_mmap_stats(j, &s->s);
		json_close_object(j);
	}
	json_close_array(j);
	json_close_object(j);
	return ferror(j->out) ? -EIO : 0;
}

/* ---- text ---- */

static void text_frames(const struct mt_profile *p, const struct mt_frame *frames, uint32_t n, FILE *out)
{
	char name[FRAME_NAME_MAX];

	if (!n)
		fprintf(out, "        [unknown stack]\n");
	for (uint32_t k = 0; k < n && k < 8; k++)
		fprintf(out, "        %s\n", frame_name(p, &frames[k], FRAME_STYLE_FLAME, name));
	if (n > 8)
		fprintf(out, "        ... %u more frames\n", n - 8);
}

static void text_regions(const uint64_t *regions, FILE *out)
{
	const char *sep = "";

	for (int r = 0; r < FAULT_NREGIONS; r++) {
		if (!regions[r])
			continue;
		fprintf(out, "%s%s %llu", sep, fault_region_name((enum fault_region)r), (unsigned long long)regions[r]);
		sep = ", ";
	}
}

void faults_text_write(const struct mt_profile *p, const struct mt_faults *f, int top, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], h[9][HUMAN_BUFSZ];
	const struct mt_mmap_stats *m;

	if (!f)
		return;
	m = &f->mmap;
	fprintf(out, "\npage faults: %s (%s pages of %llu bytes: ", human_count(f->count, a),
		human_bytes(f->bytes, b), (unsigned long long)FAULT_PAGE_SIZE);
	text_regions(f->regions, out);
	fprintf(out, ")%s%s; stack unknown %llu, region unknown %llu\n", f->source ? " via " : "",
		f->source ? f->source : "", (unsigned long long)f->drops.stack_unknown,
		(unsigned long long)f->drops.vma_unknown);
	for (size_t i = 0; i < f->nsites && (int)i < top; i++) {
		const struct mt_fault_site *s = &f->sites[i];

		fprintf(out, "  #%zu  %s faults, %s (", i + 1, human_count(s->count, a), human_bytes(s->bytes, b));
		text_regions(s->regions, out);
		fprintf(out, ")\n");
		text_frames(p, s->frames, s->nframes, out);
	}
	fprintf(out, "\naddress space: mmap %s in %s calls, munmap %s in %s calls, brk +%s/-%s, "
		     "mremap +%s/-%s, returned by madvise %s\n",
		human_bytes(m->mmap_bytes, h[0]), human_count(m->mmap_count, h[1]), human_bytes(m->munmap_bytes, h[2]),
		human_count(m->munmap_count, h[3]), human_bytes(m->brk_grow_bytes, h[4]),
		human_bytes(m->brk_shrink_bytes, h[5]), human_bytes(m->mremap_grow_bytes, h[6]),
		human_bytes(m->mremap_shrink_bytes, h[7]), human_bytes(m->madvise_bytes, h[8]));
	for (size_t i = 0; i < f->nmmap_sites && (int)i < top; i++) {
		const struct mt_mmap_site *s = &f->mmap_sites[i];

		fprintf(out, "  #%zu  mapped %s (mmap %s, brk %s, mremap %s calls), unmapped %s, madvise %s\n", i + 1,
			human_bytes(s->s.mmap_bytes + s->s.brk_grow_bytes + s->s.mremap_grow_bytes, h[0]),
			human_count(s->s.mmap_count, h[1]), human_count(s->s.brk_count, h[2]),
			human_count(s->s.mremap_count, h[3]), human_bytes(s->s.munmap_bytes, h[4]),
			human_bytes(s->s.madvise_bytes, h[5]));
		text_frames(p, s->frames, s->nframes, out);
	}
	fflush(out);
}

/* ---- profile view ---- */

int faults_view(const struct mt_profile *p, const struct mt_faults *f, enum faults_view_kind kind,
		struct mt_profile *view)
{
	size_t n = kind == FAULTS_VIEW_FAULTS ? f->nsites : f->nmmap_sites;

	memset(view, 0, sizeof(*view));
	view->pid = p->pid;
	view->command = p->command;
	view->start_realtime_ns = p->start_realtime_ns;
	view->duration_ns = p->duration_ns;
	view->modules = p->modules;
	view->nmodules = p->nmodules;
	view->strings = p->strings;
	view->sites = calloc(n ? n : 1, sizeof(*view->sites));
	if (!view->sites)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct mt_site *s = &view->sites[view->nsites];
		uint64_t count, bytes;

		if (kind == FAULTS_VIEW_FAULTS) {
			s->frames = f->sites[i].frames;
			s->nframes = f->sites[i].nframes;
			count = f->sites[i].count;
			bytes = f->sites[i].bytes;
		} else {
			const struct mt_mmap_stats *m = &f->mmap_sites[i].s;

			s->frames = f->mmap_sites[i].frames;
			s->nframes = f->mmap_sites[i].nframes;
			count = m->mmap_count + m->brk_count + m->mremap_count;
			bytes = m->mmap_bytes + m->brk_grow_bytes + m->mremap_grow_bytes;
		}
		if (!bytes)
			continue;
		s->alloc_count = s->inuse_count = count;
		s->alloc_bytes = s->inuse_bytes = bytes;
		view->totals.alloc_count += count;
		view->totals.alloc_bytes += bytes;
		view->nsites++;
	}
	view->totals.inuse_count = view->totals.alloc_count;
	view->totals.inuse_bytes = view->totals.peak_inuse_bytes = view->totals.alloc_bytes;
	profile_sort_sites(view);
	return 0;
}

void faults_view_free(struct mt_profile *view)
{
	free(view->sites);
	memset(view, 0, sizeof(*view));
}

const char *faults_view_count_name(enum faults_view_kind kind)
{
	return kind == FAULTS_VIEW_FAULTS ? "faults" : "mappings";
}

const char *faults_view_bytes_name(enum faults_view_kind kind)
{
	return kind == FAULTS_VIEW_FAULTS ? "fault_bytes" : "mapped";
}

/* ---- HTML ---- */

static void html_frames(const struct mt_profile *p, const struct mt_frame *frames, uint32_t n, FILE *out)
{
	char name[FRAME_NAME_MAX];

	if (!n) {
		fputs("<code>[no stack]</code>", out);
		return;
	}
	fputs("<span title=\"", out);
	for (uint32_t i = 0; i < n; i++) {
		xml_escape(out, frame_name(p, &frames[i], FRAME_STYLE_FLAME, name), 0);
		fputs(i + 1 < n ? "&#10;" : "", out);
	}
	fputs("\"><code>", out);
	xml_escape(out, frame_name(p, &frames[0], FRAME_STYLE_FLAME, name), 200);
	fputs("</code><span class=\"callers\">", out);
	for (uint32_t i = 1; i < n && i < 4; i++) {
		fputs(" &#8592; ", out);
		xml_escape(out, frame_name(p, &frames[i], FRAME_STYLE_FLAME, name), 80);
	}
	if (n > 4)
		fputs(" &#8592; &#8230;", out);
	fputs("</span></span>", out);
}

int faults_html_section(const struct mt_profile *p, const struct mt_faults *f, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ], d[HUMAN_BUFSZ], h[7][HUMAN_BUFSZ];
	struct flamegraph_opts opts = { .embedded = 1, .id = "flamegraph-faults",
					.label = faults_view_bytes_name(FAULTS_VIEW_FAULTS) };
	struct mt_profile view;
	int err;

	if (!f) {
		fputs("<p>Page faults were not traced (<code>--faults</code>).</p>\n", out);
		return ferror(out) ? -EIO : 0;
	}
	fprintf(out, "<table class=\"kv\" id=\"faults-summary\">\n<tr><th>Page faults</th><td>%s (%s)%s%s</td></tr>\n",
		human_count(f->count, a), human_bytes(f->bytes, b), f->source ? " via " : "", f->source ? f->source : "");
	fputs("<tr><th>By region</th><td>", out);
	for (int r = 0; r < FAULT_NREGIONS; r++)
		fprintf(out, "%s%s %s", r ? ", " : "", fault_region_name((enum fault_region)r), human_count(f->regions[r], a));
	fputs("</td></tr>\n", out);
	fprintf(out, "<tr><th>mmap / munmap</th><td>%s in %s calls / %s in %s calls</td></tr>\n",
		human_bytes(f->mmap.mmap_bytes, a), human_count(f->mmap.mmap_count, b),
		human_bytes(f->mmap.munmap_bytes, c), human_count(f->mmap.munmap_count, d));
	fprintf(out, "<tr><th>brk</th><td>+%s / -%s</td></tr>\n<tr><th>Returned (madvise)</th><td>%s</td></tr>\n",
		human_bytes(f->mmap.brk_grow_bytes, a), human_bytes(f->mmap.brk_shrink_bytes, b),
		human_bytes(f->mmap.madvise_bytes, c));
	if (f->drops.stack_unknown || f->drops.vma_unknown || f->drops.inflight_full)
		fprintf(out, "<tr><th>Dropped</th><td class=\"warn\">stack unknown %s, region unknown %s, "
			     "syscalls missed %s</td></tr>\n",
			human_count(f->drops.stack_unknown, a), human_count(f->drops.vma_unknown, b),
			human_count(f->drops.inflight_full, c));
	fputs("</table>\n", out);

	if (f->nsites) {
		fputs("<p>Stacks that touched fresh pages, most first: the faulting frame first (hover for the "
		      "whole stack).  Each fault is one page made resident.</p>\n"
		      "<table id=\"faults-table\">\n<tr><th class=\"num\">#</th><th class=\"num\">Faults</th>"
		      "<th class=\"num\">Bytes</th><th class=\"num\">heap</th><th class=\"num\">anon</th>"
		      "<th class=\"num\">stack</th><th class=\"num\">file</th><th class=\"num\">other</th>"
		      "<th>Site</th></tr>\n", out);
		for (size_t i = 0; i < f->nsites && i < FAULTS_HTML_TOP; i++) {
			const struct mt_fault_site *s = &f->sites[i];

			fprintf(out, "<tr><td class=\"num\">%zu</td><td class=\"num\">%s</td><td class=\"num\">%s</td>",
				i + 1, human_count(s->count, a), human_bytes(s->bytes, b));
			for (int r = 0; r < FAULT_NREGIONS; r++)
				fprintf(out, "<td class=\"num\">%s</td>", human_count(s->regions[r], a));
			fputs("<td>", out);
			html_frames(p, s->frames, s->nframes, out);
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
		err = faults_view(p, f, FAULTS_VIEW_FAULTS, &view);
		if (err)
			return err;
		err = flamegraph_write_opts(NULL, &view, MT_ALLOC_SPACE, "Page faults: who grew RSS", &opts, out);
		faults_view_free(&view);
		if (err)
			return err;
	} else {
		fputs("<p>No page fault was traced.</p>\n", out);
	}

	if (f->nmmap_sites) {
		fputs("<p>Stacks that changed the address space, most mapped first.</p>\n"
		      "<table id=\"mmap-table\">\n<tr><th class=\"num\">#</th><th class=\"num\">mmap</th>"
		      "<th class=\"num\">munmap</th><th class=\"num\">brk</th><th class=\"num\">mremap</th>"
		      "<th class=\"num\">madvise</th><th>Site</th></tr>\n", out);
		for (size_t i = 0; i < f->nmmap_sites && i < FAULTS_HTML_TOP; i++) {
			const struct mt_mmap_stats *m = &f->mmap_sites[i].s;

			fprintf(out, "<tr><td class=\"num\">%zu</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
				     "<td class=\"num\">+%s -%s</td><td class=\"num\">+%s -%s</td><td class=\"num\">%s</td><td>",
				i + 1, human_bytes(m->mmap_bytes, h[0]), human_bytes(m->munmap_bytes, h[1]),
				human_bytes(m->brk_grow_bytes, h[2]), human_bytes(m->brk_shrink_bytes, h[3]),
				human_bytes(m->mremap_grow_bytes, h[4]), human_bytes(m->mremap_shrink_bytes, h[5]),
				human_bytes(m->madvise_bytes, h[6]));
			html_frames(p, f->mmap_sites[i].frames, f->mmap_sites[i].nframes, out);
			fputs("</td></tr>\n", out);
		}
		fputs("</table>\n", out);
	}
	return ferror(out) ? -EIO : 0;
}
