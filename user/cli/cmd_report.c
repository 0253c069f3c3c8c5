// SPDX-License-Identifier: MIT
/* memtrace report / memtrace diff: command lines, input loading, outputs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_report.h"
#include "diff.h"
#include "flamegraph.h"
#include "gzip_io.h"
#include "log.h"
#include "option_values.h"
#include "output.h"
#include "safe_file.h"
#include "pprof.h"
#include "record.h"
#include "record_body.h"
#include "report_text.h"

#define EXIT_USAGE 64

struct cmd_args {
	const char **outputs;
	int noutputs;
	enum mt_metric metric;
	int top;
	char **inputs; /* the operands, in argv */
	int ninputs;
};

static const char report_usage[] =
	"usage: memtrace report FILE [-o OUT]... [--metric METRIC] [--top N]\n"
	"Renders a recording (--record) or a .pb.gz memtrace wrote; OUT's extension picks\n"
	"the format (.json .pb.gz .folded .svg .html); no -o prints the text report.\n";
static const char diff_usage[] =
	"usage: memtrace diff BEFORE AFTER [-o OUT]... [--metric METRIC] [--top N]\n"
	"Growth from BEFORE to AFTER (recordings or .pb.gz); OUT is .json, .folded (two\n"
	"columns: before after) or .svg (differential flame graph); no -o prints a summary.\n";

/* 0, or the exit status to return (EXIT_USAGE, or 0 after --help). */
static int parse_args(int argc, char **argv, const char *usage, int nin, struct cmd_args *a)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "metric", required_argument, NULL, 'm' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	int c;

	memset(a, 0, sizeof(*a));
	a->metric = MT_INUSE_SPACE;
	a->top = 10;
	a->outputs = calloc((size_t)argc + 1, sizeof(*a->outputs));
	if (!a->outputs) {
		log_error("out of memory");
		return 1;
	}
	optind = 0; /* full reset: glibc re-initialises its state */
	opterr = 0;
	/* glibc permutes argv: options may follow the operands; "--" ends options. */
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->outputs[a->noutputs++] = optarg;
			break;
		case 'm':
			if (metric_parse(optarg, &a->metric)) {
				log_error("%s: unknown metric '%s' (inuse_space, inuse_objects, alloc_space, alloc_objects)",
					  cmd, optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (top_parse(optarg, &a->top)) {
				log_error("%s: invalid --top '%s'", cmd, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			log_error("%s: invalid option or missing argument '%s' (see memtrace %s --help)", cmd,
				  argv[optind - 1], cmd);
			return EXIT_USAGE;
		}
	}
	a->inputs = argv + optind;
	a->ninputs = argc - optind;
	if (a->ninputs != nin) {
		log_error("%s: expected %s (see memtrace %s --help)", cmd, nin == 1 ? "one FILE" : "BEFORE and AFTER",
			  cmd);
		return EXIT_USAGE;
	}
	return 0;
}

static void args_free(struct cmd_args *a)
{
	free(a->outputs);
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

int cmd_report(int argc, char **argv)
{
	struct mt_profile p = { 0 };
	struct cmd_args a;
	int rc, failed = 0;

	rc = parse_args(argc, argv, report_usage, 1, &a);
	if (rc) {
		args_free(&a);
		return rc < 0 ? 0 : rc;
	}
	for (int i = 0; i < a.noutputs; i++) {
		enum out_format fmt;

		if (output_format_for(a.outputs[i], &fmt)) {
			log_error("report: cannot tell the format of '%s' (use .json, .pb.gz, .folded, .svg or .html)",
				  a.outputs[i]);
			rc = EXIT_USAGE;
			goto cleanup;
		}
	}
	if (report_load(a.inputs[0], &p)) {
		rc = 1;
		goto cleanup;
	}
	for (int i = 0; i < a.noutputs; i++) {
		enum out_format fmt;

		output_format_for(a.outputs[i], &fmt);
		failed |= output_write(a.outputs[i], fmt, &p, a.metric) != 0;
	}
	if (!a.noutputs)
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

	rc = parse_args(argc, argv, diff_usage, 2, &a);
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
