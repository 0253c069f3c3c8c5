/* SPDX-License-Identifier: MIT */
/*
 * Where to put an entry uprobe on an allocator function so that the kernel
 * emulates the probed instruction instead of single-stepping it out of line.
 *
 * x86-64 (arch/x86/kernel/uprobes.c, arch_uprobe_analyze_insn):
 *   emulated   branch_setup_xol_ops(): jmp rel8/rel32 (eb, e9), call rel32
 *              (e8), jcc rel8/rel32 (70-7f, 0f 80-8f), none with a 66 prefix;
 *              nop (prefix* 90) and, since 6.18, the kernel's own x86_nops[]
 *              (66 90, 0f 1f 00, 0f 1f 40 00, 0f 1f 44 00 00, ...).
 *              push_setup_xol_ops() (6.x; present in 6.18): push %reg (50-57), push
 *              %r8-%r15 (41 50-57), no other prefix.
 *   optimized  6.18+: a 5-byte nop is rewritten into a call to a uprobe
 *              trampoline + uprobe syscall (no trap at all).
 *   XOL        everything else, including ret, indirect jmp/call, endbr64
 *              (f3 0f 1e fa: no special case in any kernel so far), test,
 *              cmp, mov: int3 + single step + debug trap, ~10x the cost
 *              (measured on 6.18: ~9.6 us XOL vs ~0.6-0.8 us emulated).
 *   refused    insns with a lock or es/cs/ss/ds segment prefix (is_prefix_bad).
 *
 * The placement walks the straight-line prologue from the entry over at most
 * PROBE_MAX_SKIP_INSNS instructions / PROBE_MAX_SKIP_BYTES bytes that are not
 * branches, write no argument register, no %rsp and no memory, and stops at
 * the first emulated instruction.  The skipped instructions all fall through
 * to the probed one, so it runs on every call with the arguments and [rsp]
 * (return address) as they were at the entry.  Anything else -- an
 * instruction it cannot decode or classify, a write to an argument or %rsp,
 * a branch the kernel does not emulate, the limits -- gives skip = 0.
 * (Residual risk: code elsewhere jumping into the skipped bytes, which a
 * compiler only does for loops, never in these prologues.)
 *
 * arm64 (arch/arm64/kernel/probes/decode-insn.c, simulate-insn.c): uprobes
 * *simulate* b, bl, b.cond, cbz/cbnz, tbz/tbnz, br/blr/ret, adr/adrp and
 * ldr/ldrsw literal; recent kernels (Liao Chang's patches, ~6.13+; unverified
 * here) add nop and "stp x29, x30, [sp, #-imm]!".  Everything else is stepped
 * out of line.  An arm64 walker would skip e.g. "paciasp"/"bti c" style hints
 * and "mov x9, x0" into non-argument registers (x0-x7 are the arguments).  Placement for arm64 is not
 * implemented: probe_place() returns skip 0, emulated false.
 */
#ifndef MEMTRACE_PROBE_OFFSET_H
#define MEMTRACE_PROBE_OFFSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_MAX_SKIP_INSNS 4
#define PROBE_MAX_SKIP_BYTES 32
/* Bytes of the function read by probe_place_file(). */
#define PROBE_CODE_WINDOW 64
/* All six SysV integer argument registers: rdi rsi rdx rcx r8 r9. */
#define PROBE_ARGS_ALL 6

/* Where to place an entry probe on a function whose first bytes are code[0..len). */
struct probe_placement {
	uint32_t skip; /* bytes from the function entry to the probed instruction; 0 = entry */
	bool emulated; /* the kernel emulates the probed instruction (no single-step) */
	char why[96];  /* human-readable reason, for -v: "+3: je (emulated) after test %rdi,%rdi" */
};

enum probe_arch {
	PROBE_ARCH_X86_64,
	PROBE_ARCH_ARM64,
};

/*
 * Places the probe; `out` is always filled (skip 0 when unsure).  Returns 0,
 * or -EINVAL for bad arguments.  probe_place_x86_64() keeps all six argument
 * registers; the _args variant only the first `nargs` (free() needs just rdi,
 * so e.g. mimalloc's free "mov %rdi,%rcx; test %rdi,%rdi; je" can go to +6).
 */
int probe_place_x86_64(const uint8_t *code, size_t len, struct probe_placement *out);
int probe_place_x86_64_args(const uint8_t *code, size_t len, unsigned nargs,
			    struct probe_placement *out);
/* Per-arch dispatch; arm64 is a stub (skip 0). */
int probe_place(enum probe_arch arch, const uint8_t *code, size_t len, unsigned nargs,
		struct probe_placement *out);

/*
 * Reads the function's first bytes from an ELF file at a file offset and places
 * the probe (the arch from the ELF header).  Returns 0, -errno when the file
 * cannot be read, -EINVAL when it is not ELF or the offset is outside it.
 */
int probe_place_file(const char *path, uint64_t file_offset, struct probe_placement *out);
int probe_place_file_args(const char *path, uint64_t file_offset, unsigned nargs,
			  struct probe_placement *out);

/* Length of the x86-64 instruction at code[0..len), or -1 if not decoded. */
int probe_x86_insn_length(const uint8_t *code, size_t len);

#endif
