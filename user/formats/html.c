// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flamegraph.h"
#include "frame_name.h"
#include "faults_report.h"
#include "gc_report.h"
#include "layout_section.h"
#include "html.h"
#include "reach_report.h"
#include "humanize.h"
#include "timechart.h"
#include "xml_escape.h"

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#222;background:#fafafa}\n"
	"header{background:#233;color:#fff;padding:14px 24px}header h1{margin:0;font-size:22px}\n"
	"header p{margin:4px 0 0;color:#cdd}\n"
	"nav{background:#344;padding:6px 24px}nav a{color:#fff;margin-right:18px;text-decoration:none}\n"
	"main{padding:8px 24px 40px}section{margin:18px 0}h2{font-size:18px;border-bottom:1px solid #ccc}\n"
	"table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;border-bottom:1px solid #e4e4e4;text-align:left}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"table.kv th{font-weight:normal;color:#555}\n"
	"code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}\n"
	".callers{color:#666}.warn{color:#a40}.ok{color:#272}\n"
	".tabs input{display:none}.tabs label{display:inline-block;padding:5px 12px;border:1px solid #bbb;"
	"border-bottom:none;border-radius:4px 4px 0 0;cursor:pointer;background:#eee;margin-right:2px}\n"
	".tabs .panel{display:none;border:1px solid #bbb;background:#fff}\n"
	".mt-chart .grid{stroke:#ddd}.mt-chart .inuse{stroke:#1565c0;stroke-width:2}\n"
	".mt-chart .rss{stroke:#ef6c00;stroke-width:1.5;stroke-dasharray:5 3}\n"
	".mt-chart text{font-size:12px;fill:#444}\n";

static const enum mt_metric tab_metrics[] = { MT_INUSE_SPACE, MT_INUSE_OBJECTS, MT_ALLOC_SPACE,
					      MT_ALLOC_OBJECTS };
#define NTABS (sizeof(tab_metrics) / sizeof(tab_metrics[0]))

static void kv(FILE *out, const char *key, const char *value)
{
	fprintf(out, "<tr><th>%s</th><td>", key);
	xml_escape(out, value, 0);
	fputs("</td></tr>\n", out);
}

static void kv_amount(FILE *out, const char *key, uint64_t count, uint64_t bytes)
{
	char c[HUMAN_BUFSZ], b[HUMAN_BUFSZ], raw[HUMAN_BUFSZ];

	fprintf(out, "<tr><th>%s</th><td>%s (%s bytes) in %s blocks</td></tr>\n", key, human_bytes(bytes, b),
		human_count(bytes, raw), human_count(count, c));
}

static int section_summary(const struct mt_profile *p, FILE *out)
{
	static const struct {
		size_t offset;
		const char *what;
	} causes[] = {
		{ offsetof(struct mt_drops, stack_full), "stack storage full: allocation site unknown" },
		{ offsetof(struct mt_drops, allocs_full), "live-block table full: block not tracked" },
		{ offsetof(struct mt_drops, inflight_full), "per-thread call table full: call missed" },
		{ offsetof(struct mt_drops, events_lost), "ring buffer full: events lost" },
	};
	const struct mt_totals *t = &p->totals;
	char buf[HUMAN_BUFSZ], raw[HUMAN_BUFSZ];
	uint64_t dropped = drops_total(&p->drops);

	fputs("<table class=\"kv\" id=\"summary-table\">\n", out);
	kv(out, "Command", p->command ? p->command : "unknown");
	snprintf(buf, sizeof(buf), "%" PRId32, p->pid);
	kv(out, "PID", buf);
	if (p->cgroup)
		kv(out, "Cgroup", p->cgroup);
	if (p->container_id)
		kv(out, "Container", p->container_id);
	kv(out, "Started", human_time(p->start_realtime_ns, buf));
	kv(out, "Duration", human_duration(p->duration_ns, buf));
	kv_amount(out, "Allocated", t->alloc_count, t->alloc_bytes);
	kv_amount(out, "Freed", t->free_count, t->free_bytes);
	kv_amount(out, "In use at end", t->inuse_count, t->inuse_bytes);
	if (p->untracked.allocs)
		fprintf(out, "<tr><th>&#8193;estimated</th><td class=\"warn\" id=\"inuse-estimated\">in use is an estimate: "
			"%s allocations untracked (live-block table full), their unmatched frees charged in proportion</td></tr>\n",
			human_count(p->untracked.allocs, buf));
	fprintf(out, "<tr><th>Peak in use</th><td>%s (%s bytes)</td></tr>\n", human_bytes(t->peak_inuse_bytes, buf),
		human_count(t->peak_inuse_bytes, raw));
	fprintf(out, "<tr><th>Allocation sites</th><td>%s</td></tr>\n", human_count(p->nsites, buf));
	fprintf(out, "<tr><th>Dropped events</th><td class=\"%s\" id=\"drops-total\">%s</td></tr>\n",
		dropped ? "warn" : "ok", human_count(dropped, buf));
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		uint64_t n = *(const uint64_t *)((const char *)&p->drops + causes[i].offset);

		if (n)
			fprintf(out, "<tr><th>&#8193;dropped</th><td class=\"warn\">%s: %s</td></tr>\n",
				human_count(n, buf), causes[i].what);
	}
	fputs("</table>\n", out);
	if (dropped)
		fputs("<p class=\"warn\">Some events were dropped: the numbers below undercount. "
		      "Larger tables or a bigger ring buffer avoid this.</p>\n", out);
	return ferror(out) ? -EIO : 0;
}

/* Indices of the n sites with the most in-use bytes, largest first. */
static size_t top_sites(const struct mt_profile *p, size_t *idx, size_t n)
{
	size_t k = 0;

	/* Insertion into a short sorted list: sites need not arrive sorted. */
	for (size_t i = 0; i < p->nsites; i++) {
		uint64_t v = p->sites[i].inuse_bytes;
		size_t j;

		if (!v || (k == n && v <= p->sites[idx[k - 1]].inuse_bytes))
			continue;
		j = k < n ? k++ : n - 1;
		while (j > 0 && p->sites[idx[j - 1]].inuse_bytes < v) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return k;
}

/* " at file.c:42 (inlined)" after a frame's name, when it has a line. */
static void where(const struct mt_frame *f, FILE *out)
{
	char buf[512];

	if (frame_where(f, buf, sizeof(buf))[0]) {
		fputs(" at ", out);
		xml_escape(out, buf, 0);
	}
	if (f->inlined)
		fputs(" (inlined)", out);
}

static void site_frames(const struct mt_profile *p, const struct mt_site *s, FILE *out)
{
	char name[FRAME_NAME_MAX];

	if (!s->nframes) {
		fputs("<code>[no stack]</code>", out);
		return;
	}
	/* Full stack as a tooltip, the four innermost frames inline. */
	fputs("<span title=\"", out);
	for (uint32_t i = 0; i < s->nframes; i++) {
		xml_escape(out, frame_name(p, &s->frames[i], FRAME_STYLE_FLAME, name), 0);
		where(&s->frames[i], out);
		fputs(i + 1 < s->nframes ? "&#10;" : "", out);
	}
	fputs("\"><code>", out);
	xml_escape(out, frame_name(p, &s->frames[0], FRAME_STYLE_FLAME, name), 200);
	where(&s->frames[0], out);
	fputs("</code><span class=\"callers\">", out);
	for (uint32_t i = 1; i < s->nframes && i < 4; i++) {
		fputs(" &#8592; ", out);
		xml_escape(out, frame_name(p, &s->frames[i], FRAME_STYLE_FLAME, name), 80);
	}
	if (s->nframes > 4)
		fputs(" &#8592; &#8230;", out);
	fputs("</span></span>", out);
}

static int section_sites(const struct mt_profile *p, FILE *out)
{
	size_t idx[HTML_TOP_SITES], n = top_sites(p, idx, HTML_TOP_SITES);
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ], d[HUMAN_BUFSZ];

	if (!n) {
		fputs("<p>No allocation is still in use at the end of the trace.</p>\n", out);
		return ferror(out) ? -EIO : 0;
	}
	fprintf(out, "<p>The %zu sites holding the most memory at the end of the trace, "
		     "allocating frame first (hover for the whole stack).</p>\n", n);
	fputs("<table id=\"sites-table\">\n<tr><th class=\"num\">#</th><th class=\"num\">In use</th>"
	      "<th class=\"num\">In-use blocks</th><th class=\"num\">Allocated</th>"
	      "<th class=\"num\">Allocations</th><th>Site</th></tr>\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct mt_site *s = &p->sites[idx[i]];

		fprintf(out, "<tr><td class=\"num\">%zu</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
			     "<td class=\"num\">%s</td><td class=\"num\">%s</td><td>",
			i + 1, human_bytes(s->inuse_bytes, a), human_count(s->inuse_count, b),
			human_bytes(s->alloc_bytes, c), human_count(s->alloc_count, d));
		site_frames(p, s, out);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
	return ferror(out) ? -EIO : 0;
}

static int section_flamegraph(const struct mt_profile *p, FILE *out)
{
	size_t i;
	int err = 0;

	/* Radio-button tabs: switching metrics needs no script. */
	fputs("<div class=\"tabs\">\n<style>\n", out);
	for (i = 0; i < NTABS; i++)
		fprintf(out, "#fg-tab-%zu:checked~.panels #fg-panel-%zu{display:block}"
			     "#fg-tab-%zu:checked+label{background:#fff;font-weight:bold}\n",
			i, i, i);
	fputs("</style>\n", out);
	for (i = 0; i < NTABS; i++)
		fprintf(out, "<input type=\"radio\" name=\"fg-tab\" id=\"fg-tab-%zu\"%s><label for=\"fg-tab-%zu\">%s</label>\n",
			i, i ? "" : " checked", i, metric_name(tab_metrics[i]));
	fputs("<div class=\"panels\">\n", out);
	for (i = 0; i < NTABS && !err; i++) {
		char id[32];
		struct flamegraph_opts opts = { .embedded = 1, .id = id };

		snprintf(id, sizeof(id), "flamegraph-%s", metric_name(tab_metrics[i]));
		fprintf(out, "<div class=\"panel\" id=\"fg-panel-%zu\">\n", i);
		err = flamegraph_write_opts(NULL, p, tab_metrics[i], "Allocation flame graph", &opts, out);
		fputs("</div>\n", out);
	}
	fputs("</div>\n</div>\n<p>Click a frame to zoom, <em>Search</em> to highlight frames by "
	      "regular expression; the allocating frame is on top.</p>\n", out);
	if (!err && ferror(out))
		err = -EIO;
	return err;
}

static int section_timeline(const struct mt_profile *p, FILE *out)
{
	return timechart_write(p, out);
}

static void frames_cell(const struct mt_profile *p, const struct mt_frame *f, uint32_t n, FILE *out)
{
	char name[FRAME_NAME_MAX];

	fputs("<td><code>", out);
	for (uint32_t i = 0; i < n && i < 4; i++) {
		if (i)
			fputs(" &#8592; ", out);
		xml_escape(out, frame_name(p, &f[i], FRAME_STYLE_FLAME, name), 0);
	}
	if (!n)
		fputs("[unknown stack]", out);
	fputs("</code></td>", out);
}

void html_frames_cell(const struct mt_profile *p, const struct mt_frame *f, uint32_t n, FILE *out)
{
	frames_cell(p, f, n, out);
}

static int section_leaks(const struct mt_profile *p, FILE *out)
{
	char a[HUMAN_BUFSZ], b[HUMAN_BUFSZ], c[HUMAN_BUFSZ];

	if (!p->nalerts)
		fputs("<p class=\"ok\">No leak alerts during the trace.</p>\n", out);
	else {
		fputs("<table><tr><th>at</th><th>site</th><th class=\"num\">growth</th><th>trend</th>"
		      "<th class=\"num\">in use</th><th class=\"num\">oldest block</th></tr>\n", out);
		for (size_t i = 0; i < p->nalerts; i++) {
			const struct mt_alert *al = &p->alerts[i];

			fprintf(out, "<tr class=\"warn\"><td>%s</td>", human_duration(al->t_ns, a));
			frames_cell(p, al->site.frames, al->site.nframes, out);
			fprintf(out, "<td class=\"num\">%s/s</td><td>%s</td>",
				human_bytes((uint64_t)al->rate_bytes_per_s, b), trend_name(al->trend));
			fprintf(out, "<td class=\"num\">%s</td>", human_bytes(al->site.inuse_bytes, c));
			fprintf(out, "<td class=\"num\">%s</td></tr>\n", human_duration(al->oldest_age_ns, a));
		}
		fputs("</table>\n", out);
	}
	if (!p->nleaks)
		return 0;
	fputs("<h3>Outstanding at the end</h3>\n<table><tr><th>site</th><th class=\"num\">bytes</th>"
	      "<th class=\"num\">blocks</th><th class=\"num\">oldest</th></tr>\n", out);
	for (size_t i = 0; i < p->nleaks && i < 50; i++) {
		const struct mt_leak *l = &p->leaks[i];

		fputs("<tr>", out);
		frames_cell(p, l->frames, l->nframes, out);
		fprintf(out, "<td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
			human_bytes(l->bytes, a), human_count(l->count, b), human_duration(l->oldest_age_ns, c));
	}
	fputs("</table>\n", out);
	return 0;
}

static int section_gc(const struct mt_profile *p, FILE *out)
{
	if (!p->gc) {
		fputs("<p>No garbage-collected runtime was traced.</p>\n", out);
		return 0;
	}
	return gc_html_section(p->gc, out);
}

static int section_faults(const struct mt_profile *p, FILE *out)
{
	if (!p->faults) {
		fputs("<p>Page faults were not traced (memtrace --faults).</p>\n", out);
		return 0;
	}
	return faults_html_section(p, p->faults, out);
}

static int section_layout(const struct mt_profile *p, FILE *out)
{
	return layout_section_html(p->layout, out);
}

/* The report, in page order: add a section here to add it to the page. */
static const struct html_section html_sections[] = {
	{ "summary", "Summary", section_summary },
	{ "sites", "Top allocation sites", section_sites },
	{ "flamegraph", "Flame graph", section_flamegraph },
	{ "timeline", "In-use memory over time", section_timeline },
	{ "leaks", "Leaks", section_leaks },
	{ "reachability", "Reachability", reach_html_section },
	{ "gc", "GC pauses", section_gc },
	{ "faults", "Page faults &amp; mappings", section_faults },
	{ "layout", "Layout savings", section_layout },
};

int html_write(const struct mt_profile *p, FILE *out)
{
	const size_t n = sizeof(html_sections) / sizeof(html_sections[0]);
	char when[HUMAN_BUFSZ], dur[HUMAN_BUFSZ];
	int err = 0;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>memtrace: ", out);
	xml_escape(out, p->command ? p->command : "unknown", 0);
	fprintf(out, " (pid %" PRId32 ")</title>\n<style>\n%s</style>\n</head>\n<body>\n<header><h1>memtrace: ", p->pid, css);
	xml_escape(out, p->command ? p->command : "unknown", 0);
	fprintf(out, "</h1><p>pid %" PRId32 " &#183; %s &#183; traced for %s</p></header>\n<nav>", p->pid,
		human_time(p->start_realtime_ns, when), human_duration(p->duration_ns, dur));
	for (size_t i = 0; i < n; i++)
		fprintf(out, "<a href=\"#%s\">%s</a>", html_sections[i].id, html_sections[i].title);
	fputs("</nav>\n<main>\n", out);
	for (size_t i = 0; i < n && !err; i++) {
		fprintf(out, "<section id=\"%s\">\n<h2>%s</h2>\n", html_sections[i].id, html_sections[i].title);
		err = html_sections[i].write(p, out);
		fputs("</section>\n", out);
	}
	fputs("</main>\n<footer><p style=\"margin:0 24px 16px;color:#888\">Generated by memtrace.</p></footer>\n"
	      "</body>\n</html>\n", out);
	if (!err && (ferror(out) || fflush(out)))
		err = -EIO;
	return err;
}
