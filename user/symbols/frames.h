/* SPDX-License-Identifier: MIT */
/* Raw stack addresses from BPF into a profile's symbolized frames. */
#ifndef MEMTRACE_FRAMES_H
#define MEMTRACE_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "profile.h"

struct symbolizer;

/*
 * Builds the frames (malloc'd, *out, *nout of them) of the n addrs,
 * innermost first, their strings interned in p and their modules added to
 * p->modules.  An address in inlined code gives several frames (the
 * inlined functions, marked inlined, then the one holding the code), and
 * a Go stack ends at the runtime's switch to a system stack, as Go's
 * traceback does (go_stack_switch.h): *nout may be more or less than n.
 * Frames past the first are return addresses; first_is_return
 * says whether addrs[0] is one too (a stack taken at a function's return)
 * or the instruction itself (a fault).  sym NULL keeps raw addresses.
 * sym must outlive every frames_symbolize into p (its names are interned
 * by address, profile_intern_stable).
 */
int frames_symbolize(struct mt_profile *p, struct symbolizer *sym, const uint64_t *addrs, uint32_t n,
		     bool first_is_return, struct mt_frame **out, uint32_t *nout);

#endif
