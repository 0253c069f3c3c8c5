/* SPDX-License-Identifier: MIT */
/*
 * Bounded reads of the encodings .eh_frame and .debug_frame use: fixed-size
 * little-endian integers, LEB128 and DW_EH_PE_* pointers.  The bytes are the
 * target's (hostile): a read past the end, an over-long LEB128 or an
 * encoding x86-64 .eh_frame never uses sets `bad` and gives 0, and every
 * read after that gives 0 too, so a caller checks `bad` once per record.
 */
#ifndef MEMTRACE_EH_READ_H
#define MEMTRACE_EH_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A byte range of a section with the address it is loaded at. */
struct eh_cur {
	const uint8_t *p, *end;
	const uint8_t *base; /* section start */
	uint64_t vaddr;      /* sh_addr of base */
	bool bad;
};

/* n bytes (1-8), little-endian. */
uint64_t eh_u(struct eh_cur *c, size_t n);
uint64_t eh_uleb(struct eh_cur *c);
int64_t eh_sleb(struct eh_cur *c);
/* An address encoded as enc (DW_EH_PE_*): absolute or pc-relative (from
 * the cursor's own address); indirect, text-, data- and function-relative
 * ones are refused. */
uint64_t eh_ptr(struct eh_cur *c, uint8_t enc);

#endif
