/* SPDX-License-Identifier: MIT */
/*
 * --follow: what an ended child costs (its report read, symbolized,
 * formatted and fsynced; its loader threads joined; its probes, tables and
 * slot given back: 1-10 ms of CPU a child here) done by one long-lived
 * thread at nice 0, so the event loop only answers ptrace stops.  Built in
 * the loop, at nice -10, that work held the next fork's stops and took the
 * CPU from the server's children (fork_server: a child waited 2.3-3.6 ms
 * on a run queue per connection on this 2-core VM).
 *
 * Callers may rely on:
 *  - kid_reports_push takes the child (out of root->kids, ended, settled):
 *    the thread builds its report, hands it to hooks->report_many, and
 *    frees it (follow_kid_free), in the order pushed, one at a time.
 *  - Children that share the root's names (shared_sym) are symbolized by
 *    the thread's own symbolizer of the root's PID, never by root->sym,
 *    which the loop goes on using: nothing in the loop waits on a lock.
 *  - kid_reports_warm has that symbolizer read the root's objects ahead,
 *    in the thread; with wait, it returns once it has.  After an exec or
 *    a dlopen of a launched root, the root waits in that stop, before it
 *    can fork, as it did for the loop's own read (15-60 ms here): done
 *    meanwhile, the first connections' reports queued behind it (138 ms)
 *    and their slots with them, and the next forks made tables while they
 *    waited.  A running root (-p) is not stopped for it: forks that come
 *    during the read (postgres: ~400 ms) are served by the slots ready.
 *  - Nothing is dropped: when the thread cannot start or the queue cannot
 *    grow, push does it all in the caller's thread.
 *  - kid_reports_free returns once every child pushed is done (the thread
 *    stopped): call it before reports that must come after them, and
 *    before the root's pool is freed.
 */
#ifndef MEMTRACE_KID_REPORTS_H
#define MEMTRACE_KID_REPORTS_H

#include <stdbool.h>

struct session;
struct kid_reports;

/* NULL when out of memory (push then works in the caller's thread). */
struct kid_reports *kid_reports_new(struct session *root);
void kid_reports_warm(struct kid_reports *w, bool wait);
void kid_reports_push(struct kid_reports *w, struct session *root, struct session *kid);
void kid_reports_free(struct kid_reports *w);

#endif
