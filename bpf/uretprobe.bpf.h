/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Return addresses hidden by uretprobes.  While a function with a return
 * probe runs (memtrace's own on malloc, calloc, realloc...), the kernel has
 * replaced its return address on the stack with the address of the
 * uprobes trampoline (the [uprobes] mapping) and keeps the real one in the
 * thread's return_instances, by the stack slot it replaced.  A stack taken
 * inside such a function (a page fault in sysmalloc, the brk it calls)
 * meets the trampoline where its caller should be: these give the caller
 * back.  At an allocator's return its own probe's address is already
 * restored, but an outer probed function's (pymalloc's pool refill, which
 * calls calloc) is not.
 */
#ifndef MEMTRACE_URETPROBE_BPF_H
#define MEMTRACE_URETPROBE_BPF_H

#include <bpf/bpf_core_read.h>

#define URETPROBE_MAX_NESTED 8

/* The uprobes trampoline's address in the current process, 0 when it has
 * none (no return probe has fired in it yet). */
static __always_inline __u64 uretprobe_trampoline(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
}

/* The return address the trampoline replaced in stack slot `slot` (the
 * slot's address), 0 when no return probe of this thread replaced it. */
static __noinline __u64 uretprobe_orig(__u64 slot)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct return_instance *ri = BPF_CORE_READ(task, utask, return_instances);

	for (int k = 0; k < URETPROBE_MAX_NESTED && ri; k++) {
		if (BPF_CORE_READ(ri, stack) == slot)
			return BPF_CORE_READ(ri, orig_ret_vaddr);
		ri = BPF_CORE_READ(ri, next);
	}
	return 0;
}

/* A probed instruction runs out of line, as a copy in the [uprobes] area:
 * a fault in it is at the copy's address, xol_vaddr.  The address of the
 * instruction the program really executes is the probed one, vaddr. */
static __always_inline __u64 uretprobe_xol_ip(__u64 ip)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct uprobe_task *ut = BPF_CORE_READ(task, utask);

	if (ut && ip && BPF_CORE_READ(ut, xol_vaddr) == ip)
		return BPF_CORE_READ(ut, vaddr);
	return ip;
}

#endif
