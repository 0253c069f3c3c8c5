// SPDX-License-Identifier: MIT
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"

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
	"  memtrace -p 4242                   live view of a running process, Ctrl-C for the report\n"
	"  memtrace -p 4242 -d 30 --json -    30 seconds, JSON report on stdout\n"
	"  memtrace -o heap.pb.gz -o heap.svg -- ./server --port 80\n"
	"                                     trace a command from its first instruction;\n"
	"                                     open heap.pb.gz with `go tool pprof`\n"
	"\v"
	"Output formats by extension: .json .pb.gz (pprof) .folded .svg (flamegraph) .html.\n"
	"memtrace needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE).";

static const char args_doc[] = "-p PID | -- COMMAND [ARGS...]";

enum {
	OPT_JSON = 1000,
	OPT_METRIC,
	OPT_TOP,
};

static const struct argp_option optdefs[] = {
	{ "pid", 'p', "PID", 0, "Trace the running process PID", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (default: when the target exits or on Ctrl-C)", 0 },
	{ "interval", 'i', "SECONDS", 0, "Live view every SECONDS (default 5)", 0 },
	{ "json", OPT_JSON, "FILE", 0, "Write the final report as JSON to FILE (- = stdout)", 0 },
	{ "output", 'o', "FILE", 0, "Write the final profile to FILE; format from the extension (repeatable)", 0 },
	{ "metric", OPT_METRIC, "METRIC", 0,
	  "inuse_space (default), inuse_objects, alloc_space or alloc_objects, for folded and flamegraph outputs", 0 },
	{ "top", OPT_TOP, "N", 0, "Sites shown in the live view and text report (default 10)", 0 },
	{ "quiet", 'q', NULL, 0, "No live view", 0 },
	{ "verbose", 'v', NULL, 0, "More detail (repeat: -vvv shows libbpf's own messages)", 0 },
	{},
};

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0 || v > 1e7)
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
		v = strtol(arg, &end, 10);
		if (end == arg || *end || v <= 0 || v > 0x7fffffff)
			argp_error(state, "invalid PID '%s'", arg);
		o->pid = (pid_t)v;
		break;
	case 'd':
		if (parse_seconds(arg, &o->duration_s) || o->duration_s == 0)
			argp_error(state, "invalid duration '%s' (seconds, > 0)", arg);
		break;
	case 'i':
		if (parse_seconds(arg, &o->interval_s) || o->interval_s < 0.05)
			argp_error(state, "invalid interval '%s' (seconds, >= 0.05)", arg);
		break;
	case OPT_JSON:
		o->json_path = arg;
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
		v = strtol(arg, &end, 10);
		if (end == arg || *end || v <= 0 || v > 100000)
			argp_error(state, "invalid --top '%s'", arg);
		o->top = (int)v;
		break;
	case 'q':
		o->quiet = true;
		break;
	case 'v':
		o->verbose++;
		break;
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
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

int options_parse(int argc, char **argv, struct options *opts)
{
	static const struct argp argp = { optdefs, parse_opt, args_doc, doc, NULL, NULL, NULL };

	memset(opts, 0, sizeof(*opts));
	opts->interval_s = 5;
	opts->top = 10;
	opts->metric = MT_INUSE_SPACE;
	/* ARGP_IN_ORDER: the command's own options after "--" stay its own. */
	return argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, opts) ? -EINVAL : 0;
}
