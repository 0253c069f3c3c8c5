/* SPDX-License-Identifier: MIT */
/*
 * The unwind rows of the target's objects in the kernel (--unwind auto and
 * dwarf): each object's table (unwind_cache: compiled once per build-id)
 * is copied once into the BPF unwind_rows array, append-only, so rows the
 * walk may be reading never change; exec_ranges_load then points each
 * executable range at its object's rows.  An object whose rows do not fit
 * (MT_UNWIND_ROWS in all) gets none: its frames are taken by frame pointer
 * (auto) or end the stack (dwarf), and it is counted in `full`.
 * In auto mode an object that keeps frame pointers (unwind_fp.h) gets no
 * rows either: the walk takes its frames by frame pointer, from the rbp
 * that the rows of the frame below recovered (counted in `fp_objects`).
 */
#ifndef MEMTRACE_UNWIND_LOAD_H
#define MEMTRACE_UNWIND_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memtrace.h"
#include "procmaps.h"
#include "unwind_cache.h"

struct unwind_loader {
	struct unwind_cache cache;
	uint32_t *first; /* per cache entry: where its rows start, UINT32_MAX when not loaded */
	size_t first_cap;
	struct mt_unwind_row *rows; /* the unwind_rows map, mmapped */
	uint32_t used;
	size_t full;     /* objects left without rows: no room */
	size_t objects;  /* objects whose rows are loaded */
	size_t fp_objects; /* auto: ranges left to their object's frame pointers, counted at each load */
	int mode;        /* enum mt_unwind_mode, set by the caller after init */
	uint64_t load_ns; /* time spent compiling and copying */
	int verbose;
};

/* Maps the unwind_rows map (fd) of a loaded object.  0 or -errno. */
int unwind_loader_init(struct unwind_loader *l, int rows_fd, int verbose);
/* Points slot i of v at the rows of the object mapped at m (row_count 0
 * when it has none); never fails: a missing table means no rows. */
void unwind_loader_fill(struct unwind_loader *l, pid_t pid, const struct mapping *m, struct mt_exec_ranges *v,
			uint32_t i);
void unwind_loader_free(struct unwind_loader *l);

#endif
