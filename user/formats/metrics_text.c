// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_wrapper.h"
#include "faults_data.h"
#include "frame_name.h"
#include "grow.h"
#include "hmap.h"
#include "metrics_text.h"

#define LABEL_MAX 256

/* Prometheus' own default buckets would hide sub-millisecond pauses. */
static const double pause_buckets[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
					0.01,   0.025,   0.05,   0.1,   0.25,   0.5,   1 };

static void label_value(FILE *out, const char *v)
{
	size_t n = 0;

	for (; v && *v && n < LABEL_MAX; v++, n++) {
		if (*v == '\\')
			fputs("\\\\", out);
		else if (*v == '"')
			fputs("\\\"", out);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

/* `{pid="..",comm=".."` left open, so a caller may add labels. */
static void open_labels(FILE *out, const struct mt_profile *p)
{
	fprintf(out, "{pid=\"%" PRId32 "\",comm=\"", p->pid);
	label_value(out, p->command ? p->command : "");
	fputc('"', out);
}

static void help(FILE *out, const char *name, const char *type, const char *text)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void one(FILE *out, const struct mt_profile *p, const char *name, const char *type, const char *text,
		uint64_t v)
{
	help(out, name, type, text);
	fputs(name, out);
	open_labels(out, p);
	fprintf(out, "} %" PRIu64 "\n", v);
}

uint64_t metrics_site_id(const struct mt_profile *p, const struct mt_site *s)
{
	char buf[FRAME_NAME_MAX];
	uint64_t h = 0xcbf29ce484222325ULL;

	for (uint32_t i = 0; i < s->nframes; i++) {
		const char *n = frame_name(p, &s->frames[i], FRAME_STYLE_FOLDED, buf);

		for (; *n; n++)
			h = (h ^ (unsigned char)*n) * 0x100000001b3ULL;
		h = (h ^ ';') * 0x100000001b3ULL;
	}
	return h;
}

/* Sites with the same names (one per return address in the same function)
 * are one series: Prometheus refuses two with the same labels. */
struct named_site {
	uint64_t id;
	const struct mt_site *first; /* names the leaf */
	uint64_t inuse_bytes, inuse_count, alloc_bytes;
};

/* All sites grouped by id into *out (*n of them); 0 or -ENOMEM. */
static int group_sites(const struct mt_profile *p, struct named_site **out, size_t *n)
{
	struct named_site *v = NULL;
	struct hmap index = { 0 };
	size_t cap = 0, count = 0;

	for (size_t i = 0; i < p->nsites; i++) {
		const struct mt_site *s = &p->sites[i];
		uint64_t id = metrics_site_id(p, s);
		struct hmap_probe pr;
		uint32_t k;

		for (k = hmap_first(&index, id, &pr); k != HMAP_NONE; k = hmap_next(&index, &pr))
			if (v[k].id == id)
				break;
		if (k == HMAP_NONE) {
			if (grow((void **)&v, &cap, count, sizeof(*v), 64) || hmap_add(&index, id, (uint32_t)count)) {
				free(v);
				hmap_free(&index);
				return -ENOMEM;
			}
			k = (uint32_t)count++;
			v[k] = (struct named_site){ .id = id, .first = s };
		}
		v[k].inuse_bytes += s->inuse_bytes;
		v[k].inuse_count += s->inuse_count;
		v[k].alloc_bytes += s->alloc_bytes;
	}
	hmap_free(&index);
	*out = v;
	*n = count;
	return 0;
}

static bool ranks_before(const struct named_site *a, const struct named_site *b)
{
	if (a->inuse_bytes != b->inuse_bytes)
		return a->inuse_bytes > b->inuse_bytes;
	if (a->alloc_bytes != b->alloc_bytes)
		return a->alloc_bytes > b->alloc_bytes;
	return a->id < b->id;
}

static int sites(FILE *out, const struct mt_profile *p, int top)
{
	static const struct {
		const char *name, *type, *help;
	} m[] = {
		{ "memtrace_site_inuse_bytes", "gauge", "Bytes in use allocated at the site (top sites by bytes in use)" },
		{ "memtrace_site_inuse_objects", "gauge", "Blocks in use allocated at the site (top sites)" },
		{ "memtrace_site_allocated_bytes_total", "counter", "Bytes allocated at the site since the trace began (top sites)" },
	};
	char buf[FRAME_NAME_MAX];
	struct named_site *v;
	size_t n;
	int err = group_sites(p, &v, &n);

	if (err)
		return err;
	/* The top ones to the front, in order: a partial selection sort, top is small. */
	for (size_t i = 0; i < n && i < (size_t)top; i++) {
		size_t best = i;

		for (size_t j = i + 1; j < n; j++)
			if (ranks_before(&v[j], &v[best]))
				best = j;
		struct named_site t = v[i];

		v[i] = v[best];
		v[best] = t;
	}
	if (n > (size_t)top)
		n = (size_t)top;
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		help(out, m[k].name, m[k].type, m[k].help);
		for (size_t i = 0; i < n; i++) {
			const struct mt_site *s = v[i].first;
			uint64_t val = k == 0 ? v[i].inuse_bytes : k == 1 ? v[i].inuse_count : v[i].alloc_bytes;

			fputs(m[k].name, out);
			open_labels(out, p);
			fprintf(out, ",site=\"%016" PRIx64 "\",function=\"", v[i].id);
			/* Named past zmalloc, xmalloc, operator new...: those name every site. */
			label_value(out, s->nframes ? frame_name(p, &s->frames[alloc_wrapper_naming_frame(s)],
								 FRAME_STYLE_FOLDED, buf)
						    : "[no stack]");
			fprintf(out, "\"} %" PRIu64 "\n", val);
		}
	}
	free(v);
	return 0;
}

static void drops(FILE *out, const struct mt_profile *p)
{
	const struct {
		const char *reason;
		uint64_t v;
	} d[] = {
		{ "stack_full", p->drops.stack_full },
		{ "allocs_full", p->drops.allocs_full },
		{ "inflight_full", p->drops.inflight_full },
		{ "events_lost", p->drops.events_lost },
	};

	help(out, "memtrace_dropped_events_total", "counter", "Events memtrace could not record, by reason");
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		fputs("memtrace_dropped_events_total", out);
		open_labels(out, p);
		fprintf(out, ",reason=\"%s\"} %" PRIu64 "\n", d[i].reason, d[i].v);
	}
}

static void gc(FILE *out, const struct mt_profile *p, const struct gc_data *g)
{
	const size_t nb = sizeof(pause_buckets) / sizeof(pause_buckets[0]);
	uint64_t counts[sizeof(pause_buckets) / sizeof(pause_buckets[0])] = { 0 };
	uint64_t sum_ns = 0;
	const char *rt = g->runtime ? g->runtime : "";

	for (size_t i = 0; i < g->npauses; i++) {
		double s = (double)g->pauses[i].duration_ns / 1e9;

		sum_ns += g->pauses[i].duration_ns;
		for (size_t b = 0; b < nb; b++)
			if (s <= pause_buckets[b])
				counts[b]++;
	}
	help(out, "memtrace_gc_pause_seconds", "histogram", "GC pauses (stop-the-world) of the traced runtime");
	for (size_t b = 0; b < nb; b++) {
		fputs("memtrace_gc_pause_seconds_bucket", out);
		open_labels(out, p);
		fputs(",runtime=\"", out);
		label_value(out, rt);
		fprintf(out, "\",le=\"%g\"} %" PRIu64 "\n", pause_buckets[b], counts[b]);
	}
	fputs("memtrace_gc_pause_seconds_bucket", out);
	open_labels(out, p);
	fputs(",runtime=\"", out);
	label_value(out, rt);
	fprintf(out, "\",le=\"+Inf\"} %zu\n", g->npauses);
	fputs("memtrace_gc_pause_seconds_sum", out);
	open_labels(out, p);
	fputs(",runtime=\"", out);
	label_value(out, rt);
	fprintf(out, "\"} %.9f\n", (double)sum_ns / 1e9);
	fputs("memtrace_gc_pause_seconds_count", out);
	open_labels(out, p);
	fputs(",runtime=\"", out);
	label_value(out, rt);
	fprintf(out, "\"} %zu\n", g->npauses);
	one(out, p, "memtrace_gc_cycles_total", "counter", "GC cycles started while tracing", g->sum.cycles);
}

int metrics_text_write(const struct mt_profile *p, const struct gc_data *g, size_t nalerts, int top, FILE *out)
{
	const struct mt_totals *t = &p->totals;

	one(out, p, "memtrace_heap_inuse_bytes", "gauge", "Bytes allocated and not yet freed", t->inuse_bytes);
	one(out, p, "memtrace_heap_inuse_objects", "gauge", "Blocks allocated and not yet freed", t->inuse_count);
	one(out, p, "memtrace_heap_allocated_bytes_total", "counter", "Bytes allocated since the trace began",
	    t->alloc_bytes);
	one(out, p, "memtrace_heap_allocations_total", "counter", "Allocations since the trace began", t->alloc_count);
	one(out, p, "memtrace_heap_freed_bytes_total", "counter", "Bytes freed since the trace began", t->free_bytes);
	one(out, p, "memtrace_heap_frees_total", "counter", "Frees since the trace began", t->free_count);
	if (p->nseries && p->series[p->nseries - 1].rss_bytes)
		one(out, p, "memtrace_rss_bytes", "gauge", "Resident set size of the traced process",
		    p->series[p->nseries - 1].rss_bytes);
	if (sites(out, p, top))
		return -ENOMEM;
	one(out, p, "memtrace_leak_alerts_total", "counter", "Leak alerts raised since the trace began", nalerts);
	drops(out, p);
	if (p->faults && p->faults->source) {
		one(out, p, "memtrace_page_faults_total", "counter", "Page faults (pages made resident)", p->faults->count);
		one(out, p, "memtrace_page_fault_bytes_total", "counter", "Bytes made resident by page faults",
		    p->faults->bytes);
	}
	if (g)
		gc(out, p, g);
	return ferror(out) ? -EIO : 0;
}
