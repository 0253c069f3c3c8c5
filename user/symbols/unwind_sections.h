/* SPDX-License-Identifier: MIT */
/*
 * The call-frame sections of one ELF object, found and made readable for
 * unwind_table's compiler: .eh_frame and .debug_frame, the latter inflated
 * when compressed (zsection.h, with its bounds).  What a caller may rely on:
 *
 *  - each such section that has bytes in the file is handed to the
 *    callback once, in section-header order, its bytes valid for the call's
 *    duration only;
 *  - a compressed .debug_frame is handed over inflated; one that will not
 *    inflate, and a compressed .eh_frame (an allocated section never is),
 *    is not handed over and counts 1 in *bad;
 *  - a Go binary's .debug_frame is never handed over: it says CFA = rsp + N
 *    but not where rbp is saved (its code is walked by frame pointer; only
 *    the C parts of a cgo binary, in .eh_frame, get rows).
 *
 * The object is the target's file, so hostile: sizes are libelf's, checked
 * against the section header; nothing else is read here.
 */
#ifndef MEMTRACE_UNWIND_SECTIONS_H
#define MEMTRACE_UNWIND_SECTIONS_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct unwind_section {
	const uint8_t *data;
	size_t size;
	uint64_t vaddr;   /* .eh_frame: its ELF address (the base of its pc-relative pointers); .debug_frame: 0 */
	bool debug_frame; /* .debug_frame's CIE ids and absolute pointers, not .eh_frame's */
};

/* A Go binary: its build-id note (.note.go.buildid) or build info (.go.buildinfo). */
bool unwind_sections_is_go(Elf *elf, size_t shstrndx);

/*
 * Hands each call-frame section of elf (section names from shstrndx) to
 * fn(section, arg); go says elf is a Go binary.  Returns 0, fn's first
 * nonzero return (no further section is handed over), -ENOMEM, or -ENODATA
 * when no section was handed over.
 */
int unwind_sections_each(Elf *elf, size_t shstrndx, bool go, int (*fn)(const struct unwind_section *s, void *arg),
			 void *arg, size_t *bad);

#endif
