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
	double measured_p99; /* from a measurer; < 0 when none */
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
} opt = { "latency", "2", NULL, "1", NULL, &measurers[0] };

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
	r->ok = 1;
	err = 0;
out:
	r->measured_p99 = -1;
	if (opt.measure->finish)
		opt.measure->finish(report, r);
	unlink(report);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: refgc-tune --workload latency|throughput|memory|balanced "
		   "[--seconds N] [--live-mib M] [--threads T] [--bench PATH] [--measure none|memtrace]\n");
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
		{ "help", no_argument, 0, 'h' },           { 0, 0, 0, 0 },
	};
	static const char *modes[] = { "stw", "incremental" };
	static const int pcts[] = { 25, 50, 100, 200 };
	struct setting set[64];
	struct result res[64];
	int nset = 0, c, best_p99 = -1, best_ops = -1, best_mem = -1;
	double live;
	uint64_t limits[2];
	char desc[128];

	while ((c = getopt_long(argc, argv, "w:s:l:t:b:m:h", lo, NULL)) != -1) {
		switch (c) {
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

	printf("refgc-tune: workload=%s seconds=%s threads=%s bench=%s measure=%s\n",
	       opt.workload, opt.seconds, opt.threads, opt.bench, opt.measure->name);
	printf("%-12s %5s %9s %12s %6s %10s %10s %10s %9s %7s %10s\n", "mode", "gc%", "memlimit",
	       "ops/s", "gcs", "p50_us", "p99_us", "max_us", "peak_MiB", "gc_cpu",
	       "meas_p99");
	for (int i = 0; i < nset; i++) {
		char lim[32], pct[16], meas[32];

		if (run(&set[i], &res[i])) {
			fprintf(stderr, "refgc-tune: run %d (%s) failed\n", i, set[i].mode);
			continue;
		}
		fmt_limit(lim, sizeof(lim), set[i].limit);
		snprintf(pct, sizeof(pct), "%d", set[i].pct);
		if (res[i].measured_p99 >= 0)
			snprintf(meas, sizeof(meas), "%.1f", res[i].measured_p99 / 1e3);
		else
			snprintf(meas, sizeof(meas), "-");
		printf("%-12s %5s %9s %12.0f %6" PRIu64 " %10.1f %10.1f %10.1f %9.1f %7.3f %10s\n",
		       set[i].is_default ? "(default)" : set[i].mode,
		       set[i].is_default ? "" : pct, set[i].is_default ? "" : lim,
		       res[i].ops_per_s, res[i].gc_count, res[i].p50 / 1e3, res[i].p99 / 1e3,
		       res[i].max / 1e3, res[i].peak / 1048576.0, res[i].gc_cpu, meas);
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
	return 0;
}
