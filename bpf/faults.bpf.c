// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Page faults and address-space changes of the target, per user stack.
 *
 *  - page_fault_user: exceptions:page_fault_user (tp_btf), or (when the
 *    kernel has no such tracepoint) page_fault_perf on the PERF_COUNT_SW_PAGE_FAULTS
 *    software event, sample_period 1, one event per CPU.  Each fault of the
 *    target charges one page to the faulting stack (frames[0] = the faulting
 *    instruction) and to the region its address lands in.
 *  - mmap, munmap, mremap, brk, madvise through their own tracepoints
 *    (syscalls:sys_enter_mmap, ...) when tracefs gives their ids, else
 *    through the BTF-typed raw sys_enter/sys_exit, which need no tracefs but
 *    run on every syscall of the machine: the length is noted at entry, and
 *    charged at a successful exit (fault_calls.bpf.h; a frameless syscall
 *    wrapper's caller is put back by leaf_fixup.bpf.h).
 *
 * Aggregation happens here, in one site table (include/faults_bpf.h); nothing is
 * queued per event.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "faults_bpf.h"
/* A fault inside a probed function meets its trampoline (frames.bpf.h). */
#define FRAMES_GIVE_BACK 1
#include "unwind.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * The traced process (0: every process, for tests).  Writable after load,
 * through the skeleton's mmap'd .bss: --follow's pool loads these programs
 * ahead with no process (FAULTS_TGID_NONE) and names a forked child here
 * while it is held, so no load waits for a fork.  A runtime compare, where
 * a load-time constant was pruned: one load and compare per event.
 */
__u32 target_tgid = 0;
/* Set before load: skip the VMA lookup (regions from the mm's bounds only). */
const volatile bool no_vma = false;
/* Set before load when the syscall programs run (they keep vma_gen). */
const volatile bool use_vma_cache = false;
/* --unwind, as the heap tracer's (enum mt_unwind_mode): with auto|dwarf the
 * collector shares the heap tracer's exec_ranges and unwind_rows maps. */
const volatile __u32 unwind_mode = MT_UNWIND_FP;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MT_FAULT_MAX_SITES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct mt_fault_site_value);
} fsites SEC(".maps");

/* Too big for the 512-byte BPF stack: the stack is walked into here. */
struct fault_scratch {
	struct mt_fault_site_value site;
	struct frames_scratch walk;
	struct uw_state uw;
	__u64 key; /* the walked stack's key (fault_walk) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fault_scratch);
} fscratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MT_VMA_CACHE_ENTRIES);
	__type(key, __u64);
	__type(value, struct mt_vma_cache);
} vma_cache SEC(".maps");

struct mt_fault_counters fcounters;
/* Bumped by every mmap/munmap/mremap/brk of the target: cached VMAs expire. */
__u64 vma_gen;

static __always_inline bool is_target(void)
{
	return !target_tgid || (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

static __always_inline __u64 page_align(__u64 len)
{
	return (len + MT_PAGE_SIZE - 1) & ~(MT_PAGE_SIZE - 1);
}

/* Same stack: the frame count and the check hash (see mt_site_stack). */
static __always_inline bool same_frames(const struct mt_fault_site_value *a, const struct mt_fault_site_value *b)
{
	return a->nframes == b->nframes && a->check == b->check;
}

#include "leaf_fixup.bpf.h"

/*
 * Walks the current user stack into fscratch (site.frames, site.nframes,
 * site.check, key); nonzero when it cannot.  A global function: the
 * verifier checks it once per program, where inlined it was checked again
 * at each of exit_call's five call sites (sys_exit_prog: 89,598
 * instructions with the row walk inlined).
 */
__noinline int fault_walk(int fixup)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct mt_fault_site_value *sc;
	struct fault_scratch *fs;
	__u32 zero = 0, n;
	__u64 h, ip;

	fs = bpf_map_lookup_elem(&fscratch, &zero);
	if (!fs)
		return -1;
	sc = &fs->site;
	/* From the user registers of the fault or syscall: frames[0] is the
	 * instruction itself, not a return address.  The heap tracer's walk,
	 * not bpf_get_stack(), whose walk costs ~800 ns here. */
	ip = uretprobe_xol_ip(BPF_CORE_READ(regs, ip));
	if (unwind_mode != MT_UNWIND_FP)
		n = unwind_walk(sc->frames, &fs->uw, &fs->walk, unwind_mode, true, ip, BPF_CORE_READ(regs, sp),
				BPF_CORE_READ(regs, bp), &h, &sc->check);
	else
		n = frames_walk(sc->frames, &fs->walk, ip, BPF_CORE_READ(regs, sp), BPF_CORE_READ(regs, bp), &h,
				&sc->check);
	/* The rows know a wrapper's frame (or its absence): only a frame
	 * left by its frame pointer may have skipped its caller. */
	if (fixup && (unwind_mode == MT_UNWIND_FP || fs->uw.fp0) && leaf_fixup(sc, &n))
		h = frames_hash(sc->frames, n, &sc->check);
	/* The instruction of a fault or a syscall is code the CPU ran, even
	 * where the walk's ranges do not hold it yet: libc's IFUNC resolvers
	 * and early init, run by the dynamic linker after it mapped libc and
	 * before it told the collector (_dl_debug_state).  Kept, and the stack
	 * cut after it.  Asking the VMAs instead would spend the one
	 * bpf_find_vma a fault program may make (a second one finds the first
	 * one's unlock pending), which the fault's region needs. */
	if (n == 1 && sc->frames[0] == MT_FRAME_TRUNCATED) {
		sc->frames[0] = ip;
		sc->frames[1] = MT_FRAME_TRUNCATED;
		n = 2;
		h = frames_hash(sc->frames, n, &sc->check);
	}
	sc->nframes = n;
	fs->key = h;
	return 0;
}

/* The site of the current user stack; the unknown site when it can't be kept. */
static __always_inline struct mt_fault_site_value *current_site(bool fixup)
{
	struct mt_fault_site_value *sc, *site;
	__u64 h, unknown = MT_UNKNOWN_STACK;
	struct fault_scratch *fs;
	__u32 zero = 0;
	int err;

	fs = bpf_map_lookup_elem(&fscratch, &zero);
	if (!fs || fault_walk(fixup))
		return bpf_map_lookup_elem(&fsites, &unknown);
	sc = &fs->site;
	h = fs->key;
	site = bpf_map_lookup_elem(&fsites, &h);
	if (site) {
		if (same_frames(site, sc))
			return site;
		__sync_fetch_and_add(&fcounters.stack_collide, 1);
		return bpf_map_lookup_elem(&fsites, &unknown);
	}
	__builtin_memset(sc, 0, offsetof(struct mt_fault_site_value, nframes));
	err = bpf_map_update_elem(&fsites, &h, sc, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST: another CPU inserted it */) {
		__sync_fetch_and_add(&fcounters.stack_full, 1);
		return bpf_map_lookup_elem(&fsites, &unknown);
	}
	site = bpf_map_lookup_elem(&fsites, &h);
	if (site && same_frames(site, sc))
		return site;
	__sync_fetch_and_add(&fcounters.stack_collide, 1);
	return bpf_map_lookup_elem(&fsites, &unknown);
}

/* ---- page faults ---- */

struct vma_ctx {
	struct mt_vma_cache v;
	bool found;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, struct vma_ctx *c)
{
	__u64 flags = vma->vm_flags;

	c->found = true;
	c->v.start = vma->vm_start;
	c->v.end = vma->vm_end;
	c->v.flags = (vma->vm_file ? MT_VMAC_FILE : 0) | (flags & MT_VM_GROWSDOWN ? MT_VMAC_GROWSDOWN : 0) |
		     (flags & MT_VM_HUGETLB ? MT_VMAC_HUGETLB : 0);
	return 0;
}

static __always_inline void on_fault(void *ctx, __u64 addr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct mm_struct *mm = task->mm;
	struct mt_fault_site_value *site;
	__u64 bytes = MT_PAGE_SIZE, sp, start_brk, brk, start_stack, gen, key;
	struct mt_vma_cache *cached;
	struct vma_ctx c = {};
	__u32 region = MT_REGION_OTHER;
	long err = 0;

	if (!mm)
		return;
	/* The stack first: the verifier walks its loops once, before the
	 * region branches multiply the states. */
	site = current_site(false);
	sp = BPF_CORE_READ(regs, sp);
	start_brk = BPF_CORE_READ(mm, start_brk);
	brk = BPF_CORE_READ(mm, brk);
	start_stack = BPF_CORE_READ(mm, start_stack);
	if (addr >= start_brk && addr < page_align(brk)) {
		region = MT_REGION_HEAP; /* known without the VMA */
		goto count;
	}
	key = addr >> MT_VMA_CACHE_SHIFT;
	gen = vma_gen;
	cached = use_vma_cache ? bpf_map_lookup_elem(&vma_cache, &key) : NULL;
	if (cached && cached->mm == (__u64)mm && cached->gen == gen && addr >= cached->start &&
	    addr < cached->end) {
		c.v = *cached;
		c.found = true;
	} else if (no_vma) {
		err = -16; /* EBUSY: as if the lookup failed */
	} else {
		err = bpf_find_vma(task, addr, vma_cb, &c, 0);
		if (!err && c.found && use_vma_cache) {
			c.v.mm = (__u64)mm;
			c.v.gen = gen;
			bpf_map_update_elem(&vma_cache, &key, &c.v, BPF_ANY);
		}
	}
	if (c.found) {
		if (c.v.flags & MT_VMAC_FILE)
			region = MT_REGION_FILE;
		else if ((c.v.flags & MT_VMAC_GROWSDOWN) || (start_stack >= c.v.start && start_stack < c.v.end) ||
			 (sp >= c.v.start && sp < c.v.end))
			/* The main stack, or the mapping holding the faulting
			 * thread's stack pointer: its own thread stack. */
			region = MT_REGION_STACK;
		else
			region = MT_REGION_ANON;
		if (c.v.flags & MT_VMAC_HUGETLB) {
			bytes = MT_HPAGE_SIZE;
			__sync_fetch_and_add(&fcounters.hugetlb, 1);
		}
	} else if (err == -2 /* ENOENT: no VMA holds addr */) {
		/* Below the main stack's VMA, near sp: the stack growing. */
		if (addr < start_stack && addr + (16ULL << 20) >= sp)
			region = MT_REGION_STACK;
	} else {
		/* EBUSY: the mmap lock was taken or its deferred unlock pending. */
		__sync_fetch_and_add(&fcounters.vma_unknown, 1);
	}
count:
	__sync_fetch_and_add(&fcounters.faults, 1);
	__sync_fetch_and_add(&fcounters.fault_bytes, bytes);
	if (!site)
		return;
	__sync_fetch_and_add(&site->fault_count, 1);
	__sync_fetch_and_add(&site->fault_bytes, bytes);
	if (region < MT_NREGIONS)
		__sync_fetch_and_add(&site->regions[region], 1);
}

/* exceptions:page_fault_user through its BTF type: no tracefs needed. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(page_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	if (is_target())
		on_fault(ctx, address);
	return 0;
}

/* Fallback: the software page-fault event, one per CPU; ctx->addr is the
 * faulting address (perf_sw_event(PERF_COUNT_SW_PAGE_FAULTS, 1, regs, addr)). */
SEC("perf_event")
int page_fault_perf(struct bpf_perf_event_data *ctx)
{
	if (is_target())
		on_fault(ctx, ctx->addr);
	return 0;
}

/* ---- mmap, munmap, mremap, brk, madvise ---- */

#include "fault_calls.bpf.h"

/* Every syscall of every process passes here (and in sys_exit_prog): the
 * target check comes first and is all most calls cost.  Used only where the
 * per-syscall tracepoints below cannot be attached (no tracefs access). */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_prog, struct pt_regs *regs, long id)
{
	__u32 kind;

	if (!is_target())
		return 0;
	kind = call_kind(id);
	if (!kind || compat_call(bpf_get_current_task_btf()))
		return 0;
	enter_call(kind, PT_REGS_PARM1_SYSCALL(regs), PT_REGS_PARM2_SYSCALL(regs),
		   PT_REGS_PARM3_SYSCALL(regs));
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_prog, struct pt_regs *regs, long ret)
{
	__u32 kind;

	if (!is_target())
		return 0;
	kind = call_kind(SYSCALL_NR(regs));
	if (kind)
		exit_call(kind, ret);
	return 0;
}

/*
 * The per-syscall tracepoints (syscalls:sys_enter_mmap, ...): these programs
 * run on the five calls only; every other syscall of the machine costs one
 * bit test in the kernel.  Attaching them needs their ids from tracefs, so
 * they are the choice whenever tracefs is readable (root).  They see native
 * calls only, as the raw pair does.
 */
struct sys_enter_rec {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct sys_exit_rec {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

#define PER_SYSCALL_TP(name, kind)                                                  \
	SEC("tp/syscalls/sys_enter_" #name)                                         \
	int name##_enter(struct sys_enter_rec *ctx)                                 \
	{                                                                           \
		if (is_target())                                                    \
			enter_call(kind, ctx->args[0], ctx->args[1], ctx->args[2]); \
		return 0;                                                           \
	}                                                                           \
	SEC("tp/syscalls/sys_exit_" #name)                                          \
	int name##_exit(struct sys_exit_rec *ctx)                                   \
	{                                                                           \
		if (is_target())                                                    \
			exit_call(kind, ctx->ret);                                  \
		return 0;                                                           \
	}

PER_SYSCALL_TP(mmap, MT_SYS_MMAP)
PER_SYSCALL_TP(munmap, MT_SYS_MUNMAP)
PER_SYSCALL_TP(mremap, MT_SYS_MREMAP)
PER_SYSCALL_TP(brk, MT_SYS_BRK)
PER_SYSCALL_TP(madvise, MT_SYS_MADVISE)
