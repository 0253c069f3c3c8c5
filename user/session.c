// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "clock.h"
#include "faults.h"
#include "gc.h"
#include "gc_report.h"
#include "heap.h"
#include "leakwatch.h"
#include "launch.h"
#include "log.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "multi.h"
#include "output.h"
#include "privs.h"
#include "record.h"
#include "report_text.h"
#include "session.h"
#include "symbolize.h"
#include "tracer.h"

#define MT_MAX_FOLLOWERS 256

struct session {
	const struct options *opts;
	struct tracer tracer;
	struct symbolizer *sym;
	struct ring_buffer *rb;
	pid_t pid;
	bool launched;   /* "-- CMD" (or adopted): we started it and trace it with ptrace */
	bool ptraced;    /* we are its ptracer: launched, adopted, or -p with --follow */
	bool announced;  /* the "Tracing" line is out */
	bool exited;     /* the target is gone */
	bool stop;       /* Ctrl-C, SIGTERM or -d */
	int wait_status; /* of the launched command */
	char comm[64];
	uint64_t start_ns, start_real_ns, end_ns;
	uint64_t dl_stops_seen;
	uint64_t prev_inuse, prev_alloc, prev_view_ns;
	struct mt_sample *series;
	size_t nseries, series_cap;
	struct gc_tracer *gc; /* NULL with --gc off or when no runtime was found */
	struct faults_tracer *faults; /* NULL without --faults */
	struct leakwatch watch;
	pid_t followers[MT_MAX_FOLLOWERS]; /* memtrace processes tracing forked children */
	int nfollowers;
};

static void read_comm(struct session *s)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)s->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(s->comm, sizeof(s->comm), f))
		s->comm[strcspn(s->comm, "\n")] = '\0';
	fclose(f);
	if (strlen(s->comm) == 15) {
		/* comm is cut at 15 bytes: the program's file name is the full one. */
		char exe[4096];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/exe", (int)s->pid);
		n = readlink(path, exe, sizeof(exe) - 1);
		if (n > 0) {
			const char *base;

			exe[n] = '\0';
			base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
			if (strncmp(base, s->comm, 15) == 0)
				snprintf(s->comm, sizeof(s->comm), "%.63s", base);
		}
	}
}

static uint64_t read_rss(pid_t pid)
{
	unsigned long long size, resident;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	return n == 2 ? resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

/* Builds the symbolized profile of what the BPF side holds right now. */
static int build_profile(struct session *s, struct mt_profile *p)
{
	struct heap_snapshot snap;
	int err;

	memset(p, 0, sizeof(*p));
	err = snapshot_read(&s->tracer.heap, &snap);
	if (err)
		return err;
	err = profile_build(&snap, s->sym, p);
	snapshot_free(&snap);
	if (!err && s->faults)
		err = faults_collect(s->faults, s->sym, p, &p->faults);
	if (err) {
		profile_free(p);
		return err;
	}
	p->pid = s->pid;
	p->command = profile_intern(p, s->comm);
	p->start_realtime_ns = s->start_real_ns;
	p->duration_ns = (s->end_ns ? s->end_ns : clock_ns(CLOCK_MONOTONIC)) - s->start_ns;
	return 0;
}

static void announce(struct session *s)
{
	if (s->announced)
		return;
	s->announced = true;
	read_comm(s);

	const char *gc = s->gc ? gc_describe(s->gc) : NULL;

	fprintf(stderr, "Tracing PID %d (%s): %d allocator functions in %s%s%s. %s\n", (int)s->pid, s->comm,
		s->tracer.alloc.nfuncs, s->tracer.alloc.path, gc ? "; " : "", gc ? gc : "",
		s->launched ? "Reporting when it exits." : "Hit Ctrl-C to end.");
}

/* The set of loaded objects changed (or a new image is running): probe
 * whatever now provides malloc, and learn the new mappings. */
static int reprobe(struct session *s)
{
	bool changed;
	int err;

	symbolizer_refresh(s->sym);
	if (s->gc)
		gc_refresh(s->gc);
	err = tracer_attach_allocator(&s->tracer, &changed);
	if (err == -ENOENT || err == -ESRCH)
		return 0; /* nothing defines malloc yet, or the process is gone */
	if (err)
		return err;
	if (changed) {
		log_debug(s->opts->verbose, 1, "probing the allocator in %s", s->tracer.alloc.path);
		if (s->announced)
			fprintf(stderr, "memtrace: PID %d now allocates through %s: probes moved there\n",
				(int)s->pid, s->tracer.alloc.path);
	}
	if (!s->tracer.alloc.path[0])
		return 0;
	err = tracer_attach_custom(&s->tracer, s->opts->custom, s->opts->ncustom);
	if (err)
		return err;
	announce(s);
	return 0;
}

static int on_exec(struct session *s)
{
	int err;

	read_comm(s);
	err = tracer_attach_dl_hook(&s->tracer);
	if (err && err != -ESRCH) {
		log_error("cannot hook the dynamic linker of PID %d: %s", (int)s->pid, strerror(-err));
		return err;
	}
	return reprobe(s);
}

/* The target is about to exit with its memory map intact: resolve every
 * frame now, while its objects can still be read. */
static void warm_symbols(struct session *s)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	struct mt_profile p;

	symbolizer_refresh(s->sym);
	if (build_profile(s, &p) == 0) {
		log_debug(s->opts->verbose, 1, "symbolized %zu stacks at exit in %.1f ms (cold cache)", p.nsites,
			  (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
		profile_free(&p);
	}
}

/* A new process (not a thread of the target) forked under --follow. */
static bool is_new_process(const struct session *s, pid_t tid)
{
	char path[64], line[256];
	long tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %ld", &tgid) == 1)
			break;
	fclose(f);
	return tgid == tid && tid != s->pid;
}

/*
 * Gives a forked child a trace of its own: the child is left stopped
 * (SIGSTOP pending across the detach, so it runs no code), and a fresh
 * memtrace with the same options adopts it, probes it, and lets it go.
 */
static void hand_over(struct session *s, pid_t child)
{
	const struct options *o = s->opts;
	char pidarg[16];
	pid_t f;

	kill(child, SIGSTOP);
	ptrace(PTRACE_DETACH, child, NULL, NULL);
	if (s->nfollowers == MT_MAX_FOLLOWERS) {
		log_warn("--follow: more than %d processes, PID %d runs untraced", MT_MAX_FOLLOWERS, (int)child);
		kill(child, SIGCONT);
		return;
	}
	f = fork();
	if (f == 0) {
		char **argv = calloc((size_t)o->opt_argc + 3, sizeof(char *));
		sigset_t none;
		int a = 0;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (!argv)
			_exit(1);
		for (int i = 0; i < o->opt_argc; i++)
			argv[a++] = o->opt_argv[i];
		snprintf(pidarg, sizeof(pidarg), "%d", (int)child);
		argv[a++] = "--adopt";
		argv[a++] = pidarg;
		execv("/proc/self/exe", argv);
		log_error("--follow: cannot start a trace for PID %d: %s", (int)child, strerror(errno));
		kill(child, SIGCONT);
		_exit(1);
	}
	if (f < 0) {
		log_error("--follow: cannot start a trace for PID %d: %s", (int)child, strerror(errno));
		kill(child, SIGCONT);
		return;
	}
	s->followers[s->nfollowers++] = f;
}

static int handle_ptrace_stops(struct session *s)
{
	int status, err = 0;
	pid_t w;

	while ((w = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
		int sig, event;

		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (w == s->pid) {
				s->exited = true;
				s->wait_status = status;
			} else if (!alert_reap(&s->watch.sink, w, status)) {
				children_remove(s->followers, &s->nfollowers, w);
			}
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		sig = WSTOPSIG(status);
		event = status >> 16;
		switch (event) {
		case PTRACE_EVENT_FORK:
		case PTRACE_EVENT_VFORK:
			/* The child reports its own first stop; it is handed over then. */
			ptrace(PTRACE_CONT, w, NULL, NULL);
			break;
		case PTRACE_EVENT_EXEC:
			err = on_exec(s);
			ptrace(PTRACE_CONT, w, NULL, NULL);
			break;
		case PTRACE_EVENT_EXIT:
			if (w == s->pid)
				warm_symbols(s);
			ptrace(PTRACE_CONT, w, NULL, NULL);
			break;
		case PTRACE_EVENT_CLONE:
			ptrace(PTRACE_CONT, w, NULL, NULL);
			break;
		case PTRACE_EVENT_STOP:
			/* A new thread's first stop, or a group stop (SIGSTOP from
			 * someone else): let the thread go, keep the group stopped. */
			if (sig == SIGTRAP && s->opts->follow && is_new_process(s, w))
				hand_over(s, w);
			else if (sig == SIGTRAP)
				ptrace(PTRACE_CONT, w, NULL, NULL);
			else
				ptrace(PTRACE_LISTEN, w, NULL, NULL);
			break;
		default:
			if (sig == SIGSTOP && s->tracer.skel->bss->counters.dl_stops != s->dl_stops_seen) {
				/* Ours, from the dynamic-linker hook: swallow it. */
				s->dl_stops_seen = s->tracer.skel->bss->counters.dl_stops;
				err = reprobe(s);
				ptrace(PTRACE_CONT, w, NULL, NULL);
			} else {
				ptrace(PTRACE_CONT, w, NULL, (void *)(long)sig);
			}
		}
		if (err)
			return err;
	}
	return 0;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct session *s = ctx;
	const struct mt_event *ev = data;

	if (len < sizeof(*ev))
		return 0;
	switch (ev->type) {
	case MT_EV_EXEC:
		return on_exec(s);
	case MT_EV_DLOPEN:
		return reprobe(s);
	}
	return 0;
}

static void push_sample(struct session *s, const struct heap_snapshot *snap, uint64_t now)
{
	uint64_t free_count = 0, free_bytes = 0;

	if (s->nseries == s->series_cap) {
		size_t cap = s->series_cap ? s->series_cap * 2 : 64;
		struct mt_sample *v = realloc(s->series, cap * sizeof(*v));

		if (!v)
			return; /* the chart loses a point; the trace goes on */
		s->series = v;
		s->series_cap = cap;
	}
	for (size_t i = 0; i < snap->nsites; i++) {
		free_count += snap->sites[i].v.free_count;
		free_bytes += snap->sites[i].v.free_bytes;
	}
	s->series[s->nseries++] = (struct mt_sample){
		.t_ns = now - s->start_ns,
		.inuse_bytes = snap->alloc_bytes - free_bytes,
		.inuse_count = snap->inuse_count,
		.alloc_bytes = snap->alloc_bytes,
		.alloc_count = snap->alloc_count,
		.free_bytes = free_bytes,
		.free_count = free_count,
		.rss_bytes = s->exited ? 0 : read_rss(s->pid),
	};
	/* A process that is gone has no RSS to read: hold the last reading
	 * rather than draw a drop to zero that never happened. */
	if (!s->series[s->nseries - 1].rss_bytes && s->nseries > 1)
		s->series[s->nseries - 1].rss_bytes = s->series[s->nseries - 2].rss_bytes;
}

/* A profile of the whole heap written to DIR/PREFIX-<UTC time>.json. */
static void write_snapshot(struct session *s, const char *dir, const char *prefix)
{
	char path[4096], stamp[32];
	struct mt_profile p;
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/%s-%s.%03ldZ.json", dir, prefix, stamp, ts.tv_nsec / 1000000);
	if (build_profile(s, &p))
		return;
	p.series = s->series;
	p.nseries = s->nseries;
	output_write(path, OUT_JSON, &p, s->opts->metric);
	p.series = NULL;
	p.nseries = 0;
	profile_free(&p);
}

/* Every second: the time series point and the leak detector's samples. */
static void sample(struct session *s)
{
	struct heap_snapshot snap;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	int raised;

	if (snapshot_read(&s->tracer.heap, &snap))
		return;
	push_sample(s, &snap, now);
	raised = leakwatch_sample(&s->watch, &s->tracer.heap, s->sym, &snap, now);
	snapshot_free(&snap);
	/* Each alert keeps its evidence: the whole heap as it was. */
	for (int i = 0; i < raised && s->opts->alert_dump_dir; i++)
		write_snapshot(s, s->opts->alert_dump_dir, "alert");
}

static void live_view(struct session *s)
{
	struct mt_profile p;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	if (!s->launched && !s->exited)
		symbolizer_refresh(s->sym);
	if (build_profile(s, &p))
		return;
	/* The latest sample carries RSS: lend it for the summary line. */
	p.series = s->nseries ? &s->series[s->nseries - 1] : NULL;
	p.nseries = s->nseries ? 1 : 0;
	live_view_print(&p, s->opts->top < 5 ? s->opts->top : 5, s->prev_inuse, s->prev_alloc,
			now - s->prev_view_ns, stderr);
	if (s->watch.nalerts)
		fprintf(stderr, "  leak alerts so far: %zu\n", s->watch.nalerts);
	if (s->gc && gc_runtime_name(s->gc)) {
		struct gc_data *d;

		gc_poll(s->gc);
		if (gc_collect(s->gc, &d) == 0) {
			gc_live_line(d, s->prev_view_ns, stderr);
			gc_data_free(d);
		}
	}
	s->prev_inuse = p.totals.inuse_bytes;
	s->prev_alloc = p.totals.alloc_bytes;
	s->prev_view_ns = now;
	p.series = NULL;
	p.nseries = 0;
	profile_free(&p);
}

static int finish(struct session *s)
{
	const struct options *o = s->opts;
	struct heap_snapshot snap;
	struct mt_profile p = {};
	int err, failed = 0;

	s->end_ns = clock_ns(CLOCK_MONOTONIC);
	err = snapshot_read(&s->tracer.heap, &snap);
	if (!err) {
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

		err = profile_build(&snap, s->sym, &p);
		log_debug(o->verbose, 1, "symbolized %zu stacks in %.1f ms", p.nsites,
			  (clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
	}
	if (!err) {
		p.pid = s->pid;
		p.command = profile_intern(&p, s->comm);
		p.start_realtime_ns = s->start_real_ns;
		p.duration_ns = s->end_ns - s->start_ns;
		push_sample(s, &snap, s->end_ns);
		/* A command that exited leaked everything it still held. */
		err = leakwatch_add_leaks(&s->tracer.heap, s->sym, &snap, s->end_ns,
					  s->launched && s->exited ? 0 : s->watch.min_age_ns, &p);
		if (!err && s->faults)
			err = faults_collect(s->faults, s->sym, &p, &p.faults);
	}
	if (!err)
		err = leakwatch_add_alerts(&s->watch, &p, s->sym);
	snapshot_free(&snap);
	if (!err && s->gc && gc_runtime_name(s->gc)) {
		gc_stop(s->gc);
		gc_collect(s->gc, &p.gc);
	}
	if (err) {
		log_error("cannot read the trace: %s", strerror(-err));
		profile_free(&p);
		return err;
	}
	p.series = s->series;
	p.nseries = s->nseries;
	s->series = NULL;
	s->nseries = s->series_cap = 0;
	if (o->json_path)
		failed |= output_write(o->json_path, OUT_JSON, &p, o->metric) != 0;
	for (int i = 0; i < o->noutputs; i++) {
		enum out_format fmt;

		output_format_for(o->outputs[i], &fmt);
		failed |= output_write_view(o->outputs[i], fmt, &p, o->metric, (enum out_view)o->view) != 0;
	}
	if (o->record_path) {
		err = record_write(o->record_path, &p);
		if (err) {
			log_error("cannot write %s: %s", o->record_path, strerror(-err));
			failed = 1;
		}
	}
	if (o->gc_svg) {
		if (!p.gc)
			log_warn("--gc-svg %s: no GC pauses were traced, nothing written", o->gc_svg);
		else if (gc_svg_save(p.gc, o->gc_svg))
			failed = 1;
	}
	/* stdout may carry the JSON report: then the text report goes to stderr. */
	report_text_write(&p, o->top, o->json_path && strcmp(o->json_path, "-") == 0 ? stderr : stdout);
	profile_free(&p);
	return failed ? -EIO : 0;
}

static int start_launched(struct session *s, struct launch *l)
{
	int err;

	err = launch_prepare(s->opts->argv, s->opts->follow, l);
	if (err) {
		log_error("cannot start '%s': %s", s->opts->argv[0], strerror(-err));
		return err;
	}
	s->pid = l->pid;
	s->launched = s->ptraced = true;
	snprintf(s->comm, sizeof(s->comm), "%s", s->opts->argv[0]);
	return 0;
}

/* --follow's other half: the child a parent memtrace left stopped for us. */
static int start_adopted(struct session *s)
{
	s->pid = s->opts->adopt;
	s->launched = s->ptraced = true;
	if (ptrace(PTRACE_SEIZE, s->pid, NULL, (void *)launch_ptrace_options(s->opts->follow))) {
		int err = -errno;

		log_error("--follow: cannot take over PID %d: %s", (int)s->pid, strerror(errno));
		kill(s->pid, SIGCONT);
		return err;
	}
	read_comm(s);
	return 0;
}

/* Probes the adopted child, then lets it run on from where it stopped. */
static int release_adopted(struct session *s)
{
	int err = tracer_attach_dl_hook(&s->tracer);

	if (!err)
		err = reprobe(s);
	kill(s->pid, SIGCONT);
	if (err)
		log_error("--follow: cannot probe PID %d: %s", (int)s->pid, strerror(-err));
	return err;
}

static void reap_hook(pid_t pid, int status, void *ctx)
{
	alert_reap(ctx, pid, status);
}

/* --follow: the report waits for the traces of forked children to end. */
static void wait_followers(struct session *s)
{
	children_wait(s->followers, &s->nfollowers, reap_hook, &s->watch.sink);
}

/*
 * -p with --follow: seize every thread (new ones come with PTRACE_O_TRACECLONE)
 * to hear of its forks.  The process is not stopped by this.
 */
static int seize_threads(struct session *s)
{
	long options = launch_ptrace_options(true);
	pid_t seized[4096];
	int nseized = 0;
	bool added = true;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task", (int)s->pid);
	/* Again until a pass finds no thread it had not seized: a thread
	 * started meanwhile by one not yet seized is not announced. */
	while (added) {
		struct dirent *d;
		DIR *dir = opendir(path);

		if (!dir)
			return -errno;
		added = false;
		while ((d = readdir(dir))) {
			pid_t tid = (pid_t)atoi(d->d_name);
			bool known = false;

			if (tid <= 0)
				continue;
			for (int i = 0; i < nseized && !known; i++)
				known = seized[i] == tid;
			if (known || nseized == (int)(sizeof(seized) / sizeof(seized[0])))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)options) && errno != ESRCH) {
				int err = -errno;

				closedir(dir);
				log_error("--follow: cannot trace PID %d's thread %d: %s (is it already traced?)",
					  (int)s->pid, (int)tid, strerror(errno));
				return err;
			}
			seized[nseized++] = tid;
			added = true;
		}
		closedir(dir);
	}
	s->ptraced = true;
	return 0;
}

static int start_attached(struct session *s)
{
	s->pid = s->opts->pid;
	if (kill(s->pid, 0) && errno == ESRCH) {
		log_error("no process with PID %d", (int)s->pid);
		return -ESRCH;
	}
	read_comm(s);
	return s->opts->follow ? seize_threads(s) : 0;
}

/* Output directories are checked before anything attaches, not at the
 * first alert or snapshot an hour in. */
static int check_dir(const char *opt, const char *dir)
{
	struct stat st;

	if (!dir)
		return 0;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK)) {
		log_error("%s %s: not a writable directory", opt, dir);
		return -ENOTDIR;
	}
	return 0;
}

static int load(struct session *s)
{
	int err = tracer_open(&s->tracer, s->pid, s->ptraced, s->opts->sample_bytes, s->opts->verbose);

	s->tracer.floor = s->opts->probe_floor;

	if (err) {
		log_error("cannot load the BPF programs: %s (needs a kernel with BPF, BTF and uprobes; "
			  "-vvv shows the verifier log)", strerror(-err));
		return err;
	}
	/* Without fault tracing the heap trace still stands: faults_open has
	 * said why in one line. */
	if (s->opts->faults && faults_open(&s->faults, s->pid, FAULTS_TRACE_ALL, s->opts->verbose))
		s->faults = NULL;
	s->sym = symbolizer_new(s->pid);
	s->rb = ring_buffer__new(bpf_map__fd(s->tracer.skel->maps.events), on_event, s, NULL);
	if (!s->sym || !s->rb)
		return -ENOMEM;
	return 0;
}

static int attach_running(struct session *s)
{
	int err;

	symbolizer_refresh(s->sym);
	err = tracer_attach_exec(&s->tracer);
	if (!err)
		err = tracer_attach_dl_hook(&s->tracer);
	if (err && err != -ESRCH) {
		log_error("cannot attach to PID %d: %s%s", (int)s->pid, strerror(-err),
			  privs_hint(err, CAP_SYS_PTRACE));
		return err;
	}
	err = reprobe(s);
	if (err)
		return err;
	if (!s->tracer.alloc.path[0]) {
		log_error("PID %d: no loaded object defines malloc (a static binary without symbols?)",
			  (int)s->pid);
		return -ENOENT;
	}
	return 0;
}

static uint64_t advance(uint64_t due, uint64_t period, uint64_t now)
{
	due += period;
	return due < now ? now + period : due;
}

static void reap_hooks(struct session *s)
{
	int status;
	pid_t w;

	while ((w = waitpid(-1, &status, WNOHANG)) > 0)
		alert_reap(&s->watch.sink, w, status);
}

static int event_loop(struct session *s, int sfd)
{
	const struct options *o = s->opts;
	uint64_t interval = (uint64_t)(o->interval_s * 1e9);
	uint64_t deadline = o->duration_s ? s->start_ns + (uint64_t)(o->duration_s * 1e9) : 0;
	/* Leak detection and the time series sample every second (or every
	 * interval when that is shorter); the live view prints every interval. */
	uint64_t period = interval < 1000000000ULL ? interval : 1000000000ULL;
	uint64_t snap_every = (uint64_t)(o->snapshot_every_s * 1e9);
	uint64_t next_sample = s->start_ns + period, next_view = s->start_ns + interval;
	uint64_t next_snap = snap_every ? s->start_ns + snap_every : UINT64_MAX;
	int epfd, pidfd = -1, err = 0;
	struct epoll_event ev = { .events = EPOLLIN };

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	ev.data.u32 = 0;
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u32 = 1;
	epoll_ctl(epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->rb), &ev);
	if (!s->launched) {
		pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
		if (pidfd >= 0) {
			ev.data.u32 = 2;
			epoll_ctl(epfd, EPOLL_CTL_ADD, pidfd, &ev);
		}
	}
	while (!s->stop && !s->exited) {
		struct epoll_event got[4];
		uint64_t now = clock_ns(CLOCK_MONOTONIC), wake = next_sample;
		int n, timeout;

		/* The BPF side stamps blocks with this clock: keep it ticking. */
		s->tracer.skel->bss->now_ns = now;
		if (now + MT_CLOCK_TICK_NS < wake)
			wake = now + MT_CLOCK_TICK_NS;
		if (next_view < wake)
			wake = next_view;
		if (next_snap < wake)
			wake = next_snap;
		if (deadline && deadline < wake)
			wake = deadline;
		timeout = wake > now ? (int)((wake - now) / 1000000) + 1 : 0;
		n = epoll_wait(epfd, got, 4, timeout);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (got[i].data.u32 == 0) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGCHLD) {
						if (!s->ptraced)
							reap_hooks(s);
						continue;
					}
					/* A terminal's Ctrl-C reaches the command by itself;
					 * a kill aimed at memtrace is passed on to it. */
					if (!s->launched)
						s->stop = true;
					else if (si.ssi_code == SI_USER)
						kill(s->pid, (int)si.ssi_signo);
				}
			} else if (got[i].data.u32 == 2) {
				s->exited = true;
			}
		}
		ring_buffer__consume(s->rb);
		if (s->gc)
			gc_poll(s->gc);
		if (s->ptraced) {
			err = handle_ptrace_stops(s);
			if (err)
				break;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		if (deadline && now >= deadline)
			s->stop = true;
		if (s->exited || s->stop)
			break;
		if (now >= next_sample) {
			sample(s);
			next_sample = advance(next_sample, period, now);
		}
		if (now >= next_view) {
			if (!o->quiet)
				live_view(s);
			next_view = advance(next_view, interval, now);
		}
		if (now >= next_snap) {
			write_snapshot(s, o->snapshot_dir, "heap");
			next_snap = advance(next_snap, snap_every, now);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	close(epfd);
	return err;
}

static int exit_code(const struct session *s)
{
	if (!s->launched || !s->exited)
		return 0;
	if (WIFEXITED(s->wait_status))
		return WEXITSTATUS(s->wait_status);
	return 128 + WTERMSIG(s->wait_status);
}

int session_run(const struct options *opts)
{
	struct session s = { .opts = opts };
	struct launch l = { .go_fd = -1, .err_fd = -1 };
	sigset_t mask;
	int sfd, err;

	if (check_dir("--alert-dump", opts->alert_dump_dir) || check_dir("--snapshot-dir", opts->snapshot_dir) ||
	    leakwatch_open(&s.watch, opts))
		return 1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return 1;
	}
	err = opts->adopt ? start_adopted(&s) : opts->argv ? start_launched(&s, &l) : start_attached(&s);
	if (err)
		goto out;
	err = load(&s);
	if (err)
		goto out;
	/* A GC runtime that can't be traced is one line, not the end of the trace. */
	if (opts->gc)
		(s.launched ? gc_open_watch : gc_open)(&s.gc, s.pid, opts->verbose);
	s.start_ns = s.prev_view_ns = clock_ns(CLOCK_MONOTONIC);
	s.watch.start_ns = s.start_ns;
	s.watch.pid = s.pid;
	s.watch.comm = s.comm; /* read_comm updates it in place */
	s.start_real_ns = clock_ns(CLOCK_REALTIME);
	if (opts->adopt) {
		err = release_adopted(&s);
		if (err)
			goto out;
	} else if (s.launched) {
		err = launch_release(&l);
		if (err) {
			log_error("cannot run '%s': %s", opts->argv[0], strerror(-err));
			s.launched = false; /* nothing to report on */
			goto out;
		}
	} else {
		err = attach_running(&s);
		if (err)
			goto out;
	}
	err = event_loop(&s, sfd);
	if (err) {
		if (err != -ECANCELED)
			log_error("tracing PID %d failed: %s", (int)s.pid, strerror(-err));
		goto out;
	}
	/* If -d ended the trace first, the command runs on untraced: the kernel
	 * detaches it when memtrace exits. */
	err = finish(&s);
	wait_followers(&s);
out:
	if (err && s.launched && !s.exited) {
		kill(s.pid, SIGKILL);
		waitpid(s.pid, NULL, __WALL);
	}
	ring_buffer__free(s.rb);
	symbolizer_free(s.sym);
	gc_close(s.gc);
	faults_close(s.faults);
	leakwatch_close(&s.watch);
	tracer_close(&s.tracer);
	free(s.series);
	close(sfd);
	if (err)
		return 1;
	return exit_code(&s);
}
