// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gc_report.h"
#include "gc_waits_report.h"
#include "trace_clock.h"
#include "humanize.h"
#include "log.h"
#include "safe_file.h"
#include "xml_escape.h"

#define HTML_MAX_CYCLES 500

char *gc_fmt_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
	return buf;
}

void gc_json_mmu(struct json *j, const char *name, double mmu_1ms, double mmu_10ms, double mmu_100ms)
{
	json_open_object(j, name);
	json_f64(j, "1ms", mmu_1ms);
	json_f64(j, "10ms", mmu_10ms);
	json_f64(j, "100ms", mmu_100ms);
	json_close_object(j);
}

/* ---- JSON ----------------------------------------------------------- */

int gc_json_write(struct json *j, const struct gc_data *d, uint64_t origin)
{
	const struct gc_summary *s;
	bool several;

	if (!d)
		return 0;
	s = &d->sum;
	several = d->runtimes & (d->runtimes - 1);
	json_open_object(j, "gc");
	json_str(j, "runtime", d->runtime);
	json_open_array(j, "runtimes");
	for (unsigned b = 1; b <= GC_RT_CPYTHON; b <<= 1) {
		if (d->runtimes & b)
			json_str(j, NULL, gc_runtime_id(b));
	}
	json_close_array(j);
	json_str(j, "clock", "CLOCK_MONOTONIC");
	json_u64(j, "trace_start_ns", d->start_ns);
	json_u64(j, "trace_end_ns", d->end_ns);
	json_u64(j, "cycles", s->cycles);
	json_u64(j, "pause_count", s->pauses);
	json_open_array(j, "pauses");
	for (size_t i = 0; i < d->npauses; i++) {
		const struct gc_pause *p = &d->pauses[i];

		json_open_object(j, NULL);
		if (several)
			json_str(j, "runtime", gc_runtime_id(p->runtime));
		json_u64(j, "cycle", p->cycle);
		json_str(j, "phase", gc_phase_name(p->phase));
		json_u64(j, "start_ns", p->start_ns);
		json_seconds(j, "t_s", trace_clock_since(origin, p->start_ns));
		json_u64(j, "duration_ns", p->duration_ns);
		json_close_object(j);
	}
	json_close_array(j);
	json_open_object(j, "pause_ns");
	json_u64(j, "p50", s->p50);
	json_u64(j, "p90", s->p90);
	json_u64(j, "p99", s->p99);
	json_u64(j, "max", s->max);
	json_u64(j, "total", s->total);
	json_close_object(j);
	gc_json_mmu(j, "mmu", s->mmu_1ms, s->mmu_10ms, s->mmu_100ms);
	json_f64(j, "pause_fraction", s->pause_fraction);
	if (s->gc_cpu_fraction >= 0)
		json_f64(j, "gc_cpu_fraction", s->gc_cpu_fraction);
	else
		json_str(j, "gc_cpu_fraction", NULL);
	if (d->runtimes & GC_RT_GO) {
		json_open_object(j, "other_stw");
		json_u64(j, "count", d->other_stw);
		json_u64(j, "total_ns", d->other_stw_ns);
		json_close_object(j);
	}
	json_u64(j, "lost_events", d->lost_events);
	gc_waits_json(j, d, origin);
	json_open_array(j, "cycle_list");
	for (size_t i = 0; i < d->ncycles; i++) {
		const struct gc_cycle *c = &d->cycles[i];

		json_open_object(j, NULL);
		if (several)
			json_str(j, "runtime", gc_runtime_id(c->runtime));
		json_u64(j, "cycle", c->id);
		json_u64(j, "start_ns", c->start_ns);
		json_u64(j, "end_ns", c->end_ns);
		json_seconds(j, "t_s", trace_clock_since(origin, c->start_ns));
		if (c->end_ns)
			json_seconds(j, "end_t_s", trace_clock_since(origin, c->end_ns));
		json_u64(j, "pauses", c->npauses);
		json_u64(j, "pause_ns", c->pause_ns);
		if (c->has_heap) {
			json_u64(j, "heap_before", c->heap_before);
			json_u64(j, "heap_goal", c->heap_goal);
			json_u64(j, "heap_after", c->heap_after);
			json_u64(j, "freed", c->freed);
		}
		gc_waits_json_cycle(j, d, c);
		json_close_object(j);
	}
	json_close_array(j);
	json_close_object(j);
	return 0;
}

/* ---- live line and text --------------------------------------------- */

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

void gc_live_line(const struct gc_data *d, uint64_t since_ns, FILE *out)
{
	char a[32], b[32], c[32];
	uint64_t *durs, total = 0, cycles = 0, span;
	size_t n = 0;

	if (!d)
		return;
	for (size_t i = 0; i < d->ncycles; i++)
		cycles += d->cycles[i].start_ns >= since_ns;
	durs = malloc((d->npauses + 1) * sizeof(*durs));
	if (!durs)
		return;
	for (size_t i = 0; i < d->npauses; i++) {
		if (d->pauses[i].start_ns >= since_ns) {
			durs[n++] = d->pauses[i].duration_ns;
			total += d->pauses[i].duration_ns;
		}
	}
	qsort(durs, n, sizeof(*durs), cmp_u64);
	span = d->end_ns > since_ns ? d->end_ns - since_ns : 0;
	if (!n) {
		fprintf(out, "GC %s: %" PRIu64 " cycles, no pauses (%" PRIu64 " cycles, %" PRIu64 " pauses in all)\n",
			d->runtime ? d->runtime : "-", cycles, d->sum.cycles, d->sum.pauses);
	} else {
		fprintf(out,
			"GC %s: %" PRIu64 " cycles, %zu pauses: p50 %s, max %s, total %s (%.2f%% of the time); "
			"MMU 10ms %.2f (%" PRIu64 " cycles in all)\n",
			d->runtime ? d->runtime : "-", cycles, n, gc_fmt_duration(durs[(n - 1) / 2], a, sizeof(a)),
			gc_fmt_duration(durs[n - 1], b, sizeof(b)), gc_fmt_duration(total, c, sizeof(c)),
			span ? 100.0 * (double)total / (double)span : 0.0, d->sum.mmu_10ms, d->sum.cycles);
	}
	if (d->lost_events)
		fprintf(out, "GC: %" PRIu64 " events lost (ring buffer full): some pauses are missing\n",
			d->lost_events);
	free(durs);
}

void gc_text_write(const struct gc_data *d, int max_cycles, FILE *out)
{
	const struct gc_summary *s;
	char b[6][32];

	if (!d)
		return;
	s = &d->sum;
	fprintf(out, "\nGarbage collection (%s): %" PRIu64 " cycles, %" PRIu64 " pauses\n",
		d->runtime ? d->runtime : "-", s->cycles, s->pauses);
	fprintf(out, "  pauses: p50 %s  p90 %s  p99 %s  max %s  total %s (%.2f%% of %s)\n",
		gc_fmt_duration(s->p50, b[0], 32), gc_fmt_duration(s->p90, b[1], 32),
		gc_fmt_duration(s->p99, b[2], 32), gc_fmt_duration(s->max, b[3], 32),
		gc_fmt_duration(s->total, b[4], 32), 100.0 * s->pause_fraction,
		gc_fmt_duration(d->end_ns - d->start_ns, b[5], 32));
	fprintf(out, "  minimum mutator utilization: %.3f at 1 ms, %.3f at 10 ms, %.3f at 100 ms\n", s->mmu_1ms,
		s->mmu_10ms, s->mmu_100ms);
	gc_waits_text(d, out);
	if (d->other_stw)
		fprintf(out, "  other stop-the-world pauses (not GC): %" PRIu64 ", %s\n", d->other_stw,
			gc_fmt_duration(d->other_stw_ns, b[0], 32));
	if (d->lost_events)
		fprintf(out, "  %" PRIu64 " events lost: some pauses are missing\n", d->lost_events);
	for (size_t i = 0; i < d->ncycles && (int)i < max_cycles; i++) {
		const struct gc_cycle *c = &d->cycles[i];
		char h1[HUMAN_BUFSZ], h2[HUMAN_BUFSZ];

		fprintf(out, "  cycle %-6" PRIu64 " at %9.3f s  %u pauses  %-10s", c->id,
			(double)(c->start_ns - d->start_ns) / 1e9, c->npauses,
			gc_fmt_duration(c->pause_ns, b[0], 32));
		if (c->has_heap)
			fprintf(out, "  heap %s -> %s", human_bytes(c->heap_before, h1), human_bytes(c->heap_after, h2));
		gc_waits_text_cycle(d, c, out);
		fputc('\n', out);
	}
	if (max_cycles > 0 && d->ncycles > (size_t)max_cycles)
		fprintf(out, "  ... %zu more cycles\n", d->ncycles - (size_t)max_cycles);
}

/* ---- SVG ------------------------------------------------------------ */

#define SVG_W 960
#define SVG_H 400
#define PLOT_X 70
#define PLOT_W (SVG_W - PLOT_X - 20)
#define PAUSE_Y 40
#define PAUSE_H 200
#define HEAP_Y 280
#define HEAP_H 80

static const char *phase_color(uint32_t phase)
{
	switch (phase) {
	case GC_PH_MARK_START:
	case GC_PH_SWEEP_TERM:
	case GC_PH_YOUNG:
	case GC_PH_GEN0:
		return "#1e88e5";
	case GC_PH_MARK_TERM:
	case GC_PH_GEN1:
		return "#8e24aa";
	default:
		return "#e53935";
	}
}

/* A round step of about range/n: 1, 2, 5 x 10^k. */
static double nice_step(double range, int n)
{
	double raw = range / n, mag = pow(10, floor(log10(raw > 0 ? raw : 1))), f = raw / mag;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static int svg_body(const struct gc_data *d, FILE *out, bool standalone)
{
	uint64_t t0 = d->start_ns, t1 = d->end_ns > d->start_ns ? d->end_ns : d->start_ns + 1;
	double span = (double)(t1 - t0), maxp = (double)(d->sum.max ? d->sum.max : 1), maxh = 1;
	char buf[32], b2[32];
	/* One bar per pixel column: the longest pause that starts there. */
	int64_t col[PLOT_W];
	int ncol[PLOT_W];

	fprintf(out,
		"<svg %sclass=\"mt-gc-chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"system-ui,sans-serif\" font-size=\"12\">\n",
		standalone ? "xmlns=\"http://www.w3.org/2000/svg\" " : "", SVG_W, SVG_H, SVG_W, SVG_H);
	fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", SVG_W, SVG_H);
	fprintf(out, "<text x=\"%d\" y=\"20\" font-size=\"15\" fill=\"#222\">GC pauses (%s): %" PRIu64
		" cycles, %" PRIu64 " pauses, max %s</text>\n",
		PLOT_X, d->runtime ? d->runtime : "none", d->sum.cycles, d->sum.pauses,
		gc_fmt_duration(d->sum.max, buf, sizeof(buf)));
	/* pause axis */
	{
		double step = nice_step(maxp, 4);

		for (double v = 0; v <= maxp * 1.0001; v += step) {
			double y = PAUSE_Y + PAUSE_H - v / maxp * PAUSE_H;

			fprintf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", PLOT_X,
				PLOT_X + PLOT_W, y, y);
			fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>\n",
				PLOT_X - 6, y + 4, gc_fmt_duration((uint64_t)v, buf, sizeof(buf)));
		}
	}
	for (int i = 0; i < PLOT_W; i++) {
		col[i] = -1;
		ncol[i] = 0;
	}
	for (size_t i = 0; i < d->npauses; i++) {
		const struct gc_pause *p = &d->pauses[i];
		int x = (int)((double)(p->start_ns > t0 ? p->start_ns - t0 : 0) / span * PLOT_W);

		if (x >= PLOT_W)
			x = PLOT_W - 1;
		ncol[x]++;
		if (col[x] < 0 || d->pauses[col[x]].duration_ns < p->duration_ns)
			col[x] = (int64_t)i;
	}
	fputs("<g class=\"pauses\">\n", out);
	for (int x = 0; x < PLOT_W; x++) {
		const struct gc_pause *p;
		double h, w;

		if (col[x] < 0)
			continue;
		p = &d->pauses[col[x]];
		h = (double)p->duration_ns / maxp * PAUSE_H;
		w = (double)p->duration_ns / span * PLOT_W;
		if (h < 1)
			h = 1;
		if (w < 1)
			w = 1;
		fprintf(out,
			"<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>cycle %" PRIu64
			" %s: %s at %.3f s",
			PLOT_X + x, PAUSE_Y + PAUSE_H - h, w, h, phase_color(p->phase), p->cycle, gc_phase_name(p->phase),
			gc_fmt_duration(p->duration_ns, buf, sizeof(buf)), (double)(p->start_ns - t0) / 1e9);
		if (ncol[x] > 1)
			fprintf(out, " (longest of %d here)", ncol[x]);
		fputs("</title></rect>\n", out);
	}
	fputs("</g>\n", out);
	gc_waits_svg_lane(d, out, PLOT_X, PLOT_W, PAUSE_Y + PAUSE_H + 4, t0, span);
	/* heap area */
	for (size_t i = 0; i < d->nheap; i++) {
		if ((double)d->heap[i].bytes > maxh)
			maxh = (double)d->heap[i].bytes;
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"#222\">Heap live bytes</text>\n", PLOT_X, HEAP_Y - 8);
	fprintf(out, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", PLOT_X, PLOT_X + PLOT_W,
		HEAP_Y + HEAP_H, HEAP_Y + HEAP_H);
	if (d->nheap) {
		char hb[HUMAN_BUFSZ];

		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#555\">%s</text>\n", PLOT_X - 6,
			HEAP_Y + 4, human_bytes((uint64_t)maxh, hb));
		fprintf(out, "<path class=\"heap\" fill=\"#90caf9\" stroke=\"#1565c0\" stroke-width=\"1\" d=\"M%d %d",
			PLOT_X, HEAP_Y + HEAP_H);
		for (size_t i = 0; i < d->nheap; i++) {
			const struct gc_heap_sample *h = &d->heap[i];
			double x = PLOT_X + (double)(h->t_ns > t0 ? h->t_ns - t0 : 0) / span * PLOT_W;

			if (x > PLOT_X + PLOT_W)
				x = PLOT_X + PLOT_W;
			fprintf(out, " L%.1f %.1f", x, HEAP_Y + HEAP_H - (double)h->bytes / maxh * HEAP_H);
		}
		fprintf(out, " L%.1f %d Z\"/>\n",
			PLOT_X + (double)(d->heap[d->nheap - 1].t_ns > t0 ? d->heap[d->nheap - 1].t_ns - t0 : 0) / span *
					 PLOT_W,
			HEAP_Y + HEAP_H);
	} else {
		fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"#888\">the %s runtime does not report its heap size "
			"through its probes</text>\n", PLOT_X + 10, HEAP_Y + HEAP_H / 2, d->runtime ? d->runtime : "");
	}
	/* time axis */
	{
		double step = nice_step(span / 1e9, 8) * 1e9;

		for (double v = 0; v <= span * 1.0001; v += step) {
			double x = PLOT_X + v / span * PLOT_W;

			fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", x, x,
				HEAP_Y + HEAP_H, HEAP_Y + HEAP_H + 4);
			fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%.*f s</text>\n", x,
				HEAP_Y + HEAP_H + 17, step >= 1e9 ? 0 : step >= 1e8 ? 1 : 2, v / 1e9);
		}
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"#555\">MMU %.2f at 1 ms, %.2f at 10 ms, %.2f at 100 ms; "
		"total pause %s</text>\n",
		PLOT_X, SVG_H - 4, d->sum.mmu_1ms, d->sum.mmu_10ms, d->sum.mmu_100ms,
		gc_fmt_duration(d->sum.total, b2, sizeof(b2)));
	fputs("</svg>\n", out);
	return ferror(out) ? -EIO : 0;
}

int gc_svg_write(const struct gc_data *d, FILE *out)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	return svg_body(d, out, true);
}

int gc_svg_inline(const struct gc_data *d, FILE *out)
{
	return svg_body(d, out, false);
}

static int render_svg(FILE *f, void *ctx)
{
	return gc_svg_write(ctx, f);
}

int gc_svg_save(const struct gc_data *d, const char *path)
{
	return safe_file_write(path, render_svg, (void *)d);
}

/* ---- HTML ----------------------------------------------------------- */

int gc_html_section(const struct gc_data *d, FILE *out)
{
	const struct gc_summary *s;
	char b[6][32];

	if (!d)
		return 0;
	s = &d->sum;
	fputs("<section id=\"gc\">\n<h2>Garbage collection (", out);
	xml_escape(out, d->runtime ? d->runtime : "none", 0);
	fputs(")</h2>\n<table class=\"kv\" id=\"gc-summary\">\n", out);
	fprintf(out, "<tr><th>Cycles</th><td class=\"num\">%" PRIu64 "</td></tr>\n", s->cycles);
	fprintf(out, "<tr><th>Pauses</th><td class=\"num\">%" PRIu64 "</td></tr>\n", s->pauses);
	fprintf(out, "<tr><th>Pause p50 / p90 / p99 / max</th><td class=\"num\">%s / %s / %s / %s</td></tr>\n",
		gc_fmt_duration(s->p50, b[0], 32), gc_fmt_duration(s->p90, b[1], 32), gc_fmt_duration(s->p99, b[2], 32),
		gc_fmt_duration(s->max, b[3], 32));
	fprintf(out, "<tr><th>Total pause</th><td class=\"num\">%s (%.2f%% of %s)</td></tr>\n",
		gc_fmt_duration(s->total, b[4], 32), 100.0 * s->pause_fraction,
		gc_fmt_duration(d->end_ns - d->start_ns, b[5], 32));
	fprintf(out, "<tr><th>Minimum mutator utilization</th><td class=\"num\">%.3f at 1 ms, %.3f at 10 ms, "
		"%.3f at 100 ms</td></tr>\n", s->mmu_1ms, s->mmu_10ms, s->mmu_100ms);
	gc_waits_html_rows(d, out);
	if (d->other_stw)
		fprintf(out, "<tr><th>Other stop-the-world pauses</th><td class=\"num\">%" PRIu64 " (%s)</td></tr>\n",
			d->other_stw, gc_fmt_duration(d->other_stw_ns, b[0], 32));
	if (d->lost_events)
		fprintf(out, "<tr><th>Lost events</th><td class=\"num warn\">%" PRIu64 "</td></tr>\n", d->lost_events);
	fputs("</table>\n<div class=\"gc-timeline\">\n", out);
	svg_body(d, out, false);
	fputs("</div>\n<table id=\"gc-cycles\">\n<tr><th class=\"num\">Cycle</th><th class=\"num\">Start</th>"
	      "<th>Pauses</th><th class=\"num\">Pause total</th><th class=\"num\">Heap before</th>"
	      "<th class=\"num\">Heap after</th></tr>\n", out);
	for (size_t i = 0; i < d->ncycles && i < HTML_MAX_CYCLES; i++) {
		const struct gc_cycle *c = &d->cycles[i];
		char h1[HUMAN_BUFSZ], h2[HUMAN_BUFSZ];
		int k = 0;

		fprintf(out, "<tr><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%.3f s</td><td>", c->id,
			c->start_ns > d->start_ns ? (double)(c->start_ns - d->start_ns) / 1e9 : 0.0);
		/* The cycle's pauses, in order: few per cycle, pauses are sorted. */
		for (size_t j = 0; j < d->npauses; j++) {
			const struct gc_pause *p = &d->pauses[j];

			if (p->cycle != c->id || p->runtime != c->runtime)
				continue;
			fprintf(out, "%s%s %s", k++ ? ", " : "", gc_phase_name(p->phase),
				gc_fmt_duration(p->duration_ns, b[0], 32));
		}
		fprintf(out, "</td><td class=\"num\">%s</td>", gc_fmt_duration(c->pause_ns, b[1], 32));
		if (c->has_heap)
			fprintf(out, "<td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
				human_bytes(c->heap_before, h1), human_bytes(c->heap_after, h2));
		else
			fputs("<td class=\"num\">-</td><td class=\"num\">-</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	if (d->ncycles > HTML_MAX_CYCLES)
		fprintf(out, "<p>%zu more cycles are in the JSON report.</p>\n", d->ncycles - HTML_MAX_CYCLES);
	fputs("</section>\n", out);
	return ferror(out) ? -EIO : 0;
}
