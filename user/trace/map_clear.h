/* SPDX-License-Identifier: MIT */
/*
 * Empties a BPF hash map from user space, for a tracer made as new
 * (tracer_reset, faults_reset).  Keys are at most 8 bytes, compared as
 * the first `ks` bytes of a little-endian u64; with keep_it, the key equal
 * to `keep` stays.  0 or negative errno.
 */
#ifndef MEMTRACE_MAP_CLEAR_H
#define MEMTRACE_MAP_CLEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int map_clear(int fd, size_t ks, bool keep_it, uint64_t keep);

#endif
