/* SPDX-License-Identifier: MIT */
/*
 * Where the function holding an address starts, in an object that may have
 * no symbol table: its .eh_frame_hdr, the binary-search table the unwinder
 * reads, lists every FDE's first address, and compilers emit one FDE per
 * function (stripping keeps it).  Addresses are the ELF image's own
 * (p_vaddr), like elfimg's.  The file is the target's, so hostile: every
 * read is bounded and an encoding other than the one x86-64 linkers write
 * (table entries as 4-byte offsets from the header) is refused.
 */
#ifndef MEMTRACE_FUNC_START_H
#define MEMTRACE_FUNC_START_H

#include <stdint.h>

/*
 * The greatest FDE start at or below vaddr in the object open on fd (the
 * caller's; open a target's file through target_file.h).  Returns 0,
 * -ENODATA when the object has no .eh_frame_hdr or no FDE starts at or
 * below vaddr, -EINVAL when the table is malformed.  vaddr may lie past
 * that function's end (padding, code without an FDE): the caller decides.
 */
int func_start_fd(int fd, uint64_t vaddr, uint64_t *start);

#endif
