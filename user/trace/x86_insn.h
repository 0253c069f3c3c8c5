/* SPDX-License-Identifier: MIT */
/*
 * A decoder for the x86-64 instructions compilers put in function
 * prologues: each one's length, whether it branches, which registers and
 * whether memory it writes, and whether the kernel's uprobes emulate or
 * refuse it (probe_offset.h says which and why).  An instruction it does
 * not know is K_UNKNOWN or not decoded at all, never guessed.
 */
#ifndef MEMTRACE_X86_INSN_H
#define MEMTRACE_X86_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9 };

enum x86_kind {
	K_PLAIN,   /* falls through, effects in `writes` / `mem_write` */
	K_BRANCH,  /* control transfer (emulated or not: see `emulated`) */
	K_UNKNOWN, /* length decoded but semantics not modelled */
};

struct x86_insn {
	int len;
	enum x86_kind kind;
	bool emulated;    /* the kernel emulates it (no single-step) */
	bool refused;     /* the kernel refuses to probe it (lock/es/cs/ss/ds prefix) */
	uint32_t writes;  /* bit n: GPR n (0=rax ... 15=r15) written */
	bool mem_write;   /* stores to memory */
	char text[48];    /* "test %rdi,%rdi" */
};

/* The 64-bit register names, by number (RAX ...). */
extern const char *const reg64[16];

/* Decodes the instruction at code[0..n); false when truncated or unknown. */
bool x86_decode(const uint8_t *code, size_t n, struct x86_insn *in);

/* snprintf that may truncate on purpose (the texts are for humans); returns the length written. */
__attribute__((format(printf, 3, 4))) int sfmt(char *buf, size_t n, const char *fmt, ...);

#endif
