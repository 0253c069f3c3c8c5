// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>

#include "faults_report.h"
#include "gc_report.h"
#include "layout_section.h"
#include "json.h"
#include "reach_report.h"
#include "report_json.h"
#include "runtime_report.h"
#include "trace_clock.h"

static void write_frame(struct json *j, const struct mt_profile *p, const struct mt_frame *f)
{
	char addr[32], off[32];

	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)f->addr);
	snprintf(off, sizeof(off), "0x%llx", (unsigned long long)f->offset);
	json_open_object(j, NULL);
	json_str(j, "function", f->function);
	json_str(j, "module", f->module >= 0 && (size_t)f->module < p->nmodules ? p->modules[f->module].path : NULL);
	json_str(j, "address", addr);
	json_str(j, "offset", off);
	json_str(j, "file", f->file);
	json_u64(j, "line", f->line);
	json_bool(j, "inlined", f->inlined);
	json_close_object(j);
}

void report_json_frames(struct json *j, const struct mt_profile *p, const struct mt_frame *f, uint32_t n)
{
	int truncated = frames_truncated(f, n);

	/* The marker is no frame: "truncated" says it, so every address in
	 * "frames" is one the target ran. */
	json_open_array(j, "frames");
	for (uint32_t k = 0; k < n - (truncated ? 1 : 0); k++)
		write_frame(j, p, &f[k]);
	json_close_array(j);
	json_bool(j, "truncated", truncated);
}

void report_json_alert(struct json *j, const struct mt_profile *p, const struct mt_alert *a)
{
	json_open_object(j, NULL);
	json_u64(j, "time_ns", a->wall_ns);
	json_u64(j, "t_ns", a->t_ns);
	json_seconds(j, "t_s", (int64_t)a->t_ns);
	json_i64(j, "pid", p->pid);
	report_json_frames(j, p, a->site.frames, a->site.nframes);
	json_f64(j, "rate_bytes_per_s", a->rate_bytes_per_s);
	json_u64(j, "inuse_bytes", a->site.inuse_bytes);
	json_u64(j, "inuse_count", a->site.inuse_count);
	json_str(j, "trend", trend_name(a->trend));
	json_u64(j, "oldest_age_ns", a->oldest_age_ns);
	/* A recording keeps no verdict: absent rather than a false zero. */
	if (!a->why.samples) {
		json_close_object(j);
		return;
	}
	json_f64(j, "confidence", a->confidence);
	json_open_object(j, "why");
	json_f64(j, "tracked_rate_bytes_per_s", a->why.tracked_rate);
	json_f64(j, "recent_rate_bytes_per_s", a->why.recent_rate);
	json_f64(j, "fit_r2", a->why.fit);
	json_f64(j, "window_s", a->why.window_s);
	json_u64(j, "samples", a->why.samples);
	json_f64(j, "discounted_bytes_per_s", a->why.discounted_rate);
	json_f64(j, "replaced_share", a->why.replaced_share);
	json_f64(j, "process_cover", a->why.process_cover);
	json_f64(j, "pre_attach_frees", a->why.unseen_frees);
	json_f64(j, "process_growth_blocks", a->why.process_growth);
	if (a->why.rss_known)
		json_f64(j, "rss_rate_bytes_per_s", a->why.rss_rate);
	json_close_object(j);
	json_close_object(j);
}

int report_json_write(const struct mt_profile *p, FILE *out)
{
	struct json j;

	json_init(&j, out);
	json_open_object(&j, NULL);
	json_u64(&j, "version", 1);
	json_i64(&j, "pid", p->pid);
	json_str(&j, "command", p->command);
	json_str(&j, "cgroup", p->cgroup);
	json_str(&j, "container_id", p->container_id);
	if (p->nspid)
		json_i64(&j, "nspid", p->nspid);
	json_u64(&j, "start_time_ns", p->start_realtime_ns);
	/* One time base for every section: each timed record's "t_s". */
	json_open_object(&j, "clock");
	json_str(&j, "t_s", "seconds since the trace started");
	json_u64(&j, "start_unix_ns", p->start_realtime_ns);
	json_u64(&j, "start_monotonic_ns", trace_clock_origin(p));
	json_close_object(&j);
	json_u64(&j, "duration_ns", p->duration_ns);
	json_u64(&j, "sample_bytes", p->sample_bytes);

	json_open_object(&j, "totals");
	json_u64(&j, "alloc_count", p->totals.alloc_count);
	json_u64(&j, "alloc_bytes", p->totals.alloc_bytes);
	json_u64(&j, "free_count", p->totals.free_count);
	json_u64(&j, "free_bytes", p->totals.free_bytes);
	json_u64(&j, "inuse_count", p->totals.inuse_count);
	json_u64(&j, "inuse_bytes", p->totals.inuse_bytes);
	json_u64(&j, "peak_inuse_bytes", p->totals.peak_inuse_bytes);
	json_close_object(&j);

	json_u64(&j, "dropped_events", drops_total(&p->drops));
	json_open_object(&j, "drops");
	json_u64(&j, "stack_unknown", p->drops.stack_full);
	json_u64(&j, "blocks_table_full", p->drops.allocs_full);
	json_u64(&j, "thread_table_full", p->drops.inflight_full);
	json_u64(&j, "ring_buffer_full", p->drops.events_lost);
	json_close_object(&j);
	/* In-use figures are estimates once the live-block table overflowed. */
	json_bool(&j, "inuse_estimated", p->untracked.allocs != 0);
	json_open_object(&j, "untracked");
	json_u64(&j, "allocs", p->untracked.allocs);
	json_u64(&j, "frees_unmatched", p->untracked.frees_unmatched);
	json_close_object(&j);
	json_open_object(&j, "pre_attach");
	json_u64(&j, "frees", p->frees_unseen);
	json_close_object(&j);
	if (p->fork_parent) {
		json_open_object(&j, "inherited");
		json_i64(&j, "parent_pid", p->fork_parent);
		json_u64(&j, "frees", p->frees_inherited);
		json_close_object(&j);
	}

	report_json_go_heap(&j, p);
	json_open_array(&j, "sites");
	for (size_t i = 0; i < p->nsites; i++) {
		const struct mt_site *s = &p->sites[i];

		json_open_object(&j, NULL);
		report_json_frames(&j, p, s->frames, s->nframes);
		json_u64(&j, "alloc_count", s->alloc_count);
		json_u64(&j, "alloc_bytes", s->alloc_bytes);
		json_u64(&j, "inuse_count", s->inuse_count);
		json_u64(&j, "inuse_bytes", s->inuse_bytes);
		json_close_object(&j);
	}
	json_close_array(&j);

	json_open_array(&j, "alerts");
	for (size_t i = 0; i < p->nalerts; i++) {
		report_json_alert(&j, p, &p->alerts[i]);
	}
	json_close_array(&j);

	json_open_array(&j, "leaks");
	for (size_t i = 0; i < p->nleaks; i++) {
		const struct mt_leak *l = &p->leaks[i];

		json_open_object(&j, NULL);
		report_json_frames(&j, p, l->frames, l->nframes);
		json_u64(&j, "count", l->count);
		json_u64(&j, "bytes", l->bytes);
		json_u64(&j, "oldest_age_ns", l->oldest_age_ns);
		if (p->reach.state == MT_REACH_DONE)
			reach_json_counts(&j, &l->reach);
		json_close_object(&j);
	}
	json_close_array(&j);

	if (p->reach.state != MT_REACH_NONE)
		reach_json_write(&j, &p->reach);
	if (p->gc)
		gc_json_write(&j, p->gc, trace_clock_origin(p));
	if (p->faults)
		faults_json_write(&j, p, p->faults);
	if (p->layout)
		layout_section_json(&j, p->layout);

	json_open_array(&j, "series");
	for (size_t i = 0; i < p->nseries; i++) {
		const struct mt_sample *s = &p->series[i];

		json_open_object(&j, NULL);
		json_u64(&j, "t_ns", s->t_ns);
		json_seconds(&j, "t_s", (int64_t)s->t_ns);
		json_u64(&j, "inuse_bytes", s->inuse_bytes);
		json_u64(&j, "inuse_count", s->inuse_count);
		json_u64(&j, "alloc_bytes", s->alloc_bytes);
		json_u64(&j, "alloc_count", s->alloc_count);
		json_u64(&j, "free_bytes", s->free_bytes);
		json_u64(&j, "free_count", s->free_count);
		json_u64(&j, "rss_bytes", s->rss_bytes);
		json_u64(&j, "pre_attach_frees", s->frees_unseen);
		json_close_object(&j);
	}
	json_close_array(&j);
	json_close_object(&j);
	return ferror(out) ? -EIO : 0;
}
