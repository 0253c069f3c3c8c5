// SPDX-License-Identifier: MIT
/* memtrace report / memtrace diff: command lines, input loading, outputs. */
#include <errno.h>
#include <argp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_report.h"
#include "diff.h"
#include "flamegraph.h"
#include "frame_name.h"
#include "gc_report.h"
#include "gzip_io.h"
#include "log.h"
#include "option_values.h"
#include "output.h"
#include "output_options.h"
#include "safe_file.h"
#include "pprof.h"
#include "record.h"
#include "record_body.h"
#include "report_text.h"
#include "usage_line.h"

#define EXIT_USAGE 64

struct cmd_args {
	const char **outputs;
	int noutputs;
	enum mt_metric metric;
	enum out_view view;
	int top;
	char **inputs; /* the operands, in argv */
	int ninputs;
	const char *json, *timeline, *gc_svg; /* report's output_options.h */
};

/* What one subcommand's parse needs beside its results. */
struct cmd_parse {
	struct cmd_args *a;
	const char *cmd;
	int nin;
	int rc; /* the exit status a stopped parse returns */
};

enum {
	KEY_METRIC = 0x100,
	KEY_TOP,
	KEY_VIEW,
	KEY_LINES,
	KEY_NAMES,
};

static const struct argp_option report_opts[] = {
	{ "output", 'o', "OUT", 0, "Write OUT; its extension picks the format. May be given several times.", 0 },
	{ "metric", KEY_METRIC, "METRIC", 0,
	  "What folded and SVG outputs measure: inuse_space (default), inuse_objects, alloc_space, alloc_objects",
	  0 },
	{ "top", KEY_TOP, "N", 0, "Sites in the text report (default 10)", 0 },
	{ "lines", KEY_LINES, NULL, 0, "Folded and flame graph frames name their source line too: \"f (file.c:42)\"", 0 },
	{ "names", KEY_NAMES, "short|full", 0,
	  "Function names in text, folded and SVG outputs: short elides C++ templates and argument lists", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	/* Last, so diff's table is this one without it. */
	{ "view", KEY_VIEW, "VIEW", 0,
	  "What the stack formats (.pb.gz, .folded, .svg) show: heap (default), faults or mapped", 0 },
	{ NULL, 0, NULL, 0, NULL, 0 },
};

#define NOPTS (sizeof(report_opts) / sizeof(report_opts[0]))

static void expected(const struct cmd_parse *c)
{
	log_error("%s: expected %s (see memtrace %s --help)", c->cmd, c->nin == 1 ? "one FILE" : "BEFORE and AFTER",
		  c->cmd);
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct cmd_parse *c = state->input;
	struct cmd_args *a = c->a;

	switch (key) {
	case ARGP_KEY_INIT: {
		static struct output_paths paths;

		paths = (struct output_paths){ &a->json, &a->timeline, &a->gc_svg };
		if (state->root_argp->children)
			state->child_inputs[0] = &paths;
		state->err_stream = usage_line_stream();
		return 0;
	}
	case 'o':
		a->outputs[a->noutputs++] = arg;
		return 0;
	case KEY_METRIC:
		if (metric_parse(arg, &a->metric)) {
			log_error("%s: unknown metric '%s' (inuse_space, inuse_objects, alloc_space, alloc_objects)", c->cmd,
				  arg);
			return EINVAL;
		}
		return 0;
	case KEY_TOP:
		if (top_parse(arg, &a->top)) {
			log_error("%s: invalid --top '%s'", c->cmd, arg);
			return EINVAL;
		}
		return 0;
	case KEY_VIEW:
		if (output_view_parse(arg, &a->view)) {
			log_error("%s: unknown view '%s' (heap, faults, mapped)", c->cmd, arg);
			return EINVAL;
		}
		return 0;
	case KEY_LINES:
	case KEY_NAMES: {
		/* As the tracing command line's: the writers' one display setting. */
		static struct frame_display d;

		if (key == KEY_LINES)
			d.lines = true;
		else if (!strcmp(arg, "short") || !strcmp(arg, "full"))
			d.short_names = !strcmp(arg, "short");
		else {
			log_error("%s: invalid --names '%s' (short or full)", c->cmd, arg);
			return EINVAL;
		}
		frame_display_set(&d);
		return 0;
	}
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP & ~ARGP_HELP_EXIT_OK);
		c->rc = -1;
		return ECANCELED;
	case ARGP_KEY_ARG:
		if (a->ninputs == c->nin) {
			expected(c);
			return EINVAL;
		}
		a->inputs[a->ninputs++] = arg;
		return 0;
	case ARGP_KEY_END:
		if (a->ninputs != c->nin) {
			expected(c);
			return EINVAL;
		}
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const char report_doc[] =
	"Renders a recording (--record) or a .pb.gz memtrace wrote; OUT's extension picks the format "
	"(.json .pb.gz .folded .svg .html .txt); no -o prints the text report on stdout."
	"\vExamples:\n"
	"  memtrace report t.mtrec\n"
	"  memtrace report t.mtrec -o heap.svg -o heap.html\n"
	"  memtrace report t.mtrec --view faults -o rss.svg\n";
static const char diff_doc[] =
	"Growth from BEFORE to AFTER (recordings or .pb.gz); OUT is .json, .folded (two columns: before after) "
	"or .svg (differential flame graph); no -o prints a summary."
	"\vExamples:\n"
	"  memtrace diff before.mtrec after.mtrec\n"
	"  memtrace diff before.mtrec after.mtrec -o growth.svg\n"
	"  memtrace diff a.pb.gz b.pb.gz --metric alloc_space -o growth.folded\n";

/*
 * 0 to go on; else 64 for a usage error, 1 for no memory, -1 after --help
 * (exit 0).
 * argp, as the tracing command line (options.c): options may follow the
 * operands, "--" ends them, a usage error is one line.
 */
static int parse_args(int argc, char **argv, bool is_report, struct cmd_args *a)
{
	struct cmd_parse c = { a, is_report ? "report" : "diff", is_report ? 1 : 2, EXIT_USAGE };
	struct argp_option opts[NOPTS];
	/* report takes the live trace's --json, --timeline and --gc-svg too. */
	static const struct argp_child children[] = { { &output_options_argp, 0, NULL, 0 }, { NULL, 0, NULL, 0 } };
	struct argp argp = { opts, parse_opt, is_report ? "report FILE" : "diff BEFORE AFTER", is_report ? report_doc : diff_doc,
			     is_report ? children : NULL, NULL, NULL };
	char *name = argv[0];
	int err;

	memset(a, 0, sizeof(*a));
	a->metric = MT_INUSE_SPACE;
	a->top = 10;
	a->outputs = calloc((size_t)argc + 1, sizeof(*a->outputs));
	a->inputs = calloc((size_t)argc + 1, sizeof(*a->inputs));
	if (!a->outputs || !a->inputs) {
		log_error("out of memory");
		return 1;
	}
	memcpy(opts, report_opts, sizeof(opts));
	if (!is_report)
		memset(&opts[NOPTS - 2], 0, sizeof(opts[0])); /* no --view */
	/* argp's messages name the program from argv[0]. */
	argv[0] = "memtrace";
	err = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &c);
	argv[0] = name;
	return err ? c.rc : 0;
}

static void args_free(struct cmd_args *a)
{
	free(a->outputs);
	free(a->inputs);
}

int report_load(const char *path, struct mt_profile *out)
{
	unsigned char head[8] = { 0 };
	size_t n = 0;
	FILE *f;
	int err;

	memset(out, 0, sizeof(*out));
	f = fopen(path, "rbe");
	if (!f) {
		err = -errno;
		log_error("%s: %s", path, strerror(errno));
		return err;
	}
	n = fread(head, 1, sizeof(head), f);
	err = ferror(f) ? -EIO : 0;
	fclose(f);
	if (err) {
		log_error("%s: %s", path, strerror(-err));
		return err;
	}
	if (record_is_recording(head, n)) {
		err = record_read(path, out);
		switch (err) {
		case 0:
			return 0;
		case -ENOEXEC:
			log_error("%s: not a memtrace recording or pprof profile", path);
			break;
		case -ENODATA:
			log_error("%s: truncated", path);
			break;
		case -EBADMSG:
			log_error("%s: checksum mismatch", path);
			break;
		case -EPROTONOSUPPORT:
			log_error("%s: unsupported version %u (this memtrace reads version %d)", path,
				  record_version(head, n), RECORD_VERSION);
			break;
		case -EINVAL:
			log_error("%s: corrupt recording", path);
			break;
		case -EFBIG:
			log_error("%s: recording too large (over 2 GiB, or a body over %u times its compressed size: not written by memtrace)", path,
				  RECORD_MAX_RATIO);
			break;
		default:
			log_error("%s: %s", path, strerror(-err));
		}
		return err;
	}
	if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
		err = pprof_read(path, out);
		if (err == -EINVAL)
			log_error("%s: truncated or corrupt pprof profile", path);
		else if (err == -EFBIG)
			log_error("%s: pprof profile too large (over 1 GiB, or over %u times its compressed size: a decompression bomb?)",
				  path, GZIP_MAX_RATIO);
		else if (err)
			log_error("%s: %s", path, strerror(-err));
		return err;
	}
	log_error("%s: not a memtrace recording or pprof profile", path);
	return -ENOEXEC;
}

/* --json, --timeline and --gc-svg, as a live trace writes them; 1 if one failed. */
static int report_named_outputs(const struct cmd_args *a, const struct mt_profile *p)
{
	int failed = 0;

	if (a->json)
		failed |= output_write(a->json, OUT_JSON, p, a->metric) != 0;
	if (a->timeline)
		failed |= output_write(a->timeline, OUT_TIMELINE, p, a->metric) != 0;
	if (a->gc_svg && !p->gc)
		log_warn("--gc-svg %s: the recording holds no GC pauses, nothing written", a->gc_svg);
	else if (a->gc_svg)
		failed |= gc_svg_save(p->gc, a->gc_svg) != 0;
	return failed;
}

int cmd_report(int argc, char **argv)
{
	struct mt_profile p = { 0 };
	struct cmd_args a;
	int rc, failed = 0;

	rc = parse_args(argc, argv, true, &a);
	if (rc) {
		args_free(&a);
		return rc < 0 ? 0 : rc;
	}
	for (int i = 0; i < a.noutputs; i++) {
		enum out_format fmt;

		if (output_format_for(a.outputs[i], &fmt)) {
			log_error("report: cannot tell the format of '%s' (use .json, .pb.gz, .folded, .svg, .html or .txt)",
				  a.outputs[i]);
			rc = EXIT_USAGE;
			goto cleanup;
		}
	}
	output_set_text_top(a.top);
	if (report_load(a.inputs[0], &p)) {
		rc = 1;
		goto cleanup;
	}
	for (int i = 0; i < a.noutputs; i++) {
		enum out_format fmt;

		output_format_for(a.outputs[i], &fmt);
		failed |= output_write_view(a.outputs[i], fmt, &p, a.metric, a.view) != 0;
	}
	failed |= report_named_outputs(&a, &p);
	if (!a.noutputs && !a.json && !a.timeline && !a.gc_svg)
		report_text_write(&p, a.top, stdout);
	rc = failed ? 1 : 0;
cleanup:
	profile_free(&p);
	args_free(&a);
	return rc;
}

enum diff_format {
	DIFF_JSON,
	DIFF_FOLDED,
	DIFF_SVG,
};

/* A diff writes the report formats that can show growth. */
static int diff_format_for(const char *path, enum diff_format *fmt)
{
	enum out_format f;

	if (output_format_for(path, &f))
		return -EINVAL;
	switch (f) {
	case OUT_JSON:
		*fmt = DIFF_JSON;
		return 0;
	case OUT_FOLDED:
		*fmt = DIFF_FOLDED;
		return 0;
	case OUT_SVG:
		*fmt = DIFF_SVG;
		return 0;
	default:
		return -EINVAL;
	}
}

struct diff_job {
	const struct diff *d;
	const struct mt_profile *before, *after;
	const char *before_path, *after_path;
};

static int diff_render(const struct diff_job *j, enum diff_format fmt, FILE *f)
{
	char title[512];

	switch (fmt) {
	case DIFF_JSON:
		return diff_write_json(j->d, j->before, j->after, f);
	case DIFF_FOLDED:
		return diff_write_folded(j->before, j->after, j->d->metric, f);
	case DIFF_SVG:
		snprintf(title, sizeof(title), "%s: %s -> %s", metric_name(j->d->metric), j->before_path,
			 j->after_path);
		return flamegraph_write_diff(j->before, j->after, j->d->metric, title, f);
	}
	return -EINVAL;
}

struct diff_out {
	const struct diff_job *job;
	enum diff_format fmt;
};

static int render_diff(FILE *f, void *ctx)
{
	const struct diff_out *o = ctx;

	return diff_render(o->job, o->fmt, f);
}

static int diff_output(const struct diff_job *j, const char *path, enum diff_format fmt)
{
	struct diff_out o = { j, fmt };

	return safe_file_write(path, render_diff, &o);
}

int cmd_diff(int argc, char **argv)
{
	struct mt_profile before = { 0 }, after = { 0 };
	struct diff d = { 0 };
	struct cmd_args a;
	struct diff_job job;
	int rc, failed = 0;

	rc = parse_args(argc, argv, false, &a);
	if (rc) {
		args_free(&a);
		return rc < 0 ? 0 : rc;
	}
	for (int i = 0; i < a.noutputs; i++) {
		enum diff_format fmt;

		if (diff_format_for(a.outputs[i], &fmt)) {
			log_error("diff: cannot tell the format of '%s' (use .json, .folded or .svg)", a.outputs[i]);
			rc = EXIT_USAGE;
			goto cleanup;
		}
	}
	rc = 1;
	if (report_load(a.inputs[0], &before) || report_load(a.inputs[1], &after))
		goto cleanup;
	if (diff_build(&before, &after, a.metric, &d)) {
		log_error("diff: out of memory");
		goto cleanup;
	}
	job = (struct diff_job){ &d, &before, &after, a.inputs[0], a.inputs[1] };
	for (int i = 0; i < a.noutputs; i++) {
		enum diff_format fmt = DIFF_JSON; /* checked above */

		diff_format_for(a.outputs[i], &fmt);
		failed |= diff_output(&job, a.outputs[i], fmt) != 0;
	}
	if (!a.noutputs)
		diff_write_text(&d, &before, &after, a.top, stdout);
	rc = failed ? 1 : 0;
cleanup:
	diff_free(&d);
	profile_free(&before);
	profile_free(&after);
	args_free(&a);
	return rc;
}
