// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdio.h>

#include "alert_why.h"
#include "humanize.h"

/* Signed: RSS can shrink while the books grow. */
static const char *signed_bytes(double v, char *buf)
{
	char mag[HUMAN_BUFSZ];

	snprintf(buf, HUMAN_BUFSZ, "%s%s", v < 0 ? "-" : "+", human_bytes((uint64_t)(v < 0 ? -v : v), mag));
	return buf;
}

void alert_why_format(const struct mt_alert *a, char *buf, size_t len)
{
	const struct mt_alert_why *w = &a->why;
	char b1[HUMAN_BUFSZ], b2[HUMAN_BUFSZ], b3[HUMAN_BUFSZ], b4[HUMAN_BUFSZ];
	int n;

	n = snprintf(buf, len, "confidence %.2f: fit %.2f over %.1f s (%u samples), tracked %s/s, lately %s/s",
		     a->confidence, w->fit, w->window_s, w->samples, human_bytes((uint64_t)w->tracked_rate, b1),
		     human_bytes((uint64_t)(w->recent_rate > 0 ? w->recent_rate : 0), b2));
	if (n >= 0 && (size_t)n < len && w->unseen_frees > 0)
		n += snprintf(buf + n, len - (size_t)n,
			      ", pre-attach churn discounted %s/s (replaced %.0f%%, process shows %.0f%% of the rest, "
			      "%s pre-attach frees)",
			      human_bytes((uint64_t)w->discounted_rate, b3), 100 * w->replaced_share,
			      100 * w->process_cover, human_count((uint64_t)w->unseen_frees, b4));
	if (n >= 0 && (size_t)n < len && w->rss_known)
		snprintf(buf + n, len - (size_t)n, ", RSS %s/s", signed_bytes(w->rss_rate, b3));
}

void alert_why_text(const struct mt_alert *a, FILE *out)
{
	char why[512];

	if (!a->why.samples)
		return; /* from a recording, which keeps no verdict */
	alert_why_format(a, why, sizeof(why));
	fprintf(out, "      %s\n", why);
}
