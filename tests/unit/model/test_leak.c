// SPDX-License-Identifier: MIT
/* leak: the trend ring covers the whole --leak-window whatever -i is; warm-up
 * is not judged; a site must still grow; pre-attach churn is discounted. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "leak.h"

#define S 1000000000ULL

static struct leak_detector *detector(double window_s, double settle_s)
{
	struct leak_config cfg = { window_s, LEAK_DEFAULT_MIN_RATE, LEAK_DEFAULT_MIN_AGE_S,
				   LEAK_DEFAULT_MIN_CONFIDENCE, settle_s };
	struct leak_detector *d = leak_detector_new(&cfg);

	cr_assert_not_null(d);
	return d;
}

/*
 * A site growing 10 kB/s for 3 windows, sampled every interval_s: the
 * verdict must rest on samples spanning the whole window (a ring of the
 * last 64 samples held 6.4 s of it at -i 0.1).
 */
static void window_spans(double interval_s, double window_s)
{
	struct leak_detector *d = detector(window_s, 0);
	struct leak_verdict *v = NULL;
	uint64_t step = (uint64_t)(interval_s * 1e9), end = (uint64_t)(3 * window_s * 1e9), t;
	int n;

	for (t = 0; t <= end; t += step)
		cr_assert_eq(leak_observe(d, 42, t, (uint64_t)(1e4 * (double)t / 1e9), t / S), 0);
	n = leak_suspects(d, t - step, &v);
	cr_assert_eq(n, 1);
	cr_assert_eq(v[0].site, 42);
	cr_assert_geq(v[0].window_s, window_s * 0.97, "window %.2f s of %.0f", v[0].window_s, window_s);
	cr_assert_leq(v[0].window_s, window_s + 1e-9);
	cr_assert_float_eq(v[0].rate_bytes_per_s, 1e4, 1.0);
	cr_assert_gt(v[0].judgement.confidence, 0.99);
	free(v);
	leak_detector_free(d);
}

Test(leak, window_kept_whole_at_short_interval)
{
	window_spans(0.1, 10.0);
}

Test(leak, window_30s_at_short_interval)
{
	window_spans(0.1, 30.0);
}

Test(leak, window_kept_whole_at_very_short_interval)
{
	window_spans(0.05, 30.0);
}

Test(leak, window_kept_whole_at_the_default_interval)
{
	window_spans(1.0, 10.0);
}

/* A cache that fills for 4 s and stops: a rise inside the window, flat since. */
Test(leak, warm_up_that_stops_is_not_a_leak)
{
	struct leak_detector *d = detector(10.0, LEAK_SETTLE_S);
	struct leak_verdict *v = NULL;

	for (uint64_t s = 0; s <= 12; s++) {
		uint64_t bytes = s < 4 ? s * 500000 : 2000000;

		cr_assert_eq(leak_observe(d, 7, s * S, bytes, bytes / 100), 0);
		cr_assert_eq(leak_suspects(d, s * S, &v), 0, "alert at %llu s", (unsigned long long)s);
		free(v);
		v = NULL;
	}
	leak_detector_free(d);
}

/* No verdict inside the settling period, however steep the start. */
Test(leak, settling_period_is_not_judged)
{
	struct leak_detector *d = detector(10.0, LEAK_SETTLE_S);
	struct leak_verdict *v = NULL;
	uint64_t first = 0;

	for (uint64_t s = 0; s <= 12; s++) {
		int n;

		cr_assert_eq(leak_observe(d, 9, s * S, s * 50000, s * 50), 0);
		n = leak_suspects(d, s * S, &v);
		free(v);
		v = NULL;
		if (n && !first)
			first = s;
	}
	/* Samples at 3..7 s are the first five after the 3 s settling. */
	cr_assert_eq(first, 7);
	leak_detector_free(d);
}

/*
 * A cache attached with -p: the site gains 500 blocks/s, each allocation
 * follows a free of a pre-attach block, and the process's net balance is
 * flat.  No suspect; the same site with the process growing alike is one.
 */
static int attached_cache(int64_t process_per_s, uint64_t replaced_per_s, struct leak_verdict *out)
{
	struct leak_detector *d = detector(10.0, LEAK_SETTLE_S);
	struct leak_verdict *v = NULL;
	int n = 0;

	for (uint64_t s = 0; s <= 15; s++) {
		struct leak_sample ls = { s * S, s * 500 * 320, s * 500, s * replaced_per_s };
		struct leak_process_sample ps = { s * S, 1000 + (int64_t)s * process_per_s, s * 500, 1 << 20 };

		cr_assert_eq(leak_observe_site(d, 3, &ls), 0);
		cr_assert_eq(leak_observe_process(d, &ps), 0);
		n = leak_suspects(d, s * S, &v);
		if (n) {
			*out = v[0];
			free(v);
			break;
		}
		free(v);
		v = NULL;
	}
	leak_detector_free(d);
	return n;
}

Test(leak, replacement_of_pre_attach_blocks_is_not_a_leak)
{
	struct leak_verdict v;

	cr_assert_eq(attached_cache(0, 500, &v), 0);
	/* Pairing missed (frees on another thread): the flat process still says no. */
	cr_assert_eq(attached_cache(0, 0, &v), 0);
}

Test(leak, growth_the_process_shows_is_a_leak)
{
	struct leak_verdict v;

	cr_assert_eq(attached_cache(500, 0, &v), 1);
	cr_assert_float_eq(v.rate_bytes_per_s, 500 * 320.0, 1.0);
	cr_assert_float_eq(v.judgement.process_cover, 1.0, 1e-6);
	cr_assert_float_eq(v.evidence.unseen_frees, 500.0 * (v.samples - 1), 1e-6);
}

/* --leak-min-confidence: a straight leak just over the minimum rate is
 * about half sure (margin), and a higher bar drops it. */
static int near_threshold(double min_confidence)
{
	struct leak_config cfg = { 10.0, 1024, 5, min_confidence, 0 };
	struct leak_detector *d = leak_detector_new(&cfg);
	struct leak_verdict *v = NULL;
	int n;

	cr_assert_not_null(d);
	for (uint64_t s = 0; s <= 10; s++)
		cr_assert_eq(leak_observe(d, 5, s * S, s * 1200, s), 0);
	n = leak_suspects(d, 10 * S, &v);
	if (n == 1)
		cr_assert_float_eq(v[0].judgement.confidence, 1200.0 / 2048, 1e-6);
	free(v);
	leak_detector_free(d);
	return n;
}

Test(leak, min_confidence_filters)
{
	cr_assert_eq(near_threshold(0.5), 1);
	cr_assert_eq(near_threshold(0.6), 0);
}
