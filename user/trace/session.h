/* SPDX-License-Identifier: MIT */
/*
 * One trace from start to final report: launches or attaches to the target,
 * keeps probes in step with what it loads and execs, samples the heap at
 * every interval, and hands the final profile to the writers.
 */
#ifndef MEMTRACE_SESSION_H
#define MEMTRACE_SESSION_H

#include "options.h"

/* Returns memtrace's exit status: the command's for "-- CMD", 0 for a
 * completed -p trace, 1 after an error already reported on stderr. */
int session_run(const struct options *opts);

#endif
