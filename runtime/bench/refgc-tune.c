/* refgc-tune: sweep mode x GC percent x memory limit for one workload.
 *
 * Each setting is one fork/exec of refgc-bench with REFGC_* variables, so
 * every run starts from a fresh heap. Prints a table, the best setting per
 * objective and how much the best p99 pause improves on the default
 * setting (what refgc-bench does with no REFGC_* variables).
 *
 * Outside measurement: a `struct measurer` wraps each run (a command
 * prefix, then reading its result after exit) and fills a "measured p99"
 * column.  `--measure memtrace` runs each bench under memtrace (found next
 * to refgc-tune, or $MEMTRACE) and reads the p99 stop-the-world pause that
 * memtrace saw through refgc's USDT probes, from the outside. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "refgc.h"

struct setting {
	const char *mode;
	int pct;           /* REFGC_GCPERCENT_OFF for off */
	uint64_t limit;    /* 0: none */
	int is_default;
};

struct result {
	int ok;
	double ops_per_s, gc_cpu;
	uint64_t gc_count, p50, p99, max, peak;
	uint64_t pause_total, wait_total; /* ns; wait: assists + stalls, all threads */
	double measured_p99; /* from a measurer; < 0 when none */
	/* over the repeats: min and max of pause_total + wait_total */
	uint64_t cost_lo, cost_hi;
};

struct measurer {
	const char *name;
	/* Adds argv words before the bench's (in the child); NULL: none. */
	void (*prefix)(char **argv, int *a, const char *report);
	/* Reads the outside figure after the run; report is the temp file. */
	void (*finish)(const char *report, struct result *r);
};

static char memtrace_path[PATH_MAX];

static void memtrace_prefix(char **argv, int *a, const char *report)
{
	argv[(*a)++] = memtrace_path;
	argv[(*a)++] = "-q";
	argv[(*a)++] = "--no-faults";
	argv[(*a)++] = "--json";
	argv[(*a)++] = (char *)report;
	argv[(*a)++] = "--";
}

static uint64_t json_u64(const char *js, const char *key);

/* $MEMTRACE, or the memtrace built next to this program. */
static int find_memtrace(void)
{
	const char *env = getenv("MEMTRACE");
	char self[PATH_MAX];
	ssize_t n;

	if (env) {
		snprintf(memtrace_path, sizeof(memtrace_path), "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = 0;
		if (strrchr(self, '/'))
			*strrchr(self, '/') = 0;
		snprintf(memtrace_path, sizeof(memtrace_path), "%.4000s/memtrace", self);
	}
	if (access(memtrace_path, X_OK)) {
		fprintf(stderr, "refgc-tune: --measure memtrace: %s is not there (build it, or set MEMTRACE)\n",
			memtrace_path);
		return -1;
	}
	return 0;
}

static void memtrace_finish(const char *report, struct result *r)
{
	/* The report's gc member sits after the sites: read it all, bounded. */
	static char buf[64 << 20];
	const char *gc;
	FILE *f = fopen(report, "r");
	size_t n;

	r->measured_p99 = -1;
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	gc = strstr(buf, "\"gc\": {");
	if (gc && (gc = strstr(gc, "\"pause_ns\"")))
		r->measured_p99 = (double)json_u64(gc, "p99");
}

static const struct measurer measurers[] = {
	{ "none", NULL, NULL },
	{ "memtrace", memtrace_prefix, memtrace_finish },
};

static struct {
	const char *workload;
	const char *seconds;
	const char *live_mib;
	const char *threads;
	const char *bench;
	const struct measurer *measure;
	int repeat;
} opt = { "latency", "2", NULL, "1", NULL, &measurers[0], 5 };

static uint64_t json_u64(const char *js, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(js, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static double json_f(const char *js, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(js, pat);
	return p ? strtod(p + strlen(pat), NULL) : 0;
}

static int run(const struct setting *s, struct result *r)
{
	int fds[2], status, err = -1;
	char buf[8192], num[32];
	size_t len = 0;
	ssize_t n;
	char report[64];
	pid_t pid;

	memset(r, 0, sizeof(*r));
	snprintf(report, sizeof(report), "/tmp/refgc-tune-%d.json", (int)getpid());
	if (pipe(fds))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		char *argv[24];
		int a = 0;

		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		/* The setting is all in the environment, as a user would do it. */
		unsetenv("REFGC_PRESET");
		unsetenv("REFGC_PROCS");
		setenv("REFGC_MODE", s->mode, 1);
		if (s->pct == REFGC_GCPERCENT_OFF)
			setenv("REFGC_GCPERCENT", "off", 1);
		else {
			snprintf(num, sizeof(num), "%d", s->pct);
			setenv("REFGC_GCPERCENT", num, 1);
		}
		if (s->limit) {
			snprintf(num, sizeof(num), "%" PRIu64 "MiB", s->limit >> 20);
			setenv("REFGC_MEMLIMIT", num, 1);
		} else {
			setenv("REFGC_MEMLIMIT", "off", 1);
		}
		if (s->is_default) {
			unsetenv("REFGC_MODE");
			unsetenv("REFGC_GCPERCENT");
			unsetenv("REFGC_MEMLIMIT");
		}
		if (opt.measure->prefix)
			opt.measure->prefix(argv, &a, report);
		argv[a++] = (char *)opt.bench;
		argv[a++] = "--workload";
		argv[a++] = (char *)opt.workload;
		argv[a++] = "--seconds";
		argv[a++] = (char *)opt.seconds;
		argv[a++] = "--threads";
		argv[a++] = (char *)opt.threads;
		if (opt.live_mib) {
			argv[a++] = "--live-mib";
			argv[a++] = (char *)opt.live_mib;
		}
		argv[a] = NULL;
		execv(argv[0], argv);
		fprintf(stderr, "refgc-tune: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		goto out;
	if (!strstr(buf, "\"ops_per_s\""))
		goto out;
	r->ops_per_s = json_f(buf, "ops_per_s");
	r->gc_cpu = json_f(buf, "gc_cpu_fraction");
	r->gc_count = json_u64(buf, "gc_count");
	r->p50 = json_u64(buf, "p50");
	r->p99 = json_u64(buf, "p99");
	r->max = json_u64(buf, "max");
	r->peak = json_u64(buf, "peak_heap_bytes");
	r->pause_total = json_u64(buf, "total");
	r->wait_total = json_u64(buf, "total_ns"); /* assist's */
	if (strstr(buf, "\"stall\": {"))
		r->wait_total += json_u64(strstr(buf, "\"stall\": {"), "total_ns");
	r->ok = 1;
	err = 0;
out:
	r->measured_p99 = -1;
	if (opt.measure->finish)
		opt.measure->finish(report, r);
	unlink(report);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Runs a setting opt.repeat times; *r gets the median of every figure
 * (each on its own) and the range of pause + wait time. A single run's
 * p99 on a shared machine varies 2x between identical settings, so one
 * run per setting says more about the noise than the setting. */
static int run_repeated(const struct setting *s, struct result *r)
{
	enum { MAXREP = 64 };
	struct result one[MAXREP];
	uint64_t v[8][MAXREP];
	double d[3][MAXREP];
	int n = 0;

	for (int i = 0; i < opt.repeat; i++)
		if (run(s, &one[n]) == 0)
			n++;
	memset(r, 0, sizeof(*r));
	r->measured_p99 = -1;
	if (!n)
		return -1;
	for (int i = 0; i < n; i++) {
		uint64_t x[8] = { one[i].gc_count, one[i].p50, one[i].p99, one[i].max, one[i].peak,
				  one[i].pause_total, one[i].wait_total,
				  one[i].pause_total + one[i].wait_total };

		for (int k = 0; k < 8; k++)
			v[k][i] = x[k];
		d[0][i] = one[i].ops_per_s;
		d[1][i] = one[i].gc_cpu;
		d[2][i] = one[i].measured_p99;
	}
	for (int k = 0; k < 8; k++)
		qsort(v[k], (size_t)n, sizeof(uint64_t), cmp_u64);
	for (int k = 0; k < 3; k++)
		qsort(d[k], (size_t)n, sizeof(double), cmp_d);
	r->gc_count = v[0][n / 2];
	r->p50 = v[1][n / 2];
	r->p99 = v[2][n / 2];
	r->max = v[3][n / 2];
	r->peak = v[4][n / 2];
	r->pause_total = v[5][n / 2];
	r->wait_total = v[6][n / 2];
	r->cost_lo = v[7][0];
	r->cost_hi = v[7][n - 1];
	r->ops_per_s = d[0][n / 2];
	r->gc_cpu = d[1][n / 2];
	r->measured_p99 = d[2][n / 2];
	r->ok = 1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: refgc-tune --workload latency|throughput|memory|balanced "
		   "[--seconds N] [--live-mib M] [--threads T] [--repeat N] [--bench PATH] "
		   "[--measure none|memtrace]\n");
}

static char *default_bench(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	char *slash;

	if (n <= 0)
		return "refgc-bench";
	path[n] = 0;
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, "refgc-bench");
	return path;
}

static void fmt_limit(char *b, size_t n, uint64_t l)
{
	if (l)
		snprintf(b, n, "%" PRIu64 "MiB", l >> 20);
	else
		snprintf(b, n, "none");
}

static void describe(char *b, size_t n, const struct setting *s)
{
	char lim[32], pct[16];

	fmt_limit(lim, sizeof(lim), s->limit);
	if (s->pct == REFGC_GCPERCENT_OFF)
		snprintf(pct, sizeof(pct), "off");
	else
		snprintf(pct, sizeof(pct), "%d", s->pct);
	snprintf(b, n, "%s%s gcpercent=%s memlimit=%s", s->is_default ? "default: " : "", s->mode,
		 pct, lim);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "workload", required_argument, 0, 'w' }, { "seconds", required_argument, 0, 's' },
		{ "live-mib", required_argument, 0, 'l' }, { "threads", required_argument, 0, 't' },
		{ "bench", required_argument, 0, 'b' },    { "measure", required_argument, 0, 'm' },
		{ "repeat", required_argument, 0, 'r' },   { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	static const char *modes[] = { "stw", "incremental" };
	static const int pcts[] = { 25, 50, 100, 200 };
	struct setting set[64];
	struct result res[64];
	int nset = 0, c, best_p99 = -1, best_ops = -1, best_mem = -1;
	double live;
	uint64_t limits[2];
	char desc[128];

	while ((c = getopt_long(argc, argv, "w:s:l:t:b:m:r:h", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			opt.repeat = atoi(optarg);
			if (opt.repeat < 1 || opt.repeat > 64) {
				fprintf(stderr, "refgc-tune: --repeat wants 1..64\n");
				return 2;
			}
			break;
		case 'w': opt.workload = optarg; break;
		case 's': opt.seconds = optarg; break;
		case 'l': opt.live_mib = optarg; break;
		case 't': opt.threads = optarg; break;
		case 'b': opt.bench = optarg; break;
		case 'm':
			opt.measure = NULL;
			for (size_t i = 0; i < sizeof(measurers) / sizeof(measurers[0]); i++)
				if (strcmp(optarg, measurers[i].name) == 0)
					opt.measure = &measurers[i];
			if (!opt.measure) {
				fprintf(stderr, "refgc-tune: --measure %s is not available "
						"(have: none, memtrace)\n", optarg);
				return 2;
			}
			if (opt.measure->prefix && find_memtrace())
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (strcmp(opt.workload, "latency") && strcmp(opt.workload, "throughput") &&
	    strcmp(opt.workload, "memory") && strcmp(opt.workload, "balanced")) {
		fprintf(stderr, "refgc-tune: unknown workload \"%s\"\n", opt.workload);
		return 2;
	}
	if (!opt.bench)
		opt.bench = default_bench();

	/* Limits relative to the live heap: none, and a tight one. */
	live = opt.live_mib ? atof(opt.live_mib)
			    : !strcmp(opt.workload, "memory") ? 32
			    : !strcmp(opt.workload, "throughput") ? 16 : 64;
	limits[0] = 0;
	limits[1] = ((uint64_t)(live * 2.5) + 32) << 20;

	set[nset++] = (struct setting){ "default", 100, 0, 1 };
	for (size_t m = 0; m < 2; m++)
		for (size_t p = 0; p < sizeof(pcts) / sizeof(pcts[0]); p++)
			for (size_t l = 0; l < 2; l++)
				set[nset++] = (struct setting){ modes[m], pcts[p], limits[l], 0 };

	printf("refgc-tune: workload=%s seconds=%s threads=%s repeat=%d bench=%s measure=%s\n",
	       opt.workload, opt.seconds, opt.threads, opt.repeat, opt.bench, opt.measure->name);
	printf("medians of %d runs per setting; cost = pause + wait (assists, stalls) time, "
	       "ms, median [min-max]\n", opt.repeat);
	/* meas_p99 stays the last column: scripts read it there. */
	printf("%-12s %5s %9s %12s %6s %10s %10s %10s %9s %7s %8s %19s %10s\n", "mode", "gc%",
	       "memlimit", "ops/s", "gcs", "p50_us", "p99_us", "max_us", "peak_MiB", "gc_cpu",
	       "wait_ms", "cost_ms", "meas_p99");
	for (int i = 0; i < nset; i++) {
		char lim[32], pct[16], meas[32];

		if (run_repeated(&set[i], &res[i])) {
			fprintf(stderr, "refgc-tune: run %d (%s) failed\n", i, set[i].mode);
			continue;
		}
		fmt_limit(lim, sizeof(lim), set[i].limit);
		snprintf(pct, sizeof(pct), "%d", set[i].pct);
		if (res[i].measured_p99 >= 0)
			snprintf(meas, sizeof(meas), "%.1f", res[i].measured_p99 / 1e3);
		else
			snprintf(meas, sizeof(meas), "-");
		char cost[48];

		snprintf(cost, sizeof(cost), "%.1f[%.1f-%.1f]",
			 (res[i].pause_total + res[i].wait_total) / 1e6, res[i].cost_lo / 1e6,
			 res[i].cost_hi / 1e6);
		printf("%-12s %5s %9s %12.0f %6" PRIu64 " %10.1f %10.1f %10.1f %9.1f %7.3f %8.1f "
		       "%19s %10s\n",
		       set[i].is_default ? "(default)" : set[i].mode,
		       set[i].is_default ? "" : pct, set[i].is_default ? "" : lim,
		       res[i].ops_per_s, res[i].gc_count, res[i].p50 / 1e3, res[i].p99 / 1e3,
		       res[i].max / 1e3, res[i].peak / 1048576.0, res[i].gc_cpu,
		       res[i].wait_total / 1e6, cost, meas);
		fflush(stdout);
		if (!res[i].ok)
			continue;
		if (best_p99 < 0 || res[i].p99 < res[best_p99].p99)
			best_p99 = i;
		if (best_ops < 0 || res[i].ops_per_s > res[best_ops].ops_per_s)
			best_ops = i;
		if (best_mem < 0 || res[i].peak < res[best_mem].peak)
			best_mem = i;
	}
	if (best_p99 < 0) {
		fprintf(stderr, "refgc-tune: every run failed\n");
		return 1;
	}
	describe(desc, sizeof(desc), &set[best_p99]);
	printf("best p99 pause:      %s (%.1f us)\n", desc, res[best_p99].p99 / 1e3);
	describe(desc, sizeof(desc), &set[best_ops]);
	printf("best throughput:     %s (%.0f ops/s)\n", desc, res[best_ops].ops_per_s);
	describe(desc, sizeof(desc), &set[best_mem]);
	printf("lowest peak memory:  %s (%.1f MiB)\n", desc, res[best_mem].peak / 1048576.0);
	if (res[0].ok && res[0].p99)
		printf("p99 pause vs default: %.1f us -> %.1f us (%.2f%% lower)\n",
		       res[0].p99 / 1e3, res[best_p99].p99 / 1e3,
		       100.0 * (1.0 - (double)res[best_p99].p99 / (double)res[0].p99));
	/* Within each mode, against that mode at GC percent 100 and no limit:
	 * the mode switch alone is not tuning. A cut smaller than the spread
	 * of the baseline's runs is noise, and says so. */
	for (size_t m = 0; m < 2; m++) {
		int base = -1, best = -1;

		for (int i = 1; i < nset; i++) {
			uint64_t cost = res[i].pause_total + res[i].wait_total;

			if (!res[i].ok || strcmp(set[i].mode, modes[m]))
				continue;
			if (set[i].pct == 100 && !set[i].limit)
				base = i;
			if (best < 0 || cost < res[best].pause_total + res[best].wait_total)
				best = i;
		}
		if (base < 0 || best < 0)
			continue;
		uint64_t bc = res[base].pause_total + res[base].wait_total;
		uint64_t xc = res[best].pause_total + res[best].wait_total;

		describe(desc, sizeof(desc), &set[best]);
		printf("within %s: least pause+wait: %s: %.1f ms vs %.1f ms at gc%%=100 "
		       "(%.1f%% lower; baseline runs %.1f-%.1f ms, best's %.1f-%.1f ms%s)\n",
		       modes[m], desc, xc / 1e6, bc / 1e6, bc ? 100.0 * (1.0 - (double)xc / (double)bc) : 0,
		       res[base].cost_lo / 1e6, res[base].cost_hi / 1e6, res[best].cost_lo / 1e6,
		       res[best].cost_hi / 1e6,
		       res[best].cost_hi >= res[base].cost_lo ? "; ranges overlap: within noise" : "");
	}
	return 0;
}
