/* Configuration: defaults, presets, environment parsing and validation.
 * Every malformed value is an error with a one-line "refgc:" message; we
 * never fall back to a default silently, because a typo in REFGC_GCPERCENT
 * would otherwise make a tuning run measure the wrong thing. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

static __thread char errbuf[256];

void set_error(const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(errbuf, sizeof(errbuf), "refgc: ");

	va_start(ap, fmt);
	vsnprintf(errbuf + n, sizeof(errbuf) - (size_t)n, fmt, ap);
	va_end(ap);
}

const char *refgc_last_error(void)
{
	return errbuf[0] ? errbuf : "refgc: no error";
}

int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

static uint64_t phys_mem(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	return pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
}

void refgc_config_default(refgc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = REFGC_MODE_STW;
	cfg->gc_percent = 100;
	cfg->mem_limit = REFGC_MEMLIMIT_NONE;
	cfg->procs = online_cpus();
}

const char *refgc_mode_name(refgc_mode m)
{
	return m == REFGC_MODE_STW ? "stw" : m == REFGC_MODE_INCREMENTAL ? "incremental" : "?";
}

int refgc_parse_mode(const char *s, refgc_mode *out)
{
	if (s && strcmp(s, "stw") == 0)
		*out = REFGC_MODE_STW;
	else if (s && strcmp(s, "incremental") == 0)
		*out = REFGC_MODE_INCREMENTAL;
	else {
		set_error("unknown mode \"%s\" (want stw or incremental)", s ? s : "");
		return -EINVAL;
	}
	return 0;
}

int refgc_parse_percent(const char *s, int *out)
{
	char *end;
	long v;

	if (s && strcmp(s, "off") == 0) {
		*out = REFGC_GCPERCENT_OFF;
		return 0;
	}
	errno = 0;
	v = s && *s ? strtol(s, &end, 10) : 0;
	if (!s || !*s || errno || *end) {
		set_error("bad GC percent \"%s\" (want an integer >= 0 or off)", s ? s : "");
		return -EINVAL;
	}
	if (v < 0 || v > REFGC_GCPERCENT_MAX) {
		set_error("GC percent %ld out of range (0..%d or off)", v, REFGC_GCPERCENT_MAX);
		return -ERANGE;
	}
	*out = (int)v;
	return 0;
}

int refgc_parse_bytes(const char *s, uint64_t *out)
{
	static const struct { const char *sfx; unsigned shift; } units[] = {
		{ "", 0 }, { "B", 0 }, { "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 },
	};
	char *end;
	unsigned long long v;

	if (s && strcmp(s, "off") == 0) {
		*out = REFGC_MEMLIMIT_NONE;
		return 0;
	}
	errno = 0;
	if (!s || *s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].sfx) != 0)
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			goto bad;
		*out = (uint64_t)v << units[i].shift;
		return 0;
	}
bad:
	set_error("bad byte count \"%s\" (want N, NKiB, NMiB, NGiB, NTiB or off)", s ? s : "");
	return -EINVAL;
}

int refgc_config_preset(refgc_config *cfg, const char *name)
{
	/* low-latency is the incremental collector at the default percent:
	 * a lower percent only means more cycles, and with stw each cycle
	 * is a whole-heap pause (percent 50 raised stw's p99 from 55-58 ms
	 * to 55-115 ms). The others keep stw, the throughput baseline. */
	static const struct {
		const char *name;
		int pct;
		unsigned gib_x8;
		int half_cpus;
		refgc_mode mode;
	} p[] = {
		{ "low-latency", 100, 16, 0, REFGC_MODE_INCREMENTAL },
		{ "high-throughput", 200, 64, 0, REFGC_MODE_STW },
		{ "memory-constrained", 20, 4, 1, REFGC_MODE_INCREMENTAL },
		{ "balanced", 100, 32, 0, REFGC_MODE_STW },
	};
	uint64_t mem = phys_mem();

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		if (!name || strcmp(name, p[i].name) != 0)
			continue;
		cfg->gc_percent = p[i].pct;
		cfg->mode = p[i].mode;
		cfg->mem_limit = ((uint64_t)p[i].gib_x8 << 30) / 8;
		/* A limit above what the machine has is no limit at all; keep
		 * the preset meaningful by capping at half of physical memory. */
		if (mem && cfg->mem_limit > mem / 2)
			cfg->mem_limit = mem / 2;
		if (cfg->mem_limit < REFGC_MEMLIMIT_MIN)
			cfg->mem_limit = REFGC_MEMLIMIT_MIN;
		cfg->procs = p[i].half_cpus ? (online_cpus() + 1) / 2 : online_cpus();
		return 0;
	}
	set_error("unknown preset \"%s\" (want low-latency, high-throughput, "
		  "memory-constrained or balanced)", name ? name : "");
	return -EINVAL;
}

int refgc_config_validate(const refgc_config *cfg)
{
	if (cfg->mode != REFGC_MODE_STW && cfg->mode != REFGC_MODE_INCREMENTAL) {
		set_error("unknown mode %d", (int)cfg->mode);
		return -EINVAL;
	}
	if (cfg->gc_percent != REFGC_GCPERCENT_OFF &&
	    (cfg->gc_percent < 0 || cfg->gc_percent > REFGC_GCPERCENT_MAX)) {
		set_error("GC percent %d out of range (0..%d or off)", cfg->gc_percent,
			  REFGC_GCPERCENT_MAX);
		return -ERANGE;
	}
	if (cfg->mem_limit != REFGC_MEMLIMIT_NONE && cfg->mem_limit < REFGC_MEMLIMIT_MIN) {
		set_error("memory limit %" PRIu64 " bytes is below the minimum of %" PRIu64,
			  cfg->mem_limit, REFGC_MEMLIMIT_MIN);
		return -ERANGE;
	}
	if (cfg->procs < 1 || cfg->procs > 256) {
		set_error("procs %d out of range (1..256)", cfg->procs);
		return -ERANGE;
	}
	if (cfg->max_procs < 0 || cfg->max_procs > 256) {
		set_error("max_procs %d out of range (0..256)", cfg->max_procs);
		return -ERANGE;
	}
	return 0;
}

/* An empty variable counts as unset, as Go treats GOGC="". */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int env_error(const char *var, int err)
{
	char msg[256];

	/* Name the variable so the user knows which one to fix. */
	snprintf(msg, sizeof(msg), "%s", refgc_last_error() + strlen("refgc: "));
	set_error("%s: %s", var, msg);
	return err;
}

int refgc_config_from_env(refgc_config *cfg)
{
	refgc_config c = *cfg;
	const char *v;
	int err;

	if ((v = env("REFGC_PRESET")) && (err = refgc_config_preset(&c, v)))
		return env_error("REFGC_PRESET", err);
	if ((v = env("REFGC_MODE")) && (err = refgc_parse_mode(v, &c.mode)))
		return env_error("REFGC_MODE", err);
	if ((v = env("REFGC_GCPERCENT")) && (err = refgc_parse_percent(v, &c.gc_percent)))
		return env_error("REFGC_GCPERCENT", err);
	if ((v = env("REFGC_MEMLIMIT"))) {
		if ((err = refgc_parse_bytes(v, &c.mem_limit)))
			return env_error("REFGC_MEMLIMIT", err);
		if (c.mem_limit != REFGC_MEMLIMIT_NONE && c.mem_limit < REFGC_MEMLIMIT_MIN) {
			set_error("memory limit %s is below the minimum of 8MiB", v);
			return env_error("REFGC_MEMLIMIT", -ERANGE);
		}
	}
	if ((v = env("REFGC_PROCS"))) {
		char *end;
		long n;

		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || n < 1 || n > 256) {
			set_error("bad worker count \"%s\" (want 1..256)", v);
			return env_error("REFGC_PROCS", -EINVAL);
		}
		c.procs = (int)n;
	}
	if ((v = env("REFGC_MAXPROCS"))) {
		char *end;
		long n;

		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || n < 1 || n > 256) {
			set_error("bad P limit \"%s\" (want 1..256)", v);
			return env_error("REFGC_MAXPROCS", -EINVAL);
		}
		c.max_procs = (int)n;
	}
	if ((v = env("REFGC_SAMPLE_BYTES"))) {
		if ((err = refgc_parse_bytes(v, &c.sample_bytes)))
			return env_error("REFGC_SAMPLE_BYTES", err);
		if (c.sample_bytes < 1 || c.sample_bytes > (UINT64_C(1) << 40)) {
			set_error("sampling period %s out of range (1 byte..1TiB)", v);
			return env_error("REFGC_SAMPLE_BYTES", -ERANGE);
		}
	}
	if ((err = refgc_config_validate(&c)))
		return err;
	*cfg = c;
	return 0;
}
