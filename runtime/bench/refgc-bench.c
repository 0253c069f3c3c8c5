/* refgc-bench: run a workload on refgc and print one JSON object.
 *
 *   latency     many small request graphs over a steady live set of
 *               --live-mib MiB whose sessions are replaced slowly
 *   throughput  large batch graphs built, walked and dropped
 *   memory      the latency shape under a tight memory limit
 *   balanced    requests plus occasional batches
 *
 * Pauses are collected from the runtime's pause ring by a monitor thread
 * (the ring holds 256; the monitor polls far more often than that fills),
 * so percentiles cover every pause of the run. Knobs come from the
 * environment (REFGC_MODE, REFGC_GCPERCENT, ...), as refgc-tune sets them. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "refgc.h"

struct node {
	struct node *left, *right, *next;
	uint64_t payload[5];
};

static const size_t node_ptrs[] = { offsetof(struct node, left), offsetof(struct node, right),
				    offsetof(struct node, next) };
static const refgc_type node_type = { "node", sizeof(struct node), REFGC_TYPE_PLAIN, 3,
				      node_ptrs };
static const refgc_type array_type = { "ptrarray", 0, REFGC_TYPE_PTRARRAY, 0, NULL };
static const refgc_type bytes_type = { "bytes", 0, REFGC_TYPE_NOSCAN, 0, NULL };

enum wl { WL_LATENCY, WL_THROUGHPUT, WL_MEMORY, WL_BALANCED };
static const char *wl_names[] = { "latency", "throughput", "memory", "balanced" };

static struct {
	enum wl wl;
	double seconds;
	double live_mib;
	int threads;
	int print_pauses;
} opt = { WL_LATENCY, 5, -1, 1, 0 };

#define SESSION_NODES 8
static void **sessions;    /* root: one slot per session tree */
static size_t nsessions;
static _Atomic int stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A small binary tree of n nodes; the caller roots nothing: the tree is
 * only reachable through the returned pointer, kept in a rooted slot. */
static struct node *build_tree(int n, uint64_t *seed)
{
	struct node *root = NULL, *nn = NULL;
	refgc_scope sc = refgc_scope_enter();

	REFGC_ROOT(root);
	REFGC_ROOT(nn);
	for (int i = 0; i < n; i++) {
		nn = refgc_alloc(&node_type);
		nn->payload[0] = rnd(seed);
		if (!root) {
			root = nn;
			continue;
		}
		/* Insert at a random leaf position so depth stays small. */
		struct node *p = root;
		for (;;) {
			struct node **slot = (rnd(seed) & 1) ? &p->left : &p->right;
			if (!*slot) {
				refgc_store(p, (void **)slot, nn);
				break;
			}
			p = *slot;
		}
	}
	refgc_scope_leave(sc);
	return root;
}

static uint64_t walk(const struct node *n)
{
	uint64_t sum = 0;

	while (n) {
		sum += n->payload[0] + walk(n->right);
		n = n->left;
	}
	return sum;
}

static void fill_sessions(size_t from, size_t to, uint64_t *seed)
{
	for (size_t i = from; i < to; i++) {
		struct node *t = build_tree(SESSION_NODES, seed);

		refgc_store(sessions, &sessions[i], t);
	}
}

/* One request: a temporary graph, some work, a slow replacement of one
 * session of this thread's share (the live set stays the same size). */
static void request(uint64_t *seed, size_t lo, size_t hi, int graph)
{
	struct node *req = NULL;
	refgc_scope sc = refgc_scope_enter();

	REFGC_ROOT(req);
	req = build_tree(graph, seed);
	void *buf = refgc_alloc_size(&bytes_type, 64 + rnd(seed) % 192);
	refgc_store(req, (void **)&req->next, buf);
	walk(req);
	if (hi > lo && rnd(seed) % 4 == 0) {
		size_t i = lo + rnd(seed) % (hi - lo);
		struct node *t = build_tree(SESSION_NODES, seed);

		refgc_store(sessions, &sessions[i], t);
	}
	refgc_scope_leave(sc);
}

/* A batch: an array of many small lists, walked and then dropped. */
static void batch(uint64_t *seed, size_t nodes)
{
	void **arr = NULL;
	size_t nlists = nodes / 16;
	refgc_scope sc = refgc_scope_enter();

	struct node *head = NULL;

	REFGC_ROOT(arr);
	REFGC_ROOT(head); /* the list under construction is reachable only here */
	arr = refgc_alloc_size(&array_type, nlists * sizeof(void *));
	for (size_t i = 0; i < nlists; i++) {
		head = NULL;
		for (int j = 0; j < 16; j++) {
			struct node *n = refgc_alloc(&node_type);

			n->payload[0] = rnd(seed);
			n->next = head; /* n is new and unreachable yet: no barrier */
			head = n;
		}
		refgc_store(arr, &arr[i], head);
	}
	for (size_t i = 0; i < nlists; i++) {
		/* A back-edge poll: this loop allocates nothing, and a pause
		 * handed to the first thread to poll (or a stop-the-world)
		 * waits for it; 256 lists take a few microseconds. */
		if ((i & 255) == 0)
			refgc_safepoint();
		walk(arr[i]);
	}
	refgc_scope_leave(sc);
}

struct worker {
	pthread_t tid;
	int id;
	size_t lo, hi;
	uint64_t ops;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(w->id + 1);

	if (w->id && refgc_thread_attach())
		return NULL;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		switch (opt.wl) {
		case WL_LATENCY:
		case WL_MEMORY:
			request(&seed, w->lo, w->hi, 24);
			break;
		case WL_THROUGHPUT:
			batch(&seed, 1 << 16);
			break;
		case WL_BALANCED:
			if (rnd(&seed) % 256 == 0)
				batch(&seed, 1 << 14);
			else
				request(&seed, w->lo, w->hi, 24);
			break;
		}
		w->ops++;
	}
	if (w->id)
		refgc_thread_detach();
	return NULL;
}

/* ---- pause collection ---- */

static refgc_pause *pauses;
static size_t npauses, pauses_cap;
static uint64_t pauses_seen;
static uint64_t lost_pauses;
/* The feedback trigger's fraction over the timed run, as sampled */
static double trig_min = 2, trig_max = -1;
/* heap_alloc (bytes in objects, live or not yet swept) over the timed run
 * only: peak_heap_bytes includes the build of the live set, made with the
 * collector off, and counts whole spans. As sampled. */
static uint64_t run_alloc_max;

static void collect_pauses(void)
{
	static refgc_stats st;
	uint64_t first;

	refgc_read_stats(&st);
	if (st.trigger_fraction < trig_min)
		trig_min = st.trigger_fraction;
	if (st.trigger_fraction > trig_max)
		trig_max = st.trigger_fraction;
	if (st.heap_alloc > run_alloc_max)
		run_alloc_max = st.heap_alloc;
	first = st.num_pauses - st.npause_ring;
	if (pauses_seen < first) {
		lost_pauses += first - pauses_seen;
		pauses_seen = first;
	}
	for (; pauses_seen < st.num_pauses; pauses_seen++) {
		if (npauses == pauses_cap) {
			pauses_cap = pauses_cap ? pauses_cap * 2 : 1024;
			pauses = realloc(pauses, pauses_cap * sizeof(*pauses));
			if (!pauses) {
				fprintf(stderr, "refgc-bench: out of memory\n");
				exit(1);
			}
		}
		pauses[npauses++] = st.pauses[pauses_seen - first];
	}
}

/* Not attached to the runtime: it only reads stats. */
static void *monitor_main(void *arg)
{
	uint64_t end = *(uint64_t *)arg;

	while (now_ns() < end) {
		collect_pauses();
		usleep(2000);
	}
	atomic_store(&stop, 1);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	/* Nearest-rank percentile. */
	i = (size_t)(p / 100.0 * (double)n + 0.999999);
	return v[(i ? i : 1) - 1];
}

static void usage(FILE *f)
{
	fprintf(f, "usage: refgc-bench --workload latency|throughput|memory|balanced "
		   "--seconds N [--live-mib M] [--threads T] [--pauses]\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "workload", required_argument, 0, 'w' }, { "seconds", required_argument, 0, 's' },
		{ "live-mib", required_argument, 0, 'l' }, { "threads", required_argument, 0, 't' },
		{ "pauses", no_argument, 0, 'p' },         { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;
	char *end;

	while ((c = getopt_long(argc, argv, "w:s:l:t:ph", lo, NULL)) != -1) {
		switch (c) {
		case 'w':
			for (c = 0; c < 4 && strcmp(optarg, wl_names[c]); c++)
				;
			if (c == 4) {
				fprintf(stderr, "refgc-bench: unknown workload \"%s\"\n", optarg);
				return -EINVAL;
			}
			opt.wl = (enum wl)c;
			break;
		case 's':
			opt.seconds = strtod(optarg, &end);
			if (*end || opt.seconds <= 0) {
				fprintf(stderr, "refgc-bench: bad --seconds \"%s\"\n", optarg);
				return -EINVAL;
			}
			break;
		case 'l':
			opt.live_mib = strtod(optarg, &end);
			if (*end || opt.live_mib < 0) {
				fprintf(stderr, "refgc-bench: bad --live-mib \"%s\"\n", optarg);
				return -EINVAL;
			}
			break;
		case 't':
			opt.threads = (int)strtol(optarg, &end, 10);
			if (*end || opt.threads < 1 || opt.threads > 64) {
				fprintf(stderr, "refgc-bench: bad --threads \"%s\"\n", optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			opt.print_pauses = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static int cfg_gc_percent(void)
{
	refgc_stats *st = malloc(sizeof(*st));
	int pct;

	if (!st) {
		fprintf(stderr, "refgc-bench: out of memory\n");
		exit(1);
	}
	refgc_read_stats(st);
	pct = st->gc_percent;
	free(st);
	return pct;
}

int main(int argc, char **argv)
{
	refgc_config cfg;
	refgc_stats *st, *st0;
	struct worker *w;
	uint64_t t0, t1, ops = 0, *durs, *ttsp, total = 0, seed = 42;
	size_t per;
	struct rusage ru;

	if (parse_args(argc, argv))
		return 2;
	if (opt.live_mib < 0)
		opt.live_mib = opt.wl == WL_MEMORY ? 32 : opt.wl == WL_THROUGHPUT ? 16 : 64;
	refgc_config_default(&cfg);
	/* The memory workload is defined by its tight limit; the environment
	 * may still override it. */
	if (opt.wl == WL_MEMORY)
		cfg.mem_limit = (uint64_t)(opt.live_mib * 2 + 16) << 20;
	if (refgc_init(&cfg))
		return 1; /* refgc_init printed the reason */

	nsessions = (size_t)(opt.live_mib * 1048576.0 / (SESSION_NODES * 80.0));
	if (nsessions < 1)
		nsessions = 1;
	sessions = refgc_alloc_size(&array_type, nsessions * sizeof(void *));
	if (!sessions || refgc_root_add((void **)&sessions, 1)) {
		fprintf(stderr, "%s\n", refgc_last_error());
		return 1;
	}
	/* The fill is not measured: with the collector off it takes one
	 * pass, not a cycle per increment of a growing heap (at GC percent 0
	 * that was most of a minute for 64 MiB). */
	int gcpct = cfg_gc_percent();
	refgc_set_gc_percent(REFGC_GCPERCENT_OFF);
	fill_sessions(0, nsessions, &seed);
	refgc_set_gc_percent(gcpct);
	refgc_collect(); /* start measuring from a settled heap */
	collect_pauses();
	npauses = 0;
	st0 = malloc(sizeof(*st0));
	refgc_read_stats(st0);

	w = calloc((size_t)opt.threads, sizeof(*w));
	per = nsessions / (size_t)opt.threads;
	t0 = now_ns();
	for (int i = 0; i < opt.threads; i++) {
		w[i].id = i;
		w[i].lo = per * (size_t)i;
		w[i].hi = i == opt.threads - 1 ? nsessions : per * (size_t)(i + 1);
		if (i && pthread_create(&w[i].tid, NULL, worker_main, &w[i])) {
			fprintf(stderr, "refgc-bench: cannot create thread\n");
			return 1;
		}
	}
	/* Worker 0 is this thread; a monitor thread gathers pauses. */
	pthread_t mon;
	uint64_t end_ns = t0 + (uint64_t)(opt.seconds * 1e9);

	if (pthread_create(&mon, NULL, monitor_main, &end_ns)) {
		fprintf(stderr, "refgc-bench: cannot create thread\n");
		return 1;
	}
	worker_main(&w[0]);
	/* Parked while joining: a cycle must not wait for this thread. */
	refgc_enter_blocking();
	for (int i = 1; i < opt.threads; i++)
		pthread_join(w[i].tid, NULL);
	t1 = now_ns();
	pthread_join(mon, NULL);
	refgc_leave_blocking();
	collect_pauses();
	for (int i = 0; i < opt.threads; i++)
		ops += w[i].ops;

	st = malloc(sizeof(*st));
	refgc_read_stats(st);
	durs = malloc((npauses + 1) * sizeof(*durs));
	ttsp = malloc((npauses + 1) * sizeof(*ttsp));
	for (size_t i = 0; i < npauses; i++) {
		durs[i] = pauses[i].duration_ns;
		ttsp[i] = pauses[i].ttsp_ns;
		total += durs[i];
	}
	/* Termination marking per cycle: the marked bytes of its phase 2 (or
	 * stw) pauses; a cycle's pauses are consecutive in the ring. */
	uint64_t term_max = 0, term_cur = 0, term_pauses_max = 0, term_n = 0, cyc = 0;
	uint64_t slots_max = 0, slots_cur = 0;
	for (size_t i = 0; i < npauses; i++) {
		if (pauses[i].phase == 1)
			continue;
		if (pauses[i].cycle != cyc) {
			cyc = pauses[i].cycle;
			term_cur = term_n = slots_cur = 0;
		}
		term_cur += pauses[i].marked_bytes;
		slots_cur += pauses[i].scan_slots;
		if (slots_cur > slots_max)
			slots_max = slots_cur;
		term_n++;
		if (term_cur > term_max)
			term_max = term_cur;
		if (term_n > term_pauses_max)
			term_pauses_max = term_n;
	}
	qsort(durs, npauses, sizeof(*durs), cmp_u64);
	qsort(ttsp, npauses, sizeof(*ttsp), cmp_u64);
	getrusage(RUSAGE_SELF, &ru);

	double secs = (double)(t1 - t0) / 1e9;
	printf("{\"workload\": \"%s\", \"mode\": \"%s\", \"seconds\": %.3f, \"threads\": %d, "
	       "\"pid\": %d, "
	       "\"live_mib\": %.1f, \"gcpercent\": %d, \"memlimit\": %" PRIu64 ", \"procs\": %d, "
	       "\"ops\": %" PRIu64 ", \"ops_per_s\": %.1f, \"gc_count\": %" PRIu64
	       ", \"pause_count\": %zu, \"pauses_lost\": %" PRIu64 ", "
	       "\"pause_ns\": {\"p50\": %" PRIu64 ", \"p99\": %" PRIu64 ", \"max\": %" PRIu64
	       ", \"total\": %" PRIu64 "}, \"ttsp_ns\": {\"p50\": %" PRIu64 ", \"p99\": %" PRIu64
	       ", \"max\": %" PRIu64 "}, \"peak_heap_bytes\": %" PRIu64
	       ", \"heap_sys_bytes\": %" PRIu64 ", \"heap_released_bytes\": %" PRIu64
	       ", \"max_rss_bytes\": %" PRIu64
	       ", \"total_alloc_bytes\": %" PRIu64 ", \"gc_cpu_fraction\": %.4f",
	       wl_names[opt.wl], refgc_mode_name(st->mode), secs, opt.threads, (int)getpid(),
	       opt.live_mib,
	       st->gc_percent, st->mem_limit, st->procs, ops, (double)ops / secs, st->num_gc,
	       npauses, lost_pauses, pct(durs, npauses, 50), pct(durs, npauses, 99),
	       npauses ? durs[npauses - 1] : 0, total, pct(ttsp, npauses, 50),
	       pct(ttsp, npauses, 99), npauses ? ttsp[npauses - 1] : 0, st->heap_inuse_peak,
	       st->heap_sys,
	       st->heap_released,
	       (uint64_t)ru.ru_maxrss * 1024, st->total_alloc, st->gc_cpu_fraction);
	/* Mutator waits besides pauses, timed run only; wait_fraction is
	 * their sum over threads x run time. */
	uint64_t assist_ns = st->assist_ns - st0->assist_ns, stall_ns = st->stall_ns - st0->stall_ns;
	printf(", \"term_marked_bytes_max\": %" PRIu64 ", \"term_scan_slots_max\": %" PRIu64
	       ", \"term_pauses_max\": %" PRIu64
	       ", \"term_retries\": %" PRIu64
	       ", \"assist\": {\"count\": %" PRIu64 ", \"total_ns\": %" PRIu64
	       ", \"max_ns\": %" PRIu64 "}, \"stall\": {\"count\": %" PRIu64
	       ", \"total_ns\": %" PRIu64 ", \"max_ns\": %" PRIu64 "}"
	       ", \"wait_fraction\": %.4f",
	       term_max, slots_max, term_pauses_max, st->term_retries - st0->term_retries,
	       st->num_assists - st0->num_assists, assist_ns, st->max_assist_ns,
	       st->num_stalls - st0->num_stalls, stall_ns, st->max_stall_ns,
	       (double)(assist_ns + stall_ns) / ((double)(t1 - t0) * opt.threads));
	/* GC time over CPU time, timed run only, as the GC CPU cap counts it
	 * (runtime/cpu_limit.c): max(collector CPU, pause time x CPUs) plus
	 * assists and stalls. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double gc_time = (double)(st->gc_cpu_ns - st0->gc_cpu_ns);

	if (ncpu < 1)
		ncpu = 1;
	if ((double)(st->pause_total_ns - st0->pause_total_ns) * (double)ncpu > gc_time)
		gc_time = (double)(st->pause_total_ns - st0->pause_total_ns) * (double)ncpu;
	printf(", \"cpu_capped\": {\"count\": %" PRIu64 ", \"total_ns\": %" PRIu64 "}"
	       ", \"gc_time_fraction\": %.4f",
	       st->num_cpu_capped - st0->num_cpu_capped, st->cpu_capped_ns - st0->cpu_capped_ns,
	       (gc_time + (double)(assist_ns + stall_ns)) / ((double)(t1 - t0) * (double)ncpu));
	if (trig_max < 0) /* no sample: the run was shorter than one poll */
		trig_min = trig_max = st->trigger_fraction;
	printf(", \"trigger_fraction\": {\"last\": %.3f, \"min\": %.3f, \"max\": %.3f}"
	       ", \"run_heap_alloc_max_bytes\": %" PRIu64,
	       st->trigger_fraction, trig_min, trig_max, run_alloc_max);
	if (opt.print_pauses) {
		printf(", \"pauses\": [");
		for (size_t i = 0; i < npauses; i++)
			printf("%s{\"cycle\": %" PRIu64 ", \"phase\": %u, \"start_ns\": %" PRIu64
			       ", \"duration_ns\": %" PRIu64 ", \"ttsp_ns\": %" PRIu64
			       ", \"marked_bytes\": %" PRIu64 ", \"scan_slots\": %" PRIu64 "}",
			       i ? ", " : "", pauses[i].cycle, pauses[i].phase, pauses[i].start_ns,
			       pauses[i].duration_ns, pauses[i].ttsp_ns, pauses[i].marked_bytes,
			       pauses[i].scan_slots);
		printf("]");
	}
	printf("}\n");
	refgc_root_remove((void **)&sessions);
	refgc_shutdown();
	free(durs);
	free(ttsp);
	free(st);
	free(st0);
	free(w);
	free(pauses);
	return 0;
}
