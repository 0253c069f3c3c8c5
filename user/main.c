// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cmd_layout.h"
#include "cmd_report.h"
#include "heap_keep.h"
#include "log.h"
#include "multi.h"
#include "options.h"
#include "output.h"
#include "safe_file.h"
#include "streams.h"
#include "sysprep.h"
#include "trace_run.h"

static int verbosity;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings are ours to phrase; its chatter is for -vvv. */
	if (verbosity < 3 && (level != LIBBPF_WARN || verbosity < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct options opts;
	int err;

	/* A profile rebuilt each second reuses the last one's pages (heap_keep.h);
	 * refused, memtrace is only slower. */
	heap_keep_freed();
	/* Usage errors name the program as users type it, not build/memtrace. */
	argv[0] = "memtrace";
	/* Offline commands need no privileges and no BPF. */
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "diff") == 0)
		return cmd_diff(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "layout") == 0)
		return cmd_layout(argc - 1, argv + 1);
	if (options_parse(argc, argv, &opts))
		return 64;
	for (int i = 0; i < opts.noutputs; i++) {
		enum out_format fmt;

		if (output_format_for(opts.outputs[i], &fmt)) {
			log_error("cannot tell the format of '%s' (use .json, .pb.gz, .folded, .svg, .html or .txt)",
				  opts.outputs[i]);
			return 64;
		}
	}
	if (streams_check(&opts))
		return 64;
	safe_file_set_mode(opts.output_mode);
	verbosity = opts.verbose;
	libbpf_set_print(libbpf_log);
	err = sysprep(opts.verbose);
	if (err)
		return 1;
	return opts.npids > 1 ? multi_run(&opts) : trace_run(&opts);
}
