// SPDX-License-Identifier: MIT
#include <inttypes.h>
#include <stdlib.h>

#include "gc_report.h"
#include "gc_waits.h"
#include "gc_waits_report.h"
#include "trace_clock.h"

static bool any(const struct gc_data *d)
{
	return d && (d->nwaits || d->waits_unpaired);
}

/* One kind's totals: {"count", "total_ns", "max_ns"}. */
static void json_totals(struct json *j, const char *name, uint64_t count, uint64_t total_ns, uint64_t max_ns)
{
	json_open_object(j, name);
	json_u64(j, "count", count);
	json_u64(j, "total_ns", total_ns);
	json_u64(j, "max_ns", max_ns);
	json_close_object(j);
}

void gc_waits_json(struct json *j, const struct gc_data *d, uint64_t origin)
{
	const struct gc_summary *s = &d->sum;

	if (!any(d))
		return;
	json_open_object(j, "waits");
	json_totals(j, "assists", s->assists, s->assist_ns, s->max_assist);
	json_totals(j, "stalls", s->stalls, s->stall_ns, s->max_stall);
	json_u64(j, "unpaired", d->waits_unpaired);
	json_str(j, "mmu_counts", "pauses, assists and stalls");
	gc_json_mmu(j, "mmu_pauses_only", s->mmu_pauses_1ms, s->mmu_pauses_10ms, s->mmu_pauses_100ms);
	json_open_array(j, "list");
	for (size_t i = 0; i < d->nwaits; i++) {
		const struct gc_wait *w = &d->waits[i];

		json_open_object(j, NULL);
		json_str(j, "kind", gc_wait_name(w->kind));
		json_u64(j, "cycle", w->cycle);
		json_u64(j, "tid", w->tid);
		json_u64(j, "start_ns", w->start_ns);
		json_seconds(j, "t_s", trace_clock_since(origin, w->start_ns));
		json_u64(j, "duration_ns", w->duration_ns);
		json_close_object(j);
	}
	json_close_array(j);
	json_close_object(j);
}

void gc_waits_json_cycle(struct json *j, const struct gc_data *d, const struct gc_cycle *c)
{
	if (!any(d))
		return;
	json_u64(j, "assists", c->nassists);
	json_u64(j, "assist_ns", c->assist_ns);
	json_u64(j, "stalls", c->nstalls);
	json_u64(j, "stall_ns", c->stall_ns);
}

void gc_waits_text(const struct gc_data *d, FILE *out)
{
	const struct gc_summary *s = &d->sum;
	char b[4][32];

	if (!any(d))
		return;
	fprintf(out, "  mutator waits: %" PRIu64 " assists %s (max %s), %" PRIu64 " stalls %s (max %s); "
		"the MMU counts them (from pauses alone: %.3f, %.3f, %.3f)\n",
		s->assists, gc_fmt_duration(s->assist_ns, b[0], 32), gc_fmt_duration(s->max_assist, b[1], 32),
		s->stalls, gc_fmt_duration(s->stall_ns, b[2], 32), gc_fmt_duration(s->max_stall, b[3], 32),
		s->mmu_pauses_1ms, s->mmu_pauses_10ms, s->mmu_pauses_100ms);
	if (d->waits_unpaired)
		fprintf(out, "  %" PRIu64 " wait events without their other half (begun before the trace, or "
			"lost)\n", d->waits_unpaired);
}

void gc_waits_text_cycle(const struct gc_data *d, const struct gc_cycle *c, FILE *out)
{
	char b[2][32];

	if (!any(d) || (!c->nassists && !c->nstalls))
		return;
	fprintf(out, "  assists %u %s  stalls %u %s", c->nassists, gc_fmt_duration(c->assist_ns, b[0], 32),
		c->nstalls, gc_fmt_duration(c->stall_ns, b[1], 32));
}

void gc_waits_html_rows(const struct gc_data *d, FILE *out)
{
	const struct gc_summary *s = &d->sum;
	char b[4][32];

	if (!any(d))
		return;
	fprintf(out, "<tr><th>Mark assists</th><td class=\"num\">%" PRIu64 ", %s in all, max %s</td></tr>\n",
		s->assists, gc_fmt_duration(s->assist_ns, b[0], 32), gc_fmt_duration(s->max_assist, b[1], 32));
	fprintf(out, "<tr><th>Allocation stalls</th><td class=\"num\">%" PRIu64 ", %s in all, max %s</td></tr>\n",
		s->stalls, gc_fmt_duration(s->stall_ns, b[2], 32), gc_fmt_duration(s->max_stall, b[3], 32));
	if (d->waits_unpaired)
		fprintf(out, "<tr><th>Unpaired wait events</th><td class=\"num warn\">%" PRIu64 "</td></tr>\n",
			d->waits_unpaired);
}

void gc_waits_svg_lane(const struct gc_data *d, FILE *out, int plot_x, int plot_w, int y, uint64_t t0,
		       double span)
{
	/* Assists on the upper half of the lane, stalls on the lower. */
	static const struct {
		uint32_t kind;
		const char *color;
		int dy;
	} lanes[] = { { GC_WAIT_ASSIST, "#fb8c00", 0 }, { GC_WAIT_STALL, "#6d4c41", 7 } };
	int64_t *col;
	char buf[32];

	if (!any(d) || plot_w <= 0)
		return;
	col = malloc((size_t)plot_w * sizeof(*col));
	if (!col)
		return;
	fprintf(out, "<g class=\"waits\"><text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#555\" "
		"font-size=\"10\">waits</text>\n", plot_x - 6, y + 10);
	for (size_t l = 0; l < sizeof(lanes) / sizeof(lanes[0]); l++) {
		for (int x = 0; x < plot_w; x++)
			col[x] = -1;
		for (size_t i = 0; i < d->nwaits; i++) {
			const struct gc_wait *w = &d->waits[i];
			int x = (int)((double)(w->start_ns > t0 ? w->start_ns - t0 : 0) / span * plot_w);

			if (w->kind != lanes[l].kind)
				continue;
			if (x >= plot_w)
				x = plot_w - 1;
			if (col[x] < 0 || d->waits[col[x]].duration_ns < w->duration_ns)
				col[x] = (int64_t)i;
		}
		for (int x = 0; x < plot_w; x++) {
			const struct gc_wait *w;
			double wd;

			if (col[x] < 0)
				continue;
			w = &d->waits[col[x]];
			wd = (double)w->duration_ns / span * plot_w;
			fprintf(out,
				"<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"6\" fill=\"%s\"><title>cycle %"
				PRIu64 " %s, thread %u: %s at %.3f s</title></rect>\n",
				gc_wait_name(w->kind), plot_x + x, y + lanes[l].dy, wd < 1 ? 1 : wd, lanes[l].color,
				w->cycle, gc_wait_name(w->kind), w->tid, gc_fmt_duration(w->duration_ns, buf, sizeof(buf)),
				(double)(w->start_ns - t0) / 1e9);
		}
	}
	fputs("</g>\n", out);
	free(col);
}
