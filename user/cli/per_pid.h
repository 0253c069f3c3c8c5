/* SPDX-License-Identifier: MIT */
/*
 * Output names for one process of several (-p A,B, or --follow's tree):
 * the PID goes before the extension, heap.svg -> heap.10.svg (".pb.gz"
 * counts as one extension).
 */
#ifndef MEMTRACE_PER_PID_H
#define MEMTRACE_PER_PID_H

#include <sys/types.h>

#include "options.h"

/* path with ".PID" before its extension; "-" and NULL as they are.  NULL
 * when out of memory.  The caller frees it. */
char *per_pid(const char *path, pid_t pid);
/* *out = *in with every output path named for pid (per_pid_free frees them). */
void per_pid_options(const struct options *in, pid_t pid, struct options *out);
void per_pid_free(struct options *o);

#endif
