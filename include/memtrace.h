/* SPDX-License-Identifier: MIT */
/*
 * The contract between memtrace's BPF programs (bpf/memtrace.bpf.c) and its
 * collector (user/): map value layouts, constants and counters.  Fixed-width
 * types only; every struct's size is asserted so a change breaks both builds.
 */
#ifndef MEMTRACE_SHARED_H
#define MEMTRACE_SHARED_H

#ifdef __bpf__
#include "vmlinux.h"
typedef __u64 mt_u64;
typedef __u32 mt_u32;
typedef __u16 mt_u16;
typedef __s32 mt_s32;
#else
#include <stdint.h>
typedef uint64_t mt_u64;
typedef uint32_t mt_u32;
typedef uint16_t mt_u16;
typedef int32_t mt_s32;
#endif

/* perf_event_max_stack's default: deeper stacks are truncated, not lost. */
#define MT_MAX_FRAMES 127

/* Which allocator call is in flight on a thread: decides how the return is read. */
enum mt_call_kind {
	MT_CALL_MALLOC = 1,	/* ptr = return value, size from entry */
	MT_CALL_REALLOC = 2,	/* old block freed on success or on size 0 */
	MT_CALL_POSIX_MEMALIGN = 3, /* ptr written through an out pointer, returns 0 */
};

/* One live heap block. */
struct mt_block {
	mt_u64 ptr;      /* its address; 0 = a free slot of the block table */
	mt_u64 size;
	mt_u64 alloc_ns; /* CLOCK_MONOTONIC at allocation, to the collector's tick */
	mt_u32 site;     /* its site's id: its counters are site_counts[site] */
	mt_u32 pad;
};

/*
 * Per-thread state between an allocator's entry and its return.  `sp` is the
 * stack pointer at entry: an inner allocator call (realloc(NULL, n) calling
 * malloc inside glibc) runs with a lower sp, and only the return whose sp is
 * entry sp + 8 is the outer call's, so nested calls are counted once.
 */
struct mt_inflight {
	mt_u64 size;
	mt_u64 old_ptr; /* realloc: block being resized; posix_memalign: out pointer */
	mt_u64 sp;      /* 0 when no call is in flight */
	/* realloc: the old block, taken out of the table at entry so another
	 * thread's reuse of its address cannot be mistaken for it; released
	 * at return on success, put back on failure.  ptr 0: not tracked. */
	struct mt_block old;
	mt_u16 kind;
	/* Frees of blocks from before the trace this thread made since its
	 * last allocation (at most MT_UNSEEN_PENDING_MAX): its next
	 * allocations are taken to replace them (mt_site_counts.replaced). */
	mt_u16 unseen_pending;
	mt_u32 owner;   /* inflight_slot: the thread id it belongs to, 0 = none */
};

/*
 * The live-block table: set-associative, in an mmapable BPF array.  An
 * address hashes to one bucket and lives in one of its ways, claimed with a
 * compare-and-swap, so insert, lookup and delete touch one bucket without a
 * helper call or a lock (a BPF hash map update + delete cost ~165 ns here);
 * no probing, so no tombstones.  A block whose bucket is full goes to the
 * overflow hash map (blocks_more).  The collector reads the table through
 * mmap.  A bucket's addresses share one cache line, apart from the rest, so
 * a scan touches one line and a hit one more.
 */
#define MT_BLOCK_WAYS 8
#define MT_BLOCK_BUCKET_BITS 18
#define MT_BLOCK_BUCKETS (1u << MT_BLOCK_BUCKET_BITS)

struct mt_block_data {
	mt_u64 size;
	mt_u64 alloc_ns; /* 0 while the way is being claimed or given up */
	mt_u32 site;
	mt_u32 pad;
};

struct mt_block_bucket {
	mt_u64 ptr[MT_BLOCK_WAYS]; /* 0 = a free way */
	struct mt_block_data data[MT_BLOCK_WAYS];
};

/* Malloc's addresses are 16-byte aligned and clustered: multiply to spread them. */
static inline mt_u32 mt_block_bucket_of(mt_u64 ptr)
{
	return (mt_u32)(((ptr >> 4) * 0x9e3779b97f4a7c15ULL) >> (64 - MT_BLOCK_BUCKET_BITS));
}

/* The same in a table of 2^bits buckets (--follow's children have smaller
 * ones: a table is read whole at every report). */
#define MT_BLOCK_BUCKET_BITS_MIN 10
static inline mt_u32 mt_block_bucket_in(mt_u64 ptr, mt_u32 bits)
{
	return (mt_u32)(((ptr >> 4) * 0x9e3779b97f4a7c15ULL) >> (64 - bits));
}

/*
 * One allocation site's stack: the `sites` map's value, keyed by a 64-bit
 * hash of the frames.  A second, independent 64-bit hash (`check`) and the
 * frame count are compared on every hit, so a collision of the key is
 * detected (and counted) instead of charging the wrong stack, at the cost
 * of two compares instead of a walk over the frames.  `id` is the site's
 * index in site_counts, given out in order of first sight; blocks carry
 * it, so a free finds its counters without a hash lookup.
 */
struct mt_site_stack {
	mt_u32 nframes;
	mt_u32 id;
	mt_u64 check;
	mt_u64 frames[MT_MAX_FRAMES]; /* frames[0] = return address into the caller */
};

/* One site's counters: site_counts[id], an array the collector mmaps.  A
 * cache line each, so threads busy at different sites do not share one. */
struct mt_site_counts {
	mt_u64 alloc_count, alloc_bytes;
	mt_u64 free_count, free_bytes;
	/* The site's key in the sites map, set once the stack is there, so
	 * the collector fetches each new stack once, by id, instead of
	 * walking the whole map at every read; 0 before. */
	mt_u64 key;
	/* Allocations the live-block table had no room for: their frees
	 * cannot be matched, so the collector charges the unmatched frees
	 * (mt_counters.frees_unmatched) against these. */
	mt_u64 untracked_count, untracked_bytes;
	/* Allocations here that followed, on the same thread, a free of a
	 * block allocated before the trace began: replacements of pre-attach
	 * blocks (a cache overwriting its entries), not growth of the process. */
	mt_u64 replaced;
};

/* A thread's unpaired frees of pre-attach blocks are capped: a burst of
 * frees (a cache cleared) must not credit the allocations of much later. */
#define MT_UNSEEN_PENDING_MAX 8

/* The collector's copy of one site: its counters and its stack. */
struct mt_site_value {
	mt_u64 alloc_count, alloc_bytes;
	mt_u64 free_count, free_bytes;
	mt_u32 nframes;
	mt_u32 pad;
	mt_u64 frames[MT_MAX_FRAMES];
	mt_u64 untracked_count, untracked_bytes; /* as in mt_site_counts */
	mt_u64 replaced;                         /* as in mt_site_counts */
};

/*
 * A stack's last frame when the walk stopped before the stack's end: at a
 * return address outside the target's executable mappings, a frame address
 * outside the thread's stack (below sp or MT_STACK_SPAN above it), a frame
 * address that does not rise, or MT_MAX_FRAMES.  Never a user address, so
 * it cannot be mistaken for a frame; part of the site's key, so a truncated
 * stack is its own site.  The collector shows it as "[truncated]".
 */
#define MT_FRAME_TRUNCATED 0xfffffffffffffffeULL
/*
 * A stack's only frame when the process had no code described to the walk
 * yet (no exec_ranges entry): with `-- CMD`, the command's process between
 * fork and the exec of its program, running memtrace's launcher (execvp).
 * Not the target program's code, and no walk was cut: the collector shows
 * it as "[exec]", not as truncated.
 */
#define MT_FRAME_EXEC 0xfffffffffffffffdULL
#define MT_STACK_SPAN (8ULL << 20)

/*
 * The target's executable mappings, sorted by start, for the stack walk
 * (bpf/exec_ranges.bpf.h): the `exec_ranges` map's value, keyed by tgid,
 * written whole by the collector (user/trace/exec_ranges.c) at attach and
 * after each exec or change of the loaded objects.  Slots from n on hold
 * MT_EXEC_PAD, above any address, so a search needs no bound on n.
 */
#define MT_EXEC_RANGES 512
#define MT_EXEC_PAD 0x7fffffffffffffffULL
#define MT_EXEC_USER_LIMIT (1ULL << 57) /* above any user address (5-level paging) */
/* Processes with ranges at once: a --follow tree shares one map (not
 * preallocated: 16 KiB a process in use). */
#define MT_EXEC_TGIDS 4096
#define MT_EXEC_STALE_ADDED 1
#define MT_EXEC_STALE_ALL 2

struct mt_exec_ranges {
	mt_u32 n;       /* ranges in use, at most MT_EXEC_RANGES - 1 */
	mt_u32 dropped; /* executable mappings past the last slot: not checked, their frames cut */
	/* Set by BPF when the target's objects changed (exec, the dynamic
	 * linker's hook) and the collector has not written the ranges again:
	 * an address outside them is then looked up in the target's VMAs
	 * (bpf_find_vma), so code mapped since is not cut; after an exec
	 * (MT_EXEC_STALE_ALL) the ranges describe the old image and only the
	 * VMAs are asked.  0 when written. */
	mt_u32 stale;
	mt_u32 pad;
	mt_u64 start[MT_EXEC_RANGES];
	mt_u64 end[MT_EXEC_RANGES];
	/* With --unwind auto|dwarf: range i's unwind rows are
	 * unwind_rows[row_first[i] .. + row_count[i]) (0 rows: none), for
	 * ELF addresses = runtime address - bias[i]. */
	mt_u32 row_first[MT_EXEC_RANGES];
	mt_u32 row_count[MT_EXEC_RANGES];
	mt_u64 bias[MT_EXEC_RANGES];
};

/* --unwind: how the heap return program walks a stack. */
enum mt_unwind_mode {
	MT_UNWIND_FP = 0,    /* frame pointers only */
	MT_UNWIND_AUTO = 1,  /* table rows where a module has them, frame pointers elsewhere */
	MT_UNWIND_DWARF = 2, /* table rows only: a frame without a row ends the stack */
};

/*
 * One unwind row in the kernel, packed from user/symbols/unwind_table.h's
 * struct unwind_row into 8 bytes (a BPF array rounds values up to 8): from
 * ELF address pc to the next row, CFA = rsp|rbp + cfa_off, the return
 * address at CFA - 8, rbp at CFA + 8 * rbp_off8 when rbp == 1.  A row whose
 * offsets do not fit is packed as cfa 5 (the walk stops there).
 */
struct mt_unwind_row {
	mt_u32 pc;
	short cfa_off;
	signed char rbp_off8;
	unsigned char kind; /* cfa (0 none, 1 rsp, 2 rbp, 3 PLT, 4 outermost, 5 other) | rbp << 4 (0 same, 1 saved, 2 unknown) */
};

/* Rows in the kernel, 8 bytes each: the array is sized per target before
 * load (user/trace/unwind_size.h), from MT_UNWIND_ROWS (4 MiB) up to
 * MT_UNWIND_ROWS_MAX (64 MiB).  One object's rows are at most
 * MT_UNWIND_OBJECT_ROWS: the walk's binary search takes 19 steps. */
#define MT_UNWIND_ROWS (1u << 19)
#define MT_UNWIND_ROWS_MAX (1u << 23)
#define MT_UNWIND_OBJECT_ROWS (1u << 19)
/* Rows past the last one in use that the search may read: its steps look
 * at row first + lo + k - 1 before knowing it lies past the object's
 * count, and a lookup past the array's end ends the search.  The array
 * holds this many more rows than it gives out (2 MiB). */
#define MT_UNWIND_SEARCH_PAD (1u << 18)

/* Stack hash and site id of allocations whose stack could not be kept. */
#define MT_UNKNOWN_STACK 0ULL

/* Global counters in .bss; the drop counters are shown in every report. */
struct mt_counters {
	mt_u64 inuse_bytes; /* tracked blocks only */
	mt_u64 peak_inuse_bytes;
	mt_u64 stack_full;    /* stacks map full: charged to the unknown site */
	mt_u64 stack_collide; /* hash collision: charged to the unknown site */
	mt_u64 allocs_full;   /* blocks map full: block not tracked */
	mt_u64 inflight_full; /* no per-thread call state (allocation failed): the call was missed */
	mt_u64 events_lost;   /* ring buffer full */
	mt_u64 dl_stops;      /* stops requested from the dynamic-linker hook */
	mt_u64 blocks_more;   /* live blocks in the overflow map (their bucket was full) */
	mt_u64 sites_used;    /* site ids given out (0, the unknown site, is not) */
	/* Frees and reallocs of a block not in the table, counted once a block
	 * went untracked (allocs_full > 0); before that they are blocks from
	 * before the trace began, which no site's counts include. */
	mt_u64 frees_unmatched;
	/* Frees and reallocs of a block not in the table while the table has
	 * never overflowed and every allocation is traced (no --sample-bytes):
	 * blocks allocated before the trace began.  A count only: their size
	 * is the allocator's to know (see leak_verdict.h). */
	mt_u64 frees_unseen;
};

/* Records on the ring buffer; each starts with its type. */
enum mt_event_type {
	MT_EV_EXEC = 1,   /* the target exec'd: re-resolve its allocator */
	MT_EV_DLOPEN = 2, /* the dynamic linker changed the set of loaded objects */
};

struct mt_event {
	mt_u32 type;
	mt_u32 pid;
	mt_u64 ts_ns;
};

/* Attach cookie of each allocator entry probe: how to read its arguments. */
enum alloc_kind {
	AK_MALLOC = 1,
	AK_CALLOC,
	AK_REALLOC,
	AK_REALLOCARRAY,
	AK_FREE,
	AK_POSIX_MEMALIGN,
	AK_MEMALIGN, /* (alignment, size): memalign, aligned_alloc */
	AK_VALLOC,
	AK_PVALLOC,
	/* --alloc/--free/--realloc: the argument positions ride in the cookie. */
	AK_CUSTOM_ALLOC,   /* size = arg A (* arg B when B != 0) */
	AK_CUSTOM_FREE,    /* ptr = arg A */
	AK_CUSTOM_REALLOC, /* ptr = arg A, size = arg B */
};

/* Cookie layout: kind in bits 0-7, argument A (1-6) in 8-11, B (0-6) in 12-15. */
#define MT_COOKIE(kind, a, b) ((kind) | ((a) << 8) | ((b) << 12))
#define MT_COOKIE_KIND(c) ((c) & 0xff)
#define MT_COOKIE_A(c) (((c) >> 8) & 0xf)
#define MT_COOKIE_B(c) (((c) >> 12) & 0xf)

/*
 * One traced process's state beside its tables, the value of the one-entry
 * inner array the proc_state map holds under its tgid (--follow's tree
 * shares one loaded object: every per-process table is an inner map keyed
 * by tgid).  counters' sites_used, stack_full, stack_collide and
 * events_lost stay 0 here: site ids and stacks are the object's, counted
 * in its .bss counters.
 */
struct mt_proc {
	struct mt_counters counters;
	mt_u32 bucket_bits; /* its block table has 2^bucket_bits buckets */
	mt_u32 pad;
};

/* Processes one loaded object traces at once. */
#define MT_MAX_PROCS 4096

/* Blocks whose bucket of the block table is full. */
#define MT_MAX_BLOCKS_MORE (1u << 18)
#define MT_MAX_SITES (1u << 16)
#define MT_MAX_THREADS (1u << 14) /* per-thread syscall state in the fault tracer */

_Static_assert(sizeof(struct mt_inflight) == 64, "mt_inflight layout");
_Static_assert(sizeof(struct mt_block) == 32, "mt_block layout");
_Static_assert(sizeof(struct mt_block_bucket) == 32 * MT_BLOCK_WAYS, "mt_block_bucket layout");
_Static_assert(sizeof(struct mt_block_data) == 24, "mt_block_data layout");
_Static_assert(sizeof(struct mt_site_stack) == 16 + 8 * MT_MAX_FRAMES, "mt_site_stack layout");
_Static_assert(sizeof(struct mt_site_counts) == 64, "mt_site_counts layout");
_Static_assert(sizeof(struct mt_counters) == 96, "mt_counters layout");
_Static_assert(sizeof(struct mt_proc) == 104, "mt_proc layout");
_Static_assert(sizeof(struct mt_event) == 16, "mt_event layout");
_Static_assert(sizeof(struct mt_unwind_row) == 8, "mt_unwind_row layout");
_Static_assert(sizeof(struct mt_exec_ranges) == 16 + 32 * MT_EXEC_RANGES, "mt_exec_ranges layout");

#endif
