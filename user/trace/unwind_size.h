/* SPDX-License-Identifier: MIT */
/*
 * How many unwind rows the kernel array is created with (--unwind auto and
 * dwarf), chosen before the BPF object is loaded, since an array cannot
 * grow: the rows of the objects the target already maps (-p, a child after
 * exec), or of the program about to be run (-- CMD, held before exec: its
 * libraries are not mapped yet), plus MT_UNWIND_ROWS for the libraries and
 * what is dlopen'd later.  Never below MT_UNWIND_ROWS nor above
 * MT_UNWIND_ROWS_MAX (8 bytes a row: 4 to 64 MiB of kernel memory, and
 * 2 MiB more for the search's reach, MT_UNWIND_SEARCH_PAD);
 * --unwind-rows N sets it outright.  Objects that still do not fit are
 * counted by the loader and named at exit (unwind_load.h).
 */
#ifndef MEMTRACE_UNWIND_SIZE_H
#define MEMTRACE_UNWIND_SIZE_H

#include <stdint.h>
#include <sys/types.h>

#include "unwind_load.h"

/* What --unwind-rows accepts. */
#define UNWIND_ROWS_MIN 8192u
#define UNWIND_ROWS_MAX MT_UNWIND_ROWS_MAX

/* The program a launched target will exec (its path as given or found in
 * PATH) and the --unwind-rows value (0: estimate).  Set once, by the command
 * line, before any tracer is opened; the strings are the caller's. */
void unwind_size_set(const char *program, uint32_t forced_rows);

/* The rows for target pid, compiling the tables it counts into l's cache
 * (the loader reuses them).  pid 0 (a tracer made ahead for a --follow
 * child not yet born, which maps what its parent does): the last target's
 * rows, at least MT_UNWIND_ROWS (tracers loaded ahead before the first
 * target was sized get MT_UNWIND_ROWS); or the forced value. */
uint32_t unwind_size_for(struct unwind_loader *l, pid_t pid);

/* At default verbosity, one line when objects of pid were left without
 * rows (their frames are cut): how many, and the --unwind-rows that fits
 * them.  Nothing when all fitted. */
void unwind_full_warn(const struct unwind_loader *l, pid_t pid);

#endif
