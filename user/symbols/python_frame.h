/* SPDX-License-Identifier: MIT */
/*
 * CPython 3.11 frames in a stack: a frame value of the form
 * MT_PYFRAME_TAG | instruction index << 47 | code object address names a
 * Python function (its code object in the target) and the instruction it
 * was at.  This reads the code object from the target's memory and gives
 * its qualified name, file and line, as py-spy does.
 *
 * What a caller may rely on: nothing is trusted from the target: every
 * read is bounded, the object must be a code object (its type's tp_name
 * is "code"), and its strings compact ASCII or latin-1; anything else is
 * -EINVAL and the frame stays unnamed.  The code object is read when the
 * stack is symbolized: one freed since (a function gone, the interpreter
 * finalized) is refused, or read as the code object now at that address.
 */
#ifndef MEMTRACE_PYTHON_FRAME_H
#define MEMTRACE_PYTHON_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MT_PYFRAME_TAG 0xe000000000000000ULL
#define MT_PYFRAME_ADDR_MASK ((1ULL << 47) - 1)
#define MT_PYFRAME_INDEX_MAX 0x1fffULL

static inline int frame_is_python(uint64_t addr)
{
	return (addr >> 60) == (MT_PYFRAME_TAG >> 60);
}

struct python_frame {
	char qualname[128];
	char file[256];
	uint32_t line; /* 0 when the location table says none */
};

/*
 * Names the Python frame `frame` (frame_is_python) of process pid: as
 * remembered, else from the target now.
 */
int python_frame_read(pid_t pid, uint64_t frame, struct python_frame *out);
/* Reads and keeps the name of `frame` now, for python_frame_read later:
 * called when a stack is first seen.  Anything else is ignored. */
void python_frame_remember(pid_t pid, uint64_t frame);

/* The line of code unit `index` in a 3.11 location table (co_linetable),
 * the code starting at first_line; 0 when it has none.  Exposed for tests. */
uint32_t python_line_at(const uint8_t *table, size_t n, uint32_t first_line, uint32_t index);

#endif
