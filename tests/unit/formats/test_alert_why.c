// SPDX-License-Identifier: MIT
/* alert_why: why an alert fired, in words; absent for alerts from recordings. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_why.h"
#include "json.h"
#include "report_json.h"

static struct mt_alert attached_alert(void)
{
	return (struct mt_alert){
		.rate_bytes_per_s = 16384, .trend = MT_TREND_INCREASING, .confidence = 0.97,
		.why = { .tracked_rate = 16384 + 81920, .recent_rate = 16000, .fit = 0.99, .window_s = 10,
			 .samples = 11, .discounted_rate = 81920, .replaced_share = 0.98, .process_cover = 1,
			 .unseen_frees = 5000, .process_growth = 160, .rss_rate = -4096, .rss_known = 1 },
	};
}

Test(alert_why, words)
{
	struct mt_alert a = attached_alert();
	char buf[512];

	alert_why_format(&a, buf, sizeof(buf));
	cr_assert_str_eq(buf, "confidence 0.97: fit 0.99 over 10.0 s (11 samples), tracked 96.0 KiB/s, lately 15.6 KiB/s, "
			      "pre-attach churn discounted 80.0 KiB/s (replaced 98%, process shows 100% of the rest, "
			      "5,000 pre-attach frees), RSS -4.00 KiB/s", "%s", buf);
	a.why.unseen_frees = 0;
	a.why.rss_known = 0;
	alert_why_format(&a, buf, sizeof(buf));
	cr_assert_str_eq(buf, "confidence 0.97: fit 0.99 over 10.0 s (11 samples), tracked 96.0 KiB/s, lately 15.6 KiB/s",
			 "%s", buf);
}

static char *alert_json(const struct mt_alert *a)
{
	struct mt_profile p = { .pid = 7 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct json j;

	cr_assert_not_null(f);
	json_init_compact(&j, f);
	report_json_alert(&j, &p, a);
	fclose(f);
	profile_free(&p);
	return text;
}

Test(alert_why, json_has_why_unless_from_a_recording)
{
	struct mt_alert a = attached_alert();
	char *text = alert_json(&a);

	cr_assert_not_null(strstr(text, "\"confidence\": 0.97"), "%s", text);
	cr_assert_not_null(strstr(text, "\"why\": {\"tracked_rate_bytes_per_s\": 98304"), "%s", text);
	cr_assert_not_null(strstr(text, "\"rss_rate_bytes_per_s\": -4096"), "%s", text);
	free(text);
	memset(&a.why, 0, sizeof(a.why));
	a.confidence = 0;
	text = alert_json(&a);
	cr_assert_null(strstr(text, "confidence"), "%s", text);
	cr_assert_null(strstr(text, "why"), "%s", text);
	free(text);
}
