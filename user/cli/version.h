/* SPDX-License-Identifier: MIT */
/*
 * `memtrace --version` (-V): what was built and what this machine offers.
 *
 * Callers may rely on: the first line is "memtrace VERSION", VERSION being
 * `git describe --tags --always --dirty` of the checkout it was built from,
 * or "0.1 (not built from a git checkout)"; then one "name: value" line each
 * for libbpf (the library actually loaded, major.minor), the kernel release
 * and the kernel features memtrace uses (BTF, uprobe_multi, ring buffer),
 * "yes", "no" or "unknown (<why>)".  It needs no privileges.
 */
#ifndef MEMTRACE_VERSION_H
#define MEMTRACE_VERSION_H

#include <stdio.h>

void version_print(FILE *out);

#endif
