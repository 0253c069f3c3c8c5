/* SPDX-License-Identifier: MIT */
/*
 * --follow: ended children's reports written by a thread of their own, so
 * the event loop answers ptrace stops meanwhile.  A traced server stops
 * for every SIGCHLD (a tracee stops even for an ignored signal), and the
 * kernel sends it when memtrace reaps the ended child: that stop, and the
 * next fork's first stop, waited for the report's formatting and fsync in
 * the loop (~1 ms CPU and 0.9-2 ms of fsync a child on this VM).
 *
 * Callers may rely on:
 *  - report_writer_push takes the profile (the child's data is final: it
 *    has ended) and hands it to hooks->report_many in the writer thread,
 *    in the order pushed, one at a time; the profile is freed there.
 *  - Nothing is dropped: when the thread cannot start or the queue cannot
 *    grow, push writes the report itself, in the caller's thread.
 *  - report_writer_free returns once every report pushed is written (the
 *    thread stopped): call it before reports that must come after them.
 *  - hooks->report_many runs concurrently with the other hooks, which the
 *    caller's thread goes on calling (trace_hooks says so).
 */
#ifndef MEMTRACE_REPORT_WRITER_H
#define MEMTRACE_REPORT_WRITER_H

#include "profile.h"
#include "session.h"

struct report_writer;

/* NULL when out of memory (push then writes in the caller's thread). */
struct report_writer *report_writer_new(const struct trace_hooks *hooks);
void report_writer_push(struct report_writer *w, const struct trace_hooks *hooks, struct mt_profile *p);
void report_writer_free(struct report_writer *w);

#endif
