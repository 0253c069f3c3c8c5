/* SPDX-License-Identifier: MIT */
/*
 * "-p 10,11": one traced session per process, each in a child of memtrace,
 * so a process that is gone or fails to attach costs its own line and the
 * others keep being traced.  Outputs get the PID before their extension
 * (heap.svg -> heap.10.svg).
 */
#ifndef MEMTRACE_MULTI_H
#define MEMTRACE_MULTI_H

#include "options.h"

/* Returns 0 when every session ended well, 1 otherwise. */
int multi_run(const struct options *opts);

#endif
