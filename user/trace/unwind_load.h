/* SPDX-License-Identifier: MIT */
/*
 * The unwind rows of the target's objects in the kernel (--unwind auto and
 * dwarf): each object's table (unwind_cache: compiled once per build-id)
 * is copied once into the BPF unwind_rows array, append-only, so rows the
 * walk may be reading never change; exec_ranges_load then points each
 * executable range at its object's rows.  An object whose rows do not fit
 * (cap in all, sized by unwind_size.h; MT_UNWIND_OBJECT_ROWS for one
 * object) gets none: its frames are taken by frame pointer (auto) or end
 * the stack (dwarf), and it is counted in `full` (tracer_close says so).
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
	uint32_t cap;    /* the map's rows */
	size_t full_rows; /* rows of the objects counted in `full` */
	size_t full;     /* objects left without rows: no room */
	size_t objects;  /* objects whose rows are loaded */
	size_t fp_objects; /* auto: ranges left to their object's frame pointers, counted at each load */
	int mode;        /* enum mt_unwind_mode, set by the caller after init */
	uint64_t load_ns; /* time spent compiling and copying */
	int verbose;
};

/* Maps the unwind_rows map (fd, of cap + MT_UNWIND_SEARCH_PAD rows, the
 * pad never given out) of a loaded object, keeping
 * the tables already in l's cache (l zeroed or sized by unwind_size_for
 * first).  0 or -errno. */
int unwind_loader_init(struct unwind_loader *l, int rows_fd, uint32_t cap, int verbose);
/* The cache key of the object open on fd: its build-id, else dev:inode. */
void unwind_loader_key(int fd, uint64_t dev, uint64_t inode, char key[64]);
/* Points slot i of v at the rows of the object mapped at m (row_count 0
 * when it has none); never fails: a missing table means no rows. */
void unwind_loader_fill(struct unwind_loader *l, pid_t pid, const struct mapping *m, struct mt_exec_ranges *v,
			uint32_t i);
void unwind_loader_free(struct unwind_loader *l);

#endif
