// SPDX-License-Identifier: MIT
#include "output_options.h"

enum {
	OPT_JSON = 0x300, /* apart from options.c's and cmd_report.c's keys */
	OPT_TIMELINE,
	OPT_GC_SVG,
};

static const struct argp_option output_optdefs[] = {
	{ "json", OPT_JSON, "FILE", 0,
	  "Write the final report as JSON to FILE (- = stdout, with -p only: a command owns its stdout)", 0 },
	{ "timeline", OPT_TIMELINE, "FILE", 0,
	  "Write heap, RSS, GC pauses and leak alerts on one clock as Chrome trace events (Perfetto, chrome://tracing); "
	  "-o NAME.trace.json does the same",
	  0 },
	{ "gc-svg", OPT_GC_SVG, "FILE", 0, "Write the GC pause timeline as an SVG", 0 },
	{ NULL, 0, NULL, 0, NULL, 0 },
};

static error_t parse_output_opt(int key, char *arg, struct argp_state *state)
{
	struct output_paths *p = state->input;

	switch (key) {
	case OPT_JSON:
		*p->json = arg;
		return 0;
	case OPT_TIMELINE:
		*p->timeline = arg;
		return 0;
	case OPT_GC_SVG:
		*p->gc_svg = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp output_options_argp = { output_optdefs, parse_output_opt, NULL, NULL, NULL, NULL, NULL };
