// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>

#include "frame_name.h"
#include "gc_data.h"
#include "gc_waits.h"
#include "json.h"
#include "timeline.h"
#include "trace_clock.h"

enum track {
	TRACK_HEAP = 1,
	TRACK_GC_PAUSES = 2,
	TRACK_GC_CYCLES = 3,
	TRACK_ALERTS = 4,
	/* GC waits: one track per waiting thread, at TRACK_GC_WAITS + its index */
	TRACK_GC_WAITS = 100,
};

struct tl {
	FILE *out;
	int32_t pid;
	int n; /* events written: a comma before every one but the first */
};

/* Microseconds, exact: the trace-event format's unit, our nanoseconds. */
static void us(FILE *out, const char *key, int64_t ns)
{
	uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;

	fprintf(out, ",\"%s\":%s%" PRIu64 ".%03" PRIu64, key, ns < 0 ? "-" : "", a / 1000, a % 1000);
}

/* Opens an event: {"ph":..,"name":..,"pid":..,"tid":.. — the caller adds the rest and "}". */
static void event(struct tl *t, const char *ph, const char *name, int tid)
{
	fputs(t->n++ ? ",\n" : "\n", t->out);
	fprintf(t->out, "{\"ph\":\"%s\",\"name\":", ph);
	json_write_string(t->out, name);
	fprintf(t->out, ",\"pid\":%" PRId32 ",\"tid\":%d", t->pid, tid);
}

static void metadata(struct tl *t, const struct mt_profile *p)
{
	static const struct {
		int tid;
		const char *name;
	} tracks[] = {
		{ TRACK_HEAP, "heap" },
		{ TRACK_GC_PAUSES, "GC pauses" },
		{ TRACK_GC_CYCLES, "GC cycles" },
		{ TRACK_ALERTS, "leak alerts" },
	};
	char name[128];

	snprintf(name, sizeof(name), "%s (PID %" PRId32 ")", p->command ? p->command : "?", p->pid);
	event(t, "M", "process_name", 0);
	fputs(",\"args\":{\"name\":", t->out);
	json_write_string(t->out, name);
	fputs("}}", t->out);
	for (size_t i = 0; i < sizeof(tracks) / sizeof(tracks[0]); i++) {
		event(t, "M", "thread_name", tracks[i].tid);
		fprintf(t->out, ",\"args\":{\"name\":\"%s\"}}", tracks[i].name);
	}
}

static void counters(struct tl *t, const struct mt_profile *p)
{
	for (size_t i = 0; i < p->nseries; i++) {
		const struct mt_sample *s = &p->series[i];

		event(t, "C", "heap in use", TRACK_HEAP);
		us(t->out, "ts", (int64_t)s->t_ns);
		fprintf(t->out, ",\"args\":{\"bytes\":%" PRIu64 ",\"blocks\":%" PRIu64 "}}", s->inuse_bytes,
			s->inuse_count);
		if (s->rss_bytes) {
			event(t, "C", "RSS", TRACK_HEAP);
			us(t->out, "ts", (int64_t)s->t_ns);
			fprintf(t->out, ",\"args\":{\"bytes\":%" PRIu64 "}}", s->rss_bytes);
		}
		if (i && s->t_ns > p->series[i - 1].t_ns && s->alloc_bytes >= p->series[i - 1].alloc_bytes) {
			double rate = (double)(s->alloc_bytes - p->series[i - 1].alloc_bytes) * 1e9 /
				      (double)(s->t_ns - p->series[i - 1].t_ns);

			event(t, "C", "allocation rate", TRACK_HEAP);
			us(t->out, "ts", (int64_t)s->t_ns);
			fprintf(t->out, ",\"args\":{\"bytes_per_s\":%.0f}}", rate);
		}
		if (i && s->t_ns > p->series[i - 1].t_ns && p->series[i - 1].faults && s->faults >= p->series[i - 1].faults) {
			double rate = (double)(s->faults - p->series[i - 1].faults) * 1e9 /
				      (double)(s->t_ns - p->series[i - 1].t_ns);

			event(t, "C", "page-fault rate", TRACK_HEAP);
			us(t->out, "ts", (int64_t)s->t_ns);
			fprintf(t->out, ",\"args\":{\"faults_per_s\":%.3f}}", rate);
		}
	}
}

/* Mutator waits (refgc's assists and stalls), a track per thread: a
 * thread's waits never overlap, different threads' may. */
static void gc_waits(struct tl *t, const struct gc_data *d, uint64_t origin)
{
	uint32_t tids[64];
	size_t ntids = 0;

	for (size_t i = 0; i < d->nwaits; i++) {
		const struct gc_wait *w = &d->waits[i];
		size_t k = 0;
		char name[48];

		while (k < ntids && tids[k] != w->tid)
			k++;
		if (k == ntids && ntids < sizeof(tids) / sizeof(tids[0])) {
			tids[ntids++] = w->tid;
			snprintf(name, sizeof(name), "GC waits, thread %" PRIu32, w->tid);
			event(t, "M", "thread_name", TRACK_GC_WAITS + (int)k);
			fputs(",\"args\":{\"name\":", t->out);
			json_write_string(t->out, name);
			fputs("}}", t->out);
		}
		if (k == ntids)
			k = ntids - 1; /* past 64 threads: they share the last track */
		event(t, "X", gc_wait_name(w->kind), TRACK_GC_WAITS + (int)k);
		fputs(",\"cat\":\"gc_wait\"", t->out);
		us(t->out, "ts", trace_clock_since(origin, w->start_ns));
		us(t->out, "dur", (int64_t)w->duration_ns);
		fprintf(t->out, ",\"args\":{\"cycle\":%" PRIu64 ",\"tid\":%" PRIu32 ",\"duration_ns\":%" PRIu64 "}}",
			w->cycle, w->tid, w->duration_ns);
	}
}

static void gc(struct tl *t, const struct mt_profile *p)
{
	const struct gc_data *d = p->gc;
	uint64_t origin = trace_clock_origin(p);
	char name[64];

	for (size_t i = 0; i < d->npauses; i++) {
		const struct gc_pause *g = &d->pauses[i];
		const char *rt = gc_runtime_id(g->runtime);

		event(t, "X", gc_phase_name(g->phase), TRACK_GC_PAUSES);
		fputs(",\"cat\":\"gc\"", t->out);
		us(t->out, "ts", trace_clock_since(origin, g->start_ns));
		us(t->out, "dur", (int64_t)g->duration_ns);
		fprintf(t->out, ",\"args\":{\"cycle\":%" PRIu64 ",\"runtime\":\"%s\",\"duration_ns\":%" PRIu64 "}}",
			g->cycle, rt ? rt : "", g->duration_ns);
	}
	for (size_t i = 0; i < d->ncycles; i++) {
		const struct gc_cycle *c = &d->cycles[i];

		if (!c->end_ns || c->end_ns < c->start_ns)
			continue;
		snprintf(name, sizeof(name), "cycle %" PRIu64, c->id);
		event(t, "X", name, TRACK_GC_CYCLES);
		fputs(",\"cat\":\"gc\"", t->out);
		us(t->out, "ts", trace_clock_since(origin, c->start_ns));
		us(t->out, "dur", (int64_t)(c->end_ns - c->start_ns));
		fprintf(t->out, ",\"args\":{\"pauses\":%" PRIu32 ",\"pause_ns\":%" PRIu64, c->npauses, c->pause_ns);
		if (d->nwaits)
			fprintf(t->out, ",\"assists\":%" PRIu32 ",\"assist_ns\":%" PRIu64 ",\"stalls\":%" PRIu32
				",\"stall_ns\":%" PRIu64, c->nassists, c->assist_ns, c->nstalls, c->stall_ns);
		fputs("}}", t->out);
	}
	gc_waits(t, d, origin);
}

static void alerts(struct tl *t, const struct mt_profile *p)
{
	char fn[FRAME_NAME_MAX], name[FRAME_NAME_MAX + 8];

	for (size_t i = 0; i < p->nalerts; i++) {
		const struct mt_alert *a = &p->alerts[i];

		snprintf(name, sizeof(name), "leak: %s",
			 a->site.nframes ? frame_name(p, &a->site.frames[0], FRAME_STYLE_FLAME, fn) : "[no stack]");
		event(t, "i", name, TRACK_ALERTS);
		fputs(",\"s\":\"p\",\"cat\":\"leak\"", t->out);
		us(t->out, "ts", (int64_t)a->t_ns);
		fprintf(t->out, ",\"args\":{\"rate_bytes_per_s\":%.0f,\"trend\":\"%s\",\"inuse_bytes\":%" PRIu64 "}}",
			a->rate_bytes_per_s, trend_name(a->trend), a->site.inuse_bytes);
	}
}

int timeline_write(const struct mt_profile *p, FILE *out)
{
	struct tl t = { .out = out, .pid = p->pid };

	fputs("{\"traceEvents\":[", out);
	metadata(&t, p);
	counters(&t, p);
	if (p->gc)
		gc(&t, p);
	alerts(&t, p);
	fputs("\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":{\"clock\":\"ts: microseconds since the trace started\","
	      "\"start_unix_ns\":",
	      out);
	fprintf(out, "%" PRIu64 ",\"pid\":%" PRId32 ",\"command\":", p->start_realtime_ns, p->pid);
	json_write_string(out, p->command ? p->command : "");
	fputs("}}\n", out);
	return ferror(out) ? -EIO : 0;
}
