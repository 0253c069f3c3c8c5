// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <time.h>

#include "humanize.h"

char *human_bytes(uint64_t bytes, char *buf)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = 0;

	if (bytes < 1024) {
		snprintf(buf, HUMAN_BUFSZ, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	/* Three significant digits whatever the magnitude, like ls -h. */
	snprintf(buf, HUMAN_BUFSZ, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, units[u]);
	return buf;
}

char *human_count(uint64_t n, char *buf)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n);
	int j = 0;

	for (int i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = tmp[i];
	}
	buf[j] = '\0';
	return buf;
}

int metric_is_space(enum mt_metric m)
{
	return m == MT_INUSE_SPACE || m == MT_ALLOC_SPACE;
}

char *human_metric(enum mt_metric m, uint64_t v, char *buf)
{
	char tmp[HUMAN_BUFSZ];

	if (metric_is_space(m))
		return human_bytes(v, buf);
	snprintf(buf, HUMAN_BUFSZ, "%s %s", human_count(v, tmp), v == 1 ? "object" : "objects");
	return buf;
}

char *human_duration(uint64_t ns, char *buf)
{
	uint64_t s = ns / 1000000000ULL;

	if (ns == 0)
		snprintf(buf, HUMAN_BUFSZ, "0 s");
	else if (ns < 1000000ULL)
		snprintf(buf, HUMAN_BUFSZ, "%llu us", (unsigned long long)(ns / 1000));
	else if (ns < 1000000000ULL)
		snprintf(buf, HUMAN_BUFSZ, "%llu ms", (unsigned long long)(ns / 1000000));
	else if (s < 60)
		snprintf(buf, HUMAN_BUFSZ, "%.1f s", (double)ns / 1e9);
	else if (s < 3600)
		snprintf(buf, HUMAN_BUFSZ, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else
		snprintf(buf, HUMAN_BUFSZ, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	return buf;
}

char *human_time(uint64_t realtime_ns, char *buf)
{
	time_t t = (time_t)(realtime_ns / 1000000000ULL);
	struct tm tm;

	if (!realtime_ns || !gmtime_r(&t, &tm) ||
	    !strftime(buf, HUMAN_BUFSZ, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, HUMAN_BUFSZ, "unknown time");
	return buf;
}
