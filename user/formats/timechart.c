// SPDX-License-Identifier: MIT
#include <errno.h>

#include "humanize.h"
#include "timechart.h"

#define W 1200
#define H 320
#define LEFT 90
#define RIGHT 20
#define TOPM 30
#define BOTTOMM 40

static double px_x(uint64_t t, uint64_t tmax)
{
	return LEFT + (tmax ? (double)t / (double)tmax : 0) * (W - LEFT - RIGHT);
}

static double px_y(uint64_t v, uint64_t vmax)
{
	return H - BOTTOMM - (vmax ? (double)v / (double)vmax : 0) * (H - TOPM - BOTTOMM);
}

/* Smallest of 1, 2, 5, 10, 20, 50... that is >= v. */
static uint64_t nice_units(uint64_t v)
{
	uint64_t step = 1;

	for (;;) {
		if (step >= v)
			return step;
		if (step * 2 >= v)
			return step * 2;
		if (step * 5 >= v)
			return step * 5;
		step *= 10;
	}
}

/* A round axis maximum >= v in KiB/MiB/GiB, so tick labels read cleanly. */
static uint64_t nice_max(uint64_t v)
{
	uint64_t unit = 1;

	while (v / unit >= 1024)
		unit *= 1024;
	return nice_units((v + unit - 1) / unit) * unit;
}

static uint64_t rss_of(const struct mt_sample *s)
{
	return s->rss_bytes;
}

static uint64_t inuse_of(const struct mt_sample *s)
{
	return s->inuse_bytes;
}

static void line(const struct mt_profile *p, uint64_t (*get)(const struct mt_sample *),
		 uint64_t tmax, uint64_t vmax, const char *cls, const char *label, FILE *out)
{
	size_t n = p->nseries, buckets = n < TIMECHART_MAX_POINTS ? n : TIMECHART_MAX_POINTS;
	uint64_t peak = 0;
	char buf[HUMAN_BUFSZ];

	fprintf(out, "<polyline class=\"%s\" fill=\"none\" points=\"", cls);
	for (size_t b = 0; b < buckets; b++) {
		size_t lo = b * n / buckets, hi = (b + 1) * n / buckets, best = lo;

		for (size_t i = lo; i < hi; i++)
			if (get(&p->series[i]) > get(&p->series[best]))
				best = i;
		if (get(&p->series[best]) > peak)
			peak = get(&p->series[best]);
		fprintf(out, "%s%.1f,%.1f", b ? " " : "", px_x(p->series[best].t_ns, tmax),
			px_y(get(&p->series[best]), vmax));
	}
	fprintf(out, "\"><title>%s, peak %s</title></polyline>\n", label, human_bytes(peak, buf));
}

int timechart_write(const struct mt_profile *p, FILE *out)
{
	uint64_t tmax = 0, vmax = 0, rss = 0;
	char buf[HUMAN_BUFSZ];

	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"mt-chart\" width=\"100%%\" "
		     "viewBox=\"0 0 %d %d\" role=\"img\">\n", W, H);
	if (!p->nseries) {
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">No time series was recorded.</text>\n</svg>\n",
			W / 2, H / 2);
		return ferror(out) ? -EIO : 0;
	}
	for (size_t i = 0; i < p->nseries; i++) {
		const struct mt_sample *s = &p->series[i];

		if (s->t_ns > tmax)
			tmax = s->t_ns;
		if (s->inuse_bytes > vmax)
			vmax = s->inuse_bytes;
		if (s->rss_bytes > rss)
			rss = s->rss_bytes;
	}
	vmax = nice_max((rss > vmax ? rss : vmax) + 1);
	/* Axes and grid: five bands of the value range, four of the time range. */
	for (int k = 0; k <= 4; k++) {
		uint64_t v = vmax / 4 * (uint64_t)k;
		double y = px_y(v, vmax);

		fprintf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			     "<text class=\"ylab\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			LEFT, y, W - RIGHT, y, LEFT - 6, y + 4, human_bytes(v, buf));
		fprintf(out, "<text class=\"xlab\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			px_x(tmax / 4 * (uint64_t)k, tmax), H - BOTTOMM + 18,
			human_duration(tmax / 4 * (uint64_t)k, buf));
	}
	if (rss)
		line(p, rss_of, tmax, vmax, "rss", "RSS", out);
	line(p, inuse_of, tmax, vmax, "inuse", "In-use heap bytes", out);
	fprintf(out, "<g class=\"legend\"><line class=\"inuse\" x1=\"%d\" y1=\"14\" x2=\"%d\" y2=\"14\"/>"
		     "<text x=\"%d\" y=\"18\">in-use bytes</text>", LEFT, LEFT + 24, LEFT + 30);
	if (rss)
		fprintf(out, "<line class=\"rss\" x1=\"%d\" y1=\"14\" x2=\"%d\" y2=\"14\"/><text x=\"%d\" y=\"18\">RSS</text>",
			LEFT + 160, LEFT + 184, LEFT + 190);
	fputs("</g>\n</svg>\n", out);
	return ferror(out) ? -EIO : 0;
}
