// SPDX-License-Identifier: MIT
/* probe_offset: x86-64 length decoder and entry-probe placement. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfimg.h"
#include "probe_offset.h"

#define PLACE(out, ...)                                                      \
	do {                                                                 \
		static const uint8_t code_[] = { __VA_ARGS__ };              \
		cr_assert_eq(probe_place_x86_64(code_, sizeof(code_), (out)), 0); \
	} while (0)
#define PLACE_ARGS(out, nargs, ...)                                                       \
	do {                                                                              \
		static const uint8_t code_[] = { __VA_ARGS__ };                           \
		cr_assert_eq(probe_place_x86_64_args(code_, sizeof(code_), (nargs), (out)), 0); \
	} while (0)

static void expect(const struct probe_placement *pl, uint32_t skip, bool emulated)
{
	cr_expect_eq(pl->skip, skip, "skip %u, expected %u (%s)", pl->skip, skip, pl->why);
	cr_expect_eq(pl->emulated, emulated, "emulated %d, expected %d (%s)", pl->emulated, emulated,
		     pl->why);
	cr_expect_neq(pl->why[0], '\0');
}

/* ---- placement rules -------------------------------------------------- */

Test(probe_offset, glibc_free_skips_test_to_je)
{
	struct probe_placement pl;

	/* test %rdi,%rdi; je rel32; push %rbp; lea -0x10(%rdi),%rsi */
	PLACE(&pl, 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00, 0x55, 0x48, 0x8d, 0x77, 0xf0);
	expect(&pl, 3, true);
	cr_expect(strstr(pl.why, "je") && strstr(pl.why, "test %rdi,%rdi"), "%s", pl.why);
}

Test(probe_offset, push_rbp_entry_is_emulated_at_0)
{
	struct probe_placement pl;

	PLACE(&pl, 0x55, 0x48, 0x89, 0xe5); /* push %rbp; mov %rsp,%rbp */
	expect(&pl, 0, true);
	PLACE(&pl, 0x41, 0x54, 0x55, 0x53); /* push %r12 (glibc malloc) */
	expect(&pl, 0, true);
}

Test(probe_offset, push_variants_the_kernel_does_not_emulate)
{
	struct probe_placement pl;

	PLACE(&pl, 0x48, 0x50, 0x74, 0x00); /* rex.W push %rax: stepped, and writes rsp */
	expect(&pl, 0, false);
	PLACE(&pl, 0x66, 0x50, 0x74, 0x00); /* pushw %ax */
	expect(&pl, 0, false);
}

Test(probe_offset, unknown_first_instruction_is_unsure)
{
	struct probe_placement pl;

	PLACE(&pl, 0x0f, 0x0b, 0x74, 0x00); /* ud2 */
	expect(&pl, 0, false);
	cr_expect(!strncmp(pl.why, "unsure: 0f 0b", 13), "%s", pl.why);
	PLACE(&pl, 0xc5, 0xf9, 0xef, 0xc0, 0x74, 0x00); /* vpxor (VEX): not modelled */
	expect(&pl, 0, false);
	cr_expect(!strncmp(pl.why, "unsure:", 7), "%s", pl.why);
}

Test(probe_offset, unknown_later_instruction_falls_back_to_entry)
{
	struct probe_placement pl;

	PLACE(&pl, 0x48, 0x85, 0xff, 0x0f, 0x0b, 0x74, 0x00); /* test; ud2; je */
	expect(&pl, 0, false);
	cr_expect(!strncmp(pl.why, "unsure:", 7), "%s", pl.why);
}

Test(probe_offset, mov_into_non_argument_register_is_skipped)
{
	struct probe_placement pl;

	PLACE(&pl, 0x48, 0x89, 0xfb, 0xeb, 0x10); /* mov %rdi,%rbx; jmp */
	expect(&pl, 3, true);
	PLACE(&pl, 0x48, 0x89, 0xf8, 0xe8, 0, 0, 0, 0); /* mov %rdi,%rax; call */
	expect(&pl, 3, true);
	PLACE(&pl, 0x4c, 0x8b, 0x1d, 1, 2, 3, 4, 0x74, 0x00); /* mov x(%rip),%r11; je */
	expect(&pl, 7, true);
	PLACE(&pl, 0x31, 0xc0, 0x75, 0x00); /* xor %eax,%eax; jne */
	expect(&pl, 2, true);
	PLACE(&pl, 0x4c, 0x8d, 0x57, 0xf0, 0x74, 0x00); /* lea -0x10(%rdi),%r10; je */
	expect(&pl, 4, true);
}

Test(probe_offset, write_to_an_argument_register_stops)
{
	struct probe_placement pl;

	PLACE(&pl, 0x48, 0x89, 0xf7, 0xeb, 0x10); /* mov %rsi,%rdi; jmp */
	expect(&pl, 0, false);
	cr_expect(strstr(pl.why, "%rdi") != NULL, "%s", pl.why);
	PLACE(&pl, 0x49, 0x89, 0xf8, 0x74, 0x00); /* mov %rdi,%r8; je */
	expect(&pl, 0, false);
	PLACE(&pl, 0x48, 0x8d, 0x77, 0xf0, 0x74, 0x00); /* lea -0x10(%rdi),%rsi; je */
	expect(&pl, 0, false);
	/* glibc reallocarray: mov %rsi,%rax; mul %rdx (writes rdx:rax); mov %rax,%rsi; jo */
	PLACE(&pl, 0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2, 0x48, 0x89, 0xc6, 0x70, 0x05);
	expect(&pl, 0, false);
	cr_expect(strstr(pl.why, "%rdx") != NULL, "%s", pl.why);
	PLACE(&pl, 0x48, 0x99, 0x74, 0x00); /* cqto writes rdx */
	expect(&pl, 0, false);
}

Test(probe_offset, byte_registers_without_rex_are_the_high_bytes)
{
	struct probe_placement pl;

	PLACE(&pl, 0x88, 0xc5, 0x74, 0x00); /* mov %al,%ch: writes rcx */
	expect(&pl, 0, false);
	PLACE(&pl, 0x40, 0x88, 0xc5, 0x74, 0x00); /* mov %al,%bpl: writes rbp */
	expect(&pl, 3, true);
	PLACE(&pl, 0x0f, 0x94, 0xc7, 0x74, 0x00); /* sete %bh */
	expect(&pl, 3, true);
	PLACE(&pl, 0x40, 0x0f, 0x94, 0xc7, 0x74, 0x00); /* sete %dil */
	expect(&pl, 0, false);
}

Test(probe_offset, rsp_and_memory_writes_stop)
{
	struct probe_placement pl;

	PLACE(&pl, 0x48, 0x83, 0xec, 0x18, 0x74, 0x00); /* sub $0x18,%rsp; je */
	expect(&pl, 0, false);
	PLACE(&pl, 0x5b, 0x74, 0x00); /* pop %rbx */
	expect(&pl, 0, false);
	PLACE(&pl, 0x48, 0x89, 0x44, 0x24, 0x08, 0x74, 0x00); /* mov %rax,0x8(%rsp) */
	expect(&pl, 0, false);
	PLACE(&pl, 0xc7, 0x05, 1, 2, 3, 4, 1, 0, 0, 0, 0x74, 0x00); /* movl $1,x(%rip) */
	expect(&pl, 0, false);
	cr_expect(strstr(pl.why, "memory") != NULL, "%s", pl.why);
}

Test(probe_offset, compares_and_tests_are_skipped)
{
	struct probe_placement pl;

	/* glibc posix_memalign: cmpb $0,x(%rip); push %r12 */
	PLACE(&pl, 0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00, 0x41, 0x54);
	expect(&pl, 7, true);
	cr_expect(strstr(pl.why, "push %r12") != NULL, "%s", pl.why);
	/* jemalloc malloc: cmp $0x1000,%rdi; ja rel32 */
	PLACE(&pl, 0x48, 0x81, 0xff, 0x00, 0x10, 0x00, 0x00, 0x0f, 0x87, 0x93, 0, 0, 0);
	expect(&pl, 7, true);
	/* tcmalloc malloc: mov x(%rip),%rax; test %rax,%rax; jne */
	PLACE(&pl, 0x48, 0x8b, 0x05, 0x59, 0xab, 0, 0, 0x48, 0x85, 0xc0, 0x75, 0x75);
	expect(&pl, 10, true);
	/* test $2,%al; testb $1,8(%rdi); cmp %rsi,%rdi; jae */
	PLACE(&pl, 0xa8, 0x02, 0xf6, 0x47, 0x08, 0x01, 0x48, 0x39, 0xf7, 0x73, 0x00);
	expect(&pl, 9, true);
}

Test(probe_offset, endbr64_is_single_stepped_and_skipped)
{
	struct probe_placement pl;

	PLACE(&pl, 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5); /* endbr64; push %rbp */
	expect(&pl, 4, true);
	PLACE(&pl, 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0x74, 0x10); /* endbr64; test; je */
	expect(&pl, 7, true);
	PLACE(&pl, 0xf3, 0x0f, 0x1e, 0xfa); /* nothing after it in the window */
	expect(&pl, 0, false);
}

Test(probe_offset, ret_and_indirect_branches_are_not_emulated)
{
	struct probe_placement pl;

	PLACE(&pl, 0xc3);
	expect(&pl, 0, false);
	PLACE(&pl, 0x48, 0x85, 0xff, 0xc3); /* test; ret */
	expect(&pl, 0, false);
	PLACE(&pl, 0xff, 0x25, 1, 2, 3, 4); /* jmp *x(%rip) */
	expect(&pl, 0, false);
	PLACE(&pl, 0x48, 0x85, 0xff, 0xff, 0xe0); /* test; jmp *%rax */
	expect(&pl, 0, false);
}

Test(probe_offset, branches_at_entry_are_emulated)
{
	struct probe_placement pl;

	PLACE(&pl, 0xe9, 0x6b, 0x5c, 0xff, 0xff); /* mimalloc posix_memalign: jmp */
	expect(&pl, 0, true);
	PLACE(&pl, 0x74, 0x05);
	expect(&pl, 0, true);
	PLACE(&pl, 0xe8, 0, 0, 0, 0);
	expect(&pl, 0, true);
	PLACE(&pl, 0xf2, 0xe9, 0, 0, 0, 0); /* bnd jmp */
	expect(&pl, 0, true);
}

Test(probe_offset, prefixes_the_kernel_refuses)
{
	struct probe_placement pl;

	PLACE(&pl, 0x66, 0xe9, 0, 0); /* jmpw: branch_setup_xol_ops refuses 66 */
	expect(&pl, 0, false);
	PLACE(&pl, 0x48, 0x85, 0xff, 0x3e, 0x74, 0x00); /* test; ds je */
	expect(&pl, 0, false);
	PLACE(&pl, 0xf0, 0x48, 0x0f, 0xb1, 0x17); /* lock cmpxchg: not even decoded */
	expect(&pl, 0, false);
}

Test(probe_offset, nops)
{
	struct probe_placement pl;

	PLACE(&pl, 0x90, 0x55);
	expect(&pl, 0, true);
	PLACE(&pl, 0x66, 0x90, 0x55);
	expect(&pl, 0, true);
	PLACE(&pl, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x55); /* nop5: emulated (and optimized) on 6.18 */
	expect(&pl, 0, true);
	PLACE(&pl, 0x48, 0x85, 0xff, 0x0f, 0x1f, 0x40, 0x00); /* test; nop4 */
	expect(&pl, 3, true);
	PLACE(&pl, 0x41, 0x90, 0x74, 0x00); /* xchg %eax,%r8d is not a nop */
	expect(&pl, 0, false);
}

Test(probe_offset, at_most_four_instructions)
{
	struct probe_placement pl;

	/* 4 x test %rdi,%rdi; je */
	PLACE(&pl, 0x48, 0x85, 0xff, 0x48, 0x85, 0xff, 0x48, 0x85, 0xff, 0x48, 0x85, 0xff, 0x74, 0x00);
	expect(&pl, 12, true);
	/* 5 x test; je */
	PLACE(&pl, 0x48, 0x85, 0xff, 0x48, 0x85, 0xff, 0x48, 0x85, 0xff, 0x48, 0x85, 0xff, 0x48, 0x85,
	      0xff, 0x74, 0x00);
	expect(&pl, 0, false);
}

Test(probe_offset, at_most_32_bytes)
{
	struct probe_placement pl;

	/* cmpq $imm32,disp32(%rip) is 11 bytes: two then je = skip 22 */
	PLACE(&pl, 0x48, 0x81, 0x3d, 1, 2, 3, 4, 5, 6, 7, 8, 0x48, 0x81, 0x3d, 1, 2, 3, 4, 5, 6, 7, 8,
	      0x74, 0x00);
	expect(&pl, 22, true);
	/* three of them = 33 bytes */
	PLACE(&pl, 0x48, 0x81, 0x3d, 1, 2, 3, 4, 5, 6, 7, 8, 0x48, 0x81, 0x3d, 1, 2, 3, 4, 5, 6, 7, 8,
	      0x48, 0x81, 0x3d, 1, 2, 3, 4, 5, 6, 7, 8, 0x74, 0x00);
	expect(&pl, 0, false);
}

Test(probe_offset, truncated_code)
{
	struct probe_placement pl;
	static const uint8_t code[] = { 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf };

	cr_assert_eq(probe_place_x86_64(code, sizeof(code), &pl), 0);
	expect(&pl, 0, false);
	cr_assert_eq(probe_place_x86_64(code, 0, &pl), 0);
	expect(&pl, 0, false);
	cr_expect_eq(probe_place_x86_64(NULL, 4, &pl), -EINVAL);
	cr_expect_eq(probe_place_x86_64(code, 4, NULL), -EINVAL);
}

Test(probe_offset, fewer_arguments_allow_more_skipping)
{
	struct probe_placement pl;

	/* mimalloc free: mov %rdi,%rcx; test %rdi,%rdi; je */
	PLACE_ARGS(&pl, 1, 0x48, 0x89, 0xf9, 0x48, 0x85, 0xff, 0x74, 0x5d);
	expect(&pl, 6, true);
	PLACE_ARGS(&pl, 6, 0x48, 0x89, 0xf9, 0x48, 0x85, 0xff, 0x74, 0x5d);
	expect(&pl, 0, false);
	/* tcmalloc memalign(align, size): mov %rdi,%r8; cmp $0x2000,%rdi; ja */
	PLACE_ARGS(&pl, 2, 0x49, 0x89, 0xf8, 0x48, 0x81, 0xff, 0, 0x20, 0, 0, 0x0f, 0x87, 0xe8, 0, 0, 0);
	expect(&pl, 10, true);
	/* rsp is kept whatever nargs says */
	PLACE_ARGS(&pl, 0, 0x48, 0x83, 0xec, 0x18, 0x74, 0x00);
	expect(&pl, 0, false);
}

Test(probe_offset, arm64_is_a_stub)
{
	struct probe_placement pl;
	static const uint8_t code[] = { 0xfd, 0x7b, 0xbf, 0xa9 }; /* stp x29, x30, [sp, #-16]! */

	cr_assert_eq(probe_place(PROBE_ARCH_ARM64, code, sizeof(code), 6, &pl), 0);
	expect(&pl, 0, false);
}

/* ---- length decoder --------------------------------------------------- */

struct len_case {
	uint8_t b[16];
	int n, want;
	const char *what;
};

Test(probe_offset, insn_lengths)
{
	static const struct len_case cases[] = {
		{ { 0x48, 0x8b, 0x05, 1, 2, 3, 4 }, 7, 7, "mov x(%rip),%rax" },
		{ { 0x48, 0x8d, 0x7c, 0x37, 0xff }, 5, 5, "lea -1(%rdi,%rsi),%rdi" },
		{ { 0x64, 0x48, 0x8b, 0x38 }, 4, 4, "mov %fs:(%rax),%rdi" },
		{ { 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 8, 8, "nopl 0(%rax,%rax)" },
		{ { 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 11, 11, "data16 cs nopw" },
		{ { 0x48, 0xc7, 0x44, 0x24, 0x08, 1, 0, 0, 0 }, 9, 9, "movq $1,8(%rsp)" },
		{ { 0x66, 0xc7, 0x44, 0x24, 0x08, 1, 0 }, 7, 7, "movw $1,8(%rsp)" },
		{ { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 10, "movabs $imm64,%rax" },
		{ { 0xb8, 1, 2, 3, 4 }, 5, 5, "mov $imm32,%eax" },
		{ { 0x66, 0xb8, 1, 2 }, 4, 4, "mov $imm16,%ax" },
		{ { 0x41, 0xbb, 1, 2, 3, 4 }, 6, 6, "mov $imm32,%r11d" },
		{ { 0x48, 0x81, 0xec, 0, 1, 0, 0 }, 7, 7, "sub $0x100,%rsp" },
		{ { 0x48, 0x83, 0xec, 0x10 }, 4, 4, "sub $0x10,%rsp" },
		{ { 0xc1, 0xe8, 0x03 }, 3, 3, "shr $3,%eax" },
		{ { 0x48, 0xd1, 0xe0 }, 3, 3, "shl %rax" },
		{ { 0xf3, 0x0f, 0x1e, 0xfa }, 4, 4, "endbr64" },
		{ { 0x0f, 0xb6, 0x07 }, 3, 3, "movzbl (%rdi),%eax" },
		{ { 0x48, 0x0f, 0xbf, 0x04, 0x24 }, 5, 5, "movswq (%rsp),%rax" },
		{ { 0x48, 0x0f, 0xaf, 0xc6 }, 4, 4, "imul %rsi,%rax" },
		{ { 0x6b, 0xc0, 0x0c }, 3, 3, "imul $12,%eax,%eax" },
		{ { 0x69, 0xc0, 1, 2, 3, 4 }, 6, 6, "imul $imm32,%eax,%eax" },
		{ { 0xa8, 0x02 }, 2, 2, "test $2,%al" },
		{ { 0xa9, 1, 2, 3, 4 }, 5, 5, "test $imm32,%eax" },
		{ { 0x3d, 1, 2, 3, 4 }, 5, 5, "cmp $imm32,%eax" },
		{ { 0xf6, 0x47, 0x08, 0x01 }, 4, 4, "testb $1,8(%rdi)" },
		{ { 0xf7, 0xc7, 1, 2, 3, 4 }, 6, 6, "test $imm32,%edi" },
		{ { 0x48, 0xf7, 0xe6 }, 3, 3, "mul %rsi" },
		{ { 0x4c, 0x8b, 0x04, 0xc5, 0, 0, 0, 0 }, 8, 8, "mov 0(,%rax,8),%r8 (SIB, no base)" },
		{ { 0x8b, 0x44, 0x24, 0x08 }, 4, 4, "mov 8(%rsp),%eax" },
		{ { 0x8b, 0x84, 0x24, 0, 1, 0, 0 }, 7, 7, "mov 0x100(%rsp),%eax" },
		{ { 0x41, 0x8b, 0x45, 0x00 }, 4, 4, "mov 0(%r13),%eax" },
		{ { 0x42, 0x8b, 0x04, 0x25, 0, 0, 0, 0 }, 8, 8, "mov abs32,%eax (SIB base 5, mod 0)" },
		{ { 0x0f, 0x84, 1, 2, 3, 4 }, 6, 6, "je rel32" },
		{ { 0x74, 0x10 }, 2, 2, "je rel8" },
		{ { 0xe8, 1, 2, 3, 4 }, 5, 5, "call" },
		{ { 0xc3 }, 1, 1, "ret" },
		{ { 0x0f, 0x44, 0xc2 }, 3, 3, "cmove %edx,%eax" },
		{ { 0x48, 0x63, 0xc7 }, 3, 3, "movslq %edi,%rax" },
		{ { 0x80, 0x3d, 1, 2, 3, 4, 0 }, 7, 7, "cmpb $0,x(%rip)" },
		{ { 0x41, 0x57 }, 2, 2, "push %r15" },
		{ { 0x25, 0xf0, 0, 0, 0 }, 5, 5, "and $0xf0,%eax" },
		{ { 0x48, 0x8b }, 2, -1, "truncated mov" },
		{ { 0x0f, 0x84, 1, 2 }, 4, -1, "truncated je rel32" },
		{ { 0x0f, 0x0b }, 2, -1, "ud2" },
		{ { 0x48 }, 1, -1, "lone REX" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(probe_x86_insn_length(cases[i].b, (size_t)cases[i].n), cases[i].want,
			     "%s: length %d, expected %d", cases[i].what,
			     probe_x86_insn_length(cases[i].b, (size_t)cases[i].n), cases[i].want);
}

/* ---- real libraries --------------------------------------------------- */

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"

static uint64_t file_offset_of(const char *path, const char *fn)
{
	struct elf_image *img;
	const struct elf_sym *s;
	uint64_t off = 0;

	cr_assert_eq(elf_image_load(NULL, path, &img), 0, "cannot load %s", path);
	s = elf_image_find(img, fn, true);
	cr_assert(s, "%s not in %s", fn, path);
	cr_assert_eq(elf_vaddr_to_offset(img, s->addr, &off), 0);
	elf_image_free(img);
	return off;
}

Test(probe_offset, real_glibc_free)
{
	struct probe_placement pl, pl2;
	uint8_t code[PROBE_CODE_WINDOW];
	uint64_t off;
	FILE *f;

	if (access(LIBC, R_OK))
		cr_skip_test("%s missing", LIBC);
	off = file_offset_of(LIBC, "free");
	cr_assert_eq(probe_place_file(LIBC, off, &pl), 0);
	cr_expect_gt(pl.skip, 0, "%s", pl.why);
	cr_expect(pl.emulated, "%s", pl.why);
	cr_expect_leq(pl.skip, PROBE_MAX_SKIP_BYTES);
	/* the file variant agrees with the byte variant */
	f = fopen(LIBC, "rb");
	cr_assert(f);
	cr_assert_eq(fseeko(f, (off_t)off, SEEK_SET), 0);
	cr_assert_eq(fread(code, 1, sizeof(code), f), sizeof(code));
	fclose(f);
	cr_assert_eq(probe_place_x86_64(code, sizeof(code), &pl2), 0);
	cr_expect_eq(pl.skip, pl2.skip);
	cr_expect_str_eq(pl.why, pl2.why);
	/* and the probed instruction is a real instruction boundary */
	cr_expect_gt(probe_x86_insn_length(code + pl.skip, sizeof(code) - pl.skip), 0);
}

Test(probe_offset, real_glibc_malloc_is_emulated)
{
	struct probe_placement pl;

	if (access(LIBC, R_OK))
		cr_skip_test("%s missing", LIBC);
	cr_assert_eq(probe_place_file(LIBC, file_offset_of(LIBC, "malloc"), &pl), 0);
	cr_expect(pl.emulated, "%s", pl.why);
	cr_expect_leq(pl.skip, PROBE_MAX_SKIP_BYTES);
}

Test(probe_offset, file_errors)
{
	struct probe_placement pl;
	char tmpl[] = "/tmp/probe_offset_XXXXXX";
	int fd;

	cr_expect_eq(probe_place_file("/nonexistent/libc.so", 0, &pl), -ENOENT);
	fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "not an ELF file at all\n", 23), 23);
	close(fd);
	cr_expect_eq(probe_place_file(tmpl, 0, &pl), -EINVAL);
	unlink(tmpl);
	if (!access(LIBC, R_OK))
		cr_expect_eq(probe_place_file(LIBC, 1ull << 40, &pl), -EINVAL);
}
