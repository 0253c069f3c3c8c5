/* SPDX-License-Identifier: MIT */
/*
 * The target's executable mappings, handed to the BPF stack walk (the
 * `exec_ranges` map of bpf/exec_ranges.bpf.h), which keeps only frames that
 * lie in one of them.  Call exec_ranges_load at attach and after every exec
 * or change of the loaded objects: until then a frame in a new mapping ends
 * its stack as "[truncated]", it is never kept unchecked.
 */
#ifndef MEMTRACE_EXEC_RANGES_H
#define MEMTRACE_EXEC_RANGES_H

#include <sys/types.h>

struct unwind_loader;

/*
 * Reads /proc/PID/maps and writes pid's executable mappings (adjacent ones
 * merged) into the map map_fd as one value, replacing the old one at once.
 * Mappings past MT_EXEC_RANGES - 1 are left out and said once in one line
 * (their frames end stacks as truncated).  Returns the number of ranges
 * written, or -errno (-ENOENT/-ESRCH: the process is gone).  With ul (not
 * NULL), each range also gets its object's unwind rows (unwind_load.h),
 * and ranges are kept one per mapping.
 */
int exec_ranges_load(int map_fd, pid_t pid, struct unwind_loader *ul);

#endif
