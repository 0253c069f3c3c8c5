// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "faults_report.h"
#include "flamegraph.h"
#include "folded.h"
#include "html.h"
#include "humanize.h"
#include "log.h"
#include "output.h"
#include "output_empty.h"
#include "pprof.h"
#include "report_json.h"
#include "report_text.h"
#include "safe_file.h"
#include "timeline.h"

static const struct {
	const char *ext;
	enum out_format fmt;
} exts[] = {
	/* Before ".json", which it ends with. */
	{ ".trace.json", OUT_TIMELINE }, { ".json", OUT_JSON }, { ".pb.gz", OUT_PPROF }, { ".pprof", OUT_PPROF },
	{ ".folded", OUT_FOLDED }, { ".svg", OUT_SVG }, { ".html", OUT_HTML },
	{ ".txt", OUT_TEXT },
};

static int text_top = 10;

void output_set_text_top(int top)
{
	text_top = top;
}

int output_format_for(const char *path, enum out_format *fmt)
{
	size_t len = strlen(path);

	if (strcmp(path, "-") == 0) {
		*fmt = OUT_JSON;
		return 0;
	}
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t n = strlen(exts[i].ext);

		if (len > n && strcmp(path + len - n, exts[i].ext) == 0) {
			*fmt = exts[i].fmt;
			return 0;
		}
	}
	return -EINVAL;
}

static int write_format(FILE *f, enum out_format fmt, const struct mt_profile *p, enum mt_metric metric)
{
	char title[256], when[HUMAN_BUFSZ];

	switch (fmt) {
	case OUT_JSON:
		return report_json_write(p, f);
	case OUT_PPROF:
		return pprof_write(p, f);
	case OUT_FOLDED:
		return folded_write(p, metric, f);
	case OUT_SVG:
		snprintf(title, sizeof(title), "%s (PID %d): %s, %s", p->command ? p->command : "?", p->pid,
			 metric_name(metric), human_time(p->start_realtime_ns, when));
		return flamegraph_write(p, metric, title, f);
	case OUT_HTML:
		return html_write(p, f);
	case OUT_TEXT:
		report_text_write(p, text_top, f);
		return ferror(f) ? -EIO : 0;
	case OUT_TIMELINE:
		return timeline_write(p, f);
	}
	return -EINVAL;
}

struct write_job {
	enum out_format fmt;
	const struct mt_profile *p;
	enum mt_metric metric;
};

static int render_job(FILE *f, void *ctx)
{
	const struct write_job *j = ctx;

	return write_format(f, j->fmt, j->p, j->metric);
}

int output_write(const char *path, enum out_format fmt, const struct mt_profile *p, enum mt_metric metric)
{
	struct write_job j = { fmt, p, metric };

	return safe_file_write(path, render_job, &j);
}

struct view_job {
	enum out_format fmt;
	const struct mt_profile *v;
	enum faults_view_kind kind;
	enum mt_metric metric;
};

/* pprof and flame graphs name a view's values ("faults", "fault_bytes"),
 * never the heap's; folded output has no names. */
static int render_view(FILE *f, void *ctx)
{
	const struct view_job *j = ctx;
	const struct pprof_view names = { faults_view_count_name(j->kind), faults_view_bytes_name(j->kind) };
	const char *label = j->metric == MT_ALLOC_OBJECTS ? names.count : names.bytes;
	const struct flamegraph_opts opts = { .label = label };
	char title[256], when[HUMAN_BUFSZ];

	switch (j->fmt) {
	case OUT_PPROF:
		return pprof_write_view(j->v, &names, f);
	case OUT_SVG:
		snprintf(title, sizeof(title), "%s (PID %d): %s, %s", j->v->command ? j->v->command : "?", j->v->pid,
			 label, human_time(j->v->start_realtime_ns, when));
		return flamegraph_write_opts(NULL, j->v, j->metric, title, &opts, f);
	default:
		return write_format(f, j->fmt, j->v, j->metric);
	}
}

static int view_write(const char *path, enum out_format fmt, const struct mt_profile *v, enum faults_view_kind kind,
		      enum mt_metric metric)
{
	struct view_job j = { fmt, v, kind, metric };

	return safe_file_write(path, render_view, &j);
}

int output_view_parse(const char *name, enum out_view *out)
{
	static const char *const names[] = { [VIEW_HEAP] = "heap", [VIEW_FAULTS] = "faults", [VIEW_MAPPED] = "mapped" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum out_view)i;
			return 0;
		}
	}
	return -EINVAL;
}

int output_write_view(const char *path, enum out_format fmt, const struct mt_profile *p, enum mt_metric metric,
		      enum out_view view)
{
	struct mt_profile v;
	int err;

	if (view == VIEW_HEAP || fmt == OUT_JSON || fmt == OUT_HTML || fmt == OUT_TEXT ||
	    fmt == OUT_TIMELINE) {
		err = output_write(path, fmt, p, metric);
		if (!err && view == VIEW_HEAP && strcmp(path, "-") != 0)
			output_say_empty(path, fmt, p, metric);
		return err;
	}
	if (!p->faults) {
		log_error("cannot write %s: --view %s needs page faults traced (--faults)", path,
			  view == VIEW_FAULTS ? "faults" : "mapped");
		return -ENOENT;
	}
	err = faults_view(p, p->faults, view == VIEW_FAULTS ? FAULTS_VIEW_FAULTS : FAULTS_VIEW_MAPPED, &v);
	if (err) {
		log_error("cannot write %s: %s", path, strerror(-err));
		return err;
	}
	/* The view carries bytes as alloc_space and counts as alloc_objects. */
	err = view_write(path, fmt, &v, view == VIEW_FAULTS ? FAULTS_VIEW_FAULTS : FAULTS_VIEW_MAPPED,
			 metric == MT_INUSE_OBJECTS || metric == MT_ALLOC_OBJECTS ? MT_ALLOC_OBJECTS : MT_ALLOC_SPACE);
	faults_view_free(&v);
	return err;
}
