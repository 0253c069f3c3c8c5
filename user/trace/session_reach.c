// SPDX-License-Identifier: MIT
/* When a trace scans reachability, and how the result reaches the profile. */
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
 * so there is nothing sound to scan then. */
void session_reach_at_exit(struct session *s)
{
	if (!s->launched || !s->opts->reachability || s->opts->sample_bytes || s->reach.info.state)
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
