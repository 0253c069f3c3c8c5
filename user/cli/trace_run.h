/* SPDX-License-Identifier: MIT */
/*
 * One trace and its outputs: the CLI side of session_run.  Checks the
 * output directories and opens the alert outputs (--alerts, --on-alert)
 * before anything attaches, runs the trace with hooks that write what it
 * hands up (the live view on stderr, heap snapshots, alerts), and at the end
 * writes every report asked for (--json, -o, --record, --gc-svg, the text
 * report) from the final profile.
 */
#ifndef MEMTRACE_TRACE_RUN_H
#define MEMTRACE_TRACE_RUN_H

#include "options.h"

/* Returns memtrace's exit status, as session_run(). */
int trace_run(const struct options *opts);

#endif
