// SPDX-License-Identifier: MIT
#include "leak_verdict.h"

static double clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

void leak_judge(const struct leak_evidence *e, double min_rate, struct leak_judgement *j)
{
	double real_blocks, margin, rss = 1;

	j->replaced_share = e->count_growth > 0 ? clamp01(e->replaced / e->count_growth) : e->replaced > 0;
	real_blocks = e->count_growth * (1 - j->replaced_share);
	/*
	 * Without unseen frees the books are complete for every block freed,
	 * so nothing is asked of the process: a leak among pre-attach blocks
	 * that stay is still a leak.
	 */
	if (e->unseen_frees <= 0)
		j->process_cover = 1;
	else
		j->process_cover = real_blocks > 0 ? clamp01(e->process_growth / real_blocks) : 0;
	j->rate = e->rate * (1 - j->replaced_share) * j->process_cover;
	if (j->rate < 0)
		j->rate = 0;
	j->discounted = e->rate - j->rate;
	margin = min_rate > 0 ? clamp01(j->rate / (2 * min_rate)) : 1;
	if (e->rss_known && e->rss_rate < j->rate / 2)
		rss = 0.8;
	j->confidence = clamp01(e->fit) * margin * rss;
}
