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

static bool pprof_empty(const char *path, const struct mt_profile *p, const enum mt_metric *others, size_t n)
{
	char h[HUMAN_BUFSZ];

	if (total(p, MT_INUSE_SPACE))
		return false;
	for (size_t i = 0; i < n; i++) {
		uint64_t t = total(p, others[i]);

		if (!t)
			continue;
		log_warn("%s opens on inuse_space, which is 0 at every stack (everything allocated was freed): pprof "
			 "-sample_index=%s shows %s%s", path, metric_name(others[i]),
			 others[i] == MT_ALLOC_SPACE ? human_bytes(t, h) : human_count(t, h),
			 others[i] == MT_ALLOC_SPACE ? "" : " objects");
		return true;
	}
	log_warn("%s holds no samples: no allocation was traced", path);
	return true;
}

bool output_say_empty(const char *path, enum out_format fmt, const struct mt_profile *p, enum mt_metric metric)
{
	/* Bytes first: what a flame graph is usually drawn by. */
	static const enum mt_metric others[] = { MT_ALLOC_SPACE, MT_INUSE_SPACE, MT_ALLOC_OBJECTS, MT_INUSE_OBJECTS };
	char h[HUMAN_BUFSZ];

	/* pprof holds every metric; its readers open on the default, inuse_space. */
	if (fmt == OUT_PPROF)
		return pprof_empty(path, p, others, sizeof(others) / sizeof(others[0]));
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
