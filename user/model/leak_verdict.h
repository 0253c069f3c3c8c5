/* SPDX-License-Identifier: MIT */
/*
 * The verdict on one suspect site: how much of its growth is a leak of the
 * process, and how sure memtrace is, from what the window measured.
 *
 * Pre-attach churn.  A process traced with -p frees blocks memtrace never
 * saw allocated.  Each such free is counted (a count: the size of a block
 * is the allocator's to know, and memtrace probes whatever library provides
 * malloc, so it reads no allocator header), and the allocation that follows
 * it on the same thread is taken to replace the freed block ("replaced").
 * A site's growth in blocks is split in two: the replaced share, which adds
 * to memtrace's books but not to the process, and the rest.  The rest must
 * be matched by the process as a whole: its net balance (allocations seen -
 * frees of seen blocks - frees of unseen blocks) must grow by as many
 * blocks; the part of the site's growth the process does not show is
 * discounted too.  Once the pre-attach population is used up no unseen
 * frees come, and nothing is discounted.
 *
 * Confidence in [0, 1] is the product of the fit (r^2 of the line through
 * the site's in-use bytes: a leak grows straight), the margin over the
 * minimum rate (min(1, rate / (2 * min_rate)): just at the threshold is
 * half sure) and RSS (x 0.8 when the resident size grew by less than half
 * the rate: the books say more than the process shows).
 */
#ifndef MEMTRACE_LEAK_VERDICT_H
#define MEMTRACE_LEAK_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

/* What the judged window measured for one site and its process. */
struct leak_evidence {
	double rate;           /* site's tracked in-use bytes/s, least squares */
	double fit;            /* r^2 of that line, 0..1 */
	double count_growth;   /* site's in-use blocks gained over the window */
	double replaced;       /* of its allocations in the window, those that replaced a pre-attach block */
	double unseen_frees;   /* the process's frees of pre-attach blocks in the window */
	double process_growth; /* the process's net blocks gained over the window */
	double rss_rate;       /* resident bytes/s, least squares */
	bool rss_known;
};

struct leak_judgement {
	double rate;           /* the growth the verdict stands on, bytes/s, after discounts */
	double discounted;     /* bytes/s taken off the tracked rate as pre-attach churn */
	double replaced_share; /* 0..1: of the site's block growth, replacements */
	double process_cover;  /* 0..1: how much of the rest the process's net balance shows */
	double confidence;     /* 0..1 */
};

/* Pure: judges e against min_rate (bytes/s). */
void leak_judge(const struct leak_evidence *e, double min_rate, struct leak_judgement *j);

#endif
