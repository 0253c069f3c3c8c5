// SPDX-License-Identifier: MIT
/* gc_stats and gc_report: percentiles, MMU, the JSON member, the SVG. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"
#include "gc_report.h"
#include "gc_stats.h"
#include "json.h"

#define MS 1000000ULL

static struct gc_pause P(uint64_t start, uint64_t dur)
{
	return (struct gc_pause){ .cycle = 1, .phase = GC_PH_STW, .runtime = GC_RT_REFGC, .start_ns = start,
				  .duration_ns = dur };
}

Test(gc_stats, percentile_nearest_rank)
{
	uint64_t v[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

	cr_assert_eq(gc_percentile(v, 10, 50), 5);
	cr_assert_eq(gc_percentile(v, 10, 90), 9);
	cr_assert_eq(gc_percentile(v, 10, 99), 10);
	cr_assert_eq(gc_percentile(v, 10, 100), 10);
	cr_assert_eq(gc_percentile(v, 1, 50), 1);
	cr_assert_eq(gc_percentile(v, 0, 50), 0);
}

Test(gc_stats, mmu_no_pauses_is_one)
{
	cr_assert_float_eq(gc_mmu(NULL, 0, 0, 1000 * MS, MS), 1.0, 1e-12);
}

Test(gc_stats, mmu_single_pause)
{
	struct gc_pause p[] = { P(500 * MS, 2 * MS) };

	/* A 1 ms window fits inside the 2 ms pause: nothing runs. */
	cr_assert_float_eq(gc_mmu(p, 1, 0, 1000 * MS, MS), 0.0, 1e-12);
	/* 10 ms window: at worst 2 ms of it is paused. */
	cr_assert_float_eq(gc_mmu(p, 1, 0, 1000 * MS, 10 * MS), 0.8, 1e-9);
	cr_assert_float_eq(gc_mmu(p, 1, 0, 1000 * MS, 100 * MS), 0.98, 1e-9);
}

Test(gc_stats, mmu_two_pauses_in_one_window)
{
	/* 1 ms pauses 3 ms apart: a 10 ms window catches both. */
	struct gc_pause p[] = { P(100 * MS, MS), P(104 * MS, MS), P(900 * MS, MS) };

	cr_assert_float_eq(gc_mmu(p, 3, 0, 1000 * MS, 10 * MS), 0.8, 1e-9);
	/* A 5 ms window from 100 ms holds 1 + 1 ms. */
	cr_assert_float_eq(gc_mmu(p, 3, 0, 1000 * MS, 5 * MS), 0.6, 1e-9);
}

Test(gc_stats, mmu_overlaps_and_order_do_not_matter)
{
	struct gc_pause a[] = { P(200 * MS, 4 * MS), P(201 * MS, 2 * MS), P(50 * MS, MS) };

	cr_assert_float_eq(gc_mmu(a, 3, 0, 1000 * MS, 10 * MS), 0.6, 1e-9);
}

Test(gc_stats, mmu_trace_shorter_than_window)
{
	struct gc_pause p[] = { P(10 * MS, 5 * MS) };

	/* 50 ms of trace, 100 ms window: the whole trace is the window. */
	cr_assert_float_eq(gc_mmu(p, 1, 0, 50 * MS, 100 * MS), 0.9, 1e-9);
}

Test(gc_stats, mmu_clips_to_trace)
{
	struct gc_pause p[] = { P(0, 10 * MS) };

	/* Only 5 ms of the pause lie inside the traced window. */
	cr_assert_float_eq(gc_mmu(p, 1, 5 * MS, 1000 * MS, 10 * MS), 0.5, 1e-9);
}

static struct gc_data *sample(void)
{
	struct gc_data *d = calloc(1, sizeof(*d));

	d->runtimes = GC_RT_REFGC;
	d->runtime = "refgc";
	d->start_ns = 1000 * MS;
	d->end_ns = 2000 * MS;
	d->npauses = 4;
	d->pauses = calloc(4, sizeof(*d->pauses));
	d->pauses[0] = (struct gc_pause){ 1, GC_PH_MARK_START, GC_RT_REFGC, 1100 * MS, 100000 };
	d->pauses[1] = (struct gc_pause){ 1, GC_PH_MARK_TERM, GC_RT_REFGC, 1150 * MS, 300000 };
	d->pauses[2] = (struct gc_pause){ 2, GC_PH_MARK_START, GC_RT_REFGC, 1500 * MS, 200000 };
	d->pauses[3] = (struct gc_pause){ 2, GC_PH_MARK_TERM, GC_RT_REFGC, 1550 * MS, 2 * MS };
	d->ncycles = 2;
	d->cycles = calloc(2, sizeof(*d->cycles));
	d->cycles[0] = (struct gc_cycle){ .id = 1, .runtime = GC_RT_REFGC, .npauses = 2, .start_ns = 1100 * MS,
					  .end_ns = 1160 * MS, .pause_ns = 400000, .has_heap = true,
					  .heap_before = 10 << 20, .heap_after = 4 << 20 };
	d->cycles[1] = (struct gc_cycle){ .id = 2, .runtime = GC_RT_REFGC, .npauses = 2, .start_ns = 1500 * MS,
					  .end_ns = 1560 * MS, .pause_ns = 2200000 };
	d->nheap = 2;
	d->heap = calloc(2, sizeof(*d->heap));
	d->heap[0] = (struct gc_heap_sample){ 1100 * MS, 10 << 20 };
	d->heap[1] = (struct gc_heap_sample){ 1160 * MS, 4 << 20 };
	gc_summarize(d);
	return d;
}

Test(gc_stats, summarize)
{
	struct gc_data *d = sample();

	cr_assert_eq(d->sum.cycles, 2);
	cr_assert_eq(d->sum.pauses, 4);
	cr_assert_eq(d->sum.p50, 200000);
	cr_assert_eq(d->sum.p90, 2 * MS);
	cr_assert_eq(d->sum.max, 2 * MS);
	cr_assert_eq(d->sum.total, 2600000);
	cr_assert_float_eq(d->sum.mmu_1ms, 0.0, 1e-12);
	cr_assert_float_eq(d->sum.mmu_10ms, 0.8, 1e-9);
	cr_assert(d->sum.gc_cpu_fraction < 0);
	gc_data_free(d);
}

static char *capture(int (*fn)(const struct gc_data *, FILE *), const struct gc_data *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_eq(fn(d, f), 0);
	fclose(f);
	return text;
}

Test(gc_report, json_member)
{
	struct gc_data *d = sample();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json j;

	json_init(&j, f);
	json_open_object(&j, NULL);
	gc_json_write(&j, d, 1000000000); /* the trace started at 1 s */
	json_close_object(&j);
	fclose(f);
	cr_assert(strstr(text, "\"gc\": {"));
	cr_assert(strstr(text, "\"runtime\": \"refgc\""));
	cr_assert(strstr(text, "\"cycles\": 2"));
	cr_assert(strstr(text, "\"phase\": \"mark termination\""));
	cr_assert(strstr(text, "\"start_ns\": 1550000000"));
	cr_assert(strstr(text, "\"t_s\": 0.550000000"));
	cr_assert(strstr(text, "\"duration_ns\": 2000000"));
	cr_assert(strstr(text, "\"p99\": 2000000"));
	cr_assert(strstr(text, "\"total\": 2600000"));
	cr_assert(strstr(text, "\"10ms\": 0.8"));
	cr_assert(strstr(text, "\"gc_cpu_fraction\": null"));
	cr_assert(strstr(text, "\"heap_before\": 10485760"));
	free(text);
	gc_data_free(d);
}

Test(gc_report, json_nothing_without_data)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json j;

	json_init(&j, f);
	json_open_object(&j, NULL);
	cr_assert_eq(gc_json_write(&j, NULL, 0), 0);
	json_close_object(&j);
	fclose(f);
	cr_assert_null(strstr(text, "gc"));
	free(text);
}

Test(gc_report, svg_is_self_contained)
{
	struct gc_data *d = sample();
	char *svg = capture(gc_svg_write, d);

	cr_assert(strncmp(svg, "<?xml", 5) == 0);
	cr_assert(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
	cr_assert(strstr(svg, "class=\"heap\""));
	cr_assert(strstr(svg, "cycle 2 mark termination: 2.00 ms"));
	cr_assert(strstr(svg, "</svg>"));
	free(svg);
	gc_data_free(d);
}

Test(gc_report, svg_without_heap_says_so)
{
	struct gc_data *d = sample();
	char *svg;

	d->nheap = 0;
	svg = capture(gc_svg_inline, d);
	cr_assert(strncmp(svg, "<svg ", 5) == 0);
	cr_assert(strstr(svg, "does not report its heap size"));
	free(svg);
	gc_data_free(d);
}

Test(gc_report, html_section)
{
	struct gc_data *d = sample();
	char *html = capture(gc_html_section, d);

	cr_assert(strstr(html, "<section id=\"gc\">"));
	cr_assert(strstr(html, "mark start 100.0 us, mark termination 300.0 us"));
	cr_assert(strstr(html, "</section>"));
	free(html);
	gc_data_free(d);
}

Test(gc_report, live_line_counts_since)
{
	struct gc_data *d = sample();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	gc_live_line(d, 1400 * MS, f);
	fclose(f);
	cr_assert(strstr(text, "GC refgc: 1 cycles, 2 pauses"), "%s", text);
	cr_assert(strstr(text, "max 2.00 ms"), "%s", text);
	free(text);
	gc_data_free(d);
}

Test(gc_report, durations)
{
	char b[32];

	cr_assert_str_eq(gc_fmt_duration(850, b, sizeof(b)), "850 ns");
	cr_assert_str_eq(gc_fmt_duration(12345, b, sizeof(b)), "12.3 us");
	cr_assert_str_eq(gc_fmt_duration(1250000, b, sizeof(b)), "1.25 ms");
	cr_assert_str_eq(gc_fmt_duration(2500000000ULL, b, sizeof(b)), "2.50 s");
}

Test(gc, names)
{
	cr_assert_str_eq(gc_phase_name(GC_PH_SWEEP_TERM), "sweep termination");
	cr_assert_str_eq(gc_phase_name(99), "unknown");
	cr_assert_str_eq(gc_runtime_id(GC_RT_GO), "go");
	cr_assert_null(gc_runtime_id(3));
}
