/* SPDX-License-Identifier: MIT */
/*
 * memtrace --layout: the layout savings (layout_savings.h) of a traced
 * process's heap.  For each object of the profile that some site's
 * innermost frame lies in, its DWARF (or build-id debug file) is read
 * through target_file.h, inside /proc/PID/root while the process lives,
 * and accepted only when its build-id is the one the trace saw; its sites
 * are matched to its types as alloc_types.h says, and every type with a
 * saving becomes a row.
 */
#ifndef MEMTRACE_HEAP_LAYOUT_H
#define MEMTRACE_HEAP_LAYOUT_H

#include <sys/types.h>

#include "layout_savings.h"
#include "profile.h"

/* pid 0 or gone: module paths are opened as memtrace sees them.  0 or -ENOMEM. */
int heap_layout_compute(const struct mt_profile *p, pid_t pid, struct mt_layout_savings **out);

#endif
