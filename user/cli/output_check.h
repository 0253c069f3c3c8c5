/* SPDX-License-Identifier: MIT */
/*
 * Before a trace starts: can every output it asks for be written?  A trace
 * may run for hours; a typo in a path must not cost the whole of it.
 */
#ifndef MEMTRACE_OUTPUT_CHECK_H
#define MEMTRACE_OUTPUT_CHECK_H

#include "options.h"

/* Exit status of a run that traced but lost an output (sysexits' EX_IOERR):
 * apart from 1 (any other error), which commands commonly exit with, and
 * from 64 (usage).  The "memtrace:" line gives the command's own status. */
#define MT_EXIT_INCOMPLETE 74

/*
 * Checks each file output (--json, -o, --record, --gc-svg) with
 * safe_file_check and each directory (--alert-dump, --snapshot-dir) by
 * making and dropping a file in it; "-" (stdout) passes.  A stack format
 * (-o .svg/.folded/.pb.gz) with --view faults|mapped needs --faults.  Prints one
 * "memtrace:" line per bad output; -errno of the first.  --alerts is not
 * here: alert_sink_open opens it for good before the trace starts.
 */
int outputs_check(const struct options *o);

#endif
