/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The otel_memory USDT contract (runtime/sampler/otel_memory.h), consumed:
 * otel_memory:alloc(ptr, size, weight) records a sampled block as the
 * uprobe path records one (record(): site counts, block table, in-use),
 * otel_memory:free(ptr) releases it.  The target did the sampling, so
 * nothing is sampled again here; weight (the target's period) is kept for
 * the collector, which scales sites as it does for --sample-bytes.
 *
 * Included by memtrace.bpf.c after record() and free_ptr(): the programs
 * share its maps.
 */
#ifndef MEMTRACE_OTEL_USDT_BPF_H
#define MEMTRACE_OTEL_USDT_BPF_H

#include <bpf/usdt.bpf.h>

/* The sampling period the target last reported (otel_memory:alloc's
 * weight); 0 until its first sample. */
__u64 otel_weight;
/* Contract events seen, and those whose arguments could not be read. */
__u64 otel_allocs, otel_frees, otel_bad_args;

SEC("usdt")
int otel_alloc(struct pt_regs *ctx)
{
	long ptr, size, weight;
	__u64 fp = PT_REGS_FP(ctx), frame[2];
	struct pt_regs regs;
	struct proc p;

	if (!proc_current(&p))
		return 0;
	if (bpf_usdt_arg(ctx, 0, &ptr) || bpf_usdt_arg(ctx, 1, &size) || bpf_usdt_arg(ctx, 2, &weight)) {
		__sync_fetch_and_add(&otel_bad_args, 1);
		return 0;
	}
	__sync_fetch_and_add(&otel_allocs, 1);
	if (weight > 0 && (__u64)weight != otel_weight)
		otel_weight = (__u64)weight;
	if (!ptr)
		return 0;
	/* The probe fires inside the allocator's wrapper, which keeps a frame
	 * pointer: its saved (fp, return address) is where the uprobe path's
	 * return probe would start, at the wrapper's caller.  Without one,
	 * the walk starts at the probe itself. */
	regs = *ctx;
	if (!bpf_probe_read_user(frame, sizeof(frame), (void *)fp)) {
		regs.ip = frame[1];
		regs.bp = frame[0];
		regs.sp = fp + 16;
	}
	record(&p, &regs, (__u64)ptr, (__u64)size, false);
	return 0;
}

SEC("usdt")
int otel_free(struct pt_regs *ctx)
{
	long ptr;

	if (!is_target())
		return 0;
	if (bpf_usdt_arg(ctx, 0, &ptr)) {
		__sync_fetch_and_add(&otel_bad_args, 1);
		return 0;
	}
	__sync_fetch_and_add(&otel_frees, 1);
	free_ptr((__u64)ptr);
	return 0;
}

#endif
