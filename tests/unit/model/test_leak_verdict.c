// SPDX-License-Identifier: MIT
/* leak_verdict: what pre-attach churn takes off a site's growth, and confidence. */
#include <criterion/criterion.h>

#include "leak_verdict.h"

static struct leak_evidence steady(void)
{
	/* 16 KiB/s over 10 s in 1 KiB blocks, a straight line, RSS alike. */
	return (struct leak_evidence){ .rate = 16384, .fit = 1, .count_growth = 160, .rss_rate = 16384,
				       .rss_known = true };
}

Test(leak_verdict, traced_from_start_nothing_discounted)
{
	struct leak_evidence e = steady();
	struct leak_judgement j;

	leak_judge(&e, 1024, &j);
	cr_assert_float_eq(j.rate, 16384, 1e-9);
	cr_assert_float_eq(j.discounted, 0, 1e-9);
	cr_assert_float_eq(j.process_cover, 1, 1e-9);
	cr_assert_float_eq(j.confidence, 1, 1e-9);
}

Test(leak_verdict, replacements_are_discounted)
{
	struct leak_evidence e = steady();
	struct leak_judgement j;

	e.replaced = 120; /* 3 in 4 of the new blocks replaced pre-attach ones */
	e.unseen_frees = 120;
	e.process_growth = 40;
	leak_judge(&e, 1024, &j);
	cr_assert_float_eq(j.replaced_share, 0.75, 1e-9);
	cr_assert_float_eq(j.process_cover, 1, 1e-9);
	cr_assert_float_eq(j.rate, 4096, 1e-9);
	cr_assert_float_eq(j.discounted, 12288, 1e-9);
}

Test(leak_verdict, a_flat_process_covers_nothing)
{
	struct leak_evidence e = steady();
	struct leak_judgement j;

	e.unseen_frees = 160;
	e.process_growth = 0;
	leak_judge(&e, 1024, &j);
	cr_assert_float_eq(j.rate, 0, 1e-9);
	cr_assert_float_eq(j.confidence, 0, 1e-9);
	e.process_growth = 80; /* half of it */
	leak_judge(&e, 1024, &j);
	cr_assert_float_eq(j.process_cover, 0.5, 1e-9);
	cr_assert_float_eq(j.rate, 8192, 1e-9);
}

Test(leak_verdict, confidence_from_fit_margin_and_rss)
{
	struct leak_evidence e = steady();
	struct leak_judgement j;

	e.fit = 0.9;
	e.rate = 1536; /* 1.5 x the minimum: margin 0.75 */
	e.rss_rate = 0; /* RSS flat: x 0.8 */
	leak_judge(&e, 1024, &j);
	cr_assert_float_eq(j.confidence, 0.9 * 0.75 * 0.8, 1e-9);
	e.rss_known = false;
	leak_judge(&e, 1024, &j);
	cr_assert_float_eq(j.confidence, 0.9 * 0.75, 1e-9);
}
