/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * CPython's object allocator (pymalloc), one pool at a time: included by
 * memtrace.bpf.c, whose sites, block table and counters it shares.
 *
 * LTO inlines pymalloc's fast path into ~190 call sites of Debian's
 * python3.11, so the exported PyObject_Malloc sees almost nothing.  What
 * is never inlined is the refill: allocate_from_new_pool(size class),
 * called whenever a size class has no pool with a free block, which hands
 * a fresh 16 KiB pool (or an emptied one) to that class and returns its
 * first block.  That is charged as one 16 KiB block at the pool's address,
 * to the stack that took it, below a "[pymalloc pool]" frame.  The other
 * end is insert_to_freepool(pool), inlined into every free: the collector
 * found its copies by their code (python_pymalloc.c) and probes each at
 * its first instruction, with the register holding the pool in the cookie.
 *
 * So a pool site's in-use is pool bytes, not object bytes: it grows when
 * the process keeps objects of a class and stays flat under churn.  The
 * stack is the one that found the class full, a sample among that class's
 * allocations weighted by count, not necessarily the one keeping them.
 */
#ifndef MEMTRACE_PYMALLOC_BPF_DEF_H
#define MEMTRACE_PYMALLOC_BPF_DEF_H

#include "pymalloc_bpf.h"

__u64 pymalloc_counters[MT_PY_NCOUNTERS];

/* A refill in flight: sp at allocate_from_new_pool's entry, and its size
 * class (its argument, an index: block size = (class + 1) * 16). */
struct py_take {
	__u64 sp;
	__u64 cls;
};

/* Thread id -> its refill in flight, for the return.  A map of its own:
 * the malloc call state must stay free for the libc calls a refill makes
 * (new_arena's realloc). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct py_take);
} py_pool_inflight SEC(".maps");

SEC("uprobe")
int py_pool_take(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct py_take t = { .sp = PT_REGS_SP(ctx), .cls = PT_REGS_PARM1(ctx) & 63 };
	__u32 tid = (__u32)id;
	struct mt_proc *ps = proc_state_of(id >> 32);

	if (!ps)
		return 0;
	if (bpf_map_update_elem(&py_pool_inflight, &tid, &t, BPF_ANY))
		__sync_fetch_and_add(&ps->counters.inflight_full, 1);
	return 0;
}

/*
 * The running Python frames, 3.11's layout: the thread state the GIL
 * holder set in _PyRuntime (its address found by the collector in
 * PyThreadState_Get's code; 0 = none), tstate->cframe->current_frame, and
 * each _PyInterpreterFrame's f_code, prev_instr and previous.  A frame
 * becomes MT_PYFRAME_TAG | instruction index << 47 | code address, which
 * the collector names from the code object (symbols/python_frame.h).
 * The thread taking a pool holds the GIL, so the current thread state is
 * its own.
 */
volatile __u64 py_tstate_current;

#define PY_TS_CFRAME 56
#define PY_CF_CURRENT 8
#define PY_IF_CODE 32
#define PY_IF_PREVIOUS 48
#define PY_IF_PREV_INSTR 56
#define PY_CO_CODE 184
#define PY_FRAMES (SITE_PREFIX_MAX - 1)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[SITE_PREFIX_MAX + 1]); /* the frames, then how many */
} py_prefix SEC(".maps");

static __always_inline __u64 peek_u64(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (void *)addr))
		return 0;
	return v;
}

/* The pool's site: its class marker, the Python frames, the C stack. */
static __always_inline __u32 pool_site(struct pt_regs *ctx, __u64 cls)
{
	__u64 *pre, frame = 0, code, instr, index;
	__u32 zero = 0, k = 1;

	pre = bpf_map_lookup_elem(&py_prefix, &zero);
	/* Never fails (a one-entry array); a second inlined walk for the case
	 * would double what the verifier checks. */
	if (!pre)
		return MT_UNKNOWN_STACK;
	pre[0] = MT_FRAME_PYMALLOC | cls;
	if (py_tstate_current) {
		__u64 ts = peek_u64(py_tstate_current);
		__u64 cf = ts ? peek_u64(ts + PY_TS_CFRAME) : 0;

		frame = cf ? peek_u64(cf + PY_CF_CURRENT) : 0;
	}
	for (int i = 0; i < PY_FRAMES && frame; i++) {
		code = peek_u64(frame + PY_IF_CODE);
		instr = peek_u64(frame + PY_IF_PREV_INSTR);
		if (!code || code > MT_PYFRAME_ADDR_MASK)
			break;
		index = instr > code + PY_CO_CODE ? (instr - code - PY_CO_CODE) / 2 : 0;
		if (index > MT_PYFRAME_INDEX_MAX)
			index = MT_PYFRAME_INDEX_MAX;
		pre[(k & (SITE_PREFIX_MAX - 1))] = MT_PYFRAME_TAG | index << 47 | code;
		k++;
		frame = peek_u64(frame + PY_IF_PREVIOUS);
	}
	__sync_fetch_and_add(&pymalloc_counters[MT_PY_FRAMES], k - 1);
	pre[SITE_PREFIX_MAX] = k;
	return current_site_prefixed(ctx, pre);
}

SEC("uretprobe")
int BPF_KRETPROBE(py_pool_taken, __u64 ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct py_take *t = bpf_map_lookup_elem(&py_pool_inflight, &tid);
	__u64 ptr, cls;
	struct proc p;

	if (!t)
		return 0;
	if (PT_REGS_SP(ctx) != t->sp + 8) {
		__sync_fetch_and_add(&pymalloc_counters[MT_PY_POOL_NESTED], 1);
		return 0;
	}
	cls = t->cls;
	bpf_map_delete_elem(&py_pool_inflight, &tid);
	if (!ret)
		return 0;
	/* The first block sits past the pool's header: the pool is the
	 * 16 KiB-aligned address below it. */
	ptr = ret & ~(MT_PYPOOL_SIZE - 1);
	__sync_fetch_and_add(&pymalloc_counters[MT_PY_POOL_TAKES], 1);
	if (!sampled(MT_PYPOOL_SIZE) || !proc_current(&p))
		return 0;
	record_in(&p, pool_site(ctx, cls), ptr, MT_PYPOOL_SIZE, false);
	return 0;
}

/* General register n (0 rax, 1 rcx, ... 15 r15: the instruction set's
 * numbering) of ctx. */
static __always_inline __u64 reg_n(struct pt_regs *ctx, __u64 n)
{
#if defined(__TARGET_ARCH_x86)
	__u64 v[16] = {
		ctx->ax, ctx->cx, ctx->dx, ctx->bx, ctx->sp, ctx->bp, ctx->si, ctx->di,
		ctx->r8, ctx->r9, ctx->r10, ctx->r11, ctx->r12, ctx->r13, ctx->r14, ctx->r15,
	};

	return v[n & 15];
#else
	return 0;
#endif
}

/* A pool became empty: the cookie names the register that holds it. */
SEC("uprobe")
int py_pool_release(struct pt_regs *ctx)
{
	__u64 pool = reg_n(ctx, bpf_get_attach_cookie(ctx));

	if (!is_target())
		return 0;
	__sync_fetch_and_add(&pymalloc_counters[MT_PY_POOL_RELEASES], 1);
	free_ptr(pool & ~(MT_PYPOOL_SIZE - 1));
	return 0;
}

#endif
