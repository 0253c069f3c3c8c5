// SPDX-License-Identifier: MIT
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alerts.h"
#include "gc_report.h"
#include "heap_layout.h"
#include "layout_savings.h"
#include "log.h"
#include "metrics_server.h"
#include "metrics_text.h"
#include "output.h"
#include "output_check.h"
#include "per_pid.h"
#include "record.h"
#include "report_text.h"
#include "session.h"
#include "streams.h"
#include "trace_run.h"
#include "unwind_size.h"

struct trace_run {
	const struct options *o;
	struct alert_sink sink;
	FILE *log; /* live view and text report: stderr or --log-file, never the command's stdout */
	int outputs_failed; /* files that could not be written: the run is incomplete */
	char comm[64];	    /* the traced command, for the incomplete run's line; "" before the report */
	struct metrics_server *metrics; /* --metrics, NULL without */
};

static void trace_opts_from(const struct options *o, struct trace_opts *t)
{
	*t = (struct trace_opts){
		.pid = o->pid,
		.argv = o->argv,
		.duration_s = o->duration_s,
		.interval_s = o->interval_s,
		.verbose = o->verbose,
		.quiet = o->quiet,
		.ncustom = o->ncustom,
		.probe_floor = o->probe_floor,
		.follow = o->follow,
		.sample_bytes = o->sample_bytes,
		.unwind = o->unwind,
		.source = o->source,
		.gc = o->gc,
		.faults = o->faults,
		.no_go_heap = o->no_go_heap,
		.no_pymalloc = o->no_pymalloc,
		.leak_window_s = o->leak_window_s,
		.leak_min_rate = o->leak_min_rate,
		.leak_min_age_s = o->leak_min_age_s,
		.leak_min_confidence = o->leak_min_confidence,
		.alert_snapshots = o->alert_dump_dir != NULL,
		.snapshot_every_s = o->snapshot_every_s,
		.metrics = o->metrics_addr != NULL,
		.reachability = o->reachability,
		.reachability_max_pause_ms = o->reachability_max_pause_ms,
		.reachability_every_s = o->reachability_every_s,
		.alert_reachability = o->alert_reachability,
	};
	memcpy(t->custom, o->custom, sizeof(t->custom));
}

static void on_live(void *ctx, const struct mt_profile *p, uint64_t prev_inuse, uint64_t prev_alloc,
		    uint64_t since_ns, size_t nalerts, const struct gc_data *gc, uint64_t gc_since_ns)
{
	const struct trace_run *r = ctx;

	live_view_print(p, r->o->top < 5 ? r->o->top : 5, prev_inuse, prev_alloc, since_ns, r->log);
	if (nalerts)
		fprintf(r->log, "  leak alerts so far: %zu\n", nalerts);
	if (gc)
		gc_live_line(gc, gc_since_ns, r->log);
	fflush(r->log);
}

/* The heap written to DIR/PREFIX-<UTC time>.mtrec: a recording, so that
 * `memtrace report` renders it to any format and `memtrace diff` compares
 * two of them. */
static void on_snapshot(void *ctx, enum trace_snapshot why, const struct mt_profile *p)
{
	struct trace_run *r = ctx;
	const char *dir = why == TRACE_SNAPSHOT_ALERT ? r->o->alert_dump_dir : r->o->snapshot_dir;
	const char *prefix = why == TRACE_SNAPSHOT_ALERT ? "alert" : "heap";
	char path[PATH_MAX + 64], stamp[32];
	struct timespec ts;
	struct tm tm;
	int err;

	if (!dir)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/%s-%s.%03ldZ.mtrec", dir, prefix, stamp, ts.tv_nsec / 1000000);
	err = record_write(path, p);
	if (err) {
		log_error("cannot write the snapshot %s: %s (check the directory's space and permissions)", path,
			  strerror(-err));
		__atomic_add_fetch(&r->outputs_failed, 1, __ATOMIC_RELAXED);
	}
}

/* Rendered here, in the tracing thread, once a second; the server thread
 * only hands out the latest text. */
static void on_metrics(void *ctx, const struct mt_profile *p, size_t nalerts, const struct gc_data *gc)
{
	struct trace_run *r = ctx;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!r->metrics)
		return;
	f = open_memstream(&text, &len);
	if (!f)
		return;
	if (metrics_text_write(p, gc, nalerts, r->o->metrics_top, f) == 0 && fflush(f) == 0)
		metrics_server_publish(r->metrics, text, len);
	fclose(f);
	free(text);
}

static void on_alert(void *ctx, const struct mt_profile *p, const struct mt_alert *a)
{
	struct trace_run *r = ctx;

	alert_deliver(&r->sink, p, a);
}

static int on_reap(void *ctx, pid_t pid, int status)
{
	struct trace_run *r = ctx;

	return alert_reap(&r->sink, pid, status);
}

/* An output failed after the trace: the trace itself is kept, as a
 * recording that `memtrace report` renders to any format later. */
static void rescue(const struct mt_profile *p)
{
	static const char *const dirs[] = { "/var/tmp", "/tmp" };
	char where[4200];
	int err = -ENOENT;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		err = record_write_rescue(dirs[i], p, where, sizeof(where));
		if (!err) {
			log_error("the trace is saved in %s (memtrace report %s -o FILE renders it)", where, where);
			return;
		}
	}
	log_error("cannot save the trace in /var/tmp or /tmp either: %s", strerror(-err));
}

/* With the options o (r->o or a copy named for one PID): report_many runs
 * in a thread of its own beside the other hooks, so r->o stays as it is. */
static int report_with(struct trace_run *r, const struct options *o, const struct mt_profile *traced)
{
	struct mt_profile with_layout = *traced;
	const struct mt_profile *p = traced;
	int err, failed = 0;

	/* The writers read the savings from the profile: a copy carries them. */
	if (o->layout && heap_layout_compute(traced, o->pid, &with_layout.layout) == 0)
		p = &with_layout;
	else if (o->layout)
		log_error("--layout: cannot compute the layout savings: out of memory (the reports go without them)");

	if (o->json_path)
		failed += output_write(o->json_path, OUT_JSON, p, o->metric) != 0;
	for (int i = 0; i < o->noutputs; i++) {
		enum out_format fmt;

		output_format_for(o->outputs[i], &fmt);
		failed += output_write_view(o->outputs[i], fmt, p, o->metric, (enum out_view)o->view) != 0;
	}
	if (o->timeline_path)
		failed += output_write(o->timeline_path, OUT_TIMELINE, p, o->metric) != 0;
	if (o->record_path) {
		err = record_write(o->record_path, p);
		if (err) {
			log_error("cannot write %s: %s", o->record_path, strerror(-err));
			failed++;
		}
	}
	if (o->gc_svg) {
		if (!p->gc)
			log_warn("--gc-svg %s: no GC pauses were traced, nothing written", o->gc_svg);
		else if (gc_svg_save(p->gc, o->gc_svg))
			failed++;
	}
	if (failed)
		rescue(p);
	__atomic_add_fetch(&r->outputs_failed, failed, __ATOMIC_RELAXED);
	/* One block on the log, whichever thread writes meanwhile. */
	flockfile(r->log);
	report_text_write(p, o->top, r->log);
	fflush(r->log);
	funlockfile(r->log);
	if (p->command)
		snprintf(r->comm, sizeof(r->comm), "%s", p->command);
	if (p == &with_layout)
		layout_savings_free(with_layout.layout);
	return failed;
}

static int on_report(void *ctx, const struct mt_profile *p)
{
	struct trace_run *r = ctx;

	return report_with(r, r->o, p);
}

/* One process of several: its outputs are named for its PID. */
static int on_report_many(void *ctx, const struct mt_profile *p)
{
	struct trace_run *r = ctx;
	struct options one;
	int failed;

	per_pid_options(r->o, p->pid, &one);
	failed = report_with(r, &one, p);
	per_pid_free(&one);
	return failed;
}

/* One line for a run that lost output; a command's own status is in it. */
static int incomplete(const struct trace_run *r, int rc)
{
	if (r->o->argv && r->comm[0])
		log_error("the run is incomplete: %d output(s) could not be written (exit status %d; '%s' exited with %d)",
			  r->outputs_failed, MT_EXIT_INCOMPLETE, r->comm, rc);
	else
		log_error("the run is incomplete: %d output(s) could not be written (exit status %d)",
			  r->outputs_failed, MT_EXIT_INCOMPLETE);
	return MT_EXIT_INCOMPLETE;
}

int trace_run(const struct options *opts)
{
	struct trace_run r = { .o = opts };
	struct trace_hooks hooks = {
		.ctx = &r,
		.live = on_live,
		.snapshot = on_snapshot,
		.metrics = on_metrics,
		.alert = on_alert,
		.reap = on_reap,
		.report = on_report,
		.report_many = on_report_many,
	};
	struct trace_opts t;
	int rc;

	/* Every output is checked before anything attaches, not at the first
	 * alert or snapshot an hour in, nor at the end of the trace. */
	if (outputs_check(opts) || streams_log_open(opts, &r.log))
		return 1;
	if (alert_sink_open(&r.sink, opts->alerts_path, opts->on_alert)) {
		streams_log_close(r.log);
		return 1;
	}
	if (opts->metrics_addr) {
		int err = metrics_server_open(opts->metrics_addr, &r.metrics);

		if (err) {
			log_error("cannot serve --metrics %s: %s (choose a free port, or an address of this host)",
				  opts->metrics_addr, strerror(-err));
			alert_sink_close(&r.sink);
			streams_log_close(r.log);
			return 1;
		}
	}
	output_set_text_top(opts->top);
	trace_opts_from(opts, &t);
	unwind_size_set(opts->argv ? opts->argv[0] : NULL, opts->unwind_rows);
	rc = session_run(&t, &hooks);
	/* An alert line that could not be written makes the run incomplete. */
	r.outputs_failed += r.sink.write_failed;
	alert_sink_close(&r.sink);
	metrics_server_close(r.metrics, opts->verbose);
	if (streams_log_close(r.log)) {
		log_error("cannot write the log file %s: %s", opts->log_path, strerror(EIO));
		r.outputs_failed++;
	}
	return r.outputs_failed ? incomplete(&r, rc) : rc;
}
