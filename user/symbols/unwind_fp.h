/* SPDX-License-Identifier: MIT */
/*
 * Whether an object keeps frame pointers, decided once from its compiled
 * unwind table (unwind_table.h), so that --unwind auto walks its frames by
 * frame pointer (cheaper) and uses its rows only where it lacks them.
 *
 * An object keeps them when it is a Go binary without C parts (Go keeps
 * frame pointers on amd64, and its code has no rows: unwind_table.h) or
 * when at least UNWIND_FP_PERCENT % of its FDEs that make a
 * frame (a row other than CFA = rsp + 8; the PLT's left out) switch the
 * CFA to rbp + 16 (the `push rbp; mov rbp,rsp` prologue).  Built with
 * -fno-omit-frame-pointer, nearly every such function does (our
 * build/tools/workload_*: 100 %, the Rust one 96 %, memtrace itself
 * 85 %); without it only those that realign the stack or use alloca do
 * (Debian's libc 4 %, libstdc++ 3 %, ld.so 9 %, python3.11, dash, bash,
 * libxml2 0-1 %; a static binary carrying libc 8 %).  A cgo binary is
 * decided by its C parts' FDEs (its .eh_frame): built without frame
 * pointers, they are walked by their rows and its Go code, which has
 * none, by frame pointer.
 */
#ifndef MEMTRACE_UNWIND_FP_H
#define MEMTRACE_UNWIND_FP_H

#include <stdbool.h>

#include "unwind_table.h"

#define UNWIND_FP_PERCENT 50

/* The share of t's FDEs with a frame-pointer prologue, in percent (0 without FDEs). */
unsigned unwind_fp_percent(const struct unwind_table *t);
/* True when t's object keeps frame pointers (the rule above). */
bool unwind_table_keeps_fp(const struct unwind_table *t);

#endif
