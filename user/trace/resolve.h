/* SPDX-License-Identifier: MIT */
/*
 * Which loaded object serves a process's malloc calls, and where its
 * allocator functions are.  Follows the dynamic linker's own lookup order
 * (the r_debug link map in the target's memory), so LD_PRELOAD'd and linked
 * allocators win over glibc exactly as they do for the process.
 */
#ifndef MEMTRACE_RESOLVE_H
#define MEMTRACE_RESOLVE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "memtrace.h"

#define MT_MAX_ALLOC_FUNCS 16
/* A target's path reached from here: "/proc/PID/root" and the path. */
#define MT_HOST_PATH_MAX (PATH_MAX + 32)

struct alloc_func {
	const char *name;   /* "malloc", "free"... */
	int kind;           /* enum alloc_kind (memtrace.h) */
	uint64_t offset;    /* file offset of its entry, what uprobes take */
	uint32_t skip;      /* bytes past the entry where its probes go (see probe_offset.h) */
	bool emulated;      /* the kernel emulates the probed instruction */
	char why[96];       /* how the placement was chosen, for -v */
};

struct allocator {
	char path[PATH_MAX];              /* as the target sees it */
	char host_path[MT_HOST_PATH_MAX]; /* the same file reached through /proc/PID/root */
	uint64_t inode;
	struct alloc_func funcs[MT_MAX_ALLOC_FUNCS];
	int nfuncs;
};


/*
 * Finds the provider of malloc in pid.  Returns 0, -ESRCH when the process is
 * gone, -ENOENT when no loaded object defines malloc yet (early startup).
 */
int allocator_resolve(pid_t pid, struct allocator *out);
/* Where C++ operator new lives in pid (libstdc++ or the program); -ENOENT when nowhere. */
int cxx_new_resolve(pid_t pid, struct allocator *out);
/* A jemalloc built with the je_ prefix, linked into pid; -ENOENT when none. */
int je_prefixed_resolve(pid_t pid, struct allocator *out);
/* The dynamic linker mapped in pid and its _dl_debug_state hook, if any. */
int dl_hook_resolve(pid_t pid, char host_path[MT_HOST_PATH_MAX], uint64_t *offset);

#endif
