// SPDX-License-Identifier: MIT
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_name.h"
#include "leak.h"
#include "log.h"
#include "metrics_server.h"
#include "option_values.h"
#include "options.h"
#include "otel_usdt.h"
#include "output.h"
#include "output_options.h"
#include "safe_file.h"
#include "unwind_size.h"
#include "usage_line.h"

const char *argp_program_version = "memtrace 0.1";
const char *argp_program_bug_address = "<https://github.com/memtrace/memtrace/issues>";

static const char doc[] =
	"memtrace -- see where a process's heap goes, live, with eBPF.\n"
	"\n"
	"Attaches uprobes to the allocator the target really uses (glibc, jemalloc,\n"
	"tcmalloc... whatever provides malloc) and reports, per call stack, what was\n"
	"allocated and what is still in use.\n"
	"\n"
	"EXAMPLES:\n"
	"  memtrace -p 4242                 live view; Ctrl-C for the report\n"
	"  memtrace -p 4242 -d 30 --json -  30 seconds, JSON on stdout\n"
	"  memtrace -o heap.pb.gz -o heap.html -- ./server --port 80\n"
	"                                   a command from exec to exit\n"
	"  memtrace report t.mtrec -o heap.svg   render a --record file\n"
	"  memtrace diff a.mtrec b.mtrec -o growth.svg\n"
	"  memtrace layout ./server --min-waste 8   padding in its structs\n"
	"\v"
	"Output formats by extension: .json .pb.gz (pprof) .folded .svg (flamegraph) .html\n"
	".txt (the text report).  The traced command owns stdout: memtrace's text goes to\n"
	"stderr or --log-file, and \"-\" (stdout) is an output only with -p.\n"
	"memtrace needs root, or CAP_BPF and CAP_PERFMON (and CAP_SYS_PTRACE for\n"
	"another user's -p PID; GC pauses (--gc) need CAP_SYS_ADMIN).";

static const char args_doc[] = "-p PID | -- COMMAND [ARGS...]\nreport FILE [-o OUT]...\ndiff BEFORE AFTER [-o OUT]\n"
			       "layout BINARY [--type NAME] [--json]";

enum {
	OPT_JSON = 1000,
	OPT_METRIC,
	OPT_TOP,
	OPT_LEAK_WINDOW,
	OPT_LEAK_MIN_RATE,
	OPT_LEAK_MIN_AGE,
	OPT_LEAK_MIN_CONFIDENCE,
	OPT_ALERTS,
	OPT_ON_ALERT,
	OPT_ALERT_DUMP,
	OPT_SNAPSHOT_EVERY,
	OPT_SNAPSHOT_DIR,
	OPT_RECORD,
	OPT_LAYOUT,
	OPT_GC,
	OPT_OUTPUT_MODE,
	OPT_FAULTS,
	OPT_NO_FAULTS,
	OPT_NO_GO_HEAP,
	OPT_NO_PYMALLOC,
	OPT_PROBE_FLOOR,
	OPT_ALLOC,
	OPT_FREE,
	OPT_REALLOC,
	OPT_SAMPLE_BYTES,
	OPT_UNWIND,
	OPT_UNWIND_ROWS,
	OPT_SOURCE,
	OPT_VIEW,
	OPT_FOLLOW,
	OPT_LOG_FILE,
	OPT_LINES,
	OPT_NAMES,
	OPT_METRICS,
	OPT_METRICS_TOP,
	OPT_REACHABILITY,
	OPT_NO_REACHABILITY,
	OPT_REACHABILITY_MAX_PAUSE,
	OPT_REACHABILITY_EVERY,
	OPT_ALERT_REACHABILITY,
};

static const struct argp_option optdefs[] = {
	{ "pid", 'p', "PID[,PID...]", 0,
	  "Trace the running process PID; with several, each gets its own trace and outputs (FILE.PID.ext)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: when the target exits or on Ctrl-C)", 0 },
	{ "interval", 'i', "SECONDS", 0, "Live view every SECONDS (default 5)", 0 },
	{ "output", 'o', "FILE", 0, "Write the final profile to FILE; format from the extension (repeatable)", 0 },
	{ "layout", OPT_LAYOUT, NULL, 0,
	  "Add a \"layout savings\" section: what reordering the members of the struct types the heap holds would "
	  "save (from the target's DWARF)",
	  0 },
	{ "record", OPT_RECORD, "FILE", 0,
	  "Keep the whole trace in FILE (compact, versioned); render it later with `memtrace report FILE -o OUT`", 0 },
	{ "gc", OPT_GC, "auto|off", 0, "Trace GC pauses of refgc, Go, HotSpot and CPython targets (default auto)", 0 },
	{ "faults", OPT_FAULTS, NULL, 0,
	  "Trace page faults and mmap/munmap/brk/madvise per stack (default for -- CMD; ~0.8 us per fault)", 0 },
	{ "sample-bytes", OPT_SAMPLE_BYTES, "N", 0,
	  "Sample allocations, one per N bytes on average (Poisson, as tcmalloc and Go do); reports are unbiased estimates. Default: every allocation", 0 },
	{ "unwind", OPT_UNWIND, "auto|fp|dwarf", 0,
	  "How heap stacks are walked: fp follows frame pointers; dwarf the unwind tables (.eh_frame) of each module, "
	  "for code built without frame pointers; auto frame pointers where a module keeps them, "
	  "its tables where it does not (default auto)", 0 },
	{ "unwind-rows", OPT_UNWIND_ROWS, "N", 0,
	  "Unwind rows the kernel holds for the target's tables, 8 bytes each (8192 to 8388608; default: what the "
	  "program's objects need plus 524288, at least 524288)", 0 },
	{ "source", OPT_SOURCE, "auto|uprobes|usdt", 0,
	  "Where heap events come from: the otel_memory USDT probes of a sampler in the target (libmemtrace-sampler.so: "
	  "sampled, a few ns per call), the allocator's functions (uprobes: every call), or auto (default): USDT when the "
	  "target has the probes",
	  0 },
	{ "follow", OPT_FOLLOW, NULL, 0,
	  "Trace every process the target forks too, each in its own trace (outputs FILE.PID.ext)", 0 },
	{ "probe-floor", OPT_PROBE_FLOOR, NULL, 0,
	  "Benchmarking: attach empty BPF programs at the same probe points, to measure the traps alone", 0 },
	{ "no-faults", OPT_NO_FAULTS, NULL, 0, "Do not trace page faults and mappings", 0 },
	{ "no-go-heap", OPT_NO_GO_HEAP, NULL, 0,
	  "Do not probe Go's runtime.mallocgc (a trap per Go allocation); Go's GC pauses are still traced", 0 },
	{ "no-pymalloc", OPT_NO_PYMALLOC, NULL, 0,
	  "Do not probe CPython's pymalloc pools (objects of 512 bytes or less, charged a 16 KiB pool at a time)",
	  0 },
	{ "output-mode", OPT_OUTPUT_MODE, "MODE", 0,
	  "Mode of the files memtrace creates: 0600 (default) or 0644, 0640, 0604 (never writable by others)", 0 },
	{ "metric", OPT_METRIC, "METRIC", 0,
	  "inuse_space (default), inuse_objects, alloc_space or alloc_objects, for folded and flamegraph outputs", 0 },
	{ "view", OPT_VIEW, "heap|faults|mapped", 0,
	  "What .pb.gz/.folded/.svg outputs show: the heap (default), page faults (who grew RSS), or mmap/brk growth", 0 },
	{ "top", OPT_TOP, "N", 0, "Sites shown in the live view and text report (default 10)", 0 },
	{ "lines", OPT_LINES, NULL, 0,
	  "Folded and flame graph frames name their source line too: \"f (file.c:42)\", one per line", 0 },
	{ "names", OPT_NAMES, "short|full", 0,
	  "Function names in the text report, folded and flame graph: short elides C++ templates and argument "
	  "lists (default full; JSON and pprof are always full)", 0 },
	{ "quiet", 'q', NULL, 0, "No live view", 0 },
	{ NULL, 0, NULL, 0, "Custom allocators (any function of the target, e.g. a pool; FUNC is a name, NAME+OFF, "
			    "or OBJECT+0xADDR, an ELF address in the program or a library, for stripped binaries; an "
			    "offset or address must start an instruction, as objdump -d shows):", 2 },
	{ "alloc", OPT_ALLOC, "FUNC:size=argN[:count=argM]", 0, "FUNC returns a block of argN (* argM) bytes", 2 },
	{ "free", OPT_FREE, "FUNC:ptr=argN", 0, "FUNC releases the block in argN", 2 },
	{ "realloc", OPT_REALLOC, "FUNC:ptr=argN:size=argM", 0, "FUNC resizes argN to argM bytes, returns the block", 2 },
	{ NULL, 0, NULL, 0, "Leak detection:", 3 },
	{ "leak-window", OPT_LEAK_WINDOW, "SECONDS", 0, "Judge each site's growth over SECONDS (default 10)", 3 },
	{ "leak-min-rate", OPT_LEAK_MIN_RATE, "BYTES_PER_S", 0, "Alert only on growth of at least this rate (default 1024)", 3 },
	{ "leak-min-age", OPT_LEAK_MIN_AGE, "SECONDS", 0,
	  "Alert only when the site's oldest block is this old; also the age that makes a block a leak at the end (default 5)", 3 },
	{ "leak-min-confidence", OPT_LEAK_MIN_CONFIDENCE, "C", 0,
	  "Alert only on verdicts at least this sure, 0 to 1 (default 0.6)", 3 },
	{ "alerts", OPT_ALERTS, "FILE", 0, "Append one JSON line per alert to FILE", 3 },
	{ "on-alert", OPT_ON_ALERT, "CMD", 0, "Run CMD (split on spaces, no shell) with the alert JSON on stdin", 3 },
	{ "alert-dump", OPT_ALERT_DUMP, "DIR", 0, "Write a heap snapshot of the whole process to DIR at each alert (a recording: memtrace report and diff read it)", 3 },
	{ "snapshot-every", OPT_SNAPSHOT_EVERY, "SECONDS", 0, "Write a heap snapshot (a recording, DIR/heap-<UTC time>.mtrec) every SECONDS (needs --snapshot-dir)", 3 },
	{ "snapshot-dir", OPT_SNAPSHOT_DIR, "DIR", 0, "Where --snapshot-every writes (names sort by time)", 3 },
	/* Its own group, after General: 3 is leak detection's. */
	{ NULL, 0, NULL, 0, "Monitoring:", 5 },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0,
	  "Serve Prometheus metrics at http://ADDR:PORT/metrics while tracing (ADDR 127.0.0.1 unless given)", 5 },
	{ "metrics-top", OPT_METRICS_TOP, "N", 0, "Sites with a series of their own in --metrics (default 10)", 5 },
	{ "reachability", OPT_REACHABILITY, NULL, 0,
	  "With -p: at the end, stop the process briefly and split its live blocks into definitely lost, "
	  "indirectly lost and still reachable (done at the exit of -- CMD anyway)", 3 },
	{ "no-reachability", OPT_NO_REACHABILITY, NULL, 0, "No reachability scan at the exit of -- CMD", 3 },
	{ "reachability-max-pause", OPT_REACHABILITY_MAX_PAUSE, "MS", 0,
	  "Refuse a reachability scan estimated to stop the process longer than MS milliseconds", 3 },
	{ "reachability-every", OPT_REACHABILITY_EVERY, "SECONDS", 0,
	  "With -p: also scan every SECONDS while tracing, one line each on stderr", 3 },
	{ "alert-reachability", OPT_ALERT_REACHABILITY, NULL, 0,
	  "With -p: scan at each leak alert and say how the alerting site's blocks split", 3 },
	{ NULL, 0, NULL, 0, "General:", 4 },
	{ "log-file", OPT_LOG_FILE, "FILE", 0,
	  "Append the live view and the final text report to FILE instead of stderr (stdout stays the command's)", 4 },
	{ "verbose", 'v', NULL, 0, "More detail (repeat: -vvv shows libbpf's own messages)", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Give this help list (as --help)", -1 },
	{},
};

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v) || v < 0 || v > 1e7)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A rate in bytes per second: any finite positive number up to 1 PB/s. */
static int parse_rate(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v) || v <= 0 || v > 1e15)
		return -EINVAL;
	*out = v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct options *o = state->input;
	char *end;
	long v;

	switch (key) {
	case 'p':
		/* "-p 10,11": several processes, each traced on its own. */
		for (char *p = arg;; p = end + 1) {
			v = strtol(p, &end, 10);
			if (end == p || (*end && *end != ',') || v <= 0 || v > 0x7fffffff)
				argp_error(state, "invalid PID list '%s'", arg);
			if (o->npids == MT_MAX_PIDS)
				argp_error(state, "at most %d PIDs", MT_MAX_PIDS);
			for (int i = 0; i < o->npids; i++)
				if (o->pids[i] == (pid_t)v)
					argp_error(state, "PID %ld given twice in -p", v);
			o->pids[o->npids++] = (pid_t)v;
			if (!*end)
				break;
		}
		o->pid = o->pids[0];
		break;
	case 'd':
		if (parse_seconds(arg, &o->duration_s) || o->duration_s == 0)
			argp_error(state, "invalid duration '%s' (seconds, > 0)", arg);
		break;
	case 'i':
		if (parse_seconds(arg, &o->interval_s) || o->interval_s < 0.05)
			argp_error(state, "invalid interval '%s' (seconds, >= 0.05)", arg);
		break;
	case 'o':
		if (o->noutputs == MT_MAX_OUTPUTS)
			argp_error(state, "at most %d -o outputs", MT_MAX_OUTPUTS);
		o->outputs[o->noutputs++] = arg;
		break;
	case OPT_METRIC:
		if (metric_parse(arg, &o->metric))
			argp_error(state, "unknown metric '%s'", arg);
		break;
	case OPT_TOP:
		if (top_parse(arg, &o->top))
			argp_error(state, "invalid --top '%s'", arg);
		break;
	case 'q':
		o->quiet = true;
		break;
	case OPT_LEAK_WINDOW:
		if (parse_seconds(arg, &o->leak_window_s) || o->leak_window_s < 1)
			argp_error(state, "invalid --leak-window '%s' (seconds, >= 1)", arg);
		break;
	case OPT_LEAK_MIN_RATE:
		if (parse_rate(arg, &o->leak_min_rate))
			argp_error(state, "invalid --leak-min-rate '%s' (bytes per second, > 0)", arg);
		break;
	case OPT_LEAK_MIN_AGE:
		if (parse_seconds(arg, &o->leak_min_age_s))
			argp_error(state, "invalid --leak-min-age '%s' (seconds)", arg);
		break;
	case OPT_LEAK_MIN_CONFIDENCE: {
		char *end;

		errno = 0;
		o->leak_min_confidence = strtod(arg, &end);
		if (errno || end == arg || *end || !(o->leak_min_confidence >= 0 && o->leak_min_confidence <= 1))
			argp_error(state, "invalid --leak-min-confidence '%s' (a number from 0 to 1)", arg);
		break;
	}
	case OPT_RECORD:
		o->record_path = arg;
		break;
	case OPT_LAYOUT:
		o->layout = true;
		break;
	case OPT_GC:
		if (strcmp(arg, "auto") && strcmp(arg, "off"))
			argp_error(state, "--gc takes auto or off, not '%s'", arg);
		o->gc = strcmp(arg, "off") != 0;
		break;
	case OPT_FAULTS:
		o->faults = 1;
		break;
	case OPT_ALLOC:
	case OPT_FREE:
	case OPT_REALLOC: {
		const char *what = key == OPT_ALLOC ? "alloc" : key == OPT_FREE ? "free" : "realloc";

		if (o->ncustom == MT_MAX_CUSTOM)
			argp_error(state, "at most %d --alloc/--free/--realloc", MT_MAX_CUSTOM);
		if (custom_parse(what, arg, &o->custom[o->ncustom]))
			argp_error(state, "bad --%s '%s' (use %s; N from 1 to 6, one role per argument)", what, arg,
				   key == OPT_ALLOC  ? "FUNC:size=argN[:count=argM]"
				   : key == OPT_FREE ? "FUNC:ptr=argN"
						     : "FUNC:ptr=argN:size=argM");
		o->ncustom++;
		break;
	}
	case OPT_VIEW: {
		enum out_view v;

		if (output_view_parse(arg, &v))
			argp_error(state, "unknown --view '%s' (heap, faults or mapped)", arg);
		o->view = (int)v;
		break;
	}
	case OPT_UNWIND:
		if (!strcmp(arg, "fp"))
			o->unwind = 0;
		else if (!strcmp(arg, "auto"))
			o->unwind = 1;
		else if (!strcmp(arg, "dwarf"))
			o->unwind = 2;
		else
			argp_error(state, "unknown --unwind '%s' (auto, fp or dwarf)", arg);
		break;
	case OPT_UNWIND_ROWS: {
		unsigned long long n = strtoull(arg, &end, 10);

		if (!*arg || *end || n < UNWIND_ROWS_MIN || n > UNWIND_ROWS_MAX)
			argp_error(state, "invalid --unwind-rows '%s' (%u to %u)", arg, UNWIND_ROWS_MIN, UNWIND_ROWS_MAX);
		o->unwind_rows = (uint32_t)n;
		break;
	}
	case OPT_SAMPLE_BYTES: {
		unsigned long long n = strtoull(arg, &end, 10);

		if (end == arg || *end || !n || n > (1ULL << 40))
			argp_error(state, "invalid --sample-bytes '%s' (bytes, 1 to 2^40)", arg);
		o->sample_bytes = n;
		break;
	}
	case OPT_SOURCE:
		if (!strcmp(arg, "auto"))
			o->source = HEAP_SOURCE_AUTO;
		else if (!strcmp(arg, "uprobes"))
			o->source = HEAP_SOURCE_UPROBES;
		else if (!strcmp(arg, "usdt"))
			o->source = HEAP_SOURCE_USDT;
		else
			argp_error(state, "unknown --source '%s' (auto, uprobes or usdt)", arg);
		break;
	case OPT_FOLLOW:
		o->follow = true;
		break;
	case OPT_PROBE_FLOOR:
		o->probe_floor = true;
		break;
	case OPT_NO_FAULTS:
		o->faults = 0;
		break;
	case OPT_NO_GO_HEAP:
		o->no_go_heap = true;
		break;
	case OPT_NO_PYMALLOC:
		o->no_pymalloc = true;
		break;
	case OPT_OUTPUT_MODE:
		if (safe_file_parse_mode(arg, &o->output_mode))
			argp_error(state, "invalid --output-mode '%s' (0600, 0640, 0604 or 0644)", arg);
		break;
	case OPT_ALERTS:
		o->alerts_path = arg;
		break;
	case OPT_ON_ALERT:
		o->on_alert = arg;
		break;
	case OPT_ALERT_DUMP:
		o->alert_dump_dir = arg;
		break;
	case OPT_SNAPSHOT_EVERY:
		if (parse_seconds(arg, &o->snapshot_every_s) || o->snapshot_every_s < 0.1)
			argp_error(state, "invalid --snapshot-every '%s' (seconds, >= 0.1)", arg);
		break;
	case OPT_SNAPSHOT_DIR:
		o->snapshot_dir = arg;
		break;
	case OPT_LOG_FILE:
		o->log_path = arg;
		break;
	case OPT_LINES:
	case OPT_NAMES: {
		/* How names look is the writers' one setting: nothing else reads it. */
		static struct frame_display d;

		if (key == OPT_LINES)
			d.lines = true;
		else if (!strcmp(arg, "short") || !strcmp(arg, "full"))
			d.short_names = !strcmp(arg, "short");
		else
			argp_error(state, "invalid --names '%s' (short or full)", arg);
		frame_display_set(&d);
		break;
	}
	case OPT_METRICS: {
		struct sockaddr_storage addr;
		socklen_t len;

		if (metrics_addr_parse(arg, &addr, &len))
			argp_error(state, "invalid --metrics '%s' (PORT, HOST:PORT or [V6]:PORT, numeric)", arg);
		o->metrics_addr = arg;
		break;
	}
	case OPT_METRICS_TOP:
		if (top_parse(arg, &o->metrics_top))
			argp_error(state, "invalid --metrics-top '%s'", arg);
		break;
	case OPT_REACHABILITY:
	case OPT_NO_REACHABILITY:
		o->reachability = key == OPT_REACHABILITY;
		break;
	case OPT_REACHABILITY_EVERY:
		if (parse_seconds(arg, &o->reachability_every_s) || o->reachability_every_s < 0.1)
			argp_error(state, "invalid --reachability-every '%s' (seconds, >= 0.1)", arg);
		break;
	case OPT_ALERT_REACHABILITY:
		o->alert_reachability = true;
		break;
	case OPT_REACHABILITY_MAX_PAUSE:
		if (parse_seconds(arg, &o->reachability_max_pause_ms) || o->reachability_max_pause_ms == 0)
			argp_error(state, "invalid --reachability-max-pause '%s' (milliseconds, > 0)", arg);
		break;
	case 'v':
		o->verbose++;
		break;
	case 'h':
		argp_state_help(state, state->out_stream, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_INIT: {
		static struct output_paths paths;

		paths = (struct output_paths){ &o->json_path, &o->timeline_path, &o->gc_svg };
		state->child_inputs[0] = &paths;
		state->err_stream = usage_line_stream();
		break;
	}
	case ARGP_KEY_ARG:
		/* The first operand starts the command; argp stops parsing there. */
		o->argv = &state->argv[state->next - 1];
		state->next = state->argc;
		break;
	case ARGP_KEY_END:
		if (!o->pid && !o->argv)
			argp_error(state, "give -p PID or -- COMMAND");
		if (o->pid && o->argv)
			argp_error(state, "give either -p PID or a command, not both");
		/* Faults cost ~0.8 us each: on by default only for a command we run. */
		if (o->faults < 0)
			o->faults = o->argv != NULL || o->view != VIEW_HEAP;
		if (!!o->snapshot_every_s != !!o->snapshot_dir)
			argp_error(state, "--snapshot-every and --snapshot-dir go together");
		if (o->layout && o->npids > 1)
			argp_error(state, "--layout takes one -p PID or a command, not several PIDs");
		/* Under sampling the table holds only sampled blocks: pointers
		 * through the others could not be followed. */
		if (o->reachability == 1 && o->sample_bytes)
			argp_error(state, "--reachability needs every block: it cannot go with --sample-bytes");
		if ((o->reachability_every_s || o->alert_reachability) && !o->pid)
			argp_error(state, "--reachability-every and --alert-reachability go with -p (a command is scanned at its exit)");
		if ((o->reachability_every_s || o->alert_reachability) && o->sample_bytes)
			argp_error(state, "reachability scans need every block: they cannot go with --sample-bytes");
		if ((o->reachability == 1 || o->reachability_every_s || o->alert_reachability) && o->pid && o->follow)
			argp_error(state, "--reachability with -p cannot go with --follow (memtrace already traces the threads)");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int options_parse(int argc, char **argv, struct options *opts)
{
	/* The outputs `memtrace report` takes too (output_options.h). */
	static const struct argp_child children[] = { { &output_options_argp, 0, NULL, 0 }, { NULL, 0, NULL, 0 } };
	static const struct argp argp = { optdefs, parse_opt, args_doc, doc, children, NULL, NULL };

	memset(opts, 0, sizeof(*opts));
	opts->interval_s = 5;
	opts->top = 10;
	opts->metrics_top = 10;
	opts->metric = MT_INUSE_SPACE;
	opts->gc = true;
	opts->faults = -1;
	opts->unwind = 1; /* auto */
	opts->output_mode = 0600;
	opts->leak_window_s = LEAK_DEFAULT_WINDOW_S;
	opts->leak_min_rate = LEAK_DEFAULT_MIN_RATE;
	opts->leak_min_age_s = LEAK_DEFAULT_MIN_AGE_S;
	opts->leak_min_confidence = LEAK_DEFAULT_MIN_CONFIDENCE;
	opts->reachability = -1;
	/* ARGP_IN_ORDER: the command's own options after "--" stay its own. */
	return argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, opts) ? -EINVAL : 0;
}
