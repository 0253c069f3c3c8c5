// SPDX-License-Identifier: MIT
/* The periodic sampler: time series points, leak samples, the live view and heap snapshots, for session.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "grow.h"
#include "proc_faults.h"
#include "session_state.h"

static uint64_t read_rss(pid_t pid)
{
	unsigned long long size, resident;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	return n == 2 ? resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

/* Builds the symbolized profile of what the BPF side holds right now. */
int session_build_profile(struct session *s, struct mt_profile *p)
{
	struct heap_snapshot snap;
	int err;

	memset(p, 0, sizeof(*p));
	err = snapshot_read(&s->tracer.heap, &snap);
	if (err)
		return err;
	err = profile_build(&snap, s->sym, p);
	snapshot_free(&snap);
	if (!err && s->faults)
		err = faults_collect(s->faults, s->sym, p, &p->faults);
	if (err) {
		profile_free(p);
		return err;
	}
	session_add_runtimes(s, p);
	p->pid = s->pid;
	p->command = profile_intern(p, s->comm);
	if (session_label_cgroup(s, p)) {
		profile_free(p);
		return -ENOMEM;
	}
	p->start_realtime_ns = s->start_real_ns;
	p->start_mono_ns = s->start_ns;
	p->duration_ns = (s->end_ns ? s->end_ns : clock_ns(CLOCK_MONOTONIC)) - s->start_ns;
	return 0;
}

void session_push_sample(struct session *s, const struct heap_snapshot *snap, uint64_t now)
{
	uint64_t free_count = 0, free_bytes = 0, faults = 0;

	if (!s->exited)
		proc_faults_read(s->pid, &faults); /* a failed read leaves 0: no rate for this point */
	if (grow((void **)&s->series, &s->series_cap, s->nseries, sizeof(*s->series), 64))
		return; /* the chart loses a point; the trace goes on */
	for (size_t i = 0; i < snap->nsites; i++) {
		free_count += snap->sites[i].v.free_count;
		free_bytes += snap->sites[i].v.free_bytes;
	}
	s->series[s->nseries++] = (struct mt_sample){
		.t_ns = now - s->start_ns,
		.inuse_bytes = snap->alloc_bytes - free_bytes,
		.inuse_count = snap->inuse_count,
		.alloc_bytes = snap->alloc_bytes,
		.alloc_count = snap->alloc_count,
		.free_bytes = free_bytes,
		.free_count = free_count,
		.rss_bytes = s->exited ? 0 : read_rss(s->pid),
		.frees_unseen = snap->counters.frees_unseen,
		.faults = faults,
	};
	/* A process that is gone has no RSS to read: hold the last reading
	 * rather than draw a drop to zero that never happened. */
	if (!s->series[s->nseries - 1].rss_bytes && s->nseries > 1)
		s->series[s->nseries - 1].rss_bytes = s->series[s->nseries - 2].rss_bytes;
}

/* A profile of the whole heap, with the series so far, for the snapshot hook. */
void session_take_snapshot(struct session *s, enum trace_snapshot why)
{
	struct mt_profile p;

	if (!s->hooks->snapshot || session_build_profile(s, &p))
		return;
	p.series = s->series;
	p.nseries = s->nseries;
	s->hooks->snapshot(s->hooks->ctx, why, &p);
	p.series = NULL;
	p.nseries = 0;
	profile_free(&p);
}

/* Every second: the time series point and the leak detector's samples. */
void session_sample(struct session *s)
{
	struct heap_snapshot snap;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	int raised;

	if (snapshot_read(&s->tracer.heap, &snap))
		return;
	session_push_sample(s, &snap, now);
	raised = leakwatch_sample(&s->watch, &s->tracer.heap, s->sym, &snap, now,
				  s->nseries ? s->series[s->nseries - 1].rss_bytes : 0);
	snapshot_free(&snap);
	session_reach_sampled(s, raised, now);
	/* Each alert keeps its evidence: the whole heap as it was. */
	for (int i = 0; i < raised && s->opts->alert_snapshots; i++)
		session_take_snapshot(s, TRACE_SNAPSHOT_ALERT);
}

void session_live_view(struct session *s)
{
	struct mt_profile p;
	struct gc_data *gc = NULL;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (!s->hooks->live)
		return;
	if (!s->launched && !s->exited)
		symbolizer_refresh(s->sym);
	if (session_build_profile(s, &p))
		return;
	/* The latest sample carries RSS: lend it for the summary line. */
	p.series = s->nseries ? &s->series[s->nseries - 1] : NULL;
	p.nseries = s->nseries ? 1 : 0;
	if (s->gc && gc_runtime_name(s->gc)) {
		gc_poll(s->gc);
		if (gc_collect(s->gc, &gc))
			gc = NULL;
	}
	s->hooks->live(s->hooks->ctx, &p, s->prev_inuse, s->prev_alloc, now - s->prev_view_ns, s->watch.nalerts,
		       gc, s->prev_view_ns);
	gc_data_free(gc);
	s->prev_inuse = p.totals.inuse_bytes;
	s->prev_alloc = p.totals.alloc_bytes;
	s->prev_view_ns = now;
	p.series = NULL;
	p.nseries = 0;
	profile_free(&p);
}
