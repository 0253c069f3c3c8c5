// SPDX-License-Identifier: MIT
/* The metrics hook's data, every second, for session.c's event loop. */
#include "session_state.h"

void session_metrics(struct session *s)
{
	struct mt_profile p;
	struct gc_data *gc = NULL;

	if (!s->hooks->metrics)
		return;
	/* An attached process may have loaded code since: name it. */
	if (!s->launched && !s->exited)
		symbolizer_refresh(s->sym);
	if (session_build_profile(s, &p))
		return; /* this second's scrape keeps the previous numbers */
	p.series = s->nseries ? &s->series[s->nseries - 1] : NULL;
	p.nseries = s->nseries ? 1 : 0;
	if (s->gc && gc_runtime_name(s->gc) && gc_collect(s->gc, &gc))
		gc = NULL;
	s->hooks->metrics(s->hooks->ctx, &p, s->watch.nalerts, gc);
	gc_data_free(gc);
	p.series = NULL;
	p.nseries = 0;
	profile_free(&p);
}
