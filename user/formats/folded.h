/* SPDX-License-Identifier: MIT */
/*
 * Folded stacks, the input of flamegraph.pl, speedscope and inferno:
 *
 *     main;parse;xmalloc 4096
 *
 * Callers may rely on: outermost frame first, leaf (frames[0]) last; one line
 * per distinct folded stack with the values of identical stacks summed; only
 * non-zero values; lines sorted frame by frame (strcmp of names, a caller
 * before its callees); names with ';'
 * turned into ':' and control bytes into '?'; unknown frames as
 * "module+0xoffset" (module basename, ELF offset) or "[unknown]".
 */
#ifndef MEMTRACE_FOLDED_H
#define MEMTRACE_FOLDED_H

#include <stdio.h>

#include "profile.h"

/* 0, or a negative errno (-ENOMEM, -EIO when out fails). */
int folded_write(const struct mt_profile *p, enum mt_metric m, FILE *out);
/*
 * Writes a call tree's leaves as folded lines with `columns` values each
 * (slot 0, then slot 1: "stack before after" for diffs); lines whose
 * values are all 0 are left out.
 */
struct calltree;
int folded_write_tree(struct calltree *t, int columns, FILE *out);

#endif
