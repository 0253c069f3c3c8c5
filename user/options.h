/* SPDX-License-Identifier: MIT */
/* Command line: what the user asked memtrace to do. */
#ifndef MEMTRACE_OPTIONS_H
#define MEMTRACE_OPTIONS_H

#include <stdbool.h>
#include <sys/types.h>

#include "profile.h"

#define MT_MAX_OUTPUTS 8

struct options {
	pid_t pid;              /* -p; 0 when launching a command */
	char **argv;            /* command after "--", NULL with -p */
	double duration_s;      /* -d; 0 = until the target exits or Ctrl-C */
	double interval_s;      /* -i */
	const char *json_path;  /* --json; "-" = stdout */
	const char *outputs[MT_MAX_OUTPUTS]; /* -o */
	int noutputs;
	enum mt_metric metric;  /* --metric, for folded and flamegraph */
	int top;                /* sites shown in text views */
	int verbose;            /* each -v adds one; libbpf's own output at 3 */
	bool quiet;             /* no live view */
};

/* Parses argv; on a usage error prints one line and returns -EINVAL. */
int options_parse(int argc, char **argv, struct options *opts);

#endif
