// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "faults_data.h"
#include "gc_data.h"
#include "layout_savings.h"
#include "profile.h"
#include "strpool.h"

/* The profile's string pool, made on first use; NULL when out of memory. */
static struct strpool *pool(struct mt_profile *profile)
{
	if (!profile->strings)
		profile->strings = strpool_new();
	return profile->strings;
}

const char *profile_intern(struct mt_profile *profile, const char *s)
{
	return s && pool(profile) ? strpool_intern(profile->strings, s) : NULL;
}

const char *profile_intern_stable(struct mt_profile *profile, const char *s)
{
	return s && pool(profile) ? strpool_intern_stable(profile->strings, s) : NULL;
}

uint64_t site_metric(const struct mt_site *site, enum mt_metric metric)
{
	switch (metric) {
	case MT_INUSE_SPACE:
		return site->inuse_bytes;
	case MT_INUSE_OBJECTS:
		return site->inuse_count;
	case MT_ALLOC_SPACE:
		return site->alloc_bytes;
	case MT_ALLOC_OBJECTS:
		return site->alloc_count;
	}
	return 0;
}

static const char *const metric_names[] = {
	[MT_INUSE_SPACE] = "inuse_space",
	[MT_INUSE_OBJECTS] = "inuse_objects",
	[MT_ALLOC_SPACE] = "alloc_space",
	[MT_ALLOC_OBJECTS] = "alloc_objects",
};

int metric_parse(const char *name, enum mt_metric *out)
{
	for (size_t i = 0; i < sizeof(metric_names) / sizeof(metric_names[0]); i++) {
		if (strcmp(name, metric_names[i]) == 0) {
			*out = (enum mt_metric)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *metric_name(enum mt_metric metric)
{
	return metric_names[metric];
}

const char *trend_name(enum mt_trend trend)
{
	switch (trend) {
	case MT_TREND_INCREASING:
		return "consistently increasing";
	case MT_TREND_DECREASING:
		return "consistently decreasing";
	case MT_TREND_FLUCTUATING:
		return "fluctuating";
	case MT_TREND_FLAT:
		break;
	}
	return "flat";
}

uint64_t drops_total(const struct mt_drops *d)
{
	return d->stack_full + d->allocs_full + d->inflight_full + d->events_lost;
}

static int cmp_site(const void *a, const void *b)
{
	const struct mt_site *x = a, *y = b;

	if (x->inuse_bytes != y->inuse_bytes)
		return x->inuse_bytes < y->inuse_bytes ? 1 : -1;
	if (x->alloc_bytes != y->alloc_bytes)
		return x->alloc_bytes < y->alloc_bytes ? 1 : -1;
	if (x->alloc_count != y->alloc_count)
		return x->alloc_count < y->alloc_count ? 1 : -1;
	return 0;
}

void profile_sort_sites(struct mt_profile *profile)
{
	if (profile->nsites)
		qsort(profile->sites, profile->nsites, sizeof(*profile->sites), cmp_site);
}

void profile_free(struct mt_profile *profile)
{
	for (size_t i = 0; i < profile->nsites; i++)
		free((void *)profile->sites[i].frames);
	free(profile->sites);
	free(profile->modules);
	free(profile->series);
	for (size_t i = 0; i < profile->nalerts; i++)
		free((void *)profile->alerts[i].site.frames);
	free(profile->alerts);
	for (size_t i = 0; i < profile->nleaks; i++)
		free((void *)profile->leaks[i].frames);
	free(profile->leaks);
	gc_data_free(profile->gc);
	faults_data_free(profile->faults);
	layout_savings_free(profile->layout);
	strpool_free(profile->strings);
	memset(profile, 0, sizeof(*profile));
}
