/* SPDX-License-Identifier: MIT */
/*
 * One timeline of a trace in Chrome's trace-event JSON (the object form,
 * {"traceEvents": [...]}), which Perfetto (ui.perfetto.dev) and
 * chrome://tracing open: --timeline FILE, or -o NAME.trace.json.
 *
 * Every event is on the report's one clock (trace_clock.h): "ts" and "dur"
 * are microseconds since the trace started, exact to the nanosecond (three
 * decimals); "otherData" holds the wall-clock anchor (start_unix_ns) and
 * says so.  What a caller may rely on, all in the traced process's pid:
 *  - metadata (ph "M"): the process's name, and a name for each track;
 *  - counters (ph "C", one per series point, in time order): "heap in use"
 *    {bytes, blocks}, "RSS" {bytes} (where read), "allocation rate"
 *    {bytes_per_s} (between a point and the one before), "page-fault rate"
 *    {faults_per_s} (minflt+majflt of /proc/PID/stat, between a point and
 *    the one before, both read; three decimals, so rate times the points'
 *    distance gives back the count to within a thousandth per second);
 *  - GC pauses (ph "X", tid 2, by start): name = the phase, args cycle,
 *    runtime and duration_ns; ts and dur are the JSON pause's t_s and
 *    duration_ns, in microseconds;
 *  - GC cycles (ph "X", tid 3): "cycle N", from start to end (cycles still
 *    running at the end are left out);
 *  - leak alerts (ph "i", scope "p", tid 4): "leak: <leaf function>", args
 *    rate_bytes_per_s, trend, inuse_bytes;
 *  - no begin/end pairs (ph "B"/"E"): durations are complete events.
 */
#ifndef MEMTRACE_TIMELINE_H
#define MEMTRACE_TIMELINE_H

#include <stdio.h>

#include "profile.h"

/* 0 or -EIO. */
int timeline_write(const struct mt_profile *p, FILE *out);

#endif
