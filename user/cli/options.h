/* SPDX-License-Identifier: MIT */
/* Command line: what the user asked memtrace to do. */
#ifndef MEMTRACE_OPTIONS_H
#define MEMTRACE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "custom.h"
#include "profile.h"

#define MT_MAX_OUTPUTS 8
#define MT_MAX_PIDS 64

struct options {
	pid_t pid;              /* -p; 0 when launching a command */
	pid_t pids[MT_MAX_PIDS]; /* -p 10,11: every PID given (pids[0] == pid) */
	int npids;
	char **argv;            /* command after "--", NULL with -p */
	double duration_s;      /* -d; 0 = until the target exits or Ctrl-C */
	double interval_s;      /* -i */
	const char *json_path;  /* --json; "-" = stdout */
	const char *outputs[MT_MAX_OUTPUTS]; /* -o */
	const char *log_path;   /* --log-file: live view and text report, instead of stderr */
	int noutputs;
	const char *record_path; /* --record: everything needed to render any format later */
	bool layout;            /* --layout: the "layout savings" section (heap_layout.h) */
	enum mt_metric metric;  /* --metric, for folded and flamegraph */
	int view;               /* --view: enum out_view (output.h) */
	int top;                /* sites shown in text views */
	int verbose;            /* each -v adds one; libbpf's own output at 3 */
	bool quiet;             /* no live view */
	struct custom_spec custom[MT_MAX_CUSTOM]; /* --alloc, --free, --realloc */
	int ncustom;
	bool probe_floor;
	bool follow;            /* --follow: children forked by the command get traces of their own */
	int unwind;             /* --unwind: 0 fp, 1 auto, 2 dwarf (enum mt_unwind_mode) */
	uint32_t unwind_rows;   /* --unwind-rows: 0 sizes the kernel's rows per target (unwind_size.h) */
	uint64_t sample_bytes;  /* --sample-bytes: Poisson sampling, mean N bytes; 0 = exact */       /* --probe-floor: empty programs at the same probes (bench) */
	int source;             /* --source auto|uprobes|usdt: enum heap_source (otel_usdt.h) */
	bool gc;                /* --gc auto (default) | off */
	int faults;             /* --faults / --no-faults; -1 = default (on for -- CMD) */
	bool no_go_heap;        /* --no-go-heap: Go's allocations are not probed */
	bool no_pymalloc;       /* --no-pymalloc: CPython's pymalloc pools are not probed */
	const char *gc_svg;     /* --gc-svg: the pause timeline as its own SVG */
	mode_t output_mode;     /* --output-mode: of every file created (0600) */
	/* leak detection */
	double leak_window_s, leak_min_rate, leak_min_age_s;
	double leak_min_confidence;
	const char *alerts_path;    /* --alerts: one JSON line per alert */
	const char *on_alert;       /* --on-alert: command fed each alert on stdin */
	const char *alert_dump_dir; /* --alert-dump: heap snapshot per alert */
	double snapshot_every_s;    /* --snapshot-every, with --snapshot-dir */
	const char *snapshot_dir;
	const char *metrics_addr;   /* --metrics [ADDR:]PORT */
	int metrics_top;            /* --metrics-top: sites with their own series */
	const char *timeline_path;  /* --timeline: Chrome trace events (timeline.h) */
	int reachability;           /* --reachability 1, --no-reachability 0; -1: at the exit of -- CMD only */
	double reachability_max_pause_ms; /* --reachability-max-pause; 0 = no limit */
	double reachability_every_s;      /* --reachability-every (-p) */
	bool alert_reachability;          /* --alert-reachability (-p) */
};

/* Parses argv; on a usage error prints one line and returns -EINVAL. */
int options_parse(int argc, char **argv, struct options *opts);

#endif
