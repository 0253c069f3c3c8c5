/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* A probed function's argument by number, for --alloc/--free/--realloc's argN. */
#ifndef MEMTRACE_ARG_N_BPF_H
#define MEMTRACE_ARG_N_BPF_H

/* Argument n (1-6) of the probed function; 0 when n is 0 (absent). */
static __always_inline __u64 arg_n(struct pt_regs *ctx, __u64 n)
{
	/* Loaded one by one at fixed offsets: the verifier rejects the
	 * ctx + variable offset load clang would otherwise make of a switch. */
	__u64 r1 = PT_REGS_PARM1(ctx), r2 = PT_REGS_PARM2(ctx), r3 = PT_REGS_PARM3(ctx);
	__u64 r4 = PT_REGS_PARM4(ctx), r5 = PT_REGS_PARM5(ctx);
#if defined(__TARGET_ARCH_x86)
	__u64 r6 = ctx->r9; /* libbpf 1.1 has no PT_REGS_PARM6 */
#else
	__u64 r6 = ctx->regs[5];
#endif

	barrier_var(r1);
	barrier_var(r2);
	barrier_var(r3);
	barrier_var(r4);
	barrier_var(r5);
	barrier_var(r6);
	switch (n) {
	case 1:
		return r1;
	case 2:
		return r2;
	case 3:
		return r3;
	case 4:
		return r4;
	case 5:
		return r5;
	case 6:
		return r6;
	}
	return 0;
}

#endif
