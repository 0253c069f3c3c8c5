// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "safe_file.h"
#include "streams.h"

static int refuse(const char *opt, const char *example)
{
	log_error("%s -: stdout belongs to the traced command (write to a file instead, e.g. %s)", opt, example);
	return -EINVAL;
}

static bool is_stdout(const char *path)
{
	return path && strcmp(path, "-") == 0;
}

/* One stdout cannot hold several reports as one document. */
static int refuse_several(const struct options *o)
{
	const char *opt = is_stdout(o->json_path) ? "--json" : is_stdout(o->record_path) ? "--record" : NULL;

	for (int i = 0; !opt && i < o->noutputs; i++)
		if (is_stdout(o->outputs[i]))
			opt = "-o";
	if (!opt)
		return 0;
	log_error("%s -: %s traces several processes, each with its own report, and stdout holds one (write to a file: "
		  "%s heap.json gives heap.PID.json for each)", opt, o->follow ? "--follow" : "-p with several PIDs",
		  !strcmp(opt, "--json") ? "--json" : "-o");
	return -EINVAL;
}

int streams_check(const struct options *o)
{
	/* Under -p, stdout is not a traced command's. */
	if (!o->argv)
		return o->follow || o->npids > 1 ? refuse_several(o) : 0;
	if (is_stdout(o->json_path))
		return refuse("--json", "--json report.json");
	for (int i = 0; i < o->noutputs; i++)
		if (is_stdout(o->outputs[i]))
			return refuse("-o", "-o report.json");
	if (is_stdout(o->record_path))
		return refuse("--record", "--record trace.mtrec");
	if (is_stdout(o->gc_svg))
		return refuse("--gc-svg", "--gc-svg gc.svg");
	if (is_stdout(o->timeline_path))
		return refuse("--timeline", "--timeline trace.trace.json");
	if (is_stdout(o->log_path))
		return refuse("--log-file", "--log-file memtrace.log");
	return 0;
}

int streams_log_open(const struct options *o, FILE **out)
{
	int err;

	*out = stderr;
	if (!o->log_path)
		return 0;
	if (is_stdout(o->log_path)) {
		*out = stdout;
		return 0;
	}
	err = safe_file_append_open(o->log_path, out);
	if (err) {
		*out = stderr;
		log_error("cannot open the log file %s: %s (give a writable path to --log-file)", o->log_path,
			  strerror(-err));
	}
	return err;
}

int streams_log_close(FILE *f)
{
	int err;

	if (f == stderr)
		return 0;
	if (f == stdout)
		return fflush(stdout) || ferror(stdout) ? -EIO : 0;
	err = ferror(f) ? -EIO : 0;
	if (fclose(f) && !err)
		err = -EIO;
	return err;
}
