// SPDX-License-Identifier: MIT
/* leak: the trend ring must cover the whole --leak-window whatever -i is. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "leak.h"

/*
 * A site that grew 10 kB/s for the first 40% of the window (4 s of a 10 s
 * window) and stayed flat since: about 3.4 kB/s by least squares over the
 * whole window, a suspect at the default 1,024 B/s.  A ring of the last 64
 * samples saw at -i 0.1 only 3.7 s to 10 s, mostly flat, and never flagged it.
 */
static int suspects_after(double interval_s, double window_s, int *nsamples)
{
	struct leak_config cfg = { window_s, LEAK_DEFAULT_MIN_RATE, LEAK_DEFAULT_MIN_AGE_S };
	struct leak_detector *d = leak_detector_new(&cfg);
	struct leak_verdict *v = NULL;
	uint64_t step = (uint64_t)(interval_s * 1e9), bytes = 0;
	uint64_t end = (uint64_t)(window_s * 1e9), grow_until = end / 10 * 4;
	int n = 0;

	cr_assert_not_null(d);
	for (uint64_t t = 0; t <= end; t += step, n++) {
		if (t < grow_until)
			bytes += (uint64_t)(1e4 * interval_s);
		cr_assert_eq(leak_observe(d, 42, t, bytes, bytes / 100), 0);
	}
	*nsamples = n;
	n = leak_suspects(d, end, &v);
	cr_assert_geq(n, 0);
	if (n == 1) {
		cr_assert_eq(v[0].site, 42);
		cr_assert_gt(v[0].rate_bytes_per_s, 1500.0, "rate %.0f", v[0].rate_bytes_per_s);
	}
	free(v);
	leak_detector_free(d);
	return n;
}

Test(leak, window_kept_whole_at_short_interval)
{
	int samples;

	cr_assert_eq(suspects_after(0.1, 10.0, &samples), 1);
	cr_assert_gt(samples, 64);
}

Test(leak, window_kept_whole_at_very_short_interval)
{
	int samples;

	cr_assert_eq(suspects_after(0.05, 30.0, &samples), 1);
}

Test(leak, window_kept_whole_at_the_default_interval)
{
	int samples;

	cr_assert_eq(suspects_after(1.0, 10.0, &samples), 1);
}
