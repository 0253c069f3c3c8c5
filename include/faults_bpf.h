/* SPDX-License-Identifier: MIT */
/*
 * The contract between memtrace's page-fault and address-space programs
 * (bpf/faults.bpf.c) and their collector (user/trace/faults.c): map value layouts,
 * constants and counters.  Fixed-width types only; every struct's size is
 * asserted so a change breaks both builds.
 *
 * One site table serves both traces: a site is a distinct user stack, and
 * its value carries the page-fault counters (frames[0] = the faulting
 * instruction) and the mmap/munmap/mremap/brk/madvise counters (frames[0] =
 * the syscall instruction in its libc wrapper).  The two kinds of stacks
 * never share a site in practice because their innermost frames differ.
 */
#ifndef MEMTRACE_FAULTS_SHARED_H
#define MEMTRACE_FAULTS_SHARED_H

#include "memtrace.h" /* mt_u64, mt_u32, MT_MAX_FRAMES, MT_UNKNOWN_STACK */

/* Where a faulting address lands (index into mt_fault_site_value.regions). */
enum mt_region {
	MT_REGION_HEAP = 0,  /* [mm->start_brk, mm->brk): the brk heap */
	MT_REGION_ANON = 1,  /* anonymous mapping (malloc arenas, big malloc blocks...) */
	MT_REGION_STACK = 2, /* VM_GROWSDOWN, the main stack, or the VMA holding the faulting thread's sp */
	MT_REGION_FILE = 3,  /* file-backed mapping (code, data, mmap'd files, shm) */
	MT_REGION_OTHER = 4, /* no VMA (a segfault), or the VMA could not be looked up */
	MT_NREGIONS = 5,
};

/* Counters of one site.  Byte counts are page-aligned lengths. */
struct mt_fault_site_value {
	mt_u64 fault_count, fault_bytes; /* page faults; bytes = faults x page size */
	mt_u64 regions[MT_NREGIONS];     /* fault_count by enum mt_region */
	mt_u64 mmap_count, mmap_bytes;   /* successful mmap() */
	mt_u64 munmap_count, munmap_bytes; /* successful munmap(), requested length */
	mt_u64 mremap_count, mremap_grow_bytes, mremap_shrink_bytes;
	mt_u64 brk_count, brk_grow_bytes, brk_shrink_bytes; /* brk() calls that moved the break */
	mt_u64 madvise_count, madvise_bytes; /* successful MADV_DONTNEED / MADV_FREE */
	mt_u32 nframes;
	mt_u32 pad;
	mt_u64 check; /* second hash of the frames, as in mt_site_stack */
	mt_u64 frames[MT_MAX_FRAMES]; /* frames[0] = faulting / syscall instruction */
};

/* Syscall in flight on a thread, between sys_enter_* and sys_exit_*. */
enum mt_sys_kind {
	MT_SYS_MMAP = 1,
	MT_SYS_MUNMAP = 2,
	MT_SYS_MREMAP = 3,
	MT_SYS_BRK = 4,
	MT_SYS_MADVISE = 5,
};

struct mt_sys_inflight {
	mt_u64 a0, a1; /* mmap/munmap/madvise: len; mremap: old_len, new_len; brk: old break */
	mt_u32 kind;   /* enum mt_sys_kind, 0 when none is in flight */
	mt_u32 pad;
};

/*
 * The VMA a fault landed in, cached per 2 MiB granule of address (key:
 * addr >> 21) so most faults skip bpf_find_vma (~10 us each).  Valid while
 * mm and gen match: the syscall programs bump the generation at every
 * mmap/munmap/mremap/brk of the target.
 */
struct mt_vma_cache {
	mt_u64 mm;         /* the mm_struct it was read from: exec starts afresh */
	mt_u64 gen;        /* vma_gen when it was read */
	mt_u64 start, end; /* [vm_start, vm_end) */
	mt_u32 flags;      /* MT_VMAC_* */
	mt_u32 pad;
};

#define MT_VMAC_FILE 0x1u
#define MT_VMAC_GROWSDOWN 0x2u
#define MT_VMAC_HUGETLB 0x4u
#define MT_VMA_CACHE_ENTRIES 4096
#define MT_VMA_CACHE_SHIFT 21

/* Global counters in .bss; the drop counters are shown in every report. */
struct mt_fault_counters {
	mt_u64 faults;        /* every fault of the target seen */
	mt_u64 fault_bytes;
	mt_u64 stack_full;    /* sites map full: charged to the unknown site */
	mt_u64 stack_collide; /* hash collision: charged to the unknown site */
	mt_u64 vma_unknown;   /* bpf_find_vma failed (mmap lock busy): region "other" */
	mt_u64 inflight_full; /* per-thread syscall table full: call missed */
	mt_u64 leaf_fixups;   /* a frameless leaf's caller recovered from [sp] */
	mt_u64 hugetlb;       /* faults in hugetlbfs mappings (counted at their page size) */
};

#define MT_FAULT_MAX_SITES (1u << 16)

/* Bytes charged per fault: the base page, or a hugetlbfs page. */
#define MT_PAGE_SIZE 4096ULL
#define MT_HPAGE_SIZE (2ULL << 20) /* hugetlbfs default huge page size (x86-64) */

/* mm flag bits the BPF side reads from vm_area_struct.vm_flags. */
#define MT_VM_EXEC 0x00000004ULL
#define MT_VM_GROWSDOWN 0x00000100ULL
#define MT_VM_HUGETLB 0x00400000ULL

_Static_assert(sizeof(struct mt_fault_site_value) == 8 * 19 + 16 + 8 * MT_MAX_FRAMES,
	       "mt_fault_site_value layout");
_Static_assert(sizeof(struct mt_sys_inflight) == 24, "mt_sys_inflight layout");
_Static_assert(sizeof(struct mt_vma_cache) == 40, "mt_vma_cache layout");
_Static_assert(sizeof(struct mt_fault_counters) == 64, "mt_fault_counters layout");

#endif
