/* SPDX-License-Identifier: MIT */
/*
 * Whether an address given by hand (--alloc OBJECT+0xADDR, FUNC+OFF) starts
 * an instruction.  A uprobe writes int3 over the byte at its address: inside
 * an instruction that byte is an opcode's operand or a later opcode, and the
 * probed process runs corrupted code (redis-server died of SIGILL with its
 * zmalloc probed one byte in).  The check decodes forward from the start of
 * the function holding the address: its symbol, or for a stripped object
 * the FDE start of .eh_frame_hdr (func_start.h), with x86_insn's decoder.
 */
#ifndef MEMTRACE_PROBE_BOUNDARY_H
#define MEMTRACE_PROBE_BOUNDARY_H

#include <stdint.h>

#include "elfimg.h"

/* The longest run of code decoded to reach an address. */
#define PROBE_BOUNDARY_MAX_BYTES 65536

/*
 * Checks ELF address vaddr of the object at path (host path; img its
 * symbols).  Returns 0 when vaddr starts a function or an instruction
 * decoded from one; -EILSEQ when it lies inside the instruction starting at
 * *insn; -ENOEXEC when nothing tells where code starts before vaddr or the
 * decoder stopped before reaching it (*insn where it stopped): not
 * confirmed either way; or -errno when the file cannot be read.
 */
int probe_boundary(const char *path, const struct elf_image *img, uint64_t vaddr, uint64_t *insn);

#endif
