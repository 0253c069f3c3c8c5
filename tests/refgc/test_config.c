/* Configuration: good values parse, bad ones are errors with a clear
 * "refgc:" message and never turn into a silent default. Criterion runs
 * each test in its own process, so environment changes do not leak. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "refgc.h"

static void clear_env(void)
{
	unsetenv("REFGC_PRESET");
	unsetenv("REFGC_MODE");
	unsetenv("REFGC_GCPERCENT");
	unsetenv("REFGC_MEMLIMIT");
	unsetenv("REFGC_PROCS");
}

TestSuite(config, .init = clear_env);

Test(config, defaults)
{
	refgc_config c;

	refgc_config_default(&c);
	cr_expect_eq(c.mode, REFGC_MODE_STW);
	cr_expect_eq(c.gc_percent, 100);
	cr_expect_eq(c.mem_limit, REFGC_MEMLIMIT_NONE);
	cr_expect_geq(c.procs, 1);
	cr_expect_eq(refgc_config_validate(&c), 0);
}

Test(config, bytes)
{
	uint64_t v;

	cr_expect_eq(refgc_parse_bytes("123", &v), 0);
	cr_expect_eq(v, 123);
	cr_expect_eq(refgc_parse_bytes("64KiB", &v), 0);
	cr_expect_eq(v, 64 << 10);
	cr_expect_eq(refgc_parse_bytes("512MiB", &v), 0);
	cr_expect_eq(v, (uint64_t)512 << 20);
	cr_expect_eq(refgc_parse_bytes("2GiB", &v), 0);
	cr_expect_eq(v, (uint64_t)2 << 30);
	cr_expect_eq(refgc_parse_bytes("off", &v), 0);
	cr_expect_eq(v, REFGC_MEMLIMIT_NONE);
	const char *bad[] = { "", "-1", "12MB", "1.5GiB", "GiB", "12 MiB", "lots", "99999999999TiB" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(refgc_parse_bytes(bad[i], &v), -EINVAL, "accepted \"%s\"", bad[i]);
		cr_expect(strncmp(refgc_last_error(), "refgc: ", 7) == 0);
	}
}

Test(config, percent_and_mode)
{
	int p;
	refgc_mode m;

	cr_expect_eq(refgc_parse_percent("0", &p), 0);
	cr_expect_eq(p, 0);
	cr_expect_eq(refgc_parse_percent("off", &p), 0);
	cr_expect_eq(p, REFGC_GCPERCENT_OFF);
	cr_expect_eq(refgc_parse_percent("-5", &p), -ERANGE);
	cr_expect_eq(refgc_parse_percent("50%", &p), -EINVAL);
	cr_expect_eq(refgc_parse_percent("fast", &p), -EINVAL);
	cr_expect_eq(refgc_parse_percent("", &p), -EINVAL);
	cr_expect_eq(refgc_parse_mode("stw", &m), 0);
	cr_expect_eq(m, REFGC_MODE_STW);
	cr_expect_eq(refgc_parse_mode("incremental", &m), 0);
	cr_expect_eq(m, REFGC_MODE_INCREMENTAL);
	cr_expect_eq(refgc_parse_mode("concurrent", &m), -EINVAL);
	cr_expect(strstr(refgc_last_error(), "unknown mode") != NULL);
}

Test(config, validate_ranges)
{
	refgc_config c;

	refgc_config_default(&c);
	c.gc_percent = -2;
	cr_expect_eq(refgc_config_validate(&c), -ERANGE);
	refgc_config_default(&c);
	c.mem_limit = 1 << 20;
	cr_expect_eq(refgc_config_validate(&c), -ERANGE);
	cr_expect(strstr(refgc_last_error(), "below the minimum") != NULL);
	refgc_config_default(&c);
	c.mode = (refgc_mode)7;
	cr_expect_eq(refgc_config_validate(&c), -EINVAL);
	refgc_config_default(&c);
	c.procs = 0;
	cr_expect_eq(refgc_config_validate(&c), -ERANGE);
}

Test(config, presets)
{
	refgc_config c;

	refgc_config_default(&c);
	cr_assert_eq(refgc_config_preset(&c, "low-latency"), 0);
	cr_expect_eq(c.mode, REFGC_MODE_INCREMENTAL);
	cr_expect_eq(c.gc_percent, 100);
	cr_expect_leq(c.mem_limit, (uint64_t)2 << 30);
	cr_assert_eq(refgc_config_preset(&c, "high-throughput"), 0);
	cr_expect_eq(c.mode, REFGC_MODE_STW);
	cr_expect_eq(c.gc_percent, 200);
	cr_assert_eq(refgc_config_preset(&c, "memory-constrained"), 0);
	cr_expect_eq(c.gc_percent, 20);
	cr_expect_leq(c.mem_limit, (uint64_t)512 << 20);
	cr_expect_leq(c.procs, 1 + (c.procs * 2) / 2);
	cr_assert_eq(refgc_config_preset(&c, "balanced"), 0);
	cr_expect_eq(c.gc_percent, 100);
	cr_expect_eq(refgc_config_validate(&c), 0);
	cr_expect_eq(refgc_config_preset(&c, "turbo"), -EINVAL);
	cr_expect(strstr(refgc_last_error(), "unknown preset") != NULL);
}

Test(config, env_good)
{
	refgc_config c;

	setenv("REFGC_PRESET", "low-latency", 1);
	setenv("REFGC_MODE", "stw", 1);
	setenv("REFGC_GCPERCENT", "off", 1);
	setenv("REFGC_MEMLIMIT", "64MiB", 1);
	setenv("REFGC_PROCS", "1", 1);
	refgc_config_default(&c);
	cr_assert_eq(refgc_config_from_env(&c), 0, "%s", refgc_last_error());
	cr_expect_eq(c.mode, REFGC_MODE_STW);
	cr_expect_eq(c.gc_percent, REFGC_GCPERCENT_OFF);
	cr_expect_eq(c.mem_limit, (uint64_t)64 << 20);
	cr_expect_eq(c.procs, 1);
}

static void expect_env_error(const char *var, const char *val, const char *needle)
{
	refgc_config c, before;

	clear_env();
	setenv(var, val, 1);
	refgc_config_default(&c);
	before = c;
	cr_expect_lt(refgc_config_from_env(&c), 0, "%s=%s accepted", var, val);
	cr_expect(memcmp(&c, &before, sizeof(c)) == 0, "config changed on error");
	cr_expect(strncmp(refgc_last_error(), "refgc: ", 7) == 0);
	cr_expect(strstr(refgc_last_error(), var) != NULL, "message lacks %s: %s", var,
		  refgc_last_error());
	cr_expect(strstr(refgc_last_error(), needle) != NULL, "message: %s",
		  refgc_last_error());
	/* refgc_init must refuse it too, not start with a default. */
	cr_expect_lt(refgc_init(NULL), 0);
}

Test(config, env_bad)
{
	expect_env_error("REFGC_MODE", "fast", "unknown mode");
	expect_env_error("REFGC_GCPERCENT", "-10", "out of range");
	expect_env_error("REFGC_GCPERCENT", "100x", "bad GC percent");
	expect_env_error("REFGC_MEMLIMIT", "1MiB", "below the minimum");
	expect_env_error("REFGC_MEMLIMIT", "lots", "bad byte count");
	expect_env_error("REFGC_MEMLIMIT", "5 GiB", "bad byte count");
	expect_env_error("REFGC_PROCS", "0", "bad worker count");
	expect_env_error("REFGC_PROCS", "two", "bad worker count");
	expect_env_error("REFGC_PRESET", "fastest", "unknown preset");
}

Test(config, init_rejects_bad_struct)
{
	refgc_config c;

	refgc_config_default(&c);
	c.ignore_env = 1;
	c.gc_percent = -7;
	cr_expect_eq(refgc_init(&c), -ERANGE);
	c.gc_percent = 100;
	c.mem_limit = 4096;
	cr_expect_eq(refgc_init(&c), -ERANGE);
}

Test(config, env_overrides_struct)
{
	refgc_config c;
	refgc_stats st;

	setenv("REFGC_GCPERCENT", "300", 1);
	refgc_config_default(&c);
	c.gc_percent = 10;
	cr_assert_eq(refgc_init(&c), 0);
	refgc_read_stats(&st);
	cr_expect_eq(st.gc_percent, 300);
	refgc_shutdown();
}
