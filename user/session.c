// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "heap.h"
#include "launch.h"
#include "log.h"
#include "memtrace.h"
#include "memtrace.skel.h"
#include "output.h"
#include "report_text.h"
#include "session.h"
#include "symbolize.h"
#include "tracer.h"

struct session {
	const struct options *opts;
	struct tracer tracer;
	struct symbolizer *sym;
	struct ring_buffer *rb;
	pid_t pid;
	bool launched;   /* "-- CMD": we are its parent and its tracer */
	bool announced;  /* the "Tracing" line is out */
	bool exited;     /* the target is gone */
	bool stop;       /* Ctrl-C, SIGTERM or -d */
	int wait_status; /* of the launched command */
	char comm[64];
	uint64_t start_ns, start_real_ns, end_ns;
	uint64_t dl_stops_seen;
	uint64_t prev_inuse, prev_alloc, prev_tick_ns;
	struct mt_sample *series;
	size_t nseries, series_cap;
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

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
				snprintf(s->comm, sizeof(s->comm), "%s", base);
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
	err = snapshot_read(s->tracer.skel, &snap);
	if (err)
		return err;
	err = profile_build(&snap, s->sym, p);
	snapshot_free(&snap);
	if (err) {
		profile_free(p);
		return err;
	}
	p->pid = s->pid;
	p->command = profile_intern(p, s->comm);
	p->start_realtime_ns = s->start_real_ns;
	p->duration_ns = (s->end_ns ? s->end_ns : now_ns(CLOCK_MONOTONIC)) - s->start_ns;
	return 0;
}

static void announce(struct session *s)
{
	if (s->announced)
		return;
	s->announced = true;
	read_comm(s);
	fprintf(stderr, "Tracing PID %d (%s): %d allocator functions in %s. %s\n", (int)s->pid, s->comm,
		s->tracer.alloc.nfuncs, s->tracer.alloc.path,
		s->launched ? "Reporting when it exits." : "Hit Ctrl-C to end.");
}

/* The set of loaded objects changed (or a new image is running): probe
 * whatever now provides malloc, and learn the new mappings. */
static int reprobe(struct session *s)
{
	bool changed;
	int err;

	symbolizer_refresh(s->sym);
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
	if (s->tracer.alloc.path[0])
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
	struct mt_profile p;

	symbolizer_refresh(s->sym);
	if (build_profile(s, &p) == 0)
		profile_free(&p);
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
			}
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		sig = WSTOPSIG(status);
		event = status >> 16;
		switch (event) {
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
			if (sig == SIGTRAP)
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

static void push_sample(struct session *s, const struct mt_profile *p)
{
	if (s->nseries == s->series_cap) {
		size_t cap = s->series_cap ? s->series_cap * 2 : 64;
		struct mt_sample *v = realloc(s->series, cap * sizeof(*v));

		if (!v)
			return; /* the chart loses a point; the trace goes on */
		s->series = v;
		s->series_cap = cap;
	}
	s->series[s->nseries++] = (struct mt_sample){
		.t_ns = now_ns(CLOCK_MONOTONIC) - s->start_ns,
		.inuse_bytes = p->totals.inuse_bytes,
		.inuse_count = p->totals.inuse_count,
		.alloc_bytes = p->totals.alloc_bytes,
		.alloc_count = p->totals.alloc_count,
		.rss_bytes = s->exited ? 0 : read_rss(s->pid),
	};
}

static void tick(struct session *s)
{
	struct mt_profile p;
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	if (!s->launched && !s->exited)
		symbolizer_refresh(s->sym);
	if (build_profile(s, &p))
		return;
	push_sample(s, &p);
	if (!s->opts->quiet)
		live_view_print(&p, s->opts->top < 5 ? s->opts->top : 5, s->prev_inuse, s->prev_alloc,
				now - s->prev_tick_ns, stderr);
	s->prev_inuse = p.totals.inuse_bytes;
	s->prev_alloc = p.totals.alloc_bytes;
	s->prev_tick_ns = now;
	profile_free(&p);
}

static int finish(struct session *s)
{
	const struct options *o = s->opts;
	struct mt_profile p;
	int err, failed = 0;

	s->end_ns = now_ns(CLOCK_MONOTONIC);
	err = build_profile(s, &p);
	if (err) {
		log_error("cannot read the trace: %s", strerror(-err));
		return err;
	}
	push_sample(s, &p);
	p.series = s->series;
	p.nseries = s->nseries;
	s->series = NULL;
	s->nseries = s->series_cap = 0;
	if (o->json_path)
		failed |= output_write(o->json_path, OUT_JSON, &p, o->metric) != 0;
	for (int i = 0; i < o->noutputs; i++) {
		enum out_format fmt;

		output_format_for(o->outputs[i], &fmt);
		failed |= output_write(o->outputs[i], fmt, &p, o->metric) != 0;
	}
	/* stdout may carry the JSON report: then the text report goes to stderr. */
	report_text_write(&p, o->top, o->json_path && strcmp(o->json_path, "-") == 0 ? stderr : stdout);
	profile_free(&p);
	return failed ? -EIO : 0;
}

static int start_launched(struct session *s, struct launch *l)
{
	int err;

	err = launch_prepare(s->opts->argv, l);
	if (err) {
		log_error("cannot start '%s': %s", s->opts->argv[0], strerror(-err));
		return err;
	}
	s->pid = l->pid;
	s->launched = true;
	snprintf(s->comm, sizeof(s->comm), "%s", s->opts->argv[0]);
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
	return 0;
}

static int load(struct session *s)
{
	int err = tracer_open(&s->tracer, s->pid, s->launched, s->opts->verbose);

	if (err) {
		log_error("cannot load the BPF programs: %s (needs a kernel with BPF, BTF and uprobes; "
			  "-vvv shows the verifier log)", strerror(-err));
		return err;
	}
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
		log_error("cannot attach to PID %d: %s", (int)s->pid, strerror(-err));
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

static int event_loop(struct session *s, int sfd)
{
	const struct options *o = s->opts;
	uint64_t interval = (uint64_t)(o->interval_s * 1e9);
	uint64_t deadline = o->duration_s ? s->start_ns + (uint64_t)(o->duration_s * 1e9) : 0;
	uint64_t next_tick = s->start_ns + interval;
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
		uint64_t now = now_ns(CLOCK_MONOTONIC), wake = next_tick;
		int n, timeout;

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
					if (si.ssi_signo == SIGCHLD)
						continue;
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
		if (s->launched) {
			err = handle_ptrace_stops(s);
			if (err)
				break;
		}
		now = now_ns(CLOCK_MONOTONIC);
		if (deadline && now >= deadline)
			s->stop = true;
		if (now >= next_tick && !s->exited && !s->stop) {
			tick(s);
			next_tick += interval;
			if (next_tick < now)
				next_tick = now + interval;
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
	err = opts->argv ? start_launched(&s, &l) : start_attached(&s);
	if (err)
		goto out;
	err = load(&s);
	if (err)
		goto out;
	s.start_ns = s.prev_tick_ns = now_ns(CLOCK_MONOTONIC);
	s.start_real_ns = now_ns(CLOCK_REALTIME);
	if (s.launched) {
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
		log_error("tracing PID %d failed: %s", (int)s.pid, strerror(-err));
		goto out;
	}
	/* If -d ended the trace first, the command runs on untraced: the kernel
	 * detaches it when memtrace exits. */
	err = finish(&s);
out:
	if (err && s.launched && !s.exited) {
		kill(s.pid, SIGKILL);
		waitpid(s.pid, NULL, __WALL);
	}
	ring_buffer__free(s.rb);
	symbolizer_free(s.sym);
	tracer_close(&s.tracer);
	free(s.series);
	close(sfd);
	if (err)
		return 1;
	return exit_code(&s);
}
