// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "output.h"
#include "output_check.h"
#include "safe_file.h"

static int check_file(const char *opt, const char *path)
{
	int err;

	if (!path || !strcmp(path, "-"))
		return 0;
	err = safe_file_check(path, false);
	if (!err)
		return 0;
	if (err == -EINVAL)
		log_error("%s: the file name is empty (give a file to write)", opt);
	else
		log_error("%s %s: cannot write there: %s (give a path in a writable directory)", opt, path,
			  strerror(-err));
	return err;
}

static int check_dir(const char *opt, const char *dir)
{
	char probe[4096];
	int err;

	if (!dir)
		return 0;
	if (!*dir) {
		log_error("%s: the directory name is empty (give a directory to write in)", opt);
		return -EINVAL;
	}
	if ((size_t)snprintf(probe, sizeof(probe), "%s/probe.json", dir) >= sizeof(probe))
		err = -ENAMETOOLONG;
	else
		err = safe_file_check(probe, false);
	if (err)
		log_error("%s %s: not a writable directory: %s", opt, dir, strerror(-err));
	return err;
}

/* Every bad output is named, not just the first. */
static void keep(int *first, int err)
{
	if (err && !*first)
		*first = err;
}

/* --view faults|mapped on a stack format with fault tracing off could only
 * fail at the end. */
static int check_view(const struct options *o, const char *path)
{
	enum out_format fmt;

	if (o->faults || o->view == VIEW_HEAP || output_format_for(path, &fmt) || fmt == OUT_JSON || fmt == OUT_HTML ||
	    fmt == OUT_TEXT || fmt == OUT_TIMELINE)
		return 0;
	log_error("cannot write %s: --view %s needs page faults traced (--faults)", path,
		  o->view == VIEW_FAULTS ? "faults" : "mapped");
	return -EINVAL;
}

int outputs_check(const struct options *o)
{
	int first = 0;

	keep(&first, check_file("--json", o->json_path));
	for (int i = 0; i < o->noutputs; i++) {
		int err = check_view(o, o->outputs[i]);

		keep(&first, err ? err : check_file("-o", o->outputs[i]));
	}
	keep(&first, check_file("--record", o->record_path));
	keep(&first, check_file("--gc-svg", o->gc_svg));
	keep(&first, check_file("--timeline", o->timeline_path));
	keep(&first, check_dir("--alert-dump", o->alert_dump_dir));
	keep(&first, check_dir("--snapshot-dir", o->snapshot_dir));
	return first;
}
