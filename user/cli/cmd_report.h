/* SPDX-License-Identifier: MIT */
/*
 * The offline subcommands, which need no BPF, no root and no target:
 *
 *   memtrace report FILE [-o OUT]... [--metric M] [--top N]
 *       renders a recording (--record) or a pprof profile memtrace wrote
 *       (.pb.gz) in every format output_write knows, by OUT's extension;
 *       without -o prints the text report on stdout.
 *   memtrace diff BEFORE AFTER [-o OUT]... [--metric M] [--top N]
 *       growth from BEFORE to AFTER (see diff.h): OUT is .json, .folded
 *       (two-column) or .svg (differential flame graph); without -o a text
 *       summary on stdout.
 *
 * Inputs are told apart by their first bytes ("MTREC" or gzip's 1f 8b),
 * whatever their names.  Both entry points take argv with argv[0] the
 * subcommand name and return the process exit status: 0, 1 for bad input
 * or a failed output (one "memtrace: ..." line on stderr each), 64 for a
 * usage error.
 */
#ifndef MEMTRACE_CMD_REPORT_H
#define MEMTRACE_CMD_REPORT_H

#include "profile.h"

int cmd_report(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/*
 * Loads a recording or a pprof profile into *out (zeroed first; free with
 * profile_free).  On failure prints one line, e.g.
 *   memtrace: FILE: not a memtrace recording or pprof profile
 *   memtrace: FILE: truncated | checksum mismatch | unsupported version N
 * and returns the negative errno (see record.h, pprof.h).
 */
int report_load(const char *path, struct mt_profile *out);

#endif
