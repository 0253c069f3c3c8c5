/* SPDX-License-Identifier: MIT */
/*
 * A --follow child's probes loaded in threads of their own.  *_start
 * starts the load (once; a failure leaves the child without those probes
 * and says so); *_collect_thread takes the result in once the thread is
 * through, or with `wait` waits for it (a report needs it).
 * py_detach_later closes a pymalloc's probes in a detached thread.
 */
#ifndef MEMTRACE_FOLLOW_THREADS_H
#define MEMTRACE_FOLLOW_THREADS_H

#include <stdbool.h>

struct session;
struct pymalloc;

void gc_start(struct session *k);
void gc_collect_thread(struct session *k, bool wait);
void faults_start(struct session *k);
void faults_collect_thread(struct session *k, bool wait);
void py_start(struct session *k);
void py_collect_thread(struct session *k, bool wait);
void py_detach_later(struct pymalloc *py);

#endif
