/* SPDX-License-Identifier: MIT */
/*
 * Managed runtimes' heaps in the reports: Go's heap as counted at
 * runtime.mallocgc (mt_profile.go_heap).  Each writer prints nothing when
 * no Go heap was traced.
 */
#ifndef MEMTRACE_RUNTIME_REPORT_H
#define MEMTRACE_RUNTIME_REPORT_H

#include <stdio.h>

#include "json.h"
#include "profile.h"

/* One line: Go's allocations and why its in-use is not per stack. */
void report_text_go_heap(const struct mt_profile *p, FILE *out);
/* "go_heap": {calls, bytes, version, inuse_per_stack: false}. */
void report_json_go_heap(struct json *j, const struct mt_profile *p);

#endif
