/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Go's allocations, on runtime.mallocgc: included by memtrace.bpf.c, whose
 * sites and counters it shares, so Go stacks land in the same profile as
 * malloc's.  Entry only: a uretprobe rewrites the return address on the
 * goroutine's stack, which Go's stack copying and traceback do not expect.
 *
 * The probe sits on the prologue's `jbe morestack` (an emulated branch, no
 * single step), after `cmp 0x10(%r14),%rsp`: when the stack must grow (or
 * the goroutine is asked to yield: stackguard0 = stackPreempt), mallocgc
 * starts again from its entry after morestack, so the entry that branches
 * (the compare's flags say so) is skipped here and the one that goes on is
 * counted.  Registers are the
 * entry's: Go's register ABI (>= 1.17) passes size in rax, the type in rbx
 * and needzero in rcx; r14 is the current g; [rsp] is the return address
 * and rbp the caller's frame pointer (Go keeps frame pointers on amd64).
 *
 * In-use is not per stack: the GC frees without calls.  Each sampled call
 * is charged to its site as allocated and at once as freed, so a Go site
 * shows what it allocated (Go's alloc_space/alloc_objects) and nothing in
 * use, and leak detection never sees Go's heap as growing.
 */
#ifndef MEMTRACE_GO_HEAP_BPF_H
#define MEMTRACE_GO_HEAP_BPF_H

#include "go_heap_bpf.h"

__u64 go_heap_counters[MT_GO_NCOUNTERS];

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mt_go_classes);
} go_classes SEC(".maps");

/* What mallocgc's heap gives a request of size bytes (see mt_go_classes).
 * Tiny requests (< 16 bytes without pointers) share 16-byte blocks, which
 * the entry cannot see: they are charged what they asked for. */
static __always_inline __u64 go_rounded(__u64 size)
{
	struct mt_go_classes *c;
	__u32 zero = 0, cls;

	c = bpf_map_lookup_elem(&go_classes, &zero);
	if (!c || !c->nclasses || size < MT_GO_TINY)
		return size;
	if (size > MT_GO_MAX_SMALL)
		return (size + MT_GO_PAGE - 1) & ~(__u64)(MT_GO_PAGE - 1);
	if (size <= MT_GO_SMALL_MAX - 8)
		cls = c->class8[((size + 7) >> 3) & 127];
	else
		cls = c->class128[((size - MT_GO_SMALL_MAX + 127) >> 7) & 255];
	cls &= 127;
	return cls && cls < c->nclasses ? c->class_to_size[cls] : size;
}

SEC("uprobe")
int go_mallocgc(struct pt_regs *ctx)
{
#if defined(__TARGET_ARCH_x86)
	struct mt_site_counts *c;
	struct pt_regs regs;
	struct proc p;
	__u64 size = ctx->ax, sp = ctx->sp, ret;
	__u32 site;

	if (!size || !proc_current(&p))
		return 0;
	/* The jbe is about to branch (CF or ZF set by the compare): read
	 * from the flags, not by comparing again, as another thread may set
	 * stackguard0 (to ask for preemption) between the two. */
	if (ctx->flags & ((1 << 0) | (1 << 6))) {
		__sync_fetch_and_add(&go_heap_counters[MT_GO_RESTARTS], 1);
		return 0;
	}
	if (bpf_probe_read_user(&ret, sizeof(ret), (void *)sp)) {
		__sync_fetch_and_add(&go_heap_counters[MT_GO_UNREADABLE], 1);
		return 0;
	}
	size = go_rounded(size);
	__sync_fetch_and_add(&go_heap_counters[MT_GO_CALLS], 1);
	__sync_fetch_and_add(&go_heap_counters[MT_GO_BYTES], size);
	if (!sampled(size))
		return 0;
	/* The stack as a return probe would see it: ip in the caller. */
	regs = *ctx;
	regs.ip = ret;
	regs.sp = sp + 8;
	site = current_site(&regs);
	c = bpf_map_lookup_elem(p.counts, &site);
	if (c) {
		__sync_fetch_and_add(&c->alloc_count, 1);
		__sync_fetch_and_add(&c->alloc_bytes, size);
		__sync_fetch_and_add(&c->free_count, 1);
		__sync_fetch_and_add(&c->free_bytes, size);
	}
#endif
	return 0;
}

#endif
