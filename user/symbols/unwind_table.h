/* SPDX-License-Identifier: MIT */
/*
 * Unwind tables of one ELF object (x86-64): its .eh_frame (and .debug_frame
 * when present, zlib-compressed or not: unwind_sections.h finds them)
 * compiled into compact rows sorted by address, the form a
 * stack walk without frame pointers needs (issue 14).  A row holds from its
 * pc to the next row's pc and says how to find the caller's frame there:
 *
 *	CFA = rsp + cfa_off | rbp + cfa_off | PLT form | cannot be followed
 *	return address at CFA - 8 (the only rule x86-64 compilers emit; a
 *	    frame with another is marked UNW_CFA_OTHER)
 *	rbp unchanged | saved at CFA + rbp_off | cannot be followed
 *
 * Addresses are the ELF image's own (p_vaddr), like elfimg's.  Gaps between
 * FDEs are UNW_CFA_NONE rows: no table covers the code there.  The input is
 * the target's file, so hostile: every read is bounded, a malformed entry is
 * skipped (counted in `bad_entries`), never trusted.
 */
#ifndef MEMTRACE_UNWIND_TABLE_H
#define MEMTRACE_UNWIND_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum unwind_cfa {
	UNW_CFA_NONE = 0,  /* no FDE covers this address */
	UNW_CFA_RSP = 1,   /* CFA = rsp + cfa_off */
	UNW_CFA_RBP = 2,   /* CFA = rbp + cfa_off */
	/* PLT entries' expression: CFA = rsp + cfa_off, + 8 more when
	 * (pc & 15) >= rbp_off (the entry's push has run). */
	UNW_CFA_PLT = 3,
	UNW_CFA_OUTERMOST = 4, /* the return address is undefined: the stack's first frame (_start, thread start) */
	UNW_CFA_OTHER = 5,     /* another register or expression (signal frames): a walk stops here */
};

enum unwind_rbp {
	UNW_RBP_SAME = 0,  /* this frame leaves rbp as its caller had it */
	UNW_RBP_AT = 1,    /* the caller's rbp is saved at CFA + rbp_off */
	UNW_RBP_OTHER = 2, /* in another register or an expression: unknown past this frame */
};

/* 12 bytes: the kernel memory of a table is 12 bytes a row. */
struct unwind_row {
	uint32_t pc; /* ELF vaddr where the row starts to hold */
	int32_t cfa_off;
	int16_t rbp_off;
	uint8_t cfa; /* enum unwind_cfa */
	uint8_t rbp; /* enum unwind_rbp */
};

struct unwind_table {
	struct unwind_row *rows; /* sorted by pc, no two neighbours equal past pc */
	size_t nrows;
	size_t fdes;        /* FDEs compiled */
	size_t fp_fdes;     /* of them, those with a row CFA = rbp + 16 (push rbp; mov rbp,rsp): unwind_fp.h */
	size_t frame_fdes;  /* of them, those with a row other than CFA = rsp + 8 (they make a frame) */
	bool go;            /* a Go binary (.note.go.buildid or .go.buildinfo): keeps frame pointers on amd64 */
	size_t bad_entries; /* CIEs/FDEs skipped as malformed or unsupported; a compressed section that will not inflate counts 1 */
	uint64_t text_bytes; /* size of the executable PT_LOAD segments */
	struct {
		uint64_t vaddr, offset, filesz;
	} loads[8]; /* the first PT_LOAD segments: where a mapping's file offset lies in ELF addresses */
	int nloads;
};

/*
 * Compiles the tables of the ELF object open on fd (the caller's; open a
 * target's file through target_file.h).  Returns 0, -EINVAL when fd is not
 * a 64-bit x86-64 ELF, -ENODATA when it has no .eh_frame or .debug_frame,
 * -E2BIG when its code lies above 4 GiB, -ENOMEM.
 */
int unwind_table_load_fd(int fd, struct unwind_table **out);
/* The row holding at ELF vaddr pc, or NULL when pc is before every row. */
const struct unwind_row *unwind_table_find(const struct unwind_table *t, uint64_t pc);
void unwind_table_free(struct unwind_table *t);

#endif
