/* SPDX-License-Identifier: MIT */
/*
 *   memtrace layout BINARY [--type NAME] [--min-waste BYTES] [--json] [-o OUT]
 *                          [--profile FILE]
 *
 * The struct, union and class types of BINARY's DWARF with their holes and
 * padding (as pahole counts them) and a reordering that removes padding,
 * largest saving first.  With --profile (a recording or .pb.gz of a run of
 * BINARY, matched by build-id), only the types its allocation sites
 * allocate (alloc_types.h), ranked by the bytes the live heap, then the
 * allocation volume, would save.  Needs no BPF, no root and no target.  argv[0] is
 * the subcommand name; returns the exit status: 0, 1 when BINARY cannot be
 * read or OUT written (one "memtrace: ..." line), 64 for a usage error.
 */
#ifndef MEMTRACE_CMD_LAYOUT_H
#define MEMTRACE_CMD_LAYOUT_H

int cmd_layout(int argc, char **argv);

#endif
