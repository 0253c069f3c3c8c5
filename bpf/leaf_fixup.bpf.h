/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The caller a frameless syscall wrapper hides (leaf_fixup): for the fault
 * tracer's mmap-family programs (faults.bpf.c), which walk the stack from
 * the syscall instruction.  The includer defines fcounters (struct
 * mt_fault_counters, leaf_fixups is bumped per frame inserted) and includes
 * frames.bpf.h (struct frames_ctx) first.
 */
#ifndef MEMTRACE_LEAF_FIXUP_BPF_H
#define MEMTRACE_LEAF_FIXUP_BPF_H

/* frames[k] = frames[k - 1] for k from n down to 2 (index i counts down). */
static long shift_step(__u32 i, struct frames_ctx *c)
{
	__u32 k = c->n - i;

	if (k < 2 || k >= MT_MAX_FRAMES)
		return 1;
	c->a[k] = c->a[k - 1];
	return 0;
}

struct exec_ctx {
	bool exec;
};

static long exec_cb(struct task_struct *task, struct vm_area_struct *vma, struct exec_ctx *c)
{
	c->exec = (vma->vm_flags & MT_VM_EXEC) != 0;
	return 0;
}

/* Is the instruction before ret a call (rel32, or indirect through ModRM /2)? */
static __always_inline bool is_call_site(__u64 ret)
{
	__u8 b[8];

	if (ret < 8 || bpf_probe_read_user(b, sizeof(b), (void *)(ret - 8)))
		return false;
	if (b[3] == 0xe8) /* call rel32 */
		return true;
	/* ff /2: call *%reg (ret-2), *d8(%reg) (ret-3), *d32(%rip) (ret-6), with SIB (ret-7) */
	return (b[6] == 0xff && ((b[7] >> 3) & 7) == 2) || (b[5] == 0xff && ((b[6] >> 3) & 7) == 2) ||
	       (b[2] == 0xff && ((b[3] >> 3) & 7) == 2) || (b[1] == 0xff && ((b[2] >> 3) & 7) == 2);
}

/*
 * A syscall wrapper (glibc's mmap64, munmap, __brk, madvise, syscall) is a
 * leaf without a frame: the frame-pointer walk goes from the user ip straight
 * to the return address of its caller's caller, losing the caller.  At the
 * syscall instruction the caller's return address is at [sp]: insert it as
 * frames[1] when it follows a call instruction in an executable mapping and
 * is not already there.  Wrappers with a stack frame (glibc's variadic
 * mremap) keep something else at [sp]: their caller stays lost.
 * Returns whether it inserted a frame.
 */
static __always_inline bool leaf_fixup(struct mt_fault_site_value *sc, __u32 *n)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct exec_ctx c = {};
	__u64 ret = 0, sp;

	if (*n < 1 || *n >= MT_MAX_FRAMES || sc->frames[0] == MT_FRAME_TRUNCATED || sc->frames[0] == MT_FRAME_EXEC)
		return false;
	sp = BPF_CORE_READ(regs, sp);
	if (bpf_probe_read_user(&ret, sizeof(ret), (void *)sp) || !ret)
		return false;
	if (*n >= 2 && sc->frames[1] == ret)
		return false;
	if (!is_call_site(ret))
		return false;
	if (bpf_find_vma(task, ret, exec_cb, &c, 0) || !c.exec)
		return false;
	/* Shift frames[1..n) up by one. */
	{
		struct frames_ctx sc_ctx = { .a = sc->frames, .n = *n < MT_MAX_FRAMES ? *n : MT_MAX_FRAMES - 1 };

		bpf_loop(sc_ctx.n, shift_step, &sc_ctx, 0);
	}
	sc->frames[1] = ret;
	(*n)++;
	__sync_fetch_and_add(&fcounters.leaf_fixups, 1);
	return true;
}

#endif
