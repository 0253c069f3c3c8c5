/* SPDX-License-Identifier: MIT */
/*
 * GC pause timelines: finds the garbage-collected runtimes in a process
 * (refgc, Go, HotSpot, CPython) from its mappings, ELF symbols and USDT
 * notes, probes their pause begin/end points (bpf/gc.bpf.c) and turns the
 * timestamped events into cycles and stop-the-world pauses.
 *
 * Times are CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns), the clock the
 * runtimes themselves use for their own pause accounts.
 */
#ifndef MEMTRACE_GC_H
#define MEMTRACE_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "gc_data.h"

struct gc_tracer;

/*
 * Detects GC runtimes in pid and probes them.  Returns 0 with *out NULL, after
 * printing nothing, when no runtime is there; 0 with *out set when at least
 * one is traced; a negative errno when tracing could not start.  Every
 * problem (CPython without probes, a stripped Go binary, a JVM without
 * probes, BPF load failure) is one "memtrace:" line on stderr.
 */
int gc_open(struct gc_tracer **out, pid_t pid, int verbose);
/*
 * The same, but *out is always set (unless an error is returned) so that
 * gc_refresh() can find runtimes loaded later: for "-- CMD", where the
 * target has not exec'd yet when tracing starts.  The BPF programs are
 * loaded on the first runtime found.
 */
int gc_open_watch(struct gc_tracer **out, pid_t pid, int verbose);
/* Re-detects after the loaded objects changed (exec, dlopen): probes newly
 * mapped runtimes.  Returns 0 or a negative errno (already reported). */
int gc_refresh(struct gc_tracer *t);
/* "refgc", "go", "hotspot", "cpython", joined by "+" when several; NULL when none yet. */
const char *gc_runtime_name(const struct gc_tracer *t);
/* One sentence for the Tracing line, e.g. "GC: refgc (8 USDT probes in /path/librefgc.so)". NULL when none. */
const char *gc_describe(const struct gc_tracer *t);
/* Drains the ring buffer; returns events consumed or a negative errno. */
int gc_poll(struct gc_tracer *t);
/* A snapshot of everything so far (drains the ring buffer first). */
int gc_collect(struct gc_tracer *t, struct gc_data **out);
/* Ends tracing at now: later gc_collect() calls use it as the window's end. */
void gc_stop(struct gc_tracer *t);
void gc_close(struct gc_tracer *t);

#endif
