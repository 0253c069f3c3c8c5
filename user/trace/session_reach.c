// SPDX-License-Identifier: MIT
/* When a trace scans reachability, and how the result reaches the profile. */
#include <stdlib.h>

#include "frame_name.h"
#include "log.h"
#include "reach_leaks.h"
#include "session_state.h"

static void scan(struct session *s, bool exiting)
{
	const struct reach_opts o = {
		.max_pause_ms = s->opts->reachability_max_pause_ms,
		.exiting = exiting,
		.before_trace = !s->launched,
		.verbose = s->opts->verbose,
	};

	reach_run(s->pid, &s->tracer.heap, &o, &s->reach);
}

/* A launched command at its leader's exit stop: its memory is still there
 * and none of its threads runs again.  Sampling keeps only some blocks,
 * so there is nothing sound to scan then: --sample-bytes, or a target
 * that samples itself (the otel_memory contract: the sampler, refgc),
 * whose unsampled blocks' pointers no scan would follow. */
void session_reach_at_exit(struct session *s)
{
	if (!s->launched || !s->opts->reachability || s->opts->sample_bytes || s->tracer.heap.sample_bytes ||
	    s->reach.info.state)
		return;
	scan(s, true);
}

/* -p --reachability: at the end of the trace, if the process still runs. */
void session_reach_at_end(struct session *s)
{
	if (s->launched || s->opts->reachability != 1 || s->reach.info.state)
		return;
	if (s->exited) {
		log_warn("reachability: not scanned: PID %d exited before the end of the trace", (int)s->pid);
		return;
	}
	if (s->tracer.heap.sample_bytes) {
		log_warn("reachability: not scanned: PID %d's heap is sampled (otel_memory USDT), so most blocks "
			 "are unknown (use --source uprobes for a scan)", (int)s->pid);
		return;
	}
	scan(s, false);
}

int session_add_leaks(struct session *s, const struct heap_snapshot *snap, struct mt_profile *p)
{
	int err;

	if (s->reach.info.state == MT_REACH_DONE)
		return reach_add_leaks(&s->reach, s->sym, snap, s->end_ns, p);
	/* A command that exited leaked everything it still held. */
	err = leakwatch_add_leaks(&s->tracer.heap, s->sym, snap, s->end_ns,
				  s->launched && s->exited ? 0 : s->watch.min_age_ns, p);
	p->reach = s->reach.info;
	return err;
}

/* One alert's site in a scan: its classes, or zeros when it has no live block. */
static struct mt_reach_counts site_counts(const struct reach_result *r, uint64_t site)
{
	for (size_t lo = 0, hi = r->nsites; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->sites[mid].site == site)
			return r->sites[mid].c;
		if (r->sites[mid].site < site)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (struct mt_reach_counts){ 0 };
}

static void say_alert(struct session *s, const struct reach_result *r, const struct pending_alert *a)
{
	struct mt_reach_counts c = site_counts(r, a->raw.key);
	char name[FRAME_NAME_MAX] = "[unknown stack]";
	struct mt_profile tmp = { 0 };
	struct mt_site site;

	if (profile_site_from_raw(&tmp, &a->raw.v, s->sym, &site) == 0) {
		if (site.nframes)
			frame_name(&tmp, &site.frames[0], FRAME_STYLE_FLAME, name);
		free((void *)site.frames);
	}
	log_warn("reachability of the leak alert at %s: definitely lost %llu B in %llu blocks, indirectly lost "
		 "%llu B in %llu, still reachable %llu B in %llu (PID %d stopped %.2f ms)",
		 name, (unsigned long long)c.lost_bytes, (unsigned long long)c.lost_count,
		 (unsigned long long)c.indirect_bytes, (unsigned long long)c.indirect_count,
		 (unsigned long long)c.reachable_bytes, (unsigned long long)c.reachable_count, (int)s->pid,
		 r->info.pause_ns / 1e6);
	profile_free(&tmp);
}

/*
 * -p, after each sample: a scan when alerts were raised (--alert-reachability)
 * or when --reachability-every is due.  These scans are said on stderr and
 * kept nowhere: the final report's classes come from the scan at the end.
 */
void session_reach_sampled(struct session *s, int raised, uint64_t now)
{
	const struct trace_opts *o = s->opts;
	uint64_t period = (uint64_t)(o->reachability_every_s * 1e9);
	struct reach_result r = { 0 };
	const struct reach_opts ro = {
		.max_pause_ms = o->reachability_max_pause_ms,
		.before_trace = true,
		.verbose = o->verbose,
	};
	const struct mt_reach_counts *t = &r.info.total;
	bool every, alert;

	if (s->launched || s->exited)
		return;
	if (period && !s->reach_next_ns)
		s->reach_next_ns = now + period;
	/* Samples come about once a second, a little early or late. */
	every = period && now + period / 10 >= s->reach_next_ns;
	alert = raised > 0 && o->alert_reachability;
	if (!every && !alert)
		return;
	if (every)
		s->reach_next_ns = now + period;
	if (reach_run(s->pid, &s->tracer.heap, &ro, &r) || r.info.state != MT_REACH_DONE) {
		reach_result_free(&r);
		return;
	}
	for (int i = 0; o->alert_reachability && i < raised && (size_t)i < s->watch.nalerts; i++)
		say_alert(s, &r, &s->watch.alerts[s->watch.nalerts - (size_t)raised + (size_t)i]);
	if (every)
		log_warn("reachability at %.1f s: definitely lost %llu B in %llu blocks, indirectly lost %llu B in %llu, "
			 "still reachable %llu B in %llu (PID %d stopped %.2f ms)",
			 (now - s->start_ns) / 1e9, (unsigned long long)t->lost_bytes,
			 (unsigned long long)t->lost_count, (unsigned long long)t->indirect_bytes,
			 (unsigned long long)t->indirect_count, (unsigned long long)t->reachable_bytes,
			 (unsigned long long)t->reachable_count, (int)s->pid, r.info.pause_ns / 1e6);
	reach_result_free(&r);
}
