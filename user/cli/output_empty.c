// SPDX-License-Identifier: MIT
#include <stdbool.h>

#include "humanize.h"
#include "log.h"
#include "output_empty.h"

static uint64_t total(const struct mt_profile *p, enum mt_metric metric)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < p->nsites; i++)
		sum += site_metric(&p->sites[i], metric);
	return sum;
}

bool output_say_empty(const char *path, enum out_format fmt, const struct mt_profile *p, enum mt_metric metric)
{
	/* Bytes first: what a flame graph is usually drawn by. */
	static const enum mt_metric others[] = { MT_ALLOC_SPACE, MT_INUSE_SPACE, MT_ALLOC_OBJECTS, MT_INUSE_OBJECTS };
	char h[HUMAN_BUFSZ];

	if ((fmt != OUT_FOLDED && fmt != OUT_SVG) || total(p, metric))
		return false;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		uint64_t t = total(p, others[i]);
		bool bytes = others[i] == MT_ALLOC_SPACE || others[i] == MT_INUSE_SPACE;

		if (others[i] == metric || !t)
			continue;
		log_warn("%s shows %s, which is 0 at every stack%s: it holds no samples (--metric %s shows %s%s)", path,
			 metric_name(metric),
			 metric == MT_INUSE_SPACE || metric == MT_INUSE_OBJECTS ? " (everything allocated was freed)" : "",
			 metric_name(others[i]), bytes ? human_bytes(t, h) : human_count(t, h),
			 bytes ? "" : " objects");
		return true;
	}
	log_warn("%s shows %s, which is 0 at every stack: no allocation was traced, the file holds no samples", path,
		 metric_name(metric));
	return true;
}
